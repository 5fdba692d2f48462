r"""Mixing (collapse) time of the empirical OU mixture and Gaussian KDE bandwidths.

Implements Sec. 2.2 of the onset paper ("On the onset of memorization to generalization
transition in diffusion models", anonymous, under review), after Biroli et al. (2024).
For n training points drawn from $\mathcal N(\mu, \sigma^2 I_d)$ and the OU process
($\alpha_t = e^{-t}$, $\Delta_t = 1 - e^{-2t}$), the backward
dynamics collapses onto a training point for $t < t_M$ with

$$
t_M(\sigma, d, n) = \tfrac12 \log\Big(1 + \frac{\sigma^2}{n^{2/d} - 1}\Big)
\simeq \frac{\sigma^2}{2 n^{2/d}} \quad (\log(n)/d \gg 1),
$$

the onset paper's eq. 9 ([`mixing_time`][memlab.theory.mixing.mixing_time],
[`mixing_time_leading`][memlab.theory.mixing.mixing_time_leading]). The empirical
mixture at $t_M$ is a Gaussian kernel density estimate (KDE) of width
$h_M^2 = e^{2t_M} - 1 = \sigma^2/(n^{2/d}-1)$ (after rescaling by $e^{t}$,
[`mixing_width`][memlab.theory.mixing.mixing_width]), which the paper compares with
the L2-optimal KDE bandwidth (its eq. 11, Silverman's AMISE rule;
[`compare_bandwidths`][memlab.theory.mixing.compare_bandwidths]). The speciation time
and the excess entropy are those of Biroli et al. (2024).

Sec. 2.3: the matrix $\Sigma_t$ of the late-time expansion of $\log\hat\rho(t, x)$
(eqs. 12-14, with the $1/\delta_t$ that eq. 14 drops restored;
[`late_time_matrix`][memlab.theory.mixing.late_time_matrix]) and the time $t_R$ after
which it is positive definite
([`gaussian_regime_time`][memlab.theory.mixing.gaussian_regime_time]): 0 for any single
Gaussian, close to $t_M$ for the empirical measure of Gaussian data, close to the
speciation time for separated mixtures.

Where the approximations stop holding:

* eq. 9 is a limit $n, d \to \infty$ at fixed $\log(n)/d$; at finite d the simulated
  collapse time differs ([`memlab.verification.mixing`][memlab.verification.mixing]);
* its second equality (the leading order) needs $n^{2/d} \gg 1 + \sigma^2$, and the
  paper's error term misses a relative correction of order $n^{-2/d}$;
* the mixing width is the L2-optimal bandwidth only in a regime (to 1% at d = 16,
  n = 1e4; 1.86 times the optimum at d = 100; 1e-4 against 0.17 at d = 1), and
  Silverman's rule is itself a large-n expansion, far from the exact optimum in
  high d ([`optimal_bandwidth`][memlab.theory.mixing.optimal_bandwidth]).

Everything is computed in logs: $n^{2/d} - 1$ is `expm1(2 log(n) / d)`,
so d up to 1e4 and n up to 1e300 work (`log_n` may be given instead of n for
still larger n).

References
----------
- "On the onset of memorization to generalization transition in diffusion models"
  (the onset paper, anonymous, under review), Sec. 2.2, eqs. 9-11, Fig. 3.
- G. Biroli, T. Bonnaire, V. de Bortoli, M. Mezard (2024), "Dynamical regimes of
  diffusion models" (speciation and collapse times, excess entropy).
"""

from __future__ import annotations

from dataclasses import dataclass

from memlab._results import Result
import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from .._validation import (_show, check_array, check_bool, check_choice, check_positive_int,
                           check_positive_real, check_real)

__all__ = [
    "mixing_time",
    "mixing_time_leading",
    "mixing_width",
    "excess_entropy",
    "speciation_time",
    "kde_log_mise",
    "kde_mise",
    "kde_log_gain",
    "amise_bandwidth",
    "optimal_bandwidth",
    "BandwidthComparison",
    "BANDWIDTH_REGIMES",
    "compare_bandwidths",
    "late_time_matrix",
    "GaussianRegimeTime",
    "gaussian_regime_time",
]


def _out(x, *inputs):
    return float(x) if all(np.ndim(v) == 0 for v in inputs) else x


def _log_n(n, log_n):
    """log(n) for n > 1 (or a given log_n > 0), as an array."""
    if (n is None) == (log_n is None):
        raise ValueError(f"give exactly one of n and log_n, got n={_show(n)} and "
                         f"log_n={_show(log_n)}")
    if log_n is not None:
        return check_array("log_n", log_n, lo=0.0, lo_open=True)
    arr = check_array("n", n, lo=1.0, lo_open=True)
    return np.log(arr)


def _log_expm1(x):
    """log(expm1(x)) for x > 0 without overflow: x + log1p(-exp(-x)) for large x."""
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore"):
        direct = np.log(np.expm1(np.minimum(x, 700.0)))
    return np.where(x < 30.0, direct, x + np.log1p(-np.exp(-x)))


def _log_h2(s, dd, ln):
    """log(h_M^2 / 1) = 2 log(sigma) - log(expm1(2 log(n) / d)), finite for all valid inputs."""
    return 2.0 * np.log(s) - _log_expm1(2.0 * ln / dd)


def _sd(sigma, d):
    s = check_array("sigma", sigma, lo=0.0, lo_open=True)
    dd = check_array("d", d, lo=1.0)
    if np.any(dd != np.round(dd)):
        raise ValueError(f"d must be a positive integer, got {d!r}")
    return s, dd


def mixing_width(sigma: ArrayLike, d: ArrayLike, n: ArrayLike | None = None, *,
                 log_n: ArrayLike | None = None) -> float | np.ndarray:
    r"""Kernel width $h_M = \sigma/\sqrt{n^{2/d} - 1}$ of the empirical mixture at $t_M$.

    After rescaling by $e^{t}$, the empirical OU mixture at the mixing time $t_M$
    ([`mixing_time`][memlab.theory.mixing.mixing_time]) is a Gaussian KDE of width
    $h_M$, with $h_M^2 = e^{2t_M} - 1$ (the onset paper, Sec. 2.2, eqs. 9-10).
    Computed as `sigma / sqrt(expm1(2 log(n) / d))`, and in logs where `expm1`
    overflows. Exact given $t_M$; it inherits the large-n, large-d regime of eq. 9.

    Parameters
    ----------
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer (integral floats accepted).
    n : float or array_like, optional
        Number of training points, > 1 (up to about 1e300). Give exactly one of
        `n` and `log_n`.
    log_n : float or array_like, optional
        $\log\,n$ instead of `n`, > 0, for n beyond the float range (keyword-only).

    Returns
    -------
    float or numpy.ndarray
        $h_M$; a float when all inputs are scalars, else an array of their broadcast
        shape.

    Raises
    ------
    TypeError
        If an argument is not numeric (a bool, a string, None, ...).
    ValueError
        If both or neither of `n` and `log_n` are given, `sigma <= 0`, `d` is not a
        positive integer, `n <= 1`, `log_n <= 0`, a value is NaN or infinite, or the
        arrays do not broadcast.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eqs. 9-10.

    Examples
    --------
    >>> round(mixing_width(1.0, 16, 1e4), 3)    # 0.680 at n = 1e4, d = 16
    0.68
    >>> round(mixing_width(1.0, 100, 1e4), 2)
    2.22
    """
    s, dd = _sd(sigma, d)
    ln = _log_n(n, log_n)
    with np.errstate(over="ignore", under="ignore"):
        direct = s / np.sqrt(np.expm1(2.0 * ln / dd))
        logged = np.exp(0.5 * _log_h2(s, dd, ln))
    # the direct quotient where it is an ordinary float, the log form where expm1 overflows
    out = np.where(np.isfinite(direct) & (direct > 1e-300), direct, logged)
    return _out(out, sigma, d, n if log_n is None else log_n)


def mixing_time(sigma: ArrayLike, d: ArrayLike, n: ArrayLike | None = None, *,
                log_n: ArrayLike | None = None) -> float | np.ndarray:
    r"""Collapse (mixing) time $t_M$ of the onset paper, eq. 9 (after Biroli et al. 2024).

    Below $t_M$ the backward OU dynamics of the empirical mixture of n points drawn from
    $\mathcal N(\mu, \sigma^2 I_d)$ collapses onto a training point:

    $$
    t_M = \tfrac12 \log\Big(1 + \frac{\sigma^2}{n^{2/d} - 1}\Big),
    $$

    computed as `0.5 * log1p(sigma**2 / expm1(2 log(n) / d))` (in logs where that
    leaves the float range). Valid for data $\mathcal N(\mu, \sigma^2 I_d)$ under the
    OU process, in the limit $n, d \to \infty$ at fixed $\alpha = \log(n)/d$; at
    finite d the simulated collapse time differs, see
    [`memlab.verification.mixing`][memlab.verification.mixing].

    Parameters
    ----------
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer (integral floats accepted).
    n : float or array_like, optional
        Number of training points, > 1 (up to about 1e300). Give exactly one of
        `n` and `log_n`.
    log_n : float or array_like, optional
        $\log\,n$ instead of `n`, > 0, for n beyond the float range (keyword-only).

    Returns
    -------
    float or numpy.ndarray
        $t_M \ge 0$; a float when all inputs are scalars, else an array of their
        broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric (a bool, a string, None, ...).
    ValueError
        If both or neither of `n` and `log_n` are given, `sigma <= 0`, `d` is not a
        positive integer, `n <= 1`, `log_n <= 0`, a value is NaN or infinite, or the
        arrays do not broadcast.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eq. 9; G. Biroli, T. Bonnaire, V. de Bortoli, M. Mezard (2024), "Dynamical regimes of diffusion models".

    Examples
    --------
    >>> round(mixing_time(1.0, 16, 1e4), 6)
    0.190065
    >>> import numpy as np
    >>> mixing_time([1.0, 2.0], 16, log_n=np.log(1e4)).round(4)
    array([0.1901, 0.5236])
    """
    s, dd = _sd(sigma, d)
    ln = _log_n(n, log_n)
    with np.errstate(over="ignore", under="ignore"):
        r = s * s / np.expm1(2.0 * ln / dd)
        direct = 0.5 * np.log1p(r)
    # log(1 + e^{log r}) where sigma^2 or expm1 leaves the float range
    logged = 0.5 * np.logaddexp(0.0, _log_h2(s, dd, ln))
    ok = np.isfinite(r) & (r > 1e-300) & (s * s > 1e-300) & np.isfinite(s * s)
    out = np.where(ok, direct, logged)
    return _out(out, sigma, d, n if log_n is None else log_n)


def mixing_time_leading(sigma: ArrayLike, d: ArrayLike, n: ArrayLike | None = None, *,
                        log_n: ArrayLike | None = None) -> float | np.ndarray:
    r"""Leading order of $t_M$ for large $\log(n)/d$: $\sigma^2/(2 n^{2/d})$.

    The onset paper, second equality of eq. 9. Its relative error is
    $t_M/\text{leading} - 1 = (1 - \sigma^2/2)\,n^{-2/d} + O((1+\sigma^4) n^{-4/d})$
    (the paper writes the correction as $O(\sigma^4 n^{-4/d})$ in absolute
    terms, which misses the $n^{-2/d}$ part coming from
    $n^{2/d} - 1 \ne n^{2/d}$); it holds only when $n^{2/d} \gg 1 + \sigma^2$.
    At n = 1e4, d = 16 ($n^{2/d} = 3.2$) it is already 17% below
    [`mixing_time`][memlab.theory.mixing.mixing_time].

    Parameters
    ----------
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer (integral floats accepted).
    n : float or array_like, optional
        Number of training points, > 1 (up to about 1e300). Give exactly one of
        `n` and `log_n`.
    log_n : float or array_like, optional
        $\log\,n$ instead of `n`, > 0, for n beyond the float range (keyword-only).

    Returns
    -------
    float or numpy.ndarray
        $\sigma^2 n^{-2/d}/2$; a float when all inputs are scalars, else an array of
        their broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric (a bool, a string, None, ...).
    ValueError
        If both or neither of `n` and `log_n` are given, `sigma <= 0`, `d` is not a
        positive integer, `n <= 1`, `log_n <= 0`, a value is NaN or infinite, or the
        arrays do not broadcast.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eq. 9.

    Examples
    --------
    >>> round(mixing_time_leading(1.0, 16, 1e4), 6)
    0.158114
    >>> round(mixing_time_leading(1.0, 16, 1e4) / mixing_time(1.0, 16, 1e4), 3)
    0.832
    """
    s, dd = _sd(sigma, d)
    ln = _log_n(n, log_n)
    out = 0.5 * s * s * np.exp(-2.0 * ln / dd)
    return _out(out, sigma, d, n if log_n is None else log_n)


def excess_entropy(t: ArrayLike, sigma: ArrayLike, d: ArrayLike, n: ArrayLike | None = None,
                   *, log_n: ArrayLike | None = None) -> float | np.ndarray:
    r"""Excess entropy $f(t)$ of the empirical OU mixture (Biroli et al. 2024).

    $$
    f(t) = \max\Big(0,\ \alpha + \tfrac12 \log\frac{\Delta_t}{\Delta_t + \sigma^2 e^{-2t}}\Big),
    \qquad \alpha = \log(n)/d,\ \Delta_t = 1 - e^{-2t},
    $$

    computed as `alpha - 0.5 * log1p(sigma**2 e^{-2t} / Delta_t)` (through
    `logaddexp`, so tiny t and huge sigma do not overflow). It is positive for
    $t > t_M$ and vanishes at and below $t_M$ (collapse): the mixing time of the
    onset paper's eq. 9 is its zero. Like eq. 9 it is a large-n, large-d limit at
    fixed $\alpha$.

    Parameters
    ----------
    t : float or array_like
        OU times, > 0.
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer (integral floats accepted).
    n : float or array_like, optional
        Number of training points, > 1 (up to about 1e300). Give exactly one of
        `n` and `log_n`.
    log_n : float or array_like, optional
        $\log\,n$ instead of `n`, > 0, for n beyond the float range (keyword-only).

    Returns
    -------
    float or numpy.ndarray
        $f(t) \ge 0$; a float when all inputs are scalars, else an array of their
        broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric (a bool, a string, None, ...).
    ValueError
        If `t <= 0`, both or neither of `n` and `log_n` are given, `sigma <= 0`, `d` is
        not a positive integer, `n <= 1`, `log_n <= 0`, a value is NaN or infinite, or
        the arrays do not broadcast.

    References
    ----------
    G. Biroli, T. Bonnaire, V. de Bortoli, M. Mezard (2024), "Dynamical regimes of diffusion models"; the onset paper (anonymous, under review), Sec. 2.2, eq. 9.

    Examples
    --------
    >>> tm = mixing_time(1.0, 16, 1e4)
    >>> abs(excess_entropy(tm, 1.0, 16, 1e4)) < 1e-12
    True
    >>> round(excess_entropy(0.5, 1.0, 16, 1e4), 4), excess_entropy(0.1, 1.0, 16, 1e4)
    (0.3463, 0.0)
    """
    tt = check_array("t", t, lo=0.0, lo_open=True)
    s, dd = _sd(sigma, d)
    ln = _log_n(n, log_n)
    delta = -np.expm1(-2.0 * tt)
    # log1p(sigma^2 e^{-2t} / Delta) as logaddexp(0, .) of its log: no overflow for tiny t, huge sigma
    val = ln / dd - 0.5 * np.logaddexp(0.0, 2.0 * np.log(s) - 2.0 * tt - np.log(delta))
    return _out(np.maximum(val, 0.0), t, sigma, d, n if log_n is None else log_n)


def speciation_time(lambda_max: ArrayLike) -> float | np.ndarray:
    r"""Speciation time $t_S = \tfrac12 \log \Lambda$ (Biroli et al. 2024).

    $\Lambda$ is the largest eigenvalue of the data covariance; the backward OU
    dynamics commits to a class at $t_S$. Derived by Biroli et al. (2024) for
    well-separated classes in high dimension. For $\Lambda \le 1$ the value is
    $\le 0$: there is no speciation transition at positive time.

    Parameters
    ----------
    lambda_max : float or array_like
        Largest eigenvalue $\Lambda$ of the data covariance, > 0.

    Returns
    -------
    float or numpy.ndarray
        $t_S$ (may be negative); a float for a scalar input, else an array.

    Raises
    ------
    TypeError
        If `lambda_max` is not numeric.
    ValueError
        If `lambda_max <= 0`, NaN or infinite.

    References
    ----------
    G. Biroli, T. Bonnaire, V. de Bortoli, M. Mezard (2024), "Dynamical regimes of diffusion models".

    Examples
    --------
    >>> round(speciation_time(100.0), 4)
    2.3026
    >>> speciation_time(0.5) < 0      # no speciation at positive time
    True
    """
    lam = check_array("lambda_max", lambda_max, lo=0.0, lo_open=True)
    return _out(0.5 * np.log(lam), lambda_max)


# ----------------------------------------------------------------------------
# Gaussian KDE of Gaussian data
# ----------------------------------------------------------------------------


def _kde_terms(u, d, n):
    """(log S, log G) with S = MISE / int f^2 and G = 1 - S, both accurate in logs.

    S = V + B (variance part + integrated squared bias, both >= 0) is accurate
    when the KDE is good (S << 1); G = 2(1+u/2)^{-d/2} - (1-1/n)(1+u)^{-d/2}
    - u^{-d/2}/n is accurate when the KDE barely beats the zero estimator
    (S close to 1, the rule in high d). log G is -inf where G <= 0.
    """
    half_d = 0.5 * d
    # V = (1/n) u^{-d/2} (1 - (1 + 1/u)^{-d/2})
    log_v = -np.log(n) - half_d * np.log(u) + np.log(-np.expm1(-half_d * np.log1p(1.0 / u)))
    # B = a - 2 b, a = expm1(-d/2 log1p(u)), b = expm1(-d/2 log1p(u/2))
    b_part = np.expm1(-half_d * np.log1p(u)) - 2.0 * np.expm1(-half_d * np.log1p(0.5 * u))
    # for (d/2) u < 1e-4 the difference cancels: B = sum_k c_k (1 - 2^{1-k}) u^k, k >= 2, with
    # c_k = (-1)^k (d/2)_k / k! (binomial series); 5 terms leave a relative error < 1e-16
    au = half_d * u
    series = np.zeros(np.broadcast(au, u).shape)
    coef = np.ones_like(series)
    for k in range(1, 7):
        coef = coef * -(half_d + k - 1) * u / k
        if k >= 2:
            series = series + coef * (1.0 - 2.0 ** (1 - k))
    b_part = np.where(au < 1e-4, series, b_part)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.logaddexp(log_v, np.log(np.maximum(b_part, 0.0)))
        terms = np.stack(np.broadcast_arrays(np.log(2.0) - half_d * np.log1p(0.5 * u),
                                             np.log1p(-1.0 / n) - half_d * np.log1p(u),
                                             -np.log(n) - half_d * np.log(u)))
        signs = np.array([1.0, -1.0, -1.0]).reshape((3,) + (1,) * (terms.ndim - 1))
        log_g, sign = special.logsumexp(terms, axis=0, b=signs, return_sign=True)
        log_g = np.where(sign > 0, log_g, -np.inf)
    return log_s, log_g


def kde_log_mise(h: ArrayLike, sigma: ArrayLike, d: ArrayLike,
                 n: ArrayLike) -> float | np.ndarray:
    r"""Log of the exact MISE of a Gaussian KDE of $\mathcal N(0, \sigma^2 I_d)$ data.

    For $\hat\rho(x) = \frac1n\sum_k \mathcal N(x|x_k, h^2 I)$,

    $$
    \mathrm{MISE} = (4\pi)^{-d/2}\Big[\frac{1}{n h^d} + (1 - \tfrac1n)(h^2+\sigma^2)^{-d/2}
    - 2^{1+d/2}(h^2 + 2\sigma^2)^{-d/2} + \sigma^{-d}\Big].
    $$

    With $u = h^2/\sigma^2$ this is $\int\rho^2 \cdot S$,
    $\int\rho^2 = (4\pi\sigma^2)^{-d/2}$, $S = V + B$ with the
    variance part $V = \frac1n[u^{-d/2} - (1+u)^{-d/2}]$ and the
    integrated squared bias $B = (1+u)^{-d/2} - 2(1+u/2)^{-d/2} + 1$, both
    non-negative and evaluated with `expm1`/`log1p` in logs, so nothing
    overflows at d = 1e4 and the bias keeps its accuracy for small u. Exact (no
    large-n expansion): this is the L2 criterion behind the onset paper's eq. 11.

    Parameters
    ----------
    h : float or array_like
        Kernel bandwidth, > 0.
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer.
    n : float or array_like
        Number of data points, >= 1.

    Returns
    -------
    float or numpy.ndarray
        $\log\,\mathrm{MISE}$; a float when all inputs are scalars, else an array of
        their broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric (a bool, a string, None, ...).
    ValueError
        If `h <= 0`, `sigma <= 0`, `d` is not a positive integer, `n < 1`, a value is
        NaN or infinite, or the arrays do not broadcast.

    References
    ----------
    The onset paper (anonymous, under review), eq. 11 (the L2-optimal bandwidth it
    compares the mixing width with).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(np.exp(kde_log_mise(0.5, 1.0, 1, 100))), 6)
    0.005604
    >>> round(kde_log_mise(1.0, 1.0, 10_000, 100), 1)     # no overflow at d = 1e4
    -12655.1
    """
    hh = check_array("h", h, lo=0.0, lo_open=True)
    s, dd = _sd(sigma, d)
    nn = check_array("n", n, lo=1.0)
    log_s, _ = _kde_terms((hh / s) ** 2, dd, nn)
    out = log_s - 0.5 * dd * np.log(4.0 * np.pi) - dd * np.log(s)
    return _out(out, h, sigma, d, n)


def kde_log_gain(h: ArrayLike, sigma: ArrayLike, d: ArrayLike,
                 n: ArrayLike) -> float | np.ndarray:
    r"""Log of the KDE's relative L2 gain over the zero estimator, $\log(1 - \mathrm{MISE}/\int\rho^2)$.

    In high dimension the best Gaussian KDE of n points barely improves on
    estimating the density by 0: at d = 100, n = 1e4 the gain is about 1e-12.
    Computed from positive terms in logs (no cancellation); `-inf` where the
    KDE is worse than 0 (gain <= 0). Same setting as
    [`kde_log_mise`][memlab.theory.mixing.kde_log_mise].

    Parameters
    ----------
    h : float or array_like
        Kernel bandwidth, > 0.
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer.
    n : float or array_like
        Number of data points, >= 1.

    Returns
    -------
    float or numpy.ndarray
        $\log(1 - S)$, `-inf` where $S \ge 1$; a float when all inputs are scalars,
        else an array of their broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric (a bool, a string, None, ...).
    ValueError
        If `h <= 0`, `sigma <= 0`, `d` is not a positive integer, `n < 1`, a value is
        NaN or infinite, or the arrays do not broadcast.

    References
    ----------
    The onset paper (anonymous, under review), eq. 11 (the L2 criterion).

    Examples
    --------
    >>> g = kde_log_gain(1.2, 1.0, 100, 1e4)
    >>> -30 < g < -25
    True
    >>> kde_log_gain(1e-3, 1.0, 100, 10)      # far too narrow: worse than 0
    -inf
    """
    hh = check_array("h", h, lo=0.0, lo_open=True)
    s, dd = _sd(sigma, d)
    nn = check_array("n", n, lo=1.0)
    _, log_g = _kde_terms((hh / s) ** 2, dd, nn)
    return _out(log_g, h, sigma, d, n)


def kde_mise(h: ArrayLike, sigma: ArrayLike, d: ArrayLike, n: ArrayLike) -> float | np.ndarray:
    r"""Exact MISE of the Gaussian KDE of Gaussian data.

    `exp` of [`kde_log_mise`][memlab.theory.mixing.kde_log_mise] (see there for the
    formula). It underflows to 0 for large d: at $h = \sigma = 1$ the MISE is about
    $(4\pi)^{-d/2}$, below the smallest float beyond d = 550 or so; use the log form
    there.

    Parameters
    ----------
    h : float or array_like
        Kernel bandwidth, > 0.
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer.
    n : float or array_like
        Number of data points, >= 1.

    Returns
    -------
    float or numpy.ndarray
        The MISE, >= 0; a float when all inputs are scalars, else an array of their
        broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric (a bool, a string, None, ...).
    ValueError
        If `h <= 0`, `sigma <= 0`, `d` is not a positive integer, `n < 1`, a value is
        NaN or infinite, or the arrays do not broadcast.

    References
    ----------
    The onset paper (anonymous, under review), eq. 11 (the L2 criterion).

    Examples
    --------
    >>> round(kde_mise(0.5, 1.0, 1, 100), 6)
    0.005604
    """
    return _out(np.exp(kde_log_mise(h, sigma, d, n)), h, sigma, d, n)


def amise_bandwidth(sigma: ArrayLike, d: ArrayLike, n: ArrayLike) -> float | np.ndarray:
    r"""AMISE-optimal bandwidth $\sigma (4/(d+2))^{1/(d+4)} n^{-1/(d+4)}$ (the onset paper, eq. 11).

    Silverman's rule for Gaussian data: the minimiser of the large-n expansion
    of the MISE at fixed d. It is an asymptotic rule: it needs
    $n^{-1/(d+4)} \ll 1$, so in high dimension it is far from the exact optimum
    ([`optimal_bandwidth`][memlab.theory.mixing.optimal_bandwidth]; 0.585 against
    0.673 at d = 16, n = 1e4).

    Parameters
    ----------
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer.
    n : float or array_like
        Number of data points, >= 1.

    Returns
    -------
    float or numpy.ndarray
        The bandwidth; a float when all inputs are scalars, else an array of their
        broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If `sigma <= 0`, `d` is not a positive integer, `n < 1`, a value is NaN or
        infinite, or the arrays do not broadcast.

    References
    ----------
    The onset paper (anonymous, under review), eq. 11 (Silverman's rule).

    Examples
    --------
    >>> round(amise_bandwidth(1.0, 1, 100), 4)     # (4/3)^{1/5} n^{-1/5}
    0.4217
    """
    s, dd = _sd(sigma, d)
    nn = check_array("n", n, lo=1.0)
    out = s * np.exp((np.log(4.0 / (dd + 2.0)) - np.log(nn)) / (dd + 4.0))
    return _out(out, sigma, d, n)


def _log_s_monotone(log_s, log_g):
    """A continuous increasing function of S, accurate for S small and for S near 1."""
    return np.where(log_s < np.log(0.5), log_s, np.log(0.25) - log_g)


def _optimal_bandwidth_scalar(sigma, d, n):
    """Scalar MISE-optimal bandwidth (see [`optimal_bandwidth`][memlab.theory.mixing.optimal_bandwidth])."""
    sigma = check_positive_real("sigma", sigma)
    _sd(sigma, d)
    n = check_positive_real("n", n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")

    def objective(log_h):
        v = _log_s_monotone(*_kde_terms(np.exp(2.0 * (log_h - np.log(sigma))), float(d), n))
        return np.where(np.isfinite(v), v, 1e300)   # +inf (no L2 gain at all) breaks Brent

    lh0 = np.log(amise_bandwidth(sigma, d, n))
    for _ in range(_MAX_WIDENINGS + 1):
        grid = lh0 + np.linspace(-8.0, 8.0, 801)
        j = int(np.argmin(objective(grid)))
        if 0 < j < len(grid) - 1:
            break
        lh0 = grid[j]           # minimum at the grid's edge: recentre there and search again
    else:
        raise ValueError(f"optimal_bandwidth: no interior minimum of the MISE within "
                         f"{_MAX_WIDENINGS} widenings of +-8 in log h around the AMISE "
                         f"bandwidth (sigma={sigma!r}, d={d!r}, n={n!r})")
    lo, hi = grid[j - 1], grid[j + 1]
    res = optimize.minimize_scalar(lambda lh: float(objective(np.array(lh))), bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-12})
    if not res.success or not lo < res.x < hi:
        raise ValueError(f"optimal_bandwidth: Brent search did not converge inside "
                         f"[{np.exp(lo)!r}, {np.exp(hi)!r}] (sigma={sigma!r}, d={d!r}, n={n!r})")
    return float(np.exp(res.x))


_MAX_WIDENINGS = 4   # recentrings of optimal_bandwidth's grid when its minimum is at an edge


def optimal_bandwidth(sigma: ArrayLike, d: ArrayLike, n: ArrayLike) -> float | np.ndarray:
    r"""Exact MISE-optimal bandwidth of the Gaussian KDE of Gaussian data.

    Minimises the exact MISE ([`kde_log_mise`][memlab.theory.mixing.kde_log_mise]) over h: a grid of 801
    points over +-8 in $\log\,h$ around the AMISE bandwidth, then a
    bounded Brent refinement between the grid neighbours of the minimum (if
    the grid's minimum is at its edge, the grid is recentred there, up to 4
    times, else ValueError; a Brent result on the bracket's edge also raises). The
    objective is $\log\,S$ where the KDE is good and
    $-\log(1 - S)$ ([`kde_log_gain`][memlab.theory.mixing.kde_log_gain]) where $S$ is close to 1,
    so the shallow optimum of high dimensions (S = 1 - 1e-12 at d = 100,
    n = 1e4) is resolved. Broadcasts over array arguments (one search each).
    This is the L2-optimal bandwidth the onset paper approximates by Silverman's
    rule in its eq. 11 ([`amise_bandwidth`][memlab.theory.mixing.amise_bandwidth]).

    Parameters
    ----------
    sigma : float or array_like
        Data standard deviation $\sigma$, > 0.
    d : int or array_like of int
        Dimension, a positive integer.
    n : float or array_like
        Number of data points, >= 1.

    Returns
    -------
    float or numpy.ndarray
        The bandwidth; a float when all inputs are scalars, else an array of their
        broadcast shape.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If `sigma <= 0`, `d` is not a positive integer, `n < 1`, a value is NaN or
        infinite, or the search finds no interior minimum (see above).

    References
    ----------
    The onset paper (anonymous, under review), eq. 11.

    Examples
    --------
    >>> round(optimal_bandwidth(1.0, 16, 1e4), 3)    # 0.673 at n = 1e4, d = 16
    0.673
    >>> optimal_bandwidth(1.0, [1, 16], 1e4).round(3)
    array([0.17 , 0.673])
    """
    if all(np.ndim(v) == 0 for v in (sigma, d, n)):
        return _optimal_bandwidth_scalar(sigma, d, n)
    s, dd, nn = np.broadcast_arrays(check_array("sigma", sigma), check_array("d", d),
                                    check_array("n", n))
    out = np.array([_optimal_bandwidth_scalar(float(a), float(b), float(c))
                    for a, b, c in zip(s.ravel(), dd.ravel(), nn.ravel())])
    return out.reshape(s.shape)


BANDWIDTH_REGIMES = ("optimal", "high_dimensional", "suboptimal")
"""The values of [`BandwidthComparison.regime`][memlab.theory.mixing.BandwidthComparison], in the order they are tested."""

_OPTIMAL_TOLERANCE = 0.05     # |h_M / h_opt - 1| below this: "optimal"
_LOG_GAIN_FLOOR = -10.0       # best KDE's log L2 gain below this: "high_dimensional"


@dataclass(frozen=True)
class BandwidthComparison(Result):
    r"""How far the mixing width is from the L2-optimal KDE bandwidth.

    Returned by [`compare_bandwidths`][memlab.theory.mixing.compare_bandwidths], which
    tests the claim of the onset paper (eqs. 9-11) that the mixing width is the
    L2-optimal KDE bandwidth.

    Attributes
    ----------
    sigma : float
        Data standard deviation (input).
    d : float
        Dimension (input).
    n : float
        Number of training points (input).
    t_M : float
        Mixing time ([`mixing_time`][memlab.theory.mixing.mixing_time]).
    h_mixing : float
        $h_M = \sqrt{e^{2t_M} - 1}$.
    h_sqrt_2tM : float
        $\sqrt{2 t_M}$, the width of the onset paper's eq. 10.
    h_leading : float
        $\sigma n^{-1/d}$, the common leading order (the onset paper, Fig. 3).
    h_optimal : float
        Exact MISE-optimal bandwidth.
    h_amise : float
        AMISE-optimal (Silverman) bandwidth.
    ratio : float
        `h_mixing / h_optimal`.
    mise_excess : float
        `MISE(h_mixing) / MISE(h_optimal) - 1`: the L2 price of using the
        mixing width.
    log_gain_optimal : float
        [`kde_log_gain`][memlab.theory.mixing.kde_log_gain] at the optimum: log of the best KDE's relative
        improvement over the zero estimator (about -27 at d = 100, n = 1e4:
        in high d no bandwidth helps in L2, and `mise_excess` is ~0).
    log_gain_ratio : float
        `log(gain(h_mixing) / gain(h_optimal))`: 0 when the mixing width is
        optimal, -inf when it does worse than the zero estimator.
    regime : str
        One of [`BANDWIDTH_REGIMES`][memlab.theory.mixing.BANDWIDTH_REGIMES], the first that applies:
        `"optimal"` when `|ratio - 1| < 0.05` (the mixing width is the
        L2-optimal bandwidth to 5%); `"high_dimensional"` when
        `log_gain_optimal < -10` (no bandwidth beats the zero estimator by
        more than $e^{-10}$ in L2, so L2-optimality says nothing);
        `"suboptimal"` otherwise (the mixing width is `ratio` times the
        optimum, at a real L2 cost).
    verdict : str
        One sentence saying the same, as `memlab mixing-time` prints it.
    """

    sigma: float
    d: float
    n: float
    t_M: float
    h_mixing: float
    h_sqrt_2tM: float
    h_leading: float
    h_optimal: float
    h_amise: float
    ratio: float
    mise_excess: float
    log_gain_optimal: float
    log_gain_ratio: float
    regime: str
    verdict: str


def compare_bandwidths(sigma: float, d: int, n: float) -> BandwidthComparison:
    r"""Compare the mixing width with the exact and AMISE-optimal KDE bandwidths.

    The onset paper claims the mixing width is L2-optimal (its eqs. 9-11). That holds
    only in a regime: at n = 1e4, d = 16 the widths agree to 1% (0.680 vs
    0.673); at d = 100 the mixing width is 1.86 times the optimum (2.22 vs
    1.20); at d = 1 it is 1e-4 against 0.17. `mise_excess` says what that
    costs in MISE; in high d, where every bandwidth is nearly as bad as the
    zero estimator, `log_gain_ratio` is the informative number.

    The result's `regime` and `verdict` classify the case (see
    [`BandwidthComparison`][memlab.theory.mixing.BandwidthComparison]).

    Parameters
    ----------
    sigma : float
        Data standard deviation, > 0.
    d : int
        Dimension, a positive integer.
    n : float
        Number of training points, > 1.

    Returns
    -------
    BandwidthComparison
        The widths, their ratio, the MISE excess, the L2 gains and the regime.

    Raises
    ------
    TypeError
        If an argument is not a number.
    ValueError
        If `sigma <= 0`, `d` is not a positive integer, `n <= 1`, or a value is NaN
        or infinite.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eqs. 9-11 and Fig. 3.

    Examples
    --------
    >>> c = compare_bandwidths(1.0, 100, 1e4)
    >>> round(c.h_mixing, 2), round(c.h_optimal, 2)
    (2.22, 1.2)
    >>> c.regime
    'high_dimensional'
    >>> compare_bandwidths(1.0, 16, 1e4).verdict
    'the mixing width is L2-optimal here (within 5%)'
    """
    sigma = check_positive_real("sigma", sigma)
    n = check_positive_real("n", n)
    tm = mixing_time(sigma, d, n)
    hm = mixing_width(sigma, d, n)
    ho = optimal_bandwidth(sigma, d, n)
    excess = float(np.expm1(kde_log_mise(hm, sigma, d, n) - kde_log_mise(ho, sigma, d, n)))
    g_opt = kde_log_gain(ho, sigma, d, n)
    ratio = hm / ho
    regime, verdict = _bandwidth_regime(ratio, g_opt)
    return BandwidthComparison(sigma, float(d), n, tm, hm, float(np.sqrt(2.0 * tm)),
                               float(sigma * np.exp(-np.log(n) / d)), ho,
                               amise_bandwidth(sigma, d, n), ratio, excess, g_opt,
                               kde_log_gain(hm, sigma, d, n) - g_opt, regime, verdict)


def _bandwidth_regime(ratio: float, log_gain_optimal: float) -> tuple[str, str]:
    """(regime, verdict) of [`BandwidthComparison`][memlab.theory.mixing.BandwidthComparison] from h_M / h_opt and the best log gain."""
    if abs(ratio - 1) < _OPTIMAL_TOLERANCE:
        return "optimal", "the mixing width is L2-optimal here (within 5%)"
    if log_gain_optimal < _LOG_GAIN_FLOOR:
        return "high_dimensional", ("high-dimensional regime: no bandwidth beats the zero "
                                    "estimator by more than exp(-10) in L2; the mixing width "
                                    "is not the optimum")
    return "suboptimal", f"the mixing width is {ratio:.3g} times the L2-optimal bandwidth"


# ----------------------------------------------------------------------------
# Sec. 2.3: the late-time quadratic form Sigma_t and the time t_R
# ----------------------------------------------------------------------------

_FORMS = ("exact", "paper")
_T_MAX = 350.0          # e^{2t} overflows a float beyond t = 354


def _check_mixture(means, covariance, weights):
    """(means (K, d), eigenvalues (d,) and eigenvectors (d, d) of the shared covariance,
    log weights (K,)), checked."""
    m = check_array("means", means, ndim=(1, 2))
    if m.ndim == 1:
        m = m[None, :]
    K, d = m.shape
    if np.ndim(covariance) == 0:
        s2 = check_real("covariance", covariance, lo=0.0)
        lam, Q = np.full(d, s2), None
    else:
        C = check_array("covariance", covariance, ndim=2)
        if C.shape != (d, d):
            raise ValueError(f"covariance must be a scalar or have shape ({d}, {d}), got {C.shape}")
        if not np.allclose(C, C.T, rtol=1e-10, atol=1e-300):
            raise ValueError("covariance must be symmetric")
        lam, Q = np.linalg.eigh(0.5 * (C + C.T))
        if lam[0] < -1e-10 * max(abs(lam[-1]), 1e-300):
            raise ValueError(f"covariance must be positive semi-definite, got eigenvalue {lam[0]!r}")
        lam = np.maximum(lam, 0.0)
    if weights is None:
        logp = np.full(K, -np.log(K))
    else:
        w = check_array("weights", weights, ndim=1, lo=0.0)
        if w.shape != (K,):
            raise ValueError(f"weights must have shape ({K},) like the means, got {w.shape}")
        if not w.sum() > 0:
            raise ValueError("weights must not all be zero")
        with np.errstate(divide="ignore"):
            logp = np.log(w / w.sum())
    mt = m if Q is None else m @ Q                 # means in the eigenbasis of the covariance
    return mt, lam, Q, logp


def _pi_covariance(t, mt, lam, logp, reweight):
    """Covariance of pi_t (eq. 13) in the eigenbasis of the shared covariance, (d, d).

    pi_t(y) is rho_0(y) exp(-a |y|^2 / 2), a = e^{-2t}/delta_t = 1/expm1(2t), normalised:
    component k becomes N((I + aC)^{-1} m_k, C (I + aC)^{-1}) with weight proportional to
    p_k exp(-a m_k^T (I + aC)^{-1} m_k / 2). reweight=False: pi_t = rho_0."""
    if reweight:
        a = 1.0 / np.expm1(2.0 * t)
        shrink = 1.0 / (1.0 + a * lam)                            # (d,)
        logw = logp - 0.5 * a * (mt * mt * shrink).sum(axis=1)
        means = mt * shrink
        within = lam * shrink
    else:
        logw, means, within = logp, mt, lam
    w = np.exp(logw - logw.max())
    w /= w.sum()
    centred = means - w @ means
    Z = np.sqrt(w)[:, None] * centred
    return np.diag(within) + Z.T @ Z


def _check_form(form, reweight):
    return check_choice("form", form, _FORMS), check_bool("reweight", reweight)


def late_time_matrix(t: float, means: ArrayLike, covariance: ArrayLike = 0.0, *,
                     weights: ArrayLike | None = None, form: str = "exact",
                     reweight: bool = True) -> np.ndarray:
    r"""The matrix $\Sigma_t$ of the late-time expansion of $\log\hat\rho(t, x)$ (onset paper, eqs. 12-14).

    For $\rho_0 = \sum_k p_k\mathcal N(m_k, C)$ (a Gaussian mixture with a shared
    covariance; C = 0 gives the empirical measure of the points $m_k$, the paper's
    $\hat\rho(0, x)$ of eq. 6) and the OU process, expanding
    $\log\hat\rho(t, x)$ to second order in $u = xe^{-t}$ gives

    $$
    \log\hat\rho(t, x) = \mathrm{const} + \frac{u\cdot\langle y\rangle_{\pi_t}}{\delta_t}
    - \frac{1}{2\delta_t}u^T\Sigma_t u + O(u^3),
    \qquad \Sigma_t = e^{2t}I - \frac{\mathrm{Cov}_{\pi_t}(y)}{\delta_t},
    $$

    with $\delta_t = 1 - e^{-2t}$ and $\pi_t(y) \propto \rho_0(y)e^{-|y|^2e^{-2t}/(2\delta_t)}$
    (eq. 13, normalised). This is ``form="exact"``. The paper's eq. 14 prints
    $(\Sigma_t)_{ij} = e^{2t}\delta_{ij} - \mathrm{Cov}_{\pi_t}(y_i, y_j)$, without the
    $1/\delta_t$ that the second cumulant of $e^{u\cdot y/\delta_t}$ carries: that is
    ``form="paper"``; the two agree only for $t \to \infty$ ($\delta_t \to 1$).
    (Eq. 12 also drops the constant $\log\int\rho_0 e^{-|y|^2e^{-2t}/(2\delta_t)}$ of
    the unnormalised $\pi_t$; it does not depend on x.) ``reweight=False`` replaces
    $\pi_t$ by $\rho_0$, the leading order in $e^{-2t}$, which is what the speciation
    criterion $t_S = \frac12\log\Lambda$ of Biroli et al. (2024) amounts to.

    $\pi_t$ is again a Gaussian mixture: component k becomes
    $\mathcal N((I + aC)^{-1}m_k,\ C(I + aC)^{-1})$ with weight
    $\propto p_k e^{-a\,m_k^T(I + aC)^{-1}m_k/2}$, $a = e^{-2t}/\delta_t$ (weights by
    log-sum-exp). The expansion is around x = 0 (the OU fixed point) and holds for
    $|xe^{-t}| \ll 1$.

    Cost: O(K d^2 + d^3) time and O(K d + d^2) memory for K components in dimension d.

    Parameters
    ----------
    t : float
        OU time, in (0, 350] ($e^{2t}$ overflows a float beyond 354).
    means : array_like
        Component means (or the data points), shape (K, d) or (d,).
    covariance : float or array_like, default 0.0
        Shared covariance C of the components: a variance >= 0 (isotropic) or a
        symmetric positive semi-definite (d, d) matrix; 0 for point masses.
    weights : array_like, optional
        Component weights, shape (K,), >= 0, not all zero (normalised here); default
        uniform.
    form : {"exact", "paper"}, default "exact"
        The correct second-order coefficient, or eq. 14 as printed.
    reweight : bool, default True
        Use $\pi_t$ (eq. 13) or, if False, $\rho_0$ itself.

    Returns
    -------
    numpy.ndarray
        $\Sigma_t$, shape (d, d), symmetric.

    Raises
    ------
    TypeError
        If an argument has the wrong type (``form`` not a string, ``reweight`` not a
        bool, a non-numeric array).
    ValueError
        If ``t`` <= 0 or > 350, an array has the wrong shape or non-finite entries, the
        covariance is negative or not symmetric positive semi-definite, the weights are
        negative or all zero, or ``form`` is unknown.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.3, eqs. 12-14; G. Biroli,
    T. Bonnaire, V. de Bortoli, M. Mezard (2024), "Dynamical regimes of diffusion
    models".

    Examples
    --------
    Two points $\pm R e_1$: $\mathrm{Cov}_{\pi_t} = R^2 e_1e_1^T$ at every t.

    >>> import numpy as np
    >>> S = late_time_matrix(0.5, [[2.0, 0.0], [-2.0, 0.0]])
    >>> bool(np.isclose(S[0, 0], np.e - 4.0 / -np.expm1(-1.0)))
    True
    """
    t = check_real("t", t, lo=0.0, lo_open=True, hi=_T_MAX)
    form, reweight = _check_form(form, reweight)
    mt, lam, Q, logp = _check_mixture(means, covariance, weights)
    cov = _pi_covariance(t, mt, lam, logp, reweight)
    if Q is not None:
        cov = Q @ cov @ Q.T
    scale = 1.0 if form == "paper" else 1.0 / -np.expm1(-2.0 * t)
    S = np.exp(2.0 * t) * np.eye(mt.shape[1]) - scale * cov
    return 0.5 * (S + S.T)


@dataclass(frozen=True)
class GaussianRegimeTime(Result):
    r"""The time $t_R$ after which $\Sigma_t$ is positive definite, with $t_S$.

    Returned by [`gaussian_regime_time`][memlab.theory.mixing.gaussian_regime_time].

    Attributes
    ----------
    t_R : float
        The largest t at which $\lambda_{\min}(\Sigma_t) = 0$ (0 when $\Sigma_t$ is
        positive definite at every t > 0 of the scan).
    t_S : float
        Speciation time $\frac12\log\Lambda$ of Biroli et al. (2024) from the
        largest eigenvalue $\Lambda$ of the covariance of $\rho_0$ (may be negative).
    lambda_max : float
        $\Lambda$.
    times : numpy.ndarray
        The scanned times (geometric grid up to an upper bound of $t_R$).
    min_eigenvalue : numpy.ndarray
        $\lambda_{\min}(\Sigma_t)$ at those times.
    form : str
        "exact" or "paper" (see [`late_time_matrix`][memlab.theory.mixing.late_time_matrix]).
    reweight : bool
        Whether $\pi_t$ (True) or $\rho_0$ (False) was used.
    n_components : int
        Number of components (data points for the empirical measure).
    d : int
        Dimension.
    """

    t_R: float
    t_S: float
    lambda_max: float
    times: np.ndarray
    min_eigenvalue: np.ndarray
    form: str
    reweight: bool
    n_components: int
    d: int


def gaussian_regime_time(means: ArrayLike, covariance: ArrayLike = 0.0, *,
                         weights: ArrayLike | None = None, form: str = "exact",
                         reweight: bool = True, n_grid: int = 256) -> GaussianRegimeTime:
    r"""The time $t_R$ after which the late-time Gaussian approximation holds (onset paper, Sec. 2.3).

    The onset paper: "as $t \to \infty$ all the eigenvalues of $\Sigma_t$ are
    positive. This continues to be the case as long as $t > t_R$"; for $t > t_R$ the
    quadratic expansion of $\log\hat\rho$ is a proper Gaussian. Here
    $t_R = \sup\{t > 0: \lambda_{\min}(\Sigma_t) \le 0\}$ with $\Sigma_t$ of
    [`late_time_matrix`][memlab.theory.mixing.late_time_matrix], and 0 when there is no
    such t. Since $\lambda_{\min}(\Sigma_t) = e^{2t} - \lambda_{\max}(\mathrm{Cov}_{\pi_t})/\delta_t$
    (or without $1/\delta_t$ for ``form="paper"``), it is found by scanning
    ``n_grid`` geometric times up to the bound
    $\frac12\log(1 + \lambda_{\max}(C) + \max_k|m_k - \bar m|^2)$ (beyond which the
    weighted covariance cannot reach $e^{2t} - 1$) and refining the last sign change
    with Brent's method. A negative window narrower than the grid spacing, or below
    $10^{-4}$ of the bound, can be missed.

    Known answers (tested):

    * ``reweight=False``: $\mathrm{Cov}_{\pi_t}$ is the covariance of $\rho_0$, with
      largest eigenvalue $\Lambda$, so $t_R = \frac12\log(1 + \Lambda)$ (exact form) and
      $\frac12\log\Lambda = t_S$ (paper form, $\Lambda > 1$): the paper's $t_R$ is then
      Biroli et al.'s speciation time.
    * A single Gaussian $\mathcal N(m, C)$, ``reweight=True``: $\pi_t$ is Gaussian with
      covariance $C(I + aC)^{-1} < C$ and
      $\lambda_{\min}(\Sigma_t) = e^{2t}\delta_t/(\delta_t + c\,e^{-2t}) > 0$ for every
      eigenvalue c of C and t > 0 (exact form), so $t_R = 0$: for log-concave data the
      expansion is a proper Gaussian at all times. A positive $t_R$ needs
      multimodality: a mixture of separated components, or the empirical measure of n
      points (C = 0), whose $t_R$ depends on n.

    Parameters
    ----------
    means : array_like
        Component means (or data points), shape (K, d) or (d,).
    covariance : float or array_like, default 0.0
        Shared covariance (variance >= 0 or a (d, d) PSD matrix); 0: point masses.
    weights : array_like, optional
        Component weights, shape (K,); default uniform.
    form : {"exact", "paper"}, default "exact"
        Which $\Sigma_t$ (see
        [`late_time_matrix`][memlab.theory.mixing.late_time_matrix]).
    reweight : bool, default True
        Use $\pi_t$ of eq. 13 (True) or $\rho_0$ (False).
    n_grid : int, default 256
        Times in the scan, >= 8.

    Returns
    -------
    GaussianRegimeTime
        $t_R$, $t_S$, $\Lambda$ and the scanned $\lambda_{\min}(\Sigma_t)$.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If an argument is out of range (as in
        [`late_time_matrix`][memlab.theory.mixing.late_time_matrix]; ``n_grid`` < 8).

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.3, eqs. 12-14; G. Biroli,
    T. Bonnaire, V. de Bortoli, M. Mezard (2024), "Dynamical regimes of diffusion
    models" (the speciation time).

    Examples
    --------
    >>> import numpy as np
    >>> r = gaussian_regime_time([[2.0, 0.0], [-2.0, 0.0]])     # two points +-2 e_1
    >>> bool(np.isclose(r.t_R, 0.5 * np.log(1 + 4.0)))
    True
    >>> gaussian_regime_time(np.zeros(3), np.diag([4.0, 1.0, 0.5])).t_R   # one Gaussian
    0.0
    """
    form, reweight = _check_form(form, reweight)
    n_grid = check_positive_int("n_grid", n_grid, minimum=8, maximum=10**6)
    mt, lam, Q, logp = _check_mixture(means, covariance, weights)
    K, d = mt.shape
    scale_paper = form == "paper"
    cov0 = _pi_covariance(1.0, mt, lam, logp, False)
    lambda_max = float(np.linalg.eigvalsh(cov0)[-1])
    if not lambda_max > 0.0:
        raise ValueError("means: rho_0 is a single point mass (zero covariance); give two or "
                         "more points or a positive covariance")
    spread = float(((mt - mt.mean(axis=0)) ** 2).sum(axis=1).max()) if K > 1 else 0.0
    t_hi = 0.5 * np.log1p(float(lam.max()) + spread + np.abs(mt).max() ** 2) + 0.05

    def lam_min(t):
        top = np.linalg.eigvalsh(_pi_covariance(t, mt, lam, logp, reweight))[-1]
        return float(np.exp(2.0 * t) - (top if scale_paper else top / -np.expm1(-2.0 * t)))

    times = np.geomspace(1e-4 * t_hi, t_hi, n_grid)
    vals = np.array([lam_min(t) for t in times])
    bad = np.flatnonzero(vals <= 0.0)
    if bad.size == 0:
        t_R = 0.0
    elif bad[-1] == n_grid - 1:              # cannot happen by the bound; kept for safety
        raise ValueError(f"means: Sigma_t is not positive definite at the scan's end t = {t_hi!r}")
    else:
        j = int(bad[-1])
        t_R = float(optimize.brentq(lam_min, times[j], times[j + 1], xtol=1e-14, rtol=1e-12))
    return GaussianRegimeTime(t_R, float(0.5 * np.log(lambda_max)), lambda_max, times, vals, form, reweight, K, d)
