r"""Monte Carlo checks of the kernel eigenvalue scaling (Favero et al. 2025, App. G).

* [`monte_carlo_constants`][memlab.verification.kernel_scaling.monte_carlo_constants]: $\beta_d(R,\nu)$ and $\gamma_d(R)$
  by sampling $u, v \sim \mathcal N(0, I_d)$ (numba reduction), for
  the cutoffs R = 1, $e^{-r/s}$ and $e^{-r^2/(2s^2)}$, against
  the closed form and the quadrature of [`memlab.theory.kernel_scaling`][memlab.theory.kernel_scaling].
* [`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient]: the eigenvalue $\lambda_i =
  \langle\psi_i, K\psi_i\rangle/\|\psi_i\|^2$ of a local function
  $\psi_i(x) = (x - x_i)R(\|x - x_i\|/\sigma)$ in $L_2(p_\sigma)$,
  estimated from samples of the whole mixture $p_\sigma$ of P Gaussian
  training points, for a concrete kernel (Laplace, Gaussian, ReLU NTK or
  NNGP). Nothing of the small-distance expansion is used, so the fitted
  exponents in $\sigma$ and P test the prediction
  $\lambda_i \propto \sigma^\nu/P$ and show where it stops holding.
* [`kernel_gradient_flow`][memlab.verification.kernel_scaling.kernel_gradient_flow]: exact gradient flow of kernel regression on
  the empirical score, whose train loss halves at a time proportional to
  $1/\lambda_i \propto P/\sigma^\nu$.
* [`plot_eigenvalue_scaling`][memlab.verification.kernel_scaling.plot_eigenvalue_scaling],
  [`plot_gradient_flow`][memlab.verification.kernel_scaling.plot_gradient_flow] and
  [`plot_tau_scaling`][memlab.verification.kernel_scaling.plot_tau_scaling]: the figures of
  the kernel-scaling page, each with the prediction drawn next to the measurement.

References
----------
Favero et al. (2025), "Bigger isn't always memorizing: early stopping
overparameterized diffusion models", App. G (eqs. 14, 20, 22-24).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (
    check_allocation,
    check_array,
    check_instance,
    check_instances,
    check_positive_int,
    check_positive_real,
    check_rng,
)
from memlab.theory.kernel_scaling import KERNELS
from memlab.theory.metrics import PowerLawFit, first_crossing, fit_power_law
from memlab.verification._checks import check_choice, check_count

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.random import Generator

__all__ = ["MCConstants", "monte_carlo_constants", "RayleighQuotient", "rayleigh_quotient",
           "GradientFlow", "kernel_gradient_flow",
           "predicted_eigenvalue", "cutoff_function", "ScalingFit", "fit_eigenvalue_scaling",
           "CUTOFFS", "plot_eigenvalue_scaling", "plot_gradient_flow", "plot_tau_scaling"]

CUTOFFS = ("one", "exp", "gauss")
#: Upper bound on Monte Carlo sample counts (``n_samples``) and on ``d``.
MAX_SAMPLES = 10**10
#: Upper bound on ``chunk * d``: the two (chunk, d) sample arrays drawn at once (800 MB each).
MAX_CHUNK_ELEMENTS = 10**8
#: Upper bound on the P m samples of the gradient flow: its dense Gram matrix and eigenvectors
#: (2 (P m)^2 floats, 1.6 GB at the bound) and their O((P m)^3) eigendecomposition.
MAX_GRAM = 10_000
#: Upper bound on the samples of one Rayleigh-quotient batch, ``n_centre/8 + (P-1) n_other/8``.
#: Memory is linear in it (the pairs are summed in blocks); time is quadratic, about
#: 8 batches of S^2/2 pairs: a bound on the run time, not on memory.
MAX_BATCH = 2**15
#: Elements of one block (2 MB of float64) of every S x S or n x n matrix that is summed or
#: multiplied but not stored: the pair sums of a Rayleigh-quotient batch, the rows of the
#: Gram matrix as it is filled, the test/train cross-Gram matrix and the dual coefficients
#: at a block of times. Small enough to stay in cache (2.2x faster than the dense pair sum
#: at P = 300 on one BLAS thread).
_BLOCK = 2**18
#: Elements of the dual coefficients of the gradient flow at one block of times (8 MB):
#: each block of times costs one pass over the cross-Gram matrix, so it is kept larger.
_ALPHA_BLOCK = 2**20
_N_OTHER = 64        # default samples per other component in rayleigh_quotient
_FASTMATH = {"reassoc", "contract"}


@numba.njit(cache=True, fastmath=_FASTMATH)
def _cut(r, code, scale):
    if code == 0:
        return 1.0
    if code == 1:
        return np.exp(-r / scale)
    return np.exp(-0.5 * (r / scale) ** 2)


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _constants_kernel(U, V, nu, code, scale):
    """Per-sample (u.v) R R |u-v|^nu and |u|^2 R(|u|)^2, summed with their squares."""
    n, d = U.shape
    n_chunks = min(64, n)
    out = np.zeros((n_chunks, 4))
    for c in numba.prange(n_chunks):
        for p in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            uv = 0.0
            uu = 0.0
            vv = 0.0
            dd = 0.0
            for k in range(d):
                a = U[p, k]
                b = V[p, k]
                uv += a * b
                uu += a * a
                vv += b * b
                dd += (a - b) * (a - b)
            ru = np.sqrt(uu)
            Ru = _cut(ru, code, scale)
            Rv = _cut(np.sqrt(vv), code, scale)
            bval = uv * Ru * Rv * dd ** (0.5 * nu)
            gval = uu * Ru * Ru
            out[c, 0] += bval
            out[c, 1] += bval * bval
            out[c, 2] += gval
            out[c, 3] += gval * gval
    return out


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _constants_radial(uu, v1, rest, nu, code, scale):
    """The sums of `_constants_kernel` from the three rotation invariants of each pair:
    ``uu = |u|^2``, ``v1 = v.u/|u|`` and ``rest = |v|^2 - v1^2`` (see
    `monte_carlo_constants`). O(n) instead of O(n d)."""
    n = uu.shape[0]
    n_chunks = min(64, n)
    out = np.zeros((n_chunks, 4))
    for c in numba.prange(n_chunks):
        for p in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            ru = np.sqrt(uu[p])
            uv = ru * v1[p]
            vv = v1[p] * v1[p] + rest[p]
            dd = (ru - v1[p]) * (ru - v1[p]) + rest[p]
            Ru = _cut(ru, code, scale)
            Rv = _cut(np.sqrt(vv), code, scale)
            bval = uv * Ru * Rv * dd ** (0.5 * nu)
            gval = uu[p] * Ru * Ru
            out[c, 0] += bval
            out[c, 1] += bval * bval
            out[c, 2] += gval
            out[c, 3] += gval * gval
    return out


@dataclass(frozen=True)
class MCConstants(Result):
    r"""Monte Carlo estimates of $\beta_d(R, \nu)$ and $\gamma_d(R)$.

    Made by [`monte_carlo_constants`][memlab.verification.kernel_scaling.monte_carlo_constants].

    Attributes
    ----------
    beta, beta_stderr : float
        Estimate of $\beta_d(R, \nu) = \mathbb E[(u\cdot v) R(\|u\|) R(\|v\|)
        \|u - v\|^\nu]$ and its standard error.
    gamma, gamma_stderr : float
        Estimate of $\gamma_d(R) = \mathbb E[\|u\|^2 R(\|u\|)^2]$ and its standard error.
    n_samples : int
        Number of sample pairs $(u, v)$.
    seed : int or None
        The random seed of the draw, as recorded by `memlab._results.seed_record`.
    """

    beta: float
    beta_stderr: float
    gamma: float
    gamma_stderr: float
    n_samples: int
    seed: object


def _cutoff_code(cutoff):
    return CUTOFFS.index(check_choice("cutoff", cutoff, CUTOFFS))


def predicted_eigenvalue(kernel: str, P: int, sigma: float, d: int, *, ell: float = 1.0,
                         cutoff: str = "gauss", cutoff_scale: float | None = None) -> float:
    r"""Eigenvalue of a local function predicted by Favero et al. (2025), eq. 22.

    $$
    \lambda_i \simeq -C(d)\,\frac{\beta_d(R,\nu)}{\gamma_d(R)}\,\frac{\sigma^\nu}{P},
    $$

    with $K = 1 - C(d) r^\nu + O(r^{\nu+1})$ the small-distance expansion of the kernel
    ([`kernel_expansion`][memlab.theory.kernel_scaling.kernel_expansion]) and
    $\beta_d$, $\gamma_d$ by quadrature
    ([`beta_d`][memlab.theory.kernel_scaling.beta_d],
    [`gamma_d`][memlab.theory.kernel_scaling.gamma_d]) for the cutoff R that
    [`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient] uses, with the
    same default scale $\sqrt d$. It is the value the Monte Carlo quotient is compared with.

    The expansion holds for $\sigma$ small against the distance between training points
    (about $\sqrt{2d}$) and, for the Laplace and Gaussian kernels, for
    $\sigma\sqrt{2d}$ small against ``ell``. Beyond it the measured quotient falls below
    the prediction: Laplace kernel, ell = 1, d = 16, P = 16, ratio 0.977 at
    $\sigma$ = 0.003 and 0.57 at $\sigma$ = 0.1.

    Parameters
    ----------
    kernel : {"laplace", "gaussian", "ntk", "nngp"}
        The kernel.
    P : int
        Number of training points, >= 1.
    sigma : float
        Noise level, > 0.
    d : int
        Dimension, >= 1.
    ell : float, default 1.0
        Length scale of the Laplace and Gaussian kernels (unused by the ReLU kernels), > 0.
    cutoff : {"one", "exp", "gauss"}, default "gauss"
        The radial cutoff R: 1, $e^{-r/s}$ or $e^{-r^2/(2s^2)}$.
    cutoff_scale : float, optional
        The cutoff's scale s, > 0; default $\sqrt d$.

    Returns
    -------
    float
        The predicted eigenvalue $\lambda_i$ (> 0).

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a non-integer ``P``).
    ValueError
        If ``kernel`` or ``cutoff`` is not one of the names above, or a number is out of
        its range.

    References
    ----------
    Favero et al. (2025), App. G, eq. 22.

    Examples
    --------
    >>> lam = predicted_eigenvalue("laplace", 16, 0.01, 16, ell=10.0)
    >>> f"{lam:.4g}"
    '1.087e-05'
    >>> bool(abs(predicted_eigenvalue("laplace", 32, 0.01, 16, ell=10.0) / lam - 0.5) < 1e-12)
    True
    """
    from memlab.theory.kernel_scaling import beta_d, gamma_d, kernel_expansion
    P, sigma, d, ell = _check_setting(kernel, P, sigma, d, ell)
    _cutoff_code(cutoff)
    if cutoff_scale is not None:
        cutoff_scale = check_positive_real("cutoff_scale", cutoff_scale)
    C, nu = kernel_expansion(kernel, d, ell=ell)
    R = cutoff_function(cutoff, np.sqrt(d) if cutoff_scale is None else cutoff_scale)
    return -C * beta_d(d, nu, R) / gamma_d(d, R) * sigma**nu / P


def cutoff_function(cutoff: str, scale: float = 1.0) -> Callable[[np.ndarray], np.ndarray]:
    r"""The numpy version of a named radial cutoff R(r).

    ``"one"``: $R = 1$; ``"exp"``: $R(r) = e^{-r/s}$; ``"gauss"``:
    $R(r) = e^{-r^2/(2 s^2)}$, with s = ``scale``. The cutoff localises the function
    $\psi_i(x) = (x - x_i) R(\|x - x_i\|/\sigma)$ of Favero et al. (2025), App. G;
    the result can be passed as ``R`` to
    [`memlab.theory.kernel_scaling.beta_d`][memlab.theory.kernel_scaling.beta_d] and
    [`gamma_d`][memlab.theory.kernel_scaling.gamma_d].

    Parameters
    ----------
    cutoff : {"one", "exp", "gauss"}
        The cutoff's name.
    scale : float, default 1.0
        Its scale s, > 0 (unused by ``"one"``).

    Returns
    -------
    callable
        A function of an array of radii r >= 0 returning R(r), an array of the same shape.

    Raises
    ------
    TypeError
        If ``cutoff`` is not a str or ``scale`` not a real number.
    ValueError
        If ``cutoff`` is not one of the names above or ``scale`` is not positive.

    References
    ----------
    Favero et al. (2025), App. G (the cutoff R of eqs. 14 and 20).

    Examples
    --------
    >>> R = cutoff_function("exp", 2.0)
    >>> R(np.array([0.0, 2.0]))
    array([1.        , 0.36787944])
    >>> cutoff_function("one")(np.zeros(2))
    array([1., 1.])
    """
    code = _cutoff_code(cutoff)
    scale = check_positive_real("scale", scale)
    if code == 0:
        return lambda r: np.ones_like(r)
    if code == 1:
        return lambda r: np.exp(-r / scale)
    return lambda r: np.exp(-0.5 * (r / scale) ** 2)


def monte_carlo_constants(d: int, nu: float, *, cutoff: str = "one", scale: float = 1.0,
                          n_samples: int = 1_000_000, seed: Generator | int | None = None,
                          chunk: int = 100_000) -> MCConstants:
    r"""Monte Carlo estimates of $\beta_d(R,\nu)$ and $\gamma_d(R)$ (Favero et al. 2025, eqs. 14, 20).

    For $u, v$ i.i.d. $\mathcal N(0, I_d)$,

    $$
    \beta_d(R, \nu) = \mathbb E\big[(u\cdot v)\,R(\|u\|)R(\|v\|)\,\|u - v\|^\nu\big],
    \qquad \gamma_d(R) = \mathbb E\big[\|u\|^2 R(\|u\|)^2\big],
    $$

    the constants of the eigenvalue prediction eq. 22; a check of the closed form
    (R = 1) and of the quadrature of
    [`memlab.theory.kernel_scaling.beta_d`][memlab.theory.kernel_scaling.beta_d]. The
    integrands depend on the pair (u, v) only through $\|u\|$, $u\cdot v$ and
    $\|v\|$, so by rotation invariance each pair is drawn exactly in distribution from
    three independent variables instead of 2d normals: $\|u\|^2 \sim \chi^2_d$,
    $v_1 = v\cdot u/\|u\| \sim \mathcal N(0, 1)$ and
    $\|v\|^2 - v_1^2 \sim \chi^2_{d-1}$, with $u\cdot v = \|u\| v_1$ and
    $\|u - v\|^2 = (\|u\| - v_1)^2 + \|v\|^2 - v_1^2$. Samples are drawn with numpy
    in chunks (reproducible for a fixed seed); the per-sample products and their squares
    are reduced by a numba kernel, and the standard errors are those of the sample
    means.

    Cost: O(n_samples) time whatever d, O(chunk) memory; measured 0.12 s per 10^6
    samples at d = 1 to 64 once compiled (2 shared cores; drawing 2d normals per pair
    took 3.4 s at d = 64). The first call in a fresh environment compiles the kernel.

    Parameters
    ----------
    d : int
        Dimension, >= 1 (at most `MAX_CHUNK_ELEMENTS`).
    nu : float
        Exponent $\nu$ > 0 of the kernel's expansion (1: Laplace, NTK; 2: Gaussian, NNGP).
    cutoff : {"one", "exp", "gauss"}, default "one"
        The radial cutoff R (see
        [`cutoff_function`][memlab.verification.kernel_scaling.cutoff_function]).
    scale : float, default 1.0
        The cutoff's scale, > 0.
    n_samples : int, default 1,000,000
        Number of pairs $(u, v)$, >= 2 (at most `MAX_SAMPLES`).
    seed : Generator, int or None
        Random seed or generator.
    chunk : int, default 100,000
        Pairs drawn at once; ``chunk * d`` is at most `MAX_CHUNK_ELEMENTS`.

    Returns
    -------
    MCConstants
        The estimates, their standard errors, ``n_samples`` and ``seed``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a count or ``nu`` is out of range, ``cutoff`` is unknown, or ``nu`` is so large
        that $\|u - v\|^\nu$ overflows a float.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 14 and 20; R = 1 closed forms eqs. 25-37.

    Examples
    --------
    >>> r = monte_carlo_constants(8, 1, n_samples=20000, seed=0)
    >>> abs(r.gamma - 8) < 5 * r.gamma_stderr              # gamma_d(1) = d
    True
    >>> from memlab.theory.kernel_scaling import beta_d
    >>> bool(abs(r.beta - beta_d(8, 1)) < 5 * r.beta_stderr)
    True
    """
    d = check_count("d", d, MAX_CHUNK_ELEMENTS)
    nu = check_positive_real("nu", nu)
    code = _cutoff_code(cutoff)
    scale = check_positive_real("scale", scale)
    n_samples = check_count("n_samples", n_samples, MAX_SAMPLES, minimum=2)
    chunk = check_count("chunk", chunk, max(1, MAX_CHUNK_ELEMENTS // d))
    rng = check_rng(seed)
    tot = np.zeros(4)
    for b0 in range(0, n_samples, chunk):
        m = min(chunk, n_samples - b0)
        uu = rng.chisquare(d, m)               # |u|^2
        v1 = rng.standard_normal(m)            # v along u
        rest = rng.chisquare(d - 1, m) if d > 1 else np.zeros(m)    # |v|^2 - v1^2
        tot += _constants_radial(uu, v1, rest, nu, code, scale).sum(axis=0)
        if not np.all(np.isfinite(tot)):
            raise ValueError(f"nu must be small enough that |u - v|^nu and its square fit a "
                             f"float at d = {d}, got {nu!r}")
    n = n_samples
    b, g = tot[0] / n, tot[2] / n
    b_se = np.sqrt(max(tot[1] / n - b * b, 0.0) / (n - 1))
    g_se = np.sqrt(max(tot[3] / n - g * g, 0.0) / (n - 1))
    return MCConstants(float(b), float(b_se), float(g), float(g_se), n, seed)


# ----------------------------------------------------------------------------
# Rayleigh quotients from samples of p_sigma
# ----------------------------------------------------------------------------


def _kernel_parts(kernel, A, B, d, ell):
    """K(x, y) = a(x) a(y) k(x, y) between rows of A and B: returns a(A), a(B) and k - 1.

    Laplace and Gaussian kernels: a = 1, k = kappa(r). Dot-product kernels
    (ReLU NTK / NNGP, normalised so that K(x, x) = |x|^2/d): a(x) = |x|/sqrt(d)
    and k the angular part, with k(0) = 1.
    """
    if kernel in ("laplace", "gaussian"):
        r2 = np.maximum((A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T, 0.0)
        km1 = np.expm1(-np.sqrt(r2) / ell) if kernel == "laplace" else np.expm1(-0.5 * r2 / ell**2)
        return np.ones(len(A)), np.ones(len(B)), km1
    na, nb = np.linalg.norm(A, axis=1), np.linalg.norm(B, axis=1)
    cos = np.clip((A @ B.T) / (na[:, None] * nb[None, :]), -1.0, 1.0)
    th = np.arccos(cos)
    k1 = (np.sin(th) + (np.pi - th) * cos) / np.pi
    k = k1 if kernel == "nngp" else 0.5 * (k1 + cos * (np.pi - th) / np.pi)
    return na / np.sqrt(d), nb / np.sqrt(d), k - 1.0


def _gram(kernel, A, B, d, ell):
    """Kernel matrix K(A_i, B_j)."""
    a, b, km1 = _kernel_parts(kernel, A, B, d, ell)
    return np.outer(a, b) * (km1 + 1.0)


def _check_setting(kernel, P, sigma, d, ell):
    check_choice("kernel", kernel, KERNELS)
    return (check_positive_int("P", P), check_positive_real("sigma", sigma),
            check_positive_int("d", d), check_positive_real("ell", ell))


def _batch_size(name, P, n0, n1):
    """Samples of one Rayleigh-quotient batch; a ValueError naming ``name`` above MAX_BATCH."""
    size = max(2, n0 // 8) + (P - 1) * max(2, n1 // 8)
    if size > MAX_BATCH:
        raise ValueError(f"{name} must keep n_centre/8 + (P - 1) n_other/8 <= {MAX_BATCH} "
                         f"samples per batch, got n_centre = {n0}, n_other = {n1}, P = {P}")
    return size


def _pair_sums_dense(kernel, S, psi, st, counts, a0, P, d, ell):
    """Reference for `_pair_sums`: the same double sum with dense S x S matrices.

    The implementation [`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient] used before the blocked sum; kept to test
    against (O(S^2) memory, about 7 S x S float64 arrays at once).
    """
    w = 1.0 / (P * counts[st])                          # stratum weight per sample
    same = st[:, None] == st[None, :]
    corr = np.where(same, counts[st][:, None] / (counts[st][:, None] - 1.0), 1.0)
    W = w[:, None] * w[None, :] * corr
    np.fill_diagonal(W, 0.0)                            # U-statistics: distinct pairs
    amp, _, km1 = _kernel_parts(kernel, S, S, d, ell)
    G = psi @ psi.T
    num = (G * np.outer(amp, amp) * km1 * W).sum()
    b = amp - np.where(st == 0, a0, 0.0)
    num += (G * np.outer(b, b) * W).sum()
    return num


def _pair_sums(kernel, S, psi, st, counts, a0, P, d, ell):
    r"""Numerator of the Rayleigh quotient of one batch, summed over pairs in row blocks.

    $$
    \sum_{i \ne j} W_{ij}\,(\psi_i\cdot\psi_j)\,[a_i a_j (k_{ij} - 1) + b_i b_j],
    \qquad W_{ij} = w_i w_j\,(c/(c - 1))^{[s_i = s_j]},
    $$

    with $w_i = 1/(P c_{s_i})$ the weight of sample i in its stratum $s_i$ of
    $c_{s_i}$ samples, $a_i = a(S_i)$ and $b_i = a_i - a(x_0)[s_i = 0]$.
    Every summand is computed as in `_pair_sums_dense`, with the same floating-point
    operations in the same order; the terms are symmetric in i, j, so only the blocks on and
    above the diagonal are formed and those above it counted twice. Only the order of the
    additions differs, so the sums agree with the dense ones to rounding.

    Cost: S^2/2 + O(S B) pair terms of O(d) operations each (S samples, B = _BLOCK/S rows
    per block); O(_BLOCK + S d) memory, linear in S.
    """
    n = len(S)
    cnt = counts[st]
    w = 1.0 / (P * cnt)
    corr_row = cnt / (cnt - 1.0)                        # c/(c - 1) of each sample's stratum
    dot_kernel = kernel not in ("laplace", "gaussian")  # a = 1 otherwise: a_i a_j = 1 exactly
    rows = max(1, min(n, _BLOCK // max(n, 1)))
    centre = st == 0
    num1 = num2 = 0.0
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        J = slice(i0, n)                                # this block's rows against columns >= i0
        amp_i, amp_j, km1 = _kernel_parts(kernel, S[i0:i1], S[J], d, ell)
        G = psi[i0:i1] @ psi[J].T
        same = st[i0:i1, None] == st[None, J]
        W = w[i0:i1, None] * w[None, J] * np.where(same, corr_row[i0:i1, None], 1.0)
        k = np.arange(i1 - i0)
        W[k, k] = 0.0                                   # U-statistics: distinct pairs
        # ((G a a') (k - 1)) W and (G b b') W, multiplied in the dense version's order
        t = G * np.outer(amp_i, amp_j) if dot_kernel else G.copy()
        t *= km1
        t *= W
        num1 += t[:, :i1 - i0].sum() + 2.0 * t[:, i1 - i0:].sum()
        t = np.multiply(G, np.outer(amp_i - np.where(centre[i0:i1], a0, 0.0),
                                    amp_j - np.where(centre[J], a0, 0.0)), out=t)
        t *= W
        num2 += t[:, :i1 - i0].sum() + 2.0 * t[:, i1 - i0:].sum()
    return num1 + num2


@dataclass(frozen=True)
class RayleighQuotient(Result):
    """Estimated eigenvalue of a local function, made by
    [`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient].

    Attributes
    ----------
    estimate : float
        The Rayleigh quotient, mean over 8 independent batches.
    stderr : float
        Its standard error (spread of the batches).
    n_samples : int
        Mixture samples drawn in all.
    n_kept : int
        Samples where the local function is not negligible (those near the centre plus any
        from overlapping components).
    seed : int or None
        The random seed, as recorded by `memlab._results.seed_record`.
    """

    estimate: float
    stderr: float
    n_samples: int
    n_kept: int
    seed: object


def rayleigh_quotient(kernel: str, P: int, sigma: float, d: int, *, ell: float = 1.0,
                      cutoff: str = "gauss", cutoff_scale: float | None = None,
                      n_centre: int = 4000, n_other: int = _N_OTHER,
                      data: ArrayLike | None = None,
                      seed: Generator | int | None = None) -> RayleighQuotient:
    r"""Rayleigh quotient $\langle\psi_0, K\psi_0\rangle/\|\psi_0\|^2$ in $L_2(p_\sigma)$.

    $p_\sigma = \frac1P\sum_j\mathcal N(x_j, \sigma^2 I_d)$ with training
    points $x_j \sim \mathcal N(0, I_d)$ (or ``data``), and
    $\psi_0(x) = (x - x_0)R(\|x - x_0\|/\sigma)$; the cutoff's scale defaults to
    $\sqrt d$, the typical radius of $u = (x - x_0)/\sigma$ (a scale of 1
    would cut off the typical region in high d and leave only atypical samples). Both integrals over the
    whole mixture are estimated by stratified sampling: ``n_centre`` samples
    of the component of $x_0$ and ``n_other`` of every other one, each
    stratum weighted 1/P (within-stratum pairs as U-statistics). Samples where
    $\psi_0$ is below 1e-14 of its maximum are dropped (their
    contribution is below double precision).

    The kernel is written $K(x,y) = a(x)a(y)k(x,y)$ with $k = 1$ on
    the diagonal (a = 1 for Laplace and Gaussian kernels,
    $a = \|x\|/\sqrt d$ for the dot-product ReLU kernels), and
    $\langle\psi,K\psi\rangle = \langle\psi, aa'(k-1)\psi\rangle + |\langle\psi,a\rangle|^2$;
    in the second term $a(x_0)\,\mathbb E_{\rm centre}[\psi_0] = 0$ exactly
    ($\psi_0$ is odd about $x_0$) and is removed, which takes out a
    noise term far larger than the eigenvalue. The standard error comes from
    8 independent batches.

    Cost: per batch of S = n_centre/8 + (P - 1) n_other/8 samples (at most
    `MAX_BATCH`), O(S d) to draw them and O(K^2 d) for the pairs of the K <= S kept
    ones, summed in blocks of `_BLOCK` pairs (each pair once, by symmetry), so memory
    is O(S d + _BLOCK): linear in P and in the sample counts. K = S once sigma is large
    enough for every component to reach the cutoff of psi_0 (e.g. sigma = 0.25 at d = 16),
    and K is about n_centre/8 for small sigma. Measured with every sample kept (Laplace,
    d = 16, sigma = 0.25, default counts, one BLAS thread, 2 shared cores): 23 s and a
    20 MB peak at P = 1000 (S = 8492; the earlier dense sum took 97 s and 3.0 GB), 184 s and
    31 MB at P = 3000.

    Parameters
    ----------
    kernel : {"laplace", "gaussian", "ntk", "nngp"}
        The kernel K.
    P : int
        Number of training points, >= 1.
    sigma : float
        Noise level of the mixture, > 0.
    d : int
        Dimension, >= 1.
    ell : float, default 1.0
        Length scale of the Laplace and Gaussian kernels, > 0.
    cutoff : {"one", "exp", "gauss"}, default "gauss"
        The radial cutoff R of $\psi_0$.
    cutoff_scale : float, optional
        Its scale, > 0; default $\sqrt d$.
    n_centre : int, default 4000
        Samples of the component of $x_0$ (in 8 batches), >= 16.
    n_other : int, default 64
        Samples of every other component (in 8 batches), >= 2.
    data : array (P, d), optional
        The training points; default P fresh points from $\mathcal N(0, I_d)$.
    seed : Generator, int or None
        Random seed or generator.

    Returns
    -------
    RayleighQuotient
        The estimate, its standard error and the sample counts.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``kernel`` or ``cutoff`` is unknown, a number is out of range, ``data`` does not
        have shape (P, d), or one batch would exceed `MAX_BATCH` samples.

    References
    ----------
    Favero et al. (2025), App. G: the local functions $\psi_i$ and their eigenvalue
    eq. 22 (see [`predicted_eigenvalue`][memlab.verification.kernel_scaling.predicted_eigenvalue]).

    Examples
    --------
    >>> q = rayleigh_quotient("laplace", 8, 0.05, 16, n_centre=400, seed=0)
    >>> q.estimate > 0
    True
    >>> q.n_samples                       # 8 batches of 50 + 7 x 8 samples
    848
    """
    P, sigma, d, ell = _check_setting(kernel, P, sigma, d, ell)
    code = _cutoff_code(cutoff)
    n0 = check_count("n_centre", n_centre, 8 * MAX_BATCH, minimum=16)
    n1 = check_count("n_other", n_other, 8 * MAX_BATCH, minimum=2)
    size = _batch_size("n_other", P, n0, n1)
    check_allocation("d", (size, d))                    # the samples of one batch
    if cutoff_scale is not None:
        cutoff_scale = check_positive_real("cutoff_scale", cutoff_scale)
    rng = check_rng(seed)
    X = rng.standard_normal((P, d)) if data is None else check_array("data", data, ndim=2)
    if X.shape != (P, d):
        raise ValueError(f"data must have shape ({P}, {d}), got {X.shape}")
    R = cutoff_function(CUTOFFS[code], np.sqrt(d) if cutoff_scale is None else cutoff_scale)
    return _rayleigh_quotient(kernel, P, sigma, d, ell, R, n0, n1, X, rng, seed)


def _rayleigh_quotient(kernel, P, sigma, d, ell, R, n0, n1, X, rng, seed, pair_sums=_pair_sums):
    """[`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient] on checked values (``R`` the cutoff, ``X`` the P points).

    ``pair_sums`` is `_pair_sums` or, for tests and benchmarks, the dense reference
    `_pair_sums_dense`; both see the same random numbers.
    """
    batches = 8
    m0, m1 = max(2, n0 // batches), max(2, n1 // batches)
    counts = np.array([m0] + [m1] * (P - 1))
    strata = np.repeat(np.arange(P), counts)
    a0 = _kernel_parts(kernel, X[:1], X[:1], d, ell)[0][0]   # a(x_0)
    vals, kept_total = [], 0
    for _ in range(batches):
        S = X[strata] + sigma * rng.standard_normal((strata.size, d))
        diff = S - X[0]
        psi = diff * R(np.linalg.norm(diff, axis=1) / sigma)[:, None]
        mag = np.abs(psi).max(axis=1)
        keep = mag > 1e-14 * mag.max()
        kept_total += int(keep.sum())
        Sk, pk, st = S[keep], psi[keep], strata[keep]
        # |<psi, a>|^2 enters with a(x_0) E_centre[psi] = 0 removed exactly (psi is odd about x_0)
        num = pair_sums(kernel, Sk, pk, st, counts, a0, P, d, ell)
        w = 1.0 / (P * counts[st])                          # stratum weight per sample
        den = (w * (pk * pk).sum(axis=1)).sum()
        vals.append(num / den)
    vals = np.array(vals)
    return RayleighQuotient(float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(batches)),
                            batches * int(counts.sum()), kept_total, seed)


@dataclass(frozen=True)
class ScalingFit(Result):
    """Fitted exponents of the eigenvalue in sigma (at fixed P) and in P (at fixed sigma).

    Made by [`fit_eigenvalue_scaling`][memlab.verification.kernel_scaling.fit_eigenvalue_scaling].

    Attributes
    ----------
    sigma_fit, P_fit : PowerLawFit
        Power-law fits ([`memlab.theory.metrics.PowerLawFit`][memlab.theory.metrics.PowerLawFit])
        of the eigenvalue against ``sigmas`` (at ``P_fixed``) and against ``P_values``
        (at ``sigma_fixed``).
    sigmas : numpy.ndarray
        The noise levels of the first scan.
    eig_sigma : tuple of RayleighQuotient
        The quotients at ``sigmas``.
    P_values : numpy.ndarray
        The training-set sizes of the second scan.
    eig_P : tuple of RayleighQuotient
        The quotients at ``P_values``.
    kernel, d, P_fixed, sigma_fixed, ell, n_centre, seed
        The setting (None in a fit built without them): kernel name, dimension, the P of
        the sigma scan, the sigma of the P scan, the kernel's length scale, the centre
        samples per quotient and the random seed.
    """

    sigma_fit: PowerLawFit
    P_fit: PowerLawFit
    sigmas: np.ndarray
    eig_sigma: tuple
    P_values: np.ndarray
    eig_P: tuple
    kernel: str | None = None
    d: int | None = None
    P_fixed: int | None = None
    sigma_fixed: float | None = None
    ell: float | None = None
    n_centre: int | None = None
    seed: object = None


def fit_eigenvalue_scaling(kernel: str, d: int, *, sigmas: ArrayLike, P_fixed: int,
                           P_values: ArrayLike, sigma_fixed: float, ell: float = 1.0,
                           n_centre: int = 4000,
                           seed: Generator | int | None = None) -> ScalingFit:
    r"""Rayleigh quotients over a range of $\sigma$ and of P, with power-law fits.

    Prediction (Favero et al. 2025, eq. 23): $\lambda_i \propto \sigma^\nu/P$, i.e.
    exponent $\nu$ in $\sigma$ (1 for Laplace and the NTK, 2 for the Gaussian and NNGP
    kernels) and -1 in P, for $\sigma$ small against the distance between training
    points (about $\sqrt{2d}$) and against the kernel's length scale. The sigma scan
    uses one set of ``P_fixed`` training points; every P of the P scan draws its own.
    Each fit weights the quotients by their standard errors
    ([`fit_power_law`][memlab.theory.metrics.fit_power_law]).

    Cost: one [`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient] per sigma and per P, each 8 batches of
    at most O(S_P^2 d) time and O(S_P d) memory, S_P = n_centre/8 + 8 (P - 1) samples per
    batch: O((len(sigmas) S_{P_fixed}^2 + sum_P S_P^2) d) time in all; about 1.8 s
    for the Laplace kernel, d = 16, 3 sigmas at P_fixed = 8, P = 4, 8, 16.

    Parameters
    ----------
    kernel : {"laplace", "gaussian", "ntk", "nngp"}
        The kernel.
    d : int
        Dimension, >= 1.
    sigmas : array_like
        Noise levels of the sigma scan, > 0: at least 3 values, 2 of them distinct.
    P_fixed : int
        Training-set size of the sigma scan, >= 1.
    P_values : array_like of int
        Training-set sizes of the P scan, >= 1: at least 3 values, 2 of them distinct.
    sigma_fixed : float
        Noise level of the P scan, > 0.
    ell : float, default 1.0
        Length scale of the Laplace and Gaussian kernels, > 0.
    n_centre : int, default 4000
        Centre samples of every quotient, >= 16.
    seed : Generator, int or None
        Random seed or generator (one stream for the whole scan).

    Returns
    -------
    ScalingFit
        Both fits, the quotients they were fitted to, and the setting.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a scan has fewer than 3 values (2 distinct), a number is out of range, a batch
        would exceed `MAX_BATCH` samples, or a quotient is not positive (sigma outside the
        local regime).

    References
    ----------
    Favero et al. (2025), App. G, eqs. 22-23.

    Examples
    --------
    >>> fit = fit_eigenvalue_scaling("gaussian", 8, sigmas=[0.002, 0.004, 0.008], P_fixed=4,
    ...                              P_values=[2, 4, 8], sigma_fixed=0.004, n_centre=200,
    ...                              seed=0)
    >>> bool(fit.sigma_fit.ci_low < 2 < fit.sigma_fit.ci_high)       # sigma^nu, nu = 2
    True
    >>> bool(fit.P_fit.ci_low < -1 < fit.P_fit.ci_high)              # 1/P
    True
    """
    check_choice("kernel", kernel, KERNELS)
    d = check_positive_int("d", d)
    sig = check_array("sigmas", sigmas, ndim=1, lo=0.0, lo_open=True)
    Ps = np.array([check_positive_int("P_values", p) for p in np.atleast_1d(P_values)], dtype=int)
    for name, values in (("sigmas", sig), ("P_values", Ps)):
        if values.size < 3 or np.unique(values).size < 2:     # what fit_power_law needs
            raise ValueError(f"{name} must hold at least 3 values, 2 of them distinct, to fit "
                             f"a power law, got {values.tolist()}")
    P_fixed = check_positive_int("P_fixed", P_fixed)
    sigma_fixed = check_positive_real("sigma_fixed", sigma_fixed)
    _check_setting(kernel, P_fixed, sigma_fixed, d, ell)
    n0 = check_count("n_centre", n_centre, 8 * MAX_BATCH, minimum=16)
    n1 = _N_OTHER                                       # rayleigh_quotient's n_other
    size = max(_batch_size("P_fixed", P_fixed, n0, n1),
               max(_batch_size("P_values", int(p), n0, n1) for p in Ps))
    check_allocation("d", (size, d))                    # the samples of one batch
    rng = check_rng(seed)
    data = rng.standard_normal((int(P_fixed), d))
    eig_s = tuple(rayleigh_quotient(kernel, int(P_fixed), float(s), d, ell=ell,
                                    n_centre=n_centre, data=data, seed=rng)
                  for s in sig)
    eig_p = tuple(rayleigh_quotient(kernel, int(p), float(sigma_fixed), d, ell=ell,
                                    n_centre=n_centre, seed=rng) for p in Ps)
    # a power law needs positive eigenvalues; they are not once sigma leaves the local regime
    for name, value, over, eig in (("sigmas", sig.tolist(), "", eig_s),
                                   ("sigma_fixed", float(sigma_fixed), " over P_values", eig_p)):
        est = [e.estimate for e in eig]
        if min(est) <= 0:
            raise ValueError(f"{name} must be small against the distance between training points "
                             f"and ell, so that the Rayleigh quotients{over} are positive, got "
                             f"{value!r} (estimates {[float(f'{e:.3g}') for e in est]})")
    fs = fit_power_law(sig, [e.estimate for e in eig_s], y_err=[e.stderr for e in eig_s])
    fp = fit_power_law(Ps, [e.estimate for e in eig_p], y_err=[e.stderr for e in eig_p])
    return ScalingFit(fs, fp, sig, eig_s, Ps, eig_p, kernel, d, P_fixed, sigma_fixed, float(ell),
                      n0, seed)


# ----------------------------------------------------------------------------
# Exact kernel gradient flow on the empirical score
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GradientFlow(Result):
    r"""Train and test losses of exact kernel gradient flow, normalised by $d/\sigma^2$.

    Made by [`kernel_gradient_flow`][memlab.verification.kernel_scaling.kernel_gradient_flow].

    Attributes
    ----------
    times : numpy.ndarray
        Gradient-flow times t (increasing, >= 0).
    train_loss, test_loss : numpy.ndarray
        Losses at ``times``, divided by $d/\sigma^2$ (the loss of f = 0, so both start
        near 1).
    tau_mem : float
        The time the train loss has fallen to half its initial value (the local modes are
        learned: the model fits the empirical score) while the test loss has not; NaN
        when not reached inside ``times``.
    tau_gap : float
        The first time test - train exceeds the threshold
        ([`memlab.theory.metrics.memorization_onset`][memlab.theory.metrics.memorization_onset]);
        NaN when not reached.
    tau_predicted : float
        $1/\lambda_i$ from the kernel's expansion
        ([`memlab.theory.kernel_scaling.memorization_time`][memlab.theory.kernel_scaling.memorization_time]).
    P, sigma, d, kernel
        The setting.
    n_samples : int
        Training samples, P m.
    seed : int or None
        The random seed, as recorded by `memlab._results.seed_record`.
    ell, m
        The kernel's length scale and the noisy copies per point (None in a result built
        without them).
    """

    times: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    tau_mem: float
    tau_gap: float
    tau_predicted: float
    P: int
    sigma: float
    d: int
    kernel: str
    n_samples: int
    seed: object
    ell: float | None = None
    m: int | None = None


def kernel_gradient_flow(kernel: str, P: int, sigma: float, d: int, *, ell: float = 1.0,
                         m: int = 16, threshold: float = 0.5, times: ArrayLike | None = None,
                         seed: Generator | int | None = None) -> GradientFlow:
    r"""Exact gradient flow of kernel regression on the empirical score at fixed $\sigma$.

    Training data: $x_j \sim \mathcal N(0, I_d)$, j = 1..P, and m noisy
    copies $X = x_j + \sigma z$ of each, with the denoising targets
    $-z/\sigma$ (equal to the empirical score when the components do not
    overlap). The model $f = \sum_s \alpha_s K(\cdot, X_s)$ starts at 0
    and follows $\dot f = -\frac1n G(f - y)$ on the n = P m samples, so
    in the eigenbasis of the Gram matrix G every mode relaxes as
    $1 - e^{-t g_k/n}$: train loss and predictions are exact at every t.
    The test loss uses fresh population points and noise with the same
    construction (their local targets cannot be learned from the training
    set). Both losses start at $d/\sigma^2$ (normalised to 1); the train
    loss drops when the local modes, of eigenvalue
    $\lambda_i \propto \sigma^\nu/P$, are learned. ``tau_mem`` is the
    time it reaches 1/2 (the test loss is above its start by then).

    Measured (Laplace, ell = 10, d = 16, m = 16): ``tau_mem`` scales as
    $P^{0.98}$ and $\sigma^{-1.00}$, at a constant fraction of
    $1/\lambda_i$ (0.11 with m = 16, 0.22 with m = 64 samples per
    point: the prefactor depends on how well the samples resolve the local
    operator, which the scaling argument does not fix). ``tau_gap``, the
    first time the loss gap exceeds ``threshold``, comes earlier and scales as
    $P^{0.65}$: the test loss rises with the norm of the interpolant,
    not only with the local modes.

    ``tau_mem`` is NaN when the train loss does not fall to half its initial value
    inside ``times``, and ``tau_gap`` is NaN when the gap never exceeds ``threshold``
    there (e.g. for a ``sigma`` far outside the local regime, or a large ``threshold``).

    Cost: with n = P m training samples and T = len(times): O(n^3) time for the
    eigendecomposition of the n x n Gram matrix, plus O(n^2 T d) for the predictions at
    the T times (see `_flow_losses`). Memory: the Gram matrix and its eigenvectors,
    2 n^2 floats (the one term quadratic in P: a dense symmetric eigensolver needs both;
    1.6 GB at the bound n = `MAX_GRAM`, checked against the memory budget), plus
    O(n (T + d)) and fixed-size blocks of the cross-Gram matrix and of the dual
    coefficients, linear in P. Measured (Laplace, d = 16, m = 16, 121 times, one BLAS
    thread, 2 shared cores): 0.2-0.3 s at P = 32 (n = 512) and 6-13 s at P = 128
    (n = 2048), with a peak resident memory of 74 MB there (2 n^2 floats are 67 MB; the
    earlier dense version took 168 MB).

    Parameters
    ----------
    kernel : {"laplace", "gaussian", "ntk", "nngp"}
        The kernel.
    P : int
        Number of training points, >= 1.
    sigma : float
        Noise level, > 0.
    d : int
        Dimension, >= 1.
    ell : float, default 1.0
        Length scale of the Laplace and Gaussian kernels, > 0.
    m : int, default 16
        Noisy copies per training point; P m is at most `MAX_GRAM`.
    threshold : float, default 0.5
        Gap (in units of $d/\sigma^2$) that defines ``tau_gap``, > 0.
    times : array_like, optional
        Increasing times >= 0 at which the losses are recorded; default 121 times
        log-spaced over three decades either side of $1/\lambda_i$.
    seed : Generator, int or None
        Random seed or generator.

    Returns
    -------
    GradientFlow
        The loss curves, ``tau_mem``, ``tau_gap``, the predicted $1/\lambda_i$ and the
        setting.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``kernel`` is unknown, a number is out of range, P m exceeds `MAX_GRAM`, the Gram
        matrix does not fit the memory budget, or ``times`` is not increasing.

    References
    ----------
    Favero et al. (2025), App. G, eq. 24 ($\tau_{\rm mem} \sim 1/\lambda_i \propto
    P/\sigma^\nu$).

    Examples
    --------
    >>> r = kernel_gradient_flow("laplace", 8, 0.01, 8, ell=10.0, m=8, seed=0)
    >>> round(float(r.train_loss[0]), 2)         # mean of |z|^2/d over 64 draws: near 1
    0.9
    >>> bool(0.05 < r.tau_mem / r.tau_predicted < 0.3)     # a fixed fraction of 1/lambda_i
    True
    """
    from memlab.theory.kernel_scaling import kernel_expansion, memorization_time
    from memlab.theory.metrics import memorization_onset

    P, sigma, d, ell = _check_setting(kernel, P, sigma, d, ell)
    m = check_positive_int("m", m)
    if P * m > MAX_GRAM:
        raise ValueError(f"m must keep P * m <= {MAX_GRAM} samples (dense Gram matrix), "
                         f"got P = {P}, m = {m}")
    check_allocation("P and m", (2, P * m, P * m))          # Gram matrix and its eigenvectors
    check_allocation("P, m and d", (P * m, d))                   # the noisy training samples
    threshold = check_positive_real("threshold", threshold)
    rng = check_rng(seed)
    C, nu = kernel_expansion(kernel, d, ell=ell)
    tau_pred = float(memorization_time(P, sigma, d, nu, C))
    if times is None:
        times = np.logspace(np.log10(tau_pred) - 3, np.log10(tau_pred) + 3, 121)
    times = check_array("times", times, ndim=1, lo=0.0)
    if np.any(np.diff(times) <= 0):
        raise ValueError("times must be increasing")

    def dataset():
        x = rng.standard_normal((P, d))
        z = rng.standard_normal((P, m, d))
        return (x[:, None, :] + sigma * z).reshape(-1, d), (-z / sigma).reshape(-1, d)

    X, Y = dataset()
    Xt, Yt = dataset()
    n = X.shape[0]
    train, test = _flow_losses(kernel, X, Y, Xt, Yt, times, d, ell, d / sigma**2)
    pos = times > 0                                          # onsets are read off in log(t)
    gap_onset = (memorization_onset(times[pos], train[pos], test[pos], threshold)
                 if pos.sum() >= 2 else float("nan"))
    half = first_crossing(times[pos], train[pos], 0.5 * train[0], above=False, log_x=True)
    return GradientFlow(times, train, test, half, gap_onset, tau_pred, P, sigma, d, kernel, n,
                        seed, ell, m)


def _flow_losses_dense(kernel, X, Y, Xt, Yt, times, d, ell, scale):
    """Reference for `_flow_losses`: the same losses with dense n x n matrices.

    The implementation [`kernel_gradient_flow`][memlab.verification.kernel_scaling.kernel_gradient_flow] used before the blocked one; kept to
    test against (about 7 n x n float64 arrays at once: the Gram matrix and the temporaries
    of its construction, the eigendecomposition, the cross-Gram matrix and its product).
    """
    n = X.shape[0]
    g, V = np.linalg.eigh(_gram(kernel, X, X, d, ell))
    g = np.maximum(g, 0.0)
    c = V.T @ Y                                             # (n, d) target in the eigenbasis
    Kt = _gram(kernel, Xt, X, d, ell) @ V                    # test features in the eigenbasis
    train, test = [], []
    for t in times:
        decay = np.exp(-t * g / n)
        train.append(((decay[:, None] * c) ** 2).sum() / n / scale)
        # f_t(Xt) = Kt diag((1 - decay)/g) c  (modes with g = 0 never move)
        coef = np.where(g > 0, -np.expm1(-t * g / n) / np.where(g > 0, g, 1.0), 0.0)
        pred = Kt @ (coef[:, None] * c)
        test.append(((pred - Yt) ** 2).sum() / n / scale)
    return np.array(train), np.array(test)


def _flow_losses(kernel, X, Y, Xt, Yt, times, d, ell, scale):
    r"""Train and test losses of kernel gradient flow at ``times``, divided by ``scale``.

    With $G = V\,\mathrm{diag}(g)\,V^\top$ the Gram matrix of the n training
    samples X, $c = V^\top Y$ and $\dot f = -\frac1n G(f - Y)$ from f = 0:

    $$
    L_{\rm train}(t) = \frac1n \sum_k e^{-2 t g_k/n} |c_k|^2, \qquad
    L_{\rm test}(t) = \frac1n \|K_t\,\alpha(t) - Y_t\|^2, \qquad
    \alpha(t) = V\,\mathrm{diag}\Big(\frac{1 - e^{-t g/n}}{g}\Big) c,
    $$

    with $K_t = K(X_t, X)$ the cross-Gram matrix and $\alpha(t)$ the dual
    coefficients (modes with g = 0 never move). G is filled in row blocks and diagonalised
    in place (LAPACK ``dsyevr`` through `scipy.linalg.eigh`); $\alpha$ is
    formed for a block of times at once, and $K_t$ is never stored: each block of its
    rows is computed and multiplied by $\alpha$ for that block of times.

    Cost: O(n^3) time for the eigendecomposition, plus O(n^2 T d) for the predictions at
    the T times and O(n^2 d) per block of times for the cross-Gram rows (one block when
    n T d <= _ALPHA_BLOCK, about n T d / _ALPHA_BLOCK otherwise). Memory: the n x n Gram
    matrix (used as workspace by the eigensolver) and its n x n eigenvectors, 2 n^2 floats,
    the only quadratic term (a dense symmetric eigensolver needs both), plus O(n (T + d))
    and blocks of _BLOCK and _ALPHA_BLOCK elements.
    """
    import scipy.linalg

    n = X.shape[0]
    rows = max(1, _BLOCK // n)
    G = np.empty((n, n))
    for i0 in range(0, n, rows):
        G[i0:i0 + rows] = _gram(kernel, X[i0:i0 + rows], X, d, ell)
    # G is symmetric, so G.T is the same matrix, Fortran-ordered: LAPACK works in place
    g, V = scipy.linalg.eigh(G.T, overwrite_a=True, check_finite=False, driver="evr")
    del G
    g = np.maximum(g, 0.0)
    c = V.T @ Y                                             # (n, d) target in the eigenbasis
    T = len(times)
    train = np.array([((np.exp(-t * g / n)[:, None] * c) ** 2).sum() for t in times]) / n
    test = np.zeros(T)
    inv_g = np.where(g > 0, 1.0 / np.where(g > 0, g, 1.0), 0.0)
    per = max(1, _ALPHA_BLOCK // (n * Y.shape[1]))          # times per block of alpha
    for t0 in range(0, T, per):
        tb = np.asarray(times[t0:t0 + per])
        coef = -np.expm1(-np.outer(g, tb) / n) * inv_g[:, None]     # (n, len(tb))
        # alpha at these times side by side, (n, len(tb) d)
        alpha = V @ (coef[:, :, None] * c[:, None, :]).reshape(n, -1)
        rows_t = max(1, min(rows, _BLOCK // alpha.shape[1]))  # (rows_t, len(tb) d) predictions
        for r0 in range(0, len(Xt), rows_t):
            pred = _gram(kernel, Xt[r0:r0 + rows_t], X, d, ell) @ alpha
            err = pred.reshape(len(pred), len(tb), -1) - Yt[r0:r0 + rows_t, None, :]
            test[t0:t0 + len(tb)] += (err * err).sum(axis=(0, 2))
    return train / scale, test / n / scale


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------


def _data_ticks(axis, values) -> None:
    """Log-axis ticks at the data values, labelled plainly (8, 16, 32 rather than 10^1)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_major_locator(FixedLocator(sorted({float(v) for v in np.ravel(values)})))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_minor_locator(NullLocator())


def _common(items, attr):
    """The value of ``attr`` shared by every item, or None when they differ or lack it."""
    values = {getattr(it, attr, None) for it in items}
    return values.pop() if len(values) == 1 else None


def _reference_line(ax, x, y, slope, label, **kw) -> None:
    """A line of the given log-log slope through the geometric mean of the points (x, y)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x0, y0 = np.exp(np.mean(np.log(x))), np.exp(np.mean(np.log(y)))
    xs = np.geomspace(x.min(), x.max(), 50)
    ax.plot(xs, y0 * (xs / x0) ** slope, label=label, **kw)


def plot_eigenvalue_scaling(fit: ScalingFit, kernel: str, d: int, *, ell: float | None = None,
                            fig: Figure | None = None) -> Figure:
    r"""Measured Rayleigh quotients against $\sigma$ and P, next to Favero et al. (2025), eq. 22.

    Left: the eigenvalue against $\sigma$ at fixed P; right: against P at fixed
    $\sigma$. Markers are the Monte Carlo quotients with 2 standard errors, dashed lines
    the fitted power laws (slope and standard error in the legend), solid grey lines the
    prediction $\lambda_i = -C\beta_d/\gamma_d\,\sigma^\nu/P$ of
    [`predicted_eigenvalue`][memlab.verification.kernel_scaling.predicted_eigenvalue] (its
    absolute value, not only its slope; a fit that does not record ``P_fixed`` and
    ``sigma_fixed`` gets the predicted slope through its points instead).

    Parameters
    ----------
    fit : ScalingFit
        From [`fit_eigenvalue_scaling`][memlab.verification.kernel_scaling.fit_eigenvalue_scaling].
    kernel : {"laplace", "gaussian", "ntk", "nngp"}
        The kernel of the fit.
    d : int
        The dimension of the fit.
    ell : float, optional
        The kernel's length scale; default the fit's (1.0 for a fit that does not record
        it).
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the two panels; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If ``fit`` is not a ScalingFit or ``fig`` not a Figure.
    ValueError
        If ``kernel``, ``d`` or ``ell`` differ from those the fit records.

    References
    ----------
    Favero et al. (2025), App. G, eqs. 22-23.

    Examples
    --------
    >>> fit = fit_eigenvalue_scaling("gaussian", 8, sigmas=[0.002, 0.004, 0.008], P_fixed=4,
    ...                              P_values=[2, 4, 8], sigma_fixed=0.004, n_centre=200,
    ...                              seed=0)
    >>> fig = plot_eigenvalue_scaling(fit, "gaussian", 8)
    >>> len(fig.axes)
    2
    """
    from memlab.theory.kernel_scaling import kernel_expansion
    from memlab.verification._plotting import figure_for

    check_instance("fit", fit, ScalingFit)
    check_choice("kernel", kernel, KERNELS)
    d = check_positive_int("d", d)
    if fit.kernel is not None and kernel != fit.kernel:
        raise ValueError(f"kernel must be the kernel of the fit, {fit.kernel!r}, got {kernel!r}")
    if fit.d is not None and d != fit.d:
        raise ValueError(f"d must be the dimension of the fit, {fit.d}, got {d}")
    if ell is None:
        ell = 1.0 if fit.ell is None else float(fit.ell)
    else:
        ell = check_positive_real("ell", ell)
        if fit.ell is not None and ell != fit.ell:
            raise ValueError(f"ell must be the ell of the fit, {fit.ell!r}, got {ell!r}")
    fig = figure_for(fig, figsize=(10.0, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    nu = kernel_expansion(kernel, d, ell=ell)[1]
    nu_txt = f"{nu:g}"
    panels = ((ax1, np.asarray(fit.sigmas, dtype=float), fit.eig_sigma, fit.sigma_fit, nu,
               r"noise level $\sigma$", rf"$\lambda_i \propto \sigma^{{{nu_txt}}}$",
               f"against $\\sigma$, P = {fit.P_fixed}" if fit.P_fixed else "against $\\sigma$"),
              (ax2, np.asarray(fit.P_values, dtype=float), fit.eig_P, fit.P_fit, -1.0,
               "training-set size P", r"$\lambda_i \propto 1/P$",
               f"against P, $\\sigma$ = {fit.sigma_fixed:g}" if fit.sigma_fixed else
               "against P"))
    for k, (ax, x, eig, pfit, slope, xlabel, law, title) in enumerate(panels):
        e = np.array([q.estimate for q in eig])
        se = np.array([q.stderr for q in eig])
        ax.errorbar(x, e, yerr=2 * se, fmt="o", ms=4, capsize=2, color="C0", zorder=3,
                    label=r"Monte Carlo ($\pm 2$ s.e.)")
        xs = np.geomspace(x.min(), x.max(), 50)
        if fit.P_fixed is not None and fit.sigma_fixed is not None:
            if k == 0:
                pred = predicted_eigenvalue(kernel, fit.P_fixed, 1.0, d, ell=ell) * xs**nu
            else:
                pred = predicted_eigenvalue(kernel, 1, fit.sigma_fixed, d, ell=ell) / xs
            ax.plot(xs, pred, "-", color="0.45", lw=2, alpha=0.8,
                    label=f"theory, eq. 22: {law}")
        else:
            _reference_line(ax, x, e, slope, f"theory slope {slope:g}: {law}", color="0.45",
                            lw=2, alpha=0.8)
        ax.plot(xs, pfit.prefactor * xs**pfit.exponent, "--", color="C1",
                label=f"fit: slope {pfit.exponent:.3f} $\\pm$ {pfit.stderr:.3f}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _data_ticks(ax.xaxis, x)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"eigenvalue $\lambda_i$")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
    setting = [f"{kernel} kernel", f"d = {d}"]
    if kernel in ("laplace", "gaussian"):
        setting.append(f"ell = {ell:g}")
    if fit.n_centre is not None:
        setting.append(f"{fit.n_centre} centre samples per point")
    if isinstance(fit.seed, (int, np.integer)):
        setting.append(f"seed {fit.seed}")
    fig.suptitle("Local eigenvalue of the kernel operator (Favero et al. 2025, App. G): "
                 + ", ".join(setting), fontsize=10)
    return fig


def plot_gradient_flow(runs: Sequence[GradientFlow], *, ax: Axes | None = None) -> Figure:
    r"""Train (solid) and test (dashed) losses of kernel gradient flow, with $\tau_{\rm mem}$.

    One colour per run. A dot and a dotted vertical line mark the measured
    $\tau_{\rm mem}$ (train loss at half its start); a triangle on the top edge marks the
    predicted $1/\lambda_i$ of Favero et al. (2025), eq. 24. The loss axis is
    logarithmic above 0.01 and linear below, so that the train loss can reach 0. The measured time is a fixed
    fraction of it (about 0.11 at m = 16), the same for every run: the prediction fixes
    the scaling, not the prefactor.

    Parameters
    ----------
    runs : sequence of GradientFlow
        From [`kernel_gradient_flow`][memlab.verification.kernel_scaling.kernel_gradient_flow].
    ax : matplotlib Axes, optional
        Where to draw; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``, or the new one.

    Raises
    ------
    TypeError
        If ``runs`` is not a sequence of GradientFlow or ``ax`` not an Axes.
    ValueError
        If ``runs`` is empty.

    References
    ----------
    Favero et al. (2025), App. G, eq. 24.

    Examples
    --------
    >>> runs = [kernel_gradient_flow("laplace", P, 0.01, 8, ell=10.0, m=8, seed=P)
    ...         for P in (4, 8)]
    >>> fig = plot_gradient_flow(runs)
    >>> len(fig.axes[0].lines) > 4
    True
    """
    import matplotlib
    from matplotlib.lines import Line2D

    from memlab.verification._plotting import axes_for

    runs = check_instances("runs", runs, GradientFlow)
    fig, ax = axes_for(ax, figsize=(6.5, 4.4))
    cmap = matplotlib.colormaps["viridis"]
    top = ax.get_xaxis_transform()
    for i, r in enumerate(runs):
        c = cmap(0.85 * i / max(1, len(runs) - 1))
        ax.plot(r.times, r.train_loss, "-", color=c, label=f"P = {r.P}, $\\sigma$ = {r.sigma:g}")
        ax.plot(r.times, r.test_loss, "--", color=c)
        if np.isfinite(r.tau_mem):
            ax.axvline(r.tau_mem, color=c, ls=":", lw=0.9)
            ax.plot([r.tau_mem], [0.5 * r.train_loss[0]], "o", color=c, ms=4)
        if np.isfinite(r.tau_predicted):
            ax.plot([r.tau_predicted], [1.0], "v", color=c, ms=8, mec="k", mew=0.5,
                    transform=top, clip_on=False, zorder=4)
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1e-2)
    peak = max((float(np.nanmax(np.r_[r.train_loss, r.test_loss])) for r in runs
                if np.size(r.times)), default=1.0)
    ax.set_ylim(0.0, 2.0 * peak if np.isfinite(peak) and peak > 0 else None)
    ax.set_xlabel("gradient-flow time t")
    ax.set_ylabel(r"loss / $(d/\sigma^2)$")
    handles, _ = ax.get_legend_handles_labels()
    k = "k"
    handles += [Line2D([], [], color=k, ls="-", label="train loss"),
                Line2D([], [], color=k, ls="--", label="test loss"),
                Line2D([], [], color=k, ls=":", marker="o", ms=4,
                       label=r"$\tau_{\rm mem}$ (train loss at 1/2)"),
                Line2D([], [], color=k, ls="", marker="v", ms=7,
                       label=r"$1/\lambda_i$ (theory, eq. 24; top edge)")]
    ax.legend(handles=handles, fontsize=7, loc="lower left")
    kernel, d, ell, m = (_common(runs, a) for a in ("kernel", "d", "ell", "m"))
    setting = []
    if kernel is not None:
        setting.append(f"{kernel} kernel")
    if d is not None:
        setting.append(f"d = {d}")
    if ell is not None and kernel in ("laplace", "gaussian"):
        setting.append(f"ell = {ell:g}")
    if m is not None:
        setting.append(f"m = {m} noisy copies per point")
    ax.set_title("Kernel gradient flow on the empirical score"
                 + (f"\n({', '.join(setting)})" if setting else ""), fontsize=10, pad=10)
    return fig


def plot_tau_scaling(P_values: ArrayLike, tau_P: ArrayLike, sigmas: ArrayLike,
                     tau_sigma: ArrayLike, *, nu: float = 1.0, note: str | None = None,
                     fig: Figure | None = None) -> Figure:
    r"""$\tau_{\rm mem}$ against P and against $\sigma$, fitted power laws and the predicted slopes.

    Favero et al. (2025), eq. 24 predicts $\tau_{\rm mem} \propto P/\sigma^\nu$: slope 1
    in P and $-\nu$ in $\sigma$ on log axes. Each panel shows the measured times
    (markers), the fitted power law with its 95% interval (dashed,
    [`fit_power_law`][memlab.theory.metrics.fit_power_law]) and a line of the predicted
    slope through the geometric mean of the points (solid grey): the prefactor is not
    predicted, only the slope.

    Parameters
    ----------
    P_values, tau_P : array_like
        Training-set sizes (> 0) and the memorization times measured at them (> 0), at
        least 3 points.
    sigmas, tau_sigma : array_like
        Noise levels (> 0) and the times measured at them (> 0), at least 3 points.
    nu : float, default 1.0
        The kernel's exponent $\nu$ (1 for the Laplace kernel and the NTK, 2 for the
        Gaussian kernel and the NNGP), > 0.
    note : str, optional
        The setting (kernel, d, the fixed sigma and P, seeds), printed as the figure's
        title; default a generic title.
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the two panels; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the arrays are not positive and finite, a pair differs in length, or a scan
        has fewer than 3 points.

    References
    ----------
    Favero et al. (2025), App. G, eq. 24.

    Examples
    --------
    >>> fig = plot_tau_scaling([4, 8, 16], [1.0, 2.1, 3.9], [0.01, 0.02, 0.04],
    ...                        [4.0, 2.1, 1.0])
    >>> [ax.get_xscale() for ax in fig.axes], fig.axes[0].get_xlabel()
    (['log', 'log'], 'training-set size P')
    """
    from memlab.verification._plotting import figure_for

    data = []
    for xname, x, yname, y in (("P_values", P_values, "tau_P", tau_P),
                               ("sigmas", sigmas, "tau_sigma", tau_sigma)):
        x = check_array(xname, x, ndim=1, lo=0.0, lo_open=True)
        y = check_array(yname, y, ndim=1, lo=0.0, lo_open=True)
        if x.shape != y.shape:
            raise ValueError(f"{yname} must have the length of {xname}, {x.size}, got {y.size}")
        if x.size < 3:
            raise ValueError(f"{xname} must hold at least 3 values to fit a power law, "
                             f"got {x.size}")
        data.append((x, y))
    nu = check_positive_real("nu", nu)
    if note is not None:
        check_instance("note", note, str)
    fig = figure_for(fig, figsize=(10.0, 4.2))
    axes = fig.subplots(1, 2)
    for ax, (x, y), lab, slope, law in zip(
            axes, data, ("training-set size P", r"noise level $\sigma$"), (1.0, -nu),
            (r"$\tau \propto P$", rf"$\tau \propto \sigma^{{-{nu:g}}}$")):
        f = fit_power_law(x, y)
        ax.plot(x, y, "o", color="C0", ms=5, zorder=3, label=r"measured $\tau_{\rm mem}$")
        _reference_line(ax, x, y, slope, f"theory slope {slope:g} (eq. 24): {law}",
                        color="0.45", lw=2, alpha=0.8)
        xs = np.geomspace(x.min(), x.max(), 50)
        ax.plot(xs, f.prefactor * xs**f.exponent, "--", color="C1",
                label=f"fit: slope {f.exponent:.3f} [{f.ci_low:.3f}, {f.ci_high:.3f}] (95%)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _data_ticks(ax.xaxis, x)
        ax.set_xlabel(lab)
        ax.set_ylabel(r"$\tau_{\rm mem}$ (gradient-flow time)")
        ax.legend(fontsize=8)
    fig.suptitle(note if note is not None else
                 r"Memorization time $\tau_{\rm mem} \propto P/\sigma^\nu$ "
                 "(Favero et al. 2025, App. G)", fontsize=10)
    return fig
