"""Scoring on a 2-worker LocalCluster writes the single process's files, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _cluster_cases import write_lines

from ncv_core.cli import main
from ncv_core.distributed import score_on_cluster
from ncv_core.errors import NcvError
from ncv_core.score import score_file

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")

OUTS = ("s.tsv", "s.parquet", "s.vcf.gz")


def _both(inputs, model, cluster, loci: Path, tmp: Path, names=OUTS, **kw):
    """Score ``loci`` in this process and on the cluster; the two folders' output paths."""
    one, many = tmp / "one", tmp / "many"
    one.mkdir(), many.mkdir()
    args = (inputs.genome, inputs.tracks, "GM12878")
    r1 = score_file(model, loci, *args, [one / n for n in names], **kw)
    r2 = score_on_cluster(cluster.client, model, loci, *args, [many / n for n in names], **kw)
    assert (r1.n_scored, r1.rejected) == (r2.n_scored, r2.rejected)
    return r1, r2


def _same_bytes(r1, r2) -> None:
    for a, b in zip([*r1.outputs, r1.report], [*r2.outputs, r2.report], strict=True):
        assert a.read_bytes() == b.read_bytes(), f"{b.name} differs"


def test_cluster_outputs_equal_the_single_process_byte_for_byte(
    demo_inputs, demo_model, cluster, tmp_path
) -> None:
    # 700-locus chunks: 5 chunks, index segments of 700 lines that do not line up with them
    r1, r2 = _both(demo_inputs, demo_model, cluster, demo_inputs.vcf, tmp_path, chunk_size=700)
    _same_bytes(r1, r2)
    cats = {r.category for r in r1.rejected}
    assert {"unknown contig", "ref mismatch", "no alt", "malformed number"} <= cats
    assert r1.n_scored > 2900
    table = pd.read_parquet(r1.outputs[1])
    assert (table["ref"].str.len() != table["alt"].str.len()).any()  # the indel is scored
    dups = table.loc[table["notes"].str.contains("duplicate of the variant on line")]
    firsts = dups["notes"].str.extract(r"line (\d+)")[0].astype(int)
    lines = _data_lines(demo_inputs.lines, dups["id"])
    assert (firsts // 700 != lines // 700).any()  # copies of variants in another chunk
    assert not list(tmp_path.glob("many/.*"))  # no work folder or temporary file is left


def _data_lines(lines: list[str], ids: pd.Series) -> pd.Series:
    """The file line (1-based) of the last row with each id (copies share their first's id)."""
    where = {f[2]: i + 1 for i, f in enumerate(x.split("\t") for x in lines) if len(f) > 2}
    return ids.map(where)


def test_main_columns_equal_too(demo_inputs, demo_model, cluster, tmp_path, monkeypatch) -> None:
    """Two models (one sequence-only, another window), rc-average, a drawn background with its
    percentiles, and a memo small enough that copies far apart are scored again: the same files,
    the metadata beside the TSV included."""
    from _scoring import seq_model

    from ncv_core import score as core
    from ncv_core.io.model_folder import load_model

    monkeypatch.setattr(core, "_MEMO_MAX", 60)  # the single pass's memo, and the plan's
    other = load_model(seq_model(tmp_path / "db", window=200, seed=1), device="cpu")
    r1, r2 = _both(demo_inputs, [demo_model, other], cluster, demo_inputs.vcf, tmp_path,
                   chunk_size=600, rc_average=True, background=300)  # fmt: skip
    _same_bytes(r1, r2)
    meta = [Path(f"{r.outputs[0]}.meta.json").read_text() for r in (r1, r2)]
    assert meta[0] == meta[1]
    table = pd.read_parquet(r1.outputs[1])
    assert {"m_diff_percentile", "db_p_ref_percentile", "db_logit_diff"} <= set(table.columns)
    assert table["m_diff_percentile"].notna().all()
    assert r2.background is not None and r2.background.n == 300
    assert r1.n_duplicates == r2.n_duplicates > 50


def test_sequence_tables_stay_in_one_process(demo_model, cluster, tmp_path) -> None:
    seqs = write_lines(["id\tseq\tref\talt", f"a\t{'ACGT' * 40}\tA\tC"], tmp_path / "s.tsv")
    with pytest.raises(NcvError, match="scored in one process"):
        score_on_cluster(cluster.client, demo_model, seqs, None, None, None,
                         tmp_path / "o.tsv", sequences=True)  # fmt: skip
    assert not (tmp_path / "o.tsv").exists()


@pytest.mark.parametrize("codec", ["gzip", "bgzf"])
def test_compressed_inputs_give_the_same_files(
    demo_inputs, demo_model, cluster, tmp_path, codec
) -> None:
    loci = write_lines(demo_inputs.lines[:900], tmp_path / f"in.{codec}.vcf.gz", codec)
    r1, r2 = _both(demo_inputs, demo_model, cluster, loci, tmp_path, ("s.tsv", "s.vcf.gz"),
                   chunk_size=250)  # fmt: skip
    _same_bytes(r1, r2)


def test_a_tsv_input_with_baseline_columns(demo_inputs, demo_model, cluster, tmp_path) -> None:
    rows = ["# made for the test", "chrom\tpos\tref\talt\tlabel\tcadd\tnote"]
    for i, line in enumerate(demo_inputs.lines):
        f = line.split("\t")
        if line.startswith("#") or len(f) < 8:
            continue
        rows.append("\t".join([f[0], f[1], f[3], f[4], str(i % 2), f[1][-2:], "x"]))
    loci = write_lines(rows[:1200], tmp_path / "in.tsv")
    r1, r2 = _both(demo_inputs, demo_model, cluster, loci, tmp_path, ("s.tsv",), chunk_size=300)
    _same_bytes(r1, r2)


def test_the_first_bad_line_in_file_order_is_the_error(
    demo_inputs, demo_model, cluster, tmp_path
) -> None:
    raw = demo_inputs.vcf.read_bytes().split(b"\n")
    raw[2500], raw[400] = b"\xff\xfe broken", b"\xff also broken"
    loci = tmp_path / "bad.vcf"
    loci.write_bytes(b"\n".join(raw))
    errors = []
    for run in (score_file, lambda *a, **k: score_on_cluster(cluster.client, *a, **k)):
        with pytest.raises(NcvError) as exc:
            run(demo_model, loci, demo_inputs.genome, demo_inputs.tracks, "GM12878",
                tmp_path / "x.tsv", chunk_size=500)  # fmt: skip
        errors.append(str(exc.value))
    assert errors[0] == errors[1]
    assert "line 401" in errors[0]
    assert not (tmp_path / "x.tsv").exists()


class _StopAfter:
    """A stop flag that turns on after ``n`` checks."""

    def __init__(self, n: int) -> None:
        self.n = n

    def is_set(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_a_stopped_run_leaves_no_file_behind(demo_inputs, demo_model, cluster, tmp_path) -> None:
    out = tmp_path / "s.parquet"
    with pytest.raises(NcvError, match="stopped"):
        score_on_cluster(
            cluster.client, demo_model, demo_inputs.vcf, demo_inputs.genome, demo_inputs.tracks,
            "GM12878", out, chunk_size=300, stop=_StopAfter(12),
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []  # no output, no report, no work folder, no .part


def test_cli_workers_flag(demo_inputs, tmp_path, capsys) -> None:
    loci = write_lines(demo_inputs.lines[:800], tmp_path / "in.vcf")
    common = ["score", "--model", str(demo_inputs.model), "--loci", str(loci),
              "--genome", str(demo_inputs.genome), "--tracks", str(demo_inputs.tracks),
              "--cell-line", "GM12878", "--chunk-size", "300"]  # fmt: skip
    assert main([*common, "--out", str(tmp_path / "one.vcf")]) == 0
    assert main([*common, "--out", str(tmp_path / "two.vcf"), "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "a local cluster of 2 worker processes; dashboard:" in err
    assert (tmp_path / "one.vcf").read_bytes() == (tmp_path / "two.vcf").read_bytes()
    one, two = (tmp_path / f"{n}.rejected.tsv" for n in ("one", "two"))
    assert one.read_bytes() == two.read_bytes()


def test_a_file_without_variants_fails_the_same_way(
    demo_inputs, demo_model, cluster, tmp_path
) -> None:
    loci = write_lines(demo_inputs.lines[:4] + ["# nothing else"], tmp_path / "empty.vcf")
    errors = []
    for run in (score_file, lambda *a, **k: score_on_cluster(cluster.client, *a, **k)):
        out = tmp_path / f"{len(errors)}.tsv"
        with pytest.raises(NcvError) as exc:
            run(demo_model, loci, demo_inputs.genome, demo_inputs.tracks, "GM12878", out)
        errors.append(str(exc.value))
        assert not out.exists()
    assert errors[0] == errors[1]
    assert (tmp_path / "0.rejected.tsv").read_bytes() == (tmp_path / "1.rejected.tsv").read_bytes()


def test_a_given_background_serves_every_chunk(demo_inputs, demo_model, cluster, tmp_path) -> None:
    from ncv_core.score import background_scores

    anchors = pd.DataFrame({"chrom": ["chr1", "chr2"], "pos": [5_000, 9_000]})
    bg = background_scores(demo_model, anchors, demo_inputs.genome, demo_inputs.tracks,
                           "GM12878", n=200, seed=3)  # fmt: skip
    loci = write_lines(demo_inputs.lines[:700], tmp_path / "in.vcf")
    r1, r2 = _both(demo_inputs, demo_model, cluster, loci, tmp_path, ("s.tsv", "s.vcf"),
                   chunk_size=200, background=bg)  # fmt: skip
    _same_bytes(r1, r2)
    table = pd.read_csv(r1.outputs[0], sep="\t")
    assert table["diff_percentile"].notna().all() and len(table) > 600


def test_progress_counts_finished_chunks(demo_inputs, demo_model, cluster, tmp_path) -> None:
    loci = write_lines(demo_inputs.lines[:650], tmp_path / "in.vcf")
    events: list[dict] = []
    done = score_on_cluster(
        cluster.client, demo_model, loci, demo_inputs.genome, demo_inputs.tracks, "GM12878",
        tmp_path / "s.parquet", chunk_size=200, progress=events.append,
    )  # fmt: skip
    score = [e for e in events if e["stage"] == "score"]
    index = [e for e in events if e["stage"] == "index"]
    assert {e["total"] for e in score} == {4}  # 650 lines with 200 loci a chunk: 4 chunks
    assert [e["done"] for e in score] == [0, 1, 2, 3, 4]
    assert score[-1]["scored"] == done.n_scored
    assert index[-1]["done"] == index[-1]["total"] == 4  # segments of 200 lines
