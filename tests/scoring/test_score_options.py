"""Several models in one pass, duplicates, reverse-complement averaging, and sequence tables
scored like the same variants on the genome."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _scoring import seq_model, tab_model

from ncv_core.errors import NcvError
from ncv_core.features.build import build_features
from ncv_core.io.model_folder import load_model
from ncv_core.io.tables import read_table
from ncv_core.score import iter_scores, score_file
from ncv_core.sequence import reverse_complement

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")
SCORES = ["p_ref", "p_alt", "diff", "logit_diff", "log2fc"]


def _other(b: str) -> str:
    return "A" if b != "A" else "C"


def _variants(g: str) -> list[tuple[str, int, str, str]]:
    """An SNV, an insertion, a deletion and an MNV on chr1 of the tiny genome."""
    return [
        ("snv", 400, g[399], _other(g[399])),
        ("ins", 600, g[599], g[599] + "GG" + ("T" if g[599] != "T" else "A")),
        ("del", 800, g[799:802], g[799]) if g[801] != g[799] else ("del", 801, g[800:803], g[800]),
        ("mnv", 1000, g[999:1001], _other(g[999]) + _other(g[1000])),
    ]


def _write(path: Path, rows, labels=None) -> Path:
    text = "chrom\tpos\tref\talt\tid\tlabel\n"
    for k, (i, p, r, a) in enumerate(rows):
        text += f"chr1\t{p}\t{r}\t{a}\t{i}\t{'' if labels is None else labels[k]}\n"
    path.write_text(text)
    return path


@pytest.fixture
def models(tiny, tmp_path: Path) -> dict:
    g = tiny.seqs["chr1"]
    train = _write(tmp_path / "train.tsv", [("t", p, g[p - 1], _other(g[p - 1])) for p in
                                             range(200, 1800, 50)])  # fmt: skip
    feats = build_features(train, tiny.genome, tiny.tracks, "CL", use_cache=False)
    return {
        "a": load_model(seq_model(tmp_path / "a", seed=0)),
        "b": load_model(seq_model(tmp_path / "b", arch="deepbind", window=100, seed=1)),
        "c": load_model(tab_model(tmp_path / "c", feats.table, feats.meta["feature_columns"])),
    }


def _scores(chunks) -> pd.DataFrame:
    return pd.concat([c.scores for c in chunks], ignore_index=True)


def test_several_models_equal_single_runs_with_features_computed_once(
    tiny, tmp_path, models, monkeypatch
) -> None:
    loci = _write(tmp_path / "v.tsv", _variants(tiny.seqs["chr1"]))
    singles = {
        n: _scores(iter_scores(m, loci, tiny.genome, tiny.tracks, "CL")) for n, m in models.items()
    }
    import ncv_core.scoring.chunk as chunk

    calls = []
    real = chunk.compute_features
    monkeypatch.setattr(
        chunk, "compute_features", lambda *a, **k: calls.append(a[3]) or real(*a, **k)
    )
    both = _scores(iter_scores(models, loci, tiny.genome, tiny.tracks, "CL"))
    assert sorted(calls) == [100, 150]  # one feature pass per window, shared by a and c
    assert [c for c in both.columns if c.startswith("a_")] == [f"a_{s}" for s in SCORES]
    for n in models:
        got = both[[f"{n}_{s}" for s in SCORES]].set_axis(SCORES, axis=1)
        pd.testing.assert_frame_equal(got, singles[n][SCORES], rtol=1e-6, atol=1e-9)
    with pytest.raises(NcvError, match="two models are called 'a'"):
        list(iter_scores([models["a"], models["a"]], loci, tiny.genome))


def test_duplicates_are_scored_once_and_conflicts_noted(tiny, tmp_path, models, monkeypatch):
    g = tiny.seqs["chr1"]
    v = _variants(g)
    rows = [v[0], v[1], v[0], ("snv_again", *v[0][1:]), v[3]]
    loci = _write(tmp_path / "d.tsv", rows, labels=[1, "", 1, 0, ""])
    import ncv_core.scoring.chunk as chunk

    n_rows = []
    real = chunk.compute_features
    monkeypatch.setattr(
        chunk, "compute_features", lambda *a, **k: n_rows.append(len(a[0])) or real(*a, **k)
    )
    out = tmp_path / "d.tsv.out.tsv"
    done = score_file(models["a"], loci, tiny.genome, None, None, out, chunk_size=2)
    assert sum(n_rows) == 3  # three distinct variants, over three chunks
    table, meta = read_table(out)
    assert len(table) == 5 and done.n_duplicates == 2 and done.n_conflicts == 1
    assert table["p_alt"][0] == table["p_alt"][2] == table["p_alt"][3]  # copied, not re-scored
    assert pd.isna(table["notes"][0]) and "duplicate of the variant on line 2" in table["notes"][2]
    assert "conflicting labels: its label was 1, this row's 0" in table["notes"][3]
    assert "2 duplicate rows (scored once), 1 with conflicting labels" in done.summary
    assert table["id"].tolist() == ["snv", "ins", "snv", "snv_again", "mnv"]


def test_rc_average_is_the_mean_of_both_strands(tiny, tmp_path, models) -> None:
    loci = _write(tmp_path / "v.tsv", _variants(tiny.seqs["chr1"]))
    m = models["a"]
    fwd = _scores(iter_scores(m, loci, tiny.genome))
    avg = _scores(iter_scores(m, loci, tiny.genome, rc_average=True))
    from ncv_core.features.loci import place, read_loci
    from ncv_core.io.genome import Genome
    from ncv_core.scoring.haplotypes import alt_sequences

    with Genome(tiny.genome) as genome:
        placed = place(read_loci(loci), genome, window=150, max_len=75).table
        ref = placed.assign(seq=genome.windows(placed["chrom"], placed["pos"], 150))
        alt = alt_sequences(ref, genome, 150)
    for col, seqs in (("p_ref", ref["seq"].tolist()), ("p_alt", alt)):
        p = [m.predict_proba(pd.DataFrame({"seq": [s]}))[0, 0] for s in seqs]
        q = [m.predict_proba(pd.DataFrame({"seq": [reverse_complement(s)]}))[0, 0] for s in seqs]
        np.testing.assert_allclose(fwd[col], p, rtol=1e-5)
        np.testing.assert_allclose(avg[col], (np.array(p) + np.array(q)) / 2, rtol=1e-5)
    assert not np.allclose(avg["p_ref"], fwd["p_ref"])
    out = tmp_path / "rc.tsv"
    score_file(m, loci, tiny.genome, None, None, out, rc_average=True)
    assert read_table(out)[1]["rc_average"] is True


def _sequence_table(path: Path, g: str, rows, flank: int = 250, offsets: bool = True) -> Path:
    text = "id\tseq\tref\talt\toffset\tnote\n"
    for i, p, r, a in rows:
        seq = g[p - 1 - flank : p - 1 + flank + 1]
        text += f"{i}\t{seq}\t{r}\t{a}\t{flank if offsets else ''}\tkept as text\n"
    path.write_text(text)
    return path


def test_a_sequence_table_scores_as_the_genome_does(tiny, tmp_path, models) -> None:
    g = tiny.seqs["chr1"]
    rows = _variants(g)
    loci = _write(tmp_path / "v.tsv", rows)
    seq_models = {"a": models["a"], "b": models["b"]}
    genome_route = _scores(iter_scores(seq_models, loci, tiny.genome))
    for offsets in (True, False):  # given, or the default len(seq) // 2
        table = _sequence_table(tmp_path / "lib.tsv", g, rows, offsets=offsets)
        seq_route = _scores(iter_scores(seq_models, table, None, sequences=True))
        cols = [c for c in genome_route.columns if c[2:] in SCORES]
        pd.testing.assert_frame_equal(seq_route[cols], genome_route[cols], rtol=1e-6)
        assert seq_route["offset"].tolist() == [250] * 4
        assert seq_route["note"].tolist() == ["kept as text"] * 4
    with pytest.raises(NcvError, match="cannot be scored by a model with track features"):
        list(iter_scores(models["c"], table, None, sequences=True))


def test_sequence_rows_are_checked_against_their_sequence(tiny, tmp_path, models) -> None:
    g = tiny.seqs["chr1"]
    good = g[999:1500]  # 501 bp, offset 250 is genome position 1250
    run = next(i for i in range(100, 400) if good[i] == good[i + 1] != good[i - 1])
    lines = [
        "id\tseq\tref\talt\toffset",
        f"ok\t{good}\t{good[250]}\t{_other(good[250])}\t",
        f"bad_base\t{good[:100]}X{good[101:]}\t{good[250]}\tA\t",
        f"bad_offset\t{good}\t{good[250]}\tA\t600",
        f"mismatch\t{good}\t{_other(good[250])}\tG\t250",
        f"off_the_end\t{good}\t{good[20]}\t{_other(good[20])}\t20",
        f"shifted\t{good}\t{good[run : run + 2]}\t{good[run]}\t{run}",  # left-aligns to run - 1
    ]
    path = tmp_path / "lib.tsv"
    path.write_text("\n".join(lines) + "\n")
    chunks = list(iter_scores(models["a"], path, None, sequences=True))
    scores = _scores(chunks)
    assert scores["id"].tolist() == ["ok", "shifted"]
    assert scores["offset"].tolist() == [250, run - 1]
    assert scores["notes"][1] == f"normalised from offset {run} {good[run:run + 2]}>{good[run]} " \
        "(left-aligned by 1 bp)"  # fmt: skip
    why = {r.line: (r.category, r.reason) for c in chunks for r in c.rejected}
    assert why[3] == ("invalid sequence", "seq holds X; expected only A, C, G, T, N")
    assert why[4][0] == "out of range" and "0..500" in why[4][1]
    assert why[5] == (
        "ref mismatch",
        f"REF is {_other(good[250])} but the sequence has {good[250]} at offset 250",
    )
    assert why[6][0] == "window off contig end" and "runs off the sequence" in why[6][1]
