r"""The linear diffusion model of seed 003 (Sec. 3) and its P(Delta > 0) transition.

Training data :math:`Y_k \sim \mathcal N(\mu\mathbf 1, \sigma^2 I_d)`, k = 1..n,
are noised in one step, :math:`X_k = e^{-T}Y_k + \sqrt{\Delta_T} Z_k` with
:math:`\Delta_T = \lambda(1 - e^{-2T})` (seed: T = 2, :math:`\lambda = e^{-4}`).
A linear denoiser :math:`Y = \theta_0 + \theta_1 X` is fitted by least squares on
the centred data (seed eq. 15); when :math:`n \le d` the centred design has rank
at most n - 1 < d and memlab uses the minimum-norm solution (pseudo-inverse).
Generation draws :math:`X \sim \mathcal N(\mu_X, \sigma_X^2 I)` with
:math:`\mu_X = e^{-T}\bar Y`,
:math:`\sigma_X^2 = e^{-2T}\frac1{nd}\sum_k\|Y_k - \bar Y\|^2 + \Delta_T`
(eq. 16), so the generated law is Gaussian (eq. 17),

.. math:: \rho_G = \mathcal N(\theta_0 + \theta_1\mu_X,\ \sigma_X^2\theta_1\theta_1^T),

degenerate (rank <= n - 1) when n <= d.

Two measures of memorization (seed 003 Sec. 3.1-3.2):

* the squared Hellinger distance :math:`H^2(\rho, \rho_G)` to the true law
  (:func:`hellinger_gaussian`; the seed's eq. 18 has typos, the standard form
  is used);
* :math:`\Delta = E_{TG} - E_{OG}` with :math:`E_{AG} = \int(\rho_A - \rho_G)^2`,
  :math:`\rho_T = \frac1n\sum_k\mathcal N(Y_k, \epsilon_n^2 I)`,
  :math:`\rho_O` the same over :math:`N_O` fresh samples,
  :math:`\epsilon_m = \sigma m^{-1/d}` (seed Fig. 3). The model generalizes
  when :math:`P(\Delta > 0) > 1/2` (:func:`p_delta_positive`).

The term :math:`\int\rho_G^2` is common to both distances (and infinite when
:math:`\rho_G` is degenerate), so
:math:`\Delta = [\int\rho_T^2 - 2\int\rho_T\rho_G] - [\int\rho_O^2 - 2\int\rho_O\rho_G]`;
each integral is a Gaussian overlap
:math:`\int\mathcal N(x|a, A)\mathcal N(x|b, B)dx = \mathcal N(a|b, A + B)`,
all combined in log space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .metrics import first_crossing
from .._validation import (MAX_SAMPLES, _show, check_allocation, check_array, check_bool, check_positive_int, check_positive_real, check_real,
                          check_rng)

__all__ = [
    "LinearModel",
    "sample_training_set",
    "fit_linear_model",
    "hellinger_gaussian",
    "delta_statistic",
    "ProbabilityEstimate",
    "MeanEstimate",
    "p_delta_positive",
    "DeltaCurve",
    "p_delta_curve",
    "expected_hellinger",
    "hellinger_large_n_limit",
    "transition_n",
]

_LOG_2PI = np.log(2.0 * np.pi)


def _kde_width2(sigma, m, d):
    """Squared KDE width eps_m^2 = sigma^2 m^{-2/d} of a set of m points (seed 003 Fig. 3)."""
    return sigma**2 * np.exp(-2.0 * np.log(m) / d)


def _check_model_args(n, d, mu, sigma, T, lam):
    n = check_positive_int("n", n, minimum=2, maximum=MAX_SAMPLES)
    d = check_positive_int("d", d)
    mu = check_real("mu", mu)
    sigma = check_positive_real("sigma", sigma)
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    check_allocation("n and d", (n, d))         # a training set
    check_allocation("d", (d, d))               # the fitted d x d matrices
    return n, d, mu, sigma, T, lam


def sample_training_set(n, d, *, mu=10.0, sigma=1.0, T=2.0, lam=np.exp(-4.0), trials=None,
                        seed=None):
    r"""Draw :math:`Y_k \sim \mathcal N(\mu\mathbf 1, \sigma^2 I_d)` and :math:`X_k = e^{-T}Y_k + \sqrt{\Delta_T}Z_k`.

    Returns ``(Y, X)`` of shape (n, d), or (trials, n, d) when ``trials`` is
    given (seed 003 eq. 22).
    """
    n, d, mu, sigma, T, lam = _check_model_args(n, d, mu, sigma, T, lam)
    shape = (n, d) if trials is None else (check_positive_int("trials", trials, maximum=MAX_SAMPLES), n, d)
    check_allocation("n, d and trials", shape)
    rng = check_rng(seed)
    Y = mu + sigma * rng.standard_normal(shape)
    X = np.exp(-T) * Y + np.sqrt(lam * -np.expm1(-2.0 * T)) * rng.standard_normal(shape)
    return Y, X


@dataclass(frozen=True)
class LinearModel:
    """Fitted linear denoiser and the Gaussian it generates (batched over leading axes).

    Attributes
    ----------
    theta0 : ndarray (..., d)
        Intercept.
    theta1 : ndarray (..., d, d)
        Slope: the denoiser is ``Y = theta0 + theta1 @ X``.
    mean : ndarray (..., d)
        Mean of rho_G, ``theta0 + theta1 mu_X``.
    eigvals : ndarray (..., d)
        Eigenvalues of the covariance ``sigma_X^2 theta1 theta1^T`` (descending,
        >= 0; exactly zero beyond the rank).
    eigvecs : ndarray (..., d, d)
        Matching orthonormal eigenvectors (columns).
    rank : ndarray of int (...)
        Numerical rank of theta1 (<= n - 1).
    min_norm : bool
        True when n <= d and the minimum-norm least-squares solution was used.
    sigma_X2 : ndarray (...)
        Variance of the generation noise, eq. 16.
    """

    theta0: np.ndarray
    theta1: np.ndarray
    mean: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray
    rank: np.ndarray
    min_norm: bool
    sigma_X2: np.ndarray


def fit_linear_model(Y, X, *, T=2.0, lam=np.exp(-4.0)) -> LinearModel:
    r"""Least-squares linear denoiser (seed 003 eq. 15) and its generated Gaussian (eqs. 16-17).

    :math:`\theta_1^T = x^+ y` with x, y the centred (n, d) matrices of X and Y
    (:math:`x^+` the pseudo-inverse: the ordinary solution when x has full
    column rank, the minimum-norm one when n <= d), and
    :math:`\theta_0 = \bar Y - \theta_1\bar X`. Accepts a leading batch axis.

    Cost: O(B d^2 (n + d)) time and O(B (n d + d^2)) memory for B trials (the
    batch axis) of n points in dimension d (pseudo-inverse and SVD per trial);
    about 0.25 s for B = 1000, n = 64, d = 16.

    Examples
    --------
    >>> Y, X = sample_training_set(8, 16, seed=0)
    >>> m = fit_linear_model(Y, X)
    >>> m.min_norm, int(m.rank)
    (True, 7)
    """
    Y = check_array("Y", Y, ndim=(2, 3))
    X = check_array("X", X, ndim=(2, 3))
    if X.shape != Y.shape:
        raise ValueError(f"X must have the shape of Y {Y.shape}, got {X.shape}")
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    n, d = Y.shape[-2:]
    if n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n}")
    Ybar, Xbar = Y.mean(axis=-2), X.mean(axis=-2)
    yc, xc = Y - Ybar[..., None, :], X - Xbar[..., None, :]
    theta1 = np.swapaxes(np.linalg.pinv(xc) @ yc, -1, -2)
    theta0 = Ybar - np.einsum("...ij,...j->...i", theta1, Xbar)
    mu_X = np.exp(-T) * Ybar
    sigma_X2 = (np.exp(-2.0 * T) * (yc**2).sum(axis=(-2, -1)) / (n * d)
                + lam * -np.expm1(-2.0 * T))
    mean = theta0 + np.einsum("...ij,...j->...i", theta1, mu_X)
    U, s, _ = np.linalg.svd(theta1)
    # rank(theta1) <= min(n - 1, d) by construction (centred design); singular
    # values beyond it are rounding noise of the pseudo-inverse and are zeroed.
    keep = (s > 1e-10 * s[..., :1]) & (np.arange(d) < min(n - 1, d))
    rank = keep.sum(axis=-1)
    s = np.where(keep, s, 0.0)
    return LinearModel(theta0, theta1, mean, sigma_X2[..., None] * s * s, U, rank, n <= d, sigma_X2)


# ----------------------------------------------------------------------------
# Hellinger distance
# ----------------------------------------------------------------------------


def hellinger_gaussian(m1, S1, m2, S2) -> float:
    r"""Squared Hellinger distance between two Gaussians (standard form).

    .. math::

        H^2 = 1 - \frac{\det(S_1)^{1/4}\det(S_2)^{1/4}}{\det(\bar S)^{1/2}}
              \exp\Big(-\tfrac18 \delta m^T \bar S^{-1}\delta m\Big),
        \qquad \bar S = (S_1 + S_2)/2,

    computed with log-determinants and ``-expm1``. If exactly one covariance
    is singular (a degenerate Gaussian, e.g. :math:`\rho_G` for n <= d) the
    two laws are mutually singular and :math:`H^2 = 1`. Seed 003's eq. 18
    states this formula with typos (a factor :math:`2^d`, missing 1/2s).

    Cost: O(d^3) time and O(d^2) memory (two eigendecompositions, a
    log-determinant and a solve); about 2 ms for d = 100.

    Parameters
    ----------
    m1, m2 : array (d,)
        Means.
    S1, S2 : array (d, d)
        Symmetric positive semi-definite covariances.

    Examples
    --------
    >>> import numpy as np
    >>> round(hellinger_gaussian(np.zeros(1), np.eye(1), np.ones(1), np.eye(1)), 6)  # 1 - e^{-1/8}
    0.117503
    """
    m1 = check_array("m1", m1, ndim=1)
    m2 = check_array("m2", m2, ndim=1)
    d = m1.shape[0]
    S1 = check_array("S1", S1, ndim=2)
    S2 = check_array("S2", S2, ndim=2)
    for name, S in (("S1", S1), ("S2", S2)):
        if S.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}), got {S.shape}")
        if not np.allclose(S, S.T, rtol=1e-12, atol=1e-300):
            raise ValueError(f"{name} must be symmetric")
    if m2.shape != (d,):
        raise ValueError(f"m2 must have shape ({d},), got {m2.shape}")
    e1, e2 = np.linalg.eigvalsh(S1), np.linalg.eigvalsh(S2)
    tol = d * np.finfo(float).eps
    for name, e in (("S1", e1), ("S2", e2)):
        if e[0] < -tol * max(abs(e[-1]), 1e-300) * 10:
            raise ValueError(f"{name} must be positive semi-definite, got eigenvalue {e[0]!r}")
    sing1 = e1[0] <= tol * e1[-1]
    sing2 = e2[0] <= tol * e2[-1]
    if sing1 and sing2:
        raise ValueError("at most one of S1, S2 may be singular (both are)")
    if sing1 or sing2:
        return 1.0
    Sbar = 0.5 * (S1 + S2)
    _, logdet_bar = np.linalg.slogdet(Sbar)
    dm = m1 - m2
    quad = dm @ np.linalg.solve(Sbar, dm)
    log_bc = 0.25 * np.log(e1).sum() + 0.25 * np.log(e2).sum() - 0.5 * logdet_bar - quad / 8.0
    return float(-np.expm1(log_bc))


def _hellinger_to_isotropic(model: LinearModel, mu, sigma):
    """H^2(N(mu 1, sigma^2 I), rho_G) for a batch of fitted models (eigenbasis form)."""
    g = model.eigvals                                   # (..., d)
    d = g.shape[-1]
    s2 = sigma * sigma
    c = np.einsum("...ji,...j->...i", model.eigvecs, model.mean - mu)   # U^T (m_G - mu 1)
    with np.errstate(divide="ignore"):
        log_bc = (0.25 * np.log(g).sum(axis=-1) + 0.25 * d * np.log(s2)
                  - 0.5 * np.log(0.5 * (g + s2)).sum(axis=-1)
                  - 0.25 * (c * c / (g + s2)).sum(axis=-1))
    out = -np.expm1(log_bc)
    return np.where(model.rank < d, 1.0, out)


# ----------------------------------------------------------------------------
# Delta = E_TG - E_OG
# ----------------------------------------------------------------------------


def _lse(a, axis=-1):
    """log-sum-exp over ``axis`` (finite inputs; plain numpy, no array-API overhead)."""
    m = a.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.exp(a - m).sum(axis=axis))


def _log_self_overlap(P, eps2, chunk=2048):
    r"""log int rho^2 for rho = (1/m) sum_k N(P_k, eps2 I), batched over leading axes.

    :math:`\int\rho^2 = m^{-2}(4\pi\epsilon^2)^{-d/2}\sum_{ij} e^{-\|P_i - P_j\|^2/(4\epsilon^2)}`,
    summed with log-sum-exp; pairs are formed in row chunks so that N_O = 1e4
    points need no N_O^2 array.
    """
    m, d = P.shape[-2:]
    Pc = P - P.mean(axis=-2, keepdims=True)
    sq = (Pc * Pc).sum(axis=-1)
    parts = []
    for i0 in range(0, m, chunk):
        Pi = Pc[..., i0:i0 + chunk, :]
        d2 = sq[..., i0:i0 + chunk, None] + sq[..., None, :] - 2.0 * (Pi @ np.swapaxes(Pc, -1, -2))
        parts.append(_lse(_lse(-np.maximum(d2, 0.0) / (4.0 * eps2)))[..., None])
    return (_lse(np.concatenate(parts, axis=-1)) - 2.0 * np.log(m)
            - 0.5 * d * (_LOG_2PI + np.log(2.0 * eps2)))


def _log_cross_overlap(P, model: LinearModel, eps2, centre):
    r"""log int rho_P rho_G = log (1/m) sum_k N(P_k | m_G, S_G + eps2 I), batched over trials.

    ``P`` is (m, d), shared by all trials, or (trials, m, d). With
    :math:`(S_G + \epsilon^2 I)^{-1} = \epsilon^{-2}(I - U_r D U_r^T)` over the r
    non-zero directions of :math:`S_G`, the quadratic forms expand into
    :math:`\|p\|^2 - 2p\cdot m + \|m\|^2 - \sum_r D_r (p\cdot u_r - m\cdot u_r)^2`:
    two matrix products per batch of trials, O(m d r) per trial. Points and
    means are first shifted by ``centre`` (the data mean) to keep the
    expansion free of cancellation.
    """
    g = model.eigvals                                     # (B, d)
    r = max(int(model.rank.max()), 1)
    U = model.eigvecs[..., :r]                            # (B, d, r)
    shrink = g[..., :r] / (g[..., :r] + eps2)             # (B, r)
    mean = model.mean - centre                            # (B, d)
    Pc = P - centre
    mu_proj = np.einsum("bd,bdr->br", mean, U)            # (B, r)
    if Pc.ndim == 2:
        psq = (Pc * Pc).sum(axis=1)[None, :]              # (1, m)
        pm = mean @ Pc.T                                  # (B, m)
        proj = np.einsum("md,bdr->bmr", Pc, U, optimize=True)
    else:
        psq = (Pc * Pc).sum(axis=2)                       # (B, m)
        pm = np.einsum("bmd,bd->bm", Pc, mean)
        proj = Pc @ U                                     # (B, m, r)
    proj -= mu_proj[:, None, :]
    q = (psq - 2.0 * pm + (mean * mean).sum(axis=1)[:, None]
         - (proj * proj * shrink[:, None, :]).sum(axis=2)) / eps2
    logdet = np.log(g + eps2).sum(axis=-1)               # (B,)
    m, d = P.shape[-2:]
    return _lse(-0.5 * q) - np.log(m) - 0.5 * (d * _LOG_2PI + logdet)


def delta_statistic(Y, X, original, *, sigma=1.0, T=2.0, lam=np.exp(-4.0),
                    log_original_overlap=None):
    r"""Sign and log-magnitude of :math:`\Delta = E_{TG} - E_{OG}` (seed 003 eqs. 19-21).

    Cost: O(N_O^2 d + B d (n^2 + n d + d^2 + N_O r)) time, r = min(n - 1, d), and
    O(min(N_O, 2048) N_O + B (d^2 + N_O r)) memory for B trials of n points in
    dimension d and N_O original points (the B n^2 pair terms are chunked to about
    4e6 elements); the N_O^2 d term is skipped when ``log_original_overlap`` is
    given. About 2.9 s for one trial with n = 64, d = 16, N_O = 10^4, and 0.26 s
    for 64 trials with ``log_original_overlap`` given.

    Parameters
    ----------
    Y, X : array (n, d) or (trials, n, d)
        Training data and their noised versions.
    original : array (N_O, d)
        The original dataset defining :math:`\rho_O`.
    sigma : float
        Data standard deviation (sets :math:`\epsilon_m = \sigma m^{-1/d}`).
    T, lam : float
        Noise time and scale.
    log_original_overlap : float, optional
        Precomputed :math:`\log\int\rho_O^2` (it does not depend on the trial).

    Returns
    -------
    (sign, log_abs) : arrays of shape (trials,) (or scalars)
        :math:`\mathrm{sign}(\Delta)` and :math:`\log|\Delta|`.
    """
    Y = check_array("Y", Y, ndim=(2, 3))
    X = check_array("X", X, ndim=(2, 3))
    if X.shape != Y.shape:
        raise ValueError(f"X must have the shape of Y {Y.shape}, got shape {X.shape}")
    single = Y.ndim == 2
    if single:
        Y, X = Y[None], X[None]
    original = check_array("original", original, ndim=2)
    sigma = check_positive_real("sigma", sigma)
    n, d = Y.shape[-2:]
    if original.shape[1] != d:
        raise ValueError(f"original must have {d} columns, got shape {original.shape}")
    N_O = original.shape[0]
    model = fit_linear_model(Y, X, T=T, lam=lam)
    eps2_n = _kde_width2(sigma, n, d)
    eps2_O = _kde_width2(sigma, N_O, d)
    if log_original_overlap is None:
        log_original_overlap = _log_self_overlap(original, eps2_O)
    else:
        log_original_overlap = check_real("log_original_overlap", log_original_overlap)
    centre = original.mean(axis=0)
    log_tt = _log_self_overlap(Y, eps2_n, chunk=max(1, 4_000_000 // (Y.shape[0] * n)))
    log_tg = _log_cross_overlap(Y, model, eps2_n, centre)
    log_og = _log_cross_overlap(original, model, eps2_O, centre)
    terms = np.stack(np.broadcast_arrays(log_tt, np.log(2.0) + log_tg, log_original_overlap,
                                         np.log(2.0) + log_og), axis=0)
    b = np.array([1.0, -1.0, -1.0, 1.0])[:, None]
    log_abs, sign = special.logsumexp(terms, axis=0, b=b, return_sign=True)
    if single:
        return float(sign[0]), float(log_abs[0])
    return sign, log_abs


@dataclass(frozen=True)
class ProbabilityEstimate:
    """A Monte Carlo probability with a Wilson score interval.

    Attributes: ``estimate``, ``stderr`` (binomial), ``ci_low``, ``ci_high``
    (level ``confidence``), ``n_samples`` (trials), ``seed``.
    """

    estimate: float
    stderr: float
    ci_low: float
    ci_high: float
    confidence: float
    n_samples: int
    seed: object


@dataclass(frozen=True)
class MeanEstimate:
    """A Monte Carlo mean: ``estimate``, ``stderr``, ``n_samples``, ``seed``."""

    estimate: float
    stderr: float
    n_samples: int
    seed: object


def _wilson(k, m, confidence):
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    p = k / m
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    lo = 0.0 if k == 0 else float(max(0.0, centre - half))
    hi = 1.0 if k == m else float(min(1.0, centre + half))
    return lo, hi


def p_delta_positive(n, d, *, mu=10.0, sigma=1.0, T=2.0, lam=np.exp(-4.0), n_original=10_000,
                     trials=1000, seed=None, confidence=0.95, original=None,
                     chunk=64) -> ProbabilityEstimate:
    r"""Monte Carlo estimate of :math:`P(\Delta > 0)` over training sets (seed 003 Fig. 3).

    One original dataset of ``n_original`` points is drawn (or given as
    ``original``) and :math:`\int\rho_O^2` is computed once; then ``trials``
    training sets of size n are drawn and processed in vectorized chunks.
    The interval is Wilson's score interval.

    Cost: O(N_O^2 d + trials d (n^2 + n d + d^2 + N_O min(n, d))) time and
    O(min(N_O, 2048) N_O + c (d^2 + N_O min(n, d))) memory, N_O = ``n_original``,
    with c <= min(``chunk``, 2e6 / (N_O d)) trials per chunk (see
    :func:`delta_statistic`); about 10 s for n = 64, d = 16, N_O = 10^4,
    trials = 1000.

    Measured (d = 16, N_O = 1e4, 1000 trials, seed 1): 0.026 at n = 8, 0.019
    at 12, 0.000 at 16, 0.002 at 20, 0.277 at 24, 0.761 at 28, 0.921 at 32,
    0.985 at 40, 0.998 at 64; transition (P = 1/2) at n = 25.8. The small
    positive tail at n < d is genuine (|Delta| is 0.1-35% of the largest
    term in those trials, not rounding). As n approaches N_O the probability
    falls back towards 1/2 on average over original datasets (seed 003), but
    conditional on the one original dataset it can be anything: d = 16,
    N_O = n = 1000, 32 original sets: mean 0.45 [0.33, 0.56], per-set
    standard deviation 0.31 (use :func:`p_delta_curve` with
    ``n_original_sets``).

    Examples
    --------
    >>> p = p_delta_positive(64, 16, n_original=2000, trials=40, seed=0)
    >>> p.estimate > 0.8, p.ci_low <= p.estimate <= p.ci_high
    (True, True)
    """
    n, d, mu, sigma, T, lam = _check_model_args(n, d, mu, sigma, T, lam)
    trials = check_positive_int("trials", trials, maximum=MAX_SAMPLES)
    chunk = check_positive_int("chunk", chunk, maximum=MAX_SAMPLES)
    confidence = check_real("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = check_rng(seed)
    original, log_oo = _original_set(original, n_original, d, mu, sigma, rng)
    return _p_delta(n, d, mu, sigma, T, lam, trials, rng, seed, confidence, original, log_oo,
                    chunk)


def _original_set(original, n_original, d, mu, sigma, rng):
    """The original dataset (drawn, or the one given) and log int rho_O^2, computed once."""
    if original is None:
        n_original = check_positive_int("n_original", n_original, minimum=2,
                                        maximum=MAX_SAMPLES)
        check_allocation("n_original and d", (n_original, d))
        original = mu + sigma * rng.standard_normal((n_original, d))
    else:
        original = check_array("original", original, ndim=2)
        if original.shape[1] != d:
            raise ValueError(f"original must have {d} columns, got shape {original.shape}")
    return original, _log_self_overlap(original, _kde_width2(sigma, original.shape[0], d))


def _p_delta(n, d, mu, sigma, T, lam, trials, rng, seed, confidence, original, log_oo, chunk):
    # keep the (chunk, N_O, d) intermediates near 16 MB whatever N_O and d are
    chunk = max(1, min(chunk, 2_000_000 // (original.shape[0] * d)))
    positive = 0
    for b0 in range(0, trials, chunk):
        B = min(chunk, trials - b0)
        Y, X = sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=B, seed=rng)
        sign, _ = delta_statistic(Y, X, original, sigma=sigma, T=T, lam=lam,
                                  log_original_overlap=log_oo)
        positive += int((sign > 0).sum())
    p = positive / trials
    lo, hi = _wilson(positive, trials, confidence)
    return ProbabilityEstimate(p, float(np.sqrt(p * (1 - p) / trials)), lo, hi, confidence,
                               trials, seed)


@dataclass(frozen=True)
class DeltaCurve:
    r""":math:`P(\Delta > 0)` against n, with the transition size.

    Attributes
    ----------
    n : ndarray of int
        Training-set sizes.
    estimates : tuple of ProbabilityEstimate
        One per n.
    probability, ci_low, ci_high : ndarray
        The estimates and their intervals as arrays.
    set_probabilities : ndarray (n_original_sets, len(n))
        P(Delta > 0) conditional on each original dataset.
    transition : float
        :func:`transition_n` of the curve (NaN if P never crosses 1/2 inside it).
    d, n_original, trials, n_original_sets : int
        Setting (``trials`` in total per n, spread over the original sets).
    seed : object
        Seed of the run.
    """

    n: np.ndarray
    estimates: tuple
    probability: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    set_probabilities: np.ndarray
    transition: float
    d: int
    n_original: int
    trials: int
    n_original_sets: int
    seed: object


def p_delta_curve(n_values, d, *, mu=10.0, sigma=1.0, T=2.0, lam=np.exp(-4.0),
                  n_original=10_000, trials=1000, seed=None, confidence=0.95, original=None,
                  n_original_sets=1, progress=False) -> DeltaCurve:
    r""":math:`P(\Delta > 0)` for several n (seed 003 Fig. 3).

    Each original dataset and its :math:`\int\rho_O^2` (the O(N_O^2) part)
    are computed once for the whole curve. :math:`P(\Delta > 0)` as the seed
    defines it is conditional on the one original dataset. With
    ``n_original_sets > 1`` the trials are spread over that many independent
    original sets; the estimate is the mean of the per-set probabilities and
    its interval comes from their spread (t interval). This matters when n
    approaches N_O: with d = 16, N_O = n = 1000, 32 sets gave a mean of 0.45
    [0.33, 0.56] with a per-set standard deviation of 0.31. With N_O = 1e4
    and n <= 64 the sets agree (transition at n = 25.8-26.6 over five sets).
    The curve's ``transition`` is NaN when the probability does not cross 1/2 inside
    ``n_values`` (the grid is then too short: extend it).

    Examples
    --------
    >>> c = p_delta_curve([8, 64], 16, n_original=2000, trials=50, seed=0)
    >>> bool(c.probability[0] < 0.2 < 0.8 < c.probability[1])
    True
    """
    if isinstance(n_values, (str, bytes)) or n_values is None:
        raise TypeError(f"n_values must be an array of integers >= 2, got {_show(n_values)}")
    n_values = [check_positive_int(f"n_values[{i}]", n, minimum=2, maximum=MAX_SAMPLES)
                for i, n in enumerate(np.atleast_1d(np.asarray(n_values, dtype=object)))]
    if not n_values:
        raise ValueError("n_values must not be empty, got []")
    _check_model_args(max(n_values), d, mu, sigma, T, lam)
    trials = check_positive_int("trials", trials, maximum=MAX_SAMPLES)
    sets = check_positive_int("n_original_sets", n_original_sets, maximum=MAX_SAMPLES)
    progress = check_bool("progress", progress)
    if sets > trials:
        raise ValueError(f"n_original_sets must be <= trials = {trials}, got {sets}")
    if original is not None and sets != 1:
        raise ValueError(f"original can be given only with n_original_sets = 1, got {sets}")
    confidence = check_real("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = check_rng(seed)
    per_set = np.full(sets, trials // sets)
    per_set[: trials % sets] += 1
    set_p = np.empty((sets, len(n_values)))
    set_est = []
    for j in range(sets):
        orig, log_oo = _original_set(original, n_original, d, mu, sigma, rng)
        iterator = n_values
        if progress:
            from tqdm.auto import tqdm
            iterator = tqdm(n_values, desc=f"P(Delta > 0), d={d}, set {j + 1}/{sets}", leave=False)
        row = [_p_delta(n, d, mu, sigma, T, lam, int(per_set[j]), rng, seed, confidence, orig,
                        log_oo, 64) for n in iterator]
        set_est.append(row)
        set_p[j] = [e.estimate for e in row]
    if sets == 1:
        ests = tuple(set_est[0])
    else:
        z = stats.t.ppf(0.5 + confidence / 2.0, sets - 1)
        mean = (set_p * per_set[:, None]).sum(axis=0) / trials
        se = set_p.std(axis=0, ddof=1) / np.sqrt(sets)
        ests = tuple(ProbabilityEstimate(float(m), float(e), float(max(0.0, m - z * e)),
                                         float(min(1.0, m + z * e)), confidence, trials, seed)
                     for m, e in zip(mean, se))
    prob = np.array([e.estimate for e in ests])
    try:
        trans = transition_n(n_values, prob)
    except ValueError:
        trans = float("nan")
    n_orig = original.shape[0] if original is not None else n_original
    return DeltaCurve(np.array(n_values), ests, prob, np.array([e.ci_low for e in ests]),
                      np.array([e.ci_high for e in ests]), set_p, trans, d, n_orig, trials,
                      sets, seed)


def expected_hellinger(n, d, *, mu=10.0, sigma=1.0, T=2.0, lam=np.exp(-4.0), trials=1000,
                       seed=None) -> MeanEstimate:
    r"""Monte Carlo mean of :math:`H^2(\mathcal N(\mu\mathbf 1, \sigma^2 I), \rho_G)` (seed 003 Fig. 2).

    For n <= d the generated Gaussian is degenerate and :math:`H^2 = 1`
    exactly; it drops quickly once n exceeds d.

    Cost: O(trials d^2 (n + d)) time and O(trials (n d + d^2)) memory (all
    trials fitted in one batch, :func:`fit_linear_model`); about 0.3 s for
    n = 64, d = 16, trials = 1000.

    Examples
    --------
    >>> expected_hellinger(8, 16, trials=10, seed=0).estimate
    1.0
    """
    n, d, mu, sigma, T, lam = _check_model_args(n, d, mu, sigma, T, lam)
    trials = check_positive_int("trials", trials, maximum=MAX_SAMPLES)
    Y, X = sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=trials, seed=seed)
    h2 = _hellinger_to_isotropic(fit_linear_model(Y, X, T=T, lam=lam), mu, sigma)
    err = float(h2.std(ddof=1) / np.sqrt(trials)) if trials > 1 else float("nan")
    return MeanEstimate(float(h2.mean()), err, trials, seed)


def hellinger_large_n_limit(d, *, sigma=1.0, T=2.0, lam=np.exp(-4.0)) -> float:
    r"""Limit of :math:`H^2(\rho, \rho_G)` as :math:`n \to \infty`: the linear model never converges.

    With infinitely many samples the regression gives
    :math:`\theta_1 = b I`, :math:`b = e^{-T}\sigma^2/v`,
    :math:`v = \sigma_X^2 = e^{-2T}\sigma^2 + \Delta_T`, and the mean is exact,
    but the generated covariance is :math:`v b^2 I = c\,\sigma^2 I` with
    :math:`c = e^{-2T}\sigma^2/v < 1` (the one-step denoiser shrinks the
    variance), so

    .. math:: H^2_\infty = 1 - \Big(\frac{2\sqrt c}{1 + c}\Big)^{d/2}.

    At the seed's T = 2, :math:`\lambda = e^{-4}`: c = 0.5047, so
    :math:`H^2_\infty` = 0.368 for d = 16 and 0.943 for d = 100: the decay of
    seed 003's Fig. 2 stops there.

    Examples
    --------
    >>> round(hellinger_large_n_limit(16), 3)
    0.368
    """
    d = check_positive_int("d", d)
    sigma = check_positive_real("sigma", sigma)
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    # log c = log(signal) - log(signal + noise), all in logs: e^{-2T} sigma^2 may under/overflow
    log_signal = -2.0 * T + 2.0 * np.log(sigma)
    log_c = log_signal - np.logaddexp(log_signal, np.log(lam) + np.log(-np.expm1(-2.0 * T)))
    return float(-np.expm1(0.5 * d * (np.log(2.0) + 0.5 * log_c - np.log1p(np.exp(log_c)))))


def transition_n(n_values, probabilities) -> float:
    r"""Smallest n with :math:`P(\Delta > 0) > 1/2`, linearly interpolated in log n.

    Parameters
    ----------
    n_values : array
        Increasing training-set sizes.
    probabilities : array
        :math:`P(\Delta > 0)` at those sizes.

    Returns
    -------
    float
        The interpolated crossing of 1/2 below the first n whose probability
        exceeds 1/2.

    Raises
    ------
    ValueError
        If no probability exceeds 1/2, or the first one already does.

    Examples
    --------
    >>> round(transition_n([16, 24, 32], [0.0, 0.25, 0.75]), 2)
    27.71
    """
    n_values = check_array("n_values", n_values, ndim=1, lo=1.0)
    p = check_array("probabilities", probabilities, ndim=1, lo=0.0, hi=1.0)
    if p.shape != n_values.shape:
        raise ValueError(f"probabilities must match n_values {n_values.shape}, got {p.shape}")
    if np.any(np.diff(n_values) <= 0):
        raise ValueError("n_values must be increasing")
    if not np.any(p > 0.5):
        raise ValueError("no probability exceeds 1/2: the transition is beyond the largest n")
    if p[0] > 0.5:
        raise ValueError("the first probability already exceeds 1/2: the transition is below "
                         f"n = {n_values[0]!r}")
    return first_crossing(n_values, p, 0.5, above=True, log_x=True)
