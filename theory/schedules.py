r"""Noise processes and time grids.

Two Gaussian noising processes are used by the seeds, both of the form

$$
x_t = \alpha_t x_0 + \sigma_t z, \qquad z \sim \mathcal N(0, I_d).
$$

* ``"vp"`` (seed 001, eq. 1 and Sec. 4): $\alpha_t = \sqrt{1 - t^2}$,
  $\sigma_t = t$, ``t`` in the open interval (0, 1).
* ``"ou"`` (seed 003, Biroli et al.): the Ornstein-Uhlenbeck process
  $dX = -X\,dt + \sqrt 2\, dW$, so $\alpha_t = e^{-t}$ and
  $\sigma_t^2 = 1 - e^{-2t}$, ``t > 0``.

The signal-to-noise ratio is $\psi_t = \alpha_t^2 / \sigma_t^2$
(seed 001, Sec. 3), decreasing in ``t`` for both processes.

The reference time grid of seed 001's experiments (Sec. 4: "we discretize the
time interval $[\epsilon, 1-\epsilon]$ uniformly into L + 1 timesteps",
$\epsilon = 10^{-3}$, L = 25) is descending,
$t_l = 0.999 - l\, 0.998 / 25$, ``l = 0..25``; it is used both for the
training losses and for DDIM sampling.
"""

from __future__ import annotations

import numpy as np

from .._validation import (MAX_SAMPLES, check_array, check_choice, check_instance, check_positive_int,
                           check_real)

__all__ = ["PROCESSES", "alpha", "sigma", "snr", "reference_timesteps", "check_timesteps",
           "resolve_timesteps"]

PROCESSES = ("vp", "ou")


def _check_process(process: str) -> str:
    return check_choice("process", process, PROCESSES)


def check_timesteps(t, process: str = "vp", name: str = "t") -> np.ndarray:
    """Validate times for ``process``: VP needs ``0 < t < 1``, OU needs ``t > 0``."""
    _check_process(process)
    check_instance("name", name, str)
    hi = 1.0 if process == "vp" else None
    return check_array(name, t, lo=0.0, lo_open=True, hi=hi, hi_open=True)


def resolve_timesteps(timesteps=None) -> np.ndarray:
    """The VP time grid a computation runs on: seed 001's grid by default, else ``timesteps`` checked.

    Parameters
    ----------
    timesteps : float or array of shape (T,), optional
        VP times, each in the open interval (0, 1). ``None`` (default) means
        [`reference_timesteps`][memlab.theory.schedules.reference_timesteps] ``()``, seed 001's 26-point grid.

    Returns
    -------
    numpy.ndarray
        One-dimensional float64 array of times (a scalar becomes shape (1,)).

    Raises
    ------
    ValueError
        If a time is outside (0, 1) or not finite, or ``timesteps`` has more
        than one dimension.

    See Also
    --------
    check_timesteps : validation of times of any shape, for either process.

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


def _scalar_out(arr: np.ndarray, t):
    return float(arr) if np.ndim(t) == 0 else arr


def alpha(t, process: str = "vp"):
    r"""Signal coefficient $\alpha_t$.

    VP: $\sqrt{1-t^2}$; OU: $e^{-t}$.

    Examples
    --------
    >>> alpha(0.6)
    0.8
    """
    tt = check_timesteps(t, process)
    out = np.sqrt(1.0 - tt * tt) if process == "vp" else np.exp(-tt)
    return _scalar_out(out, t)


def sigma(t, process: str = "vp"):
    r"""Noise standard deviation $\sigma_t$.

    VP: $t$; OU: $\sqrt{1 - e^{-2t}} = \sqrt{-\mathrm{expm1}(-2t)}$.

    Examples
    --------
    >>> sigma(0.6)
    0.6
    """
    tt = check_timesteps(t, process)
    out = tt.copy() if process == "vp" else np.sqrt(-np.expm1(-2.0 * tt))
    return _scalar_out(out, t)


def snr(t, process: str = "vp"):
    r"""Signal-to-noise ratio $\psi_t = \alpha_t^2/\sigma_t^2$ (seed 001, Sec. 3).

    VP: $(1 - t^2)/t^2$; OU: $1/(e^{2t} - 1)$, computed with
    ``expm1`` so that small ``t`` keeps full precision.

    Parameters
    ----------
    t : float or array
        Times; VP: ``1e-154 <= t < 1`` (below 1e-154 the SNR exceeds the
        float range, ValueError); OU: ``t > 0`` (any size; the SNR underflows
        to 0 beyond t = 354).
    process : {"vp", "ou"}

    Raises
    ------
    ValueError
        For a time outside the range above.

    Examples
    --------
    >>> round(snr(0.3), 3)   # the "representative t" of seed 001, Fig. 2
    10.111
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
    r"""Seed 001's descending time grid $t_l = (1-\epsilon) - l (1 - 2\epsilon)/L$.

    Parameters
    ----------
    n_steps : int
        L, the number of intervals; the grid has ``L + 1`` points (26 by default).
    eps : float
        Distance of the grid's ends from 0 and 1, ``0 < eps < 1/2``.

    Returns
    -------
    numpy.ndarray
        ``L + 1`` times from ``1 - eps`` down to ``eps``.

    Examples
    --------
    >>> t = reference_timesteps()
    >>> len(t), round(float(t[0]), 12), round(float(t[-1]), 12)
    (26, 0.999, 0.001)
    """
    n_steps = check_positive_int("n_steps", n_steps, maximum=MAX_SAMPLES)
    eps = check_real("eps", eps, lo=0.0, hi=0.5, lo_open=True, hi_open=True)
    ell = np.arange(n_steps + 1, dtype=np.float64)
    return (1.0 - eps) - ell * (1.0 - 2.0 * eps) / n_steps
