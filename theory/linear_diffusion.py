r"""The linear diffusion model of the onset paper (Sec. 3) and its $P(\Delta > 0)$ transition.

Implements Sec. 3 (eqs. 15-22, Figs. 2-3) of the onset paper: "On the onset of
memorization to generalization transition in diffusion models" (anonymous
authors, under double-blind review).

Training data $Y_k \sim \mathcal N(\mu\mathbf 1, \sigma^2 I_d)$, k = 1..n,
are noised in one step, $X_k = e^{-T}Y_k + \sqrt{\Delta_T} Z_k$ with
$\Delta_T = \lambda(1 - e^{-2T})$ (eq. 22; the paper uses T = 2,
$\lambda = e^{-4}$). A linear denoiser $Y = \theta_0 + \theta_1 X$ is
fitted by least squares on the centred data (eq. 15); when $n \le d$ the
centred design has rank at most n - 1 < d and memlab uses the minimum-norm
solution (pseudo-inverse), where the paper's $(x^Tx)^{-1}$ does not exist.
Generation draws $X \sim \mathcal N(\mu_X, \sigma_X^2 I)$ with
$\mu_X = e^{-T}\bar Y$ and
$\sigma_X^2 = e^{-2T}\frac1{nd}\sum_k\|Y_k - \bar Y\|^2 + \Delta_T$
(eq. 16), so the generated law is Gaussian (eq. 17),

$$
\rho_G = \mathcal N(\theta_0 + \theta_1\mu_X,\ \sigma_X^2\theta_1\theta_1^T),
$$

degenerate (rank at most n - 1) when $n \le d$.

Two measures of memorization (Secs. 3.1-3.2):

* the squared Hellinger distance $H^2(\rho, \rho_G)$ to the true law
  ([`hellinger_gaussian`][memlab.theory.linear_diffusion.hellinger_gaussian]; the paper's eq. 18 has typos, the standard
  form is used);
* $\Delta = E_{TG} - E_{OG}$ with $E_{AG} = \int(\rho_A - \rho_G)^2$
  (eqs. 19-21), $\rho_T = \frac1n\sum_k\mathcal N(Y_k, \epsilon_n^2 I)$,
  $\rho_O$ the same over $N_O$ fresh samples, $\epsilon_m = \sigma m^{-1/d}$
  (Fig. 3). The model generalizes when $P(\Delta > 0) > 1/2$
  ([`p_delta_positive`][memlab.theory.linear_diffusion.p_delta_positive]).

The term $\int\rho_G^2$ is common to both distances (and infinite when
$\rho_G$ is degenerate), so
$\Delta = [\int\rho_T^2 - 2\int\rho_T\rho_G] - [\int\rho_O^2 - 2\int\rho_O\rho_G]$;
each integral is a Gaussian overlap
$\int\mathcal N(x|a, A)\mathcal N(x|b, B)dx = \mathcal N(a|b, A + B)$,
all combined in log space.

Where the model stops describing the transition:

* it never converges: as $n \to \infty$, $H^2$ tends to a positive limit
  ([`hellinger_large_n_limit`][memlab.theory.linear_diffusion.hellinger_large_n_limit]; 0.368 at d = 16), because the one-step
  denoiser shrinks the variance, so the decay of the paper's Fig. 2 stops;
* for $n \le d$ the generated Gaussian is degenerate and $H^2 = 1$ exactly,
  whatever the data ([`expected_hellinger`][memlab.theory.linear_diffusion.expected_hellinger]);
* $P(\Delta > 0)$ is conditional on one original dataset; as n approaches
  $N_O$ it returns to 1/2 only on average over original datasets
  ([`p_delta_curve`][memlab.theory.linear_diffusion.p_delta_curve] with ``n_original_sets``).

The distances themselves ([`distance_curve`][memlab.theory.linear_diffusion.distance_curve]):
$E_{TG}$ and $E_{OG}$ per training set, in log space, with $\int\rho_G^2$ of eq. 21
(infinite for $n \le d$ unless $\rho_G$ is smoothed, ``generated_width``), the options
the paper leaves open (the KDE width rule, eq. 10's $\epsilon^2 = 2t_M$, a ridge
denoiser) and the scaled curves of its Fig. 4; and the test of its contribution 4, where
$P(\Delta > 0)$ rises against where $E_{OG}$ and $H^2$ fall
([`onset_alignment`][memlab.theory.linear_diffusion.onset_alignment]).

Low-rank structure. $\theta_1 = y^T x^{+T}$ lives in the span of the
centred training data: with the thin SVD $x = USV^T$,
$S_G = \sigma_X^2 A^TA$, $A = S^+U^Ty$ (k x d, k = min(n, d)). The
statistics ([`expected_hellinger`][memlab.theory.linear_diffusion.expected_hellinger], [`delta_statistic`][memlab.theory.linear_diffusion.delta_statistic],
[`p_delta_positive`][memlab.theory.linear_diffusion.p_delta_positive], [`p_delta_curve`][memlab.theory.linear_diffusion.p_delta_curve]) therefore never form a d x d
matrix when $n \le d$: the $r \le n - 1$ eigenpairs of $S_G$ come from two
thin SVDs ($O(n^2 d)$ per trial), and every inverse and determinant of
$S_G + \epsilon^2 I$ follows from Woodbury and the determinant lemma. For
$n \le d$ the Hellinger distance needs nothing at all ($H^2 = 1$). For
$n > d$ the span is all of $\mathbb R^d$ and the cost is $O(n d^2 + d^3)$.
[`fit_linear_model`][memlab.theory.linear_diffusion.fit_linear_model] still returns the dense d x d slope.

References
----------
The onset paper (anonymous, under review), "On the onset of memorization to
generalization transition in diffusion models", Sec. 3, eqs. 15-22, Figs. 2-3.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from memlab._results import Result
import numpy as np
from numpy.random import Generator
from numpy.typing import ArrayLike
from scipy import special

from .metrics import first_crossing
from .._validation import (MAX_SAMPLES, _show, check_allocation, check_array, check_bool, check_choice, check_positive_int, check_positive_real, check_real,
                          check_rng)

__all__ = [
    "kde_bandwidth2",
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
    "DistanceCurve",
    "distance_curve",
    "OnsetAlignment",
    "onset_alignment",
]

_LOG_2PI = np.log(2.0 * np.pi)
_EPS = np.finfo(float).eps
_BATCH_BYTES = 2**27


def _kde_width2(sigma, m, d):
    """Squared KDE width eps_m^2 = sigma^2 m^{-2/d} of a set of m points (onset paper, Fig. 3)."""
    return sigma**2 * np.exp(-2.0 * np.log(m) / d)


def _check_model_args(n, d, mu, sigma, T, lam):
    n = check_positive_int("n", n, minimum=2, maximum=MAX_SAMPLES)
    d = check_positive_int("d", d)
    mu = check_real("mu", mu)
    sigma = check_positive_real("sigma", sigma)
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    check_allocation("n and d", (n, d))         # a training set
    return n, d, mu, sigma, T, lam


def sample_training_set(n: int, d: int, *, mu: float = 10.0, sigma: float = 1.0,
                        T: float = 2.0, lam: float = np.exp(-4.0), trials: int | None = None,
                        seed: Generator | int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw a training set of the linear diffusion model and its one-step noising.

    $Y_k \sim \mathcal N(\mu\mathbf 1, \sigma^2 I_d)$ and
    $X_k = e^{-T}Y_k + \sqrt{\Delta_T}Z_k$, $Z_k \sim \mathcal N(0, I_d)$,
    $\Delta_T = \lambda(1 - e^{-2T})$ (onset paper, eq. 22). The whole noise
    is added in one step, as in the paper (not a multi-step forward process).

    Parameters
    ----------
    n : int
        Training-set size, >= 2.
    d : int
        Dimension, >= 1.
    mu : float, default 10.0
        Mean of every coordinate of the data (the paper's $\mu = 10$).
    sigma : float, default 1.0
        Standard deviation of the data, > 0.
    T : float, default 2.0
        Noise time, > 0 (the paper's T = 2).
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0 (the paper's $\lambda = e^{-4}$).
    trials : int, optional
        Number of independent training sets; ``None`` (default) draws one.
    seed : Generator | int | None, default None
        Random seed or generator; a Generator is advanced.

    Returns
    -------
    Y : numpy.ndarray
        Clean data, shape (n, d), or (trials, n, d) when ``trials`` is given.
    X : numpy.ndarray
        Noised data, same shape as ``Y``.

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a non-integer ``n``, a string
        ``seed``).
    ValueError
        If n < 2, d < 1, ``sigma``, ``T`` or ``lam`` is not positive, ``mu`` is
        not finite, or the arrays would exceed the memory budget.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3, eq. 22.

    Examples
    --------
    >>> Y, X = sample_training_set(8, 16, seed=0)
    >>> Y.shape, X.shape
    ((8, 16), (8, 16))
    >>> sample_training_set(8, 16, trials=3, seed=0)[0].shape
    (3, 8, 16)
    """
    n, d, mu, sigma, T, lam = _check_model_args(n, d, mu, sigma, T, lam)
    shape = (n, d) if trials is None else (check_positive_int("trials", trials, maximum=MAX_SAMPLES), n, d)
    check_allocation("n, d and trials", shape)
    rng = check_rng(seed)
    Y = mu + sigma * rng.standard_normal(shape)
    X = np.exp(-T) * Y + np.sqrt(lam * -np.expm1(-2.0 * T)) * rng.standard_normal(shape)
    return Y, X


@dataclass(frozen=True)
class LinearModel(Result):
    r"""Fitted linear denoiser and the Gaussian it generates (onset paper, eqs. 15-17).

    Returned by [`fit_linear_model`][memlab.theory.linear_diffusion.fit_linear_model]; every array carries the leading
    batch axes of its input (written ``...`` below).

    Attributes
    ----------
    theta0 : numpy.ndarray
        Intercept $\theta_0$, shape (..., d).
    theta1 : numpy.ndarray
        Slope $\theta_1$, shape (..., d, d): the denoiser is
        $Y = \theta_0 + \theta_1 X$.
    mean : numpy.ndarray
        Mean $\theta_0 + \theta_1\mu_X$ of $\rho_G$, shape (..., d).
    eigvals : numpy.ndarray
        Eigenvalues of the covariance $\sigma_X^2\theta_1\theta_1^T$, shape
        (..., d): descending, non-negative, exactly zero beyond the rank.
    eigvecs : numpy.ndarray
        Matching orthonormal eigenvectors (columns), shape (..., d, d).
    rank : numpy.ndarray
        Numerical rank of $\theta_1$ (integers, at most n - 1), shape (...).
    min_norm : bool
        True when $n \le d$ and the minimum-norm least-squares solution was
        used.
    sigma_X2 : numpy.ndarray
        Variance $\sigma_X^2$ of the generation noise (eq. 16), shape (...).
    """

    theta0: np.ndarray
    theta1: np.ndarray
    mean: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray
    rank: np.ndarray
    min_norm: bool
    sigma_X2: np.ndarray


def fit_linear_model(Y: ArrayLike, X: ArrayLike, *, T: float = 2.0,
                     lam: float = np.exp(-4.0)) -> LinearModel:
    r"""Least-squares linear denoiser (onset paper, eq. 15) and its generated Gaussian (eqs. 16-17).

    $\theta_1^T = x^+ y$ with x, y the centred (n, d) matrices of X and Y
    ($x^+$ the pseudo-inverse: the paper's $(x^Tx)^{-1}x^T$ when x has full
    column rank, the minimum-norm solution when $n \le d$, where the paper's
    formula does not exist), and $\theta_0 = \bar Y - \theta_1\bar X$. The
    generated law is $\mathcal N(\theta_0 + \theta_1\mu_X, \sigma_X^2\theta_1\theta_1^T)$
    with $\mu_X = e^{-T}\bar Y$ and $\sigma_X^2$ of eq. 16. Accepts a leading
    batch axis.

    The pseudo-inverse has rank at most n - 1 by construction (see
    `_centred_pinv`: numpy's ``pinv`` would invert the rounding-level
    singular value that centring leaves, in about a third of the training sets
    at n = 8, d = 16). The statistics of this module do not call this function:
    they use the same model in the span of the data (`_fit_low_rank`),
    without d x d matrices.

    Cost: $O(B d^2 (n + d))$ time and $O(B (n d + d^2))$ memory for B trials
    (the batch axis) of n points in dimension d (thin SVD of the design and SVD
    of the d x d $\theta_1$ per trial); about 0.25 s for B = 1000, n = 64,
    d = 16.

    Parameters
    ----------
    Y : array_like
        Clean training data, shape (n, d) or (trials, n, d), n >= 2.
    X : array_like
        Their noised versions, same shape as ``Y`` (e.g. from
        [`sample_training_set`][memlab.theory.linear_diffusion.sample_training_set]).
    T : float, default 2.0
        Noise time used to noise the data, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.

    Returns
    -------
    LinearModel
        The fitted parameters, the mean and eigendecomposition of the generated
        covariance, its rank and $\sigma_X^2$.

    Raises
    ------
    TypeError
        If ``Y`` or ``X`` is not a real array, or ``T`` or ``lam`` not a real
        number.
    ValueError
        If ``Y`` and ``X`` differ in shape, are not 2- or 3-dimensional, have
        fewer than 2 rows or non-finite entries, if ``T`` or ``lam`` is not
        positive, or the d x d outputs would exceed the memory budget.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3, eqs. 15-17.

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
    check_allocation("Y", Y.shape[:-2] + (d, d))          # theta1 and the eigenvectors
    Ybar, Xbar = Y.mean(axis=-2), X.mean(axis=-2)
    yc, xc = Y - Ybar[..., None, :], X - Xbar[..., None, :]
    Ux, sinv, Vt = _centred_pinv(xc)
    # theta1 = y^T (x^+)^T = y^T U S^+ V^T
    theta1 = (np.swapaxes(yc, -1, -2) @ Ux * sinv[..., None, :]) @ Vt
    theta0 = Ybar - np.einsum("...ij,...j->...i", theta1, Xbar)
    mu_X = np.exp(-T) * Ybar
    sigma_X2 = _generation_variance(yc, T, lam)
    mean = theta0 + np.einsum("...ij,...j->...i", theta1, mu_X)
    U, s, _ = np.linalg.svd(theta1)
    # rank(theta1) <= min(n - 1, d) by construction (centred design); singular
    # values beyond it are rounding noise and are zeroed.
    keep = (s > 1e-10 * s[..., :1]) & (np.arange(d) < min(n - 1, d))
    rank = keep.sum(axis=-1)
    s = np.where(keep, s, 0.0)
    return LinearModel(theta0, theta1, mean, sigma_X2[..., None] * s * s, U, rank, n <= d, sigma_X2)


def _generation_variance(yc, T, lam):
    """sigma_X^2 = e^{-2T} (1/(n d)) sum_k ||Y_k - Ybar||^2 + Delta_T (onset paper, eq. 16)."""
    n, d = yc.shape[-2:]
    return np.exp(-2.0 * T) * (yc * yc).sum(axis=(-2, -1)) / (n * d) + lam * -np.expm1(-2.0 * T)


def _centred_pinv(xc):
    r"""Thin SVD of the centred design with its pseudo-inverse's singular values.

    Returns ``(U, s_plus, Vt)`` with $x = U\,\mathrm{diag}(s)\,V^T$ (thin,
    k = min(n, d) columns) and $x^+ = V\,\mathrm{diag}(s^+)\,U^T$. The rank is
    capped at n - 1 by construction: centring makes the rows sum to zero, so the
    n-th singular value is rounding noise (about 1e-15 of the largest). It must
    not be inverted: numpy's ``pinv`` keeps any singular value above 1e-15 of
    the largest, and kept that one in 37% of the training sets at n = 8, d = 16,
    adding to theta1 a spurious term of order one. Singular values at or below
    ``max(n, d) * eps`` of the largest (numpy's ``matrix_rank`` tolerance) are
    dropped too.

    Cost: O(n d k) time and O(n d) memory per trial (LAPACK ``gesdd``).
    """
    n, d = xc.shape[-2:]
    U, s, Vt = np.linalg.svd(xc, full_matrices=False)
    k = s.shape[-1]
    keep = (s > max(n, d) * _EPS * s[..., :1]) & (np.arange(k) < n - 1)
    s_plus = np.divide(1.0, s, out=np.zeros_like(s), where=keep)
    return U, s_plus, Vt


@dataclass(frozen=True)
class _LowRankGaussian:
    r"""$\rho_G = \mathcal N(m, U\,\mathrm{diag}(g)\,U^T)$ in the range of its covariance (batched).

    ``mean`` (B, d); ``eigvals`` (B, r), descending, zero beyond the rank;
    ``eigvecs`` (B, d, r) orthonormal columns; ``rank`` (B,); r = min(n - 1, d)
    columns. The covariance is zero on the orthogonal complement of the
    columns, which has dimension d - r > 0 when n <= d.
    """

    mean: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray
    rank: np.ndarray


def _fit_low_rank(Y, X, T, lam):
    r"""The generated Gaussian of [`fit_linear_model`][memlab.theory.linear_diffusion.fit_linear_model] without any d x d matrix when n <= d.

    With the thin SVD $x = U S V^T$ of the centred design (k = min(n, d)
    columns) and $A = S^+ U^T y$ (k x d),
    $\theta_1 = y^T U S^+ V^T = A^T V^T$, so

    $$
    S_G = \sigma_X^2\theta_1\theta_1^T = \sigma_X^2 A^T A
    = \sigma_X^2 R\,\Sigma^2 R^T
    $$

    from the thin SVD $A = P\Sigma R^T$, and the mean is
    $\bar Y + A^T(V^T(e^{-T}\bar Y - \bar X))$. Exactly the model of
    [`fit_linear_model`][memlab.theory.linear_diffusion.fit_linear_model] (same pseudo-inverse), with r = min(n - 1, d)
    eigenpairs.

    Two ways to get the SVDs, chosen per batch:

    * n <= d and well conditioned (the default case): from the n x n Gram
      matrices $x x^T = U S^2 U^T$ and $A A^T = P\Sigma^2 P^T$
      (``eigh``), $R = A^T P \Sigma^{-1}$: four matrix products of
      2 n^2 d flops each. Taken when, in every trial, the kept eigenvalues of
      both Gram matrices are within a factor 1e3 of the largest (the condition
      number of x and of A below about 32): squaring then costs at most a factor
      1e3 in relative accuracy, about 1e-12 in practice (tested at 1e-10). A
      Gaussian design gives eigenvalue ratios of 0.7 at n = 100, d = 1e4 and
      0.05 at n = d / 2.
    * otherwise (n > d, or n close to d): LAPACK thin SVDs of x and A (O(n d k)),
      which keep the small singular values accurate; for n > d this is where
      $H^2$ needs them. Singular values at or below ``max(k, d) * eps`` of
      the largest count as zero (indistinguishable from rounding).

    Cost: O(B n d k) time and O(B n d) memory for B trials, k = min(n, d):
    O(n^2 d) per trial when n <= d instead of the O(d^3) of the dense fit.
    Measured one trial at n = 100 (2 shared cores, time / tracemalloc peak):
    23-38 ms / 3.5 MB at d = 1e3 (dense fit 2.5-6 s / 27 MB), 0.15-0.25 s /
    32 MB at d = 1e4, 0.5-3.3 s / 97 MB at d = 3e4 (four runs).
    """
    n, d = Y.shape[-2:]
    Ybar, Xbar = Y.mean(axis=-2), X.mean(axis=-2)
    yc, xc = Y - Ybar[..., None, :], X - Xbar[..., None, :]
    sigma_X2 = _generation_variance(yc, T, lam)
    v = np.exp(-T) * Ybar - Xbar
    out = _span_by_gram(yc, xc, v) if n <= d else None
    if out is None:
        out = _span_by_svd(yc, xc, v)
    A, w, sa, R, keep = out
    mean = Ybar + np.einsum("...kd,...k->...d", A, w)
    return _LowRankGaussian(mean, sigma_X2[..., None] * sa * sa, R, keep.sum(axis=-1))


_GRAM_RATIO = 1e-3


def _span_by_gram(yc, xc, v):
    """(A, V^T v, singular values of A, R, kept) from n x n Gram matrices; None when a
    kept eigenvalue is below ``_GRAM_RATIO`` of the largest in some trial (see _fit_low_rank)."""
    lam, W = np.linalg.eigh(xc @ np.swapaxes(xc, -1, -2))          # ascending
    lam, W = lam[..., :0:-1], W[..., :, :0:-1]                     # top n - 1, descending
    if not np.all(lam[..., -1] > _GRAM_RATIO * lam[..., 0]):
        return None
    s_plus = 1.0 / np.sqrt(lam)
    Wt = np.swapaxes(W, -1, -2)
    A = s_plus[..., :, None] * (Wt @ yc)                           # (B, n - 1, d)
    w = s_plus * np.einsum("...kn,...n->...k", Wt, np.einsum("...nd,...d->...n", xc, v))
    sig2, P = np.linalg.eigh(A @ np.swapaxes(A, -1, -2))
    sig2, P = sig2[..., ::-1], P[..., :, ::-1]
    if not np.all(sig2[..., -1] > _GRAM_RATIO * sig2[..., 0]):
        return None
    sa = np.sqrt(sig2)
    R = np.swapaxes(A, -1, -2) @ (P / sa[..., None, :])            # (B, d, n - 1)
    return A, w, sa, R, np.ones(sa.shape, dtype=bool)


def _span_by_svd(yc, xc, v):
    """(A, V^T v, singular values of A, R, kept) from LAPACK thin SVDs (see _fit_low_rank)."""
    n, d = xc.shape[-2:]
    Ux, s_plus, Vt = _centred_pinv(xc)
    A = s_plus[..., :, None] * (np.swapaxes(Ux, -1, -2) @ yc)           # (B, k, d)
    _, sa, Rt = np.linalg.svd(A, full_matrices=False)
    k = sa.shape[-1]
    r = min(n - 1, d)
    sa, Rt = sa[..., :r], Rt[..., :r, :]
    keep = sa > max(k, d) * _EPS * sa[..., :1]
    w = np.einsum("...kd,...d->...k", Vt, v)
    return A, w, np.where(keep, sa, 0.0), np.swapaxes(Rt, -1, -2), keep


# ----------------------------------------------------------------------------
# Hellinger distance
# ----------------------------------------------------------------------------


def hellinger_gaussian(m1: ArrayLike, S1: ArrayLike, m2: ArrayLike, S2: ArrayLike) -> float:
    r"""Squared Hellinger distance between two Gaussians (standard form).

    $$
    H^2 = 1 - \frac{\det(S_1)^{1/4}\det(S_2)^{1/4}}{\det(\bar S)^{1/2}}
    \exp\Big(-\tfrac18 \delta m^T \bar S^{-1}\delta m\Big),
    \qquad \bar S = (S_1 + S_2)/2,
    $$

    with $\delta m = m_1 - m_2$, computed with log-determinants and
    ``-expm1``. If exactly one covariance is singular (a degenerate Gaussian,
    e.g. $\rho_G$ for $n \le d$) the two laws are mutually singular and
    $H^2 = 1$. The onset paper's eq. 18 states this formula with typos (a
    factor $2^d$, missing 1/2s); this is the standard form.

    Cost: $O(d^3)$ time and $O(d^2)$ memory (two eigendecompositions, a
    log-determinant and a solve); about 2 ms for d = 100.

    Parameters
    ----------
    m1 : array_like
        Mean of the first Gaussian, shape (d,).
    S1 : array_like
        Its covariance, shape (d, d), symmetric positive semi-definite.
    m2 : array_like
        Mean of the second Gaussian, shape (d,).
    S2 : array_like
        Its covariance, shape (d, d), symmetric positive semi-definite.

    Returns
    -------
    float
        $H^2 \in [0, 1]$; exactly 1 when one covariance is singular.

    Raises
    ------
    TypeError
        If an argument is not a real array.
    ValueError
        If the shapes do not match (d,) and (d, d), a covariance is not
        symmetric or has a negative eigenvalue, an entry is not finite, or both
        covariances are singular.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.1, eq. 18 (corrected).

    Examples
    --------
    >>> import numpy as np
    >>> round(hellinger_gaussian(np.zeros(1), np.eye(1), np.ones(1), np.eye(1)), 6)  # 1 - e^{-1/8}
    0.117503
    >>> hellinger_gaussian(np.zeros(2), np.eye(2), np.zeros(2), np.diag([1.0, 0.0]))
    1.0
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


def _log_bc_isotropic(model: _LowRankGaussian, mu, sigma, d):
    r"""log Bhattacharyya coefficient of $\mathcal N(\mu\mathbf 1, \sigma^2 I_d)$ and
    $\rho_G$ for a batch of fitted models (``-inf`` where $\rho_G$ is degenerate).

    In the eigenbasis of $S_G$ (eigenvalues $g_i$,
    $c = U^T(m_G - \mu\mathbf 1)$),

    $$
    \log BC = \sum_i\Big[\tfrac14\log g_i + \tfrac14\log\sigma^2
    - \tfrac12\log\tfrac{g_i + \sigma^2}2\Big]
    - \tfrac14\sum_i\frac{c_i^2}{g_i + \sigma^2},
    \qquad H^2 = -\mathrm{expm1}(\log BC).
    $$

    $\rho_G$ is degenerate (BC = 0, $H^2 = 1$ exactly) always when
    n <= d: the model then has fewer than d eigenpairs (rank <= n - 1 by
    construction, no tolerance involved). For n > d only an eigenvalue
    indistinguishable from rounding (see `_fit_low_rank`) makes it
    degenerate; a Gaussian design has rank d with probability one. O(B d^2)
    time given the model.
    """
    g = model.eigvals                                   # (B, r)
    if g.shape[-1] < d:
        return np.full(g.shape[:-1], -np.inf)
    s2 = sigma * sigma
    c = np.einsum("...ji,...j->...i", model.eigvecs, model.mean - mu)   # U^T (m_G - mu 1)
    with np.errstate(divide="ignore"):
        log_bc = (0.25 * np.log(g).sum(axis=-1) + 0.25 * d * np.log(s2)
                  - 0.5 * np.log(0.5 * (g + s2)).sum(axis=-1)
                  - 0.25 * (c * c / (g + s2)).sum(axis=-1))
    return np.where(model.rank < d, -np.inf, log_bc)


def _hellinger_to_isotropic(model: _LowRankGaussian, mu, sigma, d):
    """H^2(N(mu 1, sigma^2 I_d), rho_G) = -expm1(log BC) for a batch of fitted models."""
    return -np.expm1(_log_bc_isotropic(model, mu, sigma, d))


# ----------------------------------------------------------------------------
# Delta = E_TG - E_OG
# ----------------------------------------------------------------------------


def _lse(a, axis=-1):
    """log-sum-exp over ``axis`` (finite inputs; plain numpy, no array-API overhead)."""
    m = a.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.exp(a - m).sum(axis=axis))


def _log_self_overlap(P, eps2, chunk=2048, centred=False):
    r"""log int rho^2 for rho = (1/m) sum_k N(P_k, eps2 I), batched over leading axes.

    $\int\rho^2 = m^{-2}(4\pi\epsilon^2)^{-d/2}\sum_{ij} e^{-\|P_i - P_j\|^2/(4\epsilon^2)}$.
    Every exponent is <= 0 (up to rounding) and the m diagonal terms are 1, so the
    double sum lies in [m, m^2] and needs no log-sum-exp shift. The exponents
    $P_i\cdot P_j/(2\epsilon^2) - a_i - a_j$, $a_i = \|P_i\|^2/(4\epsilon^2)$, come
    out of one matrix product of (d + 2)-vectors, clamped at 0 and exponentiated in
    place: four passes over each block. One set of points (``P`` of shape (m, d), the
    original dataset) is summed over the upper triangle only (the sum is symmetric), in
    row blocks of about 8 MB (few, large matrix products: BLAS threads synchronise once
    per call): O(m^2 d) flops and m^2 / 2 exps, O(m d) extra memory. A batch of sets
    (training sets, (B, n, d)) is summed in full, in row chunks of
    ``chunk``. ``centred=True`` says P is already centred (no copy).
    """
    m, d = P.shape[-2:]
    Pc = P if centred else P - P.mean(axis=-2, keepdims=True)
    a = (Pc * Pc).sum(axis=-1) / (4.0 * eps2)             # ||P_i||^2 / (4 eps2)
    one = np.ones_like(a)
    # exponent_ij = P_i.P_j / (2 eps2) - a_i - a_j as one product of (d + 2)-vectors
    left = np.concatenate([Pc / (2.0 * eps2), -a[..., None], one[..., None]], axis=-1)
    right = np.concatenate([Pc, one[..., None], -a[..., None]], axis=-1)
    const = -2.0 * np.log(m) - 0.5 * d * (_LOG_2PI + np.log(2.0 * eps2))
    if Pc.ndim == 2:
        rightT = np.ascontiguousarray(right.T)
        rows = max(8, 2**20 // m)               # 8 MB blocks: few, large products
        total = 0.0
        for i0 in range(0, m, rows):
            i1 = min(i0 + rows, m)
            E = left[i0:i1] @ rightT[:, i0:]
            np.minimum(E, 0.0, out=E)               # rounding can leave a tiny positive
            np.exp(E, out=E)
            # the diagonal block holds both triangles; the rest counts twice
            total += E[:, :i1 - i0].sum() + 2.0 * E[:, i1 - i0:].sum()
        return np.log(total) + const
    rightT = np.swapaxes(right, -1, -2)
    total = 0.0
    for i0 in range(0, m, chunk):
        E = left[..., i0:i0 + chunk, :] @ rightT
        np.minimum(E, 0.0, out=E)
        np.exp(E, out=E)
        total = total + E.sum(axis=(-2, -1))
    return np.log(total) + const


def _log_self_overlap_reference(P, eps2, chunk=2048, centred=False):
    """The previous `_log_self_overlap` (full double sum, log-sum-exp per row chunk),
    kept for the agreement tests and the benchmark."""
    m, d = P.shape[-2:]
    Pc = P if centred else P - P.mean(axis=-2, keepdims=True)
    sq = (Pc * Pc).sum(axis=-1)
    parts = []
    for i0 in range(0, m, chunk):
        Pi = Pc[..., i0:i0 + chunk, :]
        d2 = sq[..., i0:i0 + chunk, None] + sq[..., None, :] - 2.0 * (Pi @ np.swapaxes(Pc, -1, -2))
        parts.append(_lse(_lse(-np.maximum(d2, 0.0) / (4.0 * eps2)))[..., None])
    return (_lse(np.concatenate(parts, axis=-1)) - 2.0 * np.log(m)
            - 0.5 * d * (_LOG_2PI + np.log(2.0 * eps2)))


def _log_cross_overlap(Pc, psq, model: _LowRankGaussian, eps2, centre, features=None):
    r"""log int rho_P rho_G = log (1/m) sum_k N(P_k | m_G, S_G + eps2 I), batched over trials.

    ``Pc`` holds the points minus ``centre`` (the data mean, which keeps the
    expansion below free of cancellation): (m, d), shared by all trials, or
    (trials, m, d); ``psq`` their squared norms. With the r eigenpairs
    $(g, U)$ of $S_G$ (Woodbury, and the determinant lemma),

    $$
    (S_G + \epsilon^2 I)^{-1} = \epsilon^{-2}(I - U D U^T),\quad
    D = \mathrm{diag}\frac{g}{g + \epsilon^2},\qquad
    \log\det(S_G + \epsilon^2 I) = \sum_r\log(g_r + \epsilon^2)
    + (d - r)\log\epsilon^2,
    $$

    so each quadratic form is
    $\|p\|^2 - 2p\cdot m + \|m\|^2 - \sum_r D_r (p\cdot u_r - m\cdot u_r)^2$:
    two matrix products per batch of trials, O(m d r) time and O(B m r) memory
    for B trials; no d x d matrix.

    When the points are shared by the trials and ``features`` holds their
    quadratic features $\phi(p) = ((p_a p_b)_{a \le b}, p, 1)$ (small d: see
    `_quadratic_features`), the quadratic form is taken instead as
    $\phi(p)\cdot(\mathrm{vec}(A), -2 A m, m\cdot A m)$ with the d x d
    matrix $A = (I - U U^T) + U\,\mathrm{diag}(\epsilon^2/(g + \epsilon^2))\,U^T$
    of each trial (its small eigenvalues computed directly, which keeps the form
    accurate when $\epsilon^2 \ll g$, where $1 - D$ would cancel): one
    (B, d(d+1)/2 + d + 1) x (d(d+1)/2 + d + 1, m) product for the whole batch and no
    (m, B, r) intermediate, O(m d^2) flops per trial in one efficient product.
    """
    g = model.eigvals                                     # (B, r)
    U = model.eigvecs                                     # (B, d, r)
    B, d, r = U.shape
    mean = model.mean - centre                            # (B, d)
    m = Pc.shape[-2]
    logdet = np.log(g + eps2).sum(axis=-1) + (d - r) * np.log(eps2)     # (B,)
    if Pc.ndim == 2 and features is not None:
        # A = (I - U U^T) + U diag(eps2 / (g + eps2)) U^T: the small eigenvalues of A
        # are computed directly, not as 1 - g / (g + eps2) (no cancellation when eps2 << g)
        A = np.einsum("bdr,br,ber->bde", U, eps2 / (g + eps2), U)        # (B, d, d)
        if r < d:
            A += np.eye(d) - np.einsum("bdr,ber->bde", U, U)
        iu, ju = np.triu_indices(d)
        Am = np.einsum("bde,be->bd", A, mean)                          # (B, d)
        # weights of the rows of `features`: the quadratic, linear and constant terms
        coef = np.concatenate([A[:, iu, ju] * np.where(iu == ju, 1.0, 2.0), -2.0 * Am,
                               np.einsum("bd,bd->b", mean, Am)[:, None]], axis=1)
        q = coef @ features
        q *= -0.5 / eps2
        return _lse(q) - np.log(m) - 0.5 * (d * _LOG_2PI + logdet)
    shrink = g / (g + eps2)                               # (B, r)
    mu_proj = np.einsum("bd,bdr->br", mean, U)            # (B, r)
    if Pc.ndim == 2:
        psq = psq[None, :]                                # (1, m)
        pm = mean @ Pc.T                                  # (B, m)
        # one (m, d) x (d, B r) product for the whole batch, kept in its (m, B, r) layout
        proj = (Pc @ np.moveaxis(U, 0, 1).reshape(d, B * r)).reshape(m, B, r)
        proj -= mu_proj
        proj *= proj
        proj *= shrink
        low_rank = proj.sum(axis=2).T                     # (B, m)
    else:
        pm = np.einsum("bmd,bd->bm", Pc, mean)
        proj = Pc @ U                                     # (B, m, r)
        proj -= mu_proj[:, None, :]
        proj *= proj
        proj *= shrink[:, None, :]
        low_rank = proj.sum(axis=2)
    q = (psq - 2.0 * pm + (mean * mean).sum(axis=1)[:, None] - low_rank) / eps2
    return _lse(-0.5 * q) - np.log(m) - 0.5 * (d * _LOG_2PI + logdet)


@dataclass(frozen=True)
class _Original:
    """An original dataset prepared once: its mean, the centred points and their squared
    norms, the KDE width eps_O^2 and log int rho_O^2."""

    centre: np.ndarray
    points: np.ndarray
    sqnorm: np.ndarray
    eps2: float
    log_self: float
    features: np.ndarray | None = None


_FEATURE_BYTES = 2**25        # quadratic features of the original points: at most 32 MB


def _quadratic_features(points):
    """Rows ``(p_a p_b)_{a <= b}``, ``(p_a)_a`` and 1 for the points p (rows of
    ``points``, (m, d)): a (d(d+1)/2 + d + 1, m) array, contiguous along the points, so
    that any quadratic form of every point is one matrix product. None when it would
    take more than `_FEATURE_BYTES` (large d; the low-rank form of
    `_log_cross_overlap` is used there)."""
    m, d = points.shape
    n_feat = d * (d + 1) // 2 + d + 1
    if m * n_feat * 8 > _FEATURE_BYTES:
        return None
    iu, ju = np.triu_indices(d)
    pt = points.T
    return np.concatenate([pt[iu] * pt[ju], pt, np.ones((1, m))], axis=0)


def _prepare_original(original, sigma, log_self=None, eps2=None):
    """Centre ``original`` once (O(N_O d)), compute log int rho_O^2 (O(N_O^2 d)) unless
    given, and the quadratic features of its points when they are small. ``eps2`` is the
    squared KDE width; default the power rule sigma^2 N_O^{-2/d} (onset paper, Fig. 3)."""
    N_O, d = original.shape
    eps2 = _kde_width2(sigma, N_O, d) if eps2 is None else eps2
    centre = original.mean(axis=0)
    points = original - centre
    if log_self is None:
        log_self = float(_log_self_overlap(points, eps2, centred=True))
    return _Original(centre, points, np.einsum("ij,ij->i", points, points), eps2, log_self,
                     _quadratic_features(points))


def _delta(Y, X, orig: _Original, sigma, T, lam):
    """sign(Delta) and log|Delta| for a batch (B, n, d) of training sets (checked arguments)."""
    B, n, d = Y.shape
    model = _fit_low_rank(Y, X, T, lam)
    eps2_n = _kde_width2(sigma, n, d)
    log_tt = _log_self_overlap(Y, eps2_n, chunk=max(1, 4_000_000 // (B * n)))
    Yc = Y - orig.centre
    log_tg = _log_cross_overlap(Yc, (Yc * Yc).sum(axis=-1), model, eps2_n, orig.centre)
    log_og = _log_cross_overlap(orig.points, orig.sqnorm, model, orig.eps2, orig.centre,
                                orig.features)
    terms = np.stack(np.broadcast_arrays(log_tt, np.log(2.0) + log_tg, orig.log_self,
                                         np.log(2.0) + log_og), axis=0)
    b = np.array([1.0, -1.0, -1.0, 1.0])[:, None]
    log_abs, sign = special.logsumexp(terms, axis=0, b=b, return_sign=True)
    return sign, log_abs


def delta_statistic(Y: ArrayLike, X: ArrayLike, original: ArrayLike, *, sigma: float = 1.0,
                    T: float = 2.0, lam: float = np.exp(-4.0),
                    log_original_overlap: float | None = None,
                    ) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    r"""Sign and log-magnitude of $\Delta = E_{TG} - E_{OG}$ (onset paper, eqs. 19-21).

    $$
    \Delta = \Big[\int\rho_T^2 - 2\int\rho_T\rho_G\Big]
    - \Big[\int\rho_O^2 - 2\int\rho_O\rho_G\Big],
    $$

    each integral a Gaussian overlap (see the module docstring), the overlaps
    with $\rho_G$ evaluated in the r-dimensional range of its covariance
    (Woodbury and the determinant lemma, no d x d matrix). $\rho_T$ and
    $\rho_O$ are Gaussian kernel density estimates of width
    $\epsilon_m = \sigma m^{-1/d}$ over the m = n training points and the
    $N_O$ original points (the paper's Fig. 3). The model generalizes on
    this training set when $\Delta > 0$ (eq. 20).

    Cost: $O(N_O^2 d + B d k (n + N_O))$ time, k = min(n, d), and
    $O(\min(N_O, 2048) N_O + N_O d + B (n d + N_O k))$ memory for B trials of
    n points in dimension d and $N_O$ original points (the $B n^2$ pair terms
    are chunked to about 4e6 elements); the $N_O^2 d$ term is skipped when
    ``log_original_overlap`` is given. Measured (2 shared cores, one trial,
    n = 100, $N_O$ = 1000, ``log_original_overlap`` given; time / tracemalloc
    peak): 0.077 s / 21 MB at d = 1000 (2.2 s / 26 MB with the former dense
    fit, 29x), 1.25 s / 208 MB at d = 1e4 (160 MB of it the original points
    and their centred copy). About 2.9 s for one trial with n = 64, d = 16,
    $N_O = 10^4$ (dominated by the $N_O^2$ term).

    Parameters
    ----------
    Y : array_like
        Training data, shape (n, d) or (trials, n, d), n >= 2.
    X : array_like
        Their noised versions, same shape as ``Y``.
    original : array_like
        The original dataset defining $\rho_O$, shape ($N_O$, d), $N_O$ >= 2.
    sigma : float, default 1.0
        Data standard deviation, > 0 (sets $\epsilon_m = \sigma m^{-1/d}$).
    T : float, default 2.0
        Noise time, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.
    log_original_overlap : float, optional
        Precomputed $\log\int\rho_O^2$ (it does not depend on the trial);
        computed from ``original`` when ``None``.

    Returns
    -------
    sign : float or numpy.ndarray
        $\mathrm{sign}(\Delta)$ (+1, -1 or 0): a float for 2-d ``Y``, an array
        of shape (trials,) for 3-d ``Y``.
    log_abs : float or numpy.ndarray
        $\log|\Delta|$, same shape as ``sign``.

    Raises
    ------
    TypeError
        If an array argument is not a real array or a scalar one not a real
        number.
    ValueError
        If ``Y`` and ``X`` differ in shape or have fewer than 2 rows, ``original``
        has a number of columns other than d or fewer than 2 rows, an entry is
        not finite, ``sigma``, ``T`` or ``lam`` is not positive, or the
        intermediates would exceed the memory budget.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.2, eqs. 19-21 and Fig. 3.

    Examples
    --------
    >>> import numpy as np
    >>> original = 10 + np.random.default_rng(1).standard_normal((500, 16))
    >>> Y, X = sample_training_set(4, 16, seed=0)      # n << d: memorizing
    >>> sign, log_abs = delta_statistic(Y, X, original)
    >>> sign
    -1.0
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
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    B, n, d = Y.shape
    if n < 2:
        raise ValueError(f"Y must have at least 2 rows (training points), got shape {Y.shape}")
    if original.shape[1] != d:
        raise ValueError(f"original must have {d} columns, got shape {original.shape}")
    if original.shape[0] < 2:
        raise ValueError(f"original must have at least 2 rows, got shape {original.shape}")
    check_allocation("Y and original", (B, original.shape[0], min(n, d)))
    if log_original_overlap is not None:
        log_original_overlap = check_real("log_original_overlap", log_original_overlap)
    sign, log_abs = _delta(Y, X, _prepare_original(original, sigma, log_original_overlap),
                           sigma, T, lam)
    if single:
        return float(sign[0]), float(log_abs[0])
    return sign, log_abs


@dataclass(frozen=True)
class ProbabilityEstimate(Result):
    """A Monte Carlo probability with its confidence interval.

    Returned by [`p_delta_positive`][memlab.theory.linear_diffusion.p_delta_positive] (Wilson score interval) and, one per
    training-set size, in [`DeltaCurve`][memlab.theory.linear_diffusion.DeltaCurve] (Wilson interval, or a Student t
    interval over original datasets).

    Attributes
    ----------
    estimate : float
        The estimated probability, in [0, 1].
    stderr : float
        Its standard error (binomial, or from the spread over original
        datasets).
    ci_low : float
        Lower end of the confidence interval.
    ci_high : float
        Upper end of the confidence interval.
    confidence : float
        Level of the interval, in (0, 1).
    n_samples : int
        Number of Monte Carlo trials.
    seed : object
        The ``seed`` argument of the run (an int, a Generator or None).
    """

    estimate: float
    stderr: float
    ci_low: float
    ci_high: float
    confidence: float
    n_samples: int
    seed: object


@dataclass(frozen=True)
class MeanEstimate(Result):
    """A Monte Carlo mean with its standard error.

    Returned by [`expected_hellinger`][memlab.theory.linear_diffusion.expected_hellinger].

    Attributes
    ----------
    estimate : float
        The sample mean.
    stderr : float
        Its standard error; 0 when every trial gives the same value by
        construction, NaN for a single trial.
    n_samples : int
        Number of Monte Carlo trials.
    seed : object
        The ``seed`` argument of the run (an int, a Generator or None).
    """

    estimate: float
    stderr: float
    n_samples: int
    seed: object


def _wilson(k, m, confidence):
    z = special.ndtri(0.5 + confidence / 2.0)          # normal quantile
    p = k / m
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    lo = 0.0 if k == 0 else float(max(0.0, centre - half))
    hi = 1.0 if k == m else float(min(1.0, centre + half))
    return lo, hi


def p_delta_positive(n: int, d: int, *, mu: float = 10.0, sigma: float = 1.0, T: float = 2.0,
                     lam: float = np.exp(-4.0), n_original: int = 10_000, trials: int = 1000,
                     seed: Generator | int | None = None, confidence: float = 0.95,
                     original: ArrayLike | None = None, chunk: int = 64) -> ProbabilityEstimate:
    r"""Monte Carlo estimate of $P(\Delta > 0)$ over training sets (onset paper, Fig. 3).

    The onset paper's criterion (Sec. 3.2, eq. 20): the linear diffusion model
    generalizes at training-set size n when $P(\Delta > 0) > 1/2$ and
    memorizes when $P(\Delta > 0) \le 1/2$, with $\Delta$ of
    [`delta_statistic`][memlab.theory.linear_diffusion.delta_statistic]. One original dataset of ``n_original`` points is
    drawn (or given as ``original``) and $\int\rho_O^2$ is computed once;
    then ``trials`` training sets of size n are drawn and processed in
    vectorized chunks. The interval is Wilson's score interval.

    Cost: $O(N_O^2 d + \mathrm{trials}\, d k (n + N_O))$ time, k = min(n, d),
    and $O(\min(N_O, 2048) N_O + N_O d + c (n d + N_O k))$ memory,
    $N_O$ = ``n_original``, with $c \le \min(\mathrm{chunk}, 2\cdot 10^6 / (N_O d))$
    trials per chunk (see [`delta_statistic`][memlab.theory.linear_diffusion.delta_statistic]: no d x d matrix when
    $n \le d$); about 10 s for n = 64, d = 16, $N_O = 10^4$, trials = 1000.

    Measured (d = 16, $N_O$ = 1e4, 1000 trials, ``seed=1``): 0.026 at n = 8,
    0.019 at 12, 0.000 at 16, 0.002 at 20, 0.277 at 24, 0.761 at 28, 0.921 at
    32, 0.985 at 40, 0.998 at 64; transition (P = 1/2) at n = 25.8 (measured
    before the pseudo-inverse fix of [`fit_linear_model`][memlab.theory.linear_diffusion.fit_linear_model]; with it, on the
    grid 8, 12, 16, 20, 24, 32 and ``seed=1``: 0.017 and 0.019 at n = 8 and 12
    against 0.020 and 0.016 before, identical from n = 16 on). The small
    positive tail at n < d is genuine (|Delta| is 0.1-35% of the largest
    term in those trials, not rounding, and it survives the fix).

    Where it stops holding: as n approaches $N_O$ the probability falls back
    towards 1/2 on average over original datasets (the onset paper's regime
    $N \sim n \gg d$), but conditional on the one original dataset it can be
    anything: d = 16, $N_O$ = n = 1000, 32 original sets: mean 0.45
    [0.33, 0.56], per-set standard deviation 0.31 (use
    [`p_delta_curve`][memlab.theory.linear_diffusion.p_delta_curve] with ``n_original_sets``).

    Parameters
    ----------
    n : int
        Training-set size, >= 2.
    d : int
        Dimension, >= 1.
    mu : float, default 10.0
        Mean of every coordinate of the data.
    sigma : float, default 1.0
        Data standard deviation, > 0.
    T : float, default 2.0
        Noise time, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.
    n_original : int, default 10000
        Size $N_O \ge 2$ of the original dataset drawn when ``original`` is
        None (the paper's $N = 10^4$).
    trials : int, default 1000
        Number of training sets drawn, >= 1.
    seed : Generator | int | None, default None
        Random seed or generator (draws the original dataset, then the
        training sets).
    confidence : float, default 0.95
        Level of the Wilson interval, in (0, 1).
    original : array_like, optional
        A given original dataset, shape ($N_O$, d) with $N_O$ >= 2, used instead
        of drawing one (``n_original`` is then ignored).
    chunk : int, default 64
        Training sets per vectorized batch (capped to keep the intermediates
        near 16 MB; the result does not depend on it).

    Returns
    -------
    ProbabilityEstimate
        The fraction of trials with $\Delta > 0$, its binomial standard error
        and Wilson interval.

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a float ``n``, a string
        ``seed``).
    ValueError
        If an argument is out of range (n < 2, ``confidence`` outside (0, 1),
        ``original`` with a number of columns other than d, ...) or the
        arrays would exceed the memory budget.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.2, eq. 20 and Fig. 3.

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
    orig = _original_set(original, n_original, d, mu, sigma, rng)
    return _p_delta(n, d, mu, sigma, T, lam, trials, rng, seed, confidence, orig, chunk)


def _original_set(original, n_original, d, mu, sigma, rng, eps2_rule=None) -> _Original:
    """The original dataset (drawn, or the one given), centred, with log int rho_O^2, once.
    ``eps2_rule(m)`` gives the squared KDE width of m points (default the power rule)."""
    if original is None:
        n_original = check_positive_int("n_original", n_original, minimum=2,
                                        maximum=MAX_SAMPLES)
        check_allocation("n_original and d", (n_original, d))
        original = mu + sigma * rng.standard_normal((n_original, d))
    else:
        original = check_array("original", original, ndim=2)
        if original.shape[1] != d:
            raise ValueError(f"original must have {d} columns, got shape {original.shape}")
        if original.shape[0] < 2:
            raise ValueError(f"original must have at least 2 rows, got shape {original.shape}")
    eps2 = None if eps2_rule is None else eps2_rule(original.shape[0])
    return _prepare_original(original, sigma, eps2=eps2)


def _p_delta(n, d, mu, sigma, T, lam, trials, rng, seed, confidence, orig: _Original, chunk):
    # keep the (chunk, N_O, min(n, d)) intermediates near 16 MB whatever N_O and d are
    chunk = max(1, min(chunk, 2_000_000 // (orig.points.shape[0] * d)))
    positive = 0
    for b0 in range(0, trials, chunk):
        B = min(chunk, trials - b0)
        Y, X = sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=B, seed=rng)
        sign, _ = _delta(Y, X, orig, sigma, T, lam)
        positive += int((sign > 0).sum())
    p = positive / trials
    lo, hi = _wilson(positive, trials, confidence)
    return ProbabilityEstimate(p, float(np.sqrt(p * (1 - p) / trials)), lo, hi, confidence,
                               trials, seed)


@dataclass(frozen=True)
class DeltaCurve(Result):
    r"""$P(\Delta > 0)$ against n, with the transition size (onset paper, Fig. 3).

    Returned by [`p_delta_curve`][memlab.theory.linear_diffusion.p_delta_curve].

    Attributes
    ----------
    n : numpy.ndarray
        Training-set sizes (integers).
    estimates : tuple of ProbabilityEstimate
        One [`ProbabilityEstimate`][memlab.theory.linear_diffusion.ProbabilityEstimate] per n.
    probability : numpy.ndarray
        The estimates of $P(\Delta > 0)$ as an array, one per n.
    ci_low : numpy.ndarray
        Lower ends of their confidence intervals.
    ci_high : numpy.ndarray
        Upper ends of their confidence intervals.
    set_probabilities : numpy.ndarray
        $P(\Delta > 0)$ conditional on each original dataset, shape
        (n_original_sets, len(n)).
    transition : float
        [`transition_n`][memlab.theory.linear_diffusion.transition_n] of the curve (NaN if P never crosses 1/2 inside it).
    d : int
        Dimension.
    n_original : int
        Size $N_O$ of each original dataset.
    trials : int
        Training sets drawn per n, in total over the original sets.
    n_original_sets : int
        Number of independent original datasets.
    seed : object
        The ``seed`` argument of the run (an int, a Generator or None).
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


def p_delta_curve(n_values: ArrayLike, d: int, *, mu: float = 10.0, sigma: float = 1.0,
                  T: float = 2.0, lam: float = np.exp(-4.0), n_original: int = 10_000,
                  trials: int = 1000, seed: Generator | int | None = None,
                  confidence: float = 0.95, original: ArrayLike | None = None,
                  n_original_sets: int = 1, progress: bool = False) -> DeltaCurve:
    r"""$P(\Delta > 0)$ for several n, and the transition size (onset paper, Fig. 3).

    [`p_delta_positive`][memlab.theory.linear_diffusion.p_delta_positive] at each n of ``n_values``, sharing the original
    datasets: each original dataset and its $\int\rho_O^2$ (the $O(N_O^2)$
    part) are computed once for the whole curve. The memorization to
    generalization transition is the n where the curve crosses 1/2
    ([`transition_n`][memlab.theory.linear_diffusion.transition_n]).

    $P(\Delta > 0)$ as the paper defines it is conditional on the one original
    dataset. With ``n_original_sets > 1`` the trials are spread over that many
    independent original sets; the estimate is the mean of the per-set
    probabilities and its interval comes from their spread (Student t
    interval). This matters when n approaches $N_O$, where the conditional
    probability stops being a property of the model: with d = 16,
    $N_O$ = n = 1000, 32 sets gave a mean of 0.45 [0.33, 0.56] with a per-set
    standard deviation of 0.31. With $N_O$ = 1e4 and $n \le 64$ the sets agree
    (transition at n = 25.8-26.6 over five sets). The curve's ``transition``
    is NaN when the probability does not cross 1/2 inside ``n_values`` (the
    grid is then too short: extend it).

    Parameters
    ----------
    n_values : array_like of int
        Training-set sizes, each >= 2, increasing for the transition to be
        defined.
    d : int
        Dimension, >= 1.
    mu : float, default 10.0
        Mean of every coordinate of the data.
    sigma : float, default 1.0
        Data standard deviation, > 0.
    T : float, default 2.0
        Noise time, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.
    n_original : int, default 10000
        Size $N_O$ of each original dataset drawn, >= 2.
    trials : int, default 1000
        Training sets per n, in total over the original sets, >= 1.
    seed : Generator | int | None, default None
        Random seed or generator.
    confidence : float, default 0.95
        Level of the intervals, in (0, 1).
    original : array_like, optional
        A given original dataset, shape ($N_O$, d); only with
        ``n_original_sets = 1``.
    n_original_sets : int, default 1
        Number of independent original datasets, 1 <= n_original_sets <=
        ``trials``.
    progress : bool, default False
        Show a ``tqdm`` progress bar over n.

    Returns
    -------
    DeltaCurve
        The estimates and intervals per n, the per-set probabilities and the
        transition size.

    Raises
    ------
    TypeError
        If ``n_values`` is a string or None, or an argument has the wrong type.
    ValueError
        If ``n_values`` is empty or holds a size < 2, ``n_original_sets``
        exceeds ``trials``, ``original`` is given with ``n_original_sets > 1``,
        ``confidence`` is outside (0, 1), or another argument is out of range.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.2 and Fig. 3.

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
        orig = _original_set(original, n_original, d, mu, sigma, rng)
        iterator = n_values
        if progress:
            from tqdm.auto import tqdm
            iterator = tqdm(n_values, desc=f"P(Delta > 0), d={d}, set {j + 1}/{sets}", leave=False)
        row = [_p_delta(n, d, mu, sigma, T, lam, int(per_set[j]), rng, seed, confidence, orig,
                        64) for n in iterator]
        set_est.append(row)
        set_p[j] = [e.estimate for e in row]
    if sets == 1:
        ests = tuple(set_est[0])
    else:
        z = special.stdtrit(sets - 1, 0.5 + confidence / 2.0)   # Student t quantile
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


def expected_hellinger(n: int, d: int, *, mu: float = 10.0, sigma: float = 1.0,
                       T: float = 2.0, lam: float = np.exp(-4.0), trials: int = 1000,
                       seed: Generator | int | None = None) -> MeanEstimate:
    r"""Monte Carlo mean of $H^2(\mathcal N(\mu\mathbf 1, \sigma^2 I), \rho_G)$ (onset paper, Fig. 2).

    The convergence measure of the onset paper's Sec. 3.1: the mean over
    training sets of the squared Hellinger distance between the true law and
    the generated Gaussian $\rho_G$ of eq. 17.

    For $n \le d$ the generated Gaussian is degenerate and $H^2 = 1$
    exactly; it drops quickly once n exceeds d. No training set is drawn then
    (``seed`` is only checked; a Generator is not advanced):
    $\mathrm{rank}(S_G) \le n - 1 < d$ for every training set, so every
    trial gives $H^2 = 1$ (a structural fact, no eigenvalue tolerance;
    ``stderr`` is 0). For n > d each
    trial is fitted in the span of its data (`_fit_low_rank`, here the
    whole of $\mathbb R^d$) and

    $$
    H^2 = 1 - \prod_i\frac{(g_i\sigma^2)^{1/4}}{((g_i + \sigma^2)/2)^{1/2}}
    \exp\Big(-\frac14\sum_i\frac{c_i^2}{g_i + \sigma^2}\Big)
    $$

    over the eigenpairs $(g_i, u_i)$ of $S_G$,
    $c_i = u_i\cdot(m_G - \mu\mathbf 1)$, in log space. Degeneracy for
    n > d is decided only by singular values indistinguishable from rounding
    (``max(n, d) * eps`` relative); measured at n = d + 1 the smallest singular
    value of $\theta_1$ is 1.5e-4 (d = 100) to 1.2e-6 (d = 1000) of the
    largest, far above it, and $\log BC \approx -0.27 d$ there, so
    $H^2$ rounds to 1 for d above about 150 anyway.

    Cost: $O(1)$ for $n \le d$: measured 0.3 ms and 1.5 kB (tracemalloc peak;
    the argument checks) at d = 1e3, 1e4 and 3e4 with n = 100, against 2.5-6 s /
    27 MB (d = 1000) and 35-46 s / 103 MB (d = 2000) per trial for the former
    dense code (sample, pinv, SVD of the d x d slope; $O(d^3)$), 1-1.5 h /
    2.6 GB extrapolated to d = 1e4. For n > d: $O(\mathrm{trials}\,(n d^2 + d^3))$
    time (two SVDs per trial) and $O(c (n d + d^2))$ memory, c trials per batch of
    about 128 MB; measured one trial at n = 2d: 0.04 s (d = 100), 1-10 s
    (d = 800, three runs on 2 busy cores; fitted exponents 1.7-2.7 in d for an
    expected 3), so seconds to tens of seconds at d = 1e3 and hours at d = 1e4
    (``benchmarks/bench_linear.py``).

    Where it stops holding: the decay with n does not go to zero; the large-n
    limit is [`hellinger_large_n_limit`][memlab.theory.linear_diffusion.hellinger_large_n_limit] (0.368 at d = 16).

    Parameters
    ----------
    n : int
        Training-set size, >= 2.
    d : int
        Dimension, >= 1.
    mu : float, default 10.0
        Mean of every coordinate of the data.
    sigma : float, default 1.0
        Data standard deviation, > 0.
    T : float, default 2.0
        Noise time, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.
    trials : int, default 1000
        Number of training sets, >= 1.
    seed : Generator | int | None, default None
        Random seed or generator (checked but not used when $n \le d$).

    Returns
    -------
    MeanEstimate
        The mean of $H^2$ over the trials and its standard error (0 when
        $n \le d$, NaN for a single trial).

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a string ``seed``).
    ValueError
        If an argument is out of range (n < 2, ``sigma`` <= 0, ...) or, for
        n > d, the d x d eigenvectors would exceed the memory budget.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.1, eqs. 17-18 and Fig. 2.

    Examples
    --------
    >>> expected_hellinger(8, 16, trials=10, seed=0).estimate      # n <= d: degenerate
    1.0
    >>> h = expected_hellinger(64, 16, trials=20, seed=0).estimate
    >>> bool(hellinger_large_n_limit(16) < h < 1.0)
    True
    """
    n, d, mu, sigma, T, lam = _check_model_args(n, d, mu, sigma, T, lam)
    trials = check_positive_int("trials", trials, maximum=MAX_SAMPLES)
    rng = check_rng(seed)
    if n <= d:
        # rank(S_G) <= n - 1 < d for every training set: H^2 = 1 in every trial
        return MeanEstimate(1.0, 0.0 if trials > 1 else float("nan"), trials, seed)
    check_allocation("d", (d, d))                       # the eigenvectors of S_G
    # trials in batches of about 128 MB of intermediates (n x d and d x d arrays)
    chunk = max(1, min(trials, _BATCH_BYTES // (8 * 6 * (n * d + d * d))))
    h2 = np.empty(trials)
    for b0 in range(0, trials, chunk):
        B = min(chunk, trials - b0)
        Y, X = sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=B, seed=rng)
        h2[b0:b0 + B] = _hellinger_to_isotropic(_fit_low_rank(Y, X, T, lam), mu, sigma, d)
    err = float(h2.std(ddof=1) / np.sqrt(trials)) if trials > 1 else float("nan")
    return MeanEstimate(float(h2.mean()), err, trials, seed)


def hellinger_large_n_limit(d: int, *, sigma: float = 1.0, T: float = 2.0,
                            lam: float = np.exp(-4.0)) -> float:
    r"""Limit of $H^2(\rho, \rho_G)$ as $n \to \infty$: the linear model never converges.

    With infinitely many samples the regression of the onset paper's eq. 15
    gives $\theta_1 = b I$, $b = e^{-T}\sigma^2/v$,
    $v = \sigma_X^2 = e^{-2T}\sigma^2 + \Delta_T$, and the mean is exact,
    but the generated covariance is $v b^2 I = c\,\sigma^2 I$ with
    $c = e^{-2T}\sigma^2/v < 1$ (the one-step denoiser shrinks the
    variance), so

    $$
    H^2_\infty = 1 - \Big(\frac{2\sqrt c}{1 + c}\Big)^{d/2}.
    $$

    At the paper's T = 2, $\lambda = e^{-4}$: c = 0.5047, so
    $H^2_\infty$ = 0.368 for d = 16 and 0.943 for d = 100: the decay of
    the paper's Fig. 2 stops there. The limit does not depend on $\mu$.

    Parameters
    ----------
    d : int
        Dimension, >= 1.
    sigma : float, default 1.0
        Data standard deviation, > 0.
    T : float, default 2.0
        Noise time, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.

    Returns
    -------
    float
        $H^2_\infty \in (0, 1)$, computed in logs (no overflow for any
        positive arguments).

    Raises
    ------
    TypeError
        If an argument is not a number (``d`` not an integer).
    ValueError
        If d < 1 or ``sigma``, ``T`` or ``lam`` is not positive and finite.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.1, eqs. 15-17 and Fig. 2
    (the limit itself is derived here, not in the paper).

    Examples
    --------
    >>> round(hellinger_large_n_limit(16), 3)
    0.368
    >>> round(hellinger_large_n_limit(100), 3)
    0.943
    """
    d = check_positive_int("d", d)
    sigma = check_positive_real("sigma", sigma)
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    # log c = log(signal) - log(signal + noise), all in logs: e^{-2T} sigma^2 may under/overflow
    log_signal = -2.0 * T + 2.0 * np.log(sigma)
    log_c = log_signal - np.logaddexp(log_signal, np.log(lam) + np.log(-np.expm1(-2.0 * T)))
    return float(-np.expm1(0.5 * d * (np.log(2.0) + 0.5 * log_c - np.log1p(np.exp(log_c)))))


def transition_n(n_values: ArrayLike, probabilities: ArrayLike) -> float:
    r"""Smallest n with $P(\Delta > 0) > 1/2$, linearly interpolated in log n.

    The onset paper's memorization to generalization transition (Sec. 3.2):
    the training-set size where $P(\Delta > 0)$ first crosses 1/2, between the
    last size with $P \le 1/2$ and the first with $P > 1/2$, interpolated
    linearly in $\log n$.

    Parameters
    ----------
    n_values : array_like
        Increasing training-set sizes, shape (k,), each >= 1.
    probabilities : array_like
        $P(\Delta > 0)$ at those sizes, shape (k,), each in [0, 1].

    Returns
    -------
    float
        The interpolated crossing of 1/2 below the first n whose probability
        exceeds 1/2.

    Raises
    ------
    TypeError
        If an argument is not a real array.
    ValueError
        If the shapes differ, ``n_values`` is not increasing, a probability
        is outside [0, 1], no probability exceeds 1/2, or the first one
        already does.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.2 and Fig. 3.

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


# ----------------------------------------------------------------------------
# E_TG and E_OG themselves, and the alignment claim (onset paper, Sec. 3.2 and Fig. 1)
# ----------------------------------------------------------------------------

_KDE_RULES = ("power", "mixing")
_LOG_4PI = np.log(4.0 * np.pi)


def _check_kde_width(kde_width):
    """"power", "mixing" or a positive width (float)."""
    if isinstance(kde_width, str):
        return check_choice("kde_width", kde_width, _KDE_RULES)
    if kde_width is None or isinstance(kde_width, (bytes, bool, np.bool_)):
        raise TypeError(f"kde_width must be one of {_KDE_RULES} or a positive number, got "
                        f"{_show(kde_width)}")
    return check_positive_real("kde_width", kde_width)


def _eps2_rule(kde_width, sigma, d):
    """Squared KDE width of a set of m points under the rule ``kde_width``."""
    if kde_width == "power":
        return lambda m: float(_kde_width2(sigma, m, d))
    if kde_width == "mixing":
        from .mixing import mixing_time
        return lambda m: 2.0 * float(mixing_time(sigma, d, m))        # eq. 10: eps^2 = 2 t_M
    w2 = float(kde_width) ** 2
    return lambda m: w2


def kde_bandwidth2(m: int, d: int, *, sigma: float = 1.0, kde_width: str | float = "power") -> float:
    r"""Squared width $\epsilon_m^2$ of the Gaussian KDE of a set of m points in dimension d.

    ``"power"``: $\epsilon_m^2 = \sigma^2 m^{-2/d}$, the width of the onset paper's
    Fig. 3; ``"mixing"``: $\epsilon^2 = 2 t_M(m)$, its eq. 10 with the mixing time of
    [`mixing_time`][memlab.theory.mixing.mixing_time]; a number w: $\epsilon^2 = w^2$
    whatever m. The rule the E_TG, E_OG and $\Delta$ functions of this module take
    as ``kde_width``.

    Parameters
    ----------
    m : int
        Number of points, >= 1.
    d : int
        Dimension, >= 1.
    sigma : float, default 1.0
        Standard deviation of the data, > 0.
    kde_width : {"power", "mixing"} or float, default "power"
        The rule, or a fixed width > 0.

    Returns
    -------
    float
        $\epsilon^2$.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``m`` or ``d`` < 1, ``sigma`` <= 0, or ``kde_width`` is an unknown rule or not
        positive.

    References
    ----------
    The onset paper (anonymous, under review), Fig. 3 and eq. 10.

    Examples
    --------
    >>> round(kde_bandwidth2(100, 2), 12)          # 1 / 100
    0.01
    >>> kde_bandwidth2(100, 2, kde_width=0.5)
    0.25
    """
    m = check_positive_int("m", m, maximum=MAX_SAMPLES)
    d = check_positive_int("d", d, maximum=MAX_SAMPLES)
    sigma = check_positive_real("sigma", sigma)
    return float(_eps2_rule(_check_kde_width(kde_width), sigma, d)(m))


def _check_generated_width(generated_width):
    """None, "original" or a positive width (float)."""
    if generated_width is None:
        return None
    if isinstance(generated_width, str):
        return check_choice("generated_width", generated_width, ("original",))
    return check_positive_real("generated_width", generated_width)


def _fit_ridge(Y, X, T, lam, ridge):
    r"""The generated Gaussian of the ridge denoiser $\theta_1^T = (x^Tx + n r I)^{-1}x^Ty$.

    ``ridge`` = r = 0 is the minimum-norm (least-squares) model of `_fit_low_rank`,
    returned by it unchanged. For r > 0, with the thin SVD $x = U S V^T$,
    $\theta_1 = A^T V^T$ with $A = \mathrm{diag}(s/(s^2 + n r))\,U^T y$; the direction
    that centring makes singular (index n - 1 and beyond) is dropped as in
    `_centred_pinv`. The rank of $\theta_1$ is still at most n - 1 (it maps into the
    span of the centred targets), so ridge does not make $\rho_G$ non-degenerate when
    $n \le d$; it only shrinks the slope. O(B n d k) time, k = min(n, d).
    """
    if ridge == 0.0:
        return _fit_low_rank(Y, X, T, lam)
    n, d = Y.shape[-2:]
    Ybar, Xbar = Y.mean(axis=-2), X.mean(axis=-2)
    yc, xc = Y - Ybar[..., None, :], X - Xbar[..., None, :]
    sigma_X2 = _generation_variance(yc, T, lam)
    v = np.exp(-T) * Ybar - Xbar
    Ux, s, Vt = np.linalg.svd(xc, full_matrices=False)
    k = s.shape[-1]
    keep = (s > max(n, d) * _EPS * s[..., :1]) & (np.arange(k) < n - 1)
    coef = np.where(keep, s / (s * s + n * ridge), 0.0)
    A = coef[..., :, None] * (np.swapaxes(Ux, -1, -2) @ yc)            # (B, k, d)
    _, sa, Rt = np.linalg.svd(A, full_matrices=False)
    r = min(n - 1, d)
    sa, Rt = sa[..., :r], Rt[..., :r, :]
    kept = sa > max(k, d) * _EPS * sa[..., :1]
    w = np.einsum("...kd,...d->...k", Vt, v)
    mean = Ybar + np.einsum("...kd,...k->...d", A, w)
    sa = np.where(kept, sa, 0.0)
    return _LowRankGaussian(mean, sigma_X2[..., None] * sa * sa, np.swapaxes(Rt, -1, -2),
                            kept.sum(axis=-1))


def _log_self_generated(model: _LowRankGaussian, d, eps2_G):
    r"""$\log\int\rho_G^2 = -\frac d2\log 4\pi - \frac12\log\det(S_G + \epsilon_G^2 I)$ per trial.

    $+\infty$ when $\epsilon_G = 0$ and $S_G$ is singular (rank < d: always when
    $n \le d$); with $\epsilon_G > 0$ the determinant lemma over the r eigenpairs
    gives $\sum_r\log(g_r + \epsilon_G^2) + (d - r)\log\epsilon_G^2$.
    """
    g = model.eigvals
    r = g.shape[-1]
    if eps2_G > 0.0:
        logdet = np.log(g + eps2_G).sum(axis=-1) + (d - r) * np.log(eps2_G)
        return -0.5 * d * _LOG_4PI - 0.5 * logdet
    if r < d:
        return np.full(g.shape[:-1], np.inf)
    with np.errstate(divide="ignore"):
        logdet = np.log(g).sum(axis=-1)
    return np.where(model.rank < d, np.inf, -0.5 * d * _LOG_4PI - 0.5 * logdet)


def _log_distance(log_self, log_cross, log_gg):
    """log E = log(int rho^2 - 2 int rho rho_G + int rho_G^2) per trial; +inf where int
    rho_G^2 is; the magnitude where rounding leaves a non-positive value (|E| below about
    1e-16 of the largest term)."""
    log_self, log_cross, log_gg = np.broadcast_arrays(log_self, log_cross, log_gg)
    out = np.full(log_gg.shape, np.inf)
    fin = np.isfinite(log_gg)
    if np.any(fin):
        terms = np.stack([log_self[fin], np.log(2.0) + log_cross[fin], log_gg[fin]])
        out[fin] = special.logsumexp(terms, axis=0, b=np.array([1.0, -1.0, 1.0])[:, None],
                                     return_sign=True)[0]
    return out


def _distance_terms(Y, X, orig: _Original, mu, sigma, T, lam, eps2_n, ridge, eps2_G):
    """Per trial of a batch (B, n, d): the five log-integrals, log E_TG, log E_OG,
    sign(Delta), log|Delta| and H^2 (checked arguments). With ridge = 0, eps2_G = 0 and the
    power-rule widths, sign(Delta) and log|Delta| are those of `_delta` (same operations)."""
    B, n, d = Y.shape
    model = _fit_ridge(Y, X, T, lam, ridge)
    log_tt = _log_self_overlap(Y, eps2_n, chunk=max(1, 4_000_000 // (B * n)))
    Yc = Y - orig.centre
    log_tg = _log_cross_overlap(Yc, (Yc * Yc).sum(axis=-1), model, eps2_n + eps2_G, orig.centre)
    log_og = _log_cross_overlap(orig.points, orig.sqnorm, model, orig.eps2 + eps2_G, orig.centre,
                                orig.features)
    log_gg = _log_self_generated(model, d, eps2_G)
    terms = np.stack(np.broadcast_arrays(log_tt, np.log(2.0) + log_tg, orig.log_self,
                                         np.log(2.0) + log_og), axis=0)
    b = np.array([1.0, -1.0, -1.0, 1.0])[:, None]
    log_abs, sign = special.logsumexp(terms, axis=0, b=b, return_sign=True)
    return dict(log_self_train=log_tt, log_cross_train=log_tg, log_cross_original=log_og,
                log_self_generated=log_gg, log_E_TG=_log_distance(log_tt, log_tg, log_gg),
                log_E_OG=_log_distance(orig.log_self, log_og, log_gg), delta_sign=sign,
                log_abs_delta=log_abs,
                hellinger2=_hellinger_to_isotropic(model, mu, sigma, d))


def _log_mean(log_values, axis=-1):
    """log of the mean of exp(log_values) along ``axis`` (+inf if any value is)."""
    m = log_values.shape[axis]
    with np.errstate(invalid="ignore"):
        out = special.logsumexp(log_values, axis=axis) - np.log(m)
    return np.where(np.any(np.isposinf(log_values), axis=axis), np.inf, out)


def _rel_stderr(log_values):
    """Standard error of the mean of exp(log_values) over the last axis, relative to the
    mean (NaN for a single trial or where a value is infinite)."""
    m = log_values.shape[-1]
    out = np.full(log_values.shape[:-1], np.nan)
    if m < 2:
        return out
    fin = np.all(np.isfinite(log_values), axis=-1)
    if np.any(fin):
        lv = log_values[fin]
        w = np.exp(lv - lv.max(axis=-1, keepdims=True))
        out[fin] = w.std(axis=-1, ddof=1) / w.mean(axis=-1) / np.sqrt(m)
    return out


def _scaled(log_mean):
    """exp(log_mean - log_mean[ref]), ref the first finite entry (NaN if none is finite)."""
    fin = np.flatnonzero(np.isfinite(log_mean))
    if fin.size == 0:
        return np.full(log_mean.shape, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(log_mean - log_mean[fin[0]])


def _check_n_values(n_values):
    """Strictly increasing training-set sizes >= 2, as a list of ints."""
    if isinstance(n_values, (str, bytes)) or n_values is None:
        raise TypeError(f"n_values must be an array of integers >= 2, got {_show(n_values)}")
    arr = np.asarray(n_values, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"n_values must be one-dimensional, got shape {arr.shape}")
    out = [check_positive_int(f"n_values[{i}]", n, minimum=2, maximum=MAX_SAMPLES)
           for i, n in enumerate(arr)]
    if not out:
        raise ValueError("n_values must not be empty, got []")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"n_values must be strictly increasing, got {_show(list(out))}")
    return out


@dataclass(frozen=True)
class DistanceCurve(Result):
    r"""$E_{TG}$, $E_{OG}$ and $\Delta$ per training set, for several n (onset paper, eqs. 19-21).

    Returned by [`distance_curve`][memlab.theory.linear_diffusion.distance_curve].
    Arrays of shape (k, trials) hold one value per training-set size (k of them) and
    training set; all logs are natural.

    Attributes
    ----------
    n : numpy.ndarray
        Training-set sizes (integers), increasing, shape (k,).
    log_E_TG : numpy.ndarray
        $\log E_{TG}$ per training set, shape (k, trials); $+\infty$ where
        $\int\rho_G^2$ is (exact $\rho_G$ with $n \le d$).
    log_E_OG : numpy.ndarray
        $\log E_{OG}$, same shape and convention.
    delta_sign : numpy.ndarray
        $\mathrm{sign}(\Delta)$ (+1, -1 or 0), shape (k, trials); always finite,
        since $\int\rho_G^2$ cancels in $\Delta$.
    log_abs_delta : numpy.ndarray
        $\log|\Delta|$, shape (k, trials).
    log_self_train : numpy.ndarray
        $\log\int\rho_T^2$, shape (k, trials).
    log_cross_train : numpy.ndarray
        $\log\int\rho_T\rho_G$, shape (k, trials).
    log_cross_original : numpy.ndarray
        $\log\int\rho_O\rho_G$, shape (k, trials).
    log_self_generated : numpy.ndarray
        $\log\int\rho_G^2$, shape (k, trials); $+\infty$ where $\rho_G$ is
        degenerate and not smoothed.
    log_self_original : float
        $\log\int\rho_O^2$ of the one original dataset.
    log_mean_E_TG : numpy.ndarray
        Log of the mean of $E_{TG}$ over the training sets, shape (k,).
    log_mean_E_OG : numpy.ndarray
        Log of the mean of $E_{OG}$, shape (k,).
    rel_stderr_E_TG : numpy.ndarray
        Standard error of the mean of $E_{TG}$ over training sets, relative to the
        mean, shape (k,) (NaN for one trial or an infinite mean).
    rel_stderr_E_OG : numpy.ndarray
        The same for $E_{OG}$.
    scaled_E_TG : numpy.ndarray
        $\hat E_{TG}$: the mean of $E_{TG}$ divided by its value at the smallest n
        where it is finite (the paper's Fig. 4, left), shape (k,).
    scaled_E_OG : numpy.ndarray
        $\hat E_{OG}$, the same for $E_{OG}$.
    log_median_E_TG : numpy.ndarray
        Log of the median of $E_{TG}$ over the training sets, shape (k,) (robust to the
        heavy tail of $\int\rho_G^2$ near n = d).
    log_median_E_OG : numpy.ndarray
        Log of the median of $E_{OG}$, shape (k,).
    p_delta : numpy.ndarray
        Fraction of training sets with $\Delta > 0$, shape (k,).
    hellinger2 : numpy.ndarray
        $H^2(\mathcal N(\mu\mathbf 1, \sigma^2 I), \rho_G)$ per training set
        (unsmoothed $\rho_G$), shape (k, trials).
    hellinger2_mean : numpy.ndarray
        Its mean over the training sets, shape (k,).
    eps_train : numpy.ndarray
        KDE width $\epsilon_n$ of $\rho_T$ at each n, shape (k,).
    eps_original : float
        KDE width $\epsilon_O$ of $\rho_O$.
    eps_generated : float
        Width $\epsilon_G$ by which $\rho_G$ is smoothed (0 for the exact $\rho_G$).
    d : int
        Dimension.
    n_original : int
        Size $N_O$ of the original dataset.
    trials : int
        Training sets per n.
    kde_width : object
        The ``kde_width`` argument ("power", "mixing" or a width).
    ridge : float
        The ridge parameter (0: minimum-norm least squares).
    generated_width : object
        The ``generated_width`` argument (None, "original" or a width).
    seed : object
        The ``seed`` argument of the run (an int, a Generator or None).
    """

    n: np.ndarray
    log_E_TG: np.ndarray
    log_E_OG: np.ndarray
    delta_sign: np.ndarray
    log_abs_delta: np.ndarray = field(repr=False)
    log_self_train: np.ndarray = field(repr=False)
    log_cross_train: np.ndarray = field(repr=False)
    log_cross_original: np.ndarray = field(repr=False)
    log_self_generated: np.ndarray = field(repr=False)
    log_self_original: float
    log_mean_E_TG: np.ndarray
    log_mean_E_OG: np.ndarray
    rel_stderr_E_TG: np.ndarray = field(repr=False)
    rel_stderr_E_OG: np.ndarray = field(repr=False)
    scaled_E_TG: np.ndarray
    scaled_E_OG: np.ndarray
    log_median_E_TG: np.ndarray = field(repr=False)
    log_median_E_OG: np.ndarray = field(repr=False)
    p_delta: np.ndarray
    hellinger2: np.ndarray = field(repr=False)
    hellinger2_mean: np.ndarray
    eps_train: np.ndarray
    eps_original: float
    eps_generated: float
    d: int
    n_original: int
    trials: int
    kde_width: object
    ridge: float
    generated_width: object
    seed: object


def distance_curve(n_values: ArrayLike, d: int, *, mu: float = 10.0, sigma: float = 1.0,
                   T: float = 2.0, lam: float = np.exp(-4.0), n_original: int = 10_000,
                   trials: int = 200, seed: Generator | int | None = None,
                   original: ArrayLike | None = None, kde_width: str | float = "power",
                   ridge: float = 0.0, generated_width: str | float | None = None,
                   progress: bool = False) -> DistanceCurve:
    r"""$E_{TG}(n)$, $E_{OG}(n)$ and $\Delta(n)$ of the linear diffusion model, in any dimension.

    The two $L^2$ distances of the onset paper's eq. 19,

    $$
    E_{AG} = \int\rho_A^2 - 2\int\rho_A\rho_G + \int\rho_G^2, \qquad A = T, O,
    $$

    each term a Gaussian overlap (eq. 21), evaluated in log space for every training
    set: $\int\rho_A^2$ and $\int\rho_A\rho_G$ as in
    [`delta_statistic`][memlab.theory.linear_diffusion.delta_statistic], and
    $\int\rho_G^2 = (4\pi)^{-d/2}\det(S_G)^{-1/2}$ (eq. 21, first term). For
    $n \le d$ the generated Gaussian is degenerate ($\mathrm{rank}\,S_G \le n - 1$):
    its density is not square-integrable, $\int\rho_G^2 = +\infty$ and so are both
    distances. The paper does not address this (its eq. 15 needs $(x^Tx)^{-1}$, which
    does not exist there; only $\Delta$, in which $\int\rho_G^2$ cancels, is shown
    in its Fig. 3). By default (``generated_width=None``) memlab keeps the paper's exact
    $\rho_G$: ``log_E_TG`` and ``log_E_OG`` are $+\infty$ for $n \le d$ and every
    log term is returned, with $\Delta$ finite. ``generated_width`` instead smooths
    $\rho_G$ with a Gaussian kernel, $S_G \to S_G + \epsilon_G^2 I$ (the limit of
    a KDE of many generated samples, as the paper does for its network in Sec. 4),
    which makes every term finite; it also changes $\Delta$ (the cross terms get
    $\epsilon_G^2$ too).

    The options the paper leaves open:

    * ``kde_width``: the width $\epsilon_m$ of $\rho_T$ (m = n) and $\rho_O$
      (m = $N_O$): ``"power"``, $\sigma m^{-1/d}$ (the paper's Fig. 3, default);
      ``"mixing"``, $\epsilon^2 = 2t_M(\sigma, d, m)$ of eq. 10
      ([`mixing_time`][memlab.theory.mixing.mixing_time]); or a given positive width
      used for both.
    * ``ridge``: the ridge denoiser $\theta_1^T = (x^Tx + n r I)^{-1}x^Ty$ instead of
      the minimum-norm one (r = 0, default). Its rank is still at most n - 1, so it
      does not cure the degeneracy.
    * ``generated_width``: None (exact, default), ``"original"`` ($\epsilon_G$ =
      $\epsilon_O$, as if $\rho_G$ were represented by as many samples as $\rho_O$)
      or a positive width.

    With the defaults the signs of $\Delta$ and hence ``p_delta`` are exactly those of
    [`p_delta_curve`][memlab.theory.linear_diffusion.p_delta_curve] for the same
    ``seed`` (the same draws in the same order). The means are over training sets for
    the one original dataset; $E$ is heavy-tailed near n = d (the smallest eigenvalues
    of $S_G$), so compare the relative standard errors.

    Cost: that of [`p_delta_curve`][memlab.theory.linear_diffusion.p_delta_curve] plus
    $O(\mathrm{trials}\,d)$ per n; about 10 s per n for d = 16, $N_O = 10^4$ and
    1000 trials.

    Parameters
    ----------
    n_values : array_like of int
        Training-set sizes, each >= 2, strictly increasing.
    d : int
        Dimension, >= 1.
    mu : float, default 10.0
        Mean of every coordinate of the data.
    sigma : float, default 1.0
        Data standard deviation, > 0.
    T : float, default 2.0
        Noise time, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.
    n_original : int, default 10000
        Size $N_O$ of the original dataset drawn when ``original`` is None, >= 2.
    trials : int, default 200
        Training sets per n, >= 1.
    seed : Generator | int | None, default None
        Random seed or generator (draws the original dataset, then the training sets).
    original : array_like, optional
        A given original dataset, shape ($N_O$, d), used instead of drawing one.
    kde_width : {"power", "mixing"} or float, default "power"
        Rule for the KDE widths of $\rho_T$ and $\rho_O$ (see above), or a positive
        width.
    ridge : float, default 0.0
        Ridge parameter r >= 0 of the denoiser (units of the variance of X).
    generated_width : None, "original" or float, default None
        Smoothing width of $\rho_G$ (see above).
    progress : bool, default False
        Show a ``tqdm`` progress bar over n.

    Returns
    -------
    DistanceCurve
        The per-trial log terms, $\log E_{TG}$, $\log E_{OG}$, $\Delta$ and $H^2$,
        their means over training sets with relative standard errors, the scaled
        curves $\hat E$ and the fraction with $\Delta > 0$.

    Raises
    ------
    TypeError
        If ``n_values`` is a string or None, ``kde_width`` or ``generated_width`` is
        neither one of its strings nor a number, or another argument has the wrong
        type.
    ValueError
        If ``n_values`` is empty, not one-dimensional, not strictly increasing or holds
        a size < 2; if ``kde_width`` or ``generated_width`` is an unknown string or not
        positive, ``ridge`` is negative, or another argument is out of range.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eq. 10; Sec. 3.2, eqs. 19-21
    and Fig. 3; Sec. 4, Fig. 4 (the scaled curves).

    Examples
    --------
    >>> c = distance_curve([4, 16], 2, n_original=100, trials=5, seed=0)
    >>> c.log_E_OG.shape, bool(np.all(np.isfinite(c.log_E_OG)))
    ((2, 5), True)
    >>> bool(np.isinf(distance_curve([4], 8, n_original=50, trials=2, seed=0).log_E_OG).all())
    True
    """
    n_values = _check_n_values(n_values)
    _, d, mu, sigma, T, lam = _check_model_args(max(n_values), d, mu, sigma, T, lam)
    trials = check_positive_int("trials", trials, maximum=MAX_SAMPLES)
    kde_width = _check_kde_width(kde_width)
    ridge = check_real("ridge", ridge, lo=0.0)
    generated_width = _check_generated_width(generated_width)
    progress = check_bool("progress", progress)
    rng = check_rng(seed)
    rule = _eps2_rule(kde_width, sigma, d)
    orig = _original_set(original, n_original, d, mu, sigma, rng, eps2_rule=rule)
    N_O = orig.points.shape[0]
    check_allocation("n_values and trials", (6 * len(n_values), trials))
    eps2_G = (0.0 if generated_width is None else orig.eps2 if generated_width == "original"
              else float(generated_width) ** 2)
    chunk = max(1, min(64, 2_000_000 // (N_O * d)))
    keys = ("log_self_train", "log_cross_train", "log_cross_original", "log_self_generated",
            "log_E_TG", "log_E_OG", "delta_sign", "log_abs_delta", "hellinger2")
    out = {key: np.empty((len(n_values), trials)) for key in keys}
    iterator = enumerate(n_values)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, total=len(n_values), desc=f"E_TG, E_OG, d={d}", leave=False)
    eps2_n = np.array([rule(n) for n in n_values])
    for i, n in iterator:
        check_allocation("n, d and trials", (min(chunk, trials), max(n, N_O), min(n, d)))
        for b0 in range(0, trials, chunk):
            B = min(chunk, trials - b0)
            Y, X = sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=B, seed=rng)
            terms = _distance_terms(Y, X, orig, mu, sigma, T, lam, eps2_n[i], ridge, eps2_G)
            for key in keys:
                out[key][i, b0:b0 + B] = terms[key]
    lm_tg, lm_og = _log_mean(out["log_E_TG"]), _log_mean(out["log_E_OG"])
    return DistanceCurve(
        np.array(n_values), out["log_E_TG"], out["log_E_OG"], out["delta_sign"],
        out["log_abs_delta"], out["log_self_train"], out["log_cross_train"],
        out["log_cross_original"], out["log_self_generated"], float(orig.log_self), lm_tg,
        lm_og, _rel_stderr(out["log_E_TG"]), _rel_stderr(out["log_E_OG"]), _scaled(lm_tg),
        _scaled(lm_og), np.median(out["log_E_TG"], axis=1), np.median(out["log_E_OG"], axis=1),
        (out["delta_sign"] > 0).mean(axis=1), out["hellinger2"],
        out["hellinger2"].mean(axis=1), np.sqrt(eps2_n), float(np.sqrt(orig.eps2)),
        float(np.sqrt(eps2_G)), d, N_O, trials, kde_width, ridge, generated_width, seed)


def _fall_location(n, values, log_values=False):
    """(n at the steepest fall, the largest rate, n where the rate first reaches half of it).

    The rate is -d values / d log n (of log values if ``log_values``) by finite differences
    between consecutive finite points, placed at their geometric midpoints; the maximum is
    refined by the vertex of the parabola through it and its two neighbours (in log n) when
    it is interior. All NaN when nothing falls (no positive rate) or fewer than two points
    are finite."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(v) if log_values else v
    ok = np.isfinite(y)
    x, y = np.log(np.asarray(n, dtype=float)[ok]), y[ok]
    nan3 = (float("nan"),) * 3
    if x.size < 2:
        return nan3
    rate = -np.diff(y) / np.diff(x)
    mid = 0.5 * (x[1:] + x[:-1])
    j = int(np.argmax(rate))
    if not rate[j] > 0:
        return nan3
    xv, rv = mid[j], rate[j]
    if 0 < j < rate.size - 1:
        coef = np.polyfit(mid[j - 1:j + 2], rate[j - 1:j + 2], 2)
        if coef[0] < 0:
            xv = float(np.clip(-coef[1] / (2 * coef[0]), mid[j - 1], mid[j + 1]))
            rv = float(np.polyval(coef, xv))
    half = np.flatnonzero(rate >= 0.5 * rate[j])[0]
    if half == 0:
        onset = mid[0]
    else:
        r0, r1 = rate[half - 1], rate[half]
        onset = mid[half - 1] + (0.5 * rate[j] - r0) / (r1 - r0) * (mid[half] - mid[half - 1])
    return float(np.exp(xv)), float(rv), float(np.exp(onset))


def _fall_at_edge(n, values, log_values=False):
    """True when the largest rate of fall (see `_fall_location`) is on the first or last
    segment of the finite points."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(v) if log_values else v
    ok = np.isfinite(y)
    x, y = np.log(np.asarray(n, dtype=float)[ok]), y[ok]
    if x.size < 3:
        return True
    j = int(np.argmax(-np.diff(y) / np.diff(x)))
    return j in (0, x.size - 2)


def _crossing(n, p, level):
    """n where P first exceeds ``level`` (log-n interpolation), NaN outside the grid."""
    if p[0] > level or not np.any(p > level):
        return float("nan")
    return first_crossing(n, p, level, above=True, log_x=True)


def _interval(samples, confidence):
    """Percentile interval of the finite bootstrap samples ((nan, nan) if none)."""
    s = np.asarray(samples, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return (float("nan"), float("nan"))
    q = np.quantile(s, [0.5 - confidence / 2.0, 0.5 + confidence / 2.0])
    return (float(q[0]), float(q[1]))


@dataclass(frozen=True)
class OnsetAlignment(Result):
    r"""Where $P(\Delta > 0)$ rises against where $E_{OG}$ (and $H^2$) fall fastest.

    Returned by [`onset_alignment`][memlab.theory.linear_diffusion.onset_alignment]; tests
    the onset paper's contribution 4 (Fig. 1, scenario (c)). Sizes are training-set sizes
    n (floats, interpolated in log n); intervals are bootstrap percentile intervals over
    the training sets (the original dataset is fixed). NaN marks what is not inside the
    grid (documented non-finite): a crossing of P outside it, or no fall at all.

    Attributes
    ----------
    d : int
        Dimension.
    n : numpy.ndarray
        Training-set sizes of the grid, shape (k,).
    p_delta : numpy.ndarray
        $P(\Delta > 0)$ at each n.
    scaled_E_OG : numpy.ndarray
        $\hat E_{OG}$ at each n (the median or mean of $E_{OG}$ over training sets, see
        ``summary``, divided by its value at the smallest n where it is finite;
        $+\infty$ where $\rho_G$ is degenerate and not smoothed).
    hellinger2 : numpy.ndarray
        Mean $H^2(\rho, \rho_G)$ at each n.
    n_half : float
        $n_{1/2}$, where P first exceeds 1/2
        ([`transition_n`][memlab.theory.linear_diffusion.transition_n]).
    n_half_ci : tuple of float
        Its interval.
    n_quarter : float
        Where P first exceeds 0.25 (start of the transition).
    n_three_quarters : float
        Where P first exceeds 0.75; the width of the transition is
        ``n_three_quarters / n_quarter``.
    n_fall : float
        $n_{\rm fall}$, where $-\mathrm d\hat E_{OG}/\mathrm d\log n$ is largest
        (of $\log\hat E_{OG}$ when ``fall="log"``).
    n_fall_ci : tuple of float
        Its interval.
    fall_rate : float
        That largest rate.
    n_fall_onset : float
        The first n where the rate reaches half its largest value (the onset of the
        fall).
    ratio : float
        $n_{\rm fall}/n_{1/2}$ (1 means the two coincide).
    ratio_ci : tuple of float
        Its interval.
    fall_at_edge : bool
        True when the largest rate of fall of $\hat E_{OG}$ is on the first or last
        segment of the grid: ``n_fall`` is then the grid's edge, not a located
        maximum (extend the grid).
    n_fall_hellinger : float
        Where $-\mathrm d\,\mathbb E[H^2]/\mathrm d\log n$ is largest.
    n_fall_hellinger_onset : float
        Where that rate first reaches half its largest value.
    n_fall_hellinger_ci : tuple of float
        Its interval.
    ratio_hellinger : float
        ``n_fall_hellinger / n_half``.
    ratio_hellinger_ci : tuple of float
        Its interval.
    n_boot_undefined : int
        Bootstrap replicates in which ``ratio`` was undefined (left out of the
        intervals).
    fall : str
        "linear" or "log" (see ``n_fall``).
    summary : str
        "median" or "mean": the summary of $E_{OG}$ over training sets in
        ``scaled_E_OG``.
    n_boot : int
        Bootstrap replicates.
    confidence : float
        Level of the intervals.
    curve : DistanceCurve
        The underlying [`DistanceCurve`][memlab.theory.linear_diffusion.DistanceCurve].
    seed : object
        The ``seed`` argument of the run.
    """

    d: int
    n: np.ndarray
    p_delta: np.ndarray
    scaled_E_OG: np.ndarray
    hellinger2: np.ndarray
    n_half: float
    n_half_ci: tuple
    n_quarter: float
    n_three_quarters: float
    n_fall: float
    n_fall_ci: tuple
    fall_rate: float
    n_fall_onset: float
    ratio: float
    ratio_ci: tuple
    fall_at_edge: bool
    n_fall_hellinger: float
    n_fall_hellinger_onset: float
    n_fall_hellinger_ci: tuple
    ratio_hellinger: float
    ratio_hellinger_ci: tuple
    n_boot_undefined: int
    fall: str
    summary: str
    n_boot: int
    confidence: float
    curve: DistanceCurve
    seed: object


def _alignment_numbers(n, p, scaled, h2, log_fall):
    """(n_half, n_fall, n_fall_hellinger) of one curve (NaN where undefined)."""
    try:
        half = transition_n(n, p)
    except ValueError:
        half = float("nan")
    return half, _fall_location(n, scaled, log_fall)[0], _fall_location(n, h2)[0]


def onset_alignment(d: int, n_values: ArrayLike | None = None, *, mu: float = 10.0,
                    sigma: float = 1.0, T: float = 2.0, lam: float = np.exp(-4.0),
                    n_original: int = 10_000, trials: int = 200,
                    seed: Generator | int | None = None, original: ArrayLike | None = None,
                    kde_width: str | float = "power", ridge: float = 0.0,
                    generated_width: str | float | None = None, fall: str = "linear",
                    summary: str = "median", n_boot: int = 200, confidence: float = 0.95,
                    progress: bool = False) -> OnsetAlignment:
    r"""Does the memorization-to-generalization transition coincide with the fall of $E_{OG}$?

    The onset paper's contribution 4 (its Fig. 1, scenario (c)): "the memorization to
    generalization transition ... occurs at the same scale as the onset of a rapid fall
    phase in the generalization error $E_{OG}$". On one
    [`distance_curve`][memlab.theory.linear_diffusion.distance_curve] (the same
    training sets for both), this measures

    * where $P(\Delta > 0)$ rises: its midpoint $n_{1/2}$
      ([`transition_n`][memlab.theory.linear_diffusion.transition_n]) and the sizes
      where it passes 0.25 and 0.75 (linear interpolation in log n);
    * where $E_{OG}$ falls fastest: the maximum of
      $-\mathrm d\hat E_{OG}/\mathrm d\log n$, with $\hat E_{OG}$ the median (default)
      or the mean of $E_{OG}$ over the training sets divided by its value at the
      smallest n where it is finite, by finite differences on the grid
      (use a log-spaced one), refined by a parabola through the largest rate and its
      neighbours; ``fall="log"`` uses $-\mathrm d\log E_{OG}/\mathrm d\log n$
      (the relative rate) instead. Points where $E_{OG}$ is infinite (exact $\rho_G$,
      $n \le d$) are left out: the fall from $+\infty$ at n = d is not a measured
      rate;
    * the same for $\mathbb E[H^2(\rho, \rho_G)]$, the convergence measure the paper
      actually compares with in Sec. 3 (its Fig. 2 against Fig. 3);

    and the ratios $n_{\rm fall}/n_{1/2}$ with bootstrap intervals (``n_boot``
    resamples of the training sets at every n, the same resample for P, $E_{OG}$ and
    $H^2$; the original dataset is fixed, so its variation is not included).

    The median is the default summary because $E_{OG}$ is heavy-tailed over training
    sets just above n = d ($\int\rho_G^2 = (4\pi)^{-d/2}\det(S_G)^{-1/2}$ is large
    when $S_G$ has a tiny eigenvalue): measured at d = 8, n = 17, 300 training sets,
    the relative standard error of the mean is 0.92, and the mean curve is not
    monotone from one grid point to the next.

    The result does not presuppose the claim: with the exact $\rho_G$, $E_{OG}$ is
    dominated by $\int\rho_G^2$ and *rises* for $d < n \lesssim 2d$ (see the docs);
    ``n_fall`` is then where its later, slight decrease is steepest. NaN marks a
    crossing of P outside the grid or no fall at all (documented non-finite).

    Parameters
    ----------
    d : int
        Dimension, >= 1.
    n_values : array_like of int, optional
        Strictly increasing training-set sizes >= 2, log-spaced; default 24 sizes from
        max(2, d/2) to 10 d.
    mu : float, default 10.0
        Mean of every coordinate of the data.
    sigma : float, default 1.0
        Data standard deviation, > 0.
    T : float, default 2.0
        Noise time, > 0.
    lam : float, default exp(-4)
        Noise scale $\lambda$, > 0.
    n_original : int, default 10000
        Size $N_O$ of the original dataset, >= 2.
    trials : int, default 200
        Training sets per n, >= 1.
    seed : Generator | int | None, default None
        Random seed or generator (the curve, then the bootstrap).
    original : array_like, optional
        A given original dataset, shape ($N_O$, d).
    kde_width : {"power", "mixing"} or float, default "power"
        KDE width rule (see
        [`distance_curve`][memlab.theory.linear_diffusion.distance_curve]).
    ridge : float, default 0.0
        Ridge parameter of the denoiser, >= 0.
    generated_width : None, "original" or float, default None
        Smoothing width of $\rho_G$ (None: the paper's exact $\rho_G$).
    fall : {"linear", "log"}, default "linear"
        Rate of fall of $\hat E_{OG}$ or of $\log E_{OG}$ per unit of log n.
    summary : {"median", "mean"}, default "median"
        Summary of $E_{OG}$ over the training sets at each n.
    n_boot : int, default 200
        Bootstrap replicates, >= 1.
    confidence : float, default 0.95
        Level of the intervals, in (0, 1).
    progress : bool, default False
        Show a ``tqdm`` progress bar over n.

    Returns
    -------
    OnsetAlignment
        The locations, the ratios with their intervals, and the curve.

    Raises
    ------
    TypeError
        If an argument has the wrong type (as in
        [`distance_curve`][memlab.theory.linear_diffusion.distance_curve]; ``fall``
        not a string).
    ValueError
        If ``fall`` is not "linear" or "log", ``summary`` not "median" or "mean",
        ``confidence`` is outside (0, 1),
        ``n_boot`` < 1, or another argument is out of range.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 1.1 (contribution 4) and Fig. 1;
    Sec. 3, Figs. 2-3.

    Examples
    --------
    >>> a = onset_alignment(8, [4, 6, 9, 12, 16, 24, 32, 48, 64, 96], n_original=1000,
    ...                     trials=40, n_boot=20, seed=1)
    >>> bool(12 < a.n_half < 32), a.ratio_ci[0] <= a.ratio_ci[1]
    (True, True)
    """
    d = check_positive_int("d", d)
    if n_values is None:
        lo = max(2, d // 2)
        n_values = np.unique(np.round(np.geomspace(lo, max(10 * d, lo + 2), 24)).astype(int))
    fall = check_choice("fall", fall, ("linear", "log"))
    summary = check_choice("summary", summary, ("median", "mean"))
    n_boot = check_positive_int("n_boot", n_boot, maximum=10**6)
    confidence = check_real("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = check_rng(seed)
    curve = distance_curve(n_values, d, mu=mu, sigma=sigma, T=T, lam=lam,
                           n_original=n_original, trials=trials, seed=rng, original=original,
                           kde_width=kde_width, ridge=ridge, generated_width=generated_width,
                           progress=progress)
    return _alignment(curve, fall, summary, n_boot, confidence, rng, seed)


def _summary_curve(log_E, summary):
    """hat E of per-trial log E values (k, m): the median or the mean over the trials,
    divided by its value at the smallest n where it is finite."""
    if summary == "median":
        return _scaled(np.median(log_E, axis=-1))
    return _scaled(_log_mean(log_E))


def _alignment(curve: DistanceCurve, fall, summary, n_boot, confidence, rng,
               seed) -> OnsetAlignment:
    """The alignment numbers of one curve, with ``n_boot`` bootstrap resamples drawn from
    ``rng`` (checked arguments; see `onset_alignment`)."""
    d = curve.d
    n = curve.n.astype(float)
    log_fall = fall == "log"
    scaled_og = _summary_curve(curve.log_E_OG, summary)
    half, n_fall, n_fall_h = _alignment_numbers(n, curve.p_delta, scaled_og,
                                                curve.hellinger2_mean, log_fall)
    _, rate, onset = _fall_location(n, scaled_og, log_fall)
    onset_h = _fall_location(n, curve.hellinger2_mean)[2]
    at_edge = bool(np.isfinite(n_fall) and _fall_at_edge(n, scaled_og, log_fall))
    k, m = curve.delta_sign.shape
    check_allocation("n_boot", (n_boot, k, m))
    rows = np.arange(k)[:, None]
    boots = np.empty((n_boot, 3))
    for b in range(n_boot):
        idx = rng.integers(0, m, size=(k, m))
        p = (curve.delta_sign[rows, idx] > 0).mean(axis=1)
        scaled = _summary_curve(curve.log_E_OG[rows, idx], summary)
        boots[b] = _alignment_numbers(n, p, scaled, curve.hellinger2[rows, idx].mean(axis=1),
                                      log_fall)
    with np.errstate(invalid="ignore"):
        ratio_b = boots[:, 1] / boots[:, 0]
        ratio_h = boots[:, 2] / boots[:, 0]
    return OnsetAlignment(
        d, curve.n, curve.p_delta, scaled_og, curve.hellinger2_mean, half,
        _interval(boots[:, 0], confidence), _crossing(n, curve.p_delta, 0.25),
        _crossing(n, curve.p_delta, 0.75), n_fall, _interval(boots[:, 1], confidence), rate,
        onset, n_fall / half, _interval(ratio_b, confidence), at_edge, n_fall_h, onset_h,
        _interval(boots[:, 2], confidence), n_fall_h / half, _interval(ratio_h, confidence),
        int((~np.isfinite(ratio_b)).sum()), fall, summary, n_boot, confidence, curve, seed)
