"""Basset-style analysis of a sequence CNN's first-layer filters: PWMs, influence, clusters.

A contract sequence CNN exposes ``filter_conv`` (its first ``nn.Conv1d``, applied to the one-hot
input) and ``filter_act`` (that layer's own activation module). Activations are read with a
forward hook on ``filter_act``; output position ``j`` of filter ``f`` sees the input bases
``j * stride - pad_left + i * dilation`` for ``i = 0 .. kernel_size - 1`` (its receptive field).

- :func:`filter_motifs`: per filter, the PWM of the receptive-field windows whose activation
  exceeds ``threshold`` x the filter's maximum over the data (Basset's rule, 0.5), with Basset's
  counting (a pseudocount per base, an N or padded position counting 0.25 to each base).
- :func:`filter_influence`: replace one filter's output by its mean activation (over sequences
  and positions) and measure the change of every positive logit / probability (Basset).
- :func:`cluster_filters`: hierarchical clustering of the filters' influence profiles (scipy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.cluster import hierarchy
from torch import nn

from ncv_core.constants import BASES
from ncv_core.device import resolve_device
from ncv_core.errors import NcvError
from ncv_core.interpret._model import (
    PositiveLogit,
    as_seq_tensor,
    as_tab_tensor,
    batched,
    check_model,
    private_copy,
)
from ncv_core.io.motif_files import information_content
from ncv_core.progress import ProgressFn, progress_or_bar, report

__all__ = [
    "FilterClusters",
    "FilterInfluence",
    "FilterMotifs",
    "cluster_filters",
    "filter_influence",
    "filter_motifs",
]


@dataclass(frozen=True)
class FilterMotifs:
    """First-layer filter PWMs of ``F`` filters of width ``W``.

    Attributes
    ----------
    pwms : numpy.ndarray
        ``(F, W, 4)`` base frequencies per filter, rows positions, columns A,C,G,T; each row
        ``(counts + pseudocount) / (n_sites + 4 * pseudocount)``.
    counts : numpy.ndarray
        ``(F, W, 4)`` base counts over the sites (an N or padded position adds 0.25 per base).
    summary : pandas.DataFrame
        One row per filter: ``filter n_sites information_content consensus max_activation
        mean_activation threshold``; information content in bits against a uniform background.
    """

    pwms: np.ndarray
    counts: np.ndarray
    summary: pd.DataFrame


@dataclass(frozen=True)
class FilterInfluence:
    """Change of the outputs when one filter's output is replaced by its mean activation.

    Attributes
    ----------
    mean_delta_prob, mean_delta_logit : numpy.ndarray
        ``(F, T)``: mean over sequences of nullified - original probability / positive logit.
    sum_sq_delta_prob : numpy.ndarray
        ``(F, T)``: sum over sequences of the squared probability change (Basset's measure).
    table : pandas.DataFrame
        Long form, one row per (filter, task): ``filter task mean_delta_prob mean_delta_logit
        sum_sq_delta_prob``.
    """

    mean_delta_prob: np.ndarray
    mean_delta_logit: np.ndarray
    sum_sq_delta_prob: np.ndarray
    table: pd.DataFrame


class _Stop(Exception):
    """Raised from the activation hook to skip the rest of a forward that only needs it."""


def _layers(model: nn.Module) -> tuple[nn.Conv1d, nn.Module]:
    check_model(model)
    conv, act = getattr(model, "filter_conv", None), getattr(model, "filter_act", None)
    if not isinstance(conv, nn.Conv1d) or not isinstance(act, nn.Module):
        raise NcvError(
            f"{type(model).__name__} has no first-layer filters to analyse: a sequence CNN must "
            "expose filter_conv (an nn.Conv1d) and filter_act (its activation module)"
        )
    if conv.in_channels != 4 or conv.groups != 1:
        raise NcvError("filter_conv must read the 4 one-hot channels (in_channels=4, groups=1)")
    return conv, act


def _geometry(conv: nn.Conv1d) -> tuple[int, int, int, int, int]:
    """``(kernel_size, stride, dilation, pad_left, pad_total)`` of the first layer."""
    k, s, d = conv.kernel_size[0], conv.stride[0], conv.dilation[0]
    if conv.padding == "same":
        return k, s, d, d * (k - 1) // 2, d * (k - 1)
    pad = 0 if conv.padding == "valid" else conv.padding[0]
    return k, s, d, pad, 2 * pad


def _activations(
    net: PositiveLogit, act: nn.Module, x: torch.Tensor, tab: torch.Tensor | None, full: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``filter_act`` output ``(B, F, L')`` and, when ``full``, the positive logits ``(B, T)``."""
    store: list[torch.Tensor] = []

    def hook(_m: nn.Module, _i: object, out: torch.Tensor) -> None:
        store.append(out.detach())
        if not full:
            raise _Stop

    handle = act.register_forward_hook(hook)
    try:
        logits = net(x, tab)
    except _Stop:
        logits = None
    finally:
        handle.remove()
    if len(store) != 1:
        raise NcvError(f"filter_act ran {len(store)} times in one forward; expected once")
    return store[0], logits


def _check_length(conv: nn.Conv1d, length: int, out_len: int) -> None:
    """The activation must keep filter_conv's positions (no pooling or cropping in between)."""
    k, s, d, _, total = _geometry(conv)
    expected = (length + total - d * (k - 1) - 1) // s + 1
    if out_len != expected:
        raise NcvError(
            f"filter_act gives {out_len} positions but filter_conv gives {expected} for length "
            f"{length}; filter_act must be the activation right after filter_conv"
        )


def _windows(x: torch.Tensor, out_len: int, geometry: tuple[int, ...]) -> torch.Tensor:
    """Receptive-field windows ``(B, L', W, 5)``: A,C,G,T one-hot and an N/padding indicator."""
    k, s, d, pad, _ = geometry
    length = x.shape[2]
    starts = torch.arange(out_len, device=x.device) * s - pad
    pos = starts[:, None] + torch.arange(k, device=x.device)[None, :] * d  # (L', W)
    inside = (pos >= 0) & (pos < length)
    w = x[:, :, pos.clamp(0, length - 1)] * inside  # (B, 4, L', W)
    w = w.permute(0, 2, 3, 1)
    return torch.cat([w, (1.0 - w.sum(dim=-1, keepdim=True)).clamp(min=0.0)], dim=-1)


def _scan(net, act, x, tab, dev, batch_size, sink, stage, full):
    """Yield ``(slice, activations (B, F, L'), logits or None)`` over batches, on ``dev``."""
    for sl in batched(x.shape[0], batch_size):
        a, logits = _activations(
            net, act, x[sl].to(dev), None if tab is None else tab[sl].to(dev), full
        )
        yield sl, a, logits
        report(sink, stage, sl.stop, x.shape[0])


def _summary(pwms: np.ndarray, n_sites, vmax, vmean, thr) -> pd.DataFrame:
    letters = np.array(list(BASES))
    return pd.DataFrame(
        {
            "filter": np.arange(len(pwms)),
            "n_sites": n_sites.astype(np.int64),
            "information_content": [information_content(p) for p in pwms],
            "consensus": ["".join(letters[p.argmax(axis=1)]) for p in pwms],
            "max_activation": vmax,
            "mean_activation": vmean,
            "threshold": thr,
        }
    )


def _activation_stats(net, act, x, tab, dev, batch_size, sink) -> tuple[torch.Tensor, torch.Tensor]:
    """Per filter, the largest and the mean activation over sequences and positions."""
    vmax, vsum, n_pos = None, None, 0
    for _, a, _ in _scan(net, act, x, tab, dev, batch_size, sink, "filter activations", False):
        amax, asum = a.amax(dim=(0, 2)).cpu().double(), a.sum(dim=(0, 2)).cpu().double()
        vmax = amax if vmax is None else torch.maximum(vmax, amax)
        vsum = asum if vsum is None else vsum + asum
        n_pos += a.shape[0] * a.shape[2]
    return vmax, vsum / n_pos


def _site_counts(net, act, conv, x, tab, thr, dev, batch_size, sink) -> torch.Tensor:
    """``(F, W, 5)`` counts of A,C,G,T and N/padding over the windows above ``thr``."""
    geometry = _geometry(conv)
    counts = torch.zeros((conv.out_channels, geometry[0], 5), dtype=torch.float64)
    for sl, a, _ in _scan(net, act, x, tab, dev, batch_size, sink, "filter sites", False):
        _check_length(conv, x.shape[2], a.shape[2])
        win = _windows(x[sl].to(dev), a.shape[2], geometry)  # (B, L', W, 5)
        sites = (a.double() > thr.to(dev)[None, :, None]).to(win.dtype)  # (B, F, L')
        counts += torch.einsum("bfj,bjwc->fwc", sites, win).cpu().double()
    return counts


def filter_motifs(
    model: nn.Module,
    x_seq: np.ndarray | torch.Tensor,
    x_tab: np.ndarray | torch.Tensor | None = None,
    *,
    threshold: float = 0.5,
    pseudocount: float = 1.0,
    progress: ProgressFn | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    verbose: bool = False,
) -> FilterMotifs:
    """PWMs of the first-layer filters from the windows that activate them (Basset's rule).

    Parameters
    ----------
    model : nn.Module
        A contract sequence CNN with ``filter_conv`` and ``filter_act``.
    x_seq : array or tensor
        ``(N, 4, L)`` one-hot sequences, A,C,G,T.
    x_tab : array or tensor, optional
        ``(N, F)`` tabular features, for models that need them to run a forward.
    threshold : float
        A window is a site of filter ``f`` when its activation exceeds ``threshold`` x the
        largest activation of ``f`` over all sequences and positions (Basset: 0.5).
    pseudocount : float
        Added to each base of each PWM row (Basset: 1).
    progress, batch_size, device, verbose
        As elsewhere; ``batch_size`` counts sequences.

    Returns
    -------
    FilterMotifs
        ``(F, W, 4)`` PWMs and counts and a per-filter summary.
    """
    conv, act = _layers(model)
    dev = resolve_device(device)
    x = as_seq_tensor(x_seq)
    tab = as_tab_tensor(x_tab, x.shape[0])
    sink = progress_or_bar(progress, verbose)
    net = PositiveLogit(private_copy(model, dev))
    act = dict(net.model.named_modules())[_module_name(model, act)]
    with torch.inference_mode():
        vmax, vmean = _activation_stats(net, act, x, tab, dev, batch_size, sink)
        thr = threshold * vmax
        counts = _site_counts(net, act, conv, x, tab, thr, dev, batch_size, sink)
    n_sites = counts[:, 0, :].sum(dim=1).numpy()
    counts_np = (counts[:, :, :4] + 0.25 * counts[:, :, 4:]).numpy()
    pwms = (counts_np + pseudocount) / (n_sites[:, None, None] + 4 * pseudocount)
    summary = _summary(pwms, n_sites, vmax.numpy(), vmean.numpy(), thr.numpy())
    return FilterMotifs(pwms, counts_np, summary)


def _module_name(model: nn.Module, module: nn.Module) -> str:
    """Qualified name of ``module`` inside ``model`` (to find it again in a moved copy)."""
    for name, m in model.named_modules():
        if m is module:
            return name
    raise NcvError("filter_act is not a submodule of the model")


def _replace_hook(mean: torch.Tensor, filt: torch.Tensor):
    """Forward hook setting channel ``filt[r]`` of row ``r`` to ``mean[filt[r]]``."""

    def hook(_m: nn.Module, _i: object, out: torch.Tensor) -> torch.Tensor:
        out = out.clone()
        rows = torch.arange(out.shape[0], device=out.device)
        out[rows, filt] = mean[filt].to(out.dtype)[:, None]
        return out

    return hook


def _reference(net, act, x, tab, dev, batch_size, sink) -> tuple[torch.Tensor, torch.Tensor]:
    """Positive logits ``(N, T)`` float64 and mean activation per filter ``(F,)`` float64."""
    logits, total, n_pos = [], None, 0
    for _, a, out in _scan(net, act, x, tab, dev, batch_size, sink, "filter reference", True):
        s = a.sum(dim=(0, 2)).cpu().double()
        total = s if total is None else total + s
        n_pos += a.shape[0] * a.shape[2]
        logits.append(out.cpu().double())
    return torch.cat(logits), total / n_pos


CONV_CACHE_ELEMENTS = 32_000_000
"""Largest first-layer output (sequences x filters x positions) kept to skip recomputing it."""


def _reference_and_conv(net, act, conv, x, tab, dev, batch_size, sink):
    """:func:`_reference`, plus ``filter_conv``'s outputs ``(N, F, L')`` of every sequence
    (None when larger than :data:`CONV_CACHE_ELEMENTS` or when it runs other than once per
    forward): nullifying one filter changes nothing before ``filter_act``, so the first layer
    need not run again for each filter."""
    store: list[torch.Tensor] = []
    length = x.shape[2] + _geometry(conv)[4]
    keep = x.shape[0] * conv.out_channels * length <= CONV_CACHE_ELEMENTS
    handle = conv.register_forward_hook(lambda _m, _i, out: store.append(out)) if keep else None
    try:
        ref, mean = _reference(net, act, x, tab, dev, batch_size, sink)
    finally:
        if handle is not None:
            handle.remove()
    if not keep or len(store) != len(list(batched(x.shape[0], batch_size))):
        return ref, mean, None
    return ref, mean, torch.cat(store)


def _stored(pre: torch.Tensor, rows: torch.Tensor):
    """A ``forward`` for the copy's ``filter_conv``: its stored outputs of ``rows``."""

    def forward(_x: torch.Tensor) -> torch.Tensor:
        return pre[rows]

    return forward


def filter_influence(
    model: nn.Module,
    x_seq: np.ndarray | torch.Tensor,
    x_tab: np.ndarray | torch.Tensor | None = None,
    *,
    progress: ProgressFn | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    verbose: bool = False,
) -> FilterInfluence:
    """Influence of each first-layer filter: nullify it (mean activation) and re-predict.

    Parameters
    ----------
    model : nn.Module
        A contract sequence CNN with ``filter_conv`` and ``filter_act``.
    x_seq : array or tensor
        ``(N, 4, L)`` one-hot sequences, A,C,G,T.
    x_tab : array or tensor, optional
        ``(N, F)`` tabular features, held fixed.
    progress, batch_size, device, verbose
        As elsewhere; ``batch_size`` counts rows (filter x sequence pairs) per forward.

    Returns
    -------
    FilterInfluence
        ``(F, T)`` mean changes of probability and logit, Basset's sum of squares, and a table.
    """
    conv, act = _layers(model)
    dev = resolve_device(device)
    x = as_seq_tensor(x_seq)
    tab = as_tab_tensor(x_tab, x.shape[0])
    sink = progress_or_bar(progress, verbose)
    net = PositiveLogit(private_copy(model, dev))
    modules = dict(net.model.named_modules())
    act, conv_copy = modules[_module_name(model, act)], modules[_module_name(model, conv)]
    n, n_filters = x.shape[0], conv.out_channels
    with torch.inference_mode():
        ref, mean, pre = _reference_and_conv(net, act, conv_copy, x, tab, dev, batch_size, sink)
        n_out = ref.shape[1]
        sums = torch.zeros((3, n_filters, n_out), dtype=torch.float64)
        total = n_filters * n
        for sl in batched(total, batch_size):
            rows = torch.arange(sl.start, sl.stop)
            filt, seq = rows // n, rows % n
            handle = act.register_forward_hook(_replace_hook(mean.to(dev), filt.to(dev)))
            if pre is not None:  # the private copy's first layer returns its stored outputs
                conv_copy.forward = _stored(pre, seq.to(dev))
            try:
                out = net(x[seq].to(dev), None if tab is None else tab[seq].to(dev))
            finally:
                handle.remove()
                conv_copy.__dict__.pop("forward", None)
            d_logit = out.cpu().double() - ref[seq]
            d_prob = torch.sigmoid(out.cpu().double()) - torch.sigmoid(ref[seq])
            for i, d in enumerate((d_prob, d_logit, d_prob**2)):
                sums[i].index_add_(0, filt, d)
            report(sink, "filter influence", sl.stop, total)
    return _influence_result(sums, n)


def _influence_result(sums: torch.Tensor, n: int) -> FilterInfluence:
    mean_p, mean_l, ss = (sums[0] / n).numpy(), (sums[1] / n).numpy(), sums[2].numpy()
    f, t = (g.ravel() for g in np.indices(mean_p.shape))
    columns = {"mean_delta_prob": mean_p, "mean_delta_logit": mean_l, "sum_sq_delta_prob": ss}
    table = pd.DataFrame({"filter": f, "task": t} | {k: v.ravel() for k, v in columns.items()})
    return FilterInfluence(mean_p, mean_l, ss, table)


@dataclass(frozen=True)
class FilterClusters:
    """Hierarchical clustering of filters by influence profile.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per filter: ``filter cluster leaf_order`` (``leaf_order``: position in the
        dendrogram's left-to-right order, for ordering heatmap rows).
    linkage : numpy.ndarray
        ``(F - 1, 4)`` scipy linkage matrix.
    """

    table: pd.DataFrame
    linkage: np.ndarray


def cluster_filters(
    profiles: np.ndarray | FilterInfluence,
    *,
    method: str = "average",
    metric: str = "euclidean",
    n_clusters: int | None = None,
) -> FilterClusters:
    """Cluster filters by their influence profile across tasks (Basset, Fig. 3).

    Parameters
    ----------
    profiles : numpy.ndarray or FilterInfluence
        ``(F, T)`` profile per filter; a :class:`FilterInfluence` gives its ``mean_delta_prob``.
    method, metric : str
        scipy ``linkage`` method and distance (``"correlation"`` compares profile shapes; it
        needs ``T >= 2``).
    n_clusters : int, optional
        Cut into this many clusters; by default the tree is cut at 0.7 x its largest merge
        distance (scipy's dendrogram colouring rule).

    Returns
    -------
    FilterClusters
        Per-filter cluster labels (1-based) and leaf order, and the linkage matrix.
    """
    prof = profiles.mean_delta_prob if isinstance(profiles, FilterInfluence) else profiles
    prof = np.asarray(prof, dtype=np.float64)
    prof = prof[:, None] if prof.ndim == 1 else prof
    if prof.shape[0] < 2:
        raise NcvError(f"clustering needs at least 2 filters, got {prof.shape[0]}")
    z = hierarchy.linkage(prof, method=method, metric=metric)
    if n_clusters is not None:
        labels = hierarchy.fcluster(z, n_clusters, criterion="maxclust")
    else:
        labels = hierarchy.fcluster(z, 0.7 * z[:, 2].max(), criterion="distance")
    order = np.empty(len(prof), dtype=np.int64)
    order[hierarchy.leaves_list(z)] = np.arange(len(prof))
    table = pd.DataFrame({"filter": np.arange(len(prof)), "cluster": labels, "leaf_order": order})
    return FilterClusters(table, z)
