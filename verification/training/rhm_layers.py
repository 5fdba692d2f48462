r"""Layer-by-layer generalization of the D3PM on the Random Hierarchy Model, and the measured phase diagram (Favero et al. 2025, Sec. 4.4, Figs. 5a and 6).

Favero et al. (2025), Sec. 4.2-4.4, summarise the learning of a hierarchical grammar by
a diffusion model in three scaling laws: the rules of layer $\ell$ (counted from the
tokens) need about $P^*_\ell \sim v m^{\ell + 1}$ training strings
([`memlab.theory.rhm.sample_complexity`][memlab.theory.rhm.sample_complexity]); with
enough strings they are learned after $\tau^*_\ell \propto P^*_\ell$ training steps; and
memorization starts at $\tau_{\rm mem} \propto P$. Below $P^*_\ell$ the error of layer
$\ell$ falls only when the model starts to copy its training set (their Fig. 5a), which
gives the phase diagram of their Fig. 6.

This module measures the three laws on D3PM runs of
[`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm] (saved
[`D3PMRun`][memlab.verification.training.rhm_d3pm.D3PMRun]s: the measurement needs no
torch):

* [`layer_learning_times`][memlab.verification.training.rhm_layers.layer_learning_times]:
  $\tau^*_\ell$ of one run, the first step (interpolated in log step) at which the
  fraction of generated strings that break a rule of layers $1..\ell$ is at most
  ``level`` (default 0.15, the paper's "fraction of errors < 15%");
* [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers]: for a
  series of runs (one or more seeds per P), $\tau^*_\ell(P)$ and $\tau_{\rm mem}(P)$
  with bootstrap intervals, whether layer $\ell$ is learned before memorization
  ($\tau^*_\ell < \tau_{\rm mem}$), the measured sample complexity of each layer and the
  fitted exponents against $P^*_\ell$
  ([`LayerMeasurement`][memlab.verification.training.rhm_layers.LayerMeasurement]);
* [`phase_diagram_arguments`][memlab.verification.training.rhm_layers.phase_diagram_arguments]
  and [`plot_measured_phase_diagram`][memlab.verification.training.rhm_layers.plot_measured_phase_diagram]:
  Fig. 6 drawn from the measured constants, with the measured points on it;
* [`train_layer_series`][memlab.verification.training.rhm_layers.train_layer_series]
  (the experiment, ``memlab train rhm-layers``),
  [`load_layer_runs`][memlab.verification.training.rhm_layers.load_layer_runs] and
  [`save_layer_summary`][memlab.verification.training.rhm_layers.save_layer_summary].

Example on planted runs (no training): layer $\ell$ of a run with $P \ge 2 P^*_\ell$
reaches 15% errors at step $10\,P^*_\ell$; the other layers only when copies appear,
after step $20\,P$:

>>> import numpy as np
>>> from memlab.verification.training.rhm_d3pm import D3PMRun
>>> def planted(P, P_star=(8, 16, 32), n=60):
...     steps = np.geomspace(10, 1e5, n)
...     copies = np.clip(np.log(steps / (20 * P)) / np.log(2), 0, 1)
...     ramps = [np.clip(0.15 - np.log10(steps / (10 * p)), 0, 1)
...              if P >= 2 * p else 1 - copies for p in P_star]
...     errors = np.maximum.accumulate(np.array(ramps).T, axis=1)
...     return D3PMRun(P, steps, np.ones(n), 1 + copies, copies, errors,
...                    20.0 * P, 20.0 * P, 0.2, 32, 1e-3, 8, 0)
>>> np.round(layer_learning_times(planted(64)), 1).tolist()
[80.0, 160.0, 320.0]
>>> m = measure_layers([planted(P) for P in (8, 16, 32, 64, 128)], P_star=[8, 16, 32],
...                    n_boot=20)
>>> m.learned.astype(int).tolist()
[[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 1, 1]]
>>> np.round(m.P_learned, 1).tolist(), round(m.tau_fit.exponent, 3)
([11.3, 22.6, 45.3], 1.0)

References
----------
Favero et al. (2025), "Bigger isn't always memorizing: early stopping overparameterized
diffusion models", Secs. 4.2-4.4, Figs. 4, 5a and 6.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memlab._results import Result
from memlab._validation import (
    check_array,
    check_choice,
    check_instance,
    check_instances,
    check_nonnegative_int,
    check_path,
    check_real,
    check_rng,
    check_sequence,
)
from memlab.theory import rhm
from memlab.theory.metrics import PowerLawFit, fit_power_law
from memlab.verification._checks import check_bool, check_count
from memlab.verification.training.rhm_d3pm import MAX_SIZE, TAU_DEFINITIONS, D3PMRun

if TYPE_CHECKING:
    from os import PathLike

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.random import Generator
    from numpy.typing import ArrayLike

__all__ = ["LayerMeasurement", "layer_learning_times", "load_layer_runs", "measure_layers",
           "phase_diagram_arguments", "plot_layer_errors", "plot_layer_times",
           "plot_measured_phase_diagram", "save_layer_summary", "train_layer_series"]

#: Upper bound on ``n_boot`` of [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers].
MAX_BOOT = 10**4


# --------------------------------------------------------------------------------------
# crossings on arrays of curves (the semantics of memlab.theory.metrics.first_crossing,
# vectorised over the leading axes)
# --------------------------------------------------------------------------------------

def _first_below(steps: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """First step (log-interpolated) where ``y <= level`` along the last axis; the first
    step if already there, NaN if never."""
    ok = y <= level
    hit = ok.any(axis=-1)
    i = np.argmax(ok, axis=-1)
    j = np.maximum(i - 1, 0)
    y0 = np.take_along_axis(y, j[..., None], -1)[..., 0]
    y1 = np.take_along_axis(y, i[..., None], -1)[..., 0]
    lx = np.log(steps)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(y0 > y1, (y0 - level) / (y0 - y1), 1.0)
    out = np.exp(lx[j] + np.clip(frac, 0.0, 1.0) * (lx[i] - lx[j]))
    out = np.where(i == 0, steps[0], out)
    return np.where(hit, out, np.nan)


def _first_above(steps: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """First step (log-interpolated) where ``y >= level`` along the last axis."""
    return _first_below(steps, -y, -level)


def _checked_level(level) -> float:
    return check_real("level", level, lo=0.0, hi=1.0, lo_open=True, hi_open=True)


def layer_learning_times(run: D3PMRun, level: float = 0.15) -> np.ndarray:
    r"""Learning time $\tau^*_\ell$ of each layer in one run: first step with at most ``level`` errors.

    With $e_\ell(t)$ the fraction of the strings generated at step t that break a rule
    of layers $1..\ell$ (``run.layer_errors``, cumulative, Favero et al. 2025, Fig. 5a),

    $$
    \tau^*_\ell = \min\{t : e_\ell(t) \le \text{level}\},
    $$

    interpolated linearly in $\log t$ between the evaluation before and the first one
    at or below ``level``. It is the step at which the generated strings become valid up
    to layer $\ell$, whether by generalization or by copying: compare it with the onset
    of memorization ([`measure_layers`][memlab.verification.training.rhm_layers.measure_layers]).
    Favero et al. (2025), Sec. 4.2, predict $\tau^*_\ell \propto P^*_\ell$ when
    $P > P^*_\ell$.

    Parameters
    ----------
    run : D3PMRun
        A run of [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm].
    level : float, default 0.15
        Error fraction in (0, 1) that counts as learned.

    Returns
    -------
    numpy.ndarray, shape (L,)
        $\tau^*_\ell$ for $\ell = 1..L$, non-decreasing; the first evaluation's step for a
        layer already at or below ``level`` there; NaN for a layer that never gets there
        (not reached, also for a run without evaluations).

    Raises
    ------
    TypeError
        If ``run`` is not a D3PMRun or ``level`` not a real number.
    ValueError
        If ``level`` is outside (0, 1).

    References
    ----------
    Favero et al. (2025), Secs. 4.2 and 4.4, Fig. 5a.

    Examples
    --------
    >>> from memlab.verification.training.rhm_d3pm import D3PMRun
    >>> steps = np.array([10.0, 100.0, 1000.0])
    >>> errors = np.array([[0.9, 1.0], [0.1, 0.6], [0.0, 0.2]])
    >>> run = D3PMRun(16, steps, np.ones(3), np.ones(3), np.zeros(3), errors,
    ...               np.nan, 10.0, 0.2, 32, 1e-3, 8, 0)
    >>> layer_learning_times(run).round(1).tolist()     # layer 2 never below 0.15
    [86.6, nan]
    """
    run = check_instance("run", run, D3PMRun)
    level = _checked_level(level)
    err = np.asarray(run.layer_errors, dtype=float)
    steps = np.asarray(run.steps, dtype=float)
    if steps.size == 0 or err.size == 0:
        return np.full(err.shape[-1] if err.ndim == 2 else 0, np.nan)
    return _first_below(steps, err.T, level)


def _tau_mem_of(run: D3PMRun, which: str, copies: np.ndarray | None = None) -> np.ndarray:
    """Memorization time of ``run`` by definition ``which``; with ``copies`` (B, n)
    resampled copy fractions, one per replicate (only the copy-based definitions
    depend on them)."""
    steps = np.asarray(run.steps, dtype=float)
    if which in ("tau_copy_onset", "tau_copy_half"):
        level = 0.1 if which == "tau_copy_onset" else 0.5
        y = np.asarray(run.copy_fraction, dtype=float)[None] if copies is None else copies
        if steps.size == 0:
            return np.full(y.shape[0], np.nan)
        return _first_above(steps, y, level - 1e-12)
    value = float(getattr(run, which))
    return np.full(1 if copies is None else copies.shape[0], value)


def _replicates(run: D3PMRun, n_boot: int, n_generate: int, level: float, which: str,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Parametric bootstrap of one run: at each evaluation the ``n_generate`` generated
    strings are redrawn from the multinomial law of (first broken layer 1..L, valid and
    new, copy) given by the run's fractions. Returns tau* (B, L) and tau_mem (B,)."""
    err = np.clip(np.asarray(run.layer_errors, dtype=float), 0.0, 1.0)
    err = np.maximum.accumulate(err, axis=1)
    copies = np.clip(np.asarray(run.copy_fraction, dtype=float), 0.0, 1.0)
    steps = np.asarray(run.steps, dtype=float)
    n, L = err.shape
    if n == 0:
        return np.full((n_boot, L), np.nan), np.full(n_boot, np.nan)
    first = np.diff(np.concatenate([np.zeros((n, 1)), err], axis=1), axis=1)
    copy = np.minimum(copies, 1.0 - err[:, -1])
    new = 1.0 - err[:, -1] - copy
    p = np.clip(np.concatenate([first, new[:, None], copy[:, None]], axis=1), 0.0, None)
    p /= p.sum(axis=1, keepdims=True)
    counts = rng.multinomial(n_generate, p, size=(n_boot, n))     # (B, n, L + 2)
    err_b = np.cumsum(counts[..., :L], axis=-1) / n_generate       # (B, n, L)
    tau = _first_below(steps, np.moveaxis(err_b, 1, 2), level)     # (B, L)
    mem = _tau_mem_of(run, which, counts[..., -1] / n_generate)
    return tau, mem


def _median_inf(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Median in log with NaN (not reached) counted as later than any step; NaN where the
    median is not reached."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(np.isfinite(values), np.log(np.where(values > 0, values, 1.0)), np.inf)
    med = np.median(logs, axis=axis)
    return np.where(np.isfinite(med), np.exp(np.where(np.isfinite(med), med, 0.0)), np.nan)


def _learned(tau: np.ndarray, mem: np.ndarray) -> np.ndarray:
    """tau* reached and before tau_mem (not reached tau_mem: never memorized)."""
    return np.isfinite(tau) & ~(tau >= np.where(np.isfinite(mem), mem, np.inf)[..., None])


def _P_learned(P: np.ndarray, learned: np.ndarray,
               determined: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per layer, over the P where the outcome is determined: smallest P from which the
    layer is learned at every larger such P; bracket (the previous such P, that P) and its
    geometric midpoint."""
    L = learned.shape[1]
    est, low, high = np.full(L, np.nan), np.full(L, np.nan), np.full(L, np.nan)
    for ell in range(L):
        keep = determined[:, ell]
        Ps, col = P[keep], learned[keep, ell]
        if Ps.size == 0:
            continue
        if not col[-1]:
            low[ell] = Ps[-1]                  # not learned at the largest determined P
            continue
        k = Ps.size - 1
        while k > 0 and col[k - 1]:
            k -= 1
        high[ell] = Ps[k]
        low[ell] = Ps[k - 1] if k > 0 else 0.0
        est[ell] = np.sqrt(Ps[k - 1] * Ps[k]) if k > 0 else Ps[k]
    return est, low, high


@dataclass(frozen=True)
class LayerMeasurement(Result):
    r"""Layer learning times, memorization times and sample complexities of a series of runs.

    Made by [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers];
    arrays of shape (n_P, L) have one row per training-set size and one column per layer
    $\ell = 1..L$ (counted from the tokens, as in Favero et al. 2025).

    Attributes
    ----------
    P : numpy.ndarray, shape (n_P,)
        The distinct training-set sizes, increasing.
    n_runs : numpy.ndarray of int, shape (n_P,)
        Runs (seeds) per P.
    tau_star, tau_star_low, tau_star_high : numpy.ndarray, shape (n_P, L)
        $\tau^*_\ell$ (median over the seeds of
        [`layer_learning_times`][memlab.verification.training.rhm_layers.layer_learning_times])
        and its bootstrap interval; NaN where not reached.
    tau_mem, tau_mem_low, tau_mem_high : numpy.ndarray, shape (n_P,)
        Memorization time (definition ``mem_definition``, median over the seeds) and its
        bootstrap interval; NaN where not reached.
    learned : numpy.ndarray of bool, shape (n_P, L)
        Layer $\ell$ learned before memorization: $\tau^*_\ell$ reached and earlier than
        $\tau_{\rm mem}$ (a run that never memorizes counts as $\tau_{\rm mem} = \infty$).
    determined : numpy.ndarray of bool, shape (n_P, L)
        Whether the run(s) decide ``learned``: $\tau^*_\ell$ or $\tau_{\rm mem}$ reached.
        Where neither is (a run stopped before the layer is learned and before it
        copies) the outcome is censored: ``learned`` is False there, but the P is left
        out of the measured sample complexity.
    learned_fraction : numpy.ndarray, shape (n_P, L)
        Fraction of the bootstrap replicates in which ``learned`` holds.
    P_star : numpy.ndarray, shape (L,)
        The predicted sample complexities $P^*_\ell$ the measurement is compared with.
    P_learned, P_learned_low, P_learned_high : numpy.ndarray, shape (L,)
        Measured sample complexity of layer $\ell$, over the P where ``determined``: the
        layer is learned at every such P from ``P_learned_high`` on and not at
        ``P_learned_low``, the one before
        it (0 when it is learned at the smallest P); ``P_learned`` is their geometric
        midpoint (``P_learned_high`` when learned at the smallest P, NaN when not learned
        at the largest P, where ``P_learned_low`` is that P, a lower bound, and
        ``P_learned_high`` NaN).
    tau_fit : PowerLawFit or None
        Fit of $\tau^*_\ell$ against $P^*_\ell$ over the layers learned at the largest P
        (predicted exponent 1); None with fewer than 3 such layers.
    tau_fit_boot : tuple of 2 floats or None
        Bootstrap percentile interval (level ``confidence``) of ``tau_fit``'s exponent,
        over the replicates in which every fitted layer is reached.
    P_fit : PowerLawFit or None
        Fit of ``P_learned`` against $P^*_\ell$ over the layers with a finite
        ``P_learned`` (predicted exponent 1); None with fewer than 3.
    tau_mem_fit : PowerLawFit or None
        Fit of $\tau_{\rm mem}$ against P (predicted exponent 1); None with fewer than 3
        values of P where it is reached.
    tau_mem_per_P : float
        The constant c of $\tau_{\rm mem} = c P$: geometric mean of $\tau_{\rm mem}/P$
        over the P where it is reached (NaN if none).
    tau_mem_per_P_low, tau_mem_per_P_high : float
        Its bootstrap interval.
    level : float
        Error fraction defining $\tau^*_\ell$.
    mem_definition : str
        Definition of $\tau_{\rm mem}$ (an entry of ``TAU_DEFINITIONS`` of
        [`rhm_d3pm`][memlab.verification.training.rhm_d3pm]).
    n_generate, n_boot : int
        Generated strings per evaluation (the bootstrap's sample size) and replicates.
    confidence : float
        Level of the intervals.
    """

    P: np.ndarray
    n_runs: np.ndarray
    tau_star: np.ndarray
    tau_star_low: np.ndarray
    tau_star_high: np.ndarray
    tau_mem: np.ndarray
    tau_mem_low: np.ndarray
    tau_mem_high: np.ndarray
    learned: np.ndarray
    determined: np.ndarray
    learned_fraction: np.ndarray
    P_star: np.ndarray
    P_learned: np.ndarray
    P_learned_low: np.ndarray
    P_learned_high: np.ndarray
    tau_fit: PowerLawFit | None
    tau_fit_boot: tuple | None
    P_fit: PowerLawFit | None
    tau_mem_fit: PowerLawFit | None
    tau_mem_per_P: float
    tau_mem_per_P_low: float
    tau_mem_per_P_high: float
    level: float
    mem_definition: str
    n_generate: int
    n_boot: int
    confidence: float


def _fit_or_none(x, y, confidence, y_err=None):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if y_err is not None:
        y_err = np.asarray(y_err, dtype=float)
        ok &= np.isfinite(y_err) & (y_err > 0)
    if ok.sum() < 3 or np.unique(x[ok]).size < 2:
        return None
    return fit_power_law(x[ok], y[ok], confidence=confidence,
                         y_err=None if y_err is None else y_err[ok])


def _slope(x, y):
    """Least-squares slope of log y on log x (NaN with fewer than 2 distinct x)."""
    ok = np.isfinite(y) & (y > 0)
    if ok.sum() < 2 or np.unique(x[ok]).size < 2:
        return np.nan
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def measure_layers(runs: Sequence[D3PMRun], *, P_star: ArrayLike, level: float = 0.15,
                   mem_definition: str = "tau_copy_onset", n_generate: int = 256,
                   n_boot: int = 200, confidence: float = 0.95,
                   seed: Generator | int | None = 0) -> LayerMeasurement:
    r"""Layer learning times, memorization times and sample complexities of a series of D3PM runs.

    For each training-set size P (the runs of equal P are seeds):

    * $\tau^*_\ell(P)$, the median over the seeds of
      [`layer_learning_times`][memlab.verification.training.rhm_layers.layer_learning_times];
    * $\tau_{\rm mem}(P)$ by ``mem_definition`` (default: the copy fraction reaches 0.1;
      the loss-gap onset ``tau_mem`` of
      [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm] is available but
      crosses late at large P on CPU-sized networks, see the training page);
    * layer $\ell$ is *learned* at P when $\tau^*_\ell < \tau_{\rm mem}$: the generated
      strings respect the rules up to layer $\ell$ before the model copies. Favero et al.
      (2025), Sec. 4.4, predict this for $P > P^*_\ell$ and not below, where the errors of
      layer $\ell$ fall only with memorization (their Fig. 5a).

    The measured sample complexity of layer $\ell$ is the smallest P of the series from
    which the layer is learned at every larger P, bracketed by the P before it (its
    resolution is the spacing of the series). P values where neither $\tau^*_\ell$ nor
    $\tau_{\rm mem}$ is reached (runs too short to decide) are left out of it. Three power laws are fitted
    ([`fit_power_law`][memlab.theory.metrics.fit_power_law]): $\tau^*_\ell$ at the
    largest P against $P^*_\ell$ over the layers learned there (the paper's
    $\tau^*_\ell \propto P^*_\ell$, exponent 1; its bootstrap interval uses the
    replicates in which all these layers are reached); the measured sample
    complexities against $P^*_\ell$ (exponent 1); and $\tau_{\rm mem}$ against P
    (exponent 1). Being order-of-magnitude laws, only the exponents are predicted, not
    the prefactors.

    Intervals: a parametric bootstrap. In each of ``n_boot`` replicates, the seeds of
    each P are resampled with replacement and, for each drawn run and evaluation, the
    ``n_generate`` generated strings are redrawn from the multinomial law of (first
    broken layer, valid and new, copy) given by the run's fractions; the intervals are
    the percentiles of the replicates. Losses are not resampled (they are evaluated on
    fixed noise draws), so the loss-based definitions of $\tau_{\rm mem}$ carry the seed
    spread only.

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs, all with the same number of layers L and at least one evaluation
        (e.g. [`load_layer_runs`][memlab.verification.training.rhm_layers.load_layer_runs]).
    P_star : array_like of float, shape (L,)
        The predicted sample complexities $P^*_\ell$, positive and increasing (keyword-only;
        e.g. [`memlab.theory.rhm.sample_complexity`][memlab.theory.rhm.sample_complexity]).
    level : float, default 0.15
        Error fraction in (0, 1) defining $\tau^*_\ell$.
    mem_definition : {"tau_copy_onset", "tau_copy_half", "tau_mem", "tau_val_min"}, default "tau_copy_onset"
        Definition of the memorization time: the copy fraction reaches 0.1 or 0.5, the
        loss-gap onset, or the validation-loss minimum.
    n_generate : int, default 256
        Strings generated per evaluation in the runs (``n_generate`` of ``train_d3pm``),
        in [1, 100000]: the sample size of the bootstrap.
    n_boot : int, default 200
        Bootstrap replicates, in [10, 10000].
    confidence : float, default 0.95
        Level of the intervals, in (0, 1).
    seed : Generator, int or None, default 0
        Seed of the bootstrap.

    Returns
    -------
    LayerMeasurement
        The per-P times and flags, the measured sample complexities and the fits; NaN
        marks what was not reached (see the class).

    Raises
    ------
    TypeError
        If ``runs`` is not a sequence of D3PMRun or a number has the wrong type.
    ValueError
        If ``runs`` is empty, the runs have different L or no evaluations, ``P_star`` is
        not positive, increasing and of length L, ``mem_definition`` is unknown, or a
        number is out of range.

    References
    ----------
    Favero et al. (2025), Secs. 4.2-4.4, Figs. 4 and 5a.

    Examples
    --------
    See the module docstring (planted runs). The learned layers and measured sample
    complexities:

    >>> from memlab.verification.training.rhm_d3pm import D3PMRun
    >>> steps = np.geomspace(10, 1e4, 30)
    >>> def run(P, learned):      # layer 1 at step 100 if learned, copies from step 20 P
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     e1 = np.clip(1 - np.log(steps / 30) / np.log(3), 0, 1) if learned else 1 - copies
    ...     return D3PMRun(P, steps, np.ones(30), np.ones(30), copies,
    ...                    np.stack([e1, 1 - copies], 1), np.nan, 10.0, 0.2, 32, 1e-3, 8, 0)
    >>> m = measure_layers([run(4, False), run(8, True), run(16, True)], P_star=[6, 100],
    ...                    n_boot=10)
    >>> m.learned.tolist(), m.P_learned_low.tolist(), float(m.P_learned_high[0])
    ([[False, False], [True, False], [True, False]], [4.0, 16.0], 8.0)
    """
    runs = check_instances("runs", runs, D3PMRun)
    Ls = {np.asarray(r.layer_errors).shape[-1] if np.ndim(r.layer_errors) == 2 else 0
          for r in runs}
    if len(Ls) != 1 or 0 in Ls:
        raise ValueError(f"runs must share the number of layers L (layer_errors of shape "
                         f"(n_eval, L)), got L = {sorted(Ls)}")
    L = Ls.pop()
    for i, r in enumerate(runs):
        if np.size(r.steps) == 0:
            raise ValueError(f"runs[{i}] has no evaluations")
    ps = check_array("P_star", P_star, ndim=1, lo=0.0, lo_open=True)
    if ps.size != L or np.any(np.diff(ps) <= 0):
        raise ValueError(f"P_star must be {L} increasing positive values (one per layer), "
                         f"got {ps.tolist()}")
    level = _checked_level(level)
    which = check_choice("mem_definition", mem_definition, TAU_DEFINITIONS)
    n_generate = check_count("n_generate", n_generate, MAX_SIZE)
    n_boot = check_count("n_boot", n_boot, MAX_BOOT, minimum=10)
    confidence = check_real("confidence", confidence, lo=0.0, hi=1.0, lo_open=True,
                            hi_open=True)
    rng = check_rng(seed)

    P = np.array(sorted({int(r.P) for r in runs}), dtype=float)
    groups = [[r for r in runs if r.P == p] for p in P]
    n_P = P.size
    tau = np.empty((n_P, L))
    mem = np.empty(n_P)
    tau_b = np.empty((n_boot, n_P, L))
    mem_b = np.empty((n_boot, n_P))
    for g, rs in enumerate(groups):
        tau[g] = _median_inf(np.array([layer_learning_times(r, level) for r in rs]))
        mem[g] = _median_inf(np.array([_tau_mem_of(r, which)[0] for r in rs]))
        reps = [_replicates(r, n_boot, n_generate, level, which, rng) for r in rs]
        pick = rng.integers(0, len(rs), size=(n_boot, len(rs)))
        t_all = np.stack([t for t, _ in reps])           # (k, B, L)
        m_all = np.stack([m for _, m in reps])           # (k, B)
        b = np.arange(n_boot)[:, None]
        tau_b[:, g] = _median_inf(t_all[pick, b], axis=1)
        mem_b[:, g] = _median_inf(m_all[pick, b], axis=1)
    q = (0.5 * (1 - confidence), 0.5 * (1 + confidence))

    def interval(x, axis=0):
        """Percentiles of the replicates; NaN where more replicates than 1 - confidence
        did not reach."""
        filled = np.where(np.isfinite(x), x, np.inf)
        lo = np.quantile(filled, q[0], axis=axis, method="lower")
        hi = np.quantile(filled, q[1], axis=axis, method="higher")
        return np.where(np.isfinite(lo), lo, np.nan), np.where(np.isfinite(hi), hi, np.nan)

    tau_lo, tau_hi = interval(tau_b)
    mem_lo, mem_hi = interval(mem_b)
    learned = _learned(tau, mem)
    determined = np.isfinite(tau) | np.isfinite(mem)[:, None]
    learned_fraction = _learned(tau_b, mem_b).mean(axis=0)
    P_est, P_low, P_high = _P_learned(P, learned, determined)

    top = learned[-1]
    tau_fit = _fit_or_none(ps[top], tau[-1, top], confidence)
    tau_fit_boot = None
    if tau_fit is not None:
        reps = tau_b[:, -1][:, top]
        whole = np.all(np.isfinite(reps), axis=1)     # replicates reaching every layer
        slopes = np.array([_slope(ps[top], r) for r in reps[whole]])
        if slopes.size:
            lo, hi = np.quantile(slopes, q)
            tau_fit_boot = (float(lo), float(hi))
    P_fit = _fit_or_none(ps, P_est, confidence)
    tau_mem_fit = _fit_or_none(P, mem, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.log(mem / P)
        c = float(np.exp(np.nanmean(ratio))) if np.isfinite(ratio).any() else np.nan
        ratio_b = np.log(mem_b / P)
        c_b = np.array([np.exp(np.nanmean(rb)) if np.isfinite(rb).any() else np.nan
                        for rb in ratio_b])
    if np.isfinite(c_b).any():
        c_lo, c_hi = (float(v) for v in np.nanquantile(c_b, q))
    else:
        c_lo = c_hi = np.nan
    return LayerMeasurement(P, np.array([len(rs) for rs in groups]), tau, tau_lo, tau_hi,
                            mem, mem_lo, mem_hi, learned, determined, learned_fraction,
                            ps, P_est,
                            P_low, P_high, tau_fit, tau_fit_boot, P_fit, tau_mem_fit, c,
                            c_lo, c_hi, level, which, n_generate, n_boot, confidence)


def phase_diagram_arguments(measurement: LayerMeasurement) -> dict:
    r"""The arguments of [`phase_diagram`][memlab.theory.metrics.phase_diagram] from measured constants.

    Instead of the paper's reference lines ($\tau^*_\ell = P^*_\ell$,
    $\tau_{\rm mem} = P$) the regimes of Favero et al. (2025), Fig. 6, are drawn from
    the measurement:

    * ``P_star``: the measured sample complexity of each layer (``P_learned``; for a
      layer learned at the smallest P, that P, an upper bound); for a layer learned at no
      P of the series, the largest P of the series (the diagram then shows it learned
      only beyond the measured range); made non-decreasing (layers are learned
      bottom-up, so a layer cannot be learned before the one below it);
    * ``tau_star``: the median of $\tau^*_\ell$ over the P at which layer $\ell$ is
      learned; for a layer never learned, over the P where $\tau^*_\ell$ is reached at
      all (after memorization), else the last step reached by any layer; made
      non-decreasing;
    * ``tau_mem_per_P``: the measured $c$ of $\tau_{\rm mem} = c P$.

    The boundaries are sharp while measured transitions are smooth (see
    [`phase_diagram`][memlab.theory.metrics.phase_diagram]).

    Parameters
    ----------
    measurement : LayerMeasurement
        From [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers].

    Returns
    -------
    dict
        ``{"P_star": ndarray (L,), "tau_star": ndarray (L,), "tau_mem_per_P": float}``:
        ``phase_diagram(P, tau, **arguments)`` and
        [`plot_phase_diagram`][memlab.verification.metrics.plot_phase_diagram] take it as
        it is.

    Raises
    ------
    TypeError
        If ``measurement`` is not a LayerMeasurement.
    ValueError
        If memorization was reached at no P (``tau_mem_per_P`` is NaN) or no layer
        time was reached at all.

    References
    ----------
    Favero et al. (2025), Fig. 6 and Sec. 4.4.

    Examples
    --------
    >>> from memlab.theory.metrics import PHASES, phase_diagram
    >>> from memlab.verification.training.rhm_d3pm import D3PMRun
    >>> steps = np.geomspace(10, 1e4, 30)
    >>> def run(P):               # layer 1 learned at step 100 (P >= 8), copies from 20 P
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     e1 = np.clip(1 - np.log(steps / 30) / np.log(3), 0, 1) if P >= 8 else 1 - copies
    ...     return D3PMRun(P, steps, np.ones(30), np.ones(30), copies,
    ...                    np.stack([e1, np.maximum(e1, 1 - copies)], 1), np.nan, 10.0,
    ...                    0.2, 32, 1e-3, 8, 0)
    >>> m = measure_layers([run(P) for P in (4, 8, 16)], P_star=[6, 100], n_boot=10)
    >>> args = phase_diagram_arguments(m)
    >>> args["P_star"].round(2).tolist(), round(args["tau_mem_per_P"], 1)
    ([5.66, 16.0], 22.0)
    >>> PHASES[int(phase_diagram(8, 150, **args)[0])]
    'partial generalization'
    """
    m = check_instance("measurement", measurement, LayerMeasurement)
    if not np.isfinite(m.tau_mem_per_P):
        raise ValueError("measurement reaches memorization at no P (tau_mem_per_P is NaN): "
                         "the phase diagram needs tau_mem; train longer or use another "
                         "mem_definition")
    P_star = np.where(np.isfinite(m.P_learned), m.P_learned, float(m.P[-1]))
    P_star = np.maximum.accumulate(np.maximum(P_star, np.finfo(float).tiny))
    reached = m.tau_star[np.isfinite(m.tau_star)]
    if reached.size == 0:
        raise ValueError("measurement reaches no layer learning time at any P")
    tau_star = np.empty(P_star.size)
    for ell in range(P_star.size):
        col = m.tau_star[:, ell]
        use = col[m.learned[:, ell]]
        if use.size == 0:
            use = col[np.isfinite(col)]
        tau_star[ell] = float(np.exp(np.median(np.log(use)))) if use.size else reached.max()
    tau_star = np.maximum.accumulate(tau_star)
    return {"P_star": P_star, "tau_star": tau_star, "tau_mem_per_P": float(m.tau_mem_per_P)}


# --------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------

def _layer_colors(L):
    import matplotlib
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(0.85 * i / max(1, L - 1)) for i in range(L)]


def _setting(runs) -> str:
    parts = []
    for attr, fmt in (("batch_size", "batch {}"), ("lr", "lr {:g}"),
                      ("channels", "{} channels")):
        values = {getattr(r, attr) for r in runs}
        if len(values) == 1:
            parts.append(fmt.format(values.pop()))
    seeds = sorted({r.seed for r in runs})
    parts.append(("seed " if len(seeds) == 1 else "seeds ") + ",".join(map(str, seeds)))
    return ", ".join(parts)


def plot_layer_errors(runs: Sequence[D3PMRun], *, P_star: ArrayLike | None = None,
                      level: float = 0.15, mem_definition: str = "tau_copy_onset",
                      fig: Figure | None = None) -> Figure:
    r"""Per-layer error fractions and copies of generated strings against the training step, one panel per run (Favero et al. 2025, Fig. 5a).

    In each panel: the fraction of generated strings that break a rule of layers
    $1..\ell$ (solid, one colour per layer), the fraction of copies of the training set
    (black dashed), the error level that defines $\tau^*_\ell$ (grey dotted), the
    $\tau^*_\ell$ themselves (circles on that level: filled when reached before
    memorization, open after) and $\tau_{\rm mem}$ (red vertical line). The paper
    predicts that the layers with $P^*_\ell < P$ reach the level before
    $\tau_{\rm mem}$, in the order of $\ell$, and the others only with the copies.

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs, at most 12, with the same number of layers.
    P_star : array_like of float, shape (L,), optional
        Predicted sample complexities, shown in the panel titles as the layers with
        $P^*_\ell < P$; default: not shown.
    level : float, default 0.15
        Error fraction defining $\tau^*_\ell$, in (0, 1).
    mem_definition : str, default "tau_copy_onset"
        Definition of $\tau_{\rm mem}$ (see
        [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers]).
    fig : matplotlib Figure or SubFigure, optional
        Where to draw; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If ``runs`` is not a sequence of D3PMRun or ``fig`` not a Figure.
    ValueError
        If ``runs`` is empty or has more than 12 runs, the runs have different L,
        ``P_star`` does not have L values, or ``level`` or ``mem_definition`` is invalid.

    References
    ----------
    Favero et al. (2025), Sec. 4.4 and Fig. 5a.

    Examples
    --------
    >>> from memlab.verification.training.rhm_d3pm import D3PMRun
    >>> steps = np.geomspace(10, 1e4, 20)
    >>> copies = np.clip(np.log(steps / 320), 0, 1)
    >>> run = D3PMRun(16, steps, np.ones(20), np.ones(20), copies,
    ...               np.stack([np.exp(-steps / 50), 1 - copies], 1), np.nan, 10.0, 0.2,
    ...               32, 1e-3, 8, 0)
    >>> fig = plot_layer_errors([run], P_star=[8, 64])
    >>> fig.axes[0].get_ylabel()
    'fraction of generated strings'
    """
    from matplotlib.lines import Line2D

    from memlab.verification._plotting import figure_for

    runs = check_instances("runs", runs, D3PMRun)
    if len(runs) > 12:
        raise ValueError(f"runs must hold at most 12 runs (one panel each), got {len(runs)}")
    Ls = {np.shape(r.layer_errors)[-1] if np.ndim(r.layer_errors) == 2 else 0 for r in runs}
    if len(Ls) != 1 or 0 in Ls:
        raise ValueError(f"runs must share the number of layers L, got {sorted(Ls)}")
    L = Ls.pop()
    ps = None
    if P_star is not None:
        ps = check_array("P_star", P_star, ndim=1, lo=0.0, lo_open=True)
        if ps.size != L:
            raise ValueError(f"P_star must have L = {L} values, got {ps.size}")
    level = _checked_level(level)
    which = check_choice("mem_definition", mem_definition, TAU_DEFINITIONS)
    runs = sorted(runs, key=lambda r: (r.P, r.seed))
    ncols = min(3, len(runs))
    nrows = -(-len(runs) // ncols)
    fig = figure_for(fig, figsize=(4.2 * ncols, 3.0 * nrows + 1.3))
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    colors = _layer_colors(L)
    for ax, r in zip(axes, runs):
        steps = np.asarray(r.steps, dtype=float)
        tau = layer_learning_times(r, level)
        mem = float(_tau_mem_of(r, which)[0])
        for ell in range(L):
            ax.plot(steps, r.layer_errors[:, ell], "-", color=colors[ell], lw=1.4)
            if np.isfinite(tau[ell]):
                before = not (np.isfinite(mem) and tau[ell] >= mem)
                ax.plot([tau[ell]], [level], "o", ms=6, mec=colors[ell],
                        mfc=colors[ell] if before else "white", zorder=5)
        ax.plot(steps, r.copy_fraction, "--", color="k", lw=1.2)
        ax.axhline(level, color="0.5", ls=":", lw=0.9)
        if np.isfinite(mem):
            ax.axvline(mem, color="tab:red", lw=1.0)
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        title = f"P = {r.P}, seed {r.seed}"
        if ps is not None:
            below = int(np.sum(ps < r.P))
            title += f" ({below} of {L} layers with $P^*_\\ell < P$)"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("training step")
    for ax in axes[len(runs):]:
        ax.set_visible(False)
    for ax in axes[::ncols]:
        ax.set_ylabel("fraction of generated strings")
    handles = [Line2D([], [], color=colors[ell], lw=1.4,
                      label=f"errors up to layer {ell + 1}") for ell in range(L)]
    mem_label = {"tau_copy_onset": "copies reach 0.1", "tau_copy_half": "copies reach 0.5",
                 "tau_mem": "loss-gap onset", "tau_val_min": "validation minimum"}[which]
    handles += [Line2D([], [], color="k", ls="--", lw=1.2, label="copies of the training set"),
                Line2D([], [], color="0.5", ls=":", lw=0.9, label=f"error level {level:g}"),
                Line2D([], [], color="0.3", marker="o", ls="", label=r"$\tau^*_\ell$ before "
                       r"$\tau_{\rm mem}$"),
                Line2D([], [], color="0.3", marker="o", mfc="white", ls="",
                       label=r"$\tau^*_\ell$ after $\tau_{\rm mem}$"),
                Line2D([], [], color="tab:red", lw=1.0,
                       label=rf"$\tau_{{\rm mem}}$ ({mem_label})")]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(5, len(handles)),
               fontsize=8, frameon=False)
    fig.suptitle("Layer-by-layer errors of D3PM samples on the RHM (Favero et al. 2025, "
                 f"Fig. 5a): {_setting(runs)}", fontsize=10)
    return fig


def _data_ticks(axis, values) -> None:
    """Log-axis ticks at the data values, labelled plainly (64, 128 rather than 10^2)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_major_locator(FixedLocator(sorted({float(v) for v in np.ravel(values)})))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_minor_locator(NullLocator())


def _default_log_ylim(ax, values) -> None:
    """Limits (1, 10) for a log axis that would get no positive value (nothing reached)."""
    values = np.asarray(values, dtype=float)
    if not np.any(np.isfinite(values) & (values > 0)):
        ax.set_ylim(1.0, 10.0)


def _check_measurement(measurement):
    return check_instance("measurement", measurement, LayerMeasurement)


def plot_layer_times(measurement: LayerMeasurement, *, fig: Figure | None = None) -> Figure:
    r"""Measured layer learning times and sample complexities against the predictions (Favero et al. 2025, Sec. 4.2).

    Left: $\tau^*_\ell$ against P, one colour per layer, with bootstrap intervals (filled
    markers where the layer is learned before memorization, open where its errors fall
    only after $\tau_{\rm mem}$), $\tau_{\rm mem}$ (black squares) with the line
    $c P$ of the measured c, and the predicted $P^*_\ell$ as vertical dashed lines.
    Right: against the predicted $P^*_\ell$ on both axes, the measured sample
    complexities (diamonds, with the bracket of the series as bars) and $\tau^*_\ell$ at
    the largest P (circles), each with its fitted power law and, in grey, the predicted
    slope 1 through the geometric mean of the points (prefactors are not predicted).

    Parameters
    ----------
    measurement : LayerMeasurement
        From [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers].
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the two panels; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If ``measurement`` is not a LayerMeasurement or ``fig`` not a Figure.

    References
    ----------
    Favero et al. (2025), Secs. 4.2-4.4.

    Examples
    --------
    >>> from memlab.verification.training.rhm_d3pm import D3PMRun
    >>> steps = np.geomspace(10, 1e4, 30)
    >>> def run(P):
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     e1 = np.clip(1 - np.log(steps / 30) / np.log(3), 0, 1) if P >= 8 else 1 - copies
    ...     return D3PMRun(P, steps, np.ones(30), np.ones(30), copies,
    ...                    np.stack([e1, np.maximum(e1, 1 - copies)], 1), np.nan, 10.0,
    ...                    0.2, 32, 1e-3, 8, 0)
    >>> m = measure_layers([run(P) for P in (4, 8, 16)], P_star=[6, 100], n_boot=10)
    >>> plot_layer_times(m).axes[0].get_xlabel()
    'training strings P'
    """
    from memlab.verification._plotting import figure_for

    m = _check_measurement(measurement)
    fig = figure_for(fig, figsize=(11.5, 6.0))
    ax1, ax2 = fig.subplots(1, 2)
    L = m.P_star.size
    colors = _layer_colors(L)
    P = m.P
    for ell in range(L):
        t = m.tau_star[:, ell]
        ok = np.isfinite(t)
        lo = np.where(np.isfinite(m.tau_star_low[:, ell]), m.tau_star_low[:, ell], t)
        hi = np.where(np.isfinite(m.tau_star_high[:, ell]), m.tau_star_high[:, ell], t)
        shift = 1.0 + 0.04 * (ell - (L - 1) / 2)           # spread the markers a little
        for learned, face in ((True, colors[ell]), (False, "white")):
            sel = ok & (m.learned[:, ell] == learned)
            if sel.any():
                ax1.errorbar(P[sel] * shift, t[sel],
                             yerr=[t[sel] - lo[sel], hi[sel] - t[sel]], fmt="o", ms=6,
                             color=colors[ell], mfc=face, capsize=2, lw=1)
        ax1.plot([], [], "o-", color=colors[ell], lw=0.7, label=rf"$\tau^*_{ell + 1}$")
        ax1.plot(P[ok] * shift, t[ok], "-", color=colors[ell], lw=0.7, alpha=0.6)
        ax1.axvline(m.P_star[ell], color=colors[ell], ls="--", lw=1)
    okm = np.isfinite(m.tau_mem)
    if okm.any():
        lo = np.where(np.isfinite(m.tau_mem_low), m.tau_mem_low, m.tau_mem)
        hi = np.where(np.isfinite(m.tau_mem_high), m.tau_mem_high, m.tau_mem)
        ax1.errorbar(P[okm], m.tau_mem[okm], yerr=[(m.tau_mem - lo)[okm], (hi - m.tau_mem)[okm]],
                     fmt="s", color="k", ms=5, capsize=2, lw=1,
                     label=rf"$\tau_{{\rm mem}}$ ({m.mem_definition})")
        if np.isfinite(m.tau_mem_per_P):
            xs = np.geomspace(P.min(), P.max(), 20)
            ax1.plot(xs, m.tau_mem_per_P * xs, "k-", lw=0.8, alpha=0.6,
                     label=rf"$c P$, c = {m.tau_mem_per_P:.3g} "
                           rf"[{m.tau_mem_per_P_low:.3g}, {m.tau_mem_per_P_high:.3g}]")
    ax1.plot([], [], "o", color="0.3", mfc="white", label=r"open: $\tau^*_\ell \geq "
             r"\tau_{\rm mem}$ (not learned)")
    ax1.plot([], [], "--", color="0.3", lw=1, label=r"predicted $P^*_\ell$")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    _default_log_ylim(ax1, np.concatenate([m.tau_star.ravel(), m.tau_mem]))
    _data_ticks(ax1.xaxis, P)
    ax1.set_xlabel("training strings P")
    ax1.set_ylabel("training step")
    ax1.set_title(rf"$\tau^*_\ell$: first step with $\leq$ {m.level:g} errors up to layer "
                  r"$\ell$", fontsize=9)
    ax1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)

    ps = m.P_star
    okP = np.isfinite(m.P_learned)
    if okP.any():
        lo = np.where(m.P_learned_low > 0, m.P_learned_low, m.P_learned)
        hi = np.where(np.isfinite(m.P_learned_high), m.P_learned_high, m.P_learned)
        ax2.errorbar(ps[okP], m.P_learned[okP],
                     yerr=[(m.P_learned - lo)[okP], (hi - m.P_learned)[okP]], fmt="D",
                     color="tab:blue", ms=6, capsize=3, lw=1,
                     label="measured sample complexity (bracket of the series)")
    bound = ~okP
    if bound.any():
        ax2.plot(ps[bound], m.P_learned_low[bound], "^", color="tab:blue", mfc="white",
                 ms=7, label="lower bound: not learned at any P where the runs decide")
    top = m.learned[-1] & np.isfinite(m.tau_star[-1])
    if top.any():
        t = m.tau_star[-1]
        lo = np.where(np.isfinite(m.tau_star_low[-1]), m.tau_star_low[-1], t)
        hi = np.where(np.isfinite(m.tau_star_high[-1]), m.tau_star_high[-1], t)
        ax2.errorbar(ps[top], t[top], yerr=[(t - lo)[top], (hi - t)[top]], fmt="o",
                     color="tab:orange", ms=6, capsize=3, lw=1,
                     label=rf"$\tau^*_\ell$ at P = {P[-1]:g} (training steps)")
    xs = np.geomspace(ps.min() / 1.3, ps.max() * 1.3, 20)
    for fit, color, what, boot in ((m.P_fit, "tab:blue", "sample complexity", None),
                                   (m.tau_fit, "tab:orange", r"$\tau^*_\ell$",
                                    m.tau_fit_boot)):
        if fit is None:
            continue
        text = (f"fit {what}: exponent {fit.exponent:.2f} [{fit.ci_low:.2f}, "
                f"{fit.ci_high:.2f}]")
        if boot is not None:
            text += f", bootstrap [{boot[0]:.2f}, {boot[1]:.2f}]"
        ax2.plot(xs, fit.prefactor * xs ** fit.exponent, "-", color=color, lw=1, label=text)
    for y, sel in ((m.P_learned, okP), (m.tau_star[-1], top)):
        if sel.sum() >= 1:
            x0 = np.exp(np.mean(np.log(ps[sel])))
            y0 = np.exp(np.mean(np.log(y[sel])))
            ax2.plot(xs, y0 * xs / x0, "-", color="0.5", lw=2, alpha=0.5, zorder=0)
    ax2.plot([], [], "-", color="0.5", lw=2, alpha=0.5, label="theory: slope 1")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    _default_log_ylim(ax2, np.concatenate([m.P_learned, m.P_learned_low, m.tau_star[-1]]))
    _data_ticks(ax2.xaxis, ps)
    ax2.set_xlabel(r"predicted sample complexity $P^*_\ell = v m^{\ell+1}$")
    ax2.set_ylabel("measured P or training steps")
    ax2.set_title(r"against the prediction (layers $\ell$ = 1.." + f"{L})", fontsize=9)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.suptitle("D3PM on the RHM: layer learning times and sample complexities "
                 f"(Favero et al. 2025, Sec. 4.2); {m.n_boot} bootstrap replicates, "
                 f"{m.confidence:.0%} intervals, seeds per P: "
                 + ",".join(str(int(k)) for k in m.n_runs), fontsize=10)
    return fig


def plot_measured_phase_diagram(measurement: LayerMeasurement, *, ax: Axes | None = None,
                                n_grid: int = 300) -> Figure:
    r"""The phase diagram of Favero et al. (2025), Fig. 6, drawn from measured constants, with the measured points.

    The regions are those of
    [`plot_phase_diagram`][memlab.verification.metrics.plot_phase_diagram] with the
    arguments of
    [`phase_diagram_arguments`][memlab.verification.training.rhm_layers.phase_diagram_arguments]
    (measured $P^*_\ell$, $\tau^*_\ell$ and $c$ of $\tau_{\rm mem} = c P$). On top: the
    measured $\tau^*_\ell(P)$ (circles, one colour per layer; filled when learned
    before memorization), the measured $\tau_{\rm mem}(P)$ (black squares), and the
    predicted $P^*_\ell = v m^{\ell+1}$ as triangles on the P axis.

    Parameters
    ----------
    measurement : LayerMeasurement
        From [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers].
    ax : matplotlib Axes, optional
        Where to draw (keyword-only); default a new Figure (not registered with pyplot).
    n_grid : int, default 300
        Grid points per axis of the shading (2 to 5000).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``, or the new one.

    Raises
    ------
    TypeError
        If ``measurement`` is not a LayerMeasurement or ``ax`` not an Axes.
    ValueError
        If the measurement cannot give the diagram's constants (see
        [`phase_diagram_arguments`][memlab.verification.training.rhm_layers.phase_diagram_arguments])
        or ``n_grid`` is out of range.

    References
    ----------
    Favero et al. (2025), Fig. 6.

    Examples
    --------
    >>> from memlab.verification.training.rhm_d3pm import D3PMRun
    >>> steps = np.geomspace(10, 1e4, 30)
    >>> def run(P):
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     e1 = np.clip(1 - np.log(steps / 30) / np.log(3), 0, 1) if P >= 8 else 1 - copies
    ...     return D3PMRun(P, steps, np.ones(30), np.ones(30), copies,
    ...                    np.stack([e1, np.maximum(e1, 1 - copies)], 1), np.nan, 10.0,
    ...                    0.2, 32, 1e-3, 8, 0)
    >>> m = measure_layers([run(P) for P in (4, 8, 16)], P_star=[6, 100], n_boot=10)
    >>> plot_measured_phase_diagram(m, n_grid=20).axes[0].get_xlabel()
    'training-set size P'
    """
    from memlab.verification._plotting import axes_for
    from memlab.verification.metrics import plot_phase_diagram

    m = _check_measurement(measurement)
    n_grid = check_count("n_grid", n_grid, 5000, minimum=2)
    args = phase_diagram_arguments(m)
    fig, ax = axes_for(ax, figsize=(7.0, 5.4))
    values = np.concatenate([m.tau_star[np.isfinite(m.tau_star)],
                             m.tau_mem[np.isfinite(m.tau_mem)], args["tau_star"]])
    P_all = np.concatenate([m.P, m.P_star, args["P_star"]])
    P_range = (float(P_all.min()) / 2, float(P_all.max()) * 2)
    tau_range = (float(values.min()) / 3, float(max(values.max(),
                                                    args["tau_mem_per_P"] * P_range[1])) * 1.5)
    plot_phase_diagram(args["P_star"], tau_star=args["tau_star"],
                       tau_mem_per_P=args["tau_mem_per_P"], P_range=P_range,
                       tau_range=tau_range, n_grid=n_grid, ax=ax)
    L = m.P_star.size
    colors = _layer_colors(L)
    legend = ax.get_legend()                   # the regions and boundaries of the diagram
    handles = list(getattr(legend, "legend_handles", None) or legend.legendHandles)
    for ell in range(L):
        t = m.tau_star[:, ell]
        for learned, face in ((True, colors[ell]), (False, "white")):
            sel = np.isfinite(t) & (m.learned[:, ell] == learned)
            if sel.any():
                h, = ax.plot(m.P[sel], t[sel], "o", ms=6, mec="k", mew=0.6, mfc=face,
                             color=colors[ell], zorder=6,
                             label=(rf"measured $\tau^*_{ell + 1}$" if learned else None))
                if learned:
                    handles.append(h)
        ax.plot([m.P_star[ell]], [tau_range[0] * 1.05], "^", ms=8, color=colors[ell],
                mec="k", mew=0.6, zorder=6, clip_on=False)
    ok = np.isfinite(m.tau_mem)
    if ok.any():
        handles.append(ax.plot(m.P[ok], m.tau_mem[ok], "s", color="k", ms=5, zorder=6,
                               label=r"measured $\tau_{\rm mem}$")[0])
    handles.append(ax.plot([], [], "o", mfc="white", mec="k", ls="",
                           label=r"open: $\tau^*_\ell$ after $\tau_{\rm mem}$")[0])
    handles.append(ax.plot([], [], "^", color="0.5", mec="k", ls="",
                           label=r"predicted $P^*_\ell = v m^{\ell+1}$")[0])
    ax.legend(handles=handles, fontsize=7, loc="upper left", framealpha=0.85)
    star = ", ".join(("> " if not np.isfinite(m.P_learned[i]) else "") + f"{p:.3g}"
                     for i, p in enumerate(args["P_star"]))
    tstar = ", ".join(f"{t:.3g}" for t in args["tau_star"])
    ax.set_title("Measured phase diagram (Favero et al. 2025, Fig. 6): "
                 f"c = {args['tau_mem_per_P']:.3g} ({m.mem_definition}),\nmeasured "
                 f"$P^*_\\ell$ = {star}; $\\tau^*_\\ell$ = {tstar}"
                 + ("\n(> : not learned in the series, drawn at its largest P)"
                    if not np.all(np.isfinite(m.P_learned)) else ""), fontsize=8)
    return fig


# --------------------------------------------------------------------------------------
# the experiment
# --------------------------------------------------------------------------------------

def train_layer_series(grammar: rhm.Grammar, P_values: Sequence[int], *,
                       seeds: Sequence[int] = (0,), steps_per_P: int = 30,
                       min_steps: int = 3000, batch_size: int = 32, lr: float = 1e-3,
                       channels: int = 64, n_val: int = 256, n_generate: int = 256,
                       gen_steps: int = 25, n_eval: int = 16, n_levels: int = 1,
                       out_dir: str | PathLike | None = None,
                       progress: bool = True) -> list[D3PMRun]:
    r"""Train the D3PM U-Net once per (P, seed) and return the runs (``memlab train rhm-layers``).

    Each run is [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm] for
    ``max(min_steps, steps_per_P * P)`` steps, without the sliced Wasserstein curves
    (``sw_projections=None``). Memorization starts after a number of steps proportional
    to P (Favero et al. 2025), so ``steps_per_P`` sets how far past its onset each run
    goes, and ``min_steps`` gives the small-P runs the steps that the layers need
    ($\tau^*_\ell$ does not shrink with P). With ``out_dir``, each run saves its
    checkpoint and history there and a second call resumes or re-reads it.

    Cost: about ``sum(max(min_steps, steps_per_P * P))`` training steps over the
    series, times the seeds, plus ``n_eval`` evaluations per run (see ``train_d3pm``).

    Parameters
    ----------
    grammar : memlab.theory.rhm.Grammar
        The grammar; ``max(P_values) + n_val`` must not exceed its number of strings.
    P_values : sequence of int
        Training-set sizes, each >= 1.
    seeds : sequence of int, default (0,)
        Training seeds (data, network and noise), one run each per P.
    steps_per_P : int, default 40
        Training steps per training string, in [1, 100000].
    min_steps : int, default 4000
        Fewest steps of a run, in [1, 10**7].
    batch_size, lr, channels, n_val, n_generate, gen_steps, n_eval : int, float, int, int, int, int, int
        As in ``train_d3pm`` (defaults 32, 0.001, 64, 256, 256, 25, 16: a CPU-sized
        network, and evaluations cheaper than ``train_d3pm``'s defaults, which cost as
        much as about 200 training steps each).
    n_levels : int, default 1
        Noise levels per string of the loss evaluations (``train_d3pm``'s ``n_levels``):
        the losses only serve the loss-gap ``tau_mem``, which the layer measurement does
        not use by default.
    out_dir : path, optional
        Directory of the checkpoints and histories (``train_d3pm``'s ``out_dir``).
    progress : bool, default True
        Show tqdm progress bars.

    Returns
    -------
    list of D3PMRun
        One run per (P, seed), P-major in the given order. As in ``train_d3pm``, a run's
        ``tau_mem`` is NaN when its loss gap never exceeds the threshold (0.2 nats).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a number is out of range (see ``train_d3pm``).

    References
    ----------
    Favero et al. (2025), Secs. 4.3-4.4 and App. B.3.

    Examples
    --------
    A tiny series (seconds):

    >>> g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    >>> runs = train_layer_series(g, [4, 8], steps_per_P=1, min_steps=12, batch_size=4,
    ...                           channels=4, n_val=4, n_generate=4, gen_steps=2, n_eval=2,
    ...                           progress=False)
    >>> [(r.P, r.steps.tolist()) for r in runs]
    [(4, [10.0, 12.0]), (8, [10.0, 12.0])]
    """
    from memlab.verification.training.rhm_d3pm import train_d3pm

    grammar = check_instance("grammar", grammar, rhm.Grammar)
    Ps = check_sequence("P_values", P_values, "a sequence of integers")
    if not Ps:
        raise ValueError("P_values must hold at least one training-set size, got none")
    Ps = [check_count(f"P_values[{i}]", p, MAX_SIZE * 10) for i, p in enumerate(Ps)]
    seed_list = check_sequence("seeds", seeds, "a sequence of integers")
    if not seed_list:
        raise ValueError("seeds must hold at least one seed, got none")
    seed_list = [check_nonnegative_int(f"seeds[{i}]", s, maximum=2**62)
                 for i, s in enumerate(seed_list)]
    steps_per_P = check_count("steps_per_P", steps_per_P, MAX_SIZE)
    min_steps = check_count("min_steps", min_steps, 10**7)
    progress = check_bool("progress", progress)
    runs = []
    for P in Ps:
        for s in seed_list:
            runs.append(train_d3pm(grammar, P, steps=max(min_steps, steps_per_P * P),
                                   batch_size=batch_size, lr=lr, channels=channels,
                                   n_val=n_val, n_generate=n_generate, gen_steps=gen_steps,
                                   n_eval=n_eval, n_levels=n_levels, sw_projections=None,
                                   seed=s,
                                   out_dir=out_dir, progress=progress))
    return runs


def load_layer_runs(directory: str | PathLike) -> tuple[list[D3PMRun], dict]:
    """Read the saved runs of a directory (the ``d3pm_P*.json`` histories of ``train_d3pm``).

    Parameters
    ----------
    directory : path
        A directory holding histories written by
        [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm] with ``out_dir``
        (e.g. ``docs/results/rhm_layers``).

    Returns
    -------
    runs : list of D3PMRun
        The runs, sorted by P and seed.
    settings : dict
        The ``settings`` the runs share (grammar, channels, ``n_generate``, ...), without
        the entries that differ between them (P, steps, seed).

    Raises
    ------
    TypeError
        If ``directory`` is not a path.
    ValueError
        If the directory holds no history, a file is not valid JSON, or the histories
        come from different grammars or ``n_generate``.

    References
    ----------
    Favero et al. (2025), Sec. 4.3 (the runs).

    Examples
    --------
    >>> import tempfile
    >>> g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    >>> d = tempfile.mkdtemp()
    >>> _ = train_layer_series(g, [4], steps_per_P=1, min_steps=12, batch_size=4, channels=4,
    ...                        n_val=4, n_generate=4, gen_steps=2, n_eval=2, out_dir=d,
    ...                        progress=False)
    >>> runs, settings = load_layer_runs(d)
    >>> len(runs), settings["grammar"]["v"], settings["n_generate"]
    (1, 4, 4)
    """
    from memlab.verification.training._common import read_json

    root = Path(check_path("directory", directory))
    files = sorted(root.glob("d3pm_P*_s*.json"))
    if not files:
        raise ValueError(f"directory {str(root)!r} holds no d3pm_P*_s*.json history")
    runs, settings = [], []
    for f in files:
        data = read_json(f, "D3PM history")
        if not isinstance(data, dict) or "settings" not in data:
            raise ValueError(f"{f} is not a history of train_d3pm (no settings)")
        runs.append(D3PMRun.from_saved_dict(data))
        settings.append(data["settings"])
    for key in ("grammar", "n_generate"):
        values = {json.dumps(s.get(key), sort_keys=True) for s in settings}
        if len(values) > 1:
            raise ValueError(f"directory {str(root)!r} mixes runs of different {key}: "
                             f"{sorted(values)}")
    shared = {k: v for k, v in settings[0].items()
              if all(json.dumps(s.get(k), sort_keys=True) == json.dumps(v, sort_keys=True)
                     for s in settings)}
    order = sorted(range(len(runs)), key=lambda i: (runs[i].P, runs[i].seed))
    return [runs[i] for i in order], shared


def save_layer_summary(runs: Sequence[D3PMRun], measurement: LayerMeasurement,
                       out_dir: str | PathLike) -> list[Path]:
    """Write the measurement of a series and its figures into ``out_dir``.

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs measured (at most 12 are drawn in the curves figure: the first seed of
        each P).
    measurement : LayerMeasurement
        Their [`measure_layers`][memlab.verification.training.rhm_layers.measure_layers].
    out_dir : path
        Directory (created if missing).

    Returns
    -------
    list of pathlib.Path
        The files written, in this order: ``rhm_layers_summary.json`` (``{"measurement":
        measurement.to_dict(), "phase_diagram": phase_diagram_arguments (or null when
        memorization was never reached), "runs": [D3PMRun.to_saved_dict() ...]}``, indent
        1), ``rhm_layers_curves.png``
        ([`plot_layer_errors`][memlab.verification.training.rhm_layers.plot_layer_errors]),
        ``rhm_layers_times.png``
        ([`plot_layer_times`][memlab.verification.training.rhm_layers.plot_layer_times])
        and, when memorization was reached, ``rhm_layers_phase.png``
        ([`plot_measured_phase_diagram`][memlab.verification.training.rhm_layers.plot_measured_phase_diagram]),
        at 120 dpi.

    Raises
    ------
    TypeError
        If a run is not a D3PMRun or ``measurement`` not a LayerMeasurement.
    ValueError
        If ``runs`` is empty.

    References
    ----------
    Favero et al. (2025), Sec. 4.4, Figs. 5a and 6.

    Examples
    --------
    >>> import tempfile
    >>> from memlab.verification.training.rhm_d3pm import D3PMRun
    >>> steps = np.geomspace(10, 1e4, 30)
    >>> def run(P):
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     e1 = np.clip(1 - np.log(steps / 30) / np.log(3), 0, 1) if P >= 8 else 1 - copies
    ...     return D3PMRun(P, steps, np.ones(30), np.ones(30), copies,
    ...                    np.stack([e1, np.maximum(e1, 1 - copies)], 1), np.nan, 10.0,
    ...                    0.2, 32, 1e-3, 8, 0)
    >>> runs = [run(P) for P in (4, 8, 16)]
    >>> m = measure_layers(runs, P_star=[6, 100], n_boot=10)
    >>> [p.name for p in save_layer_summary(runs, m, tempfile.mkdtemp())]
    ['rhm_layers_summary.json', 'rhm_layers_curves.png', 'rhm_layers_times.png', 'rhm_layers_phase.png']
    """
    runs = check_instances("runs", runs, D3PMRun)
    m = _check_measurement(measurement)
    out = Path(check_path("out_dir", out_dir))
    out.mkdir(parents=True, exist_ok=True)
    try:
        args = phase_diagram_arguments(m)
    except ValueError:
        args = None
    summary = out / "rhm_layers_summary.json"
    with open(summary, "w") as fh:
        json.dump({"measurement": m.to_dict(),
                   "phase_diagram": None if args is None else
                   {k: np.asarray(v).tolist() for k, v in args.items()},
                   "runs": [r.to_saved_dict() for r in runs]}, fh, indent=1)
    written = [summary]
    shown, seen = [], set()
    for r in sorted(runs, key=lambda r: (r.P, r.seed)):
        if r.P not in seen and len(shown) < 12:
            seen.add(r.P)
            shown.append(r)
    for name, draw in (("rhm_layers_curves.png",
                        lambda: plot_layer_errors(shown, P_star=m.P_star, level=m.level,
                                                  mem_definition=m.mem_definition)),
                       ("rhm_layers_times.png", lambda: plot_layer_times(m)),
                       ("rhm_layers_phase.png",
                        None if args is None else
                        lambda: plot_measured_phase_diagram(m, n_grid=150))):
        if draw is None:
            continue
        draw().savefig(out / name, dpi=120)
        written.append(out / name)
    return written
