"""Group ablation: which models and features each run gets, metrics equal to direct training,
paired deltas, and the same numbers in worker processes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synthetic import META, one_thread, synthetic_table  # noqa: F401 (one_thread: autouse)

from ncv_core.errors import NcvError
from ncv_core.interpret.ablation import group_ablation
from ncv_core.metrics import mean_se
from ncv_core.training import train

FAST = {"epochs": 2, "folds": 3, "seed": 1}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    t = synthetic_table(150, seed=2, n_chrom=3)
    t["GC_count"] = t["seq"].str.count("G") + t["seq"].str.count("C")
    return t


@pytest.fixture(scope="module")
def meta() -> dict:
    return META | {"feature_columns": [*META["feature_columns"], "GC_count"]}


@pytest.fixture(scope="module")
def result(table, meta):
    events = []
    groups = ["VI_dnase", "II_promoter", "nucleotide", "sequence"]
    res = group_ablation(table, meta=meta, groups=groups, progress=events.append, **FAST)
    return res, events


def test_runs_map_onto_models_and_features(result) -> None:
    res, _ = result
    t = res.table.set_index(["group", "mode"])
    assert t.loc[("all", "all"), "model"] == "ssl_dnn"
    assert t.loc[("all", "all"), "features"].split(",") == [
        "DNase_max", "DNase_sum", "H3K27ac_max", "noise", "GC_count",
    ]  # fmt: skip
    assert t.loc[("VI_dnase", "only"), "model"] == "mlp"
    assert t.loc[("VI_dnase", "only"), "features"] == "DNase_max,DNase_sum"
    assert t.loc[("VI_dnase", "without"), "model"] == "ssl_dnn"
    assert t.loc[("VI_dnase", "without"), "features"] == "H3K27ac_max,noise,GC_count"
    assert t.loc[("nucleotide", "only"), "features"] == "GC_count"
    seq_only, no_seq = t.loc[("sequence", "only")], t.loc[("sequence", "without")]
    assert (seq_only["model"], seq_only["n_features"], seq_only["uses_seq"]) == ("ssl_dnn", 0, True)
    assert (no_seq["model"], no_seq["n_features"], no_seq["uses_seq"]) == ("mlp", 5, False)
    skipped = t.loc[("II_promoter", "only")]
    assert np.isnan(skipped["auroc"]) and "no column" in skipped["note"]
    assert list(res.table["mode"]) == ["all"] + ["only"] * 4 + ["without"] * 4


def test_metrics_equal_direct_cross_validation(result, table, meta) -> None:
    res, events = result
    direct = train(
        table, meta=meta, model="mlp", feature_cols=("DNase_max", "DNase_sum"),
        method="supervised", split="cv", **FAST,
    )  # fmt: skip
    row = res.table.set_index(["group", "mode"]).loc[("VI_dnase", "only")]
    assert row["auroc"] == pytest.approx(direct.metrics["val_auroc"], abs=1e-12)
    assert row["auroc_se"] == pytest.approx(direct.metrics["val_auroc_se"], abs=1e-12)
    folds = res.folds[(res.folds.group == "VI_dnase") & (res.folds["mode"] == "only")]
    ref = res.folds[res.folds["mode"] == "all"]
    assert list(folds["auroc"]) == [f["val_auroc"] for f in direct.metrics["folds"]]
    delta, se = mean_se(folds["auroc"].to_numpy() - ref["auroc"].to_numpy())
    assert (row["delta_auroc"], row["delta_auroc_se"]) == pytest.approx((delta, se))
    assert row["auroc"] > 0.75  # the planted DNase signal
    assert [e["done"] for e in events] == list(range(1, 8)) and events[-1]["total"] == 7


def test_worker_processes_give_the_same_numbers(result, table, meta) -> None:
    res, _ = result
    again = group_ablation(
        table, meta=meta, groups=["VI_dnase", "sequence"], n_jobs=2, **FAST
    ).table.set_index(["group", "mode"])
    first = res.table.set_index(["group", "mode"]).loc[again.index]
    cols = ["auroc", "auroc_se", "aupr", "accuracy", "delta_auroc"]
    assert np.array_equal(again[cols].to_numpy(float), first[cols].to_numpy(float), equal_nan=True)


def test_tabular_only_tables_and_options(table, meta) -> None:
    res = group_ablation(
        table.drop(columns=["seq"]), meta=meta, groups=["sequence", "VI_dnase"],
        include_all=False, kinds=("max",), **FAST,
    )  # fmt: skip
    t = res.table.set_index(["group", "mode"])
    assert t.loc[("VI_dnase", "only"), "features"] == "DNase_max"
    assert t.loc[("VI_dnase", "without"), "model"] == "mlp"
    assert "no sequence" in t.loc[("sequence", "only"), "note"]
    assert res.table["delta_auroc"].isna().all()
    with pytest.raises(NcvError, match="unknown group"):
        group_ablation(table, meta=meta, groups=["VII"])
    with pytest.raises(NcvError, match="tabular"):
        group_ablation(table, meta=meta, model="deepbind")
    with pytest.raises(NcvError, match="feature kind"):
        group_ablation(table, meta=meta, kinds=("mean",))


def test_two_ablations_in_threads_at_once_train_on_their_own_tables(
    table, meta, monkeypatch
) -> None:
    """Two app sessions ablating different tables in threads of one process: every training of
    each thread reads that thread's table (no module-global table in this process)."""
    import threading

    import ncv_core.training as training

    real, seen = training.train, []

    def spy(t: pd.DataFrame, **kw):
        seen.append((threading.current_thread().name, id(t)))
        return real(t, **kw)

    monkeypatch.setattr(training, "train", spy)
    tables = {"a": table.drop(columns=["seq"]), "b": table.drop(columns=["seq"]).iloc[:120]}
    barrier, out = threading.Barrier(2), {}

    def work(name: str) -> None:
        barrier.wait()
        kwargs = {"groups": ["VI_dnase", "nucleotide"], "threads": None, **FAST}
        out[name] = group_ablation(tables[name], meta=meta, **kwargs).table

    workers = [threading.Thread(target=work, args=(n,), name=n) for n in tables]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert set(out) == {"a", "b"} and all(len(t) == 5 for t in out.values())
    assert sorted(seen) == sorted([(n, id(tables[n])) for n in tables for _ in range(5)])
    for t in out.values():
        assert t["auroc"].between(0, 1).all()


def test_stop_ends_the_ablation_within_a_run(table, meta) -> None:
    import threading

    stop = threading.Event()
    seen = []

    def progress(ev: dict) -> None:
        seen.append(ev)
        stop.set()  # after the first run

    with pytest.raises(NcvError, match="stopped"):
        group_ablation(
            table.drop(columns=["seq"]), meta=meta, groups=["VI_dnase", "nucleotide"],
            progress=progress, stop=stop, **FAST,
        )  # fmt: skip
    assert len(seen) == 1

    class Countdown:
        """Set after a few checks: inside the first run's training (between its epochs)."""

        def __init__(self) -> None:
            self.n = 0

        def is_set(self) -> bool:
            self.n += 1
            return self.n > 3

    with pytest.raises(NcvError, match="stopped"):
        group_ablation(table.drop(columns=["seq"]), meta=meta, stop=Countdown(), **FAST)
