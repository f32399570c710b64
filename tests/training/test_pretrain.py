"""Pre-training on cross-species pseudo-labels, then fine-tuning (``train(..., pretrain=...)``).

Tiny synthetic sequence tables (``_synthetic``) and a small DeepBind; the pseudo-label table
gives every human row a mutated homolog (same source locus, same label) plus homologs of loci
that are not in the table.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
import torch
from _pseudo import WINDOW, homologs
from _synthetic import one_thread, synthetic_table  # noqa: F401 (one_thread: autouse fixture)

from ncv_core.coords import contig_key
from ncv_core.errors import NcvError
from ncv_core.training import train
from ncv_core.training.pretrain import DROP_REASONS, Pretraining, allowed_rows, bind
from ncv_core.training.splits import LABELLED, UNLABELLED, VALIDATION
from ncv_core.training.train import prepare
from ncv_core.training.types import TrainConfig

train_module = importlib.import_module("ncv_core.training.train")  # the module, not the function
SMALL = {"filters": 8, "kernel": 8, "hidden": 8}
OPTS = {"model": "deepbind", "model_kwargs": SMALL, "optimizer": "adam", "lr": 1e-2}


@pytest.fixture(scope="module")
def human() -> pd.DataFrame:
    return synthetic_table(240, window=WINDOW, pos_frac=0.4, n_chrom=4, unlabelled=20)


@pytest.fixture(scope="module")
def pseudo(human) -> pd.DataFrame:
    return homologs(human)


def naive_allowed(pseudo, human, part, use) -> tuple[np.ndarray, dict[str, int]]:
    """The leak rule row by row (the reference for allowed_rows)."""
    key = lambda c, p: (contig_key(str(c)), int(p))  # noqa: E731
    val = {
        key(c, p) for c, p, r in zip(human.chrom, human.pos, part, strict=True) if r == VALIDATION
    }
    lab = {key(c, p) for c, p, r in zip(human.chrom, human.pos, part, strict=True) if r == LABELLED}
    held = {c for c, _ in val} - {c for c, _ in lab}
    keep, dropped = [], dict.fromkeys(DROP_REASONS, 0)
    for lbl, c, p in zip(pseudo.label, pseudo.source_chrom, pseudo.source_pos, strict=True):
        k = key(c, p)
        reason = None
        if pd.isna(lbl):
            reason = "no label"
        elif k in val:
            reason = "validation locus"
        elif k[0] in held:
            reason = "held-out chromosome"
        elif use == "labelled" and k not in lab:
            reason = "not a labelled training locus"
        keep.append(reason is None)
        if reason:
            dropped[reason] += 1
    return np.array(keep), dropped


@pytest.mark.parametrize("use", ["labelled", "all"])
@pytest.mark.parametrize("by_chromosome", [True, False])
def test_leak_rule_matches_a_row_by_row_reference(human, pseudo, use, by_chromosome) -> None:
    rng = np.random.default_rng(1)
    part = rng.choice([LABELLED, UNLABELLED, VALIDATION], len(human)).astype(object)
    if by_chromosome:  # chr2 held out entirely, as a chromosome split does
        on2 = (human["chrom"] == "chr2").to_numpy()
        part[on2] = VALIDATION
        part[~on2 & (part == VALIDATION)] = LABELLED
    cfg = TrainConfig(model="deepbind")
    data = bind(Pretraining.of([pseudo], use=use), prepare(human, {}, cfg))
    keep, dropped = allowed_rows(data, human, part.astype(str))
    want_keep, want_dropped = naive_allowed(pseudo, human, part, use)
    assert (keep == want_keep).all() and dropped == want_dropped
    assert dropped["validation locus"] > 0
    assert (dropped["held-out chromosome"] > 0) == by_chromosome
    assert (dropped["not a labelled training locus"] > 0) == (use == "labelled")
    src = pseudo["source_chrom"].map(contig_key) + ":" + pseudo["source_pos"].astype(str)
    val_keys = set(
        (human["chrom"].map(contig_key) + ":" + human["pos"].astype(str))[part == VALIDATION]
    )
    assert not set(src[keep]) & val_keys  # no validation locus reaches pre-training


def _recording(monkeypatch) -> list[dict]:
    """Wrap the train module's pre-training hook: record each stage's initial and final weights."""
    seen: list[dict] = []
    real = train_module.pretrain_stage

    def wrapper(prep, part, cfg, seed, stage, build, val, common):
        fresh = {k: v.clone() for k, v in build(seed).state_dict().items()}
        state, info = real(prep, part, cfg, seed, stage, build, val, common)
        seen.append({"fresh": fresh, "pretrained": state, "part": part.copy(), "info": info})
        return state, info

    monkeypatch.setattr(train_module, "pretrain_stage", wrapper)
    return seen


def _close(a: dict, b: dict, atol: float) -> bool:
    return all(torch.allclose(a[k].float(), b[k].float(), atol=atol) for k in a)


def test_both_stages_change_the_weights_and_fine_tuning_starts_from_pretraining(
    human, pseudo, monkeypatch
) -> None:
    seen = _recording(monkeypatch)
    events: list[dict] = []
    pre = Pretraining.of([pseudo], ["pseudo.tsv"], epochs=3, lr=1e-2)
    res = train(human, method="supervised", epochs=2, pretrain=pre, progress=events.append, **OPTS)
    (rec,) = seen
    final = res.model.state_dict()
    assert not _close(rec["fresh"], rec["pretrained"], 1e-4)  # pre-training moved the weights
    assert not _close(rec["pretrained"], final, 1e-4)  # so did fine-tuning
    # with a vanishing fine-tuning rate the saved model is the pre-trained one
    seen.clear()
    still = train(human, method="supervised", epochs=1, pretrain=pre, **{**OPTS, "lr": 1e-12})
    assert _close(seen[0]["pretrained"], still.model.state_dict(), 1e-6)
    assert not _close(seen[0]["fresh"], still.model.state_dict(), 1e-4)
    stages = [e["stage"] for e in events if e.get("event") == "epoch"]
    assert stages == ["pretrain"] * 3 + ["train"] * 2


def test_noisy_student_teacher_and_students_start_from_pretraining(
    human, pseudo, monkeypatch
) -> None:
    seen = _recording(monkeypatch)
    pre = Pretraining.of([pseudo], epochs=2, lr=1e-2)
    res = train(human, method="noisy-student", epochs=1, pretrain=pre, **{**OPTS, "lr": 1e-12})
    assert res.card["training"]["iterations_run"] == 1  # the student is the saved model
    assert _close(seen[0]["pretrained"], res.model.state_dict(), 1e-6)
    phases = [h["phase"] for h in res.card["history"]]
    assert phases == ["teacher", "student1"] and len(res.card["pretrain"]["history"]) == 2


def test_card_records_both_stages_and_the_dropped_rows(human, pseudo) -> None:
    pre = Pretraining.of([pseudo, pseudo.iloc[:50]], ["a.tsv", "b.tsv"], epochs=2)
    res = train(human, method="supervised", epochs=3, pretrain=pre, **OPTS)
    card = res.card
    assert card["stages"] == ["pretrain", "fine-tune"]
    p = card["pretrain"]
    assert [t["source"] for t in p["tables"]] == ["a.tsv", "b.tsv"]
    assert [t["n_rows"] for t in p["tables"]] == [len(pseudo), 50]
    assert p["tables"][0]["species"] == {"sp": len(human) + len(human) // 5, "other": 20}
    assert p["settings"] == {"epochs": 2, "lr": None, "use": "labelled"}
    assert len(p["history"]) == 2 and len(card["history"]) == 3
    assert p["n_rows"] == len(pseudo) + 50 == p["n_used"] + sum(p["dropped"].values())
    assert p["n_pos"] + p["n_neg"] == p["n_used"] > 0
    # the split the run saved explains every drop (labelled rows of the two tables are kept)
    part = res.split["part"].to_numpy()
    both = pd.concat([pseudo, pseudo.iloc[:50]], ignore_index=True)
    _, want = naive_allowed(both, human, part, "labelled")
    assert p["dropped"] == want
    assert want["validation locus"] > 0 and want["held-out chromosome"] > 0
    assert all(h["val_auroc"] is not None for h in p["history"])  # scored on validation rows


def test_cross_validation_pretrains_every_fold(human, pseudo) -> None:
    pre = Pretraining.of([pseudo], epochs=1)
    res = train(human, method="supervised", epochs=1, split="cv", folds=2, pretrain=pre, **OPTS)
    folds = res.card["cv"]
    assert len(folds) == 2 and all(f["pretrain"]["n_used"] > 0 for f in folds)
    assert all(f["pretrain"]["dropped"]["validation locus"] > 0 for f in folds)
    assert res.card["pretrain"]["dropped"]["validation locus"] == 0  # the final refit


def test_pretraining_refuses_what_it_cannot_use(human, pseudo) -> None:
    with pytest.raises(NcvError, match="sequence-only model"):
        train(human, model="ssl_dnn", epochs=1, pretrain=Pretraining.of([pseudo]))
    short = pseudo.assign(seq=pseudo["seq"].str[:40])
    with pytest.raises(NcvError, match="table short.tsv: 'seq' windows must be 50 bp"):
        train(human, epochs=1, pretrain=Pretraining.of([short], ["short.tsv"]), **OPTS)
    with pytest.raises(NcvError, match=r"lacks the column\(s\) \['source_pos'\]"):
        train(human, epochs=1, pretrain=Pretraining.of([pseudo.drop(columns="source_pos")]), **OPTS)
    nowhere = pseudo.assign(source_chrom="chr7")
    with pytest.raises(NcvError, match="no pseudo-label is left"):
        train(human, epochs=1, pretrain=Pretraining.of([nowhere]), **OPTS)
    with pytest.raises(NcvError, match="unknown pre-training use"):
        Pretraining.of([pseudo], use="everything")
    with pytest.raises(NcvError, match="labels must be 1, 0 or empty"):
        train(human, epochs=1, pretrain=Pretraining.of([pseudo.assign(label=2)]), **OPTS)
