"""Feature tables built on the cluster equal the single process's (``ncv features --workers``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ncv_core.cli import main
from ncv_core.distributed import features_on_cluster
from ncv_core.features.build import build_features
from ncv_core.io.tables import write_table

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")


def test_cluster_features_equal_build_features(demo_inputs, cluster, tmp_path) -> None:
    loci = demo_inputs.loci_tsv  # the demo's loci: baseline columns, labels (the VCF: below)
    args = (loci, demo_inputs.genome, demo_inputs.tracks, "GM12878")
    one = build_features(*args, use_cache=False, chunk_size=900)
    many = features_on_cluster(
        cluster.client, *args, work_dir=tmp_path, use_cache=False, chunk_size=900
    )
    pd.testing.assert_frame_equal(one.table, many.table, check_exact=True)
    assert one.meta == many.meta
    assert one.rejected == many.rejected
    write_table(one.table, tmp_path / "one.parquet", one.meta)
    write_table(many.table, tmp_path / "many.parquet", many.meta)
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "many.parquet").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.parquet", "one.parquet"]


def test_cli_features_on_a_running_scheduler(demo_inputs, cluster, tmp_path: Path, capsys) -> None:
    common = ["features", "--loci", str(demo_inputs.vcf), "--genome", str(demo_inputs.genome),
              "--tracks", str(demo_inputs.tracks), "--cell-line", "GM12878", "--no-cache",
              "--chunk-size", "1000"]  # fmt: skip
    address = cluster.client.scheduler.address
    assert main([*common, "--out", str(tmp_path / "one.tsv")]) == 0
    assert main([*common, "--out", str(tmp_path / "two.tsv"), "--scheduler", address]) == 0
    assert f"the scheduler at {address}" in capsys.readouterr().err
    for suffix in (".tsv", ".tsv.meta.json", ".rejected.tsv"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
