"""Attributions on the sequence input: captum's gradient and DeepLIFT methods, wrapped here only.

Every method explains the *positive logit* of one output (``z1 - z0`` for a softmax head, a task
logit for a sigmoid head) with respect to the one-hot sequence, per position x base. A model's
tabular features are held fixed at each sequence's own values (passed to captum as additional
forward arguments, the same for input and baseline), so they receive no attribution.

Methods (``method=``):

- ``"ig"``: Integrated Gradients from a baseline (default all zeros), ``n_steps`` Gauss-Legendre
  points, ``internal_batch_size`` rows per forward; completeness: ``sum(attr) = f(x) - f(base)``
  up to the reported convergence delta.
- ``"deeplift"``: DeepLIFT rescale rule (captum), same baselines. Completeness is exact through
  linear layers, batch norm and ReLU; captum's max-pool rule is exact only while each pool's
  winning position is the same for input and reference, so the convergence delta is reported.
  Every activation and pooling layer must be its own module: a reused module raises an error
  (an activation applied functionally, ``torch.relu``, is invisible to DeepLIFT and shows up as
  a large convergence delta).
- ``"deeplift_shap"``: DeepLIFT averaged over ``n_shuffles`` dinucleotide-shuffled references of
  each sequence (:func:`dinucleotide_shuffle`); completeness against the mean reference output.
- ``"saliency"``: the signed gradient ``d f / d x`` (not its absolute value).
- ``"input_x_gradient"``: ``x * d f / d x`` (non-zero at the reference bases only).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from captum.attr import DeepLift, InputXGradient, IntegratedGradients, Saliency
from torch import nn

from ncv_core.constants import BASES
from ncv_core.device import resolve_device
from ncv_core.errors import NcvError
from ncv_core.interpret._model import (
    TAB_FIXED,
    TAB_UNUSED,
    PositiveLogit,
    as_seq_tensor,
    as_tab_tensor,
    batched,
    check_model,
    is_contract_model,
    n_outputs,
    private_copy,
    ref_indices,
)
from ncv_core.interpret._shuffle import dinucleotide_shuffle
from ncv_core.progress import ProgressFn, progress_or_bar, report

__all__ = ["AttributionResult", "METHODS", "attribute", "attribution_table", "dinucleotide_shuffle"]

METHODS: tuple[str, ...] = ("ig", "deeplift", "deeplift_shap", "saliency", "input_x_gradient")

DEEPLIFT_NONLINEAR: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus,
    nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.Softmax,
)  # fmt: skip
"""The modules captum's DeepLIFT gives its own rule (captum 0.9 ``SUPPORTED_NON_LINEAR``)."""


@dataclass(frozen=True)
class AttributionResult:
    """Attributions of ``N`` sequences of length ``L`` for one output.

    Attributes
    ----------
    attributions : numpy.ndarray
        ``(N, L, 4)`` float64, position x base in A,C,G,T order.
    method : str
        One of :data:`METHODS`.
    task : int
        The output explained (0 for a softmax head).
    logit : numpy.ndarray
        ``(N,)`` positive logit of each sequence.
    baseline_logit : numpy.ndarray
        ``(N,)`` positive logit of the baseline (mean over the references for
        ``deeplift_shap``); NaN for the gradient-only methods.
    delta : numpy.ndarray
        ``(N,)`` convergence delta ``sum(attributions) - (logit - baseline_logit)``; NaN for the
        gradient-only methods.
    ref_index : numpy.ndarray
        ``(N, L)`` int64 reference base index, -1 at an N.
    tabular : str
        How tabular features were treated.
    """

    attributions: np.ndarray
    method: str
    task: int
    logit: np.ndarray
    baseline_logit: np.ndarray
    delta: np.ndarray
    ref_index: np.ndarray
    tabular: str


def _check_reused_modules(net: nn.Module, x: torch.Tensor, tab: torch.Tensor | None) -> None:
    """Raise when a DeepLIFT non-linearity module runs more than once per forward."""
    calls: dict[str, int] = {}
    handles = []
    for name, module in net.named_modules():
        if isinstance(module, DEEPLIFT_NONLINEAR):

            def hook(_m: nn.Module, _i: object, _o: object, name: str = name) -> None:
                calls[name] = calls.get(name, 0) + 1

            handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            net(x, tab)
    finally:
        for h in handles:
            h.remove()
    reused = {name.removeprefix("model."): n for name, n in calls.items() if n > 1}
    if reused:
        listed = ", ".join(f"{k!r} ({v} calls)" for k, v in reused.items())
        raise NcvError(
            f"DeepLIFT needs every activation and pooling layer to be its own module, but "
            f"{listed} run more than once per forward; give each layer its own nn.ReLU / "
            "nn.MaxPool1d instance (or use method='ig')"
        )


def _baseline(baseline: str | np.ndarray | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The IG / DeepLIFT baseline of every sequence, ``(N, 4, L)``."""
    if isinstance(baseline, str):
        if baseline == "zeros":
            return torch.zeros_like(x)
        if baseline == "uniform":
            return torch.full_like(x, 0.25)
        raise NcvError(f"unknown baseline {baseline!r}; expected 'zeros', 'uniform' or an array")
    b = as_seq_tensor(baseline, "baseline")
    if b.shape[2] != x.shape[2] or b.shape[0] not in (1, x.shape[0]):
        raise NcvError(
            f"baseline has shape {tuple(b.shape)}; expected (4, {x.shape[2]}), (1, 4, "
            f"{x.shape[2]}) or one per sequence {tuple(x.shape)}"
        )
    return b.expand(x.shape[0], -1, -1) if b.shape[0] == 1 else b


def _references(method: str, x: torch.Tensor, base: torch.Tensor | None, n_shuffles: int, rng):
    """Baselines for a chunk: ``(B, 4, L)``, or ``(B, S, 4, L)`` for ``deeplift_shap``."""
    if method == "deeplift_shap":
        return torch.from_numpy(dinucleotide_shuffle(x.numpy(), n_shuffles, random_state=rng))
    return base


def _attribute_chunk(
    net: nn.Module,
    method: str,
    x: torch.Tensor,
    tab: torch.Tensor | None,
    refs: torch.Tensor | None,
    task: int,
    n_steps: int,
    internal_batch_size: int,
) -> torch.Tensor:
    """captum on one chunk of sequences on the model's device: ``(B, 4, L)``."""
    args = None if tab is None else (tab,)
    x = x.clone().requires_grad_(True)
    if method == "ig":
        ig = IntegratedGradients(net)
        return ig.attribute(
            x, refs, target=task, additional_forward_args=args, n_steps=n_steps,
            internal_batch_size=internal_batch_size,
        )  # fmt: skip
    if method == "deeplift":
        return DeepLift(net).attribute(x, refs, target=task, additional_forward_args=args)
    if method == "deeplift_shap":
        n_ref = refs.shape[1]
        rep = x.detach().repeat_interleave(n_ref, 0).requires_grad_(True)
        rep_args = None if tab is None else (tab.repeat_interleave(n_ref, 0),)
        flat = refs.reshape(-1, *x.shape[1:])
        attr = DeepLift(net).attribute(rep, flat, target=task, additional_forward_args=rep_args)
        return attr.reshape(x.shape[0], n_ref, *x.shape[1:]).mean(dim=1)
    if method == "saliency":
        return Saliency(net).attribute(x, target=task, abs=False, additional_forward_args=args)
    return InputXGradient(net).attribute(x, target=task, additional_forward_args=args)


def _logits(net: nn.Module, x: torch.Tensor, tab: torch.Tensor | None, task: int) -> torch.Tensor:
    """Positive logit of output ``task`` for ``(B, 4, L)`` (or ``(B, S, 4, L)``: mean over S)."""
    with torch.no_grad():
        if x.ndim == 4:
            n_ref = x.shape[1]
            rep = None if tab is None else tab.repeat_interleave(n_ref, 0)
            out = net(x.reshape(-1, *x.shape[2:]), rep)[:, task]
            return out.reshape(-1, n_ref).mean(dim=1).cpu().double()
        return net(x, tab)[:, task].cpu().double()


def _prepare(
    model: nn.Module, method: str, task: int, device: str | torch.device | None
) -> tuple[nn.Module, torch.device, str]:
    """The positive-logit module on ``device``, the device, and the tabular note."""
    if method not in METHODS:
        raise NcvError(
            f"unknown attribution method {method!r}; expected one of {', '.join(METHODS)}"
        )
    dev = resolve_device(device)
    if is_contract_model(model):
        check_model(model)
        net, note = (
            PositiveLogit(private_copy(model, dev)),
            TAB_FIXED if model.uses_tab else TAB_UNUSED,
        )
        n_out = n_outputs(model)
        if not 0 <= task < n_out:
            raise NcvError(f"task {task} out of range: the model has {n_out} positive logit(s)")
        return net, dev, note
    if not isinstance(model, nn.Module):
        raise NcvError(f"expected a contract model (an nn.Module), got {type(model).__name__}")
    return private_copy(model, dev), dev, "module given: tabular features, if any, are the caller's"


def attribute(
    model: nn.Module,
    x_seq: np.ndarray | torch.Tensor,
    x_tab: np.ndarray | torch.Tensor | None = None,
    *,
    method: str = "ig",
    task: int = 0,
    baseline: str | np.ndarray | torch.Tensor = "zeros",
    n_steps: int = 50,
    n_shuffles: int = 20,
    internal_batch_size: int = 256,
    progress: ProgressFn | None = None,
    batch_size: int = 32,
    device: str | torch.device | None = None,
    verbose: bool = False,
    random_state: int | np.random.Generator | None = None,
) -> AttributionResult:
    """Attribute a model's positive logit to every position x base of each sequence.

    Parameters
    ----------
    model : nn.Module
        A contract model, or any ``nn.Module`` with ``forward(x_seq, x_tab) -> (B, T)``
        positive logits.
    x_seq : array or tensor
        ``(N, 4, L)`` (or ``(4, L)``) one-hot sequences, A,C,G,T.
    x_tab : array or tensor, optional
        ``(N, F)`` tabular features (or one ``(F,)`` row for all), held fixed.
    method : str
        One of :data:`METHODS` (see the module docstring).
    task : int
        Which positive logit to explain (0 for a softmax head).
    baseline : {"zeros", "uniform"} or array
        IG / DeepLIFT reference: all zeros, 0.25 everywhere, or ``(N, 4, L)`` / ``(4, L)``.
        Ignored by ``deeplift_shap`` (dinucleotide shuffles) and the gradient-only methods.
    n_steps : int
        IG integration points.
    n_shuffles : int
        References per sequence for ``deeplift_shap``.
    internal_batch_size : int
        IG rows (sequences x steps) per forward/backward.
    progress : callable, optional
        Receives ``{"stage": "attribute", "done": sequences, "total": N}``.
    batch_size : int
        Sequences per captum call (times ``n_shuffles`` rows for ``deeplift_shap``).
    device : str or torch.device, optional
        None: CUDA if available, else CPU. Results come back on the CPU.
    verbose : bool
        Draw a progress bar on stderr when no ``progress`` callback is given.
    random_state : int or numpy.random.Generator, optional
        Seeds the dinucleotide shuffles.

    Returns
    -------
    AttributionResult
        ``(N, L, 4)`` attributions with the logits and convergence deltas.
    """
    net, dev, note = _prepare(model, method, task, device)
    x = as_seq_tensor(x_seq)
    tab = as_tab_tensor(x_tab, x.shape[0])
    base = _baseline(baseline, x) if method in ("ig", "deeplift") else None
    settings = {"n_steps": n_steps, "n_shuffles": n_shuffles, "baseline": base}
    settings |= {"internal_batch_size": internal_batch_size, "batch_size": batch_size}
    sink = progress_or_bar(progress, verbose)
    rng = np.random.default_rng(random_state)
    with torch.enable_grad():
        if method in ("deeplift", "deeplift_shap"):
            _check_reused_modules(net, x[:1].to(dev), None if tab is None else tab[:1].to(dev))
        attrs, logits, base_logits = _run(net, dev, method, task, x, tab, settings, rng, sink)
    return _result(method, task, x, attrs, logits, base_logits, note)


def _run(net, dev, method, task, x, tab, settings, rng, sink) -> tuple[list, list, list]:
    """captum over chunks of ``batch_size`` sequences: attributions, logits, baseline logits."""
    attrs, logits, base_logits = [], [], []
    for sl in batched(x.shape[0], settings["batch_size"]):
        xb = x[sl].to(dev)
        tb = None if tab is None else tab[sl].to(dev)
        refs = None
        if method in ("ig", "deeplift", "deeplift_shap"):
            base = None if method == "deeplift_shap" else settings["baseline"][sl]
            refs = _references(method, x[sl], base, settings["n_shuffles"], rng).to(dev)
            base_logits.append(_logits(net, refs, tb, task))
        with warnings.catch_warnings():  # captum's note that it sets hooks, on every call
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
            attr = _attribute_chunk(
                net,
                method,
                xb,
                tb,
                refs,
                task,
                settings["n_steps"],
                settings["internal_batch_size"],
            )
        attrs.append(attr.detach().cpu().double())
        logits.append(_logits(net, xb, tb, task))
        report(sink, "attribute", sl.stop, x.shape[0])
    return attrs, logits, base_logits


def _result(
    method: str,
    task: int,
    x: torch.Tensor,
    attrs: list[torch.Tensor],
    logits: list[torch.Tensor],
    base_logits: list[torch.Tensor],
    note: str,
) -> AttributionResult:
    """Assemble an :class:`AttributionResult` (deltas from the summed attributions)."""
    attr = torch.cat(attrs).numpy().transpose(0, 2, 1)
    logit = torch.cat(logits).numpy()
    if base_logits:
        base = torch.cat(base_logits).numpy()
        delta = attr.sum(axis=(1, 2)) - (logit - base)
    else:
        base = delta = np.full(len(logit), np.nan)
    return AttributionResult(attr, method, task, logit, base, delta, ref_indices(x), note)


def attribution_table(result: AttributionResult) -> pd.DataFrame:
    """Long table: one row per (sequence, position, base).

    Returns
    -------
    pandas.DataFrame
        Columns ``seq_index pos ref_base base is_ref attribution`` (``pos`` 0-based in the window).
    """
    n, length, _ = result.attributions.shape
    s, p, b = (
        g.ravel() for g in np.meshgrid(np.arange(n), np.arange(length), np.arange(4), indexing="ij")
    )
    ref = result.ref_index[s, p]
    letters = np.array(list(BASES + "N"))  # ref index -1 (an N) picks the last letter
    return pd.DataFrame(
        {
            "seq_index": s,
            "pos": p,
            "ref_base": letters[ref],
            "base": letters[b],
            "is_ref": ref == b,
            "attribution": result.attributions[s, p, b],
        }
    )
