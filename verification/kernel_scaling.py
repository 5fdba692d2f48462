r"""Monte Carlo checks of the kernel eigenvalue scaling (seed 000, App. G).

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from memlab._results import Result
from memlab._validation import (check_allocation, check_array, check_instance,
                                check_positive_int, check_positive_real, check_rng)
from memlab.verification._checks import check_choice, check_count
from memlab.theory.kernel_scaling import KERNELS
from memlab.theory.metrics import first_crossing, fit_power_law

__all__ = ["MCConstants", "monte_carlo_constants", "RayleighQuotient", "rayleigh_quotient",
           "GradientFlow", "kernel_gradient_flow",
           "predicted_eigenvalue", "cutoff_function", "ScalingFit", "fit_eigenvalue_scaling",
           "CUTOFFS"]

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


@dataclass(frozen=True)
class MCConstants(Result):
    """Monte Carlo $\\beta_d$ and $\\gamma_d$: estimates, standard errors, ``n_samples``, ``seed``."""

    beta: float
    beta_stderr: float
    gamma: float
    gamma_stderr: float
    n_samples: int
    seed: object


def _cutoff_code(cutoff):
    return CUTOFFS.index(check_choice("cutoff", cutoff, CUTOFFS))


def predicted_eigenvalue(kernel, P, sigma, d, *, ell=1.0, cutoff="gauss", cutoff_scale=None):
    """Seed 000 eq. 22 for the cutoff used by [`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient] (same default scale)."""
    from memlab.theory.kernel_scaling import beta_d, gamma_d, kernel_expansion
    P, sigma, d, ell = _check_setting(kernel, P, sigma, d, ell)
    _cutoff_code(cutoff)
    if cutoff_scale is not None:
        cutoff_scale = check_positive_real("cutoff_scale", cutoff_scale)
    C, nu = kernel_expansion(kernel, d, ell=ell)
    R = cutoff_function(cutoff, np.sqrt(d) if cutoff_scale is None else cutoff_scale)
    return -C * beta_d(d, nu, R) / gamma_d(d, R) * sigma**nu / P


def cutoff_function(cutoff, scale=1.0):
    """The numpy version of a named cutoff, for [`memlab.theory.kernel_scaling.beta_d`][memlab.theory.kernel_scaling.beta_d]."""
    code = _cutoff_code(cutoff)
    scale = check_positive_real("scale", scale)
    if code == 0:
        return lambda r: np.ones_like(r)
    if code == 1:
        return lambda r: np.exp(-r / scale)
    return lambda r: np.exp(-0.5 * (r / scale) ** 2)


def monte_carlo_constants(d, nu, *, cutoff="one", scale=1.0, n_samples=1_000_000, seed=None,
                          chunk=100_000) -> MCConstants:
    r"""Monte Carlo of $\beta_d(R,\nu)$ and $\gamma_d(R)$ (seed 000 eqs. 14, 20).

    Samples are drawn with numpy in chunks (reproducible for a fixed seed);
    the per-sample products and their squares are reduced by a numba kernel.

    Examples
    --------
    >>> r = monte_carlo_constants(8, 1, n_samples=20000, seed=0)
    >>> abs(r.gamma - 8) < 5 * r.gamma_stderr
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
        U = rng.standard_normal((m, d))        # C-contiguous float64 (m, d), as the kernel needs
        V = rng.standard_normal((m, d))
        tot += _constants_kernel(U, V, nu, code, scale).sum(axis=0)
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
    """Estimated eigenvalue of a local function: ``estimate``, ``stderr``, ``n_samples``, ``seed``.

    ``n_kept`` is the number of mixture samples where the local function is
    not negligible (those near the centre plus any from overlapping components).
    """

    estimate: float
    stderr: float
    n_samples: int
    n_kept: int
    seed: object


def rayleigh_quotient(kernel, P, sigma, d, *, ell=1.0, cutoff="gauss", cutoff_scale=None,
                      n_centre=4000, n_other=_N_OTHER, data=None, seed=None) -> RayleighQuotient:
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

    Examples
    --------
    >>> q = rayleigh_quotient("laplace", 8, 0.05, 16, n_centre=400, seed=0)
    >>> q.estimate > 0
    True
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

    ``sigma_fit`` and ``P_fit`` are [`memlab.theory.metrics.PowerLawFit`][memlab.theory.metrics.PowerLawFit];
    ``sigmas``, ``P_values`` and the matching ``eig_sigma``, ``eig_P``
    (RayleighQuotient lists) are kept for plots.
    """

    sigma_fit: object
    P_fit: object
    sigmas: np.ndarray
    eig_sigma: tuple
    P_values: np.ndarray
    eig_P: tuple


def fit_eigenvalue_scaling(kernel, d, *, sigmas, P_fixed, P_values, sigma_fixed, ell=1.0,
                           n_centre=4000, seed=None) -> ScalingFit:
    r"""Rayleigh quotients over a range of $\sigma$ and of P, with power-law fits.

    Prediction (seed 000 eq. 23): exponent $\nu$ in $\sigma$
    (1 for Laplace and the NTK, 2 for the Gaussian and NNGP kernels) and -1
    in P, for $\sigma$ small against the distance between training
    points (about $\sqrt{2d}$) and against the kernel's length scale.

    Cost: one [`rayleigh_quotient`][memlab.verification.kernel_scaling.rayleigh_quotient] per sigma and per P, each 8 batches of
    at most O(S_P^2 d) time and O(S_P d) memory, S_P = n_centre/8 + 8 (P - 1) samples per
    batch: O((len(sigmas) S_{P_fixed}^2 + sum_P S_P^2) d) time in all; about 1.8 s
    for the Laplace kernel, d = 16, 3 sigmas at P_fixed = 8, P = 4, 8, 16.
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
    return ScalingFit(fs, fp, sig, eig_s, Ps, eig_p)


# ----------------------------------------------------------------------------
# Exact kernel gradient flow on the empirical score
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GradientFlow(Result):
    r"""Train and test losses of exact kernel gradient flow, normalised by $d/\sigma^2$.

    Attributes: ``times``, ``train_loss``, ``test_loss`` (arrays); ``tau_mem``,
    the time the train loss has fallen to half its initial value (the local
    modes are learned: the model fits the empirical score) while the test
    loss has not; ``tau_gap``, the first time test - train exceeds the
    threshold ([`memlab.theory.metrics.memorization_onset`][memlab.theory.metrics.memorization_onset]); ``tau_predicted``
    ($1/\lambda_i$ from the kernel's expansion); ``P``, ``sigma``,
    ``d``, ``kernel``, ``n_samples`` (training samples), ``seed``.
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


def kernel_gradient_flow(kernel, P, sigma, d, *, ell=1.0, m=16, threshold=0.5, times=None,
                         seed=None) -> GradientFlow:
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
                        seed)


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


def plot_eigenvalue_scaling(fit: ScalingFit, kernel, d, *, ell=1.0):
    """Measured Rayleigh quotients against sigma and P, with the prediction of seed 000 eq. 22."""
    from matplotlib.figure import Figure

    check_instance("fit", fit, ScalingFit)
    check_choice("kernel", kernel, KERNELS)
    fig = Figure(figsize=(10, 4))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    e = np.array([q.estimate for q in fit.eig_sigma])
    s = np.array([q.stderr for q in fit.eig_sigma])
    ax1.errorbar(fit.sigmas, e, yerr=2 * s, fmt="o", label="Monte Carlo")
    from memlab.theory.kernel_scaling import kernel_expansion
    nu = kernel_expansion(kernel, d, ell=ell)[1]
    ax1.plot(fit.sigmas, e[0] * (fit.sigmas / fit.sigmas[0]) ** nu, "k--",
             label=rf"$\sigma^{nu}$; fitted slope {fit.sigma_fit.exponent:.3f} ± {fit.sigma_fit.stderr:.3f}")
    ax1.set_xscale("log"), ax1.set_yscale("log")
    ax1.set_xlabel(r"noise level $\sigma$"), ax1.set_ylabel(r"eigenvalue $\lambda_i$")
    ax1.legend(fontsize=8)
    e = np.array([q.estimate for q in fit.eig_P])
    s = np.array([q.stderr for q in fit.eig_P])
    ax2.errorbar(fit.P_values, e, yerr=2 * s, fmt="o", label="Monte Carlo")
    ax2.plot(fit.P_values, e[0] * fit.P_values[0] / fit.P_values, "k--",
             label=f"1/P; fitted slope {fit.P_fit.exponent:.3f} ± {fit.P_fit.stderr:.3f}")
    ax2.set_xscale("log"), ax2.set_yscale("log")
    ax2.set_xlabel("training-set size P"), ax2.set_ylabel(r"eigenvalue $\lambda_i$")
    ax2.legend(fontsize=8)
    fig.suptitle(f"Local eigenvalue of the {kernel} kernel, d = {d}")
    fig.tight_layout()
    return fig


def plot_gradient_flow(runs):
    """Train (solid) and test (dashed) losses of kernel gradient flow, tau_mem marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for r in runs:
        line = ax.plot(r.times, r.train_loss, label=f"P={r.P}, sigma={r.sigma:g}")[0]
        ax.plot(r.times, r.test_loss, "--", color=line.get_color())
        ax.axvline(r.tau_mem, color=line.get_color(), ls=":")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1e-2)
    ax.set_xlabel("gradient-flow time t")
    ax.set_ylabel(r"loss / $(d/\sigma^2)$")
    ax.set_title("Kernel gradient flow on the empirical score (dotted: tau_mem)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_tau_scaling(P_values, tau_P, sigmas, tau_sigma):
    """tau_mem against P and against sigma with fitted power laws."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    for k, (x, y, lab) in enumerate(((P_values, tau_P, "training-set size P"),
                                     (sigmas, tau_sigma, r"noise level $\sigma$"))):
        ax = fig.add_subplot(1, 2, k + 1)
        f = fit_power_law(x, y)
        ax.plot(x, y, "o")
        xs = np.asarray(x, dtype=float)
        ax.plot(xs, f.prefactor * xs**f.exponent, "k--",
                label=f"slope {f.exponent:.3f} [{f.ci_low:.3f}, {f.ci_high:.3f}]")
        ax.set_xscale("log"), ax.set_yscale("log")
        ax.set_xlabel(lab), ax.set_ylabel(r"$\tau_{\rm mem}$")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
