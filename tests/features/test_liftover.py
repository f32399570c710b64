"""Chain files and lifting loci: hand-computed cases on a tiny chain written in tmp_path.

The chain file (``tiny_chain``), source chr1 of 100 bp:

- chain 1, ``+``: chr1 [10, 50) -> chrA (120 bp): block t[10, 20) -> q[5, 15); 3 bases inserted
  in the target; block t[20, 30) -> q[18, 28); t[30, 35) deleted in the target; block
  t[35, 50) -> q[28, 43).
- chain 2, ``-``: chr1 [60, 80) -> chrB (60 bp), q [10, 30) on the reverse complement, so
  t = 60 + i maps to forward position 60 - 1 - (10 + i) = 49 - i.
- chains 3 and 4, ``+``: chr1 [90, 95) -> chrA [100, 105) and chr1 [92, 97) -> chrA [110, 115):
  chr1 [92, 95) maps twice.
"""

from __future__ import annotations

import gzip
import threading

import numpy as np
import pandas as pd
import pytest
from _chains import TINY_TEXT, tiny_chains

from ncv_core.errors import NcvError
from ncv_core.features.liftover import lift_loci
from ncv_core.io.chain_files import (
    chain_from_blocks,
    open_chain,
    read_chain_headers,
    write_chain_file,
)


@pytest.fixture
def tiny_chain(tmp_path):
    path = tmp_path / "tiny.over.chain"
    write_chain_file(path, tiny_chains())
    return path


def test_writer_matches_the_hand_written_file(tiny_chain, tmp_path) -> None:
    assert tiny_chain.read_text() == TINY_TEXT
    gz = tmp_path / "tiny.over.chain.gz"
    write_chain_file(gz, tiny_chains())
    first = gz.read_bytes()
    assert gzip.decompress(first).decode() == TINY_TEXT
    write_chain_file(gz, tiny_chains())
    assert gz.read_bytes() == first  # no time stamp in the gzip header


def test_writer_refuses_inconsistent_chains(tmp_path) -> None:
    bad = chain_from_blocks("chr1", 30, "chrA", 120, "+", [10, 20], [5, 18], [10, 15], chain_id=1)
    with pytest.raises(NcvError, match="chain 1: source span 10-35 is outside chr1"):
        write_chain_file(tmp_path / "x.chain", [bad])
    dup = tiny_chains()[:2]
    dup[1] = chain_from_blocks("chr1", 100, "chrB", 60, "-", [60], [10], [20], chain_id=1)
    with pytest.raises(NcvError, match="id is used"):
        write_chain_file(tmp_path / "x.chain", dup)
    assert not (tmp_path / "x.chain").exists()


def test_headers(tiny_chain) -> None:
    h = read_chain_headers(tiny_chain)
    assert h["id"].tolist() == [1, 2, 3, 4]
    assert h["line"].tolist() == [1, 6, 9, 12]
    assert h.iloc[1][["q_name", "q_strand", "q_start", "q_end"]].tolist() == ["chrB", "-", 10, 30]
    index = open_chain(tiny_chain)
    assert index.source_contigs == {"chr1": 100}
    assert index.target_contigs == {"chrA": 120, "chrB": 60}
    assert index.chains_over("chr1", 45, 65).tolist() == [0, 1]
    assert index.chains_over("chr1", 50, 60).tolist() == []
    covering = index.covering("chr1", np.array([9, 10, 49, 50, 60, 91, 93, 96, 97]))
    assert covering.tolist() == [-1, 0, 0, -1, 1, 2, 3, 3, -1]
    assert index.label(1) == "chain 2 (chr1:60-80 -> chrB -)"
    assert index.header(1) == (2, 60, 80, "chrB", "-", 30, 50)  # forward target span [30, 50)


def test_covering_finds_a_chain_around_a_nested_one(tmp_path) -> None:
    path = tmp_path / "nested.chain"
    write_chain_file(
        path,
        [
            chain_from_blocks("c", 100, "q", 100, "+", [0, 40], [0, 40], [20, 60], chain_id=1),
            chain_from_blocks("c", 100, "q", 100, "-", [20], [60], [20], chain_id=2),
        ],
    )
    index = open_chain(path)
    assert index.covering("c", np.array([5, 25, 50, 99])).tolist() == [0, 1, 0, 0]
    assert index.covering("d", np.array([5])).tolist() == [-1]


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("chain 1 chr1 100 + 0 10 chrA\n10\n", 1, "13 fields"),
        ("chain 1 chr1 100 + 0 10 chrA 50 * 0 10 1\n10\n", 1, "strands"),
        ("chain 1 chr1 100 + 0 200 chrA 50 + 0 10 1\n10\n", 1, "do not fit"),
        (
            "chain 1 chr1 100 + 0 10 chrA 50 + 0 10 1\n10\n\nchain 1 chr1 90 + 0 10 chrA 50 + 0 10 2\n10\n",
            4,
            "earlier chain",
        ),
    ],
)
def test_bad_headers_name_their_line(tmp_path, text, line, match) -> None:
    path = tmp_path / "bad.chain"
    path.write_text(text)
    with pytest.raises(NcvError, match=match) as err:
        open_chain(path)
    assert err.value.line == line and err.value.path == str(path)


def test_open_chain_problems(tmp_path) -> None:
    with pytest.raises(NcvError, match="not found .*never downloaded"):
        open_chain(tmp_path / "hg19ToHg38.over.chain.gz")
    blocks = tmp_path / "blocks.chain"
    blocks.write_text("chain 1 chr1 100 + 0 10 chrA 50 + 0 12 1\n10\n\n")  # q span says 12
    with pytest.raises(NcvError, match="not a valid chain file"):
        open_chain(blocks)
    empty = tmp_path / "empty.chain"
    empty.write_text("")
    with pytest.raises(NcvError, match="no chains"):
        open_chain(empty)


POINTS = [  # chrom, 1-based pos, expected (chrom, pos, strand) or rejection category
    ("chr1", 11, ("chrA", 6, "+")),
    ("chr1", 20, ("chrA", 15, "+")),
    ("chr1", 21, ("chrA", 19, "+")),  # after the 3 inserted bases
    ("chr1", 31, "in gap"),  # deleted in the target
    ("chr1", 35, "in gap"),
    ("chr1", 36, ("chrA", 29, "+")),
    ("chr1", 50, ("chrA", 43, "+")),
    ("chr1", 51, "no chain"),
    ("chr1", 61, ("chrB", 50, "-")),
    ("chr1", 80, ("chrB", 31, "-")),
    ("chr1", 5, "no chain"),
    ("chr2", 10, "unknown contig"),
    ("1", 11, ("chrA", 6, "+")),
    ("chr1", 93, "duplicated"),
    ("chr1", 101, "out of range"),
    ("chr1", 0, "out of range"),
]


def test_points_hand_computed(tiny_chain) -> None:
    loci = pd.DataFrame(POINTS, columns=["chrom", "pos", "expected"])
    loci["label"] = np.arange(len(loci)) % 2
    result = lift_loci(loci.drop(columns="expected"), tiny_chain)
    mapped = [(i, e) for i, (_, _, e) in enumerate(POINTS) if isinstance(e, tuple)]
    t = result.table
    assert list(t.columns) == ["chrom", "pos", "label", "source_chrom", "source_pos", "strand"]
    assert list(zip(t["chrom"], t["pos"], t["strand"], strict=True)) == [e for _, e in mapped]
    assert t["source_pos"].tolist() == [POINTS[i][1] for i, _ in mapped]
    assert t["source_chrom"].tolist() == [POINTS[i][0] for i, _ in mapped]  # the user's spelling
    assert t["label"].tolist() == [i % 2 for i, _ in mapped]
    expected = [(i + 1, e) for i, (_, _, e) in enumerate(POINTS) if isinstance(e, str)]
    assert [(r.line, r.category) for r in result.rejected] == expected
    assert result.n_input == len(POINTS) and result.kind == "points"
    gap = next(r for r in result.rejected if r.category == "in gap")
    assert "chain 1 (chr1:10-50 -> chrA +)" in gap.reason
    assert (
        "(chrA:103 +, chrA:111 +)"
        in next(r for r in result.rejected if r.category == "duplicated").reason
    )


def test_points_agree_with_pyliftover(tiny_chain) -> None:
    """Every base of chr1, against pyliftover's own chain walker (minus strand included)."""
    ref = pytest.importorskip("pyliftover").LiftOver(str(tiny_chain))
    loci = pd.DataFrame({"chrom": "chr1", "pos": np.arange(1, 101)})
    t = lift_loci(loci, tiny_chain).table.set_index("source_pos")
    for pos in range(1, 101):
        theirs = ref.convert_coordinate("chr1", pos - 1)
        if len(theirs) == 1:
            assert tuple(t.loc[pos, ["chrom", "pos", "strand"]]) == (
                theirs[0][0],
                theirs[0][1] + 1,
                theirs[0][2],
            )
        else:
            assert pos not in t.index


INTERVALS = [  # chrom, start, end, expected at 0.95, expected at 0.70
    ("chr1", 10, 30, ("chrA", 5, 28, "+"), ("chrA", 5, 28, "+")),  # spans the insertion
    ("chr1", 25, 45, "below min match", ("chrA", 23, 38, "+")),  # 15 of 20 bases align
    ("chr1", 60, 70, ("chrB", 40, 50, "-"), ("chrB", 40, 50, "-")),
    ("chr1", 45, 65, "split", "split"),  # 5 bases in chain 1, 5 in chain 2
    ("chr1", 50, 60, "no chain", "no chain"),
    ("chr1", 31, 34, "in gap", "in gap"),
    ("chr1", 90, 97, "split", "duplicated"),  # chains 3 and 4 each align 5 of 7
    ("chr2", 0, 10, "unknown contig", "unknown contig"),
    ("chr1", 80, 79, "out of range", "out of range"),
]


@pytest.mark.parametrize(("min_match", "col"), [(0.95, 3), (0.70, 4)])
def test_intervals_hand_computed(tiny_chain, min_match, col) -> None:
    loci = pd.DataFrame([r[:3] for r in INTERVALS], columns=["chrom", "start", "end"])
    loci["name"] = [f"peak{i}" for i in range(len(loci))]
    result = lift_loci(loci, tiny_chain, min_match=min_match)
    t = result.table
    assert list(t.columns) == [
        "chrom",
        "start",
        "end",
        "name",
        "source_chrom",
        "source_start",
        "source_end",
        "strand",
    ]
    want = [(i, r[col]) for i, r in enumerate(INTERVALS) if isinstance(r[col], tuple)]
    assert list(zip(t["chrom"], t["start"], t["end"], t["strand"], strict=True)) == [
        w for _, w in want
    ]
    assert t["name"].tolist() == [f"peak{i}" for i, _ in want]
    assert t["source_start"].tolist() == [INTERVALS[i][1] for i, _ in want]
    cats = [(r.line, r.category) for r in result.rejected]
    assert cats == [(i + 1, r[col]) for i, r in enumerate(INTERVALS) if isinstance(r[col], str)]


def test_interval_lift_equals_the_span_of_its_lifted_bases(tiny_chain) -> None:
    """A mapped interval covers exactly the first to last base its chain lifts (UCSC's subchain
    span). Below 90 the two chains go to different contigs, so the contig names the chain."""
    rng = np.random.default_rng(0)
    starts = rng.integers(0, 85, 200)
    ends = np.minimum(starts + rng.integers(1, 20, 200), 90)
    iv = lift_loci(
        pd.DataFrame({"chrom": "chr1", "start": starts, "end": ends}), tiny_chain, min_match=0.5
    )
    index = open_chain(tiny_chain)
    assert len(iv.table) > 50 and set(iv.table["strand"]) == {"+", "-"}
    for row in iv.table.itertuples():
        pos = [
            m[1] for p in range(row.source_start, row.source_end) for m in index.lifter["chr1"][p]
        ]
        assert row.start == min(pos) and row.end == max(pos) + 1
        assert len(pos) >= 0.5 * (row.source_end - row.source_start)


def test_line_and_raw_come_from_the_reader_columns(tiny_chain) -> None:
    loci = pd.DataFrame(
        {"chrom": ["chr1", "chr1"], "pos": [11, 51], "_line": [7, 9], "_raw": ["a", "b"]}
    )
    result = lift_loci(loci, tiny_chain)
    assert result.table["_line"].tolist() == [7]
    assert [(r.line, r.row) for r in result.rejected] == [(9, "b")]


def test_any_index_and_row_order(tiny_chain) -> None:
    """Rows are addressed by position: a shuffled, non-integer index changes nothing."""
    loci = pd.DataFrame({"chrom": ["chr1", "chr2", "chr1", "chr1"], "pos": [61, 5, 31, 11]})
    plain = lift_loci(loci, tiny_chain)
    odd = lift_loci(loci.set_axis(["d", "c", "b", "a"]), tiny_chain)
    pd.testing.assert_frame_equal(plain.table, odd.table)
    assert plain.rejected == odd.rejected
    assert plain.table["pos"].tolist() == [50, 6] and plain.table["strand"].tolist() == ["-", "+"]


def test_bad_tables_and_options(tiny_chain) -> None:
    with pytest.raises(NcvError, match="chrom column"):
        lift_loci(pd.DataFrame({"pos": [1]}), tiny_chain)
    with pytest.raises(NcvError, match=r"needs the column\(s\) \['end'\]"):
        lift_loci(pd.DataFrame({"chrom": ["chr1"], "start": [1]}), tiny_chain)
    with pytest.raises(NcvError, match="min_match"):
        lift_loci(pd.DataFrame({"chrom": ["chr1"], "pos": [11]}), tiny_chain, min_match=0)
    empty = lift_loci(pd.DataFrame({"chrom": [], "pos": []}), tiny_chain)
    assert len(empty.table) == 0 and empty.rejected == []


def test_progress_and_stop(tiny_chain) -> None:
    loci = pd.DataFrame({"chrom": "chr1", "pos": np.full(30_000, 11)})
    seen = []
    lift_loci(loci, tiny_chain, progress=seen.append)
    assert [(d["stage"], d["done"], d["total"]) for d in seen] == [
        ("liftover", 0, 30_000),
        ("liftover", 20_000, 30_000),
        ("liftover", 30_000, 30_000),
    ]
    flag = threading.Event()
    flag.set()
    with pytest.raises(NcvError, match="stopped"):
        lift_loci(loci, tiny_chain, stop=flag)
