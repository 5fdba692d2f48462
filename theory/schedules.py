r"""Noise processes and time grids.

Two Gaussian noising processes are used by the papers memlab checks, both of the form

$$
x_t = \alpha_t x_0 + \sigma_t z, \qquad z \sim \mathcal N(0, I_d).
$$

* `"vp"` (Buchanan et al. 2025, eq. 1 and Sec. 4): $\alpha_t = \sqrt{1 - t^2}$,
  $\sigma_t = t$, `t` in the open interval (0, 1).
* `"ou"` (the onset paper, Sec. 2.2, after Biroli et al. 2024): the Ornstein-Uhlenbeck
  process $dX = -X\,dt + \sqrt 2\, dW$, so $\alpha_t = e^{-t}$ and
  $\sigma_t^2 = 1 - e^{-2t}$, `t > 0`.

The signal-to-noise ratio is $\psi_t = \alpha_t^2 / \sigma_t^2$
(Buchanan et al. 2025, Sec. 3), decreasing in `t` for both processes.

The reference time grid of the experiments of Buchanan et al. (2025) (Sec. 4: "we
discretize the time interval $[\epsilon, 1-\epsilon]$ uniformly into L + 1 timesteps",
$\epsilon = 10^{-3}$, L = 25) is descending,
$t_l = 0.999 - l\, 0.998 / 25$, `l = 0..25`; it is used both for the
training losses and for DDIM sampling.

Everything here is exact (no approximation). The only limits are those of floating
point: the VP SNR exceeds the float range for $t < 10^{-154}$ (ValueError) and the OU
SNR underflows to 0 beyond $t \approx 354$.

References
----------
- S. Buchanan, D. Pai, Y. Ma, V. De Bortoli, "On the edge of memorization in diffusion
  models", NeurIPS 2025: eq. 1 (VP process), Sec. 3 (SNR), Sec. 4 (time grid).
- "On the onset of memorization to generalization transition in diffusion models"
  (the onset paper, anonymous, under review), Sec. 2.2 (OU process), after
  Biroli et al. (2024).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import (MAX_SAMPLES, check_array, check_choice, check_instance, check_positive_int,
                           check_real)

__all__ = ["PROCESSES", "alpha", "sigma", "snr", "reference_timesteps", "check_timesteps",
           "resolve_timesteps"]

PROCESSES = ("vp", "ou")
"""The noise processes: `"vp"` (Buchanan et al. 2025, eq. 1) and `"ou"` (the onset paper, Sec. 2.2)."""


def _check_process(process: str) -> str:
    return check_choice("process", process, PROCESSES)


def check_timesteps(t: ArrayLike, process: str = "vp", name: str = "t") -> np.ndarray:
    """Validate times for `process`: VP needs `0 < t < 1`, OU needs `t > 0`.

    The check every function of memlab that takes diffusion times runs first; it
    accepts any shape (see
    [`resolve_timesteps`][memlab.theory.schedules.resolve_timesteps] for the
    one-dimensional VP grid of a loss).

    Parameters
    ----------
    t : float or array_like
        Times, any shape. VP (Buchanan et al. 2025, eq. 1): each in the open
        interval (0, 1); OU (the onset paper, Sec. 2.2): each > 0 and finite.
    process : {"vp", "ou"}, default "vp"
        The noise process, one of [`PROCESSES`][memlab.theory.schedules.PROCESSES].
    name : str, default "t"
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray
        The times as a float64 array of the shape of `t` (0-d for a scalar).

    Raises
    ------
    TypeError
        If `t` is not numeric (a bool, a string, None, ...) or `name` is not a str.
    ValueError
        If `process` is not `"vp"` or `"ou"`, or a time is NaN, infinite or
        outside the range of the process.

    References
    ----------
    Buchanan et al. (2025), eq. 1 (VP); the onset paper, Sec. 2.2 (OU).

    Examples
    --------
    >>> check_timesteps([0.2, 0.5])
    array([0.2, 0.5])
    >>> check_timesteps(3.0, "ou")
    array(3.)
    >>> check_timesteps(1.0)
    Traceback (most recent call last):
    ...
    ValueError: t must be < 1.0 everywhere, got 1.0
    """
    _check_process(process)
    check_instance("name", name, str)
    hi = 1.0 if process == "vp" else None
    return check_array(name, t, lo=0.0, lo_open=True, hi=hi, hi_open=True)


def resolve_timesteps(timesteps: ArrayLike | None = None) -> np.ndarray:
    """The VP time grid a computation runs on: the reference grid by default, else `timesteps` checked.

    The reference grid is the 26-point grid of the experiments of Buchanan et al.
    (2025), Sec. 4 ([`reference_timesteps`][memlab.theory.schedules.reference_timesteps]).

    Parameters
    ----------
    timesteps : float or array of shape (T,), optional
        VP times, each in the open interval (0, 1). `None` (default) means
        [`reference_timesteps`][memlab.theory.schedules.reference_timesteps]`()`,
        the 26-point grid of Buchanan et al. (2025).

    Returns
    -------
    numpy.ndarray
        One-dimensional float64 array of times (a scalar becomes shape (1,)).

    Raises
    ------
    TypeError
        If `timesteps` is not numeric.
    ValueError
        If a time is outside (0, 1) or not finite, or `timesteps` has more
        than one dimension.

    See Also
    --------
    check_timesteps : validation of times of any shape, for either process.

    References
    ----------
    Buchanan et al. (2025), Sec. 4 (the time grid).

    Examples
    --------
    >>> resolve_timesteps().shape
    (26,)
    >>> resolve_timesteps(0.5)
    array([0.5])
    """
    if timesteps is None:
        return reference_timesteps()
    t = check_timesteps(timesteps, "vp", name="timesteps")
    if t.ndim > 1:
        raise ValueError(f"timesteps must be one-dimensional, got shape {t.shape}")
    return t.reshape(-1)


def _scalar_out(arr: np.ndarray, t: ArrayLike) -> float | np.ndarray:
    return float(arr) if np.ndim(t) == 0 else arr


def alpha(t: ArrayLike, process: str = "vp") -> float | np.ndarray:
    r"""Signal coefficient $\alpha_t$ of $x_t = \alpha_t x_0 + \sigma_t z$.

    VP (Buchanan et al. 2025, eq. 1): $\alpha_t = \sqrt{1-t^2}$; OU (the onset
    paper, Sec. 2.2): $\alpha_t = e^{-t}$. Exact.

    Parameters
    ----------
    t : float or array_like
        Times; VP: `0 < t < 1`; OU: `t > 0`.
    process : {"vp", "ou"}, default "vp"
        The noise process.

    Returns
    -------
    float or numpy.ndarray
        $\alpha_t$, a float for a scalar `t`, else an array of the shape of `t`.

    Raises
    ------
    TypeError
        If `t` is not numeric.
    ValueError
        If `process` is unknown or a time is outside the range of the process.

    References
    ----------
    Buchanan et al. (2025), eq. 1; the onset paper, Sec. 2.2.

    Examples
    --------
    >>> alpha(0.6)
    0.8
    >>> round(alpha(1.0, "ou"), 6)
    0.367879
    """
    tt = check_timesteps(t, process)
    out = np.sqrt(1.0 - tt * tt) if process == "vp" else np.exp(-tt)
    return _scalar_out(out, t)


def sigma(t: ArrayLike, process: str = "vp") -> float | np.ndarray:
    r"""Noise standard deviation $\sigma_t$ of $x_t = \alpha_t x_0 + \sigma_t z$.

    VP (Buchanan et al. 2025, eq. 1): $\sigma_t = t$; OU (the onset paper,
    Sec. 2.2): $\sigma_t = \sqrt{1 - e^{-2t}} = \sqrt{-\mathrm{expm1}(-2t)}$, computed
    with `expm1` so that small `t` keeps full precision.

    Parameters
    ----------
    t : float or array_like
        Times; VP: `0 < t < 1`; OU: `t > 0`.
    process : {"vp", "ou"}, default "vp"
        The noise process.

    Returns
    -------
    float or numpy.ndarray
        $\sigma_t$, a float for a scalar `t`, else an array of the shape of `t`.

    Raises
    ------
    TypeError
        If `t` is not numeric.
    ValueError
        If `process` is unknown or a time is outside the range of the process.

    References
    ----------
    Buchanan et al. (2025), eq. 1; the onset paper, Sec. 2.2.

    Examples
    --------
    >>> sigma(0.6)
    0.6
    >>> round(sigma(1e-10, "ou") * 1e5, 10)    # sqrt(2t) for small t
    1.4142135623
    """
    tt = check_timesteps(t, process)
    out = tt.copy() if process == "vp" else np.sqrt(-np.expm1(-2.0 * tt))
    return _scalar_out(out, t)


def snr(t: ArrayLike, process: str = "vp") -> float | np.ndarray:
    r"""Signal-to-noise ratio $\psi_t = \alpha_t^2/\sigma_t^2$ (Buchanan et al. 2025, Sec. 3).

    VP: $\psi_t = (1 - t^2)/t^2$; OU: $\psi_t = 1/(e^{2t} - 1)$, computed with
    `expm1` so that small `t` keeps full precision. Decreasing in `t` for both
    processes. Exact; the only limits are those of floating point, given below.

    Parameters
    ----------
    t : float or array_like
        Times; VP: `1e-154 <= t < 1` (below 1e-154 the SNR exceeds the
        float range, ValueError); OU: `t > 0` (any size; the SNR underflows
        to 0 beyond t = 354).
    process : {"vp", "ou"}, default "vp"
        The noise process.

    Returns
    -------
    float or numpy.ndarray
        $\psi_t$, a float for a scalar `t`, else an array of the shape of `t`.

    Raises
    ------
    TypeError
        If `t` is not numeric.
    ValueError
        If `process` is unknown, or for a time outside the range above.

    References
    ----------
    Buchanan et al. (2025), Sec. 3 (the SNR) and Fig. 2.

    Examples
    --------
    >>> round(snr(0.3), 3)   # the "representative t" of Buchanan et al. (2025), Fig. 2
    10.111
    >>> round(snr(0.5, "ou"), 6)
    0.581977
    """
    tt = check_timesteps(t, process)
    if process == "vp":
        if np.any(tt < _VP_SNR_T_MIN):
            raise ValueError(f"t must be >= {_VP_SNR_T_MIN} for the VP SNR (1 - t^2)/t^2, which "
                             f"exceeds the float range below, got {float(tt.min())!r}")
        out = (1.0 - tt) * (1.0 + tt) / tt / tt
    else:
        # e^{-2t} / (1 - e^{-2t}): underflows to 0 for t > 354 instead of overflowing expm1
        out = np.exp(-2.0 * tt) / -np.expm1(-2.0 * tt)
    return _scalar_out(out, t)


_VP_SNR_T_MIN = 1e-154   # (1 - t^2)/t^2 < 1.8e308 above this


def reference_timesteps(n_steps: int = 25, eps: float = 1e-3) -> np.ndarray:
    r"""Descending VP time grid $t_l = (1-\epsilon) - l (1 - 2\epsilon)/L$ of Buchanan et al. (2025).

    Their Sec. 4: "we discretize the time interval $[\epsilon, 1-\epsilon]$
    uniformly into L + 1 timesteps", with $\epsilon = 10^{-3}$ and L = 25. memlab
    averages training losses over this grid and samples with DDIM on it.

    Parameters
    ----------
    n_steps : int, default 25
        L, the number of intervals, 1 <= L <= 1e9; the grid has `L + 1` points
        (26 by default).
    eps : float, default 1e-3
        $\epsilon$, the distance of the grid's ends from 0 and 1, `0 < eps < 1/2`.

    Returns
    -------
    numpy.ndarray
        `L + 1` float64 times from `1 - eps` down to `eps`.

    Raises
    ------
    TypeError
        If `n_steps` or `eps` is not a number.
    ValueError
        If `n_steps` is not a positive integer or `eps` is outside (0, 1/2).

    References
    ----------
    Buchanan et al. (2025), Sec. 4.

    Examples
    --------
    >>> t = reference_timesteps()
    >>> len(t), round(float(t[0]), 12), round(float(t[-1]), 12)
    (26, 0.999, 0.001)
    >>> reference_timesteps(2, 0.25)
    array([0.75, 0.5 , 0.25])
    """
    n_steps = check_positive_int("n_steps", n_steps, maximum=MAX_SAMPLES)
    eps = check_real("eps", eps, lo=0.0, hi=0.5, lo_open=True, hi_open=True)
    ell = np.arange(n_steps + 1, dtype=np.float64)
    return (1.0 - eps) - ell * (1.0 - 2.0 * eps) / n_steps
