"""Reading ``--cluster-config FILE.yaml``: checked keys and types, YAML's traps handled."""

from __future__ import annotations

from pathlib import Path

import pytest

from ncv_core.errors import NcvError
from ncv_core.io.cluster_config import read_cluster_config


def test_a_full_configuration(tmp_path: Path) -> None:
    path = tmp_path / "slurm.yaml"
    path.write_text(
        "jobs: 4\ncores: 8\nmemory: 32GB\nwalltime: 04:30:00\nqueue: normal\naccount: lab\n"
        "job_script_prologue: source ~/venv/bin/activate\n"
        "job_extra_directives: [--constraint=avx2]\n"
    )
    assert read_cluster_config(path) == {
        "jobs": 4,
        "cores": 8,
        "memory": "32GB",
        "walltime": "04:30:00",  # YAML 1.1 read it as 16200 seconds
        "queue": "normal",
        "account": "lab",
        "job_script_prologue": ["source ~/venv/bin/activate"],
        "job_extra_directives": ["--constraint=avx2"],
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("jobs: 2\ncpus: 4\n", "unknown key"),
        ("cores: four\n", "cores: expected a positive whole number"),
        ("cores: 0\n", "positive"),
        ("gpus: true\n", "gpus"),
        ("memory: 16\n", "write a unit, e.g. 16GB"),
        ("- jobs\n", "a mapping"),
        ("jobs: [1\n", "not valid YAML"),
        ("job_extra_directives: {a: 1}\n", "a list of text lines"),
        ("!!python/object:os.system {}\n", "not valid YAML"),  # safe_load: no objects
    ],
)
def test_bad_configurations_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(NcvError, match=message) as exc:
        read_cluster_config(path)
    assert str(path) in str(exc.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NcvError, match="cannot read the cluster configuration"):
        read_cluster_config(tmp_path / "none.yaml")
