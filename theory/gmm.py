r"""The Gaussian-mixture memorization laboratory of Buchanan et al. (2025).

Implements Secs. 2-3 of S. Buchanan, D. Pai, Y. Ma, V. De Bortoli, "On the edge of
memorization in diffusion models" (NeurIPS 2025). Data are drawn from an equal-weight
isotropic Gaussian mixture (their eq. 8)

$$
\pi_* = \frac1K \sum_{k=1}^K \mathcal N(\mu_k, \sigma^2 I_d),
$$

with the means uniform on the sphere of radius $\sqrt d$ and
$\sigma^2 = 1$ by default; the training set is $x^1, \dots, x^N$.
Noise follows the VP process of [`memlab.theory.schedules`][memlab.theory.schedules]
($\alpha_t = \sqrt{1-t^2}$, $\sigma_t = t$, SNR
$\psi_t = \alpha_t^2/\sigma_t^2$).

Three denoisers are compared (Buchanan et al. 2025, Lemma 2.1 and eqs. 7, 10-12):

* the generalizing denoiser $\hat x_*$ (the posterior mean under
  $\pi_*$), [`gmm_denoiser`][memlab.theory.gmm.gmm_denoiser];
* the memorizing denoiser $\hat x_{\rm mem}$ (the posterior mean under the
  empirical distribution of the N training points), [`empirical_denoiser`][memlab.theory.gmm.empirical_denoiser];
* the partially memorizing denoiser $\hat x_{{\rm pmem},M}$ (the same over
  the first M training points), [`empirical_denoiser`][memlab.theory.gmm.empirical_denoiser] with `M`.

Their training losses
$L_t(\hat x) = \frac1N\sum_i \mathbb E_z\|\hat x(t, \alpha_t x^i + \sigma_t z) - x^i\|^2$
are approximated at high SNR by (Buchanan et al. 2025, Theorems 3.1 and 3.2)

$$
\mathbb E[L_t(\hat x_*) - L_t(\hat x_{\rm mem})] \simeq
\frac{d\sigma^2}{\psi_t \sigma^2 + 1},\qquad
\mathbb E[L_t(\hat x_{{\rm pmem},M}) - L_t(\hat x_{\rm mem})] \simeq
C\,(1 - M/N)\, d\sigma^2 .
$$

The paper leaves $C \in [1, 2]$ open. memlab computes it at finite d
from the distance to the nearest memorized point ([`nearest_neighbour_constant`][memlab.theory.gmm.nearest_neighbour_constant],
[`effective_constant`][memlab.theory.gmm.effective_constant]). The crossover point $M^*$ where the weighted
losses of the two denoisers cross (Buchanan et al. 2025, eq. 14) is
[`crossover_point`][memlab.theory.gmm.crossover_point].

Regime of validity: the denoisers are exact; both excess-loss closed forms are
high-SNR limits. Near $t \to 1$ (low SNR) both true excesses shrink to 0 while the
closed forms do not, and the generalizing one overshoots by more, so the closed-form
$M^*$ lies *below* the simulated one (0.77 N against 0.80 N at (N, d, K) = (200, 50,
12); down to 0.60 N at small d; see `docs/gmm.md` and
[`memlab.verification.gmm`][memlab.verification.gmm]). The finite-d constant
$C_{\rm eff}$ treats the shifts of the memorized points of other components as
independent, which errs by up to a few percent at small M/K
([`effective_constant`][memlab.theory.gmm.effective_constant]).

References
----------
S. Buchanan, D. Pai, Y. Ma, V. De Bortoli, "On the edge of memorization in diffusion
models", Advances in Neural Information Processing Systems 38 (NeurIPS 2025),
pp. 96113-96157: eq. 8 (data), Lemma 2.1 and eqs. 7, 10-12 (denoisers), Theorems
3.1-3.2 (excess losses), eq. 14 (crossover).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from memlab._results import Result
import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .._validation import MAX_INT, MAX_SAMPLES, _show, check_allocation, check_array, check_NdK, check_positive_int, check_positive_real, check_rng
from .schedules import alpha as _alpha
from .schedules import check_timesteps, resolve_timesteps
from .schedules import sigma as _sigma
from .metrics import first_crossing
from .schedules import snr

__all__ = [
    "GMMData",
    "sample_gmm",
    "gmm_denoiser",
    "empirical_denoiser",
    "loss_weighting",
    "generalizing_excess_loss",
    "nearest_neighbour_constant",
    "effective_constant",
    "partial_memorization_excess_loss",
    "loss_gap",
    "crossover_point",
]

# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GMMData(Result):
    r"""A training set drawn from the isotropic mixture of Buchanan et al. (2025), eq. 8.

    Returned by [`sample_gmm`][memlab.theory.gmm.sample_gmm]; the arrays are read-only.

    Attributes
    ----------
    x : ndarray, shape (N, d)
        Training points $x^1, \dots, x^N$, in the order used by the partial
        memorizer (the first M rows are memorized).
    labels : ndarray of int, shape (N,)
        Component index of each training point.
    means : ndarray, shape (K, d)
        Component means $\mu_k$, on the sphere of radius $\sqrt d$.
    sigma2 : float
        Component variance $\sigma^2$.
    """

    x: np.ndarray
    labels: np.ndarray
    means: np.ndarray
    sigma2: float

    def __post_init__(self):
        for arr in (self.x, self.labels, self.means):
            arr.setflags(write=False)


def sample_gmm(N: int, d: int, K: int, *, sigma2: float = 1.0,
               seed: np.random.Generator | int | None = None) -> GMMData:
    r"""Draw means and N i.i.d. training points of $\pi_*$ (Buchanan et al. 2025, eq. 8).

    The K means are independent and uniform on the sphere of radius
    $\sqrt d$; each point picks its component uniformly at random (equal
    weights) and adds isotropic Gaussian noise of variance $\sigma^2$.

    Parameters
    ----------
    N : int
        Number of training points, 1 to 1e9.
    d : int
        Dimension, >= 1.
    K : int
        Number of components, 1 to 1e9 (K > N is allowed here; the closed forms
        need K <= N).
    sigma2 : float, default 1.0
        Component variance $\sigma^2$, > 0 (keyword-only).
    seed : numpy.random.Generator, int or None, default None
        Randomness; a fixed int reproduces the draw bit for bit (keyword-only).

    Returns
    -------
    GMMData
        The points, their component labels, the means and `sigma2`.

    Raises
    ------
    TypeError
        If an argument has the wrong type (a bool, a string, None for an int, ...).
    ValueError
        If `N`, `d` or `K` is not a positive integer or too large, `sigma2 <= 0`, an
        array would exceed 8 GiB, or `seed` is a negative integer.

    References
    ----------
    Buchanan et al. (2025), eq. 8.

    Examples
    --------
    >>> data = sample_gmm(200, 50, 12, seed=0)
    >>> data.x.shape, data.means.shape
    ((200, 50), (12, 50))
    >>> import numpy as np
    >>> np.linalg.norm(data.means, axis=1).round(6)[:3]     # radius sqrt(50)
    array([7.071068, 7.071068, 7.071068])
    """
    N = check_positive_int("N", N, maximum=MAX_SAMPLES)
    d = check_positive_int("d", d)
    K = check_positive_int("K", K, maximum=MAX_SAMPLES)
    sigma2 = check_positive_real("sigma2", sigma2)
    check_allocation("N and d", (N, d))
    check_allocation("K and d", (K, d))
    rng = check_rng(seed)
    g = rng.standard_normal((K, d))
    means = np.sqrt(d) * g / np.linalg.norm(g, axis=1, keepdims=True)
    labels = rng.integers(0, K, size=N)
    x = means[labels] + np.sqrt(sigma2) * rng.standard_normal((N, d))
    return GMMData(x, labels, means, sigma2)


# ----------------------------------------------------------------------------
# Denoisers
# ----------------------------------------------------------------------------


def _prepare_points(x, d_expected: int, name: str = "x"):
    arr = check_array(name, x, ndim=(1, 2))
    if arr.shape[-1] != d_expected:
        raise ValueError(f"{name} must have last dimension {d_expected}, got shape {arr.shape}")
    return arr


def _logits(x2: np.ndarray, centres: np.ndarray, a: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Logits `-||x_b - a_b c_j||^2 / (2 var_b)` up to a per-row constant.

    Uses `||x - a c||^2 = ||x||^2 - 2 a x.c + a^2 ||c||^2`; the `||x||^2`
    term is the same for every centre and cancels in the softmax, so it is
    dropped. Shape (batch, n_centres); no (batch, n, d) intermediate.

    Each row is shifted by its largest numerator before dividing by `2 var` (the
    softmax is unchanged), so that a tiny variance (t down to the smallest float) gives
    logits 0 and -inf, never inf - inf = NaN.
    """
    cc = np.einsum("ij,ij->i", centres, centres)
    num = 2.0 * a[:, None] * (x2 @ centres.T) - (a * a)[:, None] * cc[None, :]
    num = num - num.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        logits = num / (2.0 * var[:, None])
    return np.where(num == 0.0, 0.0, logits)


def _time_and_batch(t, x2: np.ndarray):
    tt = check_timesteps(t, "vp")
    if tt.ndim > 1 or (tt.ndim == 1 and tt.shape[0] not in (1, x2.shape[0])):
        raise ValueError(
            f"t must be a scalar or have one entry per point ({x2.shape[0]}), got shape {tt.shape}")
    tt = np.broadcast_to(tt, (x2.shape[0],)) if tt.ndim else np.full(x2.shape[0], float(tt))
    return _alpha(tt), _sigma(tt)


def gmm_denoiser(t: ArrayLike, x: ArrayLike, means: ArrayLike,
                 sigma2: float = 1.0) -> np.ndarray:
    r"""Posterior mean $\hat x_*(t, x) = \mathbb E[x_0 \mid x_t = x]$ under $\pi_*$.

    Buchanan et al. (2025), Lemma 2.1 with $\Sigma_k = \sigma^2 I$ (eqs. 11-12):

    $$
    \hat x_*(t, x) = \sum_k \mathrm{softmax}(w)_k\,
    \frac{\alpha_t\sigma^2 x + \sigma_t^2 \mu_k}{\alpha_t^2\sigma^2 + \sigma_t^2},
    \qquad w_k = -\frac{\|x - \alpha_t\mu_k\|^2}{2(\alpha_t^2\sigma^2 + \sigma_t^2)} .
    $$

    This is the generalizing denoiser: exact (no approximation) for the
    equal-weight isotropic mixture under the VP process; the softmax is computed in
    logs, so it stays finite for t down to the smallest float.

    Cost: O(B K d) time and O(B (K + d) + K d) memory for B points, K means in
    dimension d; about 0.11 s for B = 10^4, K = 100, d = 50.

    Parameters
    ----------
    t : float or array of shape (batch,)
        VP time(s) in (0, 1); one per point or one for all.
    x : array_like, shape (batch, d) or (d,)
        Noisy points $x_t$.
    means : array_like, shape (K, d)
        Component means $\mu_k$ (equal weights).
    sigma2 : float, default 1.0
        Component variance $\sigma^2 > 0$.

    Returns
    -------
    numpy.ndarray
        $\hat x_*(t, x)$, with the shape of `x`.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If a time is outside (0, 1), `t` has neither one entry nor one per point, the
        last dimension of `x` differs from that of `means`, a value is not finite, or
        `sigma2 <= 0`.

    References
    ----------
    Buchanan et al. (2025), Lemma 2.1 and eqs. 11-12.

    Examples
    --------
    >>> import numpy as np
    >>> mu = np.array([[0.0, 0.0]])
    >>> gmm_denoiser(0.6, np.array([0.8, 0.0]), mu)   # single Gaussian: x alpha s2/(alpha^2 s2 + t^2)
    array([0.64, 0.  ])
    >>> gmm_denoiser(1e-6, np.array([[2.0, 0.1]]), np.array([[2.0, 0.0], [-2.0, 0.0]])).round(3)
    array([[2. , 0.1]])
    """
    means = check_array("means", means, ndim=2)
    sigma2 = check_positive_real("sigma2", sigma2)
    arr = _prepare_points(x, means.shape[1])
    x2 = np.atleast_2d(arr)
    a, s = _time_and_batch(t, x2)
    var = a * a * sigma2 + s * s
    w = special.softmax(_logits(x2, means, a, var), axis=1)
    out = (a * sigma2 / var)[:, None] * x2 + (s * s / var)[:, None] * (w @ means)
    return out.reshape(arr.shape)


def empirical_denoiser(t: ArrayLike, x: ArrayLike, train: ArrayLike,
                       M: int | None = None) -> np.ndarray:
    r"""Memorizing ($M = N$) or partially memorizing posterior mean.

    Buchanan et al. (2025), eqs. 7 and 10: the posterior mean under the empirical
    distribution of the first M training points,

    $$
    \hat x_{{\rm pmem},M}(t, x) = \sum_{i=1}^M \mathrm{softmax}(w)_i\, x^i,
    \qquad w_i = -\frac{\|x - \alpha_t x^i\|^2}{2\sigma_t^2} .
    $$

    Exact (no approximation); the softmax is computed in logs.

    Cost: O(B M d) time and O(B (M + d) + M d) memory for B points, M memorized
    points in dimension d; about 0.7 s for B = 10^4, M = 1000, d = 50.

    Parameters
    ----------
    t : float or array of shape (batch,)
        VP time(s) in (0, 1); one per point or one for all.
    x : array_like, shape (batch, d) or (d,)
        Noisy points.
    train : array_like, shape (N, d)
        Training points $x^1, \dots, x^N$.
    M : int, optional
        Number of memorized points, `1 <= M <= N`; `None` (default) means `N`
        (the memorizing denoiser $\hat x_{\rm mem}$).

    Returns
    -------
    numpy.ndarray
        $\hat x_{{\rm pmem},M}(t, x)$, with the shape of `x`.

    Raises
    ------
    TypeError
        If an argument is not numeric, or `M` is not an integer.
    ValueError
        If a time is outside (0, 1), the shapes do not match, a value is not finite,
        or `M` is not in [1, N].

    References
    ----------
    Buchanan et al. (2025), eqs. 7 and 10.

    Examples
    --------
    >>> import numpy as np
    >>> train = np.array([[1.0, 0.0], [-1.0, 0.0]])
    >>> empirical_denoiser(0.01, np.array([0.9, 0.1]), train)
    array([1., 0.])
    >>> empirical_denoiser(0.01, np.array([-0.9, 0.1]), train, M=1)   # only x^1 memorized
    array([1., 0.])
    """
    train = check_array("train", train, ndim=2)
    N = train.shape[0]
    M = N if M is None else check_positive_int("M", M)
    if M > N:
        raise ValueError(f"M must be <= N = {N}, got {M}")
    arr = _prepare_points(x, train.shape[1])
    x2 = np.atleast_2d(arr)
    a, s = _time_and_batch(t, x2)
    centres = train[:M]
    w = special.softmax(_logits(x2, centres, a, s * s), axis=1)
    return (w @ centres).reshape(arr.shape)


# ----------------------------------------------------------------------------
# Loss weightings
# ----------------------------------------------------------------------------


def loss_weighting(weighting: str | ArrayLike | Callable[[np.ndarray], ArrayLike] = "x0",
                   timesteps: ArrayLike | None = None) -> np.ndarray:
    r"""Loss weights $\lambda(t_l)$ over a time grid.

    The weights of the time-averaged training loss of Buchanan et al. (2025)
    (eq. 6 and Sec. 4) used by [`loss_gap`][memlab.theory.gmm.loss_gap] and
    [`crossover_point`][memlab.theory.gmm.crossover_point].

    Parameters
    ----------
    weighting : str, array_like or callable, default "x0"
        `"x0"`: $\lambda = 1$ (the $x_0$-prediction loss of eq. 6);
        `"eps"`: $\lambda = \psi_t = \alpha_t^2/\sigma_t^2$, the
        noise-prediction loss Buchanan et al. (2025) train with (Sec. 4); an array of
        one non-negative weight per time; or a callable `f(t) -> array`.
    timesteps : array_like, optional
        VP times in (0, 1); default
        [`reference_timesteps`][memlab.theory.schedules.reference_timesteps]`()`.

    Returns
    -------
    numpy.ndarray
        One weight per time (not normalised).

    Raises
    ------
    TypeError
        If the weights or times are not numeric.
    ValueError
        If `weighting` is an unknown string, its weights are negative, all zero or not
        one per time, or a time is outside (0, 1).

    References
    ----------
    Buchanan et al. (2025), eq. 6 and Sec. 4.

    Examples
    --------
    >>> loss_weighting("x0").shape
    (26,)
    >>> loss_weighting("eps", [0.5, 0.6]).round(4)      # psi = (1 - t^2)/t^2
    array([3.    , 1.7778])
    >>> loss_weighting(lambda t: 1 - t, [0.5, 0.6])
    array([0.5, 0.4])
    """
    return _loss_weighting(weighting, resolve_timesteps(timesteps))


def _loss_weighting(weighting, t: np.ndarray) -> np.ndarray:
    """[`loss_weighting`][memlab.theory.gmm.loss_weighting] on checked times `t` (one-dimensional, in (0, 1))."""
    if isinstance(weighting, str):
        if weighting == "x0":
            return np.ones_like(t)
        if weighting == "eps":
            return snr(t)
        raise ValueError(f"weighting must be 'x0', 'eps', an array or a callable, got {weighting!r}")
    lam = weighting(t) if callable(weighting) else weighting
    lam = check_array("weighting", lam, lo=0.0)
    if lam.ndim == 0:
        lam = np.full(t.shape, float(lam))
    if lam.shape != t.shape:
        raise ValueError(
            f"weighting must give one weight per timestep ({t.shape[0]}), got shape {lam.shape}")
    if not np.any(lam > 0):
        raise ValueError("weighting must have at least one positive weight, got all zeros")
    return np.array(lam, dtype=float)


# ----------------------------------------------------------------------------
# Closed-form excess losses
# ----------------------------------------------------------------------------


def generalizing_excess_loss(t: ArrayLike, d: int, sigma2: float = 1.0) -> float | np.ndarray:
    r"""High-SNR excess training loss of the generalizing denoiser (Buchanan et al. 2025, Thm. 3.1).

    $$
    \mathbb E[L_t(\hat x_*) - L_t(\hat x_{\rm mem})] \simeq
    \frac{d\sigma^2}{\psi_t\sigma^2 + 1}
    = d\,\frac{\sigma^2\sigma_t^2}{\alpha_t^2\sigma^2 + \sigma_t^2},
    $$

    the posterior variance of a single component summed over d coordinates
    (the memorizer's own loss is exponentially small at high SNR). Valid for
    $\psi_t \gtrsim 1$ with well-separated components; as
    $t \to 1$ the true excess tends to 0 while this tends to
    $d\sigma^2$.

    Parameters
    ----------
    t : float or array_like
        VP times in (0, 1).
    d : int
        Dimension, >= 1.
    sigma2 : float, default 1.0
        Component variance $\sigma^2$, > 0.

    Returns
    -------
    float or numpy.ndarray
        The excess; a float for a scalar `t`, else an array of the shape of `t`.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If a time is outside (0, 1), `d` is not a positive integer or `sigma2 <= 0`.

    References
    ----------
    Buchanan et al. (2025), Thm. 3.1.

    Examples
    --------
    >>> generalizing_excess_loss(0.6, 50)     # psi = 16/9
    18.0
    >>> generalizing_excess_loss([0.1, 0.999], 50).round(3)   # -> d sigma^2 as t -> 1
    array([ 0.5, 49.9])
    """
    d = check_positive_int("d", d)
    sigma2 = check_positive_real("sigma2", sigma2)
    tt = check_timesteps(t, "vp")
    out = _generalizing_excess(tt, d, sigma2)
    return float(out) if np.ndim(t) == 0 else out


def _generalizing_excess(tt: np.ndarray, d: int, sigma2: float) -> np.ndarray:
    """[`generalizing_excess_loss`][memlab.theory.gmm.generalizing_excess_loss] on checked arguments (`tt` an array of VP times)."""
    a2, s2 = 1.0 - tt * tt, tt * tt
    return d * sigma2 * s2 / (a2 * sigma2 + s2)


# ----------------------------------------------------------------------------
# The finite-d constant C_eff
# ----------------------------------------------------------------------------

_N_LAMBDA = 48   # Gauss-Hermite nodes for the chi-square outer expectation
_N_SHIFT = 12    # Gauss-Hermite nodes for the other-component shift
_N_GRID = 2049   # Simpson nodes of the reference inner integral (odd)

# The inner integral (see _min_distance_nodes): x range, panels and their nodes.
_LOG_F_CUT = -80.0      # below x_lo every F_j <= e^-80 (so S^M = 1 to 1e-19 for M <= 2^53)
_LOG_S_CUT = -41.0      # above x_hi every S_j <= e^-41 (1.6e-18)
_ETA_PER_PANEL = 8.0    # grid-design units (see _min_distance_nodes) per Gauss-Legendre panel
_PANEL_NODES = 20       # Gauss-Legendre nodes per panel
_N_DESIGN = 400         # points in log x of the grid-design proxy
_N_PROXY = 32           # noncentralities of the grid-design proxy (at most)
_FAST_WORK_MAX = 4 * 10**7   # (Poisson terms) x (x nodes) beyond which the reference is used
_BLOCK = 2**20          # floats per temporary block (8 MB)
_WEIGHT_MIN = 1e-18     # outer nodes of smaller weight do not shape the grid
_GEMM_MAX = 5 * 10**5   # multiply-adds per BLAS product in _min_distance_nodes


def _outer_nodes(d: int):
    """The 48 Gauss-Hermite weights and chi-square nodes $\\lambda_j$ of the outer mean."""
    z, wz = special.roots_hermitenorm(_N_LAMBDA)
    wz = wz / np.sqrt(2.0 * np.pi)
    lam = np.where(z < 0, 2.0 * special.gammaincinv(0.5 * d, special.ndtr(z)),
                   2.0 * special.gammainccinv(0.5 * d, special.ndtr(-z)))
    return wz, lam


@functools.cache
def _legendre(n: int):
    """Gauss-Legendre nodes and weights on [-1, 1] (cached, read-only)."""
    g, gw = np.polynomial.legendre.leggauss(n)
    g.setflags(write=False)
    gw.setflags(write=False)
    return g, gw


def _shift_nodes(shift_mean: float, shift_var: float):
    """The 12 Gauss-Hermite shifts (clipped at 0) and weights of the other components."""
    h, wh = special.roots_hermitenorm(_N_SHIFT)
    wh = wh / np.sqrt(2.0 * np.pi)
    return np.maximum(shift_mean + np.sqrt(shift_var) * h, 0.0), wh


def _chernoff(x, d: int, nu):
    r"""Chernoff rate $I(x) = \sup_t\,[tx - \log\,E e^{tX}]$ of $X \sim \chi'^2_d(\nu)$
    and its maximiser t (broadcast over x and nu).

    With $u = 1/(1 - 2t)$ the saddlepoint equation $d u + \nu u^2 = x$ gives
    $u = 2x/(d + \sqrt{d^2 + 4\nu x})$ and
    $I = x t - \tfrac d2 \log\,u - \tfrac\nu2 (u - 1)$. Chernoff's bound:
    $P(X \le x) \le e^{-I(x)}$ below the mean, $P(X \ge x) \le e^{-I(x)}$ above.
    """
    u = 2.0 * x / (d + np.sqrt(d * d + 4.0 * nu * x))
    t = 0.5 - 0.5 / u
    rate = x * t - 0.5 * d * np.log(u) - 0.5 * nu * (u - 1.0)
    return np.maximum(rate, 0.0), t


def _chernoff_point(d: int, nu: float, level: float, upper: bool) -> float:
    """The x below (`upper=False`) or above the mean d + nu where the Chernoff rate is `level`.

    Bisection in log x (100 steps, in Python floats; far more precise than needed).
    """
    def rate(w):
        x = math.exp(w)
        u = 2.0 * x / (d + math.sqrt(d * d + 4.0 * nu * x))
        return x * (0.5 - 0.5 / u) - 0.5 * d * math.log(u) - 0.5 * nu * (u - 1.0)

    mean = math.log(d + nu)
    if upper:
        lo, hi = mean, mean + 1.0
        while rate(hi) < level:
            hi += 1.0
    else:
        lo, hi = mean - 1.0, mean
        while rate(lo) < level:
            lo -= 2.0 * (hi - lo)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if (rate(mid) < level) == upper:
            lo = mid
        else:
            hi = mid
    return math.exp(hi if upper else lo)


@functools.lru_cache(maxsize=64)
def _min_distance_nodes(d: int, p_same: float, shift_mean: float, shift_var: float):
    r"""Nodes of the inner integral of $C_{\rm eff}$, independent of M (cached).

    For each of the 48 outer nodes $\lambda_j$ (those of
    `_min_distance_values_reference`), the lower-tail probability of the mixture

    $$
    F_j(x) = p\,F_{\chi'^2_d(\lambda_j)}(x)
    + (1-p)\sum_h w_h F_{\chi'^2_d(\lambda_j + s_h)}(x)
    $$

    (p = `p_same`; the same 12 clipped Gauss-Hermite shifts $s_h$) is evaluated on
    one grid of x shared by all j, through the Poisson mixture of central chi-squares:
    with $\pi_k(\mu) = e^{-\mu}\mu^k/k!$, $c_{jk} = p\,\pi_k(\lambda_j/2) +
    (1-p)\sum_h w_h \pi_k((\lambda_j+s_h)/2)$, $Q_{ji} = \sum_{k\le i} c_{jk}$ and
    $t_i(z) = z^{d/2+i}e^{-z}/\Gamma(d/2+i+1)$ (so that
    $P(d/2+k, z) = \sum_{i\ge k} t_i(z)$, P the regularised lower incomplete gamma),

    $$
    F_j(x) = \sum_{i \le k_{\max}} Q_{ji}\, t_i(x/2)
    + Q_{j k_{\max}}\, P(d/2 + k_{\max} + 1, x/2),
    $$

    a matrix product of positive terms, so $F_j$ keeps its relative accuracy in the
    deep lower tail (where $\log\,S_j = \log(1 - F_j)$ must be right to ~1e-25 for
    M = 1e9) and $S_j = 1 - F_j$ an absolute accuracy of ~1e-13 (the rounding of
    $\log\,t_i$, which is a difference of terms of size d); this costs C_eff(1) about
    5e-12 relative. Terms below 1e-150 are dropped (no subnormal numbers).

    Grid: the x range is $[x_{lo}, x_{hi}]$ with $F_j(x_{lo}) \le e^{-80}$ and
    $S_j(x_{hi}) \le e^{-41}$ for every j (Chernoff bounds of the extreme
    noncentralities). It is cut into Gauss-Legendre panels in $w = \log\,x$
    (20 nodes each) of equal increments of a design measure: 1 per unit of w (the factor
    x of dx = x dw) plus the largest rate of change, over up to 64 noncentralities and
    from Chernoff's saddlepoint, of $\eta = \log\,F$ below the mean and of
    $\eta = \log(-\log\,S)$ above it ($S^M = e^{-M e^\eta}$: in these units
    the drop of $S^M$ has the same shape for every M), 8 units per panel.

    Returns `(wz, x_lo, w, log_S)` (outer weights, lower end, the weights of
    $\int_{x_{lo}}^{x_{hi}} g\,dx$, and $\log\,S_j$ at the nodes, shape
    (48, n)), or None when the Poisson sum would be too large (more than 4e7 terms: about
    d > 1.5e4 for K > 1 at sigma2 = 1, d > 1e5 for K = 1), where the caller falls back on
    `_min_distance_values_reference`.

    Cost: O(k_max x n) exponentials and multiply-adds (x 48), with n the number of nodes
    and k_max ~ largest noncentrality / 2 + 10 sqrt of it. Measured on 2 busy cores (load
    average 5-7): n = 480, 6 ms at d = 50, K = 1; n = 700, 15 ms at d = 50, K = 12;
    n = 920, 17 ms at d = 200, K = 12; n = 1240, 0.13 s at d = 1000, K = 12; 1.4 s at
    d = 1000, K = 12, sigma2 = 0.1 (k_max ~ 1e4: the other components sit 2d/sigma2
    away), 1.5 s at d = 1e4, K = 12, 1.8 s at d = 1e5, K = 1. Memory: 48 x n floats kept,
    blocks of 2^20 floats.
    """
    wz, lam = _outer_nodes(d)
    if p_same < 1.0:
        s, wh = _shift_nodes(shift_mean, shift_var)
        nus = np.concatenate([lam[:, None], lam[:, None] + s[None, :]], axis=1)
        weights = np.concatenate([[p_same], (1.0 - p_same) * wh])
    else:
        nus, weights = lam[:, None], np.ones(1)
    # the grid serves the outer nodes of weight >= 1e-18 (36 of 48); the others, whose
    # S^M may fall outside it, contribute less than 1e-18 x (d + lambda_max) / d
    keep = wz >= _WEIGHT_MIN
    x_lo = _chernoff_point(d, float(lam[keep].min()), -_LOG_F_CUT, upper=False)
    x_hi = _chernoff_point(d, float(nus[keep].max()), -_LOG_S_CUT, upper=True)
    # grid design: cumulative design measure over log x, panels of equal increments
    proxy = np.unique(nus[keep])
    if proxy.size > _N_PROXY:
        proxy = np.quantile(proxy, np.linspace(0.0, 1.0, _N_PROXY))
    wq = np.linspace(np.log(x_lo), np.log(x_hi), _N_DESIGN)
    xq = np.exp(wq)
    rate, t = _chernoff(xq[None, :], d, proxy[:, None])
    sd = np.sqrt(2.0 * (d + 2.0 * proxy))[:, None]
    below = xq[None, :] < (d + proxy)[:, None]
    slope = np.where(below, (np.abs(t) + 1.0 / sd) * (rate < 10.0 - _LOG_F_CUT),
                     (t + 1.0 / sd) / (np.log(2.0) + rate) * (rate < 10.0 - _LOG_S_CUT))
    design = (slope.max(axis=0) + 2.0 / (x_hi - x_lo)) * xq + 1.0      # per unit of log x
    rho = np.concatenate([[0.0], np.cumsum(0.5 * (design[1:] + design[:-1]) * np.diff(wq))])
    n_panels = max(1, int(np.ceil(rho[-1] / _ETA_PER_PANEL)))
    edges = np.interp(np.linspace(0.0, rho[-1], n_panels + 1), rho, wq)
    edges[0], edges[-1] = wq[0], wq[-1]
    g, gw = _legendre(_PANEL_NODES)
    half = 0.5 * np.diff(edges)
    x = np.exp((0.5 * (edges[1:] + edges[:-1]))[:, None] + half[:, None] * g[None, :]).ravel()
    w = (half[:, None] * gw[None, :]).ravel() * x
    # Poisson weights of the whole mixture, cumulated over k
    mu = 0.5 * nus
    mu_max = mu[keep].max()
    # the Poisson mass beyond k_max (< 1e-21) is moved to k_max + 1 by the last term below,
    # which changes F by less than 1e-21 absolute and 1e-15 relative
    k_max = int(np.ceil(mu_max + 10.0 * np.sqrt(mu_max) + 10.0))
    if (k_max + 1) * x.size > _FAST_WORK_MAX:
        return None
    k = np.arange(k_max + 1, dtype=float)
    # c_jk = sum over the mixture's columns of weight x pi_k(mu); exp(-inf) = 0 below 1e-150
    log_p = np.multiply.outer(np.log(mu.T), k)                   # (columns, 48, k)
    log_p -= mu.T[:, :, None]
    log_p -= special.gammaln(k + 1.0)
    log_p[log_p < -345.0] = -np.inf
    np.exp(log_p, out=log_p)
    c = weights[0] * log_p[0]                                    # (48, k)
    for col in range(1, weights.size):
        c += weights[col] * log_p[col]
    del log_p
    Q = np.cumsum(c, axis=1)
    q_top = Q[:, -1:].copy()
    Q[Q < 1e-150] = 0.0
    # t_i(z) = z^a e^-z / Gamma(a + 1), a = d/2 + i, in blocks of x nodes
    a = 0.5 * d + k
    log_gamma = special.gammaln(a + 1.0)[:, None]
    F = np.empty((_N_LAMBDA, x.size))
    # tiles of at most _GEMM_MAX multiply-adds: BLAS runs such a product on one thread (a
    # threaded product of the whole grid was measured to stall, 1 ms -> 60 ms, on a busy
    # 2-core machine; so does a threaded matrix-vector product, 15 ms each at k = 1.5e4)
    rows = min(k_max + 1, 2048)
    step = max(1, min(_BLOCK // (k_max + 1), _GEMM_MAX // (_N_LAMBDA * rows)))
    for i in range(0, x.size, step):
        z = 0.5 * x[i:i + step]
        log_t = np.multiply.outer(a, np.log(z))
        log_t -= z
        log_t -= log_gamma
        log_t[log_t < -345.0] = -np.inf
        np.exp(log_t, out=log_t)
        block = q_top * special.gammainc(a[-1] + 1.0, z)
        for r in range(0, k_max + 1, rows):
            block += Q[:, r:r + rows] @ log_t[r:r + rows]
        F[:, i:i + step] = block
    if F[keep, 0].max() > np.exp(_LOG_F_CUT + 2.0) or F[keep, -1].min() < 1.0 - 1e-10:
        raise RuntimeError(f"C_eff grid does not cover the law (d = {d}): "
                           f"F(x_lo) = {F[keep, 0].max()}, S(x_hi) = {1.0 - F[keep, -1].min()}")
    with np.errstate(divide="ignore"):
        log_S = np.log1p(-np.minimum(F, 1.0))
    for arr in (wz, w, log_S):
        arr.setflags(write=False)
    return wz, x_lo, w, log_S


def _min_distance_values(d: int, n: np.ndarray, p_same: float, shift_mean: float,
                         shift_var: float) -> np.ndarray:
    r"""`T(n) = (1/d) E_lam int_0^inf S(x)^n dx` at the given n (float array, n >= 1 real).

    $$
    T(n) = \frac1d \sum_j w_{z,j}\Big[x_{lo} + \sum_i w_i\, e^{n \log\,S_j(x_i)}\Big]
    $$

    on the nodes of `_min_distance_nodes` (the survival function S of
    `_min_distance_table_full`); below $x_{lo}$, $S^n = 1$ to 1e-19 for
    every n <= 2^53. Agrees with `_min_distance_values_reference` to 1e-10 relative
    where that is accurate (see `docs/gmm.md`).

    Cost: O(len(n) x 48 x n_nodes) exponentials (0.2-0.5 ms per n measured for d <= 1e4)
    after the cached nodes; memory O(2^20) floats whatever len(n) is.
    """
    nodes = _min_distance_nodes(d, float(p_same), float(shift_mean), float(shift_var))
    if nodes is None:
        return _min_distance_values_reference(d, n, p_same, shift_mean, shift_var)
    wz, x_lo, w, log_S = nodes
    n = np.asarray(n, dtype=float).ravel()
    out = np.empty(n.shape[0])
    step = max(1, _BLOCK // log_S.size)
    for i in range(0, n.shape[0], step):
        e = n[i:i + step, None, None] * log_S[None, :, :]
        np.maximum(e, -300.0, out=e)       # e^-300 for 0: no subnormal numbers in the sums
        np.exp(e, out=e)
        out[i:i + step] = np.einsum("mjn,n->mj", e, w) @ wz + x_lo * wz.sum()
    return out / d


def _min_distance_table(d: int, n_max: int, p_same: float = 1.0, shift_mean: float = 0.0,
                        shift_var: float = 0.0) -> np.ndarray:
    """Cached `_min_distance_table_full`, computed up to a power of two >= 256."""
    cap = max(256, 1 << (int(n_max) - 1).bit_length())
    return _min_distance_table_full(d, cap, float(p_same), float(shift_mean),
                                    float(shift_var))[:n_max]


@functools.lru_cache(maxsize=64)
def _min_distance_table_full(d: int, n_max: int, p_same: float, shift_mean: float,
                             shift_var: float) -> np.ndarray:
    r"""`T[n-1] = (1/d) E_lam int_0^inf S(x)^n dx` for n = 1..n_max, where

    $$
    S(x) = p\,\mathrm{sf}_{\chi'^2_d(\lambda)}(x)
    + (1-p)\,\mathbb E_s\,\mathrm{sf}_{\chi'^2_d(\lambda + s)}(x)
    $$

    is the survival function of the squared distance (in units of
    $\sigma^2$) to one memorized point that shares the component with
    probability `p_same` and otherwise sits in another component, whose
    noncentrality is larger by a shift s ~ Normal(`shift_mean`,
    `shift_var`) (clipped at 0). `S^n` is the survival function of the
    nearest of n such points. Values from `_min_distance_values`.

    Cost: n_max x 48 x n_nodes exponentials (about 0.1 s for n_max = 256 at d = 50,
    K = 12); memory n_max floats, cached.
    """
    table = _min_distance_values(d, np.arange(1, n_max + 1, dtype=float), p_same, shift_mean,
                                 shift_var)
    table.setflags(write=False)
    return table


@functools.lru_cache(maxsize=8)
def _min_distance_nodes_reference(d: int, p_same: float, shift_mean: float, shift_var: float):
    """Quadrature nodes of `_min_distance_values_reference`, independent of n (cached).

    Returns `(wz, lo, width, log_S, wv)`: the outer weights, the ends `lo`
    of `[0, lo]`, `v1 - v0` and, per outer node, `log S` on the Simpson
    grid and the Simpson weights times `2 v`. 48 x 2049 floats (0.8 MB).
    """
    wz, lam = _outer_nodes(d)
    mixed = p_same < 1.0
    if mixed:
        shifts, wh = _shift_nodes(shift_mean, shift_var)
    from scipy import stats          # imported here: scipy.stats takes 1.4 s to import

    lo = stats.ncx2.ppf(1e-15, d, lam)
    hi = stats.ncx2.isf(1e-16, d, lam + (shifts.max() if mixed else 0.0))
    u = np.linspace(0.0, 1.0, _N_GRID)
    simpson = np.ones(_N_GRID)
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    simpson /= 3.0 * (_N_GRID - 1)
    log_S = np.empty((_N_LAMBDA, _N_GRID))
    wv = np.empty((_N_LAMBDA, _N_GRID))
    width = np.empty(_N_LAMBDA)
    for j in range(_N_LAMBDA):
        v0, v1 = np.sqrt(lo[j]), np.sqrt(hi[j])
        v = v0 + (v1 - v0) * u
        x = v * v
        S = stats.ncx2.sf(x, d, lam[j])
        if mixed:
            S_other = stats.ncx2.sf(x[None, :], d, lam[j] + shifts[:, None])
            S = p_same * S + (1.0 - p_same) * (wh @ S_other)
        with np.errstate(divide="ignore"):
            log_S[j] = np.log(S)
        wv[j] = simpson * 2.0 * v
        width[j] = v1 - v0
    for arr in (wz, lo, width, log_S, wv):
        arr.setflags(write=False)
    return wz, lo, width, log_S, wv


_N_CHUNK = 512   # n values per block in _min_distance_values_reference: 512 x 2049 floats


def _min_distance_values_reference(d: int, n: np.ndarray, p_same: float, shift_mean: float,
                                   shift_var: float) -> np.ndarray:
    """The quadrature memlab used before `_min_distance_nodes` (the reference).

    The same outer rules (48 Gauss-Hermite nodes in the normal score z with
    $\\lambda = F_{\\chi^2_d}^{-1}(\\Phi(z))$, 12 for the shift); the inner integral
    over `[0, lo]` (where S = 1 to 1e-15) plus composite Simpson in
    $v = \\sqrt x$ on `[lo, hi]` (`lo`, `hi` the 1e-15 and 1 - 1e-16
    quantiles, 2049 nodes) with `log S` from `scipy.stats.ncx2.sf`.

    Its limits (`docs/gmm.md`): `log(sf)` near sf = 1 carries a rounding error of
    ~1e-16, a relative error of about 6e-17 x n in T(n) (5e-8 at n = 1e9); for d <= 2 the
    uniform grid in v does not resolve the drop of S^n for large n (wrong by 0.1% at
    d = 1, n = 1e3 and by orders of magnitude at d = 2, K = 12, sigma2 = 0.1, n = 1e6).

    Cost: 48 x 2049 (x 13 when K > 1) `ncx2.sf` evaluations per new (d, K, sigma2)
    (1-7 s), then O(len(n) x 48 x 2049) exponentials (about 0.5 ms per n).
    """
    wz, lo, width, log_S, wv = _min_distance_nodes_reference(d, float(p_same), float(shift_mean),
                                                             float(shift_var))
    n = np.asarray(n, dtype=float).ravel()
    table = np.zeros(n.shape[0])
    for j in range(_N_LAMBDA):
        # integral over [lo, hi] of S^n dx = int 2 v S(v^2)^n dv, for a block of n at once
        integ = np.concatenate([np.exp(np.outer(n[i:i + _N_CHUNK], log_S[j])) @ wv[j]
                                for i in range(0, n.shape[0], _N_CHUNK)]) * width[j]
        table += wz[j] * (lo[j] + integ)
    return table / d


def nearest_neighbour_constant(d: int, n: int) -> float:
    r"""Finite-d constant $C(d, n)$ of the partial-memorization excess.

    The expected squared distance from a training point $x^i$ to the
    nearest of n other points of its own component, in units of
    $d\sigma^2$. Given $\lambda = \|x^i - \mu_k\|^2/\sigma^2 \sim \chi^2_d$,
    each such point is at squared distance
    $\sigma^2\,\chi'^2_d(\lambda)$ (noncentral chi-square), so

    $$
    C(d, n) = \frac1d\, \mathbb E_{\lambda\sim\chi^2_d}
    \int_0^\infty \mathrm{sf}_{\chi'^2_d(\lambda)}(x)^n \, dx .
    $$

    $C(d, 1) = 2$ exactly and C decreases slowly in n; Buchanan et al. (2025)
    (Thm. 3.2) only state $C \in [1, 2]$. Computed by quadrature
    (`_min_distance_nodes`; checked against nested adaptive quadrature, mpmath
    and Monte Carlo in the tests). The 48-node outer rule in $\lambda$ is
    converged (7e-11) for d >= 5; for d <= 2 and large n it is not (with 64 nodes C moves
    by 1e-5 at d = 2 and 1e-2 at d = 1 for n = 1e9; `docs/gmm.md`).

    Cost: 6 ms per new d at d = 50 (cached afterwards, see `_min_distance_nodes`),
    0.16 s at d = 1e4, 1.8 s at d = 1e5, beyond about d = 1e5 the previous quadrature
    (seconds to minutes); d is
    limited to `10**6` and n to `10**9` (ValueError beyond).

    Parameters
    ----------
    d : int
        Dimension, 1 to 1e6.
    n : int
        Number of memorized points of the same component, 1 to 1e9.

    Returns
    -------
    float
        $C(d, n)$, in (0, 2].

    Raises
    ------
    TypeError
        If `d` or `n` is not an integer (a bool, a string, ...).
    ValueError
        If `d` or `n` is not positive or beyond its limit.

    References
    ----------
    Buchanan et al. (2025), Thm. 3.2 (the constant C it bounds by [1, 2]).

    Examples
    --------
    >>> round(nearest_neighbour_constant(50, 1), 6)
    2.0
    >>> round(nearest_neighbour_constant(50, 8), 2)
    1.53
    """
    d = _check_quadrature_d(check_positive_int("d", d))
    n = check_positive_int("n", n, maximum=MAX_SAMPLES)
    if n <= _TABLE_MAX:
        return float(_min_distance_table(d, n)[n - 1])
    return float(_min_distance_values(d, np.array([n]), 1.0, 0.0, 0.0)[0])



def _other_component_shift(d: int, sigma2: float) -> tuple[float, float]:
    r"""Mean and variance of the extra noncentrality of a point in another component.

    For $x^i = \mu_k + e_i$ and a point of component $k'$, the
    noncentrality is $\|\mu_{k'} - \mu_k - e_i\|^2/\sigma^2 = \lambda + s$
    with $s = (D^2 - 2(\mu_{k'}-\mu_k)\cdot e_i)/\sigma^2$,
    $D^2 = 2d(1 - \cos\theta)$ for independent uniform means on the
    sphere of radius $\sqrt d$ ($\mathrm{Var}\cos\theta = 1/d$), so
    E s = 2d/sigma2 and Var s = 4d/sigma2^2 + 8d/sigma2 (to leading order).
    """
    return 2.0 * d / sigma2, 4.0 * d / sigma2 / sigma2 + 8.0 * d / sigma2


def effective_constant(M: int | ArrayLike, d: int | ArrayLike, K: int | ArrayLike,
                       sigma2: float = 1.0) -> float | np.ndarray:
    r"""Constant $C_{\rm eff}(M)$ of the partial-memorization excess at finite d.

    For a training point $x^i$ that is not memorized, each of the M
    memorized points shares its component with probability 1/K (squared
    distance $\sigma^2\chi'^2_d(\lambda)$, $\lambda =
    \|x^i - \mu_k\|^2/\sigma^2 \sim \chi^2_d$) or lies in another one, with
    noncentrality $\|\mu_{k'} - x^i\|^2/\sigma^2 = \lambda + s$; the shift
    s has mean $2d/\sigma^2$ (so the point is at about
    $\|\mu_k - \mu_{k'}\|^2 + 2d\sigma^2$) and variance
    $4d/\sigma^4 + 8d/\sigma^2$ from the spread of the inter-mean
    distance and the cross term (`_other_component_shift`), and is
    integrated over as a normal variable. Averaging the nearest-neighbour law
    over the Binomial(M, 1/K) number n of same-component points gives, by the
    binomial theorem,

    $$
    C_{\rm eff}(M) = \sum_n \binom Mn K^{-n}(1-K^{-1})^{M-n}\,
    \frac1d\mathbb E_\lambda\!\int \mathrm{sf}_s^n\,\mathrm{sf}_o^{M-n}
    = \frac1d\,\mathbb E_{\lambda\sim\chi^2_d}\int_0^\infty
    \Big[\tfrac1K\mathrm{sf}_s(x) + (1-\tfrac1K)\mathrm{sf}_o(x)\Big]^M dx,
    $$

    with $\mathrm{sf}_o = \mathbb E_s\,\mathrm{sf}_{\chi'^2_d(\lambda+s)}$.
    This covers n = 0 (all memorized points in other components) and the
    competition of other components for every n. With K = 1 it is
    [`nearest_neighbour_constant`][memlab.theory.gmm.nearest_neighbour_constant]`(d, M)`.
    It is the finite-d value of the constant C that Buchanan et al. (2025), Thm. 3.2,
    only bound by $C \in [1, 2]$.

    Accuracy: the shifts of different memorized points are treated as
    independent, but points of one other component share theirs, so the
    nearest other-component point is slightly too close. Measured against
    Monte Carlo with random means (4000 draws each): exact at M = 1; at
    d = 50, K = 12 the error is -1.6%, -2.4%, -2.3%, -0.5%, +0.1% at
    M = 3, 6, 12, 30, 100; at d = 30, K = 30 it reaches -4.1% (M = 12) and is
    -1.7% at M = 100; at d = 100, K = 3 it stays within 0.5%. Fixing s at its
    mean instead errs by as much in the other direction. At the crossover
    (M/K >> 1 for separated components) the error is below 0.5%.

    Numerics: 48 Gauss-Hermite nodes in $\lambda$, 12 in s, and for the integral
    over x a fixed Gauss-Legendre grid of about 600-1200 nodes in log x built once per
    (d, K, sigma2), on which $\log\,S$ comes from a Poisson sum of central
    chi-squares (`_min_distance_nodes`); `docs/gmm.md` gives its accuracy.

    Cost (measured on 2 busy cores, see `_min_distance_nodes`): building the nodes
    of a new (d, K, sigma2) takes 6 ms at d = 50, K = 1, 15 ms at d = 50, K = 12, 0.13 s
    at d = 1000, K = 12 and 1.4-1.8 s for distant components or large d (d = 1000,
    sigma2 = 0.1; d = 1e4, K = 12; d = 1e5, K = 1; beyond 4e7 Poisson terms, about
    d > 1.5e4 for K > 1 and d > 1e5 for K = 1, the previous quadrature of seconds to
    minutes per (d, K, sigma2) is used); then 0.2-0.5 ms per distinct M above 4096 (at most
    65536 distinct values per call), and for max(M) <= 4096 one cached table per
    (d, K, sigma2) (256 to 4096 entries, 0.1 to 1.5 s). Memory O(2^20) floats whatever
    M is. Arrays of d and K cost one node set per distinct (d, K).

    Parameters
    ----------
    M : int or array_like of int
        Number of memorized points, 1 <= M <= 2^53.
    d : int or array_like of int
        Dimension, 1 to 1e6; M, d and K broadcast together.
    K : int or array_like of int
        Number of components, >= 1.
    sigma2 : float, default 1.0
        Component variance, > 0; for K > 1 it must be >= 0.1 (smaller values raise
        ValueError: the quadrature, checked finite from 0.1 to 1e300, breaks down when
        the other components are more than ~100 sigma away; at such separation
        $C_{\rm eff}$ is dominated by the distance to other components).

    Returns
    -------
    float or numpy.ndarray
        $C_{\rm eff}(M)$; a float if M, d and K are all scalars, else an array of
        their broadcast shape.

    Raises
    ------
    TypeError
        If `M`, `d` or `K` is not an integer (or array of integers), or `sigma2` is not
        a number.
    ValueError
        If an `M`, `d` or `K` is not positive, d > 1e6, the arrays do not broadcast,
        K > 1 and sigma2 < 0.1, or M takes more than 65536 distinct values above 4096
        (for one (d, K)).

    References
    ----------
    Buchanan et al. (2025), Thm. 3.2.

    Examples
    --------
    >>> round(float(effective_constant(1, 50, 1)), 6)    # one point of the same component
    2.0
    >>> effective_constant([1, 10], 50, [1, 12]).shape
    (2,)
    """
    ds = _check_int_array("d", d)
    Ks = _check_int_array("K", K)
    sigma2 = check_positive_real("sigma2", sigma2)
    Ms = _check_M(M, MAX_INT)
    if np.ndim(M) == 0 and ds.ndim == 0 and Ks.ndim == 0:
        return float(_effective_constant(Ms, int(ds), int(Ks), sigma2)[0])
    Mb, db, Kb = _broadcast(("M", np.asarray(M, dtype=object).shape, Ms.reshape(np.shape(M))),
                            ("d", ds.shape, ds), ("K", Ks.shape, Ks))
    out = np.empty(Mb.shape)
    for (dd, kk), idx in _groups(db, Kb):
        out.ravel()[idx] = _effective_constant(Mb.ravel()[idx], int(dd), int(kk), sigma2)
    return out


def _check_quadrature_d(d: int) -> int:
    """`d` if the finite-d quadrature handles it (d <= 1e6: seconds per d; 1e8 takes minutes)."""
    if d > _QUADRATURE_D_MAX:
        raise ValueError(f"d must be <= {_QUADRATURE_D_MAX} for the finite-d constant (its "
                         f"quadrature takes minutes beyond; give C instead), got {d}")
    return d


_QUADRATURE_D_MAX = 10**6


def _finite_d_shift(d: int, K: int, sigma2: float) -> tuple[float, float]:
    """The other-component shift of `_other_component_shift`, after checking that the
    finite-d quadrature handles (d, K, sigma2): d <= 1e6 and, for K > 1, sigma2 >= 0.1."""
    _check_quadrature_d(d)
    if K > 1 and sigma2 < _SIGMA2_MIN:
        raise ValueError(f"sigma2 must be >= {_SIGMA2_MIN} for the finite-d constant C_eff "
                         f"(its quadrature does not resolve components that far apart; give C "
                         f"instead), got {sigma2!r}")
    return _other_component_shift(d, sigma2)


def _effective_constant(Ms: np.ndarray, d: int, K: int, sigma2: float) -> np.ndarray:
    """[`effective_constant`][memlab.theory.gmm.effective_constant] on checked arguments (`Ms` an int64 array, all >= 1)."""
    shift_mean, shift_var = _finite_d_shift(d, K, sigma2)
    m_max = int(Ms.max())
    if m_max <= _TABLE_MAX:
        table = _min_distance_table(d, m_max, 1.0 / K, shift_mean, shift_var)
        return table[Ms - 1]
    # large M: only the distinct values asked for, never a table up to max(M)
    uniq, inverse = np.unique(Ms, return_inverse=True)
    if uniq.size > _DISTINCT_MAX:
        raise ValueError(f"M must take at most {_DISTINCT_MAX} distinct values above "
                         f"{_TABLE_MAX} (about 0.3 ms each), got {uniq.size}")
    vals = _min_distance_values(d, uniq.astype(float), 1.0 / K, shift_mean, shift_var)
    return vals[inverse].reshape(Ms.shape)


_SIGMA2_MIN = 0.1        # below, the other-component shift 2d/sigma2 defeats the quadrature
_TABLE_MAX = 4096        # C_eff(M) for M <= this comes from one cached table (<= 1.5 s)
_DISTINCT_MAX = 2**16    # distinct M above _TABLE_MAX per call (about 20 s of quadrature)


def _check_int_array(name: str, value, maximum: int = MAX_INT) -> np.ndarray:
    """`value` (a positive integer or an array of them) as an int64 array (0-d for a scalar)."""
    if isinstance(value, (str, bytes)) or value is None or np.ndim(value) == 0:
        return np.array(check_positive_int(name, value, maximum=maximum), dtype=np.int64)
    arr = np.asarray(value, dtype=object)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    for v in arr.ravel():
        check_positive_int(name, v, maximum=maximum)
    return arr.astype(np.int64)


def _broadcast(*named):
    """Broadcast `(name, shape, array)` triples; ValueError naming them all if impossible."""
    try:
        return np.broadcast_arrays(*[a for _, _, a in named])
    except ValueError:
        names = ", ".join(n for n, _, _ in named)
        shapes = ", ".join(str(s) for _, s, _ in named)
        raise ValueError(f"{names} must broadcast together, got shapes {shapes}") from None


def _groups(*arrays):
    """`((values...), flat indices)` for each distinct combination of the (broadcast) arrays."""
    keys = np.stack([np.ravel(a) for a in arrays], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(uniq.shape[0] + 1))
    return [(tuple(uniq[g]), order[bounds[g]:bounds[g + 1]]) for g in range(uniq.shape[0])]


def _check_M(M, N):
    """`M` (an int or an array of ints in [1, N]) as an int64 array of at least one entry."""
    if isinstance(M, (str, bytes)) or M is None:
        raise TypeError(f"M must be a positive integer or an array of them, got {_show(M)}")
    Ms = np.atleast_1d(np.asarray(M, dtype=object))
    if Ms.size == 0:
        raise ValueError(f"M must not be empty, got shape {Ms.shape}")
    for m in Ms.ravel():
        check_positive_int("M", m)
        if int(m) > N:
            raise ValueError(f"M must be <= N = {N}, got {m!r}")
    return Ms.astype(np.int64)


def partial_memorization_excess_loss(M: int | ArrayLike, N: int, d: int, K: int,
                                     sigma2: float = 1.0,
                                     C: float | None = None) -> float | np.ndarray:
    r"""High-SNR excess training loss of the partially memorizing denoiser (Buchanan et al. 2025, Thm. 3.2).

    $$
    \mathbb E[L_t(\hat x_{{\rm pmem},M}) - L_t(\hat x_{\rm mem})] \simeq
    C\,(1 - M/N)\, d\sigma^2 ,
    $$

    independent of t at high SNR: the N - M non-memorized points are denoised
    to their nearest memorized neighbour. `C=None` uses
    [`effective_constant`][memlab.theory.gmm.effective_constant] (finite-d, averaged over the component counts);
    a number uses that constant (the paper's $C \in [1, 2]$). At low SNR
    ($t \to 1$) the true excess tends to 0 while this does not.

    Cost: with `C=None`, the quadrature of [`effective_constant`][memlab.theory.gmm.effective_constant] (same
    computation, documented there); with C given, the closed form costs
    O(len(M)) time and memory (each M is checked in Python); about 2.6 s for
    10^6 values of M.

    Parameters
    ----------
    M : int or array_like of int
        Number of memorized points, 1 <= M <= N.
    N : int
        Training-set size.
    d : int
        Dimension.
    K : int
        Number of components, K <= N.
    sigma2 : float, default 1.0
        Component variance $\sigma^2$, > 0; with `C=None` and K > 1 it must be at
        least 0.1 (see [`effective_constant`][memlab.theory.gmm.effective_constant]).
    C : float, optional
        The constant C, > 0; `None` (default) for the finite-d $C_{\rm eff}(M)$.

    Returns
    -------
    float or numpy.ndarray
        The excess; a float for a scalar `M`, else an array of its shape.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If `N`, `d`, `K` or an `M` is not a positive integer, K > N, M > N,
        `sigma2 <= 0` (or < 0.1 with `C=None` and K > 1), `C <= 0`, or d is beyond
        the quadrature's limit of 1e6.

    References
    ----------
    Buchanan et al. (2025), Thm. 3.2.

    Examples
    --------
    >>> partial_memorization_excess_loss(100, 200, 50, 12, C=2.0)
    50.0
    >>> partial_memorization_excess_loss([50, 100], 200, 50, 12, C=2.0)
    array([75., 50.])
    >>> round(partial_memorization_excess_loss(100, 200, 50, 12), 2)    # finite-d C_eff
    38.49
    """
    N, d, K = check_NdK(N, d, K)
    sigma2 = check_positive_real("sigma2", sigma2)
    Ms = _check_M(M, N)
    C = None if C is None else check_positive_real("C", C)
    out = _partial_memorization_excess(Ms, N, d, K, sigma2, C)
    return float(out.ravel()[0]) if np.ndim(M) == 0 else np.asarray(out, dtype=float)


def _partial_memorization_excess(Ms: np.ndarray, N: int, d: int, K: int, sigma2: float,
                                 C: float | None) -> np.ndarray:
    """[`partial_memorization_excess_loss`][memlab.theory.gmm.partial_memorization_excess_loss] on checked arguments, an array like `Ms`."""
    c = _effective_constant(Ms, d, K, sigma2) if C is None else C
    return np.asarray(c * (1.0 - Ms / N) * d * sigma2, dtype=float)


def loss_gap(M: int | ArrayLike, N: int, d: int, K: int, *,
             weighting: str | ArrayLike | Callable[[np.ndarray], ArrayLike] = "x0",
             timesteps: ArrayLike | None = None, sigma2: float = 1.0,
             C: float | None = None) -> float | np.ndarray:
    r"""Weighted training-loss gap $L(\hat x_{{\rm pmem},M},\lambda) - L(\hat x_*,\lambda)$.

    Buchanan et al. (2025), eq. 14, with the loss weighted over the time grid:

    $$
    {\rm gap}(M) = \mathrm{mean}_l\, \lambda(t_l)\Big[C(1 - M/N)d\sigma^2
    - \frac{d\sigma^2}{\psi_{t_l}\sigma^2 + 1}\Big].
    $$

    Positive: the generalizing denoiser has the lower training loss. Decreasing
    in M; `gap(N) < 0`. Both terms are high-SNR closed forms (Thms. 3.1-3.2): at
    the low-SNR end of the grid both overestimate the true excesses, the
    generalizing one by more, so the closed-form gap is pushed negative there.

    Cost: with `C=None`, the quadrature of [`effective_constant`][memlab.theory.gmm.effective_constant] (same
    computation, documented there) plus O(T) for the T times; with C given,
    O(len(M) + T) time and memory (each M is checked in Python); about 2.5 s
    for 10^6 values of M.

    Parameters
    ----------
    M : int or array_like of int
        Number of memorized points, 1 <= M <= N.
    N : int
        Training-set size.
    d : int
        Dimension.
    K : int
        Number of components, K <= N.
    weighting : str, array_like or callable, default "x0"
        Loss weighting over the grid: `"x0"`, `"eps"`, one weight per time or a
        callable, see [`loss_weighting`][memlab.theory.gmm.loss_weighting]
        (keyword-only).
    timesteps : array_like, optional
        VP times; default the 26-point grid of Buchanan et al. (2025)
        ([`reference_timesteps`][memlab.theory.schedules.reference_timesteps]).
    sigma2 : float, default 1.0
        Component variance, > 0; with `C=None` and K > 1 it must be >= 0.1.
    C : float, optional
        Constant of the partial-memorization excess, > 0; `None` (default) for the
        finite-d $C_{\rm eff}(M)$.

    Returns
    -------
    float or numpy.ndarray
        The gap; a float for a scalar `M`, else an array of its shape.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        As [`partial_memorization_excess_loss`][memlab.theory.gmm.partial_memorization_excess_loss]
        and [`loss_weighting`][memlab.theory.gmm.loss_weighting].

    References
    ----------
    Buchanan et al. (2025), eq. 14 and Thms. 3.1-3.2.

    Examples
    --------
    >>> loss_gap(200, 200, 50, 12) < 0
    True
    >>> loss_gap([100, 150, 160], 200, 50, 12).round(2)     # root between 150 and 160
    array([21.51,  1.44, -2.34])
    """
    N, d, K = check_NdK(N, d, K)
    sigma2 = check_positive_real("sigma2", sigma2)
    t = resolve_timesteps(timesteps)
    lam = _loss_weighting(weighting, t)
    Ms = _check_M(M, N)
    C = None if C is None else check_positive_real("C", C)
    pm = _partial_memorization_excess(Ms, N, d, K, sigma2, C)
    gen = float(np.mean(lam * _generalizing_excess(t, d, sigma2)))
    out = pm * float(np.mean(lam)) - gen
    return float(out.ravel()[0]) if np.ndim(M) == 0 else out


def crossover_point(N: int | ArrayLike, d: int | ArrayLike, K: int | ArrayLike, *,
                    weighting: str | ArrayLike | Callable[[np.ndarray], ArrayLike] = "x0",
                    timesteps: ArrayLike | None = None, sigma2: float = 1.0,
                    C: float | None = None) -> float | np.ndarray:
    r"""Crossover point $M^*(N, d, K)$ of Buchanan et al. (2025), eq. 14.

    $M^*$ solves ${\rm gap}(M^*) = 0$ ([`loss_gap`][memlab.theory.gmm.loss_gap]): below it
    the generalizing denoiser has the lower weighted training loss, above it
    the partially memorizing one. With a constant `C`,

    $$
    M^* = N\Big(1 - \frac{\mathrm{mean}_l[\lambda/(\psi\sigma^2 + 1)]}
    {C\, \mathrm{mean}_l[\lambda]}\Big),
    $$

    clipped to [0, N]. With `C=None` (default) the finite-d constant
    $C_{\rm eff}(M)$ of [`effective_constant`][memlab.theory.gmm.effective_constant] is used; $M^*$ is
    the zero of the piecewise-linear interpolant of gap over the integers M
    (gap is decreasing in M, so the root is unique), or 1 when gap(1) <= 0
    (only for N = 1). It is found without evaluating every M: a search on the integers
    (`_crossover_search`) brackets the first M with gap(M) <= 0, and the
    interpolant is evaluated on that last bracket [M - 1, M].

    N, d and K may be arrays: they broadcast together, and each distinct (d, K) builds
    its quadrature nodes once and searches all its N at once.

    Cost: with `C=None`, the nodes of [`effective_constant`][memlab.theory.gmm.effective_constant] (about 10-15 ms for a
    new (d, K) at d = 50, K = 12, cached; more for large d, see there) plus 5-8 rounds of
    one C_eff evaluation per N (0.2-0.5 ms each). Measured on 2 shared cores
    (`benchmarks/results/crossover.md`, load average 2-3): 8-11 ms for a new
    (200, 50, 12) or (1e9, 50, 12) (14-37 ms at load average 5-7) against 1.3-2.3 s
    before; 1-2 ms warm; a curve of 30 N in one call 0.02-0.05 s against 14-30 s for a
    loop of the previous code; peak memory 2.4 MiB at N = 1e4 and at 1e9. With C given,
    O(size of N).

    Parameters
    ----------
    N : int or array_like of int
        Training-set size, 1 to 2^53; N, d and K broadcast together.
    d : int or array_like of int
        Dimension, >= 1 (at most 1e6 with `C=None`).
    K : int or array_like of int
        Number of components, 1 <= K <= N.
    weighting : str, array_like or callable, default "x0"
        Loss weighting over the grid: `"x0"`, `"eps"`, one weight per time or a
        callable, see [`loss_weighting`][memlab.theory.gmm.loss_weighting]
        (keyword-only).
    timesteps : array_like, optional
        VP times; default the 26-point grid of Buchanan et al. (2025)
        ([`reference_timesteps`][memlab.theory.schedules.reference_timesteps]).
    sigma2 : float, default 1.0
        Component variance; with `C=None` and K > 1 it must be >= 0.1 (see
        [`effective_constant`][memlab.theory.gmm.effective_constant]), otherwise any positive value.
    C : float, optional
        Constant of the partial-memorization excess, > 0; `None` (default) for the
        finite-d $C_{\rm eff}(M)$.

    Returns
    -------
    float or numpy.ndarray
        $M^*$ in [0, N]; a float if N, d and K are scalars, else an array of their
        broadcast shape.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If `N`, `d` or `K` is not a positive integer, K > N, they do not broadcast,
        `sigma2` or `C` is not positive (or `sigma2 < 0.1` with `C=None` and K > 1),
        d > 1e6 with `C=None`, or `weighting`/`timesteps` is invalid (see
        [`loss_weighting`][memlab.theory.gmm.loss_weighting]).

    Notes
    -----
    The closed forms are high-SNR limits. Near $t \to 1$ both overestimate the
    true excesses, and the generalizing one by more: the closed-form gap is
    pushed negative there, and $M^*$ lies *below* the crossover of the
    exact losses. At (200, 50, 12) with x0 weighting it is 0.77 N here against
    0.80 N simulated
    ([`simulated_crossover_point`][memlab.verification.gmm.simulated_crossover_point]); for
    small d the closed form drops further (0.60 N at d = 10, K = 2) while the
    simulated crossover stays at 0.78-0.81 N (`docs/gmm.md`).

    References
    ----------
    Buchanan et al. (2025), eq. 14 and Thms. 3.1-3.2.

    Examples
    --------
    >>> round(crossover_point(200, 50, 12), 1)          # finite-d C: 0.77 N
    153.8
    >>> round(crossover_point(200, 50, 12, C=2.0), 1)   # eq. 14 with C = 2
    166.0
    >>> (crossover_point([200, 10**9], 50, 12) / [200, 10**9]).round(3)   # one call, a curve
    array([0.769, 0.432])
    """
    Ns = _check_int_array("N", N)
    ds = _check_int_array("d", d)
    Ks = _check_int_array("K", K)
    Nb, db, Kb = _broadcast(("N", Ns.shape, Ns), ("d", ds.shape, ds), ("K", Ks.shape, Ks))
    bad = np.flatnonzero((Kb > Nb).ravel())
    if bad.size:
        i = bad[0]
        raise ValueError(f"K must be <= N = {Nb.ravel()[i]}, got {Kb.ravel()[i]}")
    sigma2 = check_positive_real("sigma2", sigma2)
    t = resolve_timesteps(timesteps)
    lam = _loss_weighting(weighting, t)
    if C is not None:
        C = check_positive_real("C", C)
    scalar = Nb.ndim == 0
    out = np.empty(Nb.shape)
    for (dd,), idx in _groups(db):
        dd = int(dd)
        ratio = np.mean(lam * _generalizing_excess(t, dd, sigma2)) / (dd * sigma2 * np.mean(lam))
        if C is not None:
            n_sel = Nb.ravel()[idx].astype(float)
            out.ravel()[idx] = np.clip(n_sel * (1.0 - ratio / C), 0.0, n_sel)
            continue
        for (kk,), sub in _groups(Kb.ravel()[idx]):
            sel = idx[sub]
            n_sel = Nb.ravel()[sel]
            uniq, inverse = np.unique(n_sel, return_inverse=True)
            out.ravel()[sel] = _crossover_search(uniq, dd, int(kk), sigma2,
                                                 float(ratio))[inverse.ravel()]
    return float(out) if scalar else out


def _crossover_search(Ns: np.ndarray, d: int, K: int, sigma2: float, ratio: float) -> np.ndarray:
    """[`crossover_point`][memlab.theory.gmm.crossover_point] with finite-d C for an int64 array of N (one (d, K)).

    g(M) = C_eff(M)(1 - M/N) - ratio is decreasing (both factors are positive
    and decreasing) and g(N) = -ratio < 0. For each N an integer bracket lo < hi with
    g(lo) > 0 >= g(hi) starts at [1, N] and shrinks, all N in one batch per round: two
    rounds at the fixed point of M = N(1 - ratio/C_eff(M)) with C_eff frozen at its last
    value (a contraction, as C_eff varies slowly), then secant steps through the last two
    points of g (nearly linear near the root), with a bisection step every fourth round
    where the bracket has not shrunk fourfold (so at most O(log N) rounds), until
    hi = lo + 1 (6-9 evaluations of C_eff measured for N from 200 to 1e9); then g on
    [lo, hi] is evaluated
    alone (so the answer does not depend on the batch) and interpolated as
    [`memlab.theory.metrics.first_crossing`][memlab.theory.metrics.first_crossing] does over all M.
    """
    shift_mean, shift_var = _finite_d_shift(d, K, sigma2)

    def gap(ms, ns):
        c = _min_distance_values(d, ms.astype(float), 1.0 / K, shift_mean, shift_var)
        return c * (1.0 - ms / ns) - ratio

    Ns = np.asarray(Ns, dtype=np.int64)
    out = np.ones(Ns.shape[0])                  # N = 1, or gap(1) <= 0: M* = 1
    lo = np.ones_like(Ns)
    hi = Ns.copy()
    c_last = _min_distance_values(d, np.ones(1), 1.0 / K, shift_mean, shift_var)
    c_last = np.full(Ns.shape[0], c_last[0])
    g1 = c_last * (1.0 - 1.0 / Ns) - ratio
    active = (g1 > 0) & (Ns > 1)
    m_last, g_last = np.ones(Ns.shape[0]), g1.copy()
    m_prev, g_prev = np.full(Ns.shape[0], np.nan), np.full(Ns.shape[0], np.nan)
    width = (hi - lo).astype(float)
    for it in range(400):
        act = np.flatnonzero(active & (hi - lo > 1))
        if act.size == 0:
            break
        a_lo, a_hi = lo[act], hi[act]
        # two rounds of the fixed point of M = N (1 - ratio / C_eff(M)) with C_eff frozen
        # at its last value, then the secant through the last two points of g; every
        # fourth round, a bisection where the bracket has not shrunk fourfold
        r = Ns[act] * (1.0 - ratio / c_last[act])
        if it >= 2:
            dg = g_last[act] - g_prev[act]
            with np.errstate(divide="ignore", invalid="ignore"):
                sec = m_last[act] - g_last[act] * (m_last[act] - m_prev[act]) / dg
            r = np.where(np.isfinite(sec), sec, r)
        r = np.floor(r + 0.5)
        if it % 4 == 3:
            slow = (a_hi - a_lo) > 0.25 * width[act]
            r = np.where(slow, (a_lo + a_hi) // 2, r)
            width[act] = a_hi - a_lo
        m = np.clip(r, a_lo + 1, a_hi - 1).astype(np.int64)
        c = _min_distance_values(d, m.astype(float), 1.0 / K, shift_mean, shift_var)
        g = c * (1.0 - m / Ns[act]) - ratio
        c_last[act] = c
        m_prev[act], g_prev[act] = m_last[act], g_last[act]
        m_last[act], g_last[act] = m, g
        pos = g > 0
        lo[act[pos]] = m[pos]
        hi[act[~pos]] = m[~pos]
    else:                                        # cannot happen: each round shrinks the bracket
        raise RuntimeError("crossover search did not converge")
    for i in np.flatnonzero(active):
        ms = np.array([lo[i], hi[i]], dtype=np.int64)
        g = gap(ms, Ns[i])
        while g[0] <= 0 and ms[0] > 1:          # rounding at an exact zero: step back
            ms -= 1
            g = gap(ms, Ns[i])
        while g[1] > 0:                          # or forward
            ms += 1
            g = gap(ms, Ns[i])
        out[i] = 1.0 if g[0] <= 0 else first_crossing(ms, g, 0.0, above=False)
    return out


def _crossover_bisection(N: int, d: int, K: int, sigma2: float, ratio: float) -> float:
    """[`crossover_point`][memlab.theory.gmm.crossover_point] with finite-d C for one N (`_crossover_search`)."""
    return float(_crossover_search(np.array([N], dtype=np.int64), d, K, sigma2, ratio)[0])


def _crossover_reference(N: int, d: int, K: int, sigma2: float, ratio: float) -> float:
    """The finite-d crossover as memlab computed it before `_crossover_search`.

    With `_min_distance_values_reference` for C_eff: for N <= 4096 the gap at every
    M = 1..N and [`memlab.theory.metrics.first_crossing`][memlab.theory.metrics.first_crossing]; above, bisection on the
    integers (O(log N) evaluations) down to a bracket of at most 9 consecutive M,
    interpolated in the same way. Kept to test and benchmark the new search against.
    """
    shift_mean, shift_var = _other_component_shift(d, sigma2)

    def gap(ms):
        ms = np.asarray(ms, dtype=np.int64)
        c = _min_distance_values_reference(d, ms.astype(float), 1.0 / K, shift_mean, shift_var)
        return c * (1.0 - ms / N) - ratio

    if N <= _TABLE_MAX:
        Ms = np.arange(1, N + 1, dtype=np.int64)
        return first_crossing(Ms, gap(Ms), 0.0, above=False)
    lo, hi = 1, N                      # g(lo) > 0 >= g(hi)
    if gap([1, 2, 3, 4])[0] <= 0:
        return 1.0
    while hi - lo > 8:
        mid = (lo + hi) // 2
        if gap([mid, mid + 1, mid + 2, mid + 3])[0] <= 0:
            hi = mid
        else:
            lo = mid
    Ms = np.arange(lo, hi + 1, dtype=np.int64)
    return first_crossing(Ms, gap(Ms), 0.0, above=False)
