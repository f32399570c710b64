"""The plan's two ingredients without a cluster: the single pass's chunk boundaries from per-line
counts, and duplicates found across segments (then rejected per chunk) as one pass finds them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _cluster_cases import messy_vcf_lines, write_lines

from ncv_core.distributed.dedup import KeyRecorder, KnownDuplicates, find_duplicates
from ncv_core.distributed.plan import WHOLE, cut_points
from ncv_core.features.loci import Deduplicator, iter_loci, place
from ncv_core.io.genome import Genome
from ncv_core.io.loci_chunks import LociChunkFile, chunk_of, read_header, split_loci
from ncv_core.io.parts import write_part


def _naive_ends(counts: np.ndarray, chunk_size: int) -> list[int]:
    """``iter_loci``'s rule, one line at a time: a chunk ends once it holds chunk_size loci."""
    ends, held = [], 0
    for line, c in enumerate(counts.tolist(), start=1):
        held += c
        if held >= chunk_size:
            ends.append(line)
            held = 0
    return ends


def test_cut_points_follow_the_single_pass_rule() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        counts = rng.choice([0, 1, 1, 1, 2, 5], int(rng.integers(0, 300))).astype(np.int32)
        size = int(rng.integers(1, 40))
        ends, held, start = [], 0, 0
        for piece in np.array_split(counts, int(rng.integers(1, 6))):  # segments of any size
            held = cut_points(piece, start + 1, size, held, ends)
            start += len(piece)
        assert ends == _naive_ends(counts, size)


def test_duplicates_across_segments_are_rejected_as_one_pass_rejects_them(
    demo_inputs, tmp_path: Path
) -> None:
    lines = messy_vcf_lines(demo_inputs.genome, 1500, seed=3).lines
    path = write_lines(lines, tmp_path / "m.vcf")
    fmt, header = read_header(path)
    segments = split_loci(path, lines_per_segment=97, scratch=tmp_path)
    with Genome(demo_inputs.genome) as genome:
        single = [place(b, genome, window=150, dedup=Deduplicator()) for b in
                  iter_loci(path, chunk_size=WHOLE)][0]  # fmt: skip
        parts = []
        for i, s in enumerate(segments):  # the index pass, segment by segment
            recorder = KeyRecorder()
            chunk = chunk_of(str(path), fmt, header, segments, s.first_line, s.last_line)
            for batch in iter_loci(LociChunkFile(chunk), chunk_size=WHOLE):
                place(batch, genome, window=150, dedup=recorder)
            parts.append(write_part(recorder.frame(), tmp_path, f"keys-{i}"))
        found = find_duplicates(parts)
        n = segments[-1].last_line
        rejected, kept = [], []
        for first in range(1, n + 1, 211):  # chunks that match no segment
            chunk = chunk_of(str(path), fmt, header, segments, first, min(n, first + 210))
            mine = {k: v for k, v in found.items() if first <= k[0] <= first + 210}
            for batch in iter_loci(LociChunkFile(chunk), chunk_size=WHOLE):
                placed = place(batch, genome, window=150, dedup=KnownDuplicates(mine))
                rejected += placed.rejected
                kept.append(placed.table)
    assert rejected == single.rejected
    assert sum(len(t) for t in kept) == len(single.table)
    dups = [r for r in single.rejected if r.category == "duplicate"]
    assert len(dups) == len(found) > 20
    assert any("its label was" in r.reason for r in dups)


def test_repeated_marks_every_copy_of_a_repeated_value() -> None:
    from collections import Counter

    from ncv_core.distributed.dedup import _repeated

    rng = np.random.default_rng(2)
    values = rng.integers(0, 50, 300).astype(np.uint64)
    counts = Counter(values.tolist())
    assert _repeated(values).tolist() == [counts[v] > 1 for v in values.tolist()]
    assert _repeated(np.array([], dtype=np.uint64)).tolist() == []


def test_memo_plan_matches_the_single_pass_memo(tmp_path: Path, monkeypatch) -> None:
    """Which variants each chunk fills in from the memo, against ``score._remember`` itself run
    chunk by chunk (its values: the chunk that inserted each variant), with a memo small enough
    to drop variants that come back later."""
    from collections import OrderedDict

    import pandas as pd

    from ncv_core import score as core
    from ncv_core.distributed.dedup import KeyIndex, memo_plan

    rng = np.random.default_rng(5)
    for trial in range(30):
        memo_max = int(rng.integers(1, 12))
        n = int(rng.integers(1, 200))
        pos = rng.integers(1, 25, n)  # few distinct variants: many repeats
        alt = rng.choice(["A", "C", ""], n, p=[0.45, 0.45, 0.1])  # "" = no ALT: never remembered
        lines = np.sort(rng.integers(1, 120, n))
        rows = pd.DataFrame({"chrom": "chr1", "pos": pos.astype(np.int64), "ref": "G",
                             "alt": alt, "line": lines.astype(np.int64)})  # fmt: skip
        rows["hash"] = pd.util.hash_pandas_object(
            rows[["chrom", "pos", "ref", "alt"]], index=False
        ).to_numpy(np.uint64)
        rows["scored"] = (rows["alt"] != "").to_numpy()
        cuts = np.sort(rng.choice(np.arange(2, 120), int(rng.integers(0, 8)), replace=False))
        firsts = [1, *cuts.tolist()]
        bounds = np.array_split(np.arange(n), int(rng.integers(1, 4)))
        parts = [write_part(rows.iloc[b], tmp_path, f"t{trial}-{i}")
                 for i, b in enumerate(bounds)]  # fmt: skip
        known, keep = memo_plan(KeyIndex.read(parts), firsts, memo_max)
        monkeypatch.setattr(core, "_MEMO_MAX", memo_max)
        memo: OrderedDict = OrderedDict()
        chunk_of = np.searchsorted(firsts, rows["line"], side="right") - 1
        want_known, want_keep = [set() for _ in firsts], [set() for _ in firsts]
        for c in range(len(firsts)):
            table = rows.loc[chunk_of == c].reset_index(drop=True)
            scored = table.loc[table["alt"] != ""]
            cols = [scored["chrom"], scored["pos"].tolist(), scored["ref"], scored["alt"]]
            for k in zip(*cols, strict=True):
                if k in memo:
                    want_known[c].add(k)
                    want_keep[int(memo[k][0])].add(k)
            core._remember(memo, table, np.full((len(scored), 1), float(c)))
        assert known == want_known, trial
        assert keep == want_keep, trial
