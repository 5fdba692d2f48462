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

Discrete diffusion (Favero et al. 2025, App. B.2-B.3, after Austin et al. 2021): tokens of
a vocabulary of v symbols are corrupted step by step with the per-step matrices

$$
Q_t = (1 - \beta_t) I + \frac{\beta_t}{v}\mathbf 1\mathbf 1^\top \quad\text{(uniform)},
\qquad Q_t = (1 - \beta_t) I + \beta_t \mathbf 1 e_M^\top \quad\text{(masked)},
$$

$[Q_t]_{ij} = q(x_t = j \mid x_{t-1} = i)$, the masked process on v + 1 states whose last
one is the mask M. Their products are $\bar Q_t = \bar\alpha_t I + (1 - \bar\alpha_t)
\mathbf 1 \pi^\top$ with $\bar\alpha_t = \prod_{s \le t}(1 - \beta_s)$ and $\pi$ the
uniform law (uniform) or $e_M$ (masked): a token is kept with probability
$\bar\alpha_t$ and otherwise redrawn from $\pi$ (so the uniform process keeps it with
probability $\bar\alpha_t + (1 - \bar\alpha_t)/v$).
[`d3pm_betas`][memlab.theory.schedules.d3pm_betas] gives the schedules,
[`d3pm_keep`][memlab.theory.schedules.d3pm_keep] the $\bar\alpha_t$,
[`transition_matrix`][memlab.theory.schedules.transition_matrix] and
[`cumulative_transition`][memlab.theory.schedules.cumulative_transition] the matrices.

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
- A. Favero, A. Sclocchi, M. Wyart, "Bigger isn't always memorizing: early stopping
  overparameterized diffusion models" (Favero et al. 2025), App. B.2 (masked diffusion,
  eq. 3) and B.3 (uniform D3PM, eq. 4, "a linear schedule with 1,000 noise levels");
  J. Austin et al., "Structured denoising diffusion models in discrete state-spaces",
  NeurIPS 2021 (the D3PM matrices and the 1/(T - t + 1) schedule).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import (MAX_SAMPLES, check_array, check_choice, check_instance, check_positive_int,
                           check_real)

__all__ = ["PROCESSES", "alpha", "sigma", "snr", "reference_timesteps", "check_timesteps",
           "resolve_timesteps", "D3PM_SCHEDULES", "DISCRETE_PROCESSES", "d3pm_betas",
           "d3pm_keep", "transition_matrix", "cumulative_transition"]

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


# ----------------------------------------------------------------------------
# Discrete diffusion (D3PM)
# ----------------------------------------------------------------------------

D3PM_SCHEDULES = ("linear", "cosine", "jsd")
"""The per-step schedules of [`d3pm_betas`][memlab.theory.schedules.d3pm_betas]."""

DISCRETE_PROCESSES = ("uniform", "masked")
"""The discrete corruption processes: uniform resampling (D3PM) and masking (absorbing state)."""


def d3pm_betas(n_steps: int = 1000, kind: str = "linear", *, beta_start: float = 1e-4,
               beta_end: float = 0.02) -> np.ndarray:
    r"""Per-step corruption probabilities $\beta_1, \dots, \beta_T$ of a discrete diffusion.

    * ``"linear"``: $\beta_t$ linear in t from ``beta_start`` (t = 1) to ``beta_end``
      (t = T), the linear schedule of Ho et al. (2020). Favero et al. (2025), App. B.3,
      train their D3PM with "a linear schedule with 1,000 noise levels" without giving
      its ends; the defaults 1e-4 and 0.02 are Ho et al.'s, which leave
      $\bar\alpha_T = 4.04\times10^{-5}$ at T = 1000 (nearly uniform tokens). This reading is an assumption (stated in the docs).
    * ``"cosine"``: $\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1}$ with
      $\bar\alpha_t = \cos^2(\pi t / (2T))$, the keep schedule of memlab's exact-denoiser
      samplers ([`keep_schedule`][memlab.theory.rhm.keep_schedule]); $\beta_T = 1$.
    * ``"jsd"``: $\beta_t = 1/(T - t + 1)$ (Austin et al. 2021), for which
      $\bar\alpha_t = 1 - t/T$ exactly: linear in the keep probability, $\beta_T = 1$.

    Parameters
    ----------
    n_steps : int, default 1000
        T, the number of noise levels, 1 <= T <= 1e9.
    kind : {"linear", "cosine", "jsd"}, default "linear"
        The schedule.
    beta_start : float, default 1e-4
        $\beta_1$ of the linear schedule, in (0, 1].
    beta_end : float, default 0.02
        $\beta_T$ of the linear schedule, in (0, 1]; with T = 1 the single step is
        ``beta_end``.

    Returns
    -------
    numpy.ndarray
        The T values $\beta_1, \dots, \beta_T$, each in [0, 1].

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_steps`` < 1, ``kind`` is unknown, or ``beta_start`` / ``beta_end`` are
        outside (0, 1].

    References
    ----------
    Favero et al. (2025), App. B.3; J. Ho, A. Jain, P. Abbeel, "Denoising diffusion
    probabilistic models", NeurIPS 2020 (the linear schedule); Austin et al. (2021),
    App. A (the 1/(T - t + 1) schedule).

    Examples
    --------
    >>> b = d3pm_betas(1000)
    >>> float(b[0]), float(b[-1])
    (0.0001, 0.02)
    >>> d3pm_betas(4, "jsd").tolist()
    [0.25, 0.3333333333333333, 0.5, 1.0]
    """
    T = check_positive_int("n_steps", n_steps, maximum=MAX_SAMPLES)
    kind = check_choice("kind", kind, D3PM_SCHEDULES)
    beta_start = check_real("beta_start", beta_start, lo=0.0, hi=1.0, lo_open=True)
    beta_end = check_real("beta_end", beta_end, lo=0.0, hi=1.0, lo_open=True)
    t = np.arange(1, T + 1, dtype=np.float64)
    if kind == "linear":
        if T == 1:
            return np.array([beta_end])
        return beta_start + (beta_end - beta_start) * (t - 1.0) / (T - 1.0)
    if kind == "jsd":
        return 1.0 / (T - t + 1.0)
    # cosine: 1 - cos^2(pi t / 2T) / cos^2(pi (t-1) / 2T), in a form without cancellation:
    # cos^2 a - cos^2 b = sin(b - a) sin(b + a)
    a, b = 0.5 * np.pi * (t - 1.0) / T, 0.5 * np.pi * t / T
    out = np.sin(b - a) * np.sin(b + a) / np.cos(a) ** 2
    out[-1] = 1.0
    return np.clip(out, 0.0, 1.0)


def d3pm_keep(betas: ArrayLike) -> np.ndarray:
    r"""Keep probabilities $\bar\alpha_t = \prod_{s \le t}(1 - \beta_s)$, t = 0..T.

    The probability that a token has not been corrupted after t steps, for both the
    uniform and the masked process (Favero et al. 2025, App. B). Computed as
    $\exp\sum_s \log(1 - \beta_s)$ (``log1p``), so that long schedules lose no
    accuracy; $\bar\alpha_0 = 1$, and a step with $\beta = 1$ gives exactly 0.

    Parameters
    ----------
    betas : array_like of shape (T,)
        Per-step probabilities in [0, 1] (e.g. from
        [`d3pm_betas`][memlab.theory.schedules.d3pm_betas]), T >= 1.

    Returns
    -------
    numpy.ndarray
        The T + 1 keep probabilities, non-increasing from 1.

    Raises
    ------
    TypeError
        If ``betas`` is not numeric.
    ValueError
        If ``betas`` is not one-dimensional, is empty, or has a value outside [0, 1].

    References
    ----------
    Favero et al. (2025), App. B (q(x_t | x_0) of eqs. 3-4); Austin et al. (2021).

    Examples
    --------
    >>> d3pm_keep([0.5, 0.5, 1.0]).tolist()
    [1.0, 0.5, 0.25, 0.0]
    >>> float(d3pm_keep(d3pm_betas(1000))[-1].round(7))
    4.04e-05
    """
    b = check_array("betas", betas, ndim=1, lo=0.0, hi=1.0)
    with np.errstate(divide="ignore"):
        logs = np.log1p(-b)
    return np.exp(np.concatenate([[0.0], np.cumsum(logs)]))


def _transition(k, v, process):
    """k I + (1 - k) 1 pi^T for an array k of checked keep probabilities."""
    v = check_positive_int("v", v, maximum=2**16)
    process = check_choice("process", process, DISCRETE_PROCESSES)
    n = v if process == "uniform" else v + 1
    pi = np.full(n, 1.0 / v)
    if process == "masked":
        pi = np.zeros(n)
        pi[-1] = 1.0                                  # the mask, last state
    return k[..., None, None] * np.eye(n) + (1.0 - k)[..., None, None] * pi


def transition_matrix(beta: ArrayLike, v: int, process: str = "uniform") -> np.ndarray:
    r"""Per-step transition matrix $Q_t$ of uniform or masked discrete diffusion.

    Uniform (Favero et al. 2025, eq. 4): $Q_t = (1 - \beta_t) I + \frac{\beta_t}{v}
    \mathbf 1\mathbf 1^\top$ on v states. Masked, absorbing state (their eq. 3):
    $Q_t = (1 - \beta_t) I + \beta_t \mathbf 1 e_M^\top$ on v + 1 states, the mask M
    last (index v). Rows are the current state: $[Q_t]_{ij} = q(x_t = j \mid x_{t-1} = i)$,
    each row sums to 1.

    Parameters
    ----------
    beta : float or array_like
        $\beta_t$ in [0, 1]; an array gives a stack of matrices (its shape + (n, n)).
    v : int
        Vocabulary size (without the mask), 1 <= v <= 65536.
    process : {"uniform", "masked"}, default "uniform"
        The corruption.

    Returns
    -------
    numpy.ndarray
        Shape (n, n), or ``np.shape(beta) + (n, n)``, with n = v (uniform) or v + 1
        (masked).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``beta`` is outside [0, 1], ``v`` < 1 or ``process`` is unknown.

    References
    ----------
    Favero et al. (2025), App. B.2 eq. 3 and App. B.3 eq. 4; Austin et al. (2021).

    Examples
    --------
    >>> transition_matrix(0.3, 2)
    array([[0.85, 0.15],
           [0.15, 0.85]])
    >>> transition_matrix(0.3, 2, "masked")[0].round(12).tolist()
    [0.7, 0.0, 0.3]
    """
    return _transition(1.0 - check_array("beta", beta, lo=0.0, hi=1.0), v, process)


def cumulative_transition(keep: ArrayLike, v: int, process: str = "uniform") -> np.ndarray:
    r"""The t-step matrix $\bar Q_t = Q_1 \cdots Q_t = \bar\alpha_t I + (1 - \bar\alpha_t)\mathbf 1\pi^\top$.

    $\pi$ is uniform on the v states (uniform process) or $e_M$ (masked process): the
    product of the per-step matrices of
    [`transition_matrix`][memlab.theory.schedules.transition_matrix] depends on the
    schedule only through the keep probability $\bar\alpha_t$ of
    [`d3pm_keep`][memlab.theory.schedules.d3pm_keep], since each $Q_s$ is
    $(1-\beta_s) I + \beta_s \mathbf 1\pi^\top$ and $\mathbf 1\pi^\top$ is idempotent
    with $\pi^\top\mathbf 1 = 1$. This is $q(x_t \mid x_0)$ of Favero et al. (2025),
    App. B, and the corruption of `memlab.theory.rhm.add_noise`.

    Parameters
    ----------
    keep : float or array_like
        $\bar\alpha_t$ in [0, 1]; an array gives a stack of matrices.
    v : int
        Vocabulary size (without the mask), 1 <= v <= 65536.
    process : {"uniform", "masked"}, default "uniform"
        The corruption.

    Returns
    -------
    numpy.ndarray
        Shape (n, n), or ``np.shape(keep) + (n, n)``, n = v or v + 1.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``keep`` is outside [0, 1], ``v`` < 1 or ``process`` is unknown.

    References
    ----------
    Favero et al. (2025), App. B (eqs. 3-4); Austin et al. (2021), Sec. 3.

    Examples
    --------
    >>> Q = transition_matrix(d3pm_betas(3, "jsd"), 2)
    >>> bool(np.allclose(Q[0] @ Q[1], cumulative_transition(d3pm_keep(d3pm_betas(3, "jsd"))[2], 2)))
    True
    >>> cumulative_transition(0.0, 3, "masked")[1].tolist()
    [0.0, 0.0, 0.0, 1.0]
    """
    return _transition(check_array("keep", keep, lo=0.0, hi=1.0), v, process)

