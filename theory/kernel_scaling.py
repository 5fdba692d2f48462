r"""Eigenvalue scaling and memorization time of kernel methods (Favero et al. 2025, App. G).

Implements the scaling argument of Favero et al. (2025), "Bigger isn't always
memorizing", App. G (eqs. 5-39): why the training time at which a model starts
to memorize grows linearly with the number P of training points.

A kernel $K(x, y) = \kappa(r) = 1 - C(d) r^\nu + O(r^{\nu+1})$,
$r = \|x - y\|$ (eq. 7), is trained to fit the empirical score of
$p_\sigma = \frac1P\sum_i \mathcal N(x_i, \sigma^2 I_d)$ (eq. 5) at a noise
level $\sigma$ much smaller than the distances between the P training points.
Near $x_i$ the target is locally linear (eq. 8), and the local functions
$\psi_i(x) = (x - x_i) R(\|x - x_i\|/\sigma)$ (eq. 9, R a radial cutoff) are
approximate eigenfunctions of the kernel operator on $L_2(p_\sigma)$
with eigenvalue (eq. 22)

$$
\lambda_i \simeq -C(d)\,\frac{\beta_d(R,\nu)}{\gamma_d(R)}\,\frac{\sigma^\nu}{P},
$$

where, for $u, v$ i.i.d. $\mathcal N(0, I_d)$ (eqs. 14 and 20),

$$
\gamma_d(R) = \mathbb E\big[\|u\|^2 R(\|u\|)^2\big],\qquad
\beta_d(R, \nu) = \mathbb E\big[(u\cdot v)\,R(\|u\|)R(\|v\|)\,\|u - v\|^\nu\big].
$$

Learning these modes takes a time $\tau_{\rm mem} \sim 1/\lambda_i \propto P/\sigma^\nu$
(eq. 24): memorization starts after a training time proportional to P.

For R = 1 (eqs. 25-37), $\gamma_d(1) = d$ and
$\beta_d(1,\nu) = -\frac\nu2 2^\nu \Gamma(\frac{d+\nu}2)/\Gamma(\frac d2)$,
so $\beta/\gamma \simeq -\nu 2^{\nu/2-1} d^{\nu/2-1}$ for large d and
$\tau_{\rm mem} \sim C(d)^{-1} d^{1-\nu/2} P/\sigma^\nu$ (eq. 39).

Where the approximations stop holding:

* low noise: the Gaussian components must not overlap,
  $\sigma \ll \min_{i \ne j}\|x_i - x_j\|$ (about $\sqrt{2d}$ for
  unit-variance data); the eigenfunctions are only asymptotically orthogonal,
  up to $O(e^{-c/\sigma^2})$;
* small distances: the expansion $1 - C r^\nu$ must hold over the spread
  $r \sim \sigma\sqrt{2d}$ of one component (for the Laplace and Gaussian
  kernels, $\sigma\sqrt{2d} \ll \ell$);
* large d: the form $-\nu 2^{\nu/2-1} d^{\nu/2-1}$ has relative error
  $-\nu(\nu - 2)/(4d) + O(d^{-2})$ ([`asymptotic_relative_error`][memlab.theory.kernel_scaling.asymptotic_relative_error];
  exact for $\nu = 2$);
* eq. 24 is a scaling relation: [`memorization_time`][memlab.theory.kernel_scaling.memorization_time] returns
  $1/\lambda_i$, and a measured onset of memorization is proportional to it
  with a prefactor that depends on how the onset is detected.

[`memorization_time_prediction`][memlab.theory.kernel_scaling.memorization_time_prediction] checks the first two conditions
(``inside_regime``).

The small-distance constants $(C(d), \nu)$ of common kernels on the
sphere of radius $\sqrt d$ are derived symbolically by
[`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion]; [`symbolic_ratio`][memlab.theory.kernel_scaling.symbolic_ratio] derives the closed form and
its series in 1/d with sympy. [`memorization_time_prediction`][memlab.theory.kernel_scaling.memorization_time_prediction] gathers the
whole prediction for one kernel and setting, with the check of its regime.

References
----------
Favero et al. (2025), "Bigger isn't always memorizing: early stopping
overparameterized diffusion models", App. G, eqs. 5-39.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memlab._results import Result
import numpy as np
from numpy.typing import ArrayLike
from scipy import special

if TYPE_CHECKING:
    import sympy

from .._validation import (MAX_SAMPLES, check_allocation, check_array, check_choice, check_positive_int,
                          check_positive_real)

__all__ = [
    "gamma_d",
    "beta_d",
    "eigenvalue_ratio",
    "eigenvalue_ratio_asymptotic",
    "asymptotic_relative_error",
    "eigenvalue",
    "memorization_time",
    "memorization_time_asymptotic",
    "KernelPrediction",
    "memorization_time_prediction",
    "symbolic_ratio",
    "kernel_expansion",
    "KERNELS",
]

KERNELS = ("ntk", "nngp", "laplace", "gaussian")
"""Names of the kernels whose small-distance expansion [`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion] derives."""


def _check_d_nu(d, nu):
    dd = check_array("d", d, lo=1.0)
    if np.any(dd != np.round(dd)):
        raise ValueError(f"d must be a positive integer, got {d!r}")
    nn = check_array("nu", nu, lo=0.0, lo_open=True)
    return dd, nn


def _out(x, *inputs):
    return float(x) if all(np.ndim(v) == 0 for v in inputs) else x


# ----------------------------------------------------------------------------
# R = 1: closed forms
# ----------------------------------------------------------------------------


def _log_gamma_ratio(x, a):
    """log(Gamma(x + a) / Gamma(x)) via the Pochhammer symbol.

    ``poch`` keeps full precision for large x, where a difference of
    ``gammaln`` values loses it (1e-10 relative at x = 5e5); the gammaln
    difference is the fallback where ``poch`` overflows.
    """
    with np.errstate(over="ignore"):
        p = special.poch(x, a)
    return np.where(np.isfinite(p) & (p > 0), np.log(np.where(p > 0, p, 1.0)),
                    special.gammaln(x + a) - special.gammaln(x))


def _log_abs_beta1(d, nu):
    """log |beta_d(1, nu)| = log(nu/2) + nu log 2 + log(Gamma((d+nu)/2) / Gamma(d/2))."""
    return np.log(0.5 * nu) + nu * np.log(2.0) + _log_gamma_ratio(0.5 * d, 0.5 * nu)


def eigenvalue_ratio(d: ArrayLike, nu: ArrayLike) -> float | np.ndarray:
    r"""Closed-form $\beta_d(1,\nu)/\gamma_d(1)$ (Favero et al. 2025, App. G, eq. 35).

    $$
    \frac{\beta_d(1,\nu)}{\gamma_d(1)} = -\frac{\nu}{2}\,2^\nu\,
    \frac{\Gamma(\frac{d+\nu}{2})}{d\,\Gamma(\frac d2)},
    $$

    evaluated in logs with the Pochhammer symbol (1e-12 relative against
    mpmath up to d = 1e6 and beyond; a ``gammaln`` difference would lose
    1e-10). Negative: the eigenvalue $\lambda_i = -C(d)(\beta/\gamma)\sigma^\nu/P$
    is positive. Exact for the cutoff R = 1; for another cutoff use
    [`beta_d`][memlab.theory.kernel_scaling.beta_d] and [`gamma_d`][memlab.theory.kernel_scaling.gamma_d].

    Parameters
    ----------
    d : int or array_like of int
        Dimension, >= 1.
    nu : float or array_like
        Small-distance exponent of the kernel, > 0; broadcast against ``d``.

    Returns
    -------
    float or numpy.ndarray
        The ratio (negative); a float when both arguments are scalars.

    Raises
    ------
    TypeError
        If an argument is not a real number or array.
    ValueError
        If d is not a positive integer, ``nu`` is not positive and finite, or
        the ratio exceeds the float range.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 25-35.

    Examples
    --------
    >>> eigenvalue_ratio(1, 2)      # -(2/2) 4 Gamma(3/2) / Gamma(1/2)
    -2.0
    >>> eigenvalue_ratio([1, 100], 2).round(12).tolist()
    [-2.0, -2.0]
    """
    dd, nn = _check_d_nu(d, nu)
    return _out(-_exp_checked(_log_abs_beta1(dd, nn) - np.log(dd), _RATIO_AT), d, nu)


def eigenvalue_ratio_asymptotic(d: ArrayLike, nu: ArrayLike) -> float | np.ndarray:
    r"""Large-d form of [`eigenvalue_ratio`][memlab.theory.kernel_scaling.eigenvalue_ratio] (Favero et al. 2025, App. G, eq. 37).

    $$
    \frac{\beta_d(1,\nu)}{\gamma_d(1)} \simeq -\nu\,2^{\nu/2-1} d^{\nu/2-1},
    $$

    from $\Gamma(\frac{d+\nu}2)/\Gamma(\frac d2) \sim (d/2)^{\nu/2}$ (eq. 36).
    Its relative error is [`asymptotic_relative_error`][memlab.theory.kernel_scaling.asymptotic_relative_error],
    $-\nu(\nu-2)/(4d) + O(d^{-2})$: exact for $\nu = 2$, off by about
    $1/(4d)$ for $\nu = 1$, so it should not be used at small d for
    $\nu \ne 2$.

    Parameters
    ----------
    d : int or array_like of int
        Dimension, >= 1.
    nu : float or array_like
        Small-distance exponent of the kernel, > 0.

    Returns
    -------
    float or numpy.ndarray
        The large-d ratio (negative); a float when both arguments are scalars.

    Raises
    ------
    TypeError
        If an argument is not a real number or array.
    ValueError
        If d is not a positive integer, ``nu`` is not positive and finite, or
        the value exceeds the float range.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 36-37.

    Examples
    --------
    >>> eigenvalue_ratio_asymptotic(100, 2)
    -2.0
    >>> round(eigenvalue_ratio_asymptotic(8, 1), 6)       # -2^{-1/2} 8^{-1/2}
    -0.25
    """
    dd, nn = _check_d_nu(d, nu)
    return _out(-_exp_checked(np.log(nn) + (0.5 * nn - 1.0) * np.log(2.0 * dd), _RATIO_AT),
                d, nu)


def asymptotic_relative_error(d: ArrayLike, nu: ArrayLike) -> float | np.ndarray:
    r"""Relative error of the large-d form: ``asymptotic / exact - 1``.

    The error of [`eigenvalue_ratio_asymptotic`][memlab.theory.kernel_scaling.eigenvalue_ratio_asymptotic] (eq. 37) against
    [`eigenvalue_ratio`][memlab.theory.kernel_scaling.eigenvalue_ratio] (eq. 35) of Favero et al. (2025), App. G. From
    Stirling's series ([`symbolic_ratio`][memlab.theory.kernel_scaling.symbolic_ratio]),
    $\Gamma(x + a)/(\Gamma(x) x^a) = 1 + a(a-1)/(2x) + O(x^{-2})$ with
    $x = d/2$, $a = \nu/2$, so the error is $-\nu(\nu - 2)/(4d) + O(d^{-2})$:
    zero for $\nu = 2$ (the form is then exact), about $+1/(4d)$ for
    $\nu = 1$. Computed as ``expm1`` of a difference of logs (no
    cancellation).

    Parameters
    ----------
    d : int or array_like of int
        Dimension, >= 1.
    nu : float or array_like
        Small-distance exponent of the kernel, > 0.

    Returns
    -------
    float or numpy.ndarray
        ``asymptotic / exact - 1``; a float when both arguments are scalars.

    Raises
    ------
    TypeError
        If an argument is not a real number or array.
    ValueError
        If d is not a positive integer, ``nu`` is not positive and finite, or
        the ratio asymptotic / exact exceeds the float range.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 35-37.

    Examples
    --------
    >>> abs(asymptotic_relative_error(50, 2)) < 1e-12
    True
    >>> round(asymptotic_relative_error(1000, 1) * 4000, 2)   # about 1/(4d)
    1.0
    """
    dd, nn = _check_d_nu(d, nu)
    log_exact = _log_abs_beta1(dd, nn) - np.log(dd)
    log_asym = np.log(nn) + (0.5 * nn - 1.0) * (np.log(2.0) + np.log(dd))
    diff = log_asym - log_exact
    _exp_checked(diff, "the ratio asymptotic / exact at these (d, nu)")   # range check only
    return _out(np.expm1(diff), d, nu)


# ----------------------------------------------------------------------------
# Any cutoff R: quadrature
# ----------------------------------------------------------------------------


def _cutoff(R):
    if R is None:
        return lambda r: np.ones_like(r)
    if not callable(R):
        raise ValueError(f"R must be a callable radial cutoff R(r) or None, got {R!r}")
    return R


@functools.lru_cache(maxsize=64)
def _radial_nodes(shape: float, n: int):
    r"""Nodes r and weights for E f(r) with r^2/2 ~ Gamma(shape).

    Generalized Gauss-Laguerre for shape <= 50 (its weights sum to
    Gamma(shape), which overflows beyond ~170); for larger shapes, where the
    law is close to normal, Gauss-Hermite in the normal score z with
    $r^2 = F^{-1}_{\chi^2_{2\,\rm shape}}(\Phi(z))$.
    """
    if shape <= 50.0:
        x, w = special.roots_genlaguerre(n, shape - 1.0)
        return np.sqrt(2.0 * x), w / w.sum()
    z, w = special.roots_hermitenorm(n)
    k = 2.0 * shape
    r2 = np.where(z < 0, 2.0 * special.gammaincinv(0.5 * k, special.ndtr(z)),
                  2.0 * special.gammainccinv(0.5 * k, special.ndtr(-z)))   # chi2_k quantiles
    return np.sqrt(r2), w / w.sum()


@functools.lru_cache(maxsize=32)
def _angle_nodes(d: int, n: int):
    """Nodes c and weights for E f(cos angle) of two independent directions in R^d."""
    if d == 1:
        return np.array([-1.0, 1.0]), np.array([0.5, 0.5])
    a = 0.5 * d - 1.5
    c, w = special.roots_jacobi(n, a, a)
    return c, w / w.sum()


_QUADRATURE_D_MAX = 10**6


def _check_quadrature_d(d):
    if d > _QUADRATURE_D_MAX:
        raise ValueError(f"d must be <= {_QUADRATURE_D_MAX} with a cutoff R (the quadrature "
                         f"loses accuracy beyond), got {d}")


def gamma_d(d: int, R: Callable[[np.ndarray], np.ndarray] | None = None, *,
            n_radial: int = 200) -> float:
    r"""$\gamma_d(R) = \mathbb E\|u\|^2 R(\|u\|)^2$, $u \sim \mathcal N(0, I_d)$ (Favero et al. 2025, App. G, eq. 14).

    The normalisation $\|\psi_i\|^2_{L_2(p_\sigma)} \simeq \gamma_d(R)\,\sigma^2/P$
    of the local eigenfunctions (eqs. 11-13). ``R=None`` is the cutoff R = 1,
    for which $\gamma_d = d$ exactly (eq. 26). Otherwise ``R`` is a vectorized
    callable of the radius, integrated by Gauss-Laguerre quadrature in
    $\|u\|^2/2 \sim \Gamma(d/2)$ (one dimension, by isotropy; Gauss-Hermite in
    the normal score beyond d = 100). With ``R``, d is limited to ``10**6``
    (ValueError beyond), where the quadrature still reproduces R = 1 to 1e-9;
    cost and memory grow as ``n_radial``. A cutoff that is not smooth (a
    step) converges slowly in ``n_radial``.

    Parameters
    ----------
    d : int
        Dimension, >= 1 (at most ``10**6`` with a cutoff ``R``).
    R : callable, optional
        Radial cutoff $R(r)$, applied elementwise to an array of radii and
        returning an array of the same shape; ``None`` (default) is R = 1.
    n_radial : int, default 200
        Number of quadrature nodes in the radius (unused for R = 1).

    Returns
    -------
    float
        $\gamma_d(R)$.

    Raises
    ------
    TypeError
        If ``d`` or ``n_radial`` is not an integer.
    ValueError
        If d < 1, d > ``10**6`` with a cutoff, ``n_radial`` < 1, or ``R`` is
        neither callable nor None.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 12-14 and 25-26.

    Examples
    --------
    >>> gamma_d(64)
    64.0
    >>> round(gamma_d(1, lambda r: np.exp(-r * r / 4)), 6)   # E u^2 e^{-u^2/2} = 2^{-3/2}
    0.353553
    """
    d = check_positive_int("d", d)
    n_radial = check_positive_int("n_radial", n_radial, maximum=MAX_SAMPLES)
    if R is None:
        return float(d)
    _check_quadrature_d(d)
    f = _cutoff(R)
    r, w = _radial_nodes(0.5 * d, n_radial)
    return float(w @ (r * r * f(r) ** 2))


def beta_d(d: int, nu: float, R: Callable[[np.ndarray], np.ndarray] | None = None, *,
           n_radial: int = 60, n_angle: int = 60) -> float:
    r"""$\beta_d(R,\nu) = \mathbb E[(u\cdot v) R(\|u\|)R(\|v\|)\|u - v\|^\nu]$ (Favero et al. 2025, App. G, eq. 20).

    The constant of the quadratic form
    $\langle\psi_i, K\psi_i\rangle \simeq -C(d)\beta_d(R,\nu)\sigma^{2+\nu}/P^2$
    (eq. 21), for $u, v$ i.i.d. $\mathcal N(0, I_d)$. ``R=None`` (R = 1) uses
    the closed form $-\frac\nu2 2^\nu\Gamma(\frac{d+\nu}2)/\Gamma(\frac d2)$
    (eqs. 27-32). For another cutoff, the rotation $a = (u+v)/\sqrt2$,
    $b = (u-v)/\sqrt2$ (eq. 28; a, b independent standard Gaussians) gives
    $u\cdot v = (\|a\|^2 - \|b\|^2)/2$, $\|u-v\| = \sqrt2\|b\|$ (eq. 29) and
    $\|u\|^2, \|v\|^2 = (\|a\|^2 + \|b\|^2 \pm 2\|a\|\|b\|c)/2$, so by
    isotropy

    $$
    \beta = 2^{\nu/2}\,\mathbb E\big[\tfrac12(\rho^2 - q^2)\,q^\nu\,
    R(\|u\|)R(\|v\|)\big]
    $$

    over the radii $\rho = \|a\|$, $q = \|b\|$ and the cosine c between a
    and b. The factor $q^\nu$ is absorbed into the weight of q (its law
    becomes $q^2/2 \sim \Gamma((d+\nu)/2)$), so the remaining integrand is
    smooth and generalized Gauss-Laguerre (radii) and Gauss-Jacobi (c,
    density $\propto (1-c^2)^{(d-3)/2}$; $c = \pm 1$ for d = 1) converge
    fast: R = 1 is reproduced to 1e-12 up to d = 1e3 and 5e-10 at d = 1e6,
    the largest d accepted with ``R`` (the Gauss-Jacobi nodes fail beyond
    3e6). Cost and memory: ``n_radial**2 * n_angle`` evaluations of R (at most
    8 GiB of work arrays).

    Parameters
    ----------
    d : int
        Dimension, >= 1 (at most ``10**6`` with a cutoff ``R``).
    nu : float
        Small-distance exponent of the kernel, > 0.
    R : callable, optional
        Radial cutoff $R(r)$, applied elementwise to an array of radii; ``None``
        (default) is R = 1 and uses the closed form.
    n_radial : int, default 60
        Quadrature nodes for each of the two radii (unused for R = 1).
    n_angle : int, default 60
        Quadrature nodes for the cosine (unused for R = 1).

    Returns
    -------
    float
        $\beta_d(R, \nu)$ (negative for R = 1).

    Raises
    ------
    TypeError
        If an argument has the wrong type (``d`` not an integer, ``nu`` not a
        number).
    ValueError
        If d < 1, d > ``10**6`` with a cutoff, ``nu`` is not positive, a node
        count is < 1, ``R`` is neither callable nor None, the work arrays
        would exceed the memory budget, or the closed form exceeds the float
        range.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 20-21 and 27-32.

    Examples
    --------
    >>> beta_d(1, 2)
    -2.0
    >>> round(beta_d(1, 2, lambda r: np.ones_like(r)), 10)
    -2.0
    """
    d = check_positive_int("d", d)
    nu = check_positive_real("nu", nu)
    if R is not None:
        _check_quadrature_d(d)
    if R is None:
        return float(-_exp_checked(_log_abs_beta1(d, nu), "beta_d(1, nu) at these (d, nu)"))
    f = _cutoff(R)
    n_radial = check_positive_int("n_radial", n_radial, maximum=MAX_SAMPLES)
    rho, w_rho = _radial_nodes(0.5 * d, n_radial)
    q, w_q = _radial_nodes(0.5 * (d + nu), n_radial)
    # E_q[q^nu g(q)] = E[q^nu] E_{q ~ shifted}[g(q)], E[q^nu] = 2^{nu/2} Gamma((d+nu)/2)/Gamma(d/2)
    q_moment = np.exp(0.5 * nu * np.log(2.0) + special.gammaln(0.5 * (d + nu))
                      - special.gammaln(0.5 * d))
    n_angle = check_positive_int("n_angle", n_angle, maximum=MAX_SAMPLES)
    check_allocation("n_radial and n_angle", (n_radial, n_radial, n_angle))
    c, w_c = _angle_nodes(d, n_angle)
    P, Q, Cc = rho[:, None, None], q[None, :, None], c[None, None, :]
    base = 0.5 * (P * P + Q * Q)
    cross = P * Q * Cc
    ru = np.sqrt(np.maximum(base + cross, 0.0))
    rv = np.sqrt(np.maximum(base - cross, 0.0))
    integrand = 0.5 * (P * P - Q * Q) * f(ru) * f(rv)
    val = np.einsum("i,j,k,ijk->", w_rho, w_q, w_c, integrand)
    return float(2.0 ** (0.5 * nu) * q_moment * val)


# ----------------------------------------------------------------------------
# Eigenvalue and memorization time
# ----------------------------------------------------------------------------


def _check_eigen_args(P, sigma, d, nu, C):
    dd, nn = _check_d_nu(d, nu)
    return (check_array("P", P, lo=1.0), check_array("sigma", sigma, lo=0.0, lo_open=True),
            dd, nn, check_array("C", C, lo=0.0, lo_open=True))


def eigenvalue(P: ArrayLike, sigma: ArrayLike, d: ArrayLike, nu: ArrayLike,
               C: ArrayLike) -> float | np.ndarray:
    r"""Local eigenvalue $\lambda_i = -C(d)\,\frac{\beta_d(1,\nu)}{\gamma_d(1)}\,\frac{\sigma^\nu}{P}$ (Favero et al. 2025, App. G, eq. 22).

    The eigenvalue of the kernel operator on $L_2(p_\sigma)$ for the local
    mode $\psi_i$ around one training point, with the cutoff R = 1
    ([`eigenvalue_ratio`][memlab.theory.kernel_scaling.eigenvalue_ratio]); computed from the logs of its factors. The
    arguments broadcast against each other.

    Valid for $\sigma \ll$ the distances between training points (the
    Gaussian components do not overlap) and small enough that the kernel's
    expansion $1 - C r^\nu$ holds over $r \sim \sigma\sqrt{2d}$; outside
    that regime the local modes are not eigenfunctions and the formula has no
    meaning (see [`memorization_time_prediction`][memlab.theory.kernel_scaling.memorization_time_prediction] for the check).

    Parameters
    ----------
    P : float or array_like
        Training-set size, >= 1.
    sigma : float or array_like
        Noise level, > 0.
    d : int or array_like of int
        Dimension, >= 1.
    nu : float or array_like
        Small-distance exponent of the kernel, > 0.
    C : float or array_like
        Small-distance coefficient C(d) of the kernel, > 0
        ([`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion]).

    Returns
    -------
    float or numpy.ndarray
        $\lambda_i > 0$; a float when every argument is a scalar.

    Raises
    ------
    TypeError
        If an argument is not a real number or array.
    ValueError
        If P < 1, ``sigma``, ``nu`` or ``C`` is not positive and finite, d is not
        a positive integer, or the result exceeds the float range (about
        1.8e308; underflow gives 0).

    References
    ----------
    Favero et al. (2025), App. G, eqs. 22 and 35.

    Examples
    --------
    >>> round(eigenvalue(128, 0.1, 64, 1, 1.0), 10)   # 5.6348/64 * 0.1/128
    6.87842e-05
    """
    Pa, s, dd, nn, Cc = _check_eigen_args(P, sigma, d, nu, C)
    out = _exp_checked(_log_eigenvalue(Pa, s, dd, nn, Cc), _AT.format("eigenvalue"))
    return _out(out, P, sigma, d, nu, C)


def _log_eigenvalue(Pa, s, dd, nn, Cc):
    """log lambda_i, from logs of every factor (sigma^nu / P neither overflows nor underflows)."""
    return np.log(Cc) + _log_abs_beta1(dd, nn) - np.log(dd) + nn * np.log(s) - np.log(Pa)


_AT = "{} at these (P, sigma, d, nu, C)"
_RATIO_AT = "beta_d(1, nu) / gamma_d(1) at these (d, nu)"


def _exp_checked(log_value, what):
    """exp(log_value); ValueError where it exceeds the float range (underflow gives 0)."""
    if np.any(log_value > _LOG_MAX):
        raise ValueError(f"{what} = exp({float(np.max(log_value))!r}) exceeds the float range "
                         f"(1.8e308); its log is finite, but not the value")
    with np.errstate(under="ignore"):
        return np.exp(log_value)


_LOG_MAX = float(np.log(np.finfo(float).max))


def memorization_time(P: ArrayLike, sigma: ArrayLike, d: ArrayLike, nu: ArrayLike,
                      C: ArrayLike) -> float | np.ndarray:
    r"""Memorization time $\tau_{\rm mem} = 1/\lambda_i \propto P/\sigma^\nu$ (Favero et al. 2025, App. G, eqs. 24, 39).

    The inverse of [`eigenvalue`][memlab.theory.kernel_scaling.eigenvalue]: the training time the kernel needs to
    learn the local modes around the training points, i.e. to start
    memorizing; linear in P. In units of the gradient-flow time of the kernel
    regression (learning rate 1, loss normalised by the number of samples).
    Eq. 24 is a scaling relation: a measured onset of memorization is
    proportional to this time, with a prefactor that depends on how the onset
    is detected. Same regime of validity as [`eigenvalue`][memlab.theory.kernel_scaling.eigenvalue].

    Computed from the logs of its factors, so P up to 1e300 and sigma from
    1e-150 to 1e150 are fine; a time beyond the float range (about 1.8e308,
    e.g. P = 1e300, sigma = 1e-150) raises ValueError rather than returning
    inf.

    Parameters
    ----------
    P : float or array_like
        Training-set size, >= 1.
    sigma : float or array_like
        Noise level, > 0.
    d : int or array_like of int
        Dimension, >= 1.
    nu : float or array_like
        Small-distance exponent of the kernel, > 0.
    C : float or array_like
        Small-distance coefficient C(d) of the kernel, > 0
        ([`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion]).

    Returns
    -------
    float or numpy.ndarray
        $\tau_{\rm mem} > 0$; a float when every argument is a scalar.

    Raises
    ------
    TypeError
        If an argument is not a real number or array.
    ValueError
        If P < 1, ``sigma``, ``nu`` or ``C`` is not positive and finite, d is not
        a positive integer, or the result exceeds the float range (about
        1.8e308; underflow gives 0).

    References
    ----------
    Favero et al. (2025), App. G, eqs. 22-24 and 39.

    Examples
    --------
    >>> t1, t2 = memorization_time(128, 0.1, 64, 1, 1.0), memorization_time(256, 0.1, 64, 1, 1.0)
    >>> round(t2 / t1, 12)
    2.0
    """
    Pa, s, dd, nn, Cc = _check_eigen_args(P, sigma, d, nu, C)
    out = _exp_checked(-_log_eigenvalue(Pa, s, dd, nn, Cc), _AT.format("memorization time"))
    return _out(out, P, sigma, d, nu, C)


def memorization_time_asymptotic(P: ArrayLike, sigma: ArrayLike, d: ArrayLike, nu: ArrayLike,
                                 C: ArrayLike) -> float | np.ndarray:
    r"""Large-d memorization time (Favero et al. 2025, App. G, eq. 39).

    $$
    \tau_{\rm mem} \simeq \frac{P}{C\,\nu\,2^{\nu/2-1} d^{\nu/2-1}\sigma^\nu},
    $$

    [`memorization_time`][memlab.theory.kernel_scaling.memorization_time] with the ratio $\beta/\gamma$ replaced by its
    large-d form (eq. 37). Its relative error (as $1/\tau$) is
    [`asymptotic_relative_error`][memlab.theory.kernel_scaling.asymptotic_relative_error]:
    ``memorization_time / memorization_time_asymptotic - 1``, i.e.
    $-\nu(\nu-2)/(4d) + O(d^{-2})$, zero for $\nu = 2$.

    Parameters
    ----------
    P : float or array_like
        Training-set size, >= 1.
    sigma : float or array_like
        Noise level, > 0.
    d : int or array_like of int
        Dimension, >= 1.
    nu : float or array_like
        Small-distance exponent of the kernel, > 0.
    C : float or array_like
        Small-distance coefficient C(d) of the kernel, > 0
        ([`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion]).

    Returns
    -------
    float or numpy.ndarray
        The large-d $\tau_{\rm mem} > 0$; a float when every argument is a
        scalar.

    Raises
    ------
    TypeError
        If an argument is not a real number or array.
    ValueError
        If P < 1, ``sigma``, ``nu`` or ``C`` is not positive and finite, d is not
        a positive integer, or the result exceeds the float range (about
        1.8e308; underflow gives 0).

    References
    ----------
    Favero et al. (2025), App. G, eqs. 37-39.

    Examples
    --------
    >>> round(memorization_time_asymptotic(128, 0.5, 64, 2, 1.0), 9)    # 128 / (2 * 0.25)
    256.0
    >>> exact = memorization_time(128, 0.5, 64, 2, 1.0)
    >>> round(exact / memorization_time_asymptotic(128, 0.5, 64, 2, 1.0) - 1, 12)
    0.0
    """
    Pa, s, dd, nn, Cc = _check_eigen_args(P, sigma, d, nu, C)
    log_rate = np.log(Cc) + np.log(nn) + (0.5 * nn - 1.0) * (np.log(2.0) + np.log(dd)) + nn * np.log(s)
    out = _exp_checked(np.log(Pa) - log_rate, _AT.format("memorization time"))
    return _out(out, P, sigma, d, nu, C)


# ----------------------------------------------------------------------------
# The whole prediction for one kernel
# ----------------------------------------------------------------------------

_SIGMA_MAX = 0.1     # sigma / inter-point distance below this: components well separated
_SPREAD_MAX = 0.3    # sigma sqrt(2d) / ell below this: the expansion 1 - C r^nu holds


@dataclass(frozen=True)
class KernelPrediction(Result):
    r"""Memorization-time prediction of one kernel (Favero et al. 2025, App. G).

    Returned by [`memorization_time_prediction`][memlab.theory.kernel_scaling.memorization_time_prediction].

    Attributes
    ----------
    kernel : str
        One of [`KERNELS`][memlab.theory.kernel_scaling.KERNELS]: ``"ntk"``, ``"nngp"``, ``"laplace"`` or
        ``"gaussian"``.
    P : float
        Training-set size.
    sigma : float
        Noise level $\sigma$.
    d : int
        Dimension.
    ell : float or None
        Length scale of the ``"laplace"`` and ``"gaussian"`` kernels; ``None``
        for ``"ntk"`` and ``"nngp"``, which have none.
    C : float
        Small-distance coefficient $C(d)$ of $K = 1 - C r^\nu$
        ([`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion]).
    nu : int
        Small-distance exponent $\nu$.
    ratio : float
        $\beta_d(1,\nu)/\gamma_d(1)$ ([`eigenvalue_ratio`][memlab.theory.kernel_scaling.eigenvalue_ratio]), negative.
    relative_error : float
        Relative error of the ratio's large-d form
        ([`asymptotic_relative_error`][memlab.theory.kernel_scaling.asymptotic_relative_error]).
    eigenvalue : float
        $\lambda_i = -C\,(\beta/\gamma)\,\sigma^\nu/P$ ([`eigenvalue`][memlab.theory.kernel_scaling.eigenvalue]).
    tau_mem : float
        $\tau_{\rm mem} = 1/\lambda_i$ ([`memorization_time`][memlab.theory.kernel_scaling.memorization_time]).
    tau_mem_asymptotic : float
        Its large-d form ([`memorization_time_asymptotic`][memlab.theory.kernel_scaling.memorization_time_asymptotic]).
    interpoint_distance : float
        $\sqrt{2d}$, the typical distance between two training points
        (unit-variance data).
    sigma_over_distance : float
        $\sigma\sqrt{2d}/\sqrt{2d} = \sigma$: the spread of one noisy
        component over the distance between training points (components
        overlap near 1).
    spread_over_ell : float or None
        $\sigma\sqrt{2d}/\ell$, the spread over the kernel's length
        scale, on which the expansion $1 - C r^\nu$ must hold; ``None``
        for ``"ntk"`` and ``"nngp"``, whose expansion is in $r/\sqrt d$
        and holds whenever ``sigma_over_distance`` is small.
    inside_regime : bool
        ``sigma_over_distance < 0.1`` and, where defined,
        ``spread_over_ell < 0.3``: the small-sigma regime the prediction is
        derived in.
    """

    kernel: str
    P: float
    sigma: float
    d: int
    ell: float | None
    C: float
    nu: int
    ratio: float
    relative_error: float
    eigenvalue: float
    tau_mem: float
    tau_mem_asymptotic: float
    interpoint_distance: float
    sigma_over_distance: float
    spread_over_ell: float | None
    inside_regime: bool


def memorization_time_prediction(kernel: str, P: float, sigma: float, d: int, *,
                                 ell: float | None = 1.0) -> KernelPrediction:
    r"""Local eigenvalue and memorization time of a kernel, with its regime check (Favero et al. 2025, App. G).

    For the kernel's small-distance expansion $K = 1 - C(d) r^\nu$
    ([`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion]), the local modes around each of the P training
    points have eigenvalue and learning time (Favero et al. 2025, App. G,
    eqs. 22, 24 and 39)

    $$
    \lambda_i = -C(d)\,\frac{\beta_d(1,\nu)}{\gamma_d(1)}\,\frac{\sigma^\nu}{P},
    \qquad \tau_{\rm mem} = \frac1{\lambda_i}
    \simeq \frac{P}{C\,\nu\,2^{\nu/2-1} d^{\nu/2-1}\sigma^\nu} .
    $$

    The derivation needs the noisy components to be well separated,
    $\sigma\sqrt{2d} \ll \sqrt{2d}$ (the typical distance between
    unit-variance training points), and, for the Laplace and Gaussian kernels,
    the expansion to hold over the component's spread,
    $\sigma\sqrt{2d} \ll \ell$. ``inside_regime`` is
    $\sigma < 0.1$ and $\sigma\sqrt{2d}/\ell < 0.3$.

    Parameters
    ----------
    kernel : str
        The kernel: ``"ntk"``, ``"nngp"``, ``"laplace"`` or ``"gaussian"``, as in
        [`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion].
    P : float
        Training-set size, >= 1.
    sigma : float
        Noise level, > 0.
    d : int
        Dimension, >= 1.
    ell : float or None, default 1.0
        Length scale of the Laplace and Gaussian kernels, > 0 (required for
        them); checked but unused for ``"ntk"`` and ``"nngp"``, for which it
        may be ``None``.

    Returns
    -------
    KernelPrediction
        Each number equal to what the function named in its description returns.

    Raises
    ------
    TypeError
        If an argument has the wrong type (``kernel`` not a string, d not an
        integer, ...).
    ValueError
        For an unknown kernel, a non-positive ``ell`` (or ``None`` for the
        Laplace and Gaussian kernels), d not a positive integer, P < 1 or
        sigma <= 0 (checked in this order).

    References
    ----------
    Favero et al. (2025), App. G: the setting (eq. 5, $\sigma$ much smaller
    than the distances between training points), eqs. 7, 22, 24 and 37-39.

    Examples
    --------
    >>> p = memorization_time_prediction("gaussian", 128, 0.05, 64, ell=4.0)
    >>> p.nu, p.C, round(p.tau_mem), p.inside_regime     # 128 / (2 C sigma^2)
    (2, 0.03125, 819200, True)
    >>> memorization_time_prediction("laplace", 16, 0.01, 16, ell=0.1).inside_regime
    False
    """
    check_choice("kernel", kernel, KERNELS)
    has_ell = kernel in ("laplace", "gaussian")
    if has_ell and ell is None:
        raise ValueError(f"ell must be given for the {kernel} kernel, got None")
    C, nu = kernel_expansion(kernel, d, ell=ell)
    d = check_positive_int("d", d)
    P = float(check_array("P", P, ndim=0, lo=1.0))
    sigma = float(check_array("sigma", sigma, ndim=0, lo=0.0, lo_open=True))
    ell = float(ell) if has_ell else None
    gap = np.sqrt(2.0 * d)                 # typical distance between N(0, I_d) points
    spread = sigma * np.sqrt(2.0 * d)      # typical |x - y| inside one noisy component
    spread_over_ell = spread / ell if has_ell else None
    inside = sigma < _SIGMA_MAX and (spread_over_ell is None or spread_over_ell < _SPREAD_MAX)
    return KernelPrediction(
        kernel, P, sigma, d, ell, C, nu, eigenvalue_ratio(d, nu), asymptotic_relative_error(d, nu),
        eigenvalue(P, sigma, d, nu, C), memorization_time(P, sigma, d, nu, C),
        memorization_time_asymptotic(P, sigma, d, nu, C), float(gap), sigma,
        None if spread_over_ell is None else float(spread_over_ell), bool(inside))


# ----------------------------------------------------------------------------
# Symbolic derivations (sympy, imported on use)
# ----------------------------------------------------------------------------


_MAX_ORDER = 5   # sympy's series: 2 s at order 5 on 2 cores, over 20 minutes at order 8


def symbolic_ratio(order: int = 3) -> dict:
    r"""Derive $\beta_d(1,\nu)/\gamma_d(1)$ with sympy, and its series in 1/d.

    An independent symbolic check of the closed forms of Favero et al. (2025),
    App. G (eqs. 28-37). With $a = (u+v)/\sqrt2$, $b = (u-v)/\sqrt2$
    independent standard Gaussians (eqs. 28-30),
    $\beta = \frac12 2^{\nu/2}(\mathbb E\|a\|^2\,\mathbb E\|b\|^\nu - \mathbb E\|b\|^{\nu+2})$
    (eq. 31) and the radial moments are
    $\mathbb E\|b\|^k = 2^{k/2}\Gamma(\frac{d+k}2)/\Gamma(\frac d2)$.
    The series of ratio / leading is Stirling's series of
    $\log\Gamma(x + a) - \log\Gamma(x) - a\log x$ at $x = d/2$, $a = \nu/2$,
    exponentiated; its first correction, $\nu(\nu - 2)/(4d)$, is minus the
    relative error of the large-d form (eq. 37).

    Parameters
    ----------
    order : int, default 3
        Number of terms of the series in $\epsilon = 1/d$ (the series is
        computed to $O(\epsilon^{\rm order})$), 1 <= order <= 5: sympy's series
        takes about 2 s at order 5 on 2 cores and over 20 minutes at order 8.

    Returns
    -------
    dict
        ``"beta"``: the simplified $\beta_d(1,\nu)$; ``"ratio"``:
        $\beta/\gamma$; ``"leading"``: the large-d form
        $-\nu 2^{\nu/2-1}d^{\nu/2-1}$; ``"series"``: ratio / leading as a
        series in 1/d up to ``order`` terms (from Stirling's series of
        $\log\Gamma$); ``"symbols"``: the sympy symbols (d, nu).

    Raises
    ------
    TypeError
        If ``order`` is not an integer.
    ValueError
        If ``order`` is < 1 or > 5.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 28-37.

    Examples
    --------
    >>> out = symbolic_ratio(2)
    >>> out["beta"]
    -2**nu*nu*gamma(d/2 + nu/2)/(2*gamma(d/2))
    >>> out["series"]                       # 1 + nu (nu - 2) / (4 d)
    1 + nu**2/(4*d) - nu/(2*d)
    """
    import sympy as sp

    order = check_positive_int("order", order, maximum=_MAX_ORDER)
    d, nu = sp.symbols("d nu", positive=True)

    def moment(k):
        return 2 ** (k / 2) * sp.gamma((d + k) / 2) / sp.gamma(d / 2)

    beta = sp.simplify(sp.gammasimp(sp.Rational(1, 2) * 2 ** (nu / 2) * (d * moment(nu)
                                                                        - moment(nu + 2))))
    ratio = sp.simplify(beta / d)
    leading = -nu * 2 ** (nu / 2 - 1) * d ** (nu / 2 - 1)
    # ratio / leading = Gamma(x + a) / (Gamma(x) x^a), x = d/2, a = nu/2; expand in eps = 1/d
    eps = sp.symbols("epsilon", positive=True)
    a = nu / 2
    log_series = sp.series(sp.loggamma(1 / (2 * eps) + a) - sp.loggamma(1 / (2 * eps))
                           + a * sp.log(2 * eps), eps, 0, order).removeO()
    series = sp.series(sp.exp(sp.simplify(log_series)), eps, 0, order).removeO()
    series = sp.expand(sp.simplify(series.subs(eps, 1 / d)))
    return {"beta": beta, "ratio": ratio, "leading": leading, "series": series,
            "symbols": (d, nu)}


#: (C, nu) of each kernel in closed form, C as a function of d (spherical kernels) or ell;
#: equal to the sympy derivation of `_symbolic_expansion` (test).
_CLOSED_FORMS = {"ntk": (lambda d: 1.0 / (2.0 * np.pi * np.sqrt(d)), 1),
                 "nngp": (lambda d: 1.0 / (2.0 * d), 2),
                 "laplace": (lambda ell: 1.0 / ell, 1),
                 "gaussian": (lambda ell: 1.0 / (2.0 * ell * ell), 2)}


@functools.lru_cache(maxsize=None)
def _symbolic_expansion(kernel):
    """(C, nu) of a checked kernel name as a sympy expression in d and ell (derived once)."""
    import sympy as sp

    r, ds, ls = sp.symbols("r d ell", positive=True)
    theta = sp.acos(1 - r**2 / (2 * ds))
    k1 = (sp.sin(theta) + (sp.pi - theta) * sp.cos(theta)) / sp.pi
    expr = {"ntk": (k1 + sp.cos(theta) * (sp.pi - theta) / sp.pi) / 2,
            "nngp": k1,
            "laplace": sp.exp(-r / ls),
            "gaussian": sp.exp(-r**2 / (2 * ls**2))}[kernel]
    series = sp.expand(sp.series(expr, r, 0, 4).removeO())
    terms = sorted((sp.degree(t, r), t) for t in sp.Add.make_args(series) if t.has(r))
    power, term = terms[0]
    return sp.simplify(-term / r**power), int(power)


def kernel_expansion(kernel: str, d: int | None = None, *,
                     ell: float | None = None) -> tuple[float | sympy.Expr, int]:
    r"""Small-distance expansion $K = 1 - C r^\nu + \ldots$ derived symbolically.

    The constants $(C(d), \nu)$ of the expansion assumed by Favero et al.
    (2025), App. G, eq. 7, derived with sympy from the kernel's closed form.
    Inputs lie on the sphere of radius $\sqrt d$, $r = \|x - y\|$,
    so the angle is $\theta = \arccos(1 - r^2/(2d))$; kernels are
    normalised so that K(x, x) = 1:

    * ``"ntk"``: one-hidden-layer ReLU network without bias, both layers
      trained: $[k_1(\theta) + \cos\theta\,(\pi - \theta)/\pi]/2$ with
      the arc-cosine kernel $k_1 = (\sin\theta + (\pi-\theta)\cos\theta)/\pi$;
      gives $\nu = 1$, $C = 1/(2\pi\sqrt d)$.
    * ``"nngp"``: the ReLU random-feature kernel $k_1(\theta)$;
      $\nu = 2$, $C = 1/(2d)$.
    * ``"laplace"``: $e^{-r/\ell}$; $\nu = 1$, $C = 1/\ell$.
    * ``"gaussian"``: $e^{-r^2/(2\ell^2)}$; $\nu = 2$, $C = 1/(2\ell^2)$.

    The paper quotes $\nu = 1$ for the ReLU NTK and $\nu = 2$ for the random
    feature kernel. The expansion holds for $r \ll \sqrt d$ (the two
    spherical kernels) or $r \ll \ell$ (Laplace, Gaussian). Each kernel's
    series is derived once and cached; the spherical kernels take a few seconds
    the first time (sympy expands an arc-cosine). A numeric request (``d`` given for
    the spherical kernels, ``ell`` for the other two) returns the closed forms above
    without sympy; the tests check that they equal the derivation.
    ``kernel_expansion("ntk", 64)`` gives ``(0.0198..., 1)``, i.e.
    $C = 1/(2\pi\sqrt{64})$.

    Parameters
    ----------
    kernel : str
        The kernel: ``"ntk"``, ``"nngp"``, ``"laplace"`` or ``"gaussian"`` (one of
        [`KERNELS`][memlab.theory.kernel_scaling.KERNELS]).
    d : int, optional
        Dimension, >= 1; if given, C is returned as a float (when no other
        symbol is left), else as a sympy expression in d.
    ell : float, optional
        Length scale of the Laplace and Gaussian kernels, > 0 (default
        symbolic); ignored by the spherical kernels.

    Returns
    -------
    C : float or sympy.Expr
        The coefficient of the leading non-constant term of the series of K
        in r: a float when ``d`` and, where needed, ``ell`` are given.
    nu : int
        Its power.

    Raises
    ------
    TypeError
        If ``kernel`` is not a string or ``d``, ``ell`` have the wrong type.
    ValueError
        If ``kernel`` is unknown, d < 1 or ``ell`` is not positive.

    References
    ----------
    Favero et al. (2025), App. G, eq. 7; Jacot et al. (2018) for the NTK.

    Examples
    --------
    >>> kernel_expansion("gaussian", ell=0.5)     # 1 / (2 ell^2)
    (2.0, 2)
    >>> kernel_expansion("laplace")               # symbolic in ell
    (1/ell, 1)
    """
    check_choice("kernel", kernel, KERNELS)
    if ell is not None:
        ell = check_positive_real("ell", ell)
    if d is not None:
        d = check_positive_int("d", d)
    spherical = kernel in ("ntk", "nngp")
    if (d if spherical else ell) is not None:
        # numeric request: the closed forms listed above, which the tests re-derive with
        # sympy (importing sympy and deriving the series costs about 1.5 s per process)
        C, power = _CLOSED_FORMS[kernel]
        return float(C(d if spherical else ell)), power
    import sympy as sp

    C, power = _symbolic_expansion(kernel)
    ds, ls = sp.symbols("d ell", positive=True)
    if ell is not None:
        C = C.subs(ls, ell)
    if d is not None:
        C = C.subs(ds, d)
    if not C.free_symbols:
        C = float(C)
    return C, int(power)
