from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ncv_core.cli import main
from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.errors import NcvError, NcvWarning
from ncv_core.features.build import build_features
from ncv_core.io.model_folder import load_model, save_model
from ncv_core.io.scores import read_vcf_info
from ncv_core.score import alt_table, alt_windows, effect_columns, iter_scores, score_features
from ncv_core.training import train

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")


@pytest.fixture
def scored_setup(tiny, tmp_path: Path):
    """A tiny genome, 60 labelled loci, and a supervised ssl_dnn trained for one epoch."""
    t = tiny
    rng = np.random.default_rng(0)
    pos = rng.choice(np.arange(80, 1920), 60, replace=False)
    rows = ["chrom\tpos\tref\talt\tlabel"]
    for i, p in enumerate(pos.tolist()):
        rows.append(f"chr1\t{p}\t{t.ref('chr1', p)}\t{t.other('chr1', p)}\t{i % 2}")
    loci = tmp_path / "loci.tsv"
    loci.write_text("\n".join(rows) + "\n")
    res = build_features(loci, t.genome, t.tracks, "CL", use_cache=False)
    result = train(
        res.table,
        meta=res.meta,
        method="supervised",
        epochs=1,
        n_labelled=20,
        n_val=10,
        by_chromosome=False,
        seed=0,
    )
    save_model(result, tmp_path / "model")
    return t, loci, load_model(tmp_path / "model"), res


def _score_args(model, loci: Path, t, out: Path) -> list[str]:
    """``ncv score`` arguments for the tiny genome and tracks, cell line CL."""
    return [
        "score", "--model", str(model.path), "--loci", str(loci), "--genome", str(t.genome),
        "--tracks", str(t.tracks), "--cell-line", "CL", "--out", str(out),
    ]  # fmt: skip


def test_alt_window_replaces_only_the_centre() -> None:
    assert alt_windows(["AAAAAAA", "CCCCCC"], ["G", "T"], 7) == ["AAAGAAA", "CCCTCC"]


def test_effect_columns_relations() -> None:
    lr, la = np.array([[0.0], [2.0]]), np.array([[1.0], [-1.0]])
    df = effect_columns(lr, la, ["label"])
    p = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    np.testing.assert_allclose(df.p_ref, p(lr[:, 0]))
    np.testing.assert_allclose(df["diff"], p(la[:, 0]) - p(lr[:, 0]))
    np.testing.assert_allclose(df.logit_diff, [1.0, -3.0])
    np.testing.assert_allclose(df.log2fc, np.log2(p(la[:, 0]) / p(lr[:, 0])))
    multi = effect_columns(np.zeros((2, 2)), np.ones((2, 2)), ["a", "b"])
    assert list(multi.columns) == [
        f"{n}_{t}" for t in "ab" for n in ("p_ref", "p_alt", "diff", "logit_diff", "log2fc")
    ]


def test_scores_match_a_naive_per_variant_loop(scored_setup) -> None:
    _, _, model, res = scored_setup
    table = res.table
    got = score_features(model, table)
    for i in range(0, len(table), 7):
        row = table.iloc[[i]].reset_index(drop=True)
        alt = row.copy()
        seq = row.seq[0]
        alt.loc[0, "seq"] = seq[:75] + row.alt[0] + seq[76:]
        from ncv_core.sequence import composition

        alt.loc[0, list(COMPOSITION_COLUMNS)] = composition([alt.seq[0]]).iloc[0].to_numpy()
        p_ref = model.predict_proba(row)[0, 0]
        p_alt = model.predict_proba(alt)[0, 0]
        assert got.p_ref[i] == pytest.approx(p_ref, rel=1e-6)
        assert got.p_alt[i] == pytest.approx(p_alt, rel=1e-6)
        assert got["diff"][i] == pytest.approx(p_alt - p_ref, abs=1e-7)
    epigenetic = [c for c in model.feature_columns if c not in COMPOSITION_COLUMNS]
    alt = alt_table(table, 150)
    pd.testing.assert_frame_equal(alt[epigenetic], table[epigenetic])  # same for both alleles
    assert (alt.seq.str[75] == table.alt).all()
    assert (alt.seq.str[:75] == table.seq.str[:75]).all()


def test_chunk_size_does_not_change_scores(scored_setup) -> None:
    t, loci, model, _ = scored_setup
    whole = pd.concat(
        [c.scores for c in iter_scores(model, loci, t.genome, t.tracks, "CL", chunk_size=1000)]
    )
    chunked = [c.scores for c in iter_scores(model, loci, t.genome, t.tracks, "CL", chunk_size=7)]
    assert len(chunked) == 9
    # float32 matmuls of different batch shapes differ in the last bits, nothing more
    pd.testing.assert_frame_equal(
        whole.reset_index(drop=True), pd.concat(chunked, ignore_index=True), rtol=1e-5, atol=1e-6
    )


def test_annotated_vcf(scored_setup, tmp_path: Path) -> None:
    t, _, model, _ = scored_setup
    r = lambda p: t.ref("chr1", p)  # noqa: E731
    alts = [b for b in "ACGT" if b != r(500)]
    vcf = tmp_path / "in.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##source=test\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chr1\t400\tv1\t{r(400)}\t{t.other('chr1', 400)}\t.\t.\tDP=5\n"
        f"chr1\t500\tv2\t{r(500)}\t{alts[0]},{r(500)}TT,{alts[1]}\t.\t.\t.\n"
        "chr9\t10\tv3\tA\tG\t.\t.\t.\n"
        f"1\t600\tv4\t{r(600)}\t{t.other('chr1', 600)}\t.\t.\t.\n"
    )
    out = tmp_path / "out.vcf.gz"
    code = main(_score_args(model, vcf, t, out))
    assert code == 0
    raw = out.read_bytes()
    assert raw[:4] == b"\x1f\x8b\x08\x04" and raw[12:14] == b"BC"  # BGZF blocks
    assert raw.endswith(bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000"))
    lines = gzip.decompress(raw).decode().splitlines()
    assert lines[0] == "##fileformat=VCFv4.2"
    assert sum(ln.startswith("##INFO=<ID=NCV_") for ln in lines) == 7  # + the 2 percentiles
    assert any(ln.startswith("##INFO=<ID=NCV_DIFF_PERCENTILE,") for ln in lines)
    assert any(ln.startswith('##ncv_scoring={"format": "ncv-scores"') for ln in lines)
    body = [ln.split("\t") for ln in lines if not ln.startswith("#")]
    assert len(body) == 4
    assert body[0][7].startswith("DP=5;NCV_P_REF=")
    p_alt_v2 = dict(kv.split("=") for kv in body[1][7].split(";"))["NCV_P_ALT"].split(",")
    assert len(p_alt_v2) == 3 and "." not in p_alt_v2  # the insertion is scored too
    assert body[2][7] == "."  # unknown contig: copied unchanged
    assert "NCV_DIFF=" in body[3][7]  # '1' matched to chr1
    tsv = tmp_path / "out.tsv"
    main(_score_args(model, vcf, t, tsv))
    table = pd.read_csv(tsv, sep="\t")
    info = read_vcf_info(out)
    assert float(info.NCV_P_REF[0]) == pytest.approx(table.p_ref[0], rel=1e-5)
    rejected = pd.read_csv(tmp_path / "out.rejected.tsv", sep="\t")
    assert sorted(rejected.category) == ["unknown contig"]


def test_score_errors(scored_setup, tmp_path: Path, capsys) -> None:
    t, loci, model, _ = scored_setup
    args = [
        "score",
        "--model",
        str(model.path),
        "--loci",
        str(loci),
        "--genome",
        str(t.genome),
        "--tracks",
        str(t.tracks),
        "--cell-line",
        "CL",
    ]
    assert main([*args, "--out", str(tmp_path / "x.vcf")]) == 2
    assert "a VCF output needs a VCF input" in capsys.readouterr().err
    (tmp_path / "broken").mkdir()
    assert (
        main(
            [
                *args[:1],
                "--model",
                str(tmp_path / "broken"),
                *args[3:],
                "--out",
                str(tmp_path / "o.tsv"),
            ]
        )
        == 2
    )
    assert "model card not found" in capsys.readouterr().err
    no_alt = tmp_path / "noalt.tsv"
    no_alt.write_text("chrom\tpos\nchr1\t500\n")
    assert (
        main([*args[:3], "--loci", str(no_alt), *args[5:], "--out", str(tmp_path / "o.tsv")]) == 2
    )
    assert "no usable loci (kept 0, rejected 1: 1 no alt)" in capsys.readouterr().err
    assert not (tmp_path / "o.tsv").exists()


def test_genome_of_another_build_is_refused(scored_setup, tmp_path: Path) -> None:
    t, loci, model, _ = scored_setup
    from ncv_core.io.genome import write_fasta

    other = tmp_path / "other.fa"
    write_fasta(
        other, [("chr1", t.seqs["chr1"] + "A"), ("chr2", t.seqs["chr2"]), ("chrM", t.seqs["chrM"])]
    )
    manifest = tmp_path / "tracks.tsv"
    manifest.write_text(
        t.tracks.read_text()
        .replace("dnase.bw", str(t.dnase))
        .replace("k27ac.bw", str(t.k27ac))
        .replace("dnase.narrowPeak.gz", str(t.dnase_peaks))
    )
    with pytest.raises(NcvError):
        list(iter_scores(model, loci, other, manifest, "CL"))


def test_score_typed_variant_in_memory(scored_setup) -> None:
    from ncv_core.features.loci import parse_variant
    from ncv_core.score import score_loci
    from ncv_core.scoring.sources import open_inputs

    t, loci, model, res = scored_setup
    first = res.table.iloc[0]
    with open_inputs({"m": model}, t.genome, t.tracks, "CL") as (g, tracks):
        _, chunk = score_loci(
            model, parse_variant(f"chr1:{first.pos} {first.ref}>{first.alt}"), g, tracks
        )
        _, bad = score_loci(
            model, parse_variant(f"chr1:{first.pos} {t.other('chr1', int(first.pos))}>G"), g, tracks
        )
    file_scores = score_features(model, res.table.iloc[[0]].reset_index(drop=True))
    assert chunk.scores.p_alt[0] == pytest.approx(file_scores.p_alt[0], rel=1e-6)
    assert [r.category for r in bad.rejected] in (
        ["ref mismatch"],
        ["ref mismatch", "alt equals ref"],
        ["alt equals ref"],
    )


def test_a_file_on_another_build_says_so_and_scores_nothing(scored_setup, tmp_path: Path) -> None:
    """Human coordinates against the tiny genome: no 'scored' result, the reasons on disk and a
    sentence naming the build mismatch (the app's 'Scored ✓' with 0 scored, issue 15)."""
    from ncv_core.score import score_file

    t, _, model, _ = scored_setup
    vcf = tmp_path / "human.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t56972353\trs1\tG\tA\t.\t.\t.\nchr7\t12284008\trs2\tA\tG\t.\t.\t.\n"
        "chr9\t22124477\trs3\tA\tG\t.\t.\t.\n"
    )
    out = tmp_path / "scores.tsv"
    with pytest.raises(NcvError) as err:
        score_file(model, vcf, t.genome, t.tracks, "CL", out)
    text = str(err.value)
    assert "no usable loci (kept 0, rejected 3: 2 unknown contig, 1 out of range)" in text
    assert "3 of 3 rows do not fit the genome" in text and "another genome build" in text
    assert not out.exists()
    report = pd.read_csv(tmp_path / "scores.rejected.tsv", sep="\t")
    assert report["category"].tolist() == ["out of range", "unknown contig", "unknown contig"]


def test_mostly_mismatched_file_scores_the_rest_with_a_warning(scored_setup, tmp_path) -> None:
    from ncv_core.score import score_file

    t, _, model, _ = scored_setup
    good = f"chr1\t500\t{t.ref('chr1', 500)}\t{t.other('chr1', 500)}"
    loci = tmp_path / "mixed.tsv"
    loci.write_text(
        "chrom\tpos\tref\talt\n" + good + "\nchr7\t10\tA\tG\nchr8\t10\tA\tG\nchr9\t10\tA\tG\n"
    )
    with pytest.warns(NcvWarning, match="3 of 4 rows do not fit the genome"):
        done = score_file(model, loci, t.genome, t.tracks, "CL", tmp_path / "o.tsv")
    assert done.n_scored == 1
