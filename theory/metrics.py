r"""Memorization measurements shared by the verification experiments (seeds 000, 001, 002).

This module starts with the two tools the scaling experiments need:

* :func:`memorization_onset`: the first training step at which the
  validation loss exceeds the training loss by a threshold, from curves
  interpolated linearly in log(step) (seed 000, App. D);
* :func:`fit_power_law`: a log-log least-squares fit
  :math:`y = A x^\beta` with the standard error and confidence interval of
  the exponent (e.g. :math:`\tau_{\rm mem} \propto P^\beta`, :math:`\beta \approx 1`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validation import check_array, check_real

__all__ = ["PowerLawFit", "fit_power_law", "memorization_onset", "first_crossing"]


@dataclass(frozen=True)
class PowerLawFit:
    """Result of :func:`fit_power_law`: ``y ~ prefactor * x**exponent``.

    Attributes: ``exponent`` (estimate), ``stderr``, ``ci_low``, ``ci_high``
    (level ``confidence``, Student t), ``prefactor``, ``n_samples`` (points).
    """

    exponent: float
    stderr: float
    ci_low: float
    ci_high: float
    prefactor: float
    confidence: float
    n_samples: int

    @property
    def estimate(self) -> float:
        return self.exponent


def fit_power_law(x, y, *, y_err=None, confidence=0.95) -> PowerLawFit:
    r"""Least-squares fit of :math:`\log y = \log A + \beta\log x`.

    Parameters
    ----------
    x, y : arrays of positive numbers, at least 3 points.
    y_err : array, optional
        Standard errors of y (e.g. Monte Carlo errors). The fit is then
        weighted by :math:`(y/\sigma_y)^2` and the slope's standard error is
        the larger of the one propagated from ``y_err`` and the one from the
        residual scatter, so that neither a lucky scatter of a few points nor
        underestimated errors make the interval too narrow.
    confidence : float
        Level of the Student-t interval (n - 2 degrees of freedom).

    Residuals are computed directly (not through :math:`1 - r^2`), so an
    exact power law gives a standard error of ~1e-16.

    Examples
    --------
    >>> f = fit_power_law([1, 2, 4, 8], [3, 6, 12, 24])
    >>> round(f.exponent, 12), round(f.prefactor, 12)
    (1.0, 3.0)
    """
    x = check_array("x", x, ndim=1, lo=0.0, lo_open=True)
    y = check_array("y", y, ndim=1, lo=0.0, lo_open=True)
    if x.shape != y.shape:
        raise ValueError(f"y must have the shape of x {x.shape}, got {y.shape}")
    if x.size < 3:
        raise ValueError(f"fit_power_law needs at least 3 points, got {x.size}")
    if np.ptp(np.log(x)) == 0:
        raise ValueError("x must take at least two distinct values")
    confidence = check_real("confidence", confidence, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    lx, ly = np.log(x), np.log(y)
    if y_err is None:
        w = np.ones_like(lx)
    else:
        err = check_array("y_err", y_err, ndim=1, lo=0.0, lo_open=True)
        if err.shape != y.shape:
            raise ValueError(f"y_err must have the shape of y {y.shape}, got {err.shape}")
        w = (y / err) ** 2                       # 1 / Var(log y)
    xm = (w * lx).sum() / w.sum()
    ym = (w * ly).sum() / w.sum()
    sxx = (w * (lx - xm) ** 2).sum()
    slope = (w * (lx - xm) * (ly - ym)).sum() / sxx
    intercept = ym - slope * xm
    resid = ly - intercept - slope * lx
    dof = x.size - 2
    se_resid = np.sqrt((w * resid**2).sum() / dof / sxx)
    se = se_resid if y_err is None else max(se_resid, 1.0 / np.sqrt(sxx))
    t = stats.t.ppf(0.5 + confidence / 2.0, dof)
    return PowerLawFit(float(slope), float(se), float(slope - t * se), float(slope + t * se),
                       float(np.exp(intercept)), confidence, int(x.size))


def first_crossing(x, y, level, *, above=True, log_x=False) -> float:
    """First x where the piecewise-linear curve y(x) reaches ``level``.

    The first index where ``y > level`` (``above=True``) or ``y <= level``
    (``above=False``) is found and the crossing is interpolated linearly inside
    the segment before it, in x or in log(x) (``log_x``). Returns ``x[0]`` if
    the first point already satisfies the condition and NaN if no point does;
    callers decide what those cases mean. Inputs are assumed validated.
    """
    y = np.asarray(y, dtype=float)
    hit = np.flatnonzero(y > level if above else y <= level)
    if hit.size == 0:
        return float("nan")
    j = int(hit[0])
    if j == 0:
        return float(x[0])
    u0, u1 = (np.log(x[j - 1]), np.log(x[j])) if log_x else (float(x[j - 1]), float(x[j]))
    frac = (level - y[j - 1]) / (y[j] - y[j - 1])
    u = u0 + frac * (u1 - u0)
    return float(np.exp(u) if log_x else u)


def memorization_onset(steps, train_loss, val_loss, threshold) -> float:
    r"""First step at which ``val_loss - train_loss`` exceeds ``threshold`` (seed 000, App. D).

    Both curves are interpolated linearly in log(step), so their gap is
    piecewise linear in log(step); the crossing of the threshold is solved
    exactly inside the first segment where it happens.

    Returns
    -------
    float
        The onset step, ``steps[0]`` if the gap already exceeds the threshold
        there, or ``nan`` when it never does ("not reached").

    Examples
    --------
    >>> round(memorization_onset([1, 10, 100], [1.0, 0.5, 0.1], [1.0, 0.6, 0.9], 0.5), 4)
    37.2759
    """
    steps = check_array("steps", steps, ndim=1, lo=0.0, lo_open=True)
    tr = check_array("train_loss", train_loss, ndim=1)
    va = check_array("val_loss", val_loss, ndim=1)
    if not (steps.shape == tr.shape == va.shape):
        raise ValueError(f"steps, train_loss and val_loss must have the same shape, got "
                         f"{steps.shape}, {tr.shape}, {va.shape}")
    if steps.size < 2 or np.any(np.diff(steps) <= 0):
        raise ValueError("steps must be increasing with at least 2 entries")
    threshold = check_real("threshold", threshold)
    return first_crossing(steps, va - tr, threshold, above=True, log_x=True)
