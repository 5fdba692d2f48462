r"""Monte Carlo cross-check of the Gaussian-mixture laboratory of Buchanan et al. (2025).

[`simulate_loss_curves`][memlab.verification.gmm.simulate_loss_curves] estimates the exact expected training losses

$$
L_t(\hat x) = \frac1N\sum_{i=1}^N \mathbb E_z
\|\hat x(t, \alpha_t x^i + \sigma_t z) - x^i\|^2
$$

of the generalizing denoiser $\hat x_*$, the memorizing denoiser
$\hat x_{\rm mem}$ and the partially memorizing denoisers
$\hat x_{{\rm pmem},M}$ for every M = 1..N at once, over fresh datasets
and noise draws. Per noisy point, one pass over the N training points with a
running (prefix) log-sum-exp and running weighted sums gives the N partial
memorizers in O(N d): the whole curve costs the same as one M. Terms whose
softmax weight is below $e^{-40}$ times the running maximum are skipped
(their contribution is below double precision), which makes the high-SNR part
of the grid O(N) per point. The kernel (`_accumulate`) takes the logits from
one small product per training point of its noise draws with the data and the
means, and the squared distances $\|x^j - x^i\|^2$ once per dataset; it
updates only the terms that can be kept (recomputing their logits from the
differences $x^j - x^i$ where the product's rounding could matter), treats
draws whose terms are all kept in blocks that share memory loads, and evaluates
$\hat x_*$ by its Gram expansion. It is numba-compiled and parallel over fixed
chunks of training points, with single-threaded products, so results do not
depend on the thread count.

[`simulated_crossover_point`][memlab.verification.gmm.simulated_crossover_point] reads the crossover $M^*$ off the
simulated weighted curves with a bootstrap confidence interval over datasets,
to compare with [`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point].

Figures: [`plot_excess_per_t`][memlab.verification.gmm.plot_excess_per_t] (closed-form excess losses against
simulation, per time), [`plot_weighted_loss_vs_M`][memlab.verification.gmm.plot_weighted_loss_vs_M] (weighted losses against
M, with both crossovers) and [`plot_crossover_curve`][memlab.verification.gmm.plot_crossover_curve] (the closed-form
$M^*/N$ against N, d or K, no simulation).

References: S. Buchanan, D. Pai, Y. Ma, V. De Bortoli, "On the edge of memorization in
diffusion models", NeurIPS 2025 (Buchanan et al. 2025): the laboratory and its
denoisers (Lemma 2.1, eqs. 7-12), the excess losses (Theorems 3.1 and 3.2), the weighted
loss (eq. 6) and the crossover (eq. 14).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (check_allocation, check_array, check_instance, check_NdK,
                                check_positive_int, check_positive_real, check_real, check_rng)
from memlab.theory.gmm import (GMMData, crossover_point, generalizing_excess_loss, loss_weighting,
                               partial_memorization_excess_loss, sample_gmm)
from memlab.verification._checks import check_bool, check_count, check_index
from memlab.theory.metrics import first_crossing
from memlab.theory.schedules import alpha, resolve_timesteps, sigma, snr

if TYPE_CHECKING:                     # matplotlib is imported by the plot functions only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LossCurves",
    "WeightedLossCurves",
    "CrossoverEstimate",
    "ClosedFormAgreement",
    "closed_form_agreement",
    "noisy_point_losses",
    "baseline_point_losses",
    "simulate_loss_curves",
    "simulated_crossover_point",
    "plot_excess_per_t",
    "plot_weighted_loss_vs_M",
    "plot_crossover_curve",
]

_SKIP = 40.0          # skip softmax terms below exp(-_SKIP) times the running maximum
_N_CHUNKS = 64        # fixed work split: results independent of the number of threads
# Reassociation lets LLVM vectorize the dot-product reductions; no nnan/ninf (-inf is used).
_FASTMATH = {"reassoc", "contract"}


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _point_losses(X, means, sigma2, a, s, i, y, w, V, out_pm):
    """Squared errors of x_* and of every prefix memorizer at noisy point y of x^i.

    Fills ``out_pm[M-1] = ||xhat_pmem,M(y) - x^i||^2`` for M = 1..N and returns
    ``||xhat_*(y) - x^i||^2``.
    """
    N, d = X.shape
    K = means.shape[0]
    inv2s2 = 0.5 / (s * s)
    # --- logits of the empirical denoisers
    for j in range(N):
        acc = 0.0
        for k in range(d):
            r = y[k] - a * X[j, k]
            acc += r * r
        w[j] = -acc * inv2s2
    # --- prefix log-sum-exp with running weighted sum V = sum_j e^{w_j - m} (x^j - x^i)
    m = -np.inf
    Z = 0.0
    normsq = 0.0
    for j in range(N):
        wj = w[j]
        if wj > m:
            # new running maximum: rescale the sums by r = e^{m - w_j} (V is
            # uninitialised before the first term, so it is overwritten then)
            r = np.exp(m - wj) if j > 0 else 0.0
            acc = 0.0
            for k in range(d):
                v = (V[k] * r if j > 0 else 0.0) + (X[j, k] - X[i, k])
                V[k] = v
                acc += v * v
            Z = Z * r + 1.0
            m = wj
            normsq = acc
        elif wj - m > -_SKIP:
            e = np.exp(wj - m)
            acc = 0.0
            for k in range(d):
                v = V[k] + e * (X[j, k] - X[i, k])
                V[k] = v
                acc += v * v
            Z += e
            normsq = acc
        out_pm[j] = normsq / (Z * Z)
    # --- generalizing denoiser (equal-weight mixture, variance sigma2)
    var = a * a * sigma2 + s * s
    gmax = -np.inf
    for k in range(K):
        acc = 0.0
        for q in range(d):
            r = y[q] - a * means[k, q]
            acc += r * r
        w[k] = -acc / (2.0 * var)      # reuse w[0:K] (N >= K)
        if w[k] > gmax:
            gmax = w[k]
    Zg = 0.0
    for k in range(K):
        w[k] = np.exp(w[k] - gmax)
        Zg += w[k]
    cy = a * sigma2 / var
    cm = s * s / var / Zg
    loss = 0.0
    for q in range(d):
        acc = 0.0
        for k in range(K):
            acc += w[k] * means[k, q]
        r = cy * y[q] + cm * acc - X[i, q]
        loss += r * r
    return loss


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _accumulate_reference(X, means, sigma2, a, s, Zn):
    """Reference for `_accumulate` (the kernel before the Gram rewrite): same sums,
    with every logit computed as a d-dimensional distance (O(N d) per noisy point)
    and parallel over fixed chunks of noisy points. Kept for the agreement tests and
    the benchmark.
    """
    n_noise, N, d = Zn.shape
    P = n_noise * N
    n_chunks = min(_N_CHUNKS, P)
    gen = np.zeros((n_chunks, 3))
    pm = np.zeros((n_chunks, N))
    pm2 = np.zeros((n_chunks, N))
    gap2 = np.zeros((n_chunks, N))
    for c in numba.prange(n_chunks):
        y = np.empty(d)
        w = np.empty(N)
        V = np.empty(d)
        out = np.empty(N)
        for p in range(c * P // n_chunks, (c + 1) * P // n_chunks):
            r_, i = p // N, p % N
            for k in range(d):
                y[k] = a * X[i, k] + s * Zn[r_, i, k]
            lg = _point_losses(X, means, sigma2, a, s, i, y, w, V, out)
            lm = out[N - 1]
            eg = lg - lm
            gen[c, 0] += eg
            gen[c, 1] += eg * eg
            gen[c, 2] += lm
            for M in range(N):
                e = out[M] - lm
                pm[c, M] += e
                pm2[c, M] += e * e
                g = out[M] - lg
                gap2[c, M] += g * g
    return gen, pm, pm2, gap2


# ----------------------------------------------------------------------------
# Simulation kernel (logits from products, distances once per dataset)
# ----------------------------------------------------------------------------

# Cody and Waite (1980) split of ln 2: k * _LN2_HI is exact for |k| < 2**20.
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_BLOCK = 4            # noisy points of one training point that share the all-kept pass
_WIDE = 300.0         # all-kept pass for logit spans below this (squared weights > e^-600)
_DENSE = 3           # ... and at least N / _DENSE candidate terms (else the selective pass)
_APPROX = 1e-11       # logits from the products are used as they are below this error bound
_U = 2.0 ** -53       # unit roundoff
_BLAS_SINGLE = 1 << 18  # multiply-adds per product call: OpenBLAS stays on the calling thread


@intrinsic
def _as_float64(typingctx, bits):
    """Reinterpret the bits of an int64 as a float64 (no conversion)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen


@numba.njit(cache=True, nogil=True, fastmath={"contract"})
def _exp_nonpos(v):
    """exp(v) for v <= 0 in straight-line code that LLVM vectorizes (libm's exp does not).

    Range reduction v = k ln 2 + r with |r| <= ln(2)/2 (ln 2 split in two words so that
    k ln 2 is exact), exp(r) by its degree-13 Taylor polynomial (truncation below
    2e-18 relative), and 2^k as the product of two exactly built powers of two so
    that results down to the subnormal range stay correct. Arguments below -1000
    give 0 (exp(-1000) underflows). Measured error against numpy's exp: at most
    2.3e-16 relative (about one ulp) on [-700, 0]. No reassociation is allowed here:
    it would merge the two words of ln 2.
    """
    v = max(v, -1000.0)
    ki = np.int64(v * _LOG2E - 0.5)          # round(v / ln 2) for v <= 0
    kf = np.float64(ki)
    r = (v - kf * _LN2_HI) - kf * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    k1 = ki >> 1                              # 2^k = 2^k1 * 2^(k - k1), both normal
    return p * _as_float64((k1 + 1023) << 52) * _as_float64((ki - k1 + 1023) << 52)


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _dataset_terms(X, means):
    """Time-independent quantities of one dataset, shared by the calls of every time.

    Returns ``Dr[i, j] = ||x^j - x^i||^2`` (from the differences, so that ``Dr[i, i] = 0``
    exactly and no Gram cancellation occurs), ``XM[i, l] = x^i . mu_l``,
    ``xn[i] = ||x^i||^2``, ``MM = mu mu^T``, ``BT = [X; mu]^T`` (d x (N + K),
    contiguous: the right factor of the per-point logit products) and
    ``reach[i] = 2 max_j ||x^j|| + max_j ||x^j - x^i||``, the norms that bound the
    rounding of the logits of point i (see `_accumulate`).
    """
    N, d = X.shape
    K = means.shape[0]
    Dr = np.empty((N, N))
    for i in numba.prange(N):
        for j in range(N):
            acc = 0.0
            for k in range(d):
                u = X[j, k] - X[i, k]
                acc += u * u
            Dr[i, j] = acc
    XM = np.empty((N, K))
    xn = np.empty(N)
    for i in range(N):
        acc = 0.0
        for k in range(d):
            acc += X[i, k] * X[i, k]
        xn[i] = acc
        for l in range(K):
            acc = 0.0
            for k in range(d):
                acc += X[i, k] * means[l, k]
            XM[i, l] = acc
    MM = np.empty((K, K))
    for l in range(K):
        for q in range(K):
            acc = 0.0
            for k in range(d):
                acc += means[l, k] * means[q, k]
            MM[l, q] = acc
    BT = np.empty((d, N + K))
    for k in range(d):
        for j in range(N):
            BT[k, j] = X[j, k]
        for l in range(K):
            BT[k, N + l] = means[l, k]
    xmax = 0.0
    for j in range(N):
        xmax = max(xmax, np.sqrt(xn[j]))
    reach = np.empty(N)
    for i in range(N):
        dmax = 0.0
        for j in range(N):
            dmax = max(dmax, Dr[i, j])
        reach[i] = 2.0 * xmax + np.sqrt(dmax)
    return Dr, XM, xn, MM, BT, reach


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _products(Zs, BT, G):
    """``G = Zs @ BT`` for the draws of one training point.

    A single-threaded BLAS product (numba's ``np.dot``) in column blocks of at most
    ``_BLAS_SINGLE`` multiply-adds: OpenBLAS runs products below its threading threshold
    (m n k < 2^18) on the calling thread, so the kernel's threads never wake, and
    never compete with, a BLAS thread pool. Rows longer than that threshold allows
    (n_noise d > 2^18 / 16) use a plain loop instead.
    """
    R, d = Zs.shape
    n = BT.shape[1]
    cols = _BLAS_SINGLE // max(1, R * d)
    if cols >= n:
        np.dot(Zs, BT, G)
    elif cols >= 16:
        for c0 in range(0, n, cols):
            c1 = min(n, c0 + cols)
            G[:, c0:c1] = np.dot(Zs, np.ascontiguousarray(BT[:, c0:c1]))
    else:
        for r in range(R):
            for c in range(n):
                G[r, c] = 0.0
            for k in range(d):
                z = Zs[r, k]
                for c in range(n):
                    G[r, c] += z * BT[k, c]


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _candidates(g, gi, inv, h, Dri, margin, wa, idx):
    """The terms j >= 1 of one noisy point that the prefix rule may keep.

    ``wa[j] = inv (g[j] - gi) - h Dri[j]`` are the logits from the products (each within
    ``margin`` of the exact one). The rule keeps j when its exact logit exceeds the
    running maximum of the exact logits before it minus ``_SKIP``; the running maximum
    of the approximate ones is at least that maximum minus ``margin``, so a j whose
    approximate logit is below it minus ``_SKIP + 2 margin`` is surely skipped. The
    others are listed in ``idx`` (in order). Returns their number and the span
    max - min of ``wa``. Branch-free O(N).
    """
    N = Dri.shape[0]
    for j in range(N):
        wa[j] = inv * (g[j] - gi) - h * Dri[j]
    pmax = wa[0]
    pmin = wa[0]
    n = 0
    lim = _SKIP + 2.0 * margin
    for j in range(1, N):
        w = wa[j]
        idx[n] = j
        n += w > pmax - lim - 1e-12 * abs(pmax)
        pmax = max(pmax, w)
        pmin = min(pmin, w)
    return n, pmax - pmin


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _prefix_selected(X, i, z, inv, h, Dri, wa, idx, n_idx, exact, V, u, out):
    """Prefix log-sum-exp of one noisy point over the listed terms (any logit spread).

    Fills ``out[M-1] = ||sum_{j<M} e^{w_j - m_M} U_j||^2 / (sum_{j<M} e^{w_j - m_M})^2``
    for M = 1..N with ``U_j = x^j - x^i`` and the running maximum ``m_M``, skipping the
    terms below ``e^{-_SKIP}`` of it exactly as `_point_losses` does; only the terms of
    ``idx`` (from `_candidates`) can be kept. The logit of a listed term is computed
    again from the differences when ``exact`` (high SNR, where the products' rounding
    matters), else taken from ``wa``. O(N + n_idx d).

    (The update repeats the one of `_point_losses` on purpose: as a shared numba helper,
    even with ``inline="always"``, an earlier version of the kernel ran 1.4-1.7x slower.)
    """
    N, d = X.shape
    acc = 0.0
    s2 = 0.0
    for k in range(d):
        v = X[0, k] - X[i, k]
        V[k] = v
        acc += z[k] * v
        s2 += v * v
    m = inv * acc - h * Dri[0]
    Z = 1.0
    cur = s2
    out[0] = cur
    start = 1
    for c in range(n_idx):
        j = idx[c]
        if exact:
            acc = 0.0
            for k in range(d):
                v = X[j, k] - X[i, k]
                u[k] = v
                acc += z[k] * v
            wj = inv * acc - h * Dri[j]
        else:
            for k in range(d):
                u[k] = X[j, k] - X[i, k]
            wj = wa[j]
        diff = wj - m
        if diff > -_SKIP:
            if diff > 0.0:                    # new running maximum: rescale by e^{m - w_j}
                al = _exp_nonpos(-diff)
                be = 1.0
                m = wj
            else:
                al = 1.0
                be = _exp_nonpos(diff)
            for q in range(start, j):
                out[q] = cur
            s2 = 0.0
            for k in range(d):
                v = V[k] * al + be * u[k]
                V[k] = v
                s2 += v * v
            Z = Z * al + be
            cur = s2 / (Z * Z)
            out[j] = cur
            start = j + 1
    for q in range(start, N):
        out[q] = cur


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _prefix_all_kept(X, i, W, nb, E, V, out):
    """The prefix sums of ``nb <= _BLOCK`` noisy points of training point i that keep
    every term: one shift (each point's maximum), no rescaling, and the points share
    each load of ``x^j - x^i``. Rows of W, E, V, out are the points (rows past ``nb``
    are padding with zero weights).
    """
    N, d = X.shape
    for q in range(_BLOCK):
        if q < nb:
            wmax = W[q, 0]
            for j in range(1, N):
                wmax = max(wmax, W[q, j])
            for j in range(N):
                E[q, j] = _exp_nonpos(W[q, j] - wmax)
        else:
            for j in range(N):
                E[q, j] = 0.0
    for k in range(d):
        V[0, k] = 0.0
        V[1, k] = 0.0
        V[2, k] = 0.0
        V[3, k] = 0.0
    for j in range(N):
        e0 = E[0, j]
        e1 = E[1, j]
        e2 = E[2, j]
        e3 = E[3, j]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for k in range(d):
            u = X[j, k] - X[i, k]
            v0 = V[0, k] + e0 * u
            v1 = V[1, k] + e1 * u
            v2 = V[2, k] + e2 * u
            v3 = V[3, k] + e3 * u
            V[0, k] = v0
            V[1, k] = v1
            V[2, k] = v2
            V[3, k] = v3
            s0 += v0 * v0
            s1 += v1 * v1
            s2 += v2 * v2
            s3 += v3 * v3
        out[0, j] = s0
        out[1, j] = s1
        out[2, j] = s2
        out[3, j] = s3
    for q in range(nb):
        Z = 0.0
        for j in range(N):
            Z += E[q, j]
            out[q, j] = out[q, j] / (Z * Z)


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gen_loss(a, s, sigma2, xx, xz, z2, XMi, Gm, MM, mu2, gw):
    """``||x_*(y) - x^i||^2`` at ``y = a x^i + s z`` from inner products only.

    With var = a^2 sigma2 + s^2, softmax weights c_l = (s^2 / var) softmax_l of
    ``(a y.mu_l - a^2 ||mu_l||^2 / 2) / var``, A = -s^2 / var and B = a sigma2 s / var,
    ``x_*(y) - x^i = A x^i + B z + sum_l c_l mu_l``, whose squared norm is expanded
    with ``xx = ||x^i||^2``, ``xz = x^i.z``, ``z2 = ||z||^2``, ``XMi[l] = x^i.mu_l``,
    ``Gm[l] = z.mu_l``, ``MM = mu mu^T``: O(K^2) instead of O(K d). No cancellation:
    the terms are at most a few times the result at every SNR.
    """
    K = MM.shape[0]
    var = a * a * sigma2 + s * s
    A = -(s * s) / var
    B = a * sigma2 / var * s
    gmax = -np.inf
    for l in range(K):
        gw[l] = (a * (a * XMi[l] + s * Gm[l]) - 0.5 * a * a * mu2[l]) / var
        gmax = max(gmax, gw[l])
    Zg = 0.0
    for l in range(K):
        gw[l] = _exp_nonpos(gw[l] - gmax)
        Zg += gw[l]
    cm = s * s / var / Zg
    quad = 0.0
    lin = 0.0
    for l in range(K):
        t = 0.0
        for q in range(K):
            t += MM[l, q] * gw[q]
        cl = cm * gw[l]
        quad += cl * (cm * t)
        lin += cl * (A * XMi[l] + B * Gm[l])
    return A * A * xx + B * B * z2 + 2.0 * A * B * xz + 2.0 * lin + quad


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _accumulate_kernel(X, Dr, XM, xn, MM, BT, reach, sigma2, a, s, Zn):
    """Per-chunk sums over the noisy points of one time; see `_accumulate`."""
    n_noise, N, d = Zn.shape
    K = MM.shape[0]
    n_chunks = min(_N_CHUNKS, N)
    inv = a / s
    h = 0.5 * inv * inv
    mu2 = np.empty(K)
    for l in range(K):
        mu2[l] = MM[l, l]
    gen = np.zeros((n_chunks, 3))
    pm = np.zeros((n_chunks, N))
    pm2 = np.zeros((n_chunks, N))
    gap2 = np.zeros((n_chunks, N))
    for c in numba.prange(n_chunks):
        Zs = np.empty((n_noise, d))
        G = np.empty((n_noise, N + K))
        W4 = np.empty((_BLOCK, N))
        E = np.empty((_BLOCK, N))
        V4 = np.empty((_BLOCK, d))
        OUT = np.empty((_BLOCK, N))
        V = np.empty(d)
        u = np.empty(d)
        WA = np.empty((n_noise, N))
        IDX = np.empty((n_noise, N), np.int64)
        nidx = np.empty(n_noise, np.int64)
        zz = np.empty(n_noise)
        marg = np.empty(n_noise)
        order = np.empty(n_noise, np.int64)
        gw = np.empty(K)
        for i in range(c * N // n_chunks, (c + 1) * N // n_chunks):
            for r in range(n_noise):
                acc = 0.0
                for k in range(d):
                    v = Zn[r, i, k]
                    Zs[r, k] = v
                    acc += v * v
                zz[r] = acc
            _products(Zs, BT, G)
            # Draws with many candidate terms whose logits surely span less than _WIDE go
            # to the all-kept blocks (first in `order`), the others to the selective pass.
            n_all = 0
            n_rest = n_noise
            for r in range(n_noise):
                # bound on |logit from the products - logit from the differences|: two
                # dot products of length d and a subtraction, with a factor 2 to spare
                marg[r] = 2.0 * inv * np.sqrt(zz[r]) * reach[i] * (d + 2) * _U
                n_c, span = _candidates(G[r], G[r, i], inv, h, Dr[i], marg[r], WA[r], IDX[r])
                nidx[r] = n_c
                if marg[r] < _APPROX and span < _WIDE - 2.0 * marg[r] and _DENSE * n_c >= N:
                    order[n_all] = r
                    n_all += 1
                else:
                    n_rest -= 1
                    order[n_rest] = r
            g0 = 0
            while g0 < n_noise:
                if g0 < n_all:
                    nb = min(_BLOCK, n_all - g0)
                    for q in range(nb):
                        r = order[g0 + q]
                        for j in range(N):
                            W4[q, j] = WA[r, j]
                    _prefix_all_kept(X, i, W4, nb, E, V4, OUT)
                else:
                    nb = 1
                    r = order[g0]
                    _prefix_selected(X, i, Zn[r, i], inv, h, Dr[i], WA[r], IDX[r], nidx[r],
                                     marg[r] >= _APPROX, V, u, OUT[0])
                for q in range(nb):
                    r = order[g0 + q]
                    lg = _gen_loss(a, s, sigma2, xn[i], G[r, i], zz[r], XM[i], G[r, N:], MM,
                                   mu2, gw)
                    lm = OUT[q, N - 1]
                    eg = lg - lm
                    gen[c, 0] += eg
                    gen[c, 1] += eg * eg
                    gen[c, 2] += lm
                    for M in range(N):
                        e = OUT[q, M] - lm
                        pm[c, M] += e
                        pm2[c, M] += e * e
                        g = OUT[q, M] - lg
                        gap2[c, M] += g * g
                g0 += nb
    return gen, pm, pm2, gap2


def _accumulate(X, means, sigma2, a, s, Zn, terms=None):
    r"""Sums over the noisy points ``y = a x^i + s Zn[r, i]`` of one time.

    Returns per-chunk sums (rows are fixed chunks of training points): excess of x_*
    over x_mem and its square; loss of x_mem; for every M, excess of pmem_M and its
    square, and the square of (pmem_M - x_*) for the weighted-gap variance. ``terms``
    are the dataset's `_dataset_terms` (computed here when None; pass them to share
    them between the times of one dataset).

    The logits of the empirical denoisers (Buchanan et al. 2025, the
    Gaussian-mixture laboratory) are shifted by a constant per noisy point, which
    the softmax does not see:

    $$
    w_j = -\frac{\|y - a x^j\|^2}{2 s^2} + \frac{\|z\|^2}{2}
    = \frac{a}{s}\, (z\cdot x^j - z\cdot x^i) - \frac{a^2}{2 s^2}\|x^j - x^i\|^2 .
    $$

    Per training point i, one product of its n_noise draws with $[X; \mu]^T$ gives
    every $z\cdot x^j$ and the $z\cdot\mu_l$ of $\hat x_*$ (`_products`); the distances
    $\|x^j - x^i\|^2$ come once per dataset, from the differences. The products carry
    a rounding error bounded per draw by ``margin`` (twice the worst-case bound of two
    dot products of length d); where it could matter (``margin >= _APPROX``, high
    SNR), the logits of the terms that are kept are recomputed from the differences
    $x^j - x^i$. Then each draw takes one of two passes:

    * all kept, in blocks of ``_BLOCK`` (`_prefix_all_kept`): draws whose logits
      span less than ``_WIDE``. Every term is kept with one shift, so terms that the
      prefix rule of `_point_losses` skips (below $e^{-40}$ of the running maximum)
      are included: each changes a prefix by less than $e^{-40}$ relative, below
      double precision, and a span below ``_WIDE`` keeps the smallest squared weight
      above the underflow;
    * selective (`_candidates`, `_prefix_selected`): the others. The terms that can
      be kept are found from the logits of the products; only those are updated.

    Both give the prefix memorizers of `_point_losses` up to rounding (tests: 1e-10
    relative on every output against `_accumulate_reference`, measured 3e-13).
    $\hat x_*$ uses `_gen_loss`. Fixed chunks of training points and single-threaded
    products: results do not depend on the number of threads.

    Cost per call: 2 n_noise N (N + K) d flops for the products, then per draw O(N)
    for the logits, the candidate scan and the accumulation, 4 N d for an all-kept
    draw or about 5 n_kept d for a selective one, and O(K^2) for $\hat x_*$; exps only
    for the kept terms. Per dataset: N^2 d for the distances. Memory O(N (N + n_noise
    + d)). The flops at (200, 50, 12), 10 draws, the 26-point grid, are counted by
    ``benchmarks/bench_gmm.py``.
    """
    if terms is None:
        terms = _dataset_terms(X, means)
    return _accumulate_kernel(X, *terms, sigma2, a, s, Zn)


def noisy_point_losses(data: GMMData, t: float, y: ArrayLike, i: int) -> tuple[float, np.ndarray]:
    r"""Squared errors of $\hat x_*$ and of every $\hat x_{{\rm pmem},M}$ at one noisy point.

    Runs the per-point kernel of the simulation (the prefix log-sum-exp over the
    training points, `_point_losses`) at ``y``: it returns
    $\|\hat x_*(t, y) - x^i\|^2$ and $\|\hat x_{{\rm pmem},M}(t, y) - x^i\|^2$
    for M = 1..N, the denoisers of the Gaussian-mixture laboratory of Buchanan et al.
    (2025). It exposes the numba path for testing against the numpy denoisers
    [`memlab.theory.gmm.gmm_denoiser`][memlab.theory.gmm.gmm_denoiser] and
    [`memlab.theory.gmm.empirical_denoiser`][memlab.theory.gmm.empirical_denoiser]. O(N d + K d) time.

    Parameters
    ----------
    data : memlab.theory.gmm.GMMData
        Training set (N, d) and mixture (K <= N means, variance ``sigma2``).
    t : float
        VP time in (0, 1).
    y : array of shape (d,)
        Noisy point.
    i : int
        Index in [0, N) of the training point the loss is measured against.

    Returns
    -------
    tuple of (float, ndarray of shape (N,))
        ``||x_*(y) - x^i||^2`` and ``||x_pmem,M(y) - x^i||^2`` for M = 1..N.

    Raises
    ------
    TypeError
        If ``data`` is not a ``GMMData``, or ``t``, ``y`` or ``i`` is not numeric.
    ValueError
        If ``t`` is outside (0, 1), ``y`` does not have shape (d,) or is not finite,
        or ``i`` is not an index in [0, N).

    References
    ----------
    Buchanan et al. (2025), Lemma 2.1 and eqs. 7-12 (the denoisers).

    Examples
    --------
    At the training point itself and tiny noise, the memorizer (M = N) is exact:

    >>> from memlab.theory.gmm import sample_gmm
    >>> data = sample_gmm(10, 3, 2, seed=0)
    >>> lg, lpm = noisy_point_losses(data, 1e-4, data.x[0], 0)
    >>> lpm.shape, bool(lpm[-1] < 1e-12)
    ((10,), True)
    """
    X, means, sigma2 = _check_data(data)
    N, d = X.shape
    t = check_real("t", t, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    y = check_array("y", y, ndim=1)
    if y.shape != (d,):
        raise ValueError(f"y must have shape ({d},), got {y.shape}")
    y = np.ascontiguousarray(y, dtype=np.float64)
    i = check_index("i", i, N)     # the kernel reads X[i] without bounds checks
    out = np.empty(N)
    lg = _point_losses(X, means, sigma2, float(alpha(t)), float(sigma(t)), i, y,
                       np.empty(N), np.empty(d), out)
    return lg, out


def _check_data(data):
    """Checked ``(x, means, sigma2)`` of a GMMData for the kernels: C-contiguous float64,
    x (N, d) and means (K, d) finite with K <= N (the kernel reuses a length-N buffer for K)."""
    check_instance("data", data, GMMData)
    X = check_array("data.x", data.x, ndim=2)
    means = check_array("data.means", data.means, ndim=2)
    if means.shape[1] != X.shape[1]:
        raise ValueError(f"data.means must have shape (K, {X.shape[1]}), got {means.shape}")
    if means.shape[0] > X.shape[0]:
        raise ValueError(f"data.means must have K <= N = {X.shape[0]} rows, got {means.shape[0]}")
    sigma2 = check_positive_real("data.sigma2", data.sigma2)
    return np.ascontiguousarray(X), np.ascontiguousarray(means), sigma2


def baseline_point_losses(data: GMMData, t: float, Zn: ArrayLike,
                          M_values: ArrayLike | None = None) -> tuple[float, np.ndarray]:
    r"""Plain numpy reference: mean squared errors over noisy points, one M at a time.

    Evaluates [`memlab.theory.gmm.gmm_denoiser`][memlab.theory.gmm.gmm_denoiser] and
    [`memlab.theory.gmm.empirical_denoiser`][memlab.theory.gmm.empirical_denoiser] (vectorized numpy, no prefix trick)
    at $y = \alpha_t x^i + \sigma_t z_{r,i}$ with ``z = Zn`` and averages the squared
    errors over all noisy points. It is the baseline of ``benchmarks/bench_gmm.py``
    and an independent check of the numba kernel (same noise, same result). Cost:
    O(n_noise N (N + K) d) time per M and memory O(n_noise N max(N, K)).

    Parameters
    ----------
    data : memlab.theory.gmm.GMMData
        Training set (N, d) and mixture.
    t : float
        VP time in (0, 1).
    Zn : array of shape (n_noise, N, d) or (N, d)
        Standard normal draws, one per noise draw and training point.
    M_values : array of int, optional
        Memorized-prefix sizes in [1, N]; default 1..N.

    Returns
    -------
    tuple of (float, ndarray)
        Mean loss of $\hat x_*$ and mean loss of $\hat x_{{\rm pmem},M}$ for each M
        in ``M_values``.

    Raises
    ------
    TypeError
        If ``data`` is not a ``GMMData`` or an argument is not numeric.
    ValueError
        If ``t`` is outside (0, 1), ``Zn`` has the wrong shape or is not finite, or
        an M is not an integer in [1, N].

    References
    ----------
    Buchanan et al. (2025), Lemma 2.1 and eqs. 7-12 (the denoisers).

    Examples
    --------
    The same noise gives the losses of the numba kernel, averaged over the points:

    >>> import numpy as np
    >>> from memlab.theory.gmm import sample_gmm
    >>> from memlab.theory.schedules import alpha, sigma
    >>> data = sample_gmm(10, 3, 2, seed=0)
    >>> Zn = np.random.default_rng(1).standard_normal((10, 3))
    >>> gen, pm = baseline_point_losses(data, 0.5, Zn, [1, 10])
    >>> y = alpha(0.5) * data.x + sigma(0.5) * Zn           # one noisy point per x^i
    >>> numba_pm = np.mean([noisy_point_losses(data, 0.5, y[i], i)[1] for i in range(10)], 0)
    >>> bool(np.allclose(pm, numba_pm[[0, 9]]))
    True
    """
    from memlab.theory.gmm import empirical_denoiser, gmm_denoiser

    X, means, sigma2 = _check_data(data)
    N, d = X.shape
    t = check_real("t", t, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    Zn = check_array("Zn", Zn, ndim=(2, 3))
    if Zn.shape[-2:] != (N, d):
        raise ValueError(f"Zn must have shape (n_noise, {N}, {d}) or ({N}, {d}), got {Zn.shape}")
    Zn = Zn.reshape(-1, N, d)
    Ms = _check_M_values(M_values, N)
    Y = (alpha(t) * X[None] + sigma(t) * Zn).reshape(-1, d)
    X0 = np.broadcast_to(X[None], Zn.shape).reshape(-1, d)
    gen = float(((gmm_denoiser(t, Y, means, sigma2) - X0) ** 2).sum(1).mean())
    pm = np.array([((empirical_denoiser(t, Y, X, int(M)) - X0) ** 2).sum(1).mean() for M in Ms])
    return gen, pm


def _check_M_values(M_values, N):
    """M values as an int64 array of integers in [1, N] (default 1..N)."""
    if M_values is None:
        return np.arange(1, N + 1)
    Ms = np.atleast_1d(np.asarray(M_values))
    if Ms.ndim != 1 or Ms.size == 0:
        raise ValueError(f"M_values must be a non-empty 1-d sequence of integers, got shape {Ms.shape}")
    Ms = np.array([check_positive_int("M_values", M) for M in Ms], dtype=np.int64)
    if Ms.max() > N:
        raise ValueError(f"M_values must be <= N = {N}, got {int(Ms.max())}")
    return Ms


#: Upper bound on ``n_noise * N * d``, the noise draws held in memory per time (800 MB).
MAX_NOISE_ELEMENTS = 10**8
#: Upper bound on ``n_datasets`` and on ``n_boot``.
MAX_REPEATS = 10**6


@dataclass(frozen=True)
class WeightedLossCurves(Result):
    """Weighted excess losses ``mean_t lambda(t) L_t`` as functions of M.

    Attributes
    ----------
    M : ndarray (N,)
        1..N.
    pmem, pmem_stderr : ndarray (N,)
        Weighted excess of x_pmem,M over x_mem.
    gen, gen_stderr : float
        Weighted excess of x_* over x_mem.
    gap, gap_stderr : ndarray (N,)
        ``pmem - gen``: positive where the generalizing denoiser wins.
    weights : ndarray (T,)
        The loss weights used.
    """

    M: np.ndarray
    pmem: np.ndarray
    pmem_stderr: np.ndarray
    gen: float
    gen_stderr: float
    gap: np.ndarray
    gap_stderr: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class LossCurves(Result):
    """Simulated expected training-loss excesses over the memorizer.

    Per-dataset means are kept so that any weighting can be applied afterwards.

    Attributes
    ----------
    N, d, K : int
        Problem size.
    sigma2 : float
        Component variance.
    timesteps : ndarray (T,)
        VP times.
    gen_by_dataset : ndarray (n_datasets, T)
        Mean over points and noise of ``L_t(x_*) - L_t(x_mem)`` per dataset.
    pmem_by_dataset : ndarray (n_datasets, T, N)
        Same for ``x_pmem,M``, M = 1..N.
    mem_loss_by_dataset : ndarray (n_datasets, T)
        ``L_t(x_mem)`` itself.
    gen_var, pmem_var, gap_var : ndarrays
        Per-sample variances (within a dataset) of the gen excess, the pmem
        excess and of ``loss_pmem - loss_gen``, shapes like the means.
    n_noise, n_datasets : int
        Noise draws per training point and time; independent datasets.
    n_samples : int
        Noisy points per time: ``n_datasets * N * n_noise``.
    seed : object
        The seed the simulation was run with.
    """

    N: int
    d: int
    K: int
    sigma2: float
    timesteps: np.ndarray
    gen_by_dataset: np.ndarray
    pmem_by_dataset: np.ndarray
    mem_loss_by_dataset: np.ndarray
    gen_var: np.ndarray
    pmem_var: np.ndarray
    gap_var: np.ndarray
    n_noise: int
    n_datasets: int
    n_samples: int
    seed: object

    @property
    def M(self) -> np.ndarray:
        """The memorized-prefix sizes 1..N, shape (N,)."""
        return np.arange(1, self.N + 1)

    def _mean_stderr(self, by_dataset, var):
        mean = by_dataset.mean(axis=0)
        if self.n_datasets >= 2:
            err = by_dataset.std(axis=0, ddof=1) / np.sqrt(self.n_datasets)
        else:
            err = np.sqrt(var[0] / (self.N * self.n_noise))
        return mean, err

    @property
    def gen_excess(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, stderr) of ``L_t(x_*) - L_t(x_mem)`` per time, shape (T,)."""
        return self._mean_stderr(self.gen_by_dataset, self.gen_var)

    @property
    def pmem_excess(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, stderr) of ``L_t(x_pmem,M) - L_t(x_mem)``, shape (T, N)."""
        return self._mean_stderr(self.pmem_by_dataset, self.pmem_var)

    @property
    def mem_loss(self) -> np.ndarray:
        """Mean ``L_t(x_mem)`` per time, shape (T,)."""
        return self.mem_loss_by_dataset.mean(axis=0)

    def weighted(self, weighting: str | ArrayLike | Callable = "x0") -> WeightedLossCurves:
        r"""Weighted excess losses $\mathrm{mean}_l\,\lambda(t_l)\,{\rm excess}_{t_l}$ as functions of M.

        The weighted training loss of Buchanan et al. (2025), eq. 6, on the time grid
        of the simulation:

        $$
        L(\hat x, \lambda) = \frac1T\sum_{l=1}^T \lambda(t_l)\, L_{t_l}(\hat x),
        $$

        taken of the excesses over the memorizer, for $\hat x_*$ and every
        $\hat x_{{\rm pmem},M}$, and of their gap. Standard errors: over datasets
        when there are at least two; otherwise from the within-dataset variances, the
        times being independent draws.

        Parameters
        ----------
        weighting : {"x0", "eps"}, array or callable, default "x0"
            Loss weighting $\lambda(t)$ over the grid, see
            [`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting].

        Returns
        -------
        WeightedLossCurves
            Weighted excesses, their gap and standard errors.

        Raises
        ------
        TypeError
            If ``weighting`` is neither a name, an array nor a callable.
        ValueError
            If ``weighting`` is an unknown name, an array of the wrong length, or gives
            non-finite or negative weights.

        References
        ----------
        Buchanan et al. (2025), eq. 6.

        Examples
        --------
        >>> c = simulate_loss_curves(20, 5, 2, n_noise=1, n_datasets=2, seed=0)
        >>> w = c.weighted("x0")
        >>> w.M.shape, float(w.pmem[-1])                  # M = N is the memorizer
        ((20,), 0.0)
        """
        lam = loss_weighting(weighting, self.timesteps)
        T = lam.shape[0]
        pm = np.einsum("t,dtm->dm", lam, self.pmem_by_dataset) / T
        gen = self.gen_by_dataset @ lam / T
        gap = pm - gen[:, None]
        if self.n_datasets >= 2:
            def err(v):
                return v.std(axis=0, ddof=1) / np.sqrt(self.n_datasets)
            pm_e, gen_e, gap_e = err(pm), float(err(gen)), err(gap)
        else:
            n = self.N * self.n_noise
            w2 = (lam / T) ** 2
            pm_e = np.sqrt(w2 @ self.pmem_var[0] / n)
            gen_e = float(np.sqrt(w2 @ self.gen_var[0] / n))
            gap_e = np.sqrt(w2 @ self.gap_var[0] / n)
        return WeightedLossCurves(self.M, pm.mean(0), pm_e, float(gen.mean()), gen_e,
                                  gap.mean(0), gap_e, lam)


def simulate_loss_curves(N: int, d: int, K: int, *, timesteps: ArrayLike | None = None,
                         n_noise: int = 10, n_datasets: int = 1, sigma2: float = 1.0,
                         seed: np.random.Generator | int | None = None,
                         progress: bool = False) -> LossCurves:
    r"""Monte Carlo of the expected training losses of x_*, x_mem and every x_pmem,M.

    The training loss of a denoiser at time t in the Gaussian-mixture laboratory of
    Buchanan et al. (2025) is

    $$
    L_t(\hat x) = \frac1N\sum_{i=1}^N \mathbb E_z
    \|\hat x(t, \alpha_t x^i + \sigma_t z) - x^i\|^2 .
    $$

    For each of ``n_datasets`` fresh datasets ([`memlab.theory.gmm.sample_gmm`][memlab.theory.gmm.sample_gmm])
    and each time $t_l$, every training point gets ``n_noise`` noise
    draws $y = \alpha_t x^i + \sigma_t z$; at each y the exact denoisers
    $\hat x_*$, $\hat x_{\rm mem}$ and $\hat x_{{\rm pmem},M}$ (M = 1..N) are
    evaluated and their squared errors averaged. Excesses over the memorizer are
    taken per noisy point (paired), which removes most of the noise of the
    difference. No approximation beyond Monte Carlo (and softmax terms below
    $e^{-40}$ of the largest, below double precision).

    Cost: O(n_datasets T n_noise N (N + K) d) time, T = len(timesteps) (one O((N + K) d)
    kernel pass per noisy point), and O(N^2 + n_noise N (d + n_threads) + n_datasets T N)
    memory; about 0.2 s for N = 200, d = 50, K = 12, n_noise = 10, T = 26, one dataset,
    on 2 cores.

    Parameters
    ----------
    N : int
        Training-set size, >= K.
    d : int
        Dimension.
    K : int
        Number of mixture components, <= N.
    timesteps : array, optional
        VP times in (0, 1); default the 26-point grid of Buchanan et al. (2025), Sec. 4
        ([`memlab.theory.schedules.reference_timesteps`][memlab.theory.schedules.reference_timesteps]).
    n_noise : int, default 10
        Noise draws per training point and time; ``n_noise * N * d`` is at most
        `MAX_NOISE_ELEMENTS`.
    n_datasets : int, default 1
        Independent datasets (means and points redrawn), at most `MAX_REPEATS`.
    sigma2 : float, default 1.0
        Component variance $\sigma^2$.
    seed : int, Generator or None
        Random seed; reproducible bit-for-bit for a fixed integer seed, whatever the
        number of threads.
    progress : bool, default False
        Show a tqdm progress bar over datasets.

    Returns
    -------
    LossCurves
        Per-dataset mean excesses and per-sample variances, per time and M.

    Raises
    ------
    TypeError
        If an argument has the wrong type (``"3"``, ``True``, ``None`` for a size, ...).
    ValueError
        If a size is not a positive integer, K > N, a bound on the memory is exceeded,
        ``sigma2`` is not finite and positive, or a time is outside (0, 1).

    References
    ----------
    Buchanan et al. (2025), Lemma 2.1 and eqs. 7-12 (the denoisers), Sec. 4 (the grid).

    Examples
    --------
    >>> c = simulate_loss_curves(40, 10, 4, n_noise=2, seed=0)
    >>> c.pmem_excess[0].shape
    (26, 40)
    """
    N, d, K = check_NdK(N, d, K)
    if N * d > MAX_NOISE_ELEMENTS:      # one noise draw per training point is held in memory
        raise ValueError(f"N and d must keep N * d <= {MAX_NOISE_ELEMENTS} (noise draws held "
                         f"in memory per time), got N = {N}, d = {d}")
    n_noise = check_count("n_noise", n_noise, max(1, MAX_NOISE_ELEMENTS // (N * d)))
    n_datasets = check_count("n_datasets", n_datasets, MAX_REPEATS)
    sigma2 = check_positive_real("sigma2", sigma2)
    t = resolve_timesteps(timesteps)
    check_allocation("n_datasets", (3, n_datasets, t.shape[0], N))   # the per-dataset curves
    check_allocation("N", (N, N))                      # the squared distances of a dataset
    check_allocation("n_noise", (3 * numba.get_num_threads(), n_noise, N + K))  # per thread
    rng = check_rng(seed)
    progress = check_bool("progress", progress)
    T = t.shape[0]
    a_t, s_t = alpha(t), sigma(t)
    gen_m = np.empty((n_datasets, T))
    mem_m = np.empty((n_datasets, T))
    pm_m = np.empty((n_datasets, T, N))
    gen_v = np.empty((n_datasets, T))
    pm_v = np.empty((n_datasets, T, N))
    gap_v = np.empty((n_datasets, T, N))
    n = N * n_noise
    iterator = range(n_datasets)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=f"GMM losses (N={N}, d={d}, K={K})", leave=False)
    for ds in iterator:
        data = sample_gmm(N, d, K, sigma2=sigma2, seed=rng)
        X = np.ascontiguousarray(data.x)
        means = np.ascontiguousarray(data.means)
        terms = _dataset_terms(X, means)
        for l in range(T):
            Zn = rng.standard_normal((n_noise, N, d))
            gen, pm, pm2, gap2 = _accumulate(X, means, sigma2, a_t[l], s_t[l], Zn, terms)
            gsum = gen.sum(axis=0)
            gen_m[ds, l] = gsum[0] / n
            mem_m[ds, l] = gsum[2] / n
            gen_v[ds, l] = _var(gsum[1], gsum[0], n)
            s1 = pm.sum(axis=0)
            pm_m[ds, l] = s1 / n
            pm_v[ds, l] = _var(pm2.sum(axis=0), s1, n)
            gap_v[ds, l] = _var(gap2.sum(axis=0), s1 - gsum[0], n)
    return LossCurves(N, d, K, sigma2, t, gen_m, pm_m, mem_m, gen_v, pm_v, gap_v,
                      n_noise, n_datasets, n_datasets * n, seed)


def _var(sumsq, s, n):
    """Unbiased sample variance from a sum and a sum of squares (clipped at 0)."""
    if n < 2:
        return np.zeros_like(np.asarray(s, dtype=float))
    return np.maximum(sumsq - s * s / n, 0.0) / (n - 1)


def _first_crossing(gap: np.ndarray) -> float:
    """Zero of the piecewise-linear interpolant of gap over M = 1..N (first sign change).

    Returns 1 if gap(1) <= 0 already, and N if gap never becomes <= 0 (the
    partial memorizer never wins; gap(N) = -(generalizing excess) is negative
    in expectation, so this signals too few samples).
    """
    m = first_crossing(np.arange(1, len(gap) + 1), gap, 0.0, above=False)
    return float(len(gap)) if np.isnan(m) else m


@dataclass(frozen=True)
class CrossoverEstimate(Result):
    """Simulated crossover point with a bootstrap confidence interval.

    Attributes
    ----------
    estimate : float
        M* of the dataset-averaged weighted gap curve.
    stderr : float
        Bootstrap standard deviation of M* over datasets.
    ci_low, ci_high : float
        Percentile bootstrap interval at level ``confidence``.
    confidence : float
        Level of the interval.
    closed_form : float
        [`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point] for the same setting (finite-d C).
    n_samples : int
        Noisy points per time (all datasets).
    seed : object
        Seed the simulation was run with.
    curves : LossCurves
        The simulated curves.
    """

    estimate: float
    stderr: float
    ci_low: float
    ci_high: float
    confidence: float
    closed_form: float
    n_samples: int
    seed: object
    curves: LossCurves


def simulated_crossover_point(N: int, d: int, K: int, *,
                              weighting: str | ArrayLike | Callable = "x0",
                              timesteps: ArrayLike | None = None, n_noise: int = 10,
                              n_datasets: int = 8, sigma2: float = 1.0,
                              seed: np.random.Generator | int | None = None, n_boot: int = 2000,
                              confidence: float = 0.95, curves: LossCurves | None = None,
                              progress: bool = False) -> CrossoverEstimate:
    r"""Crossover $M^*$ read off simulated loss curves, with a bootstrap interval.

    $M^*$ is the first zero of the dataset-averaged weighted gap
    $L(\hat x_{{\rm pmem},M}, \lambda) - L(\hat x_*, \lambda)$ (Buchanan et al. 2025,
    eq. 6 weighting), linearly interpolated between integer M: the simulated
    counterpart of the closed form of their eq. 14
    ([`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point]). The interval is a percentile bootstrap
    over datasets (``n_datasets >= 2``), which carries both the dataset and
    the noise-draw variability.

    Cost: that of [`simulate_loss_curves`][memlab.verification.gmm.simulate_loss_curves] (unless ``curves`` is given), plus
    O(n_boot n_datasets N) time and memory for the bootstrap and one
    [`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point]; about 8 s for (200, 50, 12),
    n_noise = 10, n_datasets = 8.

    Measured in the setting of Buchanan et al. (2025), (200, 50, 12) with x0
    weighting on the 26-point grid: M* = 0.80 N (an independent brute-force numpy
    computation agrees), later than an earlier estimate of "about 0.70 N". The
    closed form with finite-d C gives 0.77 N. It lies below because near t = 1 the
    closed-form generalizing excess stays large while the true excesses vanish.

    Parameters
    ----------
    N : int
        Training-set size, >= K.
    d : int
        Dimension.
    K : int
        Number of mixture components, <= N.
    weighting : {"x0", "eps"}, array or callable, default "x0"
        Loss weighting over the grid ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).
    timesteps : array, optional
        VP times in (0, 1), passed to [`simulate_loss_curves`][memlab.verification.gmm.simulate_loss_curves]; default the
        26-point grid of Buchanan et al. (2025).
    n_noise : int, default 10
        Noise draws per training point and time (simulation only).
    n_datasets : int, default 8
        Independent datasets, >= 2 (simulation only).
    sigma2 : float, default 1.0
        Component variance (simulation only; taken from ``curves`` otherwise).
    seed : int, Generator or None
        Drives the simulation and then the bootstrap; reproducible.
    n_boot : int, default 2000
        Bootstrap resamples of the datasets.
    confidence : float, default 0.95
        Level of the percentile interval, in (0, 1).
    curves : LossCurves, optional
        Reuse simulated curves (same N, d, K; at least 2 datasets) instead of
        simulating; ``seed`` then drives only the bootstrap.
    progress : bool, default False
        Progress bar over datasets.

    Returns
    -------
    CrossoverEstimate
        The estimate, its bootstrap standard error and interval, the closed form for
        the same setting and the curves.

    Raises
    ------
    TypeError
        If an argument has the wrong type, or ``curves`` is not a ``LossCurves``.
    ValueError
        If a size is out of range, ``confidence`` is not in (0, 1), ``n_boot *
        n_datasets`` exceeds `MAX_NOISE_ELEMENTS`, or ``curves`` does not match
        (N, d, K) or holds fewer than 2 datasets.

    References
    ----------
    Buchanan et al. (2025), eqs. 6 and 14.

    Examples
    --------
    The simulated crossover sits near 0.8 N, later than the x0-weighted closed form:

    >>> from memlab.theory.gmm import crossover_point
    >>> est = simulated_crossover_point(40, 10, 4, n_noise=2, n_datasets=2, seed=0, n_boot=50)
    >>> f"{est.estimate / 40:.1f} N (closed form {crossover_point(40, 10, 4) / 40:.2f} N)"
    '0.8 N (closed form 0.67 N)'
    """
    N, d, K = check_NdK(N, d, K)
    n_boot = check_count("n_boot", n_boot, MAX_REPEATS)
    confidence = check_real("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = check_rng(seed)
    progress = check_bool("progress", progress)
    if curves is not None:
        check_instance("curves", curves, LossCurves)
    n_sets = (check_count("n_datasets", n_datasets, MAX_REPEATS, minimum=2) if curves is None
              else curves.n_datasets)
    if n_boot * n_sets > MAX_NOISE_ELEMENTS:     # the bootstrap index array
        raise ValueError(f"n_boot must be <= {MAX_NOISE_ELEMENTS // n_sets} "
                         f"for {n_sets} datasets, got {n_boot}")
    if curves is None:
        n_datasets = n_sets
        curves = simulate_loss_curves(N, d, K, timesteps=timesteps, n_noise=n_noise,
                                      n_datasets=n_datasets, sigma2=sigma2, seed=rng,
                                      progress=progress)
    elif (curves.N, curves.d, curves.K) != (N, d, K) or curves.n_datasets < 2:
        raise ValueError("curves must match (N, d, K) and hold at least 2 datasets, got "
                         f"({curves.N}, {curves.d}, {curves.K}) with {curves.n_datasets}")
    lam = loss_weighting(weighting, curves.timesteps)
    T = lam.shape[0]
    gap = (np.einsum("t,dtm->dm", lam, curves.pmem_by_dataset)
           - (curves.gen_by_dataset @ lam)[:, None]) / T            # (n_datasets, N)
    estimate = _first_crossing(gap.mean(axis=0))
    idx = rng.integers(0, curves.n_datasets, size=(n_boot, curves.n_datasets))
    boot = np.array([_first_crossing(gap[b].mean(axis=0)) for b in idx])
    q = (1.0 - confidence) / 2.0
    closed = crossover_point(N, d, K, weighting=weighting, timesteps=curves.timesteps,
                             sigma2=curves.sigma2)
    return CrossoverEstimate(estimate, float(boot.std(ddof=1)), float(np.quantile(boot, q)),
                             float(np.quantile(boot, 1.0 - q)), confidence, closed,
                             curves.n_samples, seed, curves)


@dataclass(frozen=True)
class ClosedFormAgreement(Result):
    """Closed-form excess losses against simulation, per time.

    Attributes
    ----------
    timesteps, psi : ndarray (T,)
        Times and their SNR.
    gen_closed, gen_sim, gen_stderr : ndarray (T,)
        Generalizing excess: closed form, simulated mean, its standard error.
    M : ndarray (m,)
        The M values compared.
    pmem_closed : ndarray (m,)
        Closed-form partially memorizing excess (t-independent).
    pmem_sim, pmem_stderr : ndarray (T, m)
        Simulated partially memorizing excess.
    """

    timesteps: np.ndarray
    psi: np.ndarray
    gen_closed: np.ndarray
    gen_sim: np.ndarray
    gen_stderr: np.ndarray
    M: np.ndarray
    pmem_closed: np.ndarray
    pmem_sim: np.ndarray
    pmem_stderr: np.ndarray

    @property
    def gen_z(self) -> np.ndarray:
        """(simulation - closed form) / stderr, generalizing, per time, shape (T,)."""
        return (self.gen_sim - self.gen_closed) / self.gen_stderr

    @property
    def pmem_z(self) -> np.ndarray:
        """(simulation - closed form) / stderr, partial memorizer, shape (T, m)."""
        return (self.pmem_sim - self.pmem_closed[None, :]) / self.pmem_stderr

    @property
    def gen_rel(self) -> np.ndarray:
        """Relative error of the generalizing closed form per time, shape (T,)."""
        return (self.gen_closed - self.gen_sim) / self.gen_sim

    @property
    def pmem_rel(self) -> np.ndarray:
        """Relative error of the partial-memorization closed form, shape (T, m)."""
        return (self.pmem_closed[None, :] - self.pmem_sim) / self.pmem_sim

    def worst(self, psi_min: float = 1.0) -> dict[str, float]:
        r"""Largest |z| and |relative error| over the times with $\psi_t \ge$ ``psi_min``.

        The closed forms of Buchanan et al. (2025), Theorems 3.1 and 3.2, are high-SNR
        limits: restricting to $\psi_t \ge 1$ (or 4) shows how well they hold where
        they are meant to, and lowering ``psi_min`` shows where they stop holding.

        Parameters
        ----------
        psi_min : float, default 1.0
            Smallest SNR $\psi_t = \alpha_t^2/\sigma_t^2$ taken into account.

        Returns
        -------
        dict of str to float
            Keys ``gen_z``, ``pmem_z`` (largest |z-score| of the generalizing and
            partially memorizing excess) and ``gen_rel``, ``pmem_rel`` (largest
            |relative error| of the closed forms).

        Raises
        ------
        ValueError
            If no timestep has $\psi_t \ge$ ``psi_min``.

        References
        ----------
        Buchanan et al. (2025), Theorems 3.1 and 3.2.

        Examples
        --------
        >>> c = simulate_loss_curves(20, 5, 2, n_noise=1, n_datasets=2, seed=0)
        >>> sorted(closed_form_agreement(c).worst(4.0))
        ['gen_rel', 'gen_z', 'pmem_rel', 'pmem_z']
        """
        sel = self.psi >= psi_min
        if not np.any(sel):
            raise ValueError(f"no timestep has psi >= psi_min = {psi_min!r}")
        return {"gen_z": float(np.abs(self.gen_z[sel]).max()),
                "pmem_z": float(np.abs(self.pmem_z[sel]).max()),
                "gen_rel": float(np.abs(self.gen_rel[sel]).max()),
                "pmem_rel": float(np.abs(self.pmem_rel[sel]).max())}


def closed_form_agreement(curves: LossCurves, M_values: ArrayLike | None = None, *,
                          C: float | None = None) -> ClosedFormAgreement:
    r"""Compare the closed-form excess losses with simulated curves, time by time.

    The closed forms are the high-SNR limits of Buchanan et al. (2025):
    [`memlab.theory.gmm.generalizing_excess_loss`][memlab.theory.gmm.generalizing_excess_loss] (Thm. 3.1),

    $$
    \mathbb E[L_t(\hat x_*) - L_t(\hat x_{\rm mem})] \simeq \frac{d\sigma^2}{\psi_t\sigma^2 + 1},
    $$

    and [`memlab.theory.gmm.partial_memorization_excess_loss`][memlab.theory.gmm.partial_memorization_excess_loss] (Thm. 3.2),
    $C(1 - M/N)\,d\sigma^2$ independent of t. Both stop holding at low SNR
    ($\psi_t \lesssim 1$): use [`ClosedFormAgreement.worst`][memlab.verification.gmm.ClosedFormAgreement.worst] to see up to
    which SNR they hold.

    Parameters
    ----------
    curves : LossCurves
        Simulated curves ([`simulate_loss_curves`][memlab.verification.gmm.simulate_loss_curves]).
    M_values : array of int, optional
        The M compared, integers in [1, N]; default N/10, N/4, N/2 and 3N/4
        (duplicates removed).
    C : float, optional
        Constant of the partial-memorization excess; default ``None``, the finite-d
        constant [`memlab.theory.gmm.effective_constant`][memlab.theory.gmm.effective_constant].

    Returns
    -------
    ClosedFormAgreement
        Closed forms, simulated means and standard errors per time and M.

    Raises
    ------
    TypeError
        If ``curves`` is not a [`LossCurves`][memlab.verification.gmm.LossCurves], or ``M_values`` or ``C`` is
        not numeric.
    ValueError
        If an M is not an integer in [1, N], or ``C`` is not a finite positive number.

    References
    ----------
    Buchanan et al. (2025), Theorems 3.1 and 3.2.

    Examples
    --------
    >>> c = simulate_loss_curves(20, 5, 2, n_noise=1, n_datasets=2, seed=0)
    >>> agree = closed_form_agreement(c, [5, 10], C=2.0)
    >>> agree.M.tolist(), agree.pmem_closed.tolist()
    ([5, 10], [7.5, 5.0])
    """
    check_instance("curves", curves, LossCurves)
    N = curves.N
    if M_values is None:
        M_values = [max(1, N // 10), max(1, N // 4), max(1, N // 2), max(1, (3 * N) // 4)]
    Ms = np.unique(_check_M_values(M_values, N))
    if C is not None:
        C = check_positive_real("C", C)
    gm, ge = curves.gen_excess
    pm, pe = curves.pmem_excess
    return ClosedFormAgreement(
        curves.timesteps, snr(curves.timesteps),
        generalizing_excess_loss(curves.timesteps, curves.d, curves.sigma2), gm, ge, Ms,
        np.atleast_1d(partial_memorization_excess_loss(Ms, N, curves.d, curves.K,
                                                       curves.sigma2, C)),
        pm[:, Ms - 1], pe[:, Ms - 1])


# ----------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------


def _seed_text(seed: object) -> str:
    """A seed as figure text: the integer, or the kind of object (a Generator, None)."""
    if seed is None:
        return "seed None"
    if isinstance(seed, (int, np.integer)):
        return f"seed {int(seed)}"
    return f"seed {type(seed).__name__}"


def _setting_text(curves: LossCurves) -> str:
    """The simulation setting of ``curves`` in one line (datasets, draws, samples, seed)."""
    return (f"{curves.n_datasets} dataset{'s' if curves.n_datasets != 1 else ''} \u00d7 "
            f"{curves.n_noise} noise draw{'s' if curves.n_noise != 1 else ''} per point, "
            f"{curves.n_samples} noisy points per time, {curves.timesteps.shape[0]} times, "
            f"{_seed_text(curves.seed)}")


def _weighting_name(weighting: object) -> str:
    """Name of a loss weighting for labels: "x0", "eps" or "custom"."""
    return weighting if isinstance(weighting, str) else "custom"


def plot_excess_per_t(curves: LossCurves, M_values: ArrayLike | None = None, *,
                      C: float | None = None, ax: Axes | None = None) -> Figure:
    r"""Excess losses per time: closed form (lines) against simulation (points, 2 s.e. bars).

    The simulated excesses over the memorizer of the generalizing denoiser and of
    the partial memorizers $\hat x_{{\rm pmem},M}$ are drawn against the SNR
    $\psi_t = \alpha_t^2/\sigma_t^2$ (high SNR on the right), next to the
    high-SNR closed forms of Buchanan et al. (2025),
    $d\sigma^2/(\psi_t\sigma^2 + 1)$ (Thm. 3.1) and $C(1 - M/N)\,d\sigma^2$
    (Thm. 3.2). The shaded region $\psi_t < 1$ is where the closed forms stop
    holding. The title carries the problem size and the simulation setting.

    Parameters
    ----------
    curves : LossCurves
        Simulated curves ([`simulate_loss_curves`][memlab.verification.gmm.simulate_loss_curves]).
    M_values : array of int, optional
        The partial memorizers shown, integers in [1, N]; default N/4, N/2, 3N/4.
    C : float, optional
        Constant of the partial-memorization closed form; default ``None``, the
        finite-d constant [`memlab.theory.gmm.effective_constant`][memlab.theory.gmm.effective_constant].
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (keyword-only); default a new Figure (not registered with
        pyplot). When given, only ``ax`` is drawn on.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (the figure of ``ax`` when given).

    Raises
    ------
    TypeError
        If ``curves`` is not a [`LossCurves`][memlab.verification.gmm.LossCurves], ``ax`` is not a matplotlib Axes,
        or ``M_values`` or ``C`` is not numeric.
    ValueError
        If an M is not an integer in [1, N], or ``C`` is not a finite positive number.

    References
    ----------
    Buchanan et al. (2025), Theorems 3.1 and 3.2.

    Examples
    --------
    >>> c = simulate_loss_curves(20, 5, 2, n_noise=1, n_datasets=2, seed=0)
    >>> fig = plot_excess_per_t(c, [10], C=2.0)
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_title().splitlines()[0]
    ('log', 'GMM laboratory (Buchanan et al. 2025): N = 20, d = 5, K = 2, $\\sigma^2$ = 1')
    """
    import matplotlib

    from memlab.verification._plotting import axes_for

    check_instance("curves", curves, LossCurves)
    if M_values is None:
        M_values = sorted({max(1, curves.N // 4), max(1, curves.N // 2), max(1, (3 * curves.N) // 4)})
    M_values = [int(M) for M in _check_M_values(M_values, curves.N)]
    if C is not None:
        C = check_positive_real("C", C)
    fig, ax = axes_for(ax, figsize=(7.0, 6.2))
    psi = snr(curves.timesteps)
    order = np.argsort(psi)
    gm, ge = curves.gen_excess
    ax.errorbar(psi[order], gm[order], yerr=2 * ge[order], fmt="o", ms=3, color="k",
                label=r"generalizing $\hat x_*$: simulation ($\pm$2 s.e.)")
    ax.plot(psi[order], generalizing_excess_loss(curves.timesteps, curves.d, curves.sigma2)[order],
            "k-", label=r"generalizing: $d\sigma^2/(\psi\sigma^2+1)$ (Thm. 3.1)")
    pm, pe = curves.pmem_excess
    colors = matplotlib.colormaps["viridis"](np.linspace(0.1, 0.8, len(M_values)))
    c_text = r"finite-$d$ $C_{\rm eff}$" if C is None else f"$C$ = {C:g}"
    for M, c in zip(M_values, colors):
        ax.errorbar(psi[order], pm[order, M - 1], yerr=2 * pe[order, M - 1], fmt="s", ms=3,
                    color=c, label=f"pmem M = {M}: simulation")
        cf = partial_memorization_excess_loss(M, curves.N, curves.d, curves.K, curves.sigma2, C)
        ax.axhline(cf, color=c, ls="--", lw=1,
                   label=rf"pmem M = {M}: $C(1-M/N)d\sigma^2$, {c_text} (Thm. 3.2)")
    ax.axvspan(psi.min(), 1.0, color="0.9", zorder=0,
               label=r"$\psi_t < 1$: closed forms not expected to hold")
    ax.set_xscale("log")
    ax.set_xlabel(r"SNR $\psi_t = \alpha_t^2/\sigma_t^2$")
    ax.set_ylabel(r"excess training loss over $\hat x_{\rm mem}$")
    ax.set_title(f"GMM laboratory (Buchanan et al. 2025): N = {curves.N}, d = {curves.d}, "
                 f"K = {curves.K}, $\\sigma^2$ = {curves.sigma2:g}\n{_setting_text(curves)}",
                 fontsize=9)
    ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    return fig


def plot_weighted_loss_vs_M(curves: LossCurves, weighting: str | ArrayLike | Callable = "x0", *,
                            crossover: CrossoverEstimate | None = None,
                            reference: float | None = None,
                            ax: Axes | None = None) -> Figure:
    r"""Weighted excess losses against M with the closed-form and simulated $M^*$ marked.

    Draws the simulated weighted excess of $\hat x_{{\rm pmem},M}$ over the memorizer
    (band: 2 standard errors) and of $\hat x_*$ against M, next to their closed
    forms (Buchanan et al. 2025, Theorems 3.1 and 3.2 with the finite-d constant,
    weighted as in eq. 6). The crossover is where the two cross: the simulated
    $M^*$ (solid vertical line; with ``crossover``, its bootstrap interval shaded)
    and the closed-form $M^*$ of eq. 14
    ([`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point], dashed vertical line).

    Parameters
    ----------
    curves : LossCurves
        Simulated curves ([`simulate_loss_curves`][memlab.verification.gmm.simulate_loss_curves]).
    weighting : {"x0", "eps"}, array or callable, default "x0"
        Loss weighting over the grid ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).
    crossover : CrossoverEstimate, optional
        A [`CrossoverEstimate`][memlab.verification.gmm.CrossoverEstimate] of the same curves: its estimate and
        interval are drawn; default the first zero of the simulated gap.
    reference : float, optional
        A value of $M^*$ to compare with (e.g. one quoted elsewhere), drawn as a dotted
        vertical line; must lie in (0, N].
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (keyword-only); default a new Figure (not registered with
        pyplot). When given, only ``ax`` is drawn on.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (the figure of ``ax`` when given).

    Raises
    ------
    ValueError
        If ``reference`` is not in (0, N].
    TypeError
        If ``curves`` is not a ``LossCurves``, ``crossover`` not a
        ``CrossoverEstimate``, ``ax`` not a matplotlib Axes, or ``weighting`` of
        the wrong type.
    ValueError
        If ``weighting`` is invalid ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).

    References
    ----------
    Buchanan et al. (2025), eqs. 6 and 14, Theorems 3.1 and 3.2.

    Examples
    --------
    >>> c = simulate_loss_curves(20, 5, 2, n_noise=1, n_datasets=2, seed=0)
    >>> fig = plot_weighted_loss_vs_M(c, "x0")
    >>> [line.get_label().split(" =")[0] for line in fig.axes[0].lines][-2:]
    ['simulated $M^*$', 'closed-form $M^*$ (eq. 14)']
    """
    from memlab.verification._plotting import axes_for

    check_instance("curves", curves, LossCurves)
    if crossover is not None:
        check_instance("crossover", crossover, CrossoverEstimate)
    if reference is not None:
        reference = check_real("reference", reference, lo=0.0, hi=float(curves.N),
                               lo_open=True)
    wc = curves.weighted(weighting)
    fig, ax = axes_for(ax, figsize=(7.0, 4.8))
    lam = wc.weights
    mean_lam = lam.mean()
    closed_pm = partial_memorization_excess_loss(wc.M, curves.N, curves.d, curves.K,
                                                 curves.sigma2) * mean_lam
    closed_gen = np.mean(lam * generalizing_excess_loss(curves.timesteps, curves.d, curves.sigma2))
    m_closed = crossover_point(curves.N, curves.d, curves.K, weighting=weighting,
                               timesteps=curves.timesteps, sigma2=curves.sigma2)
    m_sim = crossover.estimate if crossover is not None else _first_crossing(wc.gap)
    ax.plot(wc.M, wc.pmem, color="C0", label=r"pmem $\hat x_{{\rm pmem},M}$: simulation")
    ax.fill_between(wc.M, wc.pmem - 2 * wc.pmem_stderr, wc.pmem + 2 * wc.pmem_stderr,
                    color="C0", alpha=0.3, label=r"$\pm$2 s.e.")
    ax.plot(wc.M, closed_pm, "C0--", label=r"pmem: closed form, finite-$d$ $C_{\rm eff}$")
    ax.axhline(wc.gen, color="C1", label=r"generalizing $\hat x_*$: simulation")
    ax.axhline(closed_gen, color="C1", ls="--", label="generalizing: closed form")
    if crossover is not None:
        ax.axvspan(crossover.ci_low, crossover.ci_high, color="k", alpha=0.15,
                   label=f"{crossover.confidence:.0%} bootstrap interval of $M^*$")
    ax.axvline(m_sim, color="k", label=f"simulated $M^*$ = {m_sim:.1f}")
    ax.axvline(m_closed, color="k", ls="--", label=f"closed-form $M^*$ (eq. 14) = {m_closed:.1f}")
    if reference is not None:
        ax.axvline(reference, color="C3", ls=":",
                   label=f"reference $M^*$ = {reference:.1f} ({reference / curves.N:.2f} N)")
    ax.set_xlabel("M (memorized training points)")
    name = _weighting_name(weighting)
    ax.set_ylabel(f"weighted excess loss over memorizer ({name} weighting)")
    ax.set_title(f"Crossover (Buchanan et al. 2025, eq. 14): N = {curves.N}, d = {curves.d}, "
                 f"K = {curves.K}, $\\sigma^2$ = {curves.sigma2:g}, {name} weighting\n"
                 f"{_setting_text(curves)}", fontsize=9)
    ax.legend(fontsize=8)
    return fig


#: Upper bound on the number of values of the swept argument of `plot_crossover_curve`.
MAX_CURVE_POINTS = 1000


def plot_crossover_curve(N: int | ArrayLike, d: int | ArrayLike, K: int | ArrayLike, *,
                         sigma2: float = 1.0, weighting: str | ArrayLike | Callable = "x0",
                         timesteps: ArrayLike | None = None, C: float | None = None,
                         ax: Axes | None = None) -> Figure:
    r"""Closed-form crossover $M^*/N$ against N, d or K (theory only, no simulation).

    Draws $M^*/N$ from [`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point] (Buchanan et al.
    2025, eq. 14) against whichever of N, d, K is given as an array (one call: the
    function broadcasts), the other two fixed. With ``C=None`` the curve uses the
    finite-d constant $C_{\rm eff}(M)$ of
    [`memlab.theory.gmm.effective_constant`][memlab.theory.gmm.effective_constant]. For comparison it shades
    the band of eq. 14 with a constant $C \in [1, 2]$ (the range of Buchanan et al.
    2025, Thm. 3.2), whose edges

    $$
    \frac{M^*}{N} = 1 - \frac{\mathrm{mean}_l[\lambda/(\psi\sigma^2 + 1)]}
    {C\, \mathrm{mean}_l[\lambda]}, \qquad C = 1, 2,
    $$

    do not depend on N, d or K (clipped at 0). The closed forms are high-SNR limits:
    at (200, 50, 12) the simulated crossover lies near 0.80 N against 0.77 N here
    ([`simulated_crossover_point`][memlab.verification.gmm.simulated_crossover_point]).

    Parameters
    ----------
    N : int or array of int
        Training-set size(s), >= K. An array is drawn on a log axis.
    d : int or array of int
        Dimension(s).
    K : int or array of int
        Number(s) of mixture components, <= N.
        Exactly one of N, d, K must be a 1-D array of at least 2 (and at most
        `MAX_CURVE_POINTS`) values: the x axis (sorted, duplicates removed).
    sigma2 : float, default 1.0
        Component variance; with ``C=None`` and K > 1 it must be >= 0.1
        ([`memlab.theory.gmm.effective_constant`][memlab.theory.gmm.effective_constant]).
    weighting : {"x0", "eps"}, array or callable, default "x0"
        Loss weighting over the grid ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).
    timesteps : array, optional
        VP times in (0, 1); default the 26-point grid of Buchanan et al. (2025).
    C : float, optional
        Constant of the partial-memorization excess for the main curve; default
        ``None``, the finite-d constant.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (keyword-only); default a new Figure (not registered with
        pyplot). When given, only ``ax`` is drawn on.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (the figure of ``ax`` when given). The first line of its
        axes is the curve ($M^*/N$ at the sorted x values).

    Raises
    ------
    TypeError
        If N, d or K is not an integer or an array of integers (``"3"``, ``None``,
        ``True``, ...), another argument has the wrong type, or ``ax`` is not a
        matplotlib Axes.
    ValueError
        If none or more than one of N, d, K is an array, the array has fewer than 2
        or more than `MAX_CURVE_POINTS` values or more than one dimension, a value is
        not a positive integer, K > N, or ``sigma2``, ``C``, ``weighting`` or
        ``timesteps`` is invalid.

    References
    ----------
    Buchanan et al. (2025), eq. 14 and Thm. 3.2.

    Examples
    --------
    >>> import numpy as np
    >>> from memlab.theory.gmm import crossover_point
    >>> Ns = [100, 1000, 10**4, 10**5]
    >>> fig = plot_crossover_curve(Ns, 50, 12)
    >>> line = fig.axes[0].lines[0]
    >>> bool(np.allclose(line.get_ydata(), crossover_point(Ns, 50, 12) / Ns))
    True
    >>> fig.axes[0].get_xscale()
    'log'
    """
    from memlab.verification._plotting import axes_for

    values = {}
    swept = []
    for name, v in (("N", N), ("d", d), ("K", K)):
        if np.ndim(v) == 0:
            values[name] = check_positive_int(name, v)
            continue
        arr = check_array(name, v, ndim=1)
        if arr.size > MAX_CURVE_POINTS:
            raise ValueError(f"{name} must hold at most {MAX_CURVE_POINTS} values, got {arr.size}")
        values[name] = np.unique(np.array([check_positive_int(name, x) for x in arr],
                                          dtype=np.int64))
        swept.append(name)
    if len(swept) != 1:
        got = "none" if not swept else "arrays for " + " and ".join(swept)
        raise ValueError("exactly one of N, d, K must be an array of >= 2 values (the x axis), "
                         f"got {got}")
    x_name = swept[0]
    xs = values[x_name]
    if xs.size < 2:
        raise ValueError(f"{x_name} must hold at least 2 distinct values, got {xs.tolist()}")
    if np.max(values["K"]) > np.min(values["N"]):
        if x_name == "N":
            raise ValueError(f"N must be >= K = {values['K']} everywhere, got {int(xs.min())}")
        raise ValueError(f"K must be <= N = {values['N']} everywhere, "
                         f"got {int(np.max(values['K']))}")
    sigma2 = check_positive_real("sigma2", sigma2)
    if C is not None:
        C = check_positive_real("C", C)
    t = resolve_timesteps(timesteps)
    Nv, dv, Kv = values["N"], values["d"], values["K"]
    kw = {"weighting": weighting, "timesteps": t, "sigma2": sigma2}
    ratio = crossover_point(Nv, dv, Kv, C=C, **kw) / Nv
    bounds = {c: float(np.ravel(crossover_point(np.min(Nv), np.min(dv), np.min(Kv), C=c, **kw)
                                / np.min(Nv))[0]) for c in (1.0, 2.0)}

    fig, ax = axes_for(ax, figsize=(6.4, 4.4))
    label = (r"eq. 14 with finite-$d$ $C_{\rm eff}(M)$" if C is None
             else f"eq. 14 with $C$ = {C:g}")
    ax.plot(xs, ratio, "o-", color="C0", ms=3, label=label)
    ax.axhspan(bounds[1.0], bounds[2.0], color="0.85", zorder=0,
               label=r"eq. 14 with constant $C \in [1, 2]$ (Thm. 3.2)")
    for c, ls in ((2.0, "--"), (1.0, ":")):
        ax.axhline(bounds[c], color="0.35", ls=ls, lw=1,
                   label=f"$C$ = {c:g}: $M^*/N$ = {bounds[c]:.3f}")
    labels = {"N": "training-set size N", "d": "dimension d", "K": "number of components K"}
    if x_name == "N" or xs.max() / xs.min() >= 20:
        ax.set_xscale("log")
        if x_name != "N":                          # plain numbers 1, 2, 5, 10, 20, ...
            from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(labels[x_name])
    ax.set_ylabel(r"closed-form crossover $M^*/N$")
    ax.set_ylim(0.0, 1.0)
    fixed = ", ".join(f"{n} = {values[n]}" for n in ("N", "d", "K") if n != x_name)
    grid = ("26-point grid" if timesteps is None else f"{t.shape[0]} times")
    ax.set_title(f"Crossover $M^*/N$ (Buchanan et al. 2025, eq. 14)\n{fixed}, "
                 f"$\\sigma^2$ = {sigma2:g}, {_weighting_name(weighting)} weighting, {grid}",
                 fontsize=9)
    ax.legend(fontsize=8, loc="best")
    return fig
