"""Hostile files and paths: outputs that replace inputs, bigWigs without a contig or damaged,
one-class and NaN tables, folders where files belong, manifests, model folders."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hostile._base import N_GOOD, Base, Case, delimited, features_argv, registry

CASES: dict[str, Callable[[Base, Path], Case]] = {}
case = registry(CASES)


# -- 4. outputs: checked (writable, no input replaced) before any work --------------------------


@case("outputs/out_equals_loci")
def _out_equals_loci(base: Base, d: Path) -> Case:
    loci = d / "loci.csv"
    loci.write_bytes(base.loci.read_bytes())
    return Case(features_argv(base, loci, loci), 2, messages=(f"{loci}: the output would replace the "
                "input",), unchanged={loci: loci.read_bytes()})  # fmt: skip


@case("outputs/score_out_equals_loci")
def _score_out_is_input(base: Base, d: Path) -> Case:
    loci = d / "loci.tsv"
    loci.write_text(delimited(base.rows, "\t"))
    argv = ["score", "--model", str(base.model), "--loci", str(loci), *base.genome_args()]
    argv.append("--no-background")
    return Case([*argv, "--out", str(loci)], 2, messages=("would replace the input",),
                unchanged={loci: loci.read_bytes()})  # fmt: skip


@case("outputs/pseudo_labels_out_equals_loci")
def _pseudo_labels_out_is_input(base: Base, d: Path) -> Case:
    loci = d / "loci.tsv"
    loci.write_text(delimited(base.rows, "\t"))
    argv = ["pseudo-labels", "--loci", str(loci), "--chain", str(base.chain), "--target-genome",
            str(base.genome), "--window", "150", "--out", str(loci)]  # fmt: skip
    return Case(argv, 2, messages=(f"{loci}: the output would replace the input",),
                unchanged={loci: loci.read_bytes()})  # fmt: skip


@case("outputs/evaluate_out_equals_features")
def _evaluate_out_isfeatures_argv(base: Base, d: Path) -> Case:
    argv = ["evaluate", "--model", str(base.model), "--features", str(base.features)]
    return Case([*argv, "--out", str(base.features)], 2, messages=("would replace the input",),
                unchanged={base.features: base.features.read_bytes()})  # fmt: skip


@case("outputs/train_out_holds_the_table")
def _train_out_holds_input(base: Base, d: Path) -> Case:
    folder = d / "models" / "gm"
    folder.mkdir(parents=True)
    (folder / "card.json").write_text("{}")
    table = folder / "features.parquet"
    table.write_bytes(base.features.read_bytes())
    return Case(["train", "--features", str(table), "--out", str(folder)], 2,
                messages=(f"{folder}: the output would replace the folder of the input",),
                unchanged={table: table.read_bytes()})  # fmt: skip


@case("outputs/train_out_not_a_model_folder")
def _train_out_other_folder(base: Base, d: Path) -> Case:
    folder = d / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    argv = ["train", "--features", str(base.features), "--out", str(folder), "--epochs", "500"]
    return Case(argv, 2, messages=(f"{folder}: refusing to replace: not a model folder",),
                absent=("trained",))  # fmt: skip


@case("outputs/out_is_a_folder")
def _out_is_folder(base: Base, d: Path) -> Case:
    (d / "out.tsv").mkdir()
    return Case(features_argv(base, base.loci, d / "out.tsv"), 2,
                messages=(f"{d / 'out.tsv'}: is a folder; expected the name of a file",))  # fmt: skip


@case("outputs/ism_npy_is_the_table")
def _ism_two_outputs(base: Base, d: Path) -> Case:
    out = d / "ism.tsv"
    argv = ["ism", "--model", str(base.model), "--features", str(base.features), "--id", "x"]
    return Case([*argv, "--out", str(out), "--npy", str(out)], 2,
                messages=(f"{out}: is named for two outputs",))  # fmt: skip


# -- 7. a bigWig without a contig the loci use --------------------------------------------------


@case("missing_contig/bigwig_lacks_chrM")
def _missing_contig(base: Base, d: Path) -> Case:
    extra = [("chrM", p, base.seqs["chrM"][p - 1], "A" if base.seqs["chrM"][p - 1] != "A" else "C", 0)
             for p in (100, 150, 200)]  # fmt: skip
    loci = d / "loci.csv"
    loci.write_text(delimited([*base.rows, *extra], ","))
    out = d / "out.parquet"

    def check() -> None:
        from ncv_core.io.tables import read_table

        _, meta = read_table(out)
        assert meta["tracks_missing_contigs"] == {str(base.dnase): {"chrM": 3}}

    return Case(features_argv(base, loci, out), 0, out=out, kept=N_GOOD + 3, check=check,
                messages=(f"{base.dnase} has no data for chrM (3 loci)",))  # fmt: skip


# -- 8. smaller: one class, the bigWig library's own line, NaN features ------------------------


@case("labels/one_class_table")
def _one_class(base: Base, d: Path) -> Case:
    import pandas as pd

    table = d / "ones.parquet"
    pd.read_parquet(base.features).assign(label=1).to_parquet(table)
    return Case(["train", "--features", str(table), "--out", str(d / "m")], 2,
                messages=("the table has only one class: 40 positive",))  # fmt: skip


@case("bigwig/truncated_signal_file")
def _truncated_bigwig(base: Base, d: Path) -> Case:
    signal = d / "dnase.bw"
    signal.write_bytes(base.dnase.read_bytes()[:300])
    tracks = d / "tracks.tsv"
    tracks.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{signal}\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{signal}: is not a readable bigWig file",),
                absent=("Error when opening",))  # fmt: skip


@case("features/nan_values")
def _nanfeatures_argv(base: Base, d: Path) -> Case:
    import pandas as pd

    table = pd.read_parquet(base.features)
    table.loc[:6, "DNase_max"] = np.nan
    table.loc[:1, "H3K27ac_sum"] = np.nan
    path = d / "nan.parquet"
    table.to_parquet(path)
    argv = ["evaluate", "--model", str(base.model), "--features", str(path)]
    return Case([*argv, "--out", str(d / "m.json")], 0,
                messages=("replaced by the training mean", "DNase_max 7", "H3K27ac_sum 2"))  # fmt: skip


# -- a folder where a file belongs (and the reverse) -------------------------------------------


@case("folders/folder_as_genome")
def _folder_as_genome(base: Base, d: Path) -> Case:
    argv = ["features", "--loci", str(base.loci), *base.genome_args(genome=d)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2, messages=(f"{d}: is a folder",))


@case("folders/folder_as_manifest")
def _folder_as_manifest(base: Base, d: Path) -> Case:
    argv = ["features", "--loci", str(base.loci), *base.genome_args(d)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{d}: is a folder, expected a tracks manifest",))  # fmt: skip


@case("folders/folder_as_signal")
def _folder_as_signal(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    tracks.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{d}\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{d}: is a folder, expected a bigWig",))  # fmt: skip


@case("folders/file_as_model")
def _file_as_model(base: Base, d: Path) -> Case:
    argv = ["evaluate", "--model", str(base.features), "--features", str(base.features)]
    return Case([*argv, "--out", str(d / "m.json")], 2,
                messages=(f"{base.features}: is a file; expected a model folder",))  # fmt: skip


# -- manifests: Windows paths, duplicate rows ---------------------------------------------------


@case("manifest/windows_relative_paths")
def _windows_relative(base: Base, d: Path) -> Case:
    (d / "tracks").mkdir()
    for f in (base.dnase, base.k27ac):
        (d / "tracks" / f.name).write_bytes(f.read_bytes())
    tracks = d / "tracks.tsv"
    tracks.write_text("cell_line\tmark\tsignal\nCL\tDNase\ttracks\\dnase.bw\n"
                      "CL\tH3K27ac\ttracks\\k27ac.bw\n")  # fmt: skip
    out = d / "out.tsv"
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks), "--out", str(out)]
    return Case(argv, 0, out=out, kept=N_GOOD)


@case("manifest/windows_absolute_path")
def _windows_absolute(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    tracks.write_text("cell_line\tmark\tsignal\nCL\tDNase\tC:\\Users\\me\\dnase.bw\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{tracks}, line 2: file C:\\Users\\me\\dnase.bw", "Windows path"))  # fmt: skip


@case("manifest/duplicate_rows")
def _manifest_duplicates(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    row = f"CL\tDNase\t{base.dnase}\n"
    tracks.write_text("cell_line\tmark\tsignal\n" + row + row)
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{tracks}, line 3: CL DNase is listed twice (also line 2)",))  # fmt: skip


# -- model folders: another card format, weights that are not safetensors ----------------------


def _model_copy(base: Base, d: Path) -> Path:
    folder = d / "model"
    folder.mkdir()
    for f in base.model.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


def _evaluate(base: Base, model: Path, d: Path) -> list[str]:
    return ["evaluate", "--model", str(model), "--features", str(base.features), "--out",
            str(d / "m.json")]  # fmt: skip


@case("model/card_of_another_format")
def _card_other_format(base: Base, d: Path) -> Case:
    model = _model_copy(base, d)
    (model / "card.json").write_text(json.dumps({"format": "keras-model", "version": 3}))
    return Case(_evaluate(base, model, d), 2,
                messages=(f"{model / 'card.json'}: not an ncv model card (its format is "
                          "'keras-model'",))  # fmt: skip


@case("model/weights_are_a_zip")
def _weights_zip(base: Base, d: Path) -> Case:
    model = _model_copy(base, d)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    (model / "model.safetensors").write_bytes(buf.getvalue())
    return Case(_evaluate(base, model, d), 2,
                messages=(f"{model / 'model.safetensors'}: is a zip archive", "never unpickled"))  # fmt: skip


@case("model/weights_are_a_pickle")
def _weights_pickle(base: Base, d: Path) -> Case:
    model = _model_copy(base, d)
    marker = d / "pwned"
    payload = b"\x80\x04\x95" + struct.pack("<Q", 60) + b"cposix\nsystem\n(S'touch " + \
        str(marker).encode() + b"'\ntR."  # fmt: skip
    (model / "model.safetensors").write_bytes(payload)

    def check() -> None:
        assert not marker.exists()  # never unpickled

    return Case(_evaluate(base, model, d), 2, check=check,
                messages=(f"{model / 'model.safetensors'}: is a Python pickle",))  # fmt: skip
