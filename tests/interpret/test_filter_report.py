"""Filter report: hand-set filters found in JASPAR and a user's motifs, logos, influence; and on
the demo, a trained DeepBind-like model whose filters recover the planted JASPAR motifs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from _synthetic import one_thread  # noqa: F401 (autouse: torch on one thread)
from interpret_toys import random_one_hot
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.interpret.filter_report import filter_report, require_filters
from ncv_core.io.motif_files import Motif, information_content, jaspar_motifs
from ncv_core.models import build_model

L = 60


@pytest.fixture(scope="module")
def jaspar(tmp_path_factory) -> list[Motif]:
    return jaspar_motifs(cache_dir=tmp_path_factory.mktemp("jaspar"))


class TwoMotifCNN(nn.Module):
    """Filters 0 and 1 are the log-odds of two JASPAR motifs, filter 2 never fires; the output
    adds the max of filter 0 and subtracts that of filter 1."""

    head, n_tasks, uses_seq, uses_tab, n_tab, seq_len = "sigmoid", 1, True, False, 0, L

    def __init__(self, pwms: list[np.ndarray]) -> None:
        super().__init__()
        width = max(len(p) for p in pwms)
        self.filter_conv = nn.Conv1d(4, 3, width)
        self.filter_act = nn.ReLU()
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.out = nn.Linear(3, 1)
        with torch.no_grad():
            self.filter_conv.weight.zero_()
            for f, p in enumerate(pwms):
                self.filter_conv.weight[f, :, : len(p)] = torch.as_tensor(np.log2(p / 0.25).T)
            self.filter_conv.bias.copy_(torch.tensor([0.0, 0.0, -100.0]))
            self.out.weight.copy_(torch.tensor([[1.0, -0.5, 3.0]]))
            self.out.bias.fill_(0.0)

    def forward(self, x_seq, x_tab=None):
        return self.out(self.pool(self.filter_act(self.filter_conv(x_seq))).flatten(1))


def _planted(pwms: list[np.ndarray], n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = random_one_hot(n, L, seed=1)
    for i in range(n):
        p = pwms[i % 2]
        s = rng.integers(0, L - len(p))
        x[i, :, s : s + len(p)] = np.eye(4, dtype=np.float32)[[rng.choice(4, p=r) for r in p]].T
    return x


def test_hand_set_filters_are_found_with_q_values(jaspar) -> None:
    by_name = {m.alt_name: m for m in jaspar}
    gata, ebf = by_name["GATA1"], by_name["EBF1"]
    pwms = [(m.pwm + 0.01) / 1.04 for m in (gata, ebf)]
    model = TwoMotifCNN(pwms)
    mine = [Motif("MY_EBF", ebf.pwm, "my EBF1 copy")]
    rep = filter_report(
        model, _planted(pwms), databases={"JASPAR": jaspar, "mine.meme": mine},
        distance="pearson", influence_rows=150, device="cpu",
    )  # fmt: skip
    s = rep.summary.set_index("filter")
    assert s.loc[0, "best_name"].upper().startswith("GATA") and s.loc[0, "best_q_value"] < 0.01
    assert s.loc[1, "best_q_value"] < 0.01
    assert s.loc[2, "n_sites"] == 0 and np.isnan(s.loc[2, "best_p_value"])
    hits1 = rep.matches[rep.matches["query"] == "filter1"]
    assert {ebf.name, "MY_EBF"} <= set(hits1["target"])
    assert set(hits1.loc[hits1["target"] == "MY_EBF", "database"]) == {"mine.meme"}
    assert set(rep.matches["query"]) == {"filter0", "filter1"}  # dead filters are not searched
    assert (rep.matches["significant"] == (rep.matches["q_value"] < 0.05)).all()
    assert s.loc[1, "n_significant"] == int(hits1["significant"].sum())
    heights = rep.logos.groupby(["filter", "pos"])["height"].sum().unstack()
    for f, motif in enumerate(rep.motifs):
        per_pos = [information_content(row[None, :]) for row in motif.pwm]
        assert heights.loc[f].to_numpy() == pytest.approx(per_pos)
    assert s.loc[0, "influence"] < 0 < s.loc[1, "influence"]  # nullifying +/- contributions
    assert s.loc[2, "influence"] == 0.0
    assert sorted(rep.clusters["filter"]) == [0, 1, 2] and "cluster" in rep.summary
    assert rep.settings["databases"] == {"JASPAR": len(jaspar), "mine.meme": 1}


def test_models_without_1d_filters_are_refused() -> None:
    with pytest.raises(NcvError, match=r"Conv2d with \(1, 4\) kernels"):
        require_filters(build_model("ssl_dnn", n_tab=3), "ssl_dnn")
    with pytest.raises(NcvError, match="reads no sequence"):
        require_filters(build_model("mlp", n_tab=3), "mlp")
    with pytest.raises(NcvError, match="Conv2d"):
        filter_report(build_model("ssl_dnn", n_tab=0), np.zeros((2, 4, 150), np.float32))
    require_filters(build_model("deepbind"))


@pytest.mark.slow
def test_demo_deepbind_filters_recover_the_planted_motifs(tmp_path, jaspar) -> None:
    """DeepBind-like model (registry ``deepbind``, 64 filters of 15 bp, Adam) on the GM12878
    demo: every planted JASPAR motif is a significant (q < 0.05) match of some filter."""
    from ncv_core.demo import build_demo
    from ncv_core.features.build import build_features
    from ncv_core.models.encoding import sequence_array
    from ncv_core.training import train

    paths = build_demo(tmp_path / "demo", seed=0)
    feats = build_features(
        paths.loci["GM12878"], paths.genome, paths.tracks, "GM12878", use_cache=False
    )
    result = train(
        feats.table, meta=feats.meta, model="deepbind", model_kwargs={"filters": 64, "kernel": 15},
        method="supervised", optimizer="adam", lr=0.001, epochs=15, n_labelled=1094, seed=0,
    )  # fmt: skip
    x = torch.from_numpy(sequence_array(feats.table, 150))
    rep = filter_report(result.model, x, databases={"JASPAR": jaspar}, influence_rows=0)
    truth = json.loads(paths.truth.read_text())["cell_lines"]["GM12878"]["motifs"]
    sig = rep.matches[rep.matches["significant"]]
    base_ids = sig["target"].str.split(".").str[0]
    for motif in truth:
        hits = sig[base_ids == motif["matrix_id"].split(".")[0]]
        assert len(hits) > 0, f"{motif['name']} ({motif['matrix_id']}) not recovered"
