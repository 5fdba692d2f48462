r"""A D3PM with a convolutional U-Net trained on Random Hierarchy Model strings (Favero et al. 2025, sec. 4.3, App. B.3).

Data: P distinct strings of a grammar from [`memlab.theory.rhm`][memlab.theory.rhm] (training set)
and held-out strings not in it (validation set). Noise: uniform D3PM
corruption with keep probability $\bar\alpha_t$ from the cosine
schedule [`memlab.theory.rhm.keep_schedule`][memlab.theory.rhm.keep_schedule] (T = 1000 training levels);
options of [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm] switch to
the masked (absorbing-state) process, the paper's linear schedule, SGD with momentum, or
one of two disjoint training blocks.

Network (App. B.3): one-hot tokens -> 1x1 convolution to C channels (plus a
learned embedding of $\bar\alpha$) -> L encoder blocks (convolution with
filter size = stride = s, GELU) down to length 1 -> L decoder blocks
(transposed convolution, filter = stride = s, GELU) with skip connections
from the encoder block of the same resolution -> 1x1 convolution to v logits.
It predicts $p(x_0 | x_t)$ per token and is trained with Adam on the
cross-entropy of the clean tokens (the x_0-prediction loss of D3PM), in
mini-batches.

At log-spaced steps the run records the train and validation losses (on
fixed noise draws, so that curves are smooth), and generates strings with the
network as the denoiser of [`memlab.theory.rhm.reverse_sample`][memlab.theory.rhm.reverse_sample] to measure the
fraction of exact copies of the training set and the per-layer error
fractions ([`memlab.theory.rhm.layer_error_fractions`][memlab.theory.rhm.layer_error_fractions]), and the sliced Wasserstein
distances of the generated strings to the training set and to held-out strings (the
train-versus-test gap of the position paper (2026), Sec. 3.2; see
[`D3PMRun.sw_gap`][memlab.verification.training.rhm_d3pm.D3PMRun.sw_gap]). tau_mem is the onset
of the gap between validation and train loss
([`memlab.theory.metrics.memorization_onset`][memlab.theory.metrics.memorization_onset]).

Deviations from the paper, for a CPU: standard (not muP) parametrisation,
Adam at 1e-3 instead of 0.1, C = 128 channels instead of 8192, the cosine
instead of the linear schedule by default (``schedule="linear"`` is the paper's).
At each evaluation the run also records the Hellinger distance of the network's
denoiser to the exact BP denoiser on a fixed probe set, the probe predictions
themselves (compared between two runs by
[`denoiser_distance`][memlab.verification.training.rhm_d3pm.denoiser_distance]) and
the rule statistics of the generated strings
([`rule_statistics_error`][memlab.verification.training.rhm_d3pm.rule_statistics_error]). Runs save a checkpoint at every evaluation
and resume from it; [`save_summary`][memlab.verification.training.rhm_d3pm.save_summary] writes the summary of a series of
runs (``memlab train rhm``).

Example: the scaling fit on planted runs whose copies start at step 20 P
(no training, no torch)::

    >>> import numpy as np
    >>> def planted(P, n=200):
    ...     steps = np.geomspace(10, 1e5, n)
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     return D3PMRun(P, steps, np.ones(n), 1 + copies, copies, np.zeros((n, 2)),
    ...                    20.0 * P, 20.0 * P, 0.2, 32, 1e-3, 8, 0)
    >>> runs = [planted(P) for P in (16, 32, 64, 128)]
    >>> round(tau_mem_scaling(runs).exponent, 6)
    1.0
    >>> D3PMRun.from_saved_dict(runs[0].to_saved_dict()).tau_mem
    320.0

References
----------
Favero et al. (2025), "Bigger isn't always memorizing: early stopping overparameterized
diffusion models", sec. 4.3 and App. B.3.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memlab._results import Result
from memlab._validation import (
    MAX_SAMPLES,
    check_allocation,
    check_choice,
    check_instance,
    check_instances,
    check_path,
    check_positive_int,
    check_positive_real,
    check_real,
    check_rng,
    check_tokens,
)
from memlab.theory import rhm
from memlab.theory.metrics import (
    PowerLawFit,
    first_crossing,
    fit_power_law,
    memorization_onset,
    sliced_wasserstein,
)
from memlab.verification._checks import check_bool, check_count, check_index
from memlab.verification.training._common import (
    atomic_write,
    dataclass_to_json,
    manifest,
    settings_key,
)

if TYPE_CHECKING:
    from os import PathLike

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.random import Generator
    from numpy.typing import ArrayLike
    from torch import nn

#: Upper bound on ``channels`` of [`make_unet`][memlab.verification.training.rhm_d3pm.make_unet] and on ``batch_size``, ``n_val``,
#: ``n_generate``, ``gen_steps`` and ``n_eval`` of [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm].
MAX_SIZE = 10**5

#: Scalar fields of [`D3PMRun`][memlab.verification.training.rhm_d3pm.D3PMRun] that are NaN when not reached (``null`` in JSON).
_NOT_REACHED_FIELDS = ("tau_mem", "tau_val_min")

#: Optional curves of [`D3PMRun`][memlab.verification.training.rhm_d3pm.D3PMRun] (None in runs saved before them).
_SW_CURVES = ("sw_train", "sw_val")

#: The probe and rule-statistics curves of [`D3PMRun`][memlab.verification.training.rhm_d3pm.D3PMRun] (None in runs saved before them).
_NEW_CURVES = ("probe_hellinger", "rule_mean_error", "rule_cov_error")

#: Keep probabilities $\bar\alpha$ of the probe set of
#: [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm]: strongly, half and
#: weakly corrupted held-out strings.
PROBE_ABAR = (0.2, 0.5, 0.8)

#: Seed of the probe noise and of the rule-statistics calibration draws of
#: [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm] (no draw from the
#: run's random stream, and the same probe set for two runs with the same validation
#: strings).
PROBE_SEED = 1

#: Strings of the grammar used for the reference covariance of the rule statistics when
#: the grammar has more strings than this (otherwise all strings: the exact covariance).
RULE_REFERENCE_MAX = 200_000

#: Seed of the random directions of the sliced Wasserstein distances of
#: [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm]: the same directions at
#: every evaluation and for both reference sets (paired comparisons), and no draw from the
#: run's random stream (the other fields do not change when the curves are recorded).
SW_SEED = 0

#: Draws of fresh and of copied strings averaged in the calibration ``sw_fresh`` and
#: ``sw_copies`` of [`D3PMRun`][memlab.verification.training.rhm_d3pm.D3PMRun].
SW_CALIBRATION_DRAWS = 4

__all__ = ["make_unet", "D3PMRun", "one_hot_embedding", "train_d3pm", "TAU_DEFINITIONS",
           "tau_mem_scaling", "plot_training_curves", "plot_tau_vs_P", "save_summary",
           "plot_sw_curves", "rule_statistics_error", "denoiser_distance", "load_run"]


def make_unet(v: int, s: int, L: int, channels: int = 128, *,
              n_inputs: int | None = None) -> nn.Module:
    r"""The convolutional U-Net of Favero et al. (2025), App. B.3, for strings of the RHM.

    One-hot tokens -> 1x1 convolution to ``channels`` channels plus a learned embedding of
    $\bar\alpha$ -> L encoder blocks (convolution with filter = stride = s, GELU) down
    to length 1 -> L decoder blocks (transposed convolution, GELU) with skip connections
    -> 1x1 convolution to v logits (see the module docstring). Parameters are torch's
    default initialisation (seeded by ``torch.manual_seed``).

    Parameters
    ----------
    v : int
        Vocabulary size, in [2, `MAX_SIZE`].
    s : int
        Branching factor of the grammar (filter size and stride), in [2, `MAX_SIZE`].
    L : int
        Depth of the tree, >= 1, with s**L at most ``memlab._validation.MAX_SAMPLES``.
    channels : int, default 128
        Channels of every block, in [1, `MAX_SIZE`] (the paper uses 8192).
    n_inputs : int, optional
        Number of input token values, in [v, `MAX_SIZE`]; default v. The masked
        (absorbing-state) D3PM uses v + 1: the tokens 0..v-1 and the mask token v. The
        network always predicts v classes.

    Returns
    -------
    torch.nn.Module
        Maps (tokens (B, d) long in [0, n_inputs), abar (B,) float) to logits (B, d, v),
        d = s**L.

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If an argument is out of range.

    References
    ----------
    Favero et al. (2025), App. B.3.

    Examples
    --------
    >>> import torch
    >>> net = make_unet(4, 2, 2, channels=8)
    >>> net(torch.zeros(3, 4, dtype=torch.long), torch.full((3,), 0.5)).shape
    torch.Size([3, 4, 4])
    """
    from torch import nn

    v = check_count("v", v, MAX_SIZE, minimum=2)
    s = check_count("s", s, MAX_SIZE, minimum=2)
    L_max = 1                                  # strings of length s**L <= MAX_SAMPLES
    while s ** (L_max + 1) <= MAX_SAMPLES:
        L_max += 1
    L = check_positive_int("L", L, maximum=L_max)
    channels = check_count("channels", channels, MAX_SIZE)
    n_in = v if n_inputs is None else check_count("n_inputs", n_inputs, MAX_SIZE, minimum=v)

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.v = v
            self.n_in = n_in
            self.embed = nn.Conv1d(n_in, channels, 1)
            self.time = nn.Sequential(nn.Linear(1, channels), nn.GELU(), nn.Linear(channels, channels))
            self.down = nn.ModuleList(nn.Conv1d(channels, channels, s, stride=s) for _ in range(L))
            self.up = nn.ModuleList(nn.ConvTranspose1d(channels, channels, s, stride=s)
                                    for _ in range(L))
            self.readout = nn.Conv1d(channels, v, 1)
            self.act = nn.GELU()

        def forward(self, tokens, abar):
            h = self.embed(nn.functional.one_hot(tokens, self.n_in).float().transpose(1, 2))
            h = h + self.time(abar[:, None].float())[:, :, None]
            skips = []
            for conv in self.down:
                skips.append(h)
                h = self.act(conv(h))
            for conv in self.up:
                h = self.act(conv(h)) + skips.pop()
            return self.readout(h).transpose(1, 2)             # (B, d, v)

    return UNet()


@dataclass(frozen=True)
class D3PMRun(Result):
    r"""History of one training run, made by
    [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm].

    Attributes
    ----------
    P : int
        Training strings.
    steps : numpy.ndarray
        Training steps of the evaluations.
    train_loss, val_loss : numpy.ndarray
        Cross-entropy per token (nats) on the training and validation strings.
    copy_fraction : numpy.ndarray
        Fraction of generated strings that copy a training string.
    layer_errors : numpy.ndarray, shape (len(steps), L)
        Fraction of generated strings not valid up to each layer.
    tau_mem : float
        Onset of val - train > ``threshold``; NaN if not reached, and for a run with fewer
        than 2 evaluations.
    tau_val_min : float
        Step of the smallest validation loss; NaN for a run without evaluations.
    threshold : float
        The loss gap (nats per token) that defines ``tau_mem``.
    batch_size, lr, channels : int, float, int
        Training settings.
    seed : int
        The random seed (-1 when it was not an integer).
    sw_train, sw_val : numpy.ndarray or None
        Sliced Wasserstein distance ([`sliced_wasserstein`][memlab.theory.metrics.sliced_wasserstein],
        $p = 2$) of the strings generated at each evaluation to ``min(P, n_val)`` training
        strings and to as many held-out strings, in the one-hot embedding of
        [`one_hot_embedding`][memlab.verification.training.rhm_d3pm.one_hot_embedding]; NaN
        at evaluations made before the curves were recorded (a resumed older checkpoint).
        None for runs saved before these fields existed, or trained with
        ``sw_projections=None``.
    sw_train_val : float or None
        The same distance between the two reference sets themselves: by the triangle
        inequality, $|SW(g, \text{train}) - SW(g, \text{held-out})| \le$ ``sw_train_val``
        for any generated sample g. None when the curves were not recorded.
    sw_fresh, sw_copies : tuple of 2 floats or None
        Calibration of the two curves: the distances (to the training, to the held-out
        reference set) of ``n_generate`` fresh strings of the grammar (what a model that
        generalizes perfectly would generate) and of ``n_generate`` strings drawn
        uniformly, with replacement, from the training set (a model that only copies),
        each the mean over `SW_CALIBRATION_DRAWS` draws. None when the curves were not
        recorded.
    process : str, default "uniform"
        The corruption, ``"uniform"`` (D3PM) or ``"masked"`` (absorbing state).
    schedule : str, default "cosine"
        The training keep schedule, ``"cosine"`` or ``"linear"`` (see
        [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm]).
    optimizer : str, default "adam"
        ``"adam"`` or ``"sgd"`` (SGD with momentum 0.9).
    train_block : int or None, default None
        Which block of distinct strings was the training set (None: the original
        draw of P + n_val strings).
    probe_abar : tuple of floats or None
        The keep probabilities of the probe set (`PROBE_ABAR`).
    probe_tokens : numpy.ndarray or None, shape (len(probe_abar), n_probe, d)
        The noisy held-out probe strings, one block per level.
    probe_hellinger : numpy.ndarray or None, shape (len(steps), len(probe_abar))
        At each evaluation and level, the Hellinger distance
        ([`denoiser_hellinger`][memlab.theory.rhm.denoiser_hellinger], averaged over the
        probe strings) between the network's $p(x_0 | x_t)$ and the exact BP denoiser
        ([`exact_denoiser`][memlab.theory.rhm.exact_denoiser], same process); NaN at
        evaluations made before it was recorded.
    probe_probs : numpy.ndarray or None, shape (len(steps), len(probe_abar), n_probe, d, v)
        The network's probe predictions at each evaluation (float32), for
        [`denoiser_distance`][memlab.verification.training.rhm_d3pm.denoiser_distance]
        between two runs. Not part of the JSON of
        [`to_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.to_saved_dict]
        (too large): ``train_d3pm(out_dir=...)`` writes it to a ``_probe.npz`` file next to
        the JSON, read back by
        [`load_run`][memlab.verification.training.rhm_d3pm.load_run].
    rule_mean_error, rule_cov_error : numpy.ndarray or None
        Rule statistics of the generated strings at each evaluation (Favero et al. 2025,
        App. F, Fig. 14), see
        [`rule_statistics_error`][memlab.verification.training.rhm_d3pm.rule_statistics_error];
        NaN where fewer than 2 generated strings were valid.
    rule_fresh, rule_copies : tuple of 2 floats or None
        The same two errors for ``n_generate`` fresh strings of the grammar (the
        sampling floor of a model that generalizes perfectly) and for ``n_generate``
        strings drawn uniformly from the training set (a model that only copies).
    """

    P: int
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    copy_fraction: np.ndarray
    layer_errors: np.ndarray
    tau_mem: float
    tau_val_min: float
    threshold: float
    batch_size: int
    lr: float
    channels: int
    seed: int
    sw_train: np.ndarray | None = None
    sw_val: np.ndarray | None = None
    sw_train_val: float | None = None
    sw_fresh: tuple | None = None
    sw_copies: tuple | None = None
    process: str = "uniform"
    schedule: str = "cosine"
    optimizer: str = "adam"
    train_block: int | None = None
    probe_abar: tuple | None = None
    probe_tokens: np.ndarray | None = None
    probe_hellinger: np.ndarray | None = None
    probe_probs: np.ndarray | None = None
    rule_mean_error: np.ndarray | None = None
    rule_cov_error: np.ndarray | None = None
    rule_fresh: tuple | None = None
    rule_copies: tuple | None = None

    def to_saved_dict(self) -> dict:
        """The run as a JSON-ready dict, as stored in ``d3pm_P*.json`` and ``d3pm_summary.json``.

        Returns
        -------
        dict
            Every field by name except ``probe_probs`` (saved apart, see
            [`load_run`][memlab.verification.training.rhm_d3pm.load_run]), arrays as
            lists; ``tau_mem`` and ``tau_val_min`` are ``None`` (JSON ``null``) where they
            are NaN (not reached), since NaN is not valid JSON, and so are NaN entries of
            the curves (``sw_train``, ``sw_val``, ``probe_hellinger``, ``rule_mean_error``,
            ``rule_cov_error``).
            [`from_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.from_saved_dict]
            turns them back into NaN.
        """
        out = dataclass_to_json(dataclasses.replace(self, probe_probs=None))
        del out["probe_probs"]
        for k in _NOT_REACHED_FIELDS:
            if not np.isfinite(out[k]):
                out[k] = None
        for k in _SW_CURVES + _NEW_CURVES:
            if out[k] is not None:
                out[k] = _nan_to_none(out[k])
        return out

    @classmethod
    def from_saved_dict(cls, data: dict) -> D3PMRun:
        """Rebuild a run from the output of
        [`to_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.to_saved_dict].

        Parameters
        ----------
        data : dict
            A saved run, e.g. the JSON of a ``d3pm_P*.json`` (its ``format``, ``key``,
            ``settings`` and ``manifest`` entries are not fields and are ignored).

        Returns
        -------
        D3PMRun
            The run, with arrays as float arrays and ``None`` times as NaN. A run saved
            before the sliced-Wasserstein, probe or rule-statistics fields existed loads
            with them None (and with the defaults ``"uniform"``, ``"cosine"``,
            ``"adam"``); ``probe_probs`` is None (see
            [`load_run`][memlab.verification.training.rhm_d3pm.load_run]).
        """
        kw = {k: v for k, v in data.items()
              if k not in ("format", "key", "settings", "manifest", "probe_probs")}
        for k in ("steps", "train_loss", "val_loss", "copy_fraction", "layer_errors"):
            kw[k] = np.asarray(kw[k], dtype=float)
        for k in _SW_CURVES + _NEW_CURVES:
            if kw.get(k) is not None:
                kw[k] = np.array(_none_to_nan(kw[k]), dtype=float)
        if kw.get("probe_tokens") is not None:
            kw["probe_tokens"] = np.asarray(kw["probe_tokens"], dtype=np.int64)
        for k in ("sw_fresh", "sw_copies", "probe_abar", "rule_fresh", "rule_copies"):
            if kw.get(k) is not None:
                kw[k] = tuple(float(v) for v in kw[k])
        for k in _NOT_REACHED_FIELDS:
            if k in kw and kw[k] is None:
                kw[k] = float("nan")
        return cls(**kw)

    def tau_gap(self, threshold: float) -> float:
        """Onset of validation - train loss > ``threshold``, at another threshold than the run's.

        The step where the loss gap first exceeds ``threshold``
        ([`memlab.theory.metrics.memorization_onset`][memlab.theory.metrics.memorization_onset]),
        as ``tau_mem`` is for the run's own threshold.

        Parameters
        ----------
        threshold : float
            A positive loss gap (nats per token).

        Returns
        -------
        float
            The onset step; NaN when the gap never exceeds ``threshold`` (not reached).

        Raises
        ------
        ValueError
            If ``threshold`` is not positive, or the run has fewer than 2 evaluations
            (no onset can be located).
        """
        threshold = check_positive_real("threshold", threshold)
        n = int(np.size(self.steps))
        if n < 2:
            raise ValueError(f"tau_gap needs a run with at least 2 evaluations, this run has "
                             f"{n} (n_eval and steps of train_d3pm set them)")
        return memorization_onset(self.steps, self.train_loss, self.val_loss, threshold)

    def tau_copy(self, level: float = 0.5) -> float:
        """First step (interpolated in log step) where the copy fraction reaches ``level``.

        Parameters
        ----------
        level : float, default 0.5
            A fraction in (0, 1].

        Returns
        -------
        float
            The step; NaN when the copy fraction never reaches ``level`` (not reached),
            also for a run without evaluations.

        Raises
        ------
        ValueError
            If ``level`` is outside (0, 1].
        """
        level = check_real("level", level, lo=0.0, hi=1.0, lo_open=True)
        if np.size(self.steps) == 0:
            return float("nan")
        return first_crossing(self.steps, self.copy_fraction, level - 1e-12, above=True,
                              log_x=True)

    def sw_gap(self) -> np.ndarray:
        r"""The train-versus-held-out gap of the sliced Wasserstein curves, calibrated.

        With $\Delta = SW(\text{generated}, \text{held-out}) - SW(\text{generated},
        \text{train})$ at each evaluation, and $\Delta_{\rm fresh}$,
        $\Delta_{\rm copies}$ the same difference for fresh strings of the grammar and for
        strings drawn from the training set (``sw_fresh``, ``sw_copies``),

        $$
        g = \frac{\Delta - \Delta_{\rm fresh}}{\Delta_{\rm copies} - \Delta_{\rm fresh}} :
        $$

        0 for generated strings as far from the training set as a sample of the
        grammar's law is, 1 for a model that samples the training set uniformly. The
        calibration removes the part of $\Delta$ that a finite pair of reference sets
        gives any sample (of order ``sw_train_val``). The position paper (2026),
        Sec. 3.2, finds the raw difference near 0 on CIFAR-10 throughout training, even
        as the model copies.

        Returns
        -------
        numpy.ndarray
            One value per evaluation (NaN where the curves were not recorded, and
            everywhere when $\Delta_{\rm copies} \le \Delta_{\rm fresh}$: reference sets
            too small to tell copies from fresh strings).

        Raises
        ------
        ValueError
            If the run has no sliced Wasserstein curves (saved before they existed, or
            trained with ``sw_projections=None``).

        References
        ----------
        The position paper (2026), Sec. 3.2 ("the train-test gap is uninformative").
        """
        if (self.sw_train is None or self.sw_val is None or self.sw_fresh is None
                or self.sw_copies is None):
            raise ValueError("this run has no sliced Wasserstein curves (sw_train, sw_val, "
                             "sw_fresh or sw_copies is None): train it again with train_d3pm")
        fresh = float(self.sw_fresh[1]) - float(self.sw_fresh[0])
        scale = float(self.sw_copies[1]) - float(self.sw_copies[0]) - fresh
        delta = np.asarray(self.sw_val, dtype=float) - np.asarray(self.sw_train, dtype=float)
        if not scale > 0.0:
            return np.full(delta.shape, np.nan)
        return (delta - fresh) / scale

    def tau_sw_gap(self, level: float = 0.5) -> float:
        """Step (interpolated in log step) from which the calibrated SW gap stays at or above ``level``.

        The gap is
        [`sw_gap`][memlab.verification.training.rhm_d3pm.D3PMRun.sw_gap] (0 for fresh
        strings of the grammar, 1 for copies of the training set). Its evaluations
        scatter by a few tenths before the generated strings are valid (invalid strings
        are not a sample of the grammar's law, and the calibration does not hold for
        them), so the onset is the last upward crossing of ``level`` (interpolated in
        log step between the last evaluation below it and the next), not the first:
        the gap stays at or above ``level`` from then on. Compare with ``tau_mem`` and
        [`tau_copy`][memlab.verification.training.rhm_d3pm.D3PMRun.tau_copy].

        Parameters
        ----------
        level : float, default 0.5
            A gap in (0, 1].

        Returns
        -------
        float
            The step; the first evaluation's step if the gap is never below ``level``;
            NaN when the last evaluation is below it (not reached), also for a run
            without finite gaps.

        Raises
        ------
        ValueError
            If ``level`` is outside (0, 1] or the run has no sliced Wasserstein curves.

        References
        ----------
        The position paper (2026), Sec. 3.2.
        """
        level = check_real("level", level, lo=0.0, hi=1.0, lo_open=True)
        gap = self.sw_gap()
        ok = np.isfinite(gap)
        if not ok.any():
            return float("nan")
        x, y = np.asarray(self.steps, dtype=float)[ok], gap[ok]
        below = np.flatnonzero(y < level)
        if below.size == 0:
            return float(x[0])
        k = int(below[-1])
        if k == x.size - 1:
            return float("nan")
        return first_crossing(x[k:k + 2], y[k:k + 2], level - 1e-12, above=True, log_x=True)


def one_hot_embedding(x: ArrayLike, v: int) -> np.ndarray:
    r"""Strings of tokens as points of $\mathbb R^{d v}$: concatenated one-hot vectors over $\sqrt{2d}$.

    The embedding in which
    [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm] measures sliced
    Wasserstein distances (the position paper (2026) uses Inception features for images;
    strings of symbols have no such feature space, and one-hot vectors add no structure
    the grammar does not have). Two strings at Hamming distance k are at Euclidean
    distance $\sqrt{k/d}$: the squared distance is the normalised Hamming distance,
    between 0 (equal strings) and 1 (no token in common).

    Parameters
    ----------
    x : array_like of int, shape (n, d) or (d,)
        Strings of tokens in [0, v).
    v : int
        Vocabulary size, in [2, `MAX_SIZE`].

    Returns
    -------
    numpy.ndarray, shape (n, d v)
        The embedded strings (float64; one row for a single string).

    Raises
    ------
    TypeError
        If ``x`` does not hold integer tokens or ``v`` is not an integer.
    ValueError
        If a token is outside [0, v), ``x`` is empty or has more than 2 dimensions, or
        ``v`` is out of range.

    References
    ----------
    The position paper (2026), Sec. 3.1 (sliced Wasserstein distance in a feature space).

    Examples
    --------
    >>> e = one_hot_embedding([[0, 1, 2, 3], [0, 1, 2, 0]], 4)
    >>> e.shape, round(float(np.sum((e[0] - e[1]) ** 2)), 12)     # 1 token of 4 differs
    ((2, 16), 0.25)
    """
    v = check_count("v", v, MAX_SIZE, minimum=2)
    tokens, _ = check_tokens("x", x, n_tokens=v)
    check_allocation("x and v", (tokens.shape[0], tokens.shape[1] * v))
    d = tokens.shape[1]
    out = np.zeros((tokens.shape[0], d * v))
    out[np.arange(tokens.shape[0])[:, None], np.arange(d) * v + tokens] = 1.0
    return out / np.sqrt(2.0 * d)


def _nan_to_none(x):
    """Nested lists with NaN entries replaced by None (standard JSON)."""
    if isinstance(x, list):
        return [_nan_to_none(v) for v in x]
    return x if x is None or np.isfinite(x) else None


def _none_to_nan(x):
    """Nested lists with None entries replaced by NaN."""
    if isinstance(x, list):
        return [_none_to_nan(v) for v in x]
    return np.nan if x is None else x


def _rule_reference(grammar):
    """Exact mean rule usage (flattened) and the reference covariance of the rule statistics."""
    total = rhm.num_strings(grammar.v, grammar.m, grammar.s, grammar.L)
    if total <= RULE_REFERENCE_MAX:            # the law is uniform over the strings: exact
        x = rhm.generate(grammar, total, distinct=True, seed=PROBE_SEED)
    else:
        x = rhm.generate(grammar, RULE_REFERENCE_MAX, seed=PROBE_SEED)
    _, cov, _ = rhm.rule_usage(grammar, x)
    if total <= RULE_REFERENCE_MAX:            # population covariance, not the (n-1) estimate
        cov = cov * (total - 1) / total
    return rhm.expected_rule_usage(grammar).ravel(), cov


def _rule_errors(grammar, x, reference):
    """(mean error, covariance error) of strings x against ``reference`` (NaN, NaN when fewer
    than 2 strings are valid)."""
    valid = rhm.layer_validity(grammar, x)[:, -1]
    if int(valid.sum()) < 2:
        return float("nan"), float("nan")
    mean, cov, _ = rhm.rule_usage(grammar, np.asarray(x)[valid])
    mu, c = reference
    return (float(np.linalg.norm(mean.ravel() - mu) / np.linalg.norm(mu)),
            float(np.linalg.norm(cov - c) / np.linalg.norm(c)))


def rule_statistics_error(grammar: rhm.Grammar, x: ArrayLike) -> tuple[float, float]:
    r"""Errors of the rule statistics of strings against the grammar's exact law (Fig. 14).

    With $\hat\mu$ and $\hat C$ the mean and centred covariance of the per-string
    rule-occurrence vectors of the valid strings of ``x``
    ([`rule_usage`][memlab.theory.rhm.rule_usage], length $L v m$; invalid strings are
    dropped), $\mu$ the exact mean
    ([`expected_rule_usage`][memlab.theory.rhm.expected_rule_usage]) and $C$ the
    covariance of the grammar's law, the two errors are the relative distances

    $$
    e_\mu = \frac{\|\hat\mu - \mu\|_2}{\|\mu\|_2}, \qquad
    e_C = \frac{\|\hat C - C\|_F}{\|C\|_F}.
    $$

    $C$ is exact when the grammar has at most `RULE_REFERENCE_MAX` strings: the law of
    the RHM is uniform over its strings (each has one derivation, of probability
    $v^{-1} m^{-(\text{nodes})}$), so $C$ is the covariance over all of them; otherwise
    it is estimated from `RULE_REFERENCE_MAX` fresh strings (seed `PROBE_SEED`). Both
    errors have a sampling floor of order $n^{-1/2}$ for n valid strings: a model
    that generalizes reaches the floor, one that copies P training strings the errors
    of the training set (Favero et al. 2025, App. F).

    Parameters
    ----------
    grammar : memlab.theory.rhm.Grammar
        The grammar.
    x : array_like of int, shape (n, d)
        Strings (e.g. generated by a trained model), tokens in [0, v).

    Returns
    -------
    tuple of 2 floats
        $(e_\mu, e_C)$. (Inside
        [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm], an evaluation
        with fewer than 2 valid generated strings records NaN instead of raising.)

    Raises
    ------
    TypeError
        If ``grammar`` is not a Grammar or ``x`` not an integer array.
    ValueError
        If ``x`` has a token out of range or not d columns, or fewer than 2 of its
        strings are valid.

    References
    ----------
    Favero et al. (2025), App. F and Fig. 14.

    Examples
    --------
    >>> g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    >>> e_mu, e_c = rule_statistics_error(g, rhm.generate(g, 4000, seed=0))
    >>> e_mu < 0.03 and e_c < 0.1
    True
    """
    grammar = check_instance("grammar", grammar, rhm.Grammar)
    tokens, _ = check_tokens("x", x, length=grammar.d, n_tokens=grammar.v)
    n_valid = int(rhm.layer_validity(grammar, tokens)[:, -1].sum())
    if n_valid < 2:
        raise ValueError(f"x must contain at least 2 valid strings of the grammar, got {n_valid}")
    return _rule_errors(grammar, tokens, _rule_reference(grammar))


def denoiser_distance(run_a: D3PMRun, run_b: D3PMRun) -> np.ndarray:
    r"""Hellinger distance between the probe predictions of two runs, at each evaluation.

    For two runs trained with the same settings on disjoint training sets
    (``train_block=0`` and ``1`` of
    [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm]), the distance
    [`denoiser_hellinger`][memlab.theory.rhm.denoiser_hellinger] between their
    $p(x_0 | x_t)$ on the same noisy held-out probe strings, averaged over the probe
    strings: small while both learn the population denoiser (generalization), large once
    each reproduces its own training set (Favero et al. 2025, Figs. 2 and 5b).

    Parameters
    ----------
    run_a, run_b : D3PMRun
        Two runs with probe predictions (``probe_probs``, in memory or from
        [`load_run`][memlab.verification.training.rhm_d3pm.load_run]), evaluated at the same
        steps on the same probe strings.

    Returns
    -------
    numpy.ndarray, shape (len(steps), len(probe_abar))
        The distance at each evaluation (rows) and probe level (columns, `PROBE_ABAR`);
        NaN where either run has no predictions.

    Raises
    ------
    TypeError
        If a run is not a D3PMRun.
    ValueError
        If a run has no probe predictions, or the runs differ in their evaluation steps
        or probe strings.

    References
    ----------
    Favero et al. (2025), Sec. 4.4 and Figs. 2, 5b.

    Examples
    --------
    >>> p = np.full((2, 1, 1, 2, 2), 0.5)                  # 2 evaluations, uniform outputs
    >>> q = p.copy()
    >>> q[1] = [[1.0, 0.0], [1.0, 0.0]]
    >>> steps = np.array([10.0, 20.0])
    >>> def run(probs):
    ...     return D3PMRun(4, steps, np.ones(2), np.ones(2), np.zeros(2), np.zeros((2, 2)),
    ...                    np.nan, 10.0, 0.2, 4, 1e-3, 8, 0, probe_abar=(0.5,),
    ...                    probe_tokens=np.zeros((1, 1, 2), dtype=int), probe_probs=probs)
    >>> denoiser_distance(run(p), run(q)).round(4).tolist()
    [[0.0], [0.5412]]
    """
    check_instance("run_a", run_a, D3PMRun)
    check_instance("run_b", run_b, D3PMRun)
    for name, r in (("run_a", run_a), ("run_b", run_b)):
        if r.probe_probs is None or r.probe_tokens is None:
            raise ValueError(f"{name} has no probe predictions (probe_probs is None): load it "
                             "with load_run, or train it again with train_d3pm")
    if not np.array_equal(run_a.steps, run_b.steps):
        raise ValueError("run_a and run_b must be evaluated at the same steps, got "
                         f"{np.size(run_a.steps)} and {np.size(run_b.steps)} evaluations")
    if not np.array_equal(run_a.probe_tokens, run_b.probe_tokens):
        raise ValueError("run_a and run_b must have the same probe strings (same grammar, "
                         "seed, n_val and process)")
    pa = np.asarray(run_a.probe_probs, dtype=float)
    pb = np.asarray(run_b.probe_probs, dtype=float)
    out = np.full(pa.shape[:2], np.nan)
    for i in range(pa.shape[0]):
        if np.isfinite(pa[i]).all() and np.isfinite(pb[i]).all():
            pai = pa[i] / pa[i].sum(-1, keepdims=True)
            pbi = pb[i] / pb[i].sum(-1, keepdims=True)
            out[i] = np.mean(rhm.denoiser_hellinger(pai, pbi), axis=-1)
    return out


def load_run(path: str | PathLike) -> D3PMRun:
    """Read a run saved by ``train_d3pm(out_dir=...)``, with its probe predictions.

    The history ``d3pm_P*.json`` is read with
    [`D3PMRun.from_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.from_saved_dict];
    ``probe_probs`` is read from the ``_probe.npz`` file of the same stem next to it,
    when there is one (runs saved before the probe predictions existed load with it None).

    Parameters
    ----------
    path : path
        The ``.json`` history.

    Returns
    -------
    D3PMRun
        The run.

    Raises
    ------
    TypeError
        If ``path`` is not a path.
    ValueError
        If the file cannot be read as a saved run.

    References
    ----------
    Favero et al. (2025), Figs. 2 and 5b (two runs compared after training).

    Examples
    --------
    >>> import tempfile
    >>> steps = np.geomspace(10, 1e4, 5)
    >>> run = D3PMRun(16, steps, np.ones(5), np.ones(5), np.zeros(5), np.zeros((5, 2)),
    ...               np.nan, 10.0, 0.2, 32, 1e-3, 8, 0)
    >>> path = Path(tempfile.mkdtemp()) / "d3pm_P16_s0.json"
    >>> _ = path.write_text(json.dumps(run.to_saved_dict()))
    >>> load_run(path).P, load_run(path).probe_probs is None
    (16, True)
    """
    path = Path(check_path("path", path))
    try:
        data = json.loads(path.read_text())
        run = D3PMRun.from_saved_dict(data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"path {str(path)!r} is not a saved D3PM run ({exc})") from None
    side = path.with_name(path.stem + "_probe.npz")
    if side.exists():
        with np.load(side) as z:
            run = dataclasses.replace(run, probe_probs=np.asarray(z["probe_probs"]))
    return run


def train_d3pm(grammar: rhm.Grammar, P: int, *, steps: int = 20000, batch_size: int = 32,
               lr: float = 1e-3, channels: int = 128, n_val: int = 512, n_generate: int = 256,
               gen_steps: int = 50, n_eval: int = 20, threshold: float = 0.2,
               n_levels: int | None = None, sw_projections: int | None = 256,
               seed: Generator | int | None = 0,
               out_dir: str | PathLike | None = None, progress: bool = True,
               process: str = "uniform", schedule: str = "cosine", optimizer: str = "adam",
               train_block: int | None = None, init_seed: int | None = None,
               n_probe: int | None = 32,
               rule_stats: bool = True) -> D3PMRun:
    r"""Train the U-Net D3PM on P distinct strings of ``grammar`` and record its history.

    Adam on the cross-entropy of the clean tokens under uniform D3PM corruption (cosine
    schedule, T = 1000), mini-batches drawn with replacement from the P strings. At
    ``n_eval`` log-spaced steps the run records the train and validation losses on fixed
    noise draws and generates ``n_generate`` strings with the network as denoiser to
    measure copies and rule errors (see the module docstring), and the sliced Wasserstein
    distance of the generated strings to the training set and to a held-out set (the
    fidelity metric of the position paper (2026), measured against both splits as in its
    Sec. 3.2). Favero et al. (2025) find that memorization starts after a number of steps
    proportional to P.

    Cost: O(steps x batch_size x d x channels^2) for the training plus, per evaluation,
    the loss on about 2 x 4096 noisy strings and ``n_generate`` x ``gen_steps`` network
    calls.

    Parameters
    ----------
    grammar : memlab.theory.rhm.Grammar
        The grammar; P + n_val must not exceed its number of strings.
    P : int
        Training strings (distinct; the validation strings are distinct from them).
    steps : int, default 20000
        Adam steps.
    batch_size : int, default 32
        Strings per mini-batch (drawn with replacement).
    lr : float, default 0.001
        Adam's learning rate, > 0.
    channels : int, default 128
        Channels of the U-Net ([`make_unet`][memlab.verification.training.rhm_d3pm.make_unet]).
    n_val : int, default 512
        Validation strings.
    n_generate : int, default 256
        Strings generated at each evaluation.
    gen_steps : int, default 50
        Reverse-diffusion steps of the generation.
    n_eval : int, default 20
        Evaluations at log-spaced steps between 10 and ``steps``.
    threshold : float
        Loss gap (nats per token) defining tau_mem. 0.2: with P = 64 training
        strings, the train loss of the particular strings differs from the
        validation loss by up to 0.15 nats before any copy appears.
    n_levels : int, optional
        Fixed noise levels per string in the loss evaluations (default: at
        least 8 and at least 4096 noisy strings per set, which keeps the
        evaluation noise of the losses near 0.01 nats).
    sw_projections : int or None, default 256
        Random directions of the sliced Wasserstein distances
        ([`sliced_wasserstein`][memlab.theory.metrics.sliced_wasserstein], $p = 2$, fixed
        directions of seed `SW_SEED`), in [1, `MAX_SIZE`]; None records no distances. At
        each evaluation the ``n_generate`` generated strings are compared, in the embedding
        of [`one_hot_embedding`][memlab.verification.training.rhm_d3pm.one_hot_embedding],
        with the first ``min(P, n_val)`` training strings and as many validation strings
        (reference sets of equal size, so that a generalizing model is equally far from
        both); ``sw_train_val`` compares the two reference sets, and ``sw_fresh`` and
        ``sw_copies`` calibrate the curves with fresh strings of the grammar and with
        strings drawn from the training set (random draws of seed `SW_SEED`). No random
        draw is taken from the run's stream: the other fields are the same with or
        without the curves.
    out_dir : path, optional
        Checkpoint ``d3pm_P{P}_s{seed}_{key}.pt`` (at every evaluation) and history
        ``d3pm_P{P}_s{seed}_{key}.json`` there, both written atomically; a second
        call with the same settings resumes from the checkpoint. ``key`` hashes every
        setting that changes the result (the grammar's rules and seed, P, steps,
        batch_size, lr, channels, n_val, n_generate, gen_steps, n_eval, threshold,
        n_levels, sw_projections, the schedule, seed, the memlab version, and process,
        optimizer, train_block, init_seed, n_probe and rule_stats when not at their
        defaults), so other settings train into their own files; the probe predictions go to
        ``d3pm_P{P}_s{seed}_{key}_probe.npz``
        ([`load_run`][memlab.verification.training.rhm_d3pm.load_run]). The checkpoint holds tensors, the history and the
        random states only and is read with ``torch.load(weights_only=True)``; a
        checkpoint with another key raises ValueError. The JSON adds ``settings``,
        ``key`` and a ``manifest`` (versions, torch threads, git revision, date) to
        [`D3PMRun.to_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.to_saved_dict]. Needs an integer ``seed``.
    seed : Generator, int or None, default 0
        Random seed of the data, the network and the noise.
    progress : bool, default True
        Show a tqdm progress bar.
    process : {"uniform", "masked"}, default "uniform"
        The corruption. ``"uniform"``: a token is kept with probability $\bar\alpha_t$ and
        otherwise resampled uniformly (D3PM, Favero et al. 2025, App. B.3, eq. 4).
        ``"masked"``: the absorbing-state process of MD4 (their App. B.2, eq. 3, the
        setting of their sec. 3 on text, here on RHM strings): a token is kept with
        probability $\bar\alpha_t$ and otherwise replaced by the mask token v. The
        network then takes v + 1 input tokens and predicts v classes; the loss (training
        and the recorded losses) is the cross-entropy per *masked* token, and the
        network's denoiser copies the unmasked tokens (they are $x_0$). Generation uses
        ``reverse_sample(process="masked")``.
    schedule : {"cosine", "linear"}, default "cosine"
        The training keep schedule over T = 1000 levels. ``"cosine"``:
        [`keep_schedule`][memlab.theory.rhm.keep_schedule] (memlab's default, used by the
        saved runs). ``"linear"``: the linear $\beta_t$ from $10^{-4}$ to 0.02 of
        [`d3pm_betas`][memlab.theory.schedules.d3pm_betas], $\bar\alpha_t =
        \prod_{s \le t}(1 - \beta_s)$ ([`d3pm_keep`][memlab.theory.schedules.d3pm_keep];
        $\bar\alpha_{1000} = 4\times10^{-5}$), the "linear schedule with 1,000 noise
        levels" of Favero et al. (2025), App. B.3 (its ends are not given there; these are
        Ho et al. 2020's). Generation always follows the cosine grid of
        ``reverse_sample`` with ``gen_steps`` steps (the network is conditioned on
        $\bar\alpha$, not on t).
    optimizer : {"adam", "sgd"}, default "adam"
        Adam, or SGD with momentum 0.9, at learning rate ``lr`` (Favero et al. 2025,
        Figs. 15 and 19).
    train_block : {0, 1} or None, default None
        None: the training set is the first P of P + n_val distinct strings drawn from
        the run's stream (as always). 0 or 1: 2P + n_val distinct strings are drawn, the
        training set is the block ``[train_block P, (train_block + 1) P)`` and the
        validation strings are the last n_val. Two runs with the same ``seed`` and
        blocks 0 and 1 have disjoint training sets, the same validation (and probe)
        strings, and the same initialisation and mini-batch indices unless ``init_seed``
        differs (Favero et al. 2025, Figs. 2 and 5b); compare them with
        [`denoiser_distance`][memlab.verification.training.rhm_d3pm.denoiser_distance].
    init_seed : int or None, default None
        None: the network's initialisation and the mini-batch and noise stream of the
        training come from ``seed`` (as always). An integer >= 0: they come from this seed
        instead, while the strings, the evaluation noise and the generation still come
        from ``seed``; two runs with the same ``seed``, blocks 0 and 1 and different
        ``init_seed`` are independently initialised models on disjoint training sets.
    n_probe : int or None, default 32
        Probe strings, in [1, `MAX_SIZE`] (at most ``n_val`` are used): the first
        ``n_probe`` validation strings, corrupted at each keep probability of
        `PROBE_ABAR` (0.2, 0.5, 0.8) with noise of seed `PROBE_SEED` (not the run's
        stream). At each evaluation the network's $p(x_0 | x_t)$ on them is saved
        (``probe_probs``) and compared with the exact BP denoiser
        ([`exact_denoiser`][memlab.theory.rhm.exact_denoiser], same process) by the
        Hellinger distance ``probe_hellinger``. None records nothing.
    rule_stats : bool, default True
        Record the rule-statistics errors of the generated strings at each evaluation
        (``rule_mean_error``, ``rule_cov_error``; definition in
        [`rule_statistics_error`][memlab.verification.training.rhm_d3pm.rule_statistics_error]),
        with the calibrations ``rule_fresh`` and ``rule_copies`` (draws of seed
        `PROBE_SEED`). The probe and rule statistics take no draw from the run's random
        stream: with the default options the training, losses and generated strings are
        the same as without them (bit for bit).

    Returns
    -------
    D3PMRun
        Its ``tau_mem`` is NaN when the loss gap never exceeds ``threshold`` (not
        reached), and for a run with fewer than 2 evaluations.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a number is out of range, P + n_val exceeds the number of strings, the
        training diverges, or ``out_dir`` holds an unreadable or foreign checkpoint.

    References
    ----------
    Favero et al. (2025), sec. 4.3 and App. B.3.

    Examples
    --------
    A few steps of a tiny network on 8 strings of a 32-string grammar:

    >>> g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    >>> run = train_d3pm(g, 8, steps=20, batch_size=4, channels=8, n_val=8, n_generate=8,
    ...                  gen_steps=2, n_eval=2, n_levels=2, progress=False)
    >>> run.steps.tolist(), run.layer_errors.shape
    ([10.0, 20.0], (2, 2))
    """
    import torch

    grammar = check_instance("grammar", grammar, rhm.Grammar)
    P = check_positive_int("P", P)
    steps = check_count("steps", steps, MAX_SAMPLES)
    batch_size = check_count("batch_size", batch_size, MAX_SIZE)
    lr = check_positive_real("lr", lr)
    n_val = check_count("n_val", n_val, MAX_SIZE)
    channels = check_count("channels", channels, MAX_SIZE)
    n_generate = check_count("n_generate", n_generate, MAX_SIZE)
    gen_steps = check_count("gen_steps", gen_steps, MAX_SIZE)
    n_eval = check_count("n_eval", n_eval, MAX_SIZE)
    threshold = check_positive_real("threshold", threshold)
    if sw_projections is not None:
        sw_projections = check_count("sw_projections", sw_projections, MAX_SIZE)
    if n_levels is not None:
        n_levels = check_positive_int("n_levels", n_levels)
        check_allocation("n_levels", (max(P, n_val) * n_levels, grammar.s ** grammar.L))
    if out_dir is not None:
        out_dir = check_path("out_dir", out_dir)
    progress = check_bool("progress", progress)
    process = check_choice("process", process, ("uniform", "masked"))
    schedule_name = check_choice("schedule", schedule, ("cosine", "linear"))
    optimizer = check_choice("optimizer", optimizer, ("adam", "sgd"))
    if train_block is not None:
        train_block = check_index("train_block", train_block, 2)
    if init_seed is not None:
        init_seed = check_positive_int("init_seed", init_seed, minimum=0)
    if n_probe is not None:
        n_probe = check_count("n_probe", n_probe, MAX_SIZE)
    rule_stats = check_bool("rule_stats", rule_stats)
    rng = check_rng(seed)
    torch.manual_seed(int(rng.integers(2**62)))
    v, L = grammar.v, grammar.L
    masked = process == "masked"
    total = rhm.num_strings(v, grammar.m, grammar.s, L)
    n_train_pool = P if train_block is None else 2 * P
    if n_train_pool + n_val > total:
        what = "P + n_val" if train_block is None else "2 P + n_val (train_block given)"
        raise ValueError(f"{what} must be <= num_strings = {total}, got {n_train_pool + n_val}")
    both = rhm.generate(grammar, n_train_pool + n_val, distinct=True, seed=rng)
    if train_block is None:
        train, val = both[:P], both[P:]
    else:                                     # blocks [0, P) and [P, 2P); validation after both
        train, val = both[train_block * P:(train_block + 1) * P], both[2 * P:]
    if schedule_name == "cosine":
        schedule = rhm.keep_schedule(1000)
    else:
        from memlab.theory.schedules import d3pm_betas, d3pm_keep
        schedule = d3pm_keep(d3pm_betas(1000, "linear"))

    def corrupt(clean, keep, gen_tokens):
        return np.where(keep, clean, v if masked else gen_tokens)

    def noisy_set(x):
        n_lev = n_levels or max(8, -(-4096 // x.shape[0]))
        t = rng.integers(1, len(schedule), size=(x.shape[0], n_lev))
        abar = schedule[t].ravel()
        clean = np.repeat(x, n_lev, axis=0)
        keep = rng.random(clean.shape) < abar[:, None]
        return (torch.tensor(corrupt(clean, keep, rng.integers(0, v, clean.shape))),
                torch.tensor(abar), torch.tensor(clean))

    eval_train, eval_val = noisy_set(train), noisy_set(val)
    init = None if init_seed is None else np.random.default_rng(init_seed)
    if init is not None:                      # the network from init_seed, not from seed
        torch.manual_seed(int(init.integers(2**62)))
    net = make_unet(v, grammar.s, L, channels, n_inputs=v + 1 if masked else None)
    if optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    X = torch.tensor(train)
    sched_t = torch.tensor(schedule)
    gen_seed = int(rng.integers(2**62))       # drawn in any case: seed's stream unchanged
    gen = torch.Generator().manual_seed(gen_seed if init is None else int(init.integers(2**62)))
    eval_steps = np.unique(np.round(np.logspace(1, np.log10(steps), n_eval)).astype(int))
    hist = {"steps": [], "train_loss": [], "val_loss": [], "copy_fraction": [], "layer_errors": [],
            "sw_train": [], "sw_val": [], "probe_hellinger": [], "probe_probs": [],
            "rule_mean_error": [], "rule_cov_error": []}
    probe = None
    if n_probe is not None:                   # noisy held-out strings, not the run's stream
        prng = np.random.default_rng(PROBE_SEED)
        clean = val[:min(n_probe, n_val)]
        probe_x = np.stack([rhm.add_noise(clean, a, v, process=process, seed=prng)
                            for a in PROBE_ABAR])
        probe = (probe_x, [rhm.exact_denoiser(grammar, xt, a, process=process)
                           for xt, a in zip(probe_x, PROBE_ABAR)])
    rule_cal = None
    if rule_stats:
        rule_ref = _rule_reference(grammar)
        cal = np.random.default_rng(PROBE_SEED)            # not the run's stream
        rule_cal = {"rule_fresh": _rule_errors(grammar, rhm.generate(grammar, n_generate, seed=cal),
                                            rule_ref),
                    "rule_copies": _rule_errors(grammar, train[cal.integers(0, P, n_generate)],
                                                rule_ref)}
    if sw_projections is not None:
        n_ref = min(P, n_val)
        ref_train, ref_val = one_hot_embedding(train[:n_ref], v), one_hot_embedding(val[:n_ref], v)
        sw_train_val = sliced_wasserstein(ref_train, ref_val, n_projections=sw_projections,
                                          seed=SW_SEED)
        cal = np.random.default_rng(SW_SEED)       # not the run's stream
        draws = {"sw_fresh": [], "sw_copies": []}
        for _ in range(SW_CALIBRATION_DRAWS):
            for k, xs in (("sw_fresh", rhm.generate(grammar, n_generate, seed=cal)),
                          ("sw_copies", train[cal.integers(0, P, n_generate)])):
                emb = one_hot_embedding(xs, v)
                draws[k].append([sliced_wasserstein(emb, ref, n_projections=sw_projections,
                                                    seed=SW_SEED)
                                 for ref in (ref_train, ref_val)])
        calibration = {k: tuple(float(x) for x in np.mean(d, axis=0)) for k, d in draws.items()}
    start = 0
    ckpt = None
    if out_dir is not None:
        import hashlib
        import io

        from memlab import __version__

        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer when out_dir is given (results are "
                             f"keyed on it), got {seed!r}")
        rules = hashlib.sha256(b"".join(np.ascontiguousarray(r, dtype=np.int64).tobytes()
                                        for r in grammar.rules)).hexdigest()[:16]
        settings = {"format": D3PM_FORMAT,
                    "grammar": {"v": v, "m": grammar.m, "s": grammar.s, "L": L,
                                "seed": grammar.seed, "rules_sha256": rules},
                    "P": P, "steps": steps, "batch_size": batch_size, "lr": float(lr),
                    "channels": channels, "n_val": n_val, "n_generate": n_generate,
                    "gen_steps": gen_steps, "n_eval": n_eval, "threshold": float(threshold),
                    "n_levels": n_levels, "sw_projections": sw_projections,
                    "schedule": f"{schedule_name}, T = 1000", "seed": int(seed),
                    "memlab_version": __version__}
        # options added later enter the key only when not at their defaults, so that the
        # checkpoints of default runs keep their key
        for name, value, default in (("process", process, "uniform"),
                                     ("optimizer", optimizer, "adam"),
                                     ("train_block", train_block, None),
                                     ("init_seed", init_seed, None),
                                     ("n_probe", n_probe, 32), ("rule_stats", rule_stats, True)):
            if value != default:
                settings[name] = value
        key = settings_key(settings)
        stem = f"d3pm_P{P}_s{seed}_{key}"
        ckpt = Path(out_dir) / f"{stem}.pt"
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        if ckpt.exists():
            try:
                state = torch.load(ckpt, weights_only=True)
            except Exception as exc:               # unpickling errors of any kind
                raise ValueError(f"{ckpt} is not a readable checkpoint ({exc}); delete it or "
                                 "use another out_dir") from None
            if not isinstance(state, dict) or state.get("key") != key:
                raise ValueError(f"{ckpt} holds a checkpoint of other settings (key "
                                 f"{state.get('key') if isinstance(state, dict) else None!r}, "
                                 f"expected {key}); delete it or use another out_dir")
            net.load_state_dict(state["net"])
            opt.load_state_dict(state["opt"])
            gen.set_state(state["gen"])
            rng.bit_generator.state = json.loads(state["rng"])
            hist, start = state["hist"], state["step"]
            for k in _SW_CURVES + _NEW_CURVES + ("probe_probs",):   # saved before the curves
                hist.setdefault(k, [None] * len(hist["steps"]))

    def loss_on(tokens, abar, clean):
        with torch.no_grad():
            out, count = [], 0
            for i in range(0, tokens.shape[0], 4096):
                logits = net(tokens[i:i + 4096], abar[i:i + 4096])
                target = clean[i:i + 4096]
                if masked:                    # the masked tokens only (the others are known)
                    sel = (tokens[i:i + 4096] == v).reshape(-1)
                    out.append(torch.nn.functional.cross_entropy(
                        logits.reshape(-1, v)[sel], target.reshape(-1)[sel], reduction="sum"))
                    count += int(sel.sum())
                else:
                    out.append(torch.nn.functional.cross_entropy(
                        logits.reshape(-1, v), target.reshape(-1), reduction="sum"))
            return float(sum(out)) / (max(count, 1) if masked else clean.numel())

    def denoiser(x_t, abar):
        with torch.no_grad():
            logits = net(torch.tensor(x_t), torch.full((x_t.shape[0],), float(abar)))
            p = torch.softmax(logits.double(), dim=-1).numpy()
        if masked:                            # carry-over: an unmasked token is x_0 itself
            known = x_t < v
            p[known] = np.eye(v)[x_t[known]]
        return p

    iterator = range(start, steps)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=f"D3PM P={P}", initial=start, total=steps)
    for step in iterator:
        idx = torch.randint(0, P, (batch_size,), generator=gen)
        x0 = X[idx]
        t = torch.randint(1, len(schedule), (batch_size,), generator=gen)
        abar = sched_t[t]
        keep = torch.rand(x0.shape, generator=gen, dtype=torch.float64) < abar[:, None]
        if masked:
            xt = torch.where(keep, x0, torch.full_like(x0, v))
        else:
            xt = torch.where(keep, x0, torch.randint(0, v, x0.shape, generator=gen))
        logits = net(xt, abar)
        if masked:                            # cross-entropy on the masked tokens
            sel = ~keep.reshape(-1)
            loss = (torch.nn.functional.cross_entropy(logits.reshape(-1, v)[sel],
                                                      x0.reshape(-1)[sel], reduction="sum")
                    / max(int(sel.sum()), 1))
        else:
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, v), x0.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step + 1 in eval_steps:
            net.eval()
            hist["steps"].append(step + 1)
            hist["train_loss"].append(loss_on(*eval_train))
            hist["val_loss"].append(loss_on(*eval_val))
            if not (np.isfinite(hist["train_loss"][-1]) and np.isfinite(hist["val_loss"][-1])):
                raise ValueError(f"lr = {lr!r} makes the training diverge (non-finite loss at "
                                 f"step {step + 1}); use a smaller lr")
            xs = rhm.reverse_sample(grammar, n_generate, gen_steps, process=process,
                                    denoiser=denoiser, seed=int(rng.integers(2**62)))
            hist["copy_fraction"].append(rhm.copy_fraction(xs, train))
            hist["layer_errors"].append(rhm.layer_error_fractions(grammar, xs).tolist())
            if sw_projections is not None:
                emb = one_hot_embedding(xs, v)
                hist["sw_train"].append(sliced_wasserstein(
                    emb, ref_train, n_projections=sw_projections, seed=SW_SEED))
                hist["sw_val"].append(sliced_wasserstein(
                    emb, ref_val, n_projections=sw_projections, seed=SW_SEED))
            if probe is not None:
                probs = [denoiser(xt, a) for xt, a in zip(probe[0], PROBE_ABAR)]
                hist["probe_hellinger"].append(
                    [float(np.mean(rhm.denoiser_hellinger(p, q))) for p, q in zip(probs, probe[1])])
                hist["probe_probs"].append(torch.tensor(np.stack(probs), dtype=torch.float32))
            if rule_cal is not None:
                e_mu, e_c = _rule_errors(grammar, xs, rule_ref)
                hist["rule_mean_error"].append(e_mu)
                hist["rule_cov_error"].append(e_c)
            net.train()
            if ckpt is not None:
                buf = io.BytesIO()
                torch.save({"key": key, "net": net.state_dict(), "opt": opt.state_dict(),
                            "gen": gen.get_state(), "rng": json.dumps(rng.bit_generator.state),
                            "hist": hist, "step": step + 1}, buf)
                atomic_write(ckpt, buf.getvalue())
    st = np.array(hist["steps"], dtype=float)
    tr, va = np.array(hist["train_loss"]), np.array(hist["val_loss"])
    tau = memorization_onset(st, tr, va, threshold) if st.size >= 2 else float("nan")
    tau_min = float(st[np.argmin(va)]) if st.size else float("nan")
    sw = {}
    if sw_projections is not None:
        sw = {k: np.array([np.nan if x is None else x for x in hist[k]], dtype=float)
              for k in _SW_CURVES}
        sw["sw_train_val"] = sw_train_val
        sw.update(calibration)
    if probe is not None:
        n_lev, shape = len(PROBE_ABAR), probe[0].shape[1:] + (v,)
        sw["probe_abar"] = tuple(float(a) for a in PROBE_ABAR)
        sw["probe_tokens"] = probe[0]
        sw["probe_hellinger"] = np.array([[np.nan] * n_lev if h is None else h
                                          for h in hist["probe_hellinger"]],
                                         dtype=float).reshape(-1, n_lev)
        sw["probe_probs"] = np.stack(
            [np.full((n_lev,) + shape, np.nan, dtype=np.float32) if p is None
             else p.numpy() for p in hist["probe_probs"]]) if hist["probe_probs"] else \
            np.zeros((0, n_lev) + shape, dtype=np.float32)
    if rule_cal is not None:
        for k in ("rule_mean_error", "rule_cov_error"):
            sw[k] = np.array([np.nan if x is None else x for x in hist[k]], dtype=float)
        sw.update(rule_cal)
    run = D3PMRun(P, st, tr, va, np.array(hist["copy_fraction"]),
                  np.array(hist["layer_errors"]).reshape(-1, L), tau, tau_min, threshold,
                  batch_size, lr,
                  channels, int(seed) if isinstance(seed, int) else -1, **sw,
                  process=process, schedule=schedule_name, optimizer=optimizer,
                  train_block=train_block)
    if out_dir is not None:
        atomic_write(Path(out_dir) / f"{stem}.json",
                     json.dumps(dict(run.to_saved_dict(), format=D3PM_FORMAT, key=key,
                                     settings=settings, manifest=manifest(settings)), indent=1))
        if run.probe_probs is not None:
            buf = io.BytesIO()
            np.savez_compressed(buf, probe_probs=run.probe_probs)
            atomic_write(Path(out_dir) / f"{stem}_probe.npz", buf.getvalue())
    return run


D3PM_FORMAT = "memlab-d3pm-v2"


TAU_DEFINITIONS = ("tau_mem", "tau_val_min", "tau_copy_onset", "tau_copy_half")


def _tau(run, which):
    if which == "tau_copy_onset":
        return run.tau_copy(0.1)
    if which == "tau_copy_half":
        return run.tau_copy(0.5)
    return getattr(run, which)


def tau_mem_scaling(runs: Sequence[D3PMRun], *, which: str = "tau_mem",
                    confidence: float = 0.95) -> PowerLawFit:
    """Fit tau ~ P^beta over the runs where tau was reached.

    Favero et al. (2025), sec. 4.3 predict beta = 1: memorization starts after a number of
    steps proportional to the training-set size. The fit is
    [`fit_power_law`][memlab.theory.metrics.fit_power_law] on log-log axes.

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs, at least 3 with a finite tau.
    which : {"tau_mem", "tau_val_min", "tau_copy_onset", "tau_copy_half"}, default "tau_mem"
        The definition: loss-gap onset, validation minimum, copy fraction reaches 0.1,
        or 0.5.
    confidence : float, default 0.95
        Confidence level of the exponent's interval.

    Returns
    -------
    PowerLawFit
        Exponent beta, its standard error and interval, and the prefactor.

    Raises
    ------
    TypeError
        If ``runs`` is not a sequence of D3PMRun.
    ValueError
        If ``which`` is unknown or fewer than 3 runs have a finite tau.

    References
    ----------
    Favero et al. (2025), sec. 4.3.

    Examples
    --------
    See the module docstring for planted runs whose copies start at step 20 P:

    >>> def planted(P, n=50):
    ...     steps = np.geomspace(10, 1e5, n)
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     return D3PMRun(P, steps, np.ones(n), 1 + copies, copies, np.zeros((n, 2)),
    ...                    20.0 * P, 20.0 * P, 0.2, 32, 1e-3, 8, 0)
    >>> fit = tau_mem_scaling([planted(P) for P in (16, 32, 64)], which="tau_copy_onset")
    >>> round(fit.exponent, 2)
    1.0
    """
    runs = check_instances("runs", runs, D3PMRun)
    which = check_choice("which", which, TAU_DEFINITIONS)
    ok = [r for r in runs if np.isfinite(_tau(r, which))]
    if len(ok) < 3:
        raise ValueError(f"runs must contain at least 3 runs with a finite {which}, got {len(ok)}")
    return fit_power_law([r.P for r in ok], [_tau(r, which) for r in ok], confidence=confidence)


def _setting_text(runs) -> str:
    """The settings shared by the runs, as 'batch 32, lr 0.001, ...' (those that differ are
    left out)."""
    parts = []
    for attr, fmt in (("batch_size", "batch {}"), ("lr", "lr {:g}"), ("channels", "{} channels"),
                      ("seed", "seed {}")):
        values = {getattr(r, attr) for r in runs}
        if len(values) == 1:
            parts.append(fmt.format(values.pop()))
    for attr, default, text in (("process", "uniform", {"masked": "masked noise"}),
                                ("schedule", "cosine", {"linear": "linear schedule"}),
                                ("optimizer", "adam", {"sgd": "SGD, momentum 0.9"})):
        values = {getattr(r, attr) for r in runs}
        if len(values) == 1 and (value := values.pop()) != default:
            parts.append(text.get(value, value))
    return ", ".join(parts)


def _data_ticks(axis, values) -> None:
    """Log-axis ticks at the data values, labelled plainly (64, 128 rather than 10^2)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_major_locator(FixedLocator(sorted({float(v) for v in np.ravel(values)})))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_minor_locator(NullLocator())


def plot_training_curves(runs: Sequence[D3PMRun], *, fig: Figure | None = None) -> Figure:
    r"""Losses, copies and invalid strings of D3PM runs against the training step.

    Left: train (solid) and validation (dashed) cross-entropy per token, one colour per
    training-set size P, with $\tau_{\rm mem}$ (onset of the loss gap) as a dotted
    vertical line. Right: the fraction of generated strings that copy a training string
    (solid) and that break a rule of the grammar (dashed). Favero et al. (2025) predict
    that $\tau_{\rm mem}$ grows in proportion to P: the dotted lines move right by the
    ratio of the P values.

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs ([`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm]).
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the two panels; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If ``runs`` is not a sequence of D3PMRun or ``fig`` not a Figure.
    ValueError
        If ``runs`` is empty.

    References
    ----------
    Favero et al. (2025), sec. 4.3.

    Examples
    --------
    >>> steps = np.geomspace(10, 1e4, 20)
    >>> run = D3PMRun(16, steps, np.ones(20), np.ones(20) + (steps > 320), 1.0 * (steps > 320),
    ...               np.zeros((20, 2)), 320.0, 320.0, 0.2, 32, 1e-3, 8, 0)
    >>> fig = plot_training_curves([run])
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['cross-entropy per token (nats)', 'fraction of generated strings']
    """
    import matplotlib
    from matplotlib.lines import Line2D

    from memlab.verification._plotting import figure_for

    runs = check_instances("runs", runs, D3PMRun)
    fig = figure_for(fig, figsize=(11.0, 5.0))
    ax1, ax2 = fig.subplots(1, 2)
    cmap = matplotlib.colormaps["viridis"]
    for i, r in enumerate(runs):
        c = cmap(0.9 * i / max(1, len(runs) - 1))
        ax1.plot(r.steps, r.train_loss, "-", color=c, label=f"P = {r.P}")
        ax1.plot(r.steps, r.val_loss, "--", color=c)
        if np.isfinite(r.tau_mem):
            ax1.axvline(r.tau_mem, color=c, lw=0.8, ls=":")
        ax2.plot(r.steps, r.copy_fraction, "-", color=c, label=f"P = {r.P}")
        if np.size(r.layer_errors):
            ax2.plot(r.steps, r.layer_errors[:, -1], "--", color=c)
    threshold = {r.threshold for r in runs}
    gap = f" (gap > {threshold.pop():g} nats)" if len(threshold) == 1 else ""
    for ax, styles in ((ax1, (("-", "train"), ("--", "validation"),
                              (":", r"$\tau_{\rm mem}$, loss-gap onset" + gap))),
                       (ax2, (("-", "copies of the training set"),
                              ("--", "invalid strings (break a rule)")))):
        handles, _ = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="k", ls=ls, lw=1, label=lab) for ls, lab in styles]
        ax.set_xscale("log")
        ax.set_xlabel("training step")
        ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                  ncol=3)
    ax1.set_ylabel("cross-entropy per token (nats)")
    ax1.set_title("train and validation losses", fontsize=10)
    ax2.set_ylabel("fraction of generated strings")
    ax2.set_ylim(-0.03, 1.03)
    ax2.set_title("generated strings", fontsize=10)
    setting = _setting_text(runs)
    fig.suptitle("D3PM U-Net on Random Hierarchy Model strings (Favero et al. 2025, sec. 4.3)"
                 + (f": {setting}" if setting else ""), fontsize=10)
    return fig


def plot_tau_vs_P(runs: Sequence[D3PMRun], fits: dict | None = None, *,
                  ax: Axes | None = None) -> Figure:
    r"""Memorization times against P on log axes, with fitted power laws and the slope 1.

    One marker series per definition of the time (loss-gap onset, validation minimum,
    copies reach 0.1 and 0.5) and, from ``fits``, its fitted power law with the 95%
    interval of the exponent. The grey line has the predicted slope 1
    ($\tau \propto P$, Favero et al. 2025), drawn through the geometric mean of the
    loss-gap onsets (or of the first definition reached): the prefactor is not predicted.

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs, one per P ([`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm]).
    fits : dict, optional
        Definition (an entry of ``TAU_DEFINITIONS``) -> PowerLawFit
        ([`tau_mem_scaling`][memlab.verification.training.rhm_d3pm.tau_mem_scaling]); None
        draws no fit.
    ax : matplotlib Axes, optional
        Where to draw; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``, or the new one.

    Raises
    ------
    TypeError
        If ``runs`` is not a sequence of D3PMRun, a fit not a PowerLawFit, or ``ax`` not an
        Axes.
    ValueError
        If ``runs`` is empty or ``fits`` has a key outside ``TAU_DEFINITIONS``.

    References
    ----------
    Favero et al. (2025), sec. 4.3.

    Examples
    --------
    >>> def planted(P, n=50):
    ...     steps = np.geomspace(10, 1e5, n)
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     return D3PMRun(P, steps, np.ones(n), 1 + copies, copies, np.zeros((n, 2)),
    ...                    20.0 * P, 20.0 * P, 0.2, 32, 1e-3, 8, 0)
    >>> runs = [planted(P) for P in (16, 32, 64)]
    >>> fig = plot_tau_vs_P(runs, {"tau_mem": tau_mem_scaling(runs)})
    >>> fig.axes[0].get_xlabel()
    'training strings P'
    """
    import matplotlib

    from memlab.verification._plotting import axes_for

    runs = check_instances("runs", runs, D3PMRun)
    fits = _check_fits(fits)
    labels = {"tau_mem": "loss-gap onset", "tau_val_min": "validation minimum",
              "tau_copy_onset": "copies reach 0.1", "tau_copy_half": "copies reach 0.5"}
    fig, ax = axes_for(ax, figsize=(6.0, 4.4))
    cmap = matplotlib.colormaps["tab10"]
    reference = None
    for i, which in enumerate(TAU_DEFINITIONS):
        ok = [r for r in runs if np.isfinite(_tau(r, which))]
        if not ok:
            continue
        P = np.array([r.P for r in ok], dtype=float)
        tau = np.array([_tau(r, which) for r in ok], dtype=float)
        if reference is None:
            reference = (P, tau)
        color = cmap(i)
        ax.loglog(P, tau, "o", color=color, label=labels[which])
        fit = fits.get(which)
        if fit is not None:
            xs = np.geomspace(P.min(), P.max(), 50)
            ax.loglog(xs, fit.prefactor * xs**fit.exponent, "-", color=color,
                      label=f"  fit: $\\beta$ = {fit.exponent:.2f} [{fit.ci_low:.2f}, "
                            f"{fit.ci_high:.2f}]")
    if reference is not None and reference[0].size >= 1:
        P, tau = reference
        x0, y0 = np.exp(np.mean(np.log(P))), np.exp(np.mean(np.log(tau)))
        xs = np.geomspace(min(r.P for r in runs), max(r.P for r in runs), 50)
        ax.loglog(xs, y0 * xs / x0, "-", color="0.45", lw=2, alpha=0.6, zorder=0,
                  label=r"theory: slope 1 ($\tau \propto P$)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _data_ticks(ax.xaxis, [r.P for r in runs])
    ax.set_xlabel("training strings P")
    ax.set_ylabel("memorization time (training steps)")
    setting = _setting_text(runs)
    ax.set_title(r"D3PM on the RHM: $\tau \propto P^\beta$ (Favero et al. 2025, sec. 4.3)"
                 + (f"\n({setting})" if setting else ""), fontsize=10)
    ax.legend(fontsize=7)
    return fig


def _check_fits(fits) -> dict:
    """``fits`` of [`plot_tau_vs_P`][memlab.verification.training.rhm_d3pm.plot_tau_vs_P] and [`save_summary`][memlab.verification.training.rhm_d3pm.save_summary]: None (no fits) or a dict
    definition -> PowerLawFit."""
    if fits is None:
        return {}
    check_instance("fits", fits, dict)
    for k, f in fits.items():
        if k not in TAU_DEFINITIONS:
            raise ValueError(f"fits keys must be in {TAU_DEFINITIONS}, got {k!r}")
        check_instance(f"fits[{k!r}]", f, PowerLawFit)
    return fits


def save_summary(runs: Sequence[D3PMRun], fits: dict | None,
                 out_dir: str | PathLike) -> list[Path]:
    """Write the summary of a series of runs into ``out_dir`` (``memlab train rhm --out``).

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs, e.g. one per training-set size P.
    fits : dict or None
        Definition (an entry of ``TAU_DEFINITIONS``) -> ``PowerLawFit`` from
        [`tau_mem_scaling`][memlab.verification.training.rhm_d3pm.tau_mem_scaling]; definitions without a fit are left out. None: no fits.
    out_dir : path
        Directory (created if missing).

    Returns
    -------
    list of pathlib.Path
        The three files written, in this order: ``d3pm_summary.json``
        (``{"runs": [D3PMRun.to_saved_dict() ...], "fits": {definition: fields of
        the fit}}``, indent 1; each run is rebuilt by
        [`D3PMRun.from_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.from_saved_dict]), ``d3pm_curves.png``
        ([`plot_training_curves`][memlab.verification.training.rhm_d3pm.plot_training_curves]) and ``d3pm_tau_vs_P.png``
        ([`plot_tau_vs_P`][memlab.verification.training.rhm_d3pm.plot_tau_vs_P]), both at 120 dpi.

    Raises
    ------
    ValueError
        If ``runs`` is empty or ``fits`` has a key outside ``TAU_DEFINITIONS``.
    TypeError
        If a run is not a D3PMRun or a fit not a PowerLawFit.

    References
    ----------
    Favero et al. (2025), sec. 4.3.

    Examples
    --------
    >>> import tempfile
    >>> steps = np.geomspace(10, 1e4, 20)
    >>> runs = [D3PMRun(P, steps, np.ones(20), 1.0 + (steps > 20 * P), 1.0 * (steps > 20 * P),
    ...                 np.zeros((20, 2)), 20.0 * P, 20.0 * P, 0.2, 32, 1e-3, 8, 0)
    ...         for P in (16, 32, 64)]
    >>> [p.name for p in save_summary(runs, None, tempfile.mkdtemp())]
    ['d3pm_summary.json', 'd3pm_curves.png', 'd3pm_tau_vs_P.png']
    """
    runs = check_instances("runs", runs, D3PMRun)
    fits = _check_fits(fits)
    out = Path(check_path("out_dir", out_dir))
    out.mkdir(parents=True, exist_ok=True)
    summary, curves, tau = (out / name for name in ("d3pm_summary.json", "d3pm_curves.png",
                                                   "d3pm_tau_vs_P.png"))
    with open(summary, "w") as fh:
        json.dump({"runs": [r.to_saved_dict() for r in runs],
                   "fits": {k: vars(f) for k, f in fits.items()}}, fh, indent=1)
    plot_training_curves(runs).savefig(curves, dpi=120)
    plot_tau_vs_P(runs, fits).savefig(tau, dpi=120)
    return [summary, curves, tau]


def plot_sw_curves(runs: Sequence[D3PMRun], *, fig: Figure | None = None) -> Figure:
    r"""Sliced Wasserstein distance of the generated strings to the training and held-out sets.

    Left: $SW(\text{generated}, \text{train})$ (solid) and
    $SW(\text{generated}, \text{held-out})$ (dashed) against the training step, one
    colour per P, with two references: the distance of fresh strings of the grammar
    (dash-dot, the same to both sets up to sampling) and that of strings drawn from the
    training set to the training set (dotted). Right: the calibrated gap
    [`sw_gap`][memlab.verification.training.rhm_d3pm.D3PMRun.sw_gap] (solid; 0 for
    fresh strings, 1 for copies) next to the fraction of generated strings that copy a
    training string (dashed), with $\tau_{\rm mem}$ (loss-gap onset) as a dotted
    vertical line. The position paper (2026), Sec. 3.2, finds the two distances equal
    throughout training on CIFAR-10.

    Parameters
    ----------
    runs : sequence of D3PMRun
        Runs with sliced Wasserstein curves
        ([`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm]).
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the two panels; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If ``runs`` is not a sequence of D3PMRun or ``fig`` not a Figure.
    ValueError
        If ``runs`` is empty or a run has no sliced Wasserstein curves.

    References
    ----------
    The position paper (2026), Sec. 3.1-3.2; Favero et al. (2025), sec. 4.3 (the D3PM on
    the RHM).

    Examples
    --------
    >>> steps = np.geomspace(10, 1e4, 20)
    >>> copies = 1.0 * (steps > 320)
    >>> run = D3PMRun(16, steps, np.ones(20), 1 + copies, copies, np.zeros((20, 2)), 320.0,
    ...               320.0, 0.2, 32, 1e-3, 8, 0, sw_train=0.3 - 0.2 * copies,
    ...               sw_val=np.full(20, 0.3), sw_train_val=0.25, sw_fresh=(0.3, 0.3),
    ...               sw_copies=(0.1, 0.3))
    >>> fig = plot_sw_curves([run])
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['sliced Wasserstein distance', 'calibrated gap, fraction of copies']
    """
    import matplotlib
    from matplotlib.lines import Line2D

    from memlab.verification._plotting import figure_for

    runs = check_instances("runs", runs, D3PMRun)
    gaps = []
    for i, r in enumerate(runs):
        try:
            gaps.append(r.sw_gap())
        except ValueError:
            raise ValueError(f"runs[{i}] has no sliced Wasserstein curves (sw_train, sw_val, "
                             "sw_fresh or sw_copies is None)") from None
    fig = figure_for(fig, figsize=(11.0, 5.2))
    ax1, ax2 = fig.subplots(1, 2)
    cmap = matplotlib.colormaps["viridis"]
    dense = (0, (1, 1))
    for i, (r, gap) in enumerate(zip(runs, gaps)):
        c = cmap(0.9 * i / max(1, len(runs) - 1))
        ax1.plot(r.steps, r.sw_train, "-", color=c, label=f"P = {r.P}")
        ax1.plot(r.steps, r.sw_val, "--", color=c)
        ax1.axhline(0.5 * (r.sw_fresh[0] + r.sw_fresh[1]), color=c, lw=0.9, ls="-.")
        ax1.axhline(r.sw_copies[0], color=c, lw=0.9, ls=dense)
        ax2.plot(r.steps, gap, "-", color=c, label=f"P = {r.P}")
        ax2.plot(r.steps, r.copy_fraction, "--", color=c)
        if np.isfinite(r.tau_mem):
            ax2.axvline(r.tau_mem, color=c, lw=0.8, ls=":")
    ax2.axhline(0.0, color="0.5", lw=0.8)
    ax2.axhline(1.0, color="0.5", lw=0.8)
    threshold = {r.threshold for r in runs}
    gap_text = f" (gap > {threshold.pop():g} nats)" if len(threshold) == 1 else ""
    for ax, styles in ((ax1, (("-", "to the training set"), ("--", "to held-out strings"),
                              ("-.", "fresh grammar strings (reference)"),
                              (dense, "training strings, to the training set (reference)"))),
                       (ax2, (("-", "calibrated SW gap (0: fresh strings, 1: copies)"),
                              ("--", "copies of the training set"),
                              (":", r"$\tau_{\rm mem}$, loss-gap onset" + gap_text)))):
        handles, _ = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="k", ls=ls, lw=1, label=lab) for ls, lab in styles]
        ax.set_xscale("log")
        ax.set_xlabel("training step")
        ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                  ncol=2)
    ax1.set_ylabel("sliced Wasserstein distance")
    ax1.set_title("generated strings to each split (one-hot embedding, $p = 2$)", fontsize=10)
    ax2.set_ylabel("calibrated gap, fraction of copies")
    lo = min([-0.25] + [float(np.nanmin(g)) - 0.05 for g in gaps if np.isfinite(g).any()])
    hi = max([1.1] + [float(np.nanmax(g)) + 0.05 for g in gaps if np.isfinite(g).any()])
    ax2.set_ylim(lo, hi)
    ax2.set_title("train-versus-held-out gap and copies", fontsize=10)
    setting = _setting_text(runs)
    fig.suptitle("D3PM on RHM strings: sliced Wasserstein distance to the training and "
                 "held-out sets (the position paper 2026, Sec. 3.2)"
                 + (f"\n{setting}" if setting else ""), fontsize=10)
    return fig
