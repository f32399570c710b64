"""A 2-worker LocalCluster (processes, one thread each) shared by the distributed tests, the demo
genome and tracks, and a small model trained on them."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from _cluster_cases import messy_vcf_lines, write_lines

from ncv_core.demo import ensure_demo
from ncv_core.errors import NcvWarning
from ncv_core.features.build import build_features
from ncv_core.io.model_folder import load_model, save_model
from ncv_core.training import train


@dataclass
class Inputs:
    genome: Path
    tracks: Path
    model: Path
    vcf: Path
    lines: list[str]
    loci_tsv: Path


@pytest.fixture(scope="session")
def cluster():
    """Two worker processes; closed at the end of the session."""
    from ncv_core.distributed import open_cluster

    with open_cluster(workers=2) as c:
        yield c


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    """The demo (built once per session, shared with the app tests), an ssl_dnn trained for one
    epoch on an eighth of its GM12878 loci, and a 3,000-variant VCF with planted oddities."""
    base = tmp_path_factory.getbasetemp()
    demo = ensure_demo(base / "app-demo")
    out = tmp_path_factory.mktemp("cluster-inputs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NcvWarning)
        res = build_features(
            demo.loci["GM12878"], demo.genome, demo.tracks, "GM12878", cache_dir=out / "cache"
        )
        table = res.table.iloc[::8].reset_index(drop=True)
        save_model(train(table, meta=res.meta, method="supervised", epochs=1, seed=0), out / "m")
    messy = messy_vcf_lines(demo.genome, 3000, seed=0)
    vcf = write_lines(messy.lines, out / "messy.vcf")
    return Inputs(demo.genome, demo.tracks, out / "m", vcf, messy.lines, demo.loci["GM12878"])


@pytest.fixture(scope="session")
def demo_model(demo_inputs: Inputs):
    return load_model(demo_inputs.model, device="cpu")
