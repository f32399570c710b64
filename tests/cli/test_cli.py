"""The ``ncv`` command line: exit codes, one-line errors, files written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ncv_core.cli import main
from ncv_core.io.tables import read_table


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ncv_core", *args],
        capture_output=True,
        text=True,
        cwd=cwd or Path(__file__).resolve().parents[2],
    )


def test_help_lists_commands() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0 and "features" in proc.stdout


def test_features_end_to_end(tiny, tmp_path: Path, capsys) -> None:
    t = tiny
    loci = tmp_path / "loci.csv"
    loci.write_text(
        "chrom,pos,ref,alt,label\r\n"
        f"chr1,150,{t.ref('chr1', 150)},{t.other('chr1', 150)},1\r\n"
        "chr9,150,A,G,0\r\n"
        f"chr1,1000,{t.other('chr1', 1000)},G,0\r\n"
    )
    out = tmp_path / "out" / "gm.parquet"
    code = main(
        [
            "features",
            "--loci",
            str(loci),
            "--genome",
            str(t.genome),
            "--tracks",
            str(t.tracks),
            "--cell-line",
            "CL",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "kept 1, rejected 2: 1 unknown contig, 1 ref mismatch" in stdout
    table, meta = read_table(out)
    assert len(table) == 1 and meta["cell_line"] == "CL"
    report = (tmp_path / "out" / "gm.rejected.tsv").read_text().splitlines()
    assert report[0] == "line\treason\tcategory\trow"
    assert report[1].startswith("3\tcontig 'chr9' is not in the genome")
    assert report[2].startswith("4\tREF is ")


def test_features_exit_2_with_one_line_when_nothing_usable(tiny, tmp_path: Path) -> None:
    loci = tmp_path / "bad.tsv"
    loci.write_text("chrom\tpos\nchrZ\t100\n")
    proc = run_cli(
        "features",
        "--loci",
        str(loci),
        "--genome",
        str(tiny.genome),
        "--tracks",
        str(tiny.tracks),
        "--cell-line",
        "CL",
        "--out",
        str(tmp_path / "o.tsv"),
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ncv features: error:")]
    assert errors == [
        f"ncv features: error: {loci}: no usable loci (kept 0, rejected 1: 1 unknown contig); "
        "first problem: line 2: contig 'chrZ' is not in the genome (it has chr1, chr2, chrM; "
        "1/chr1 and MT/chrM are matched)"
    ]
    assert not (tmp_path / "o.tsv").exists()


@pytest.mark.parametrize(
    "flag,value,message",
    [
        ("--genome", "missing.fa", "genome FASTA not found"),
        ("--tracks", "missing.tsv", "tracks manifest not found"),
        ("--loci", "missing.vcf", "file not found"),
        ("--out", "out.xlsx", "unknown table format"),
    ],
)
def test_features_bad_paths_exit_2(
    tiny, tmp_path: Path, flag: str, value: str, message: str
) -> None:
    loci = tmp_path / "l.tsv"
    loci.write_text("chrom\tpos\nchr1\t500\n")
    args = {
        "--loci": str(loci),
        "--genome": str(tiny.genome),
        "--tracks": str(tiny.tracks),
        "--cell-line": "CL",
        "--out": str(tmp_path / "o.tsv"),
    }
    args[flag] = str(tmp_path / value)
    proc = run_cli("features", *[x for kv in args.items() for x in kv])
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_real_vcf_against_wrong_genome_exits_2(real_data: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "t.tsv"
    manifest.write_text(
        "cell_line\tmark\tsignal\n"
        f"GM12878\tH3K27ac\t{real_data / 'tracks' / 'GM12878_ChIP_H3K27ac_signal.hg19.chr21_28000000_30300000.bw'}\n"
    )
    proc = run_cli(
        "features",
        "--loci",
        str(real_data / "variants" / "regulatory_validated.vcf"),
        "--genome",
        str(real_data / "genome" / "z.fa"),
        "--tracks",
        str(manifest),
        "--cell-line",
        "GM12878",
        "--out",
        str(tmp_path / "o.parquet"),
    )
    assert proc.returncode == 2
    assert "no usable loci (kept 0, rejected 16: 16 unknown contig)" in proc.stderr


def test_train_options_are_the_config_fields() -> None:
    """``ncv train`` derives its options from TrainConfig: every field is one, and parses back."""
    import argparse
    from dataclasses import fields

    from ncv_core.cli import train as train_cli
    from ncv_core.training.types import TrainConfig, option_fields

    p = argparse.ArgumentParser()
    train_cli.add_arguments(p)
    flags = {a.dest for a in p._actions}
    assert {f.name for f in option_fields()} <= flags
    assert {f.name for f in fields(TrainConfig)} - flags == {"model_kwargs"}
    args = p.parse_args(
        "--features t.tsv --out m --t1 50 --t2 60 --whole-rows --max-grad-norm 0 "
        "--label-col a b --lr 0.5 --method supervised --threshold 0.9".split()
    )
    cfg = train_cli.config_from_args(args)
    assert (cfg.t1, cfg.t2, cfg.by_chromosome, cfg.max_grad_norm) == (50, 60, False, None)
    assert (cfg.label_cols, cfg.lr, cfg.method, cfg.threshold) == (
        ("a", "b"),
        0.5,
        "supervised",
        0.9,
    )
    default = train_cli.config_from_args(p.parse_args(["--features", "t", "--out", "m"]))
    assert default == TrainConfig()
