"""fastISM-style partial recomputation for saturation mutagenesis of sequence CNNs.

A single-base substitution at position ``p`` changes a convolution's output only within its
receptive field, a max-pool's output only in the pools that cover the change, and an element-wise
layer's output only where its input changed. For the leading run of such *local* layers of a
model (``Conv1d`` with stride 1, ``MaxPool1d`` with stride equal to its kernel, eval-mode
``BatchNorm1d``, dropout and element-wise activations), the mutants' activations are computed
only on a window around ``p`` (a "patch"), from the reference sequence's activations computed
once per sequence; the patch is written into the reference activation where the local run ends
(or where the window would cover the whole layer), and the rest of the network runs as usual.

The arithmetic per output position is the same as in the full forward, so the results equal the
full forward's up to floating-point summation order (in practice bitwise equal on the CPU; the
tests compare with a naive loop). The layer graph is read with ``torch.fx``; a model whose graph
cannot be traced, or does not start with such a run on ``x_seq``, is not handled here (the caller
falls back to full forwards).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn

ELEMENTWISE: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ELU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Softplus,
    nn.Dropout, nn.Identity,
)  # fmt: skip
"""Modules that act position by position in eval mode (dropout is the identity)."""


class _OwnThreadTracer(fx.Tracer):
    """A tracer that lets other threads' module calls through untouched.

    While it traces, ``torch.fx`` patches ``nn.Module.__call__`` and ``__getattr__`` for the whole
    process; a forward running in another thread then reached the tracer and failed ("module is
    not installed as a submodule"). Calls from other threads go to the original methods here.
    """

    def __init__(self) -> None:
        super().__init__()
        self._thread = threading.get_ident()

    def call_module(self, m, forward, args, kwargs):  # noqa: ANN001, ANN201 - fx's signature
        if threading.get_ident() != self._thread:
            return forward(*args, **kwargs)
        return super().call_module(m, forward, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache):  # noqa: ANN001, ANN201
        if threading.get_ident() != self._thread:
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)


_TRACING = threading.Lock()
"""One trace at a time: each patches ``nn.Module`` and restores what it found, so two at once
could leave the other's patch in place."""


def _trace(model: nn.Module) -> fx.GraphModule:
    """``fx.symbolic_trace(model)`` (``x_tab=None``), safe beside other threads' forwards."""
    with _TRACING:
        tracer = _OwnThreadTracer()
        graph = tracer.trace(model, concrete_args={"x_tab": None})
        return fx.GraphModule(tracer.root, graph, type(model).__name__)


def _local(m: nn.Module) -> bool:
    """Whether ``m`` changes its output only near a changed input position (eval mode)."""
    if isinstance(m, ELEMENTWISE):
        return True
    if isinstance(m, nn.BatchNorm1d):
        return m.track_running_stats and m.running_mean is not None
    if isinstance(m, nn.Conv1d):
        return (
            m.stride == (1,) and m.dilation == (1,) and m.groups == 1
            and m.padding_mode == "zeros"
        )  # fmt: skip
    if isinstance(m, nn.MaxPool1d):
        k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
        s = m.stride if isinstance(m.stride, int) else m.stride[0]
        pad = m.padding if isinstance(m.padding, int) else m.padding[0]
        dil = m.dilation if isinstance(m.dilation, int) else m.dilation[0]
        return s == k and pad == 0 and dil == 1 and not m.return_indices
    return False


@dataclass
class _Layer:
    """One local layer and, for convolutions and pools, its patch geometry."""

    module: nn.Module
    kind: str  # "conv", "pool" or "elem"
    k: int = 1
    pad_left: int = 0
    pad_total: int = 0


def _layer(m: nn.Module) -> _Layer:
    if isinstance(m, nn.Conv1d):
        k = m.kernel_size[0]
        if m.padding == "same":
            return _Layer(m, "conv", k, (k - 1) // 2, k - 1)
        pad = 0 if m.padding == "valid" else m.padding[0]
        return _Layer(m, "conv", k, pad, 2 * pad)
    if isinstance(m, nn.MaxPool1d):
        k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
        return _Layer(m, "pool", k)
    return _Layer(m, "elem")


class PartialISM:
    """Positive logits of single-base mutants of a traced sequence CNN, by partial recomputation.

    Build with :meth:`build` (None when the model is not suitable). ``softmax`` says whether the
    output is a two-logit softmax head (positive logit ``z1 - z0``) or sigmoid logits.
    """

    def __init__(self, gm: fx.GraphModule, chain: list[fx.Node], softmax: bool) -> None:
        self.gm, self.chain, self.softmax = gm, chain, softmax
        modules = dict(gm.named_modules())
        self.layers = [_layer(modules[n.target]) for n in chain]
        self.placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
        self.interpreter = fx.Interpreter(gm)

    @classmethod
    def build(cls, model: nn.Module) -> PartialISM | None:
        """Trace ``model``; None unless ``forward(x_seq)`` starts with local layers on ``x_seq``
        (at least one convolution) and nothing after them reads ``x_seq`` or their insides."""
        if getattr(model, "uses_tab", False):
            return None
        try:
            gm = _trace(model)
        except Exception:  # untraceable forward: full forwards instead
            return None
        modules = dict(gm.named_modules())
        cur = next((n for n in gm.graph.nodes if n.op == "placeholder"), None)
        chain: list[fx.Node] = []
        while cur is not None and len(cur.users) == 1:
            (user,) = cur.users
            if user.op != "call_module" or len(user.all_input_nodes) != 1:
                break
            if not _local(modules[user.target]):
                break
            chain.append(user)
            cur = user
        if not any(isinstance(modules[n.target], nn.Conv1d) for n in chain):
            return None
        return cls(gm, chain, model.head == "softmax")

    def reference(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations of ``x`` ``(S, 4, L)``: the input of every local layer, then the output."""
        acts = [x]
        for layer in self.layers:
            acts.append(layer.module(acts[-1]))
        return acts

    def _windows(self, acts: list[torch.Tensor]) -> list[tuple | None]:
        """Per local layer, the padded reference's sliding windows (None: patch covers it all)."""
        plans: list[tuple | None] = []
        width = 1
        for i, layer in enumerate(self.layers):
            ref, out_len = acts[i], acts[i + 1].shape[2]
            if layer.kind == "elem":
                plans.append(("elem",))
                continue
            if layer.kind == "conv":
                out_w = width + layer.k - 1
                span = out_w + layer.k - 1
                padded = F.pad(ref, (layer.pad_left, layer.pad_total - layer.pad_left))
            else:
                out_w = (width + layer.k - 2) // layer.k + 1
                span = out_w * layer.k + layer.k - 1
                padded = F.pad(ref, (0, span), value=float("-inf"))
            if out_w > out_len:
                plans.append(None)
                break
            plans.append((padded.unfold(2, span, 1), out_len, out_w))
            width = out_w
        return plans

    def _patch(self, plans, seq, pos, base, n_channels):
        """Run the patches through the local layers; ``(layer index, start, width, values)``."""
        n = len(seq)
        values = torch.zeros((n, n_channels, 1), device=seq.device)
        values[torch.arange(n, device=seq.device), base, 0] = 1.0
        start, width = pos, 1
        for i, (layer, plan) in enumerate(zip(self.layers, plans, strict=False)):
            if plan is None:
                return i, start, width, values
            if plan[0] == "elem":
                values = layer.module(values)
                continue
            windows, out_len, out_w = plan
            if layer.kind == "conv":
                new = (start + layer.pad_left - layer.k + 1).clamp(0, out_len - out_w)
                g = windows[seq, :, new]  # (B, C, out_w + k - 1), padded coordinates
                offset = start - new + layer.pad_left
            else:
                new = torch.div(start, layer.k, rounding_mode="floor").clamp(0, out_len - out_w)
                g = windows[seq, :, new * layer.k]
                offset = start - new * layer.k
            idx = offset[:, None] + torch.arange(width, device=seq.device)[None, :]
            g.scatter_(2, idx[:, None, :].expand(-1, g.shape[1], -1), values)
            if layer.kind == "conv":
                values = F.conv1d(g, layer.module.weight, layer.module.bias)
            else:
                values = F.max_pool1d(g[:, :, : out_w * layer.k], layer.k, layer.k)
            start, width = new, out_w
        return len(self.layers), start, width, values

    def mutant_logits(
        self,
        acts: list[torch.Tensor],
        plans: list,
        seq: torch.Tensor,
        pos: torch.Tensor,
        base: torch.Tensor,
    ) -> torch.Tensor:
        """Positive logits ``(B, T)`` of mutants ``(seq, pos, base)`` of the reference chunk."""
        i, start, width, values = self._patch(plans, seq, pos, base, acts[0].shape[1])
        full = acts[i][seq]
        idx = start[:, None] + torch.arange(width, device=seq.device)[None, :]
        full.scatter_(2, idx[:, None, :].expand(-1, full.shape[1], -1), values)
        for layer in self.layers[i:]:
            full = layer.module(full)
        env = {node: None for node in [*self.placeholders, *self.chain[:-1]]}
        env[self.chain[-1]] = full
        out = self.interpreter.run(None, None, initial_env=env)
        if self.softmax:
            return (out[:, 1] - out[:, 0]).unsqueeze(1)
        return out.reshape(out.shape[0], -1)

    def plans(self, acts: list[torch.Tensor]) -> list:
        """Window views of one chunk's reference activations (see :meth:`mutant_logits`)."""
        return self._windows(acts)
