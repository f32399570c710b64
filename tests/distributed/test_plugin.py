"""The worker plugin: inputs opened once per worker from paths, torch threads set per worker."""

from __future__ import annotations

import uuid

from distributed import get_worker

from ncv_core.distributed.plugin import WorkerInputs, inputs_of


def _held(name: str) -> tuple[str, int, int, str]:
    import torch

    inputs = inputs_of(name)
    model = inputs.models["model"]
    return get_worker().address, id(inputs), torch.get_num_threads(), str(model.device)


def test_inputs_open_once_per_worker_with_its_torch_threads(cluster, demo_inputs) -> None:
    client = cluster.client
    names = []
    try:
        for threads in (2, 1):  # 1 last: the other tests' workers run one torch thread
            names.append(f"ncv-inputs-test-{uuid.uuid4().hex[:8]}")
            client.register_plugin(WorkerInputs(
                names[-1], genome=str(demo_inputs.genome), models={"model": str(demo_inputs.model)},
                device="cpu", torch_threads=threads,
            ))  # fmt: skip
            futures = [client.submit(_held, names[-1], pure=False) for _ in range(12)]
            got = client.gather(futures)
            per_worker: dict[str, set[int]] = {}
            for address, ident, n_threads, device in got:
                per_worker.setdefault(address, set()).add(ident)
                assert (n_threads, device) == (threads, "cpu")
            assert all(len(ids) == 1 for ids in per_worker.values())  # opened once per worker
    finally:
        for name in names:
            client.unregister_worker_plugin(name)
