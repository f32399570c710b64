"""A worker killed while it scores a chunk: the scheduler runs the chunk again elsewhere and the
files are still complete and identical. (Runs last: the cluster has a restarted worker after.)"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from distributed import WorkerPlugin

from ncv_core.distributed import score_on_cluster
from ncv_core.score import score_file

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")


class KillOnce(WorkerPlugin):
    """SIGKILL this worker's process shortly after its first score task starts executing; only
    one worker of the cluster does it (the first to create ``marker``), and it writes the key
    of the task it interrupted into ``marker`` first."""

    name = "test-kill-once"

    def __init__(self, marker: str, delay: float) -> None:
        self.marker, self.delay = marker, delay

    def setup(self, worker) -> None:  # noqa: ANN001
        self.worker = worker

    def transition(self, key, start, finish, **kwargs) -> None:  # noqa: ANN001
        if finish != "executing" or not str(key).startswith("ncv-score-"):
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        threading.Thread(target=self._kill, args=(fd, key), daemon=True).start()

    def _kill(self, fd: int, key) -> None:  # noqa: ANN001
        time.sleep(self.delay)
        ts = self.worker.state.tasks.get(key)
        os.write(fd, f"{key} {ts.state if ts else 'gone'}".encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_worker_is_replaced_and_the_output_is_unchanged(
    demo_inputs, demo_model, cluster, tmp_path: Path
) -> None:
    args = (demo_inputs.vcf, demo_inputs.genome, demo_inputs.tracks, "GM12878")
    names = ("s.tsv", "s.parquet", "s.vcf")
    single = score_file(demo_model, *args, [tmp_path / f"one-{n}" for n in names], chunk_size=700)
    marker = tmp_path / "killed.txt"
    client = cluster.client
    client.register_plugin(KillOnce(os.fspath(marker), delay=0.02))
    try:
        many = score_on_cluster(
            client, demo_model, *args, [tmp_path / f"two-{n}" for n in names], chunk_size=700
        )
    finally:
        client.unregister_worker_plugin(KillOnce.name)
    key, state = marker.read_text().split()
    assert key.startswith("ncv-score-") and state == "executing"  # killed mid-chunk
    for a, b in zip([*single.outputs, single.report], [*many.outputs, many.report], strict=True):
        assert a.read_bytes() == b.read_bytes(), b.name
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_a_killed_run_leaves_no_file_under_an_output_name(demo_inputs, tmp_path: Path) -> None:
    """``ncv score --workers 1`` killed (SIGKILL, client and workers) once its chunks are being
    scored: no output, no report; only hidden work files stay."""
    import subprocess
    import sys

    from _cluster_cases import messy_vcf_lines, write_lines

    root = Path(__file__).resolve().parents[2]
    loci = write_lines(
        messy_vcf_lines(demo_inputs.genome, 20_000, seed=5).lines, tmp_path / "v.vcf"
    )
    cmd = [sys.executable, "-m", "ncv_core", "score", "--model", str(demo_inputs.model),
           "--loci", str(loci), "--genome", str(demo_inputs.genome), "--tracks",
           str(demo_inputs.tracks), "--cell-line", "GM12878", "--out", str(tmp_path / "s.parquet"),
           "--chunk-size", "1000", "--workers", "1", "--background", "0"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=root, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".s.parquet.*/chunk-*.scores.parquet")):  # scoring began
            assert proc.poll() is None and time.monotonic() < deadline, "no chunk was scored"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the client and the cluster it started
        proc.wait()
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & {"s.parquet", "s.rejected.tsv", "s.parquet.meta.json"}
    assert all(n.startswith(".") or n == "v.vcf" for n in names), names
