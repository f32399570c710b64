"""Model inputs from a pasted sequence, a locus (built by the feature pipeline) or table rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ncv_core.errors import NcvError
from ncv_core.features.build import build_features
from ncv_core.interpret.inputs import model_inputs, parse_locus
from ncv_core.models import build_model
from ncv_core.models.encoding import Scaler, feature_matrix
from ncv_core.models.loaded import LoadedModel
from ncv_core.sequence import one_hot

WINDOW = 50


def _features(tiny, tmp_path: Path, positions: list[int]) -> tuple[pd.DataFrame, dict]:
    loci = tmp_path / "loci.tsv"
    loci.write_text("chrom\tpos\n" + "".join(f"chr1\t{p}\n" for p in positions))
    res = build_features(loci, tiny.genome, tiny.tracks, "CL", window=WINDOW, use_cache=False)
    return res.table, res.meta


def _loaded(name: str, table: pd.DataFrame | None = None, meta: dict | None = None) -> LoadedModel:
    torch.manual_seed(0)
    inputs: dict = {"window": WINDOW}
    if name == "ssl_dnn":
        cols = meta["feature_columns"]
        model = build_model("ssl_dnn", n_tab=len(cols), seq_len=WINDOW)
        inputs["scaler"] = Scaler.fit(feature_matrix(table, cols), cols).to_dict()
    elif name == "mlp":
        model = build_model("mlp", n_tab=3)
    else:
        model = build_model("deepbind", seq_len=WINDOW, filters=4, kernel=8, hidden=5)
    card = {
        "architecture": {"name": name, "kwargs": model.config},
        "inputs": inputs,
        "features": {"cell_line": "CL", "genome": {"build": None}},
    }
    return LoadedModel(model, card, device="cpu")


def test_locus_features_equal_the_feature_table(tiny, tmp_path) -> None:
    table, meta = _features(tiny, tmp_path, [150, 1050, 1500])
    model = _loaded("ssl_dnn", table, meta)
    got = model_inputs(
        model, locus=["chr1:1,050", "1:150"], genome=tiny.genome, tracks=tiny.tracks, cell_line="CL"
    )
    ref_seq, ref_tab = model.encode(table.iloc[[1, 0]].reset_index(drop=True), meta)
    assert torch.equal(got.x_seq, ref_seq) and torch.equal(got.x_tab, ref_tab)
    assert got.kind == "locus" and "held fixed" in got.tabular and "CL" in got.tabular
    assert list(got.rows["pos"]) == [1050, 150] and list(got.rows["chrom"]) == ["chr1"] * 2
    assert list(got.rows["window_start"]) == [1050 - WINDOW // 2, 150 - WINDOW // 2]
    assert got.rows["seq"][0] == tiny.seqs["chr1"][1050 - 26 : 1050 + 24]
    assert got.rows["seq"][0][WINDOW // 2] == tiny.ref("chr1", 1050)
    by_id = model_inputs(model, table=table, meta=meta, ids=[table["id"][2]])
    assert torch.equal(by_id.x_tab, model.encode(table.iloc[[2]], meta)[1])
    pos = model_inputs(model, table=table, meta=meta).annotate(
        pd.DataFrame({"seq_index": [0, 2], "pos": [0, WINDOW // 2]})
    )
    assert list(pos["genome_pos"]) == [150 - WINDOW // 2, 1500]
    assert list(pos.columns) == ["seq_index", "id", "chrom", "genome_pos", "pos"]


def test_sequence_only_model_reads_pasted_windows_and_loci(tiny) -> None:
    model = _loaded("deepbind")
    seq = tiny.seqs["chr1"][974:1024]
    pasted = model_inputs(model, sequence=seq.lower())
    assert torch.equal(pasted.x_seq, torch.from_numpy(one_hot([seq])))
    assert pasted.x_tab is None and pasted.rows["pos"].isna().all()
    at_locus = model_inputs(model, locus="chr1:1000", genome=tiny.genome)  # no tracks needed
    assert torch.equal(at_locus.x_seq, pasted.x_seq)
    genome_pos = pasted.annotate(pd.DataFrame({"seq_index": [0], "pos": [3]}))["genome_pos"]
    assert genome_pos.isna().all()
    n_window = model_inputs(model, sequence="N" * WINDOW)
    assert float(n_window.x_seq.sum()) == 0.0


def test_a_pasted_sequence_for_a_tabular_model_explains_what_is_needed(tiny, tmp_path) -> None:
    table, meta = _features(tiny, tmp_path, [150, 1050])
    model = _loaded("ssl_dnn", table, meta)
    with pytest.raises(NcvError) as err:
        model_inputs(model, sequence="A" * WINDOW)
    text = str(err.value)
    n = len(meta["feature_columns"])
    assert f"{n} tabular features" in text and "--locus" in text and "--tracks" in text
    with pytest.raises(NcvError, match="--tracks tracks.tsv and --cell-line"):
        model_inputs(model, locus="chr1:1000", genome=tiny.genome)


@pytest.mark.parametrize(
    ("locus", "message"),
    [
        ("chr1", "bad locus"),
        ("chr1:0", "bad locus"),
        ("chr1:12x", "bad locus"),
        ("chr9:100", "not in the genome"),
        ("chr1:10", "runs off chr1"),
        ("chr1:5000", "past the end"),
    ],
)
def test_bad_loci(tiny, locus: str, message: str) -> None:
    with pytest.raises(NcvError, match=message):
        model_inputs(_loaded("deepbind"), locus=locus, genome=tiny.genome)


def test_other_errors(tiny, tmp_path) -> None:
    model = _loaded("deepbind")
    with pytest.raises(NcvError, match="exactly 50 bp"):
        model_inputs(model, sequence="ACGT")
    with pytest.raises(NcvError, match="holds X"):
        model_inputs(model, sequence="X" * WINDOW)
    with pytest.raises(NcvError, match="exactly one input"):
        model_inputs(model, sequence="A" * WINDOW, locus="chr1:100")
    with pytest.raises(NcvError, match="exactly one input"):
        model_inputs(model)
    with pytest.raises(NcvError, match="--genome"):
        model_inputs(model, locus="chr1:100")
    with pytest.raises(NcvError, match="reads no sequence"):
        model_inputs(_loaded("mlp"), sequence="A" * WINDOW)
    table, meta = _features(tiny, tmp_path, [150])
    with pytest.raises(NcvError, match="no row of the feature table has id 'nope'"):
        model_inputs(model, table=table, meta=meta, ids=["nope"])
    ssl = _loaded("ssl_dnn", table, meta)
    with pytest.raises(NcvError, match="DNase_max"):
        model_inputs(ssl, table=table.drop(columns=["DNase_max"]), meta=meta)
    assert parse_locus(" chrX:1,234,567 ") == ("chrX", 1234567)
    assert np.isscalar(parse_locus("1:5")[1])
