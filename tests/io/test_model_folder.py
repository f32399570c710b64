"""Model folders: round trip, atomic writes, clear errors for corrupt or mismatched files, the
train/evaluate commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from _synthetic import META, one_thread, synthetic_table, threads  # noqa: F401 (one_thread: autouse fixture)

from ncv_core.cli import main
from ncv_core.errors import NcvError
from ncv_core.io import model_folder as modelio
from ncv_core.io.model_folder import load_model, read_card, save_model, write_model
from ncv_core.io.tables import write_table
from ncv_core.models.loaded import LoadedModel
from ncv_core.training import train


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return synthetic_table(200, seed=3)


@pytest.fixture(scope="module")
def result(table):
    with threads(1):
        return train(table, meta=META, epochs=2, n_labelled=60, n_val=40, seed=0)


@pytest.fixture
def saved(result, tmp_path: Path) -> Path:
    return save_model(result, tmp_path / "model")


def test_round_trip(result, table, saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == [
        "card.json",
        "model.safetensors",
        "split.tsv",
    ]
    mask = os.umask(0)
    os.umask(mask)
    assert {p.stat().st_mode & 0o777 for p in saved.iterdir()} == {0o666 & ~mask}
    loaded = load_model(saved, device="cpu")
    assert loaded.model.training is False
    assert loaded.card == json.loads(json.dumps(result.card))
    assert loaded.feature_columns == META["feature_columns"] and loaded.window == 150
    np.testing.assert_array_equal(loaded.scaler.mean, result.scaler.mean)
    np.testing.assert_array_equal(loaded.scaler.scale, result.scaler.scale)
    for (k, a), b in zip(
        result.model.state_dict().items(), loaded.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), k
    direct = LoadedModel(result.model, result.card).predict_proba(table)
    np.testing.assert_array_equal(loaded.predict_proba(table), direct)
    assert loaded.predict_proba(table).shape == (200, 1)
    assert loaded.split.equals(result.split.astype(str))
    x_seq, x_tab = loaded.encode(table)
    assert x_seq.shape == (200, 4, 150) and x_tab.shape == (200, 4)


def test_card_schema(result) -> None:
    card = result.card
    for key in (
        "format",
        "format_version",
        "package_version",
        "architecture",
        "method",
        "config",
        "seed",
        "inputs",
        "features",
        "data",
        "split",
        "training",
        "history",
        "metrics",
    ):
        assert key in card, key
    assert card["architecture"]["name"] == "ssl_dnn"
    assert card["architecture"]["kwargs"]["n_tab"] == 4
    assert card["features"]["genome"]["build"] == "hg19" and card["features"]["cell_line"] == "SYN"
    assert card["data"]["n_rows"] == 200 and len(card["data"]["sha256"]) == 64
    assert card["split"]["counts"]["validation"] == {"n": 40, "pos": 20, "neg": 20}
    assert {"val_auroc", "val_aupr", "val_accuracy"} <= set(card["metrics"])
    json.dumps(card, allow_nan=False)  # strict JSON: undefined values are null


def test_does_not_unpickle(saved: Path, monkeypatch) -> None:
    def refuse(*a, **k):
        raise AssertionError("torch.load (pickle) was called")

    monkeypatch.setattr(torch, "load", refuse)
    load_model(saved)


def test_atomic_write_leaves_no_half_model(result, saved: Path, monkeypatch) -> None:
    before = {p.name: p.read_bytes() for p in saved.iterdir()}

    def crash(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(modelio, "save_file", crash)
    with pytest.raises(OSError):
        save_model(result, saved)
    assert {p.name: p.read_bytes() for p in saved.iterdir()} == before
    with pytest.raises(OSError):
        save_model(result, saved.parent / "fresh")
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model"]


def test_replaces_only_model_folders(result, tmp_path: Path) -> None:
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(NcvError, match="not a model folder"):
        save_model(result, other)
    assert (other / "keep.txt").exists()
    write_model(tmp_path / "m", result.model, result.card)  # split is optional
    assert load_model(tmp_path / "m").split is None


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda d: (d / "model.safetensors").write_bytes(b"\x00garbage"), "model.safetensors"),
        (
            lambda d: (d / "model.safetensors").write_bytes(
                (d / "model.safetensors").read_bytes()[:-100]
            ),
            "model.safetensors",
        ),
        (lambda d: (d / "model.safetensors").unlink(), "model.safetensors"),
        (lambda d: (d / "card.json").write_text("{not json"), "card.json"),
        (lambda d: (d / "card.json").unlink(), "card.json"),
        (lambda d: (d / "card.json").write_text('{"format": "other"}'), "card.json"),
    ],
)
def test_corrupt_files_give_clear_errors(saved: Path, damage, match) -> None:
    damage(saved)
    with pytest.raises(NcvError, match=match):
        load_model(saved)


def _edit_card(folder: Path, edit) -> None:
    card = json.loads((folder / "card.json").read_text())
    edit(card)
    (folder / "card.json").write_text(json.dumps(card))


def test_mismatched_card_and_weights(saved: Path) -> None:
    _edit_card(saved, lambda c: c["architecture"]["kwargs"].update(n_tab=7))
    with pytest.raises(NcvError, match="do not match"):
        load_model(saved)
    _edit_card(saved, lambda c: c["architecture"].update(name="resnet"))
    with pytest.raises(NcvError, match="rebuild"):
        load_model(saved)
    _edit_card(saved, lambda c: c.update(format_version=99))
    with pytest.raises(NcvError, match="newer"):
        read_card(saved)
    with pytest.raises(NcvError, match="not found"):
        load_model(saved.parent / "nowhere")


def test_encode_checks_the_table(saved: Path, table) -> None:
    loaded = load_model(saved)
    with pytest.raises(NcvError, match="DNase_sum"):
        loaded.encode(table.drop(columns="DNase_sum"))
    with pytest.raises(NcvError, match="150 bp"):
        loaded.encode(table.assign(seq=table["seq"].str[:100]))
    with pytest.raises(NcvError, match="genome build"):
        loaded.encode(table, {"genome": {"build": "hg38"}})
    with pytest.raises(NcvError, match="seq"):
        loaded.predict_proba(table.drop(columns="seq"))


def test_cli_train_and_evaluate(tmp_path: Path, capsys) -> None:
    feats = tmp_path / "syn.parquet"
    write_table(synthetic_table(160, seed=8), feats, META)
    out = tmp_path / "m"
    code = main(
        [
            "train",
            "--features",
            str(feats),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--n-labelled",
            "40",
            "--n-val",
            "20",
            "--seed",
            "2",
            "--threads",
            "1",
        ]
    )
    assert code == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("trained ssl_dnn (ssl, seed 2) on 160 rows") and "val AUROC" in line
    metrics = tmp_path / "metrics.json"
    assert (
        main(["evaluate", "--model", str(out), "--features", str(feats), "--out", str(metrics)])
        == 0
    )
    got = json.loads(metrics.read_text())
    assert got["rows"] == "validation" and got["n"] == 20 and "CADD" in got["baselines"]
    cv = tmp_path / "cv"
    assert (
        main(
            [
                "train",
                "--features",
                str(feats),
                "--out",
                str(cv),
                "--epochs",
                "1",
                "--split",
                "cv",
                "--folds",
                "2",
                "--method",
                "supervised",
            ]
        )
        == 0
    )
    assert "±" in capsys.readouterr().out


def test_cli_bad_input_exits_2(tmp_path: Path, capsys) -> None:
    feats = tmp_path / "t.tsv"
    write_table(synthetic_table(60, seed=1).drop(columns="seq"), feats)
    assert (
        main(["train", "--features", str(tmp_path / "none.tsv"), "--out", str(tmp_path / "x")]) == 2
    )
    assert (
        main(
            ["train", "--features", str(feats), "--out", str(tmp_path / "x"), "--model", "deepbind"]
        )
        == 2
    )
    assert (
        main(
            ["train", "--features", str(feats), "--out", str(tmp_path / "x"), "--n-labelled", "500"]
        )
        == 2
    )
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tmp_path),
                "--features",
                str(feats),
                "--out",
                str(tmp_path / "m.json"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("error:") == 4 and "Traceback" not in err


@pytest.mark.parametrize("legacy", [False, True])
def test_a_pytorch_pickle_renamed_safetensors_is_named_and_never_loaded(
    result, saved: Path, monkeypatch, legacy: bool
) -> None:
    weights = saved / "model.safetensors"
    torch.save(result.model.state_dict(), weights, _use_new_zipfile_serialization=not legacy)

    def refuse(*a, **k):
        raise AssertionError("torch.load (pickle) was called")

    monkeypatch.setattr(torch, "load", refuse)
    with pytest.raises(NcvError, match="looks like a PyTorch checkpoint") as err:
        load_model(saved)
    what = "a Python pickle" if legacy else "a zip archive"
    assert f"is {what}" in str(err.value) and "never unpickled" in str(err.value)
    assert "save_file(" in str(err.value) and str(err.value).startswith(str(weights))
