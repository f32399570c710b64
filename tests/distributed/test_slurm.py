"""The SLURM job script that ``--cluster slurm --cluster-config FILE.yaml`` submits (there is no
SLURM here: the script's content is the contract), and the cluster options' checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ncv_core.distributed import open_cluster, slurm_job_script, slurm_settings
from ncv_core.errors import NcvError
from ncv_core.io.cluster_config import read_cluster_config


def test_cpu_job_script(tmp_path: Path) -> None:
    path = tmp_path / "slurm.yaml"
    path.write_text(
        "jobs: 4\ncores: 8\nworkers_per_job: 4\nmemory: 32GB\nwalltime: 04:00:00\n"
        "queue: normal\naccount: mylab\njob_script_prologue: [module load python/3.11]\n"
    )
    config = read_cluster_config(path)
    script = slurm_job_script(config, "tcp://10.1.2.3:8786")
    lines = script.splitlines()
    for directive in ("-J ncv-worker", "-p normal", "-A mylab", "-n 1", "--cpus-per-task=8",
                      "--mem=30G", "-t 04:00:00"):  # fmt: skip
        assert f"#SBATCH {directive}" in lines
    assert "module load python/3.11" in lines
    worker = lines[-1]
    assert " -m distributed.cli.dask_worker tcp://10.1.2.3:8786 " in worker
    assert "--nthreads 1 " in worker and "--nworkers 4 " in worker  # one thread each
    assert "--memory-limit 7.45GiB" in worker  # 32 GB shared by 4 workers
    assert "--resources" not in worker and "gres" not in script
    settings = slurm_settings(config)
    assert (settings["jobs"], settings["torch_threads"], settings["resources"]) == (4, 2, None)


def test_gpu_job_script_runs_one_worker_per_gpu() -> None:
    config = {"jobs": 2, "cores": 8, "gpus": 2, "memory": "64GB", "queue": "gpu"}
    script = slurm_job_script(config)
    assert "#SBATCH --gres=gpu:2" in script.splitlines()
    worker = script.splitlines()[-1]
    assert "--nworkers 2 " in worker and "--nthreads 1 " in worker
    assert worker.endswith("--resources GPU=1")
    settings = slurm_settings(config)
    assert settings["resources"] == {"GPU": 1} and settings["torch_threads"] == 4
    with pytest.raises(NcvError, match="one worker per GPU"):
        slurm_settings({**config, "workers_per_job": 1})
    with pytest.raises(NcvError, match="more than cores"):
        slurm_settings({"cores": 2, "workers_per_job": 3})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give one of"),
        ({"workers": 2, "scheduler": "tcp://x:1"}, "give one of"),
        ({"workers": 0}, "--workers must be positive"),
        ({"workers": 1, "torch_threads": 0}, "--torch-threads"),
        ({"cluster": "pbs"}, "unknown --cluster"),
        ({"cluster": "slurm"}, "needs --cluster-config"),
    ],
)
def test_cluster_option_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(NcvError, match=message), open_cluster(**kwargs):
        pass


def test_workers_of_one_machine_share_its_gpus_out() -> None:
    from ncv_core.distributed.plugin import pick_device

    assert pick_device(None, "SLURMCluster-3-1", 2) == "cuda:1"
    assert pick_device(None, "ncv-worker-4", 2) == "cuda:0"
    assert pick_device(None, 5, 4) == "cuda:1"  # a LocalCluster's names are 0, 1, ...
    assert pick_device(None, "x", 2) == "cuda:0"
    assert pick_device(None, "w-1", 1) is None  # one GPU (or none): the default rule
    assert pick_device("cpu", "w-1", 8) == "cpu"


def test_cluster_settings_without_a_cluster_are_refused(
    demo_inputs, tmp_path: Path, capsys
) -> None:
    from ncv_core.cli import main

    common = ["score", "--model", str(demo_inputs.model), "--loci", str(demo_inputs.vcf),
              "--genome", str(demo_inputs.genome), "--out", str(tmp_path / "s.tsv")]  # fmt: skip
    for flag, value in (("--cluster-config", "slurm.yaml"), ("--torch-threads", "2")):
        assert main([*common, flag, value]) == 2
        assert f"{flag} needs --workers N" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
