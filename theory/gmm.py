r"""The Gaussian-mixture memorization laboratory of seed 001 (Buchanan et al.).

Data are drawn from an equal-weight isotropic Gaussian mixture

.. math:: \pi_* = \frac1K \sum_{k=1}^K \mathcal N(\mu_k, \sigma^2 I_d),

with the means uniform on the sphere of radius :math:`\sqrt d` and
:math:`\sigma^2 = 1` by default; the training set is :math:`x^1, \dots, x^N`.
Noise follows the VP process of :mod:`memlab.theory.schedules`
(:math:`\alpha_t = \sqrt{1-t^2}`, :math:`\sigma_t = t`, SNR
:math:`\psi_t = \alpha_t^2/\sigma_t^2`).

Three denoisers are compared (seed 001, Lemma 2.1 and eqs. 7, 10-12):

* the generalizing denoiser :math:`\hat x_*` (the posterior mean under
  :math:`\pi_*`), :func:`gmm_denoiser`;
* the memorizing denoiser :math:`\hat x_{\rm mem}` (the posterior mean under the
  empirical distribution of the N training points), :func:`empirical_denoiser`;
* the partially memorizing denoiser :math:`\hat x_{{\rm pmem},M}` (the same over
  the first M training points), :func:`empirical_denoiser` with ``M``.

Their training losses :math:`L_t(\hat x) = \frac1N\sum_i
\mathbb E_z\|\hat x(t, \alpha_t x^i + \sigma_t z) - x^i\|^2` are approximated at
high SNR by (seed 001, Theorems 3.1 and 3.2)

.. math::

    \mathbb E[L_t(\hat x_*) - L_t(\hat x_{\rm mem})] \simeq
        \frac{d\sigma^2}{\psi_t \sigma^2 + 1},\qquad
    \mathbb E[L_t(\hat x_{{\rm pmem},M}) - L_t(\hat x_{\rm mem})] \simeq
        C\,(1 - M/N)\, d\sigma^2 .

The paper leaves :math:`C \in [1, 2]` open. memlab computes it at finite d
from the distance to the nearest memorized point (:func:`nearest_neighbour_constant`,
:func:`effective_constant`). The crossover point :math:`M^*` where the weighted
losses of the two denoisers cross (seed 001, eq. 14) is :func:`crossover_point`.

Regime of validity: both closed forms are high-SNR limits. Near :math:`t \to 1`
(low SNR) both true excesses shrink to 0 while the closed forms do not, so the
closed-form :math:`M^*` lies above the simulated one (see ``docs/gmm.md`` and
:mod:`memlab.verification.gmm`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

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
class GMMData:
    """A training set drawn from the isotropic mixture.

    Attributes
    ----------
    x : ndarray, shape (N, d)
        Training points :math:`x^1..x^N`, in the order used by the partial
        memorizer (the first M rows are memorized).
    labels : ndarray of int, shape (N,)
        Component index of each training point.
    means : ndarray, shape (K, d)
        Component means :math:`\\mu_k`, on the sphere of radius :math:`\\sqrt d`.
    sigma2 : float
        Component variance :math:`\\sigma^2`.
    """

    x: np.ndarray
    labels: np.ndarray
    means: np.ndarray
    sigma2: float

    def __post_init__(self):
        for arr in (self.x, self.labels, self.means):
            arr.setflags(write=False)


def sample_gmm(N: int, d: int, K: int, *, sigma2: float = 1.0, seed=None) -> GMMData:
    r"""Draw means and N i.i.d. training points of :math:`\pi_*` (seed 001, eq. 8).

    The K means are independent and uniform on the sphere of radius
    :math:`\sqrt d`; each point picks its component uniformly at random.

    Examples
    --------
    >>> data = sample_gmm(200, 50, 12, seed=0)
    >>> data.x.shape, data.means.shape
    ((200, 50), (12, 50))
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
    """Logits ``-||x_b - a_b c_j||^2 / (2 var_b)`` up to a per-row constant.

    Uses ``||x - a c||^2 = ||x||^2 - 2 a x.c + a^2 ||c||^2``; the ``||x||^2``
    term is the same for every centre and cancels in the softmax, so it is
    dropped. Shape (batch, n_centres); no (batch, n, d) intermediate.

    Each row is shifted by its largest numerator before dividing by ``2 var`` (the
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


def gmm_denoiser(t, x, means, sigma2: float = 1.0) -> np.ndarray:
    r"""Posterior mean :math:`\hat x_*(t, x) = \mathbb E[x_0 \mid x_t = x]` under :math:`\pi_*`.

    Seed 001, Lemma 2.1 with :math:`\Sigma_k = \sigma^2 I` (eqs. 11-12):

    .. math::

        \hat x_*(t, x) = \sum_k \mathrm{softmax}(w)_k\,
            \frac{\alpha_t\sigma^2 x + \sigma_t^2 \mu_k}{\alpha_t^2\sigma^2 + \sigma_t^2},
        \qquad w_k = -\frac{\|x - \alpha_t\mu_k\|^2}{2(\alpha_t^2\sigma^2 + \sigma_t^2)} .

    Cost: O(B K d) time and O(B (K + d) + K d) memory for B points, K means in
    dimension d; about 0.11 s for B = 10^4, K = 100, d = 50.

    Parameters
    ----------
    t : float or array of shape (batch,)
        VP time(s) in (0, 1).
    x : array, shape (batch, d) or (d,)
        Noisy points :math:`x_t`.
    means : array, shape (K, d)
        Component means :math:`\mu_k` (equal weights).
    sigma2 : float
        Component variance :math:`\sigma^2 > 0`.

    Returns
    -------
    ndarray with the shape of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> mu = np.array([[0.0, 0.0]])
    >>> gmm_denoiser(0.6, np.array([0.8, 0.0]), mu)   # single Gaussian: x alpha s2/(alpha^2 s2 + t^2)
    array([0.64, 0.  ])
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


def empirical_denoiser(t, x, train, M: int | None = None) -> np.ndarray:
    r"""Memorizing (:math:`M = N`) or partially memorizing posterior mean.

    Seed 001, eqs. 7 and 10: the posterior mean under the empirical
    distribution of the first M training points,

    .. math::

        \hat x_{{\rm pmem},M}(t, x) = \sum_{i=1}^M \mathrm{softmax}(w)_i\, x^i,
        \qquad w_i = -\frac{\|x - \alpha_t x^i\|^2}{2\sigma_t^2} .

    Cost: O(B M d) time and O(B (M + d) + M d) memory for B points, M memorized
    points in dimension d; about 0.7 s for B = 10^4, M = 1000, d = 50.

    Parameters
    ----------
    t : float or array of shape (batch,)
        VP time(s) in (0, 1).
    x : array, shape (batch, d) or (d,)
        Noisy points.
    train : array, shape (N, d)
        Training points :math:`x^1..x^N`.
    M : int, optional
        Number of memorized points, ``1 <= M <= N``; ``None`` means ``N``
        (the memorizing denoiser :math:`\hat x_{\rm mem}`).

    Examples
    --------
    >>> import numpy as np
    >>> train = np.array([[1.0, 0.0], [-1.0, 0.0]])
    >>> empirical_denoiser(0.01, np.array([0.9, 0.1]), train)
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


def loss_weighting(weighting="x0", timesteps=None) -> np.ndarray:
    r"""Loss weights :math:`\lambda(t_l)` over a time grid.

    Parameters
    ----------
    weighting : {"x0", "eps"}, array or callable
        ``"x0"``: :math:`\lambda = 1` (the :math:`x_0`-prediction loss of eq. 6);
        ``"eps"``: :math:`\lambda = \psi_t = \alpha_t^2/\sigma_t^2`, the
        noise-prediction loss seed 001 trains with (Sec. 4); an array of one
        non-negative weight per time; or a callable ``f(t) -> array``.
    timesteps : array, optional
        VP times in (0, 1); default :func:`memlab.theory.schedules.reference_timesteps`.

    Returns
    -------
    ndarray, one weight per time (not normalised).

    Examples
    --------
    >>> loss_weighting("x0").shape
    (26,)
    """
    return _loss_weighting(weighting, resolve_timesteps(timesteps))


def _loss_weighting(weighting, t: np.ndarray) -> np.ndarray:
    """:func:`loss_weighting` on checked times ``t`` (one-dimensional, in (0, 1))."""
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


def generalizing_excess_loss(t, d: int, sigma2: float = 1.0):
    r"""High-SNR excess training loss of the generalizing denoiser (seed 001, Thm. 3.1).

    .. math::

        \mathbb E[L_t(\hat x_*) - L_t(\hat x_{\rm mem})] \simeq
            \frac{d\sigma^2}{\psi_t\sigma^2 + 1}
            = d\,\frac{\sigma^2\sigma_t^2}{\alpha_t^2\sigma^2 + \sigma_t^2},

    the posterior variance of a single component summed over d coordinates
    (the memorizer's own loss is exponentially small at high SNR). Valid for
    :math:`\psi_t \gtrsim 1` with well-separated components; as
    :math:`t \to 1` the true excess tends to 0 while this tends to
    :math:`d\sigma^2`.

    Examples
    --------
    >>> generalizing_excess_loss(0.6, 50)     # psi = 16/9
    18.0
    """
    d = check_positive_int("d", d)
    sigma2 = check_positive_real("sigma2", sigma2)
    tt = check_timesteps(t, "vp")
    out = _generalizing_excess(tt, d, sigma2)
    return float(out) if np.ndim(t) == 0 else out


def _generalizing_excess(tt: np.ndarray, d: int, sigma2: float) -> np.ndarray:
    """:func:`generalizing_excess_loss` on checked arguments (``tt`` an array of VP times)."""
    a2, s2 = 1.0 - tt * tt, tt * tt
    return d * sigma2 * s2 / (a2 * sigma2 + s2)


_N_LAMBDA = 48   # Gauss-Hermite nodes for the chi-square outer expectation
_N_GRID = 2049   # Simpson nodes for the inner integral (odd)


_N_SHIFT = 12   # Gauss-Hermite nodes for the other-component shift


def _min_distance_table(d: int, n_max: int, p_same: float = 1.0, shift_mean: float = 0.0,
                        shift_var: float = 0.0) -> np.ndarray:
    """Cached :func:`_min_distance_table_full`, computed up to a power of two >= 256."""
    cap = max(256, 1 << (int(n_max) - 1).bit_length())
    return _min_distance_table_full(d, cap, float(p_same), float(shift_mean),
                                    float(shift_var))[:n_max]


@functools.lru_cache(maxsize=64)
def _min_distance_table_full(d: int, n_max: int, p_same: float, shift_mean: float,
                             shift_var: float) -> np.ndarray:
    r"""``T[n-1] = (1/d) E_lam int_0^inf S(x)^n dx`` for n = 1..n_max, where

    .. math:: S(x) = p\,\mathrm{sf}_{\chi'^2_d(\lambda)}(x)
                    + (1-p)\,\mathbb E_s\,\mathrm{sf}_{\chi'^2_d(\lambda + s)}(x)

    is the survival function of the squared distance (in units of
    :math:`\sigma^2`) to one memorized point that shares the component with
    probability ``p_same`` and otherwise sits in another component, whose
    noncentrality is larger by a shift s ~ Normal(``shift_mean``,
    ``shift_var``) (clipped at 0). ``S^n`` is the survival function of the
    nearest of n such points.

    Quadrature: :math:`\lambda \sim \chi^2_d` by Gauss-Hermite in the normal
    score z with :math:`\lambda = F_{\chi^2_d}^{-1}(\Phi(z))` (smooth in z for
    every d); the shift by Gauss-Hermite; the inner integral over ``[0, lo]``
    (where S = 1 to 1e-15) plus composite Simpson in :math:`v = \sqrt x` on
    ``[lo, hi]`` (``lo``, ``hi`` the 1e-15 and 1 - 1e-16 quantiles), which
    removes the :math:`\sqrt x` behaviour of the d = 1 law at 0.
    """
    return _min_distance_values(d, np.arange(1, n_max + 1, dtype=float), p_same, shift_mean,
                                shift_var)


@functools.lru_cache(maxsize=64)
def _min_distance_nodes(d: int, p_same: float, shift_mean: float, shift_var: float):
    """Quadrature nodes of :func:`_min_distance_table_full`, independent of n (cached).

    Returns ``(wz, lo, width, log_S, wv)``: the outer weights, the ends ``lo``
    of ``[0, lo]``, ``v1 - v0`` and, per outer node, ``log S`` on the Simpson
    grid and the Simpson weights times ``2 v``. 48 x 2049 floats (0.8 MB).
    """
    z, wz = special.roots_hermitenorm(_N_LAMBDA)
    wz = wz / np.sqrt(2.0 * np.pi)
    lam = np.where(z < 0, stats.chi2.ppf(special.ndtr(z), d), stats.chi2.isf(special.ndtr(-z), d))
    mixed = p_same < 1.0
    if mixed:
        h, wh = special.roots_hermitenorm(_N_SHIFT)
        wh = wh / np.sqrt(2.0 * np.pi)
        shifts = np.maximum(shift_mean + np.sqrt(shift_var) * h, 0.0)
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


_N_CHUNK = 512   # n values per block in _min_distance_values: 512 x 2049 floats = 8 MB


def _min_distance_values(d: int, n: np.ndarray, p_same: float, shift_mean: float,
                         shift_var: float) -> np.ndarray:
    """``T(n)`` of :func:`_min_distance_table_full` at the given n only (float array).

    Cost: O(len(n) x 48 x 2049) exponentials (about 0.5 ms per n) after the
    cached nodes; memory O(512 x 2049) whatever len(n) is.
    """
    wz, lo, width, log_S, wv = _min_distance_nodes(d, p_same, shift_mean, shift_var)
    n = np.asarray(n, dtype=float)
    table = np.zeros(n.shape[0])
    for j in range(_N_LAMBDA):
        # integral over [lo, hi] of S^n dx = int 2 v S(v^2)^n dv, for a block of n at once
        integ = np.concatenate([np.exp(np.outer(n[i:i + _N_CHUNK], log_S[j])) @ wv[j]
                                for i in range(0, n.shape[0], _N_CHUNK)]) * width[j]
        table += wz[j] * (lo[j] + integ)
    return table / d


def nearest_neighbour_constant(d: int, n: int) -> float:
    r"""Finite-d constant :math:`C(d, n)` of the partial-memorization excess.

    The expected squared distance from a training point :math:`x^i` to the
    nearest of n other points of its own component, in units of
    :math:`d\sigma^2`. Given :math:`\lambda = \|x^i - \mu_k\|^2/\sigma^2 \sim
    \chi^2_d`, each such point is at squared distance
    :math:`\sigma^2\,\chi'^2_d(\lambda)` (noncentral chi-square), so

    .. math::

        C(d, n) = \frac1d\, \mathbb E_{\lambda\sim\chi^2_d}
            \int_0^\infty \mathrm{sf}_{\chi'^2_d(\lambda)}(x)^n \, dx .

    :math:`C(d, 1) = 2` exactly and C decreases slowly in n; seed 001
    (Thm. 3.2) only states :math:`C \in [1, 2]`. Computed by quadrature
    (relative accuracy about 1e-9, checked against nested adaptive quadrature
    and Monte Carlo in the tests).

    The quadrature takes seconds per new d (cached afterwards); d is limited to
    ``10**6`` and n to ``10**9`` (ValueError beyond).

    Parameters
    ----------
    d : int
        Dimension, >= 1.
    n : int
        Number of memorized points of the same component, >= 1.

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

    For :math:`x^i = \mu_k + e_i` and a point of component :math:`k'`, the
    noncentrality is :math:`\|\mu_{k'} - \mu_k - e_i\|^2/\sigma^2 = \lambda + s`
    with :math:`s = (D^2 - 2(\mu_{k'}-\mu_k)\cdot e_i)/\sigma^2`,
    :math:`D^2 = 2d(1 - \cos\theta)` for independent uniform means on the
    sphere of radius :math:`\sqrt d` (:math:`\mathrm{Var}\cos\theta = 1/d`), so
    E s = 2d/sigma2 and Var s = 4d/sigma2^2 + 8d/sigma2 (to leading order).
    """
    return 2.0 * d / sigma2, 4.0 * d / sigma2 / sigma2 + 8.0 * d / sigma2


def effective_constant(M, d: int, K: int, sigma2: float = 1.0):
    r"""Constant :math:`C_{\rm eff}(M)` of the partial-memorization excess at finite d.

    For a training point :math:`x^i` that is not memorized, each of the M
    memorized points shares its component with probability 1/K (squared
    distance :math:`\sigma^2\chi'^2_d(\lambda)`, :math:`\lambda =
    \|x^i - \mu_k\|^2/\sigma^2 \sim \chi^2_d`) or lies in another one, with
    noncentrality :math:`\|\mu_{k'} - x^i\|^2/\sigma^2 = \lambda + s`; the shift
    s has mean :math:`2d/\sigma^2` (so the point is at about
    :math:`\|\mu_k - \mu_{k'}\|^2 + 2d\sigma^2`) and variance
    :math:`4d/\sigma^4 + 8d/\sigma^2` from the spread of the inter-mean
    distance and the cross term (:func:`_other_component_shift`), and is
    integrated over as a normal variable. Averaging the nearest-neighbour law
    over the Binomial(M, 1/K) number n of same-component points gives, by the
    binomial theorem,

    .. math::

        C_{\rm eff}(M) = \sum_n \binom Mn K^{-n}(1-K^{-1})^{M-n}\,
            \frac1d\mathbb E_\lambda\!\int \mathrm{sf}_s^n\,\mathrm{sf}_o^{M-n}
          = \frac1d\,\mathbb E_{\lambda\sim\chi^2_d}\int_0^\infty
            \Big[\tfrac1K\mathrm{sf}_s(x) + (1-\tfrac1K)\mathrm{sf}_o(x)\Big]^M dx,

    with :math:`\mathrm{sf}_o = \mathbb E_s\,\mathrm{sf}_{\chi'^2_d(\lambda+s)}`.
    This covers n = 0 (all memorized points in other components) and the
    competition of other components for every n. With K = 1 it is
    :func:`nearest_neighbour_constant` ``(d, M)``.

    Accuracy: the shifts of different memorized points are treated as
    independent, but points of one other component share theirs, so the
    nearest other-component point is slightly too close. Measured against
    Monte Carlo with random means (4000 draws each): exact at M = 1; at
    d = 50, K = 12 the error is -1.6%, -2.4%, -2.3%, -0.5%, +0.1% at
    M = 3, 6, 12, 30, 100; at d = 30, K = 30 it reaches -4.1% (M = 12) and is
    -1.7% at M = 100; at d = 100, K = 3 it stays within 0.5%. Fixing s at its
    mean instead errs by as much in the other direction. At the crossover
    (M/K >> 1 for separated components) the error is below 0.5%.

    Cost: for max(M) <= 4096 one cached table per (d, K, sigma2) of O(4096 x 48 x 2049)
    exponentials (about 8 s to build, 70 MB), then O(len(M)); beyond, about 1 ms per
    distinct M (at most 65536 distinct values per call). d is limited to 10**6 (ValueError
    beyond: the quadrature takes minutes there).

    Parameters
    ----------
    M : int or array of int
        Number of memorized points, 1 <= M.
    d, K : int
        Dimension and number of components.
    sigma2 : float
        Component variance; for K > 1 it must be >= 0.1 (smaller values raise ValueError: the
        quadrature, checked finite from 0.1 to 1e300, breaks down when the other
        components are more than ~100 sigma away; at such separation
        :math:`C_{\rm eff}` is dominated by the distance to other components).

    Raises
    ------
    ValueError
        If K > 1 and sigma2 < 0.1, or M takes more than 65536 distinct values above 4096.

    Examples
    --------
    >>> round(float(effective_constant(1, 50, 1)), 6)    # one point of the same component
    2.0
    """
    d = check_positive_int("d", d)
    K = check_positive_int("K", K)
    sigma2 = check_positive_real("sigma2", sigma2)
    Ms = _check_M(M, MAX_INT)
    out = _effective_constant(Ms.astype(np.int64), d, K, sigma2)
    return float(out.ravel()[0]) if np.ndim(M) == 0 else out


def _check_quadrature_d(d: int) -> int:
    """``d`` if the finite-d quadrature handles it (d <= 1e6: seconds per d; 1e8 takes minutes)."""
    if d > _QUADRATURE_D_MAX:
        raise ValueError(f"d must be <= {_QUADRATURE_D_MAX} for the finite-d constant (its "
                         f"quadrature takes minutes beyond; give C instead), got {d}")
    return d


_QUADRATURE_D_MAX = 10**6


def _effective_constant(Ms: np.ndarray, d: int, K: int, sigma2: float) -> np.ndarray:
    """:func:`effective_constant` on checked arguments (``Ms`` an int64 array, all >= 1)."""
    _check_quadrature_d(d)
    if K > 1 and sigma2 < _SIGMA2_MIN:
        raise ValueError(f"sigma2 must be >= {_SIGMA2_MIN} for the finite-d constant C_eff "
                         f"(its quadrature does not resolve components that far apart; give C "
                         f"instead), got {sigma2!r}")
    shift_mean, shift_var = _other_component_shift(d, sigma2)
    m_max = int(Ms.max())
    if m_max <= _TABLE_MAX:
        table = _min_distance_table(d, m_max, 1.0 / K, shift_mean, shift_var)
        return table[Ms - 1]
    # large M: only the distinct values asked for, never a table up to max(M)
    uniq, inverse = np.unique(Ms, return_inverse=True)
    if uniq.size > _DISTINCT_MAX:
        raise ValueError(f"M must take at most {_DISTINCT_MAX} distinct values above "
                         f"{_TABLE_MAX} (about 1 ms each), got {uniq.size}")
    vals = _min_distance_values(d, uniq.astype(float), 1.0 / K, shift_mean, shift_var)
    return vals[inverse].reshape(Ms.shape)


_SIGMA2_MIN = 0.1        # below, the other-component shift 2d/sigma2 defeats the quadrature
_TABLE_MAX = 4096        # C_eff(M) for M <= this comes from one cached table (8 s to build)
_DISTINCT_MAX = 2**16    # distinct M above _TABLE_MAX per call (about 1 min of quadrature)


def _check_M(M, N):
    """``M`` (an int or an array of ints in [1, N]) as an int64 array of at least one entry."""
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


def partial_memorization_excess_loss(M, N: int, d: int, K: int, sigma2: float = 1.0, C=None):
    r"""High-SNR excess training loss of the partially memorizing denoiser (seed 001, Thm. 3.2).

    .. math::

        \mathbb E[L_t(\hat x_{{\rm pmem},M}) - L_t(\hat x_{\rm mem})] \simeq
            C\,(1 - M/N)\, d\sigma^2 ,

    independent of t at high SNR: the N - M non-memorized points are denoised
    to their nearest memorized neighbour. ``C=None`` uses
    :func:`effective_constant` (finite-d, averaged over the component counts);
    a number uses that constant (the paper's :math:`C \in [1, 2]`).

    Cost: with ``C=None``, the quadrature of :func:`effective_constant` (same
    computation, documented there); with C given, the closed form costs
    O(len(M)) time and memory (each M is checked in Python); about 2.6 s for
    10^6 values of M.

    Examples
    --------
    >>> partial_memorization_excess_loss(100, 200, 50, 12, C=2.0)
    50.0
    """
    N, d, K = check_NdK(N, d, K)
    sigma2 = check_positive_real("sigma2", sigma2)
    Ms = _check_M(M, N)
    C = None if C is None else check_positive_real("C", C)
    out = _partial_memorization_excess(Ms, N, d, K, sigma2, C)
    return float(out.ravel()[0]) if np.ndim(M) == 0 else np.asarray(out, dtype=float)


def _partial_memorization_excess(Ms: np.ndarray, N: int, d: int, K: int, sigma2: float,
                                 C: float | None) -> np.ndarray:
    """:func:`partial_memorization_excess_loss` on checked arguments, an array like ``Ms``."""
    c = _effective_constant(Ms, d, K, sigma2) if C is None else C
    return np.asarray(c * (1.0 - Ms / N) * d * sigma2, dtype=float)


def loss_gap(M, N: int, d: int, K: int, *, weighting="x0", timesteps=None,
             sigma2: float = 1.0, C=None):
    r"""Weighted training-loss gap :math:`L(\hat x_{{\rm pmem},M},\lambda) - L(\hat x_*,\lambda)`.

    Seed 001, eq. 14, with the loss weighted over the time grid:

    .. math::

        {\rm gap}(M) = \mathrm{mean}_l\, \lambda(t_l)\Big[C(1 - M/N)d\sigma^2
            - \frac{d\sigma^2}{\psi_{t_l}\sigma^2 + 1}\Big].

    Positive: the generalizing denoiser has the lower training loss. Decreasing
    in M; ``gap(N) < 0``.

    Cost: with ``C=None``, the quadrature of :func:`effective_constant` (same
    computation, documented there) plus O(T) for the T times; with C given,
    O(len(M) + T) time and memory (each M is checked in Python); about 2.5 s
    for 10^6 values of M.

    Examples
    --------
    >>> loss_gap(200, 200, 50, 12) < 0
    True
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


def crossover_point(N: int, d: int, K: int, *, weighting="x0", timesteps=None,
                    sigma2: float = 1.0, C=None) -> float:
    r"""Crossover point :math:`M^*(N, d, K)` of seed 001, eq. 14.

    :math:`M^*` solves :math:`{\rm gap}(M^*) = 0` (:func:`loss_gap`): below it
    the generalizing denoiser has the lower weighted training loss, above it
    the partially memorizing one. With a constant ``C``,

    .. math::

        M^* = N\Big(1 - \frac{\mathrm{mean}_l[\lambda/(\psi\sigma^2 + 1)]}
                              {C\, \mathrm{mean}_l[\lambda]}\Big),

    clipped to [0, N]. With ``C=None`` (default) the finite-d constant
    :math:`C_{\rm eff}(M)` of :func:`effective_constant` is used; :math:`M^*` is
    the zero of the piecewise-linear interpolant of gap over the integers M
    (gap is decreasing in M, so the root is unique), or 1 when gap(1) <= 0
    (only for N = 1).

    Cost: for N <= 4096 gap is evaluated at every M = 1..N from one cached
    table (O(N) quadrature, about 10 s for N = 4096 on a cold cache, 70 MB);
    above, the first M with gap(M) <= 0 is found by bisection on the integers
    (O(log N) evaluations, well under a second for N = 1e9, memory O(1) in
    N), giving the same number as evaluating every M.

    Parameters
    ----------
    N, d, K : int
        Training-set size, dimension and number of components (K <= N).
    weighting : {"x0", "eps"}, array or callable
        Loss weighting over the grid, see :func:`loss_weighting`.
    timesteps : array, optional
        VP times; default seed 001's 26-point grid.
    sigma2 : float
        Component variance; with ``C=None`` and K > 1 it must be >= 0.1 (see
        :func:`effective_constant`), otherwise any positive value.
    C : float, optional
        Constant of the partial-memorization excess; ``None`` for finite-d.

    Returns
    -------
    float in [0, N].

    Notes
    -----
    The closed forms are high-SNR limits. Near t -> 1 both overestimate the
    true excesses, and the generalizing one by more: the closed-form gap is
    pushed negative there, and :math:`M^*` lies *below* the crossover of the
    exact losses. At (200, 50, 12) with x0 weighting it is 0.77 N here against
    0.80 N simulated (``memlab.verification.gmm.simulated_crossover_point``); for
    small d the closed form drops further (0.60 N at d = 10, K = 2) while the
    simulated crossover stays at 0.78-0.81 N (``docs/gmm.md``).

    Examples
    --------
    >>> round(crossover_point(200, 50, 12), 1)          # finite-d C: 0.77 N
    153.8
    >>> round(crossover_point(200, 50, 12, C=2.0), 1)   # eq. 14 with C = 2
    166.0
    """
    N, d, K = check_NdK(N, d, K)
    sigma2 = check_positive_real("sigma2", sigma2)
    t = resolve_timesteps(timesteps)
    lam = _loss_weighting(weighting, t)
    ratio = np.mean(lam * _generalizing_excess(t, d, sigma2)) / (d * sigma2 * np.mean(lam))
    if C is not None:
        C = check_positive_real("C", C)
        return float(np.clip(N * (1.0 - ratio / C), 0.0, N))
    if N <= _TABLE_MAX:
        Ms = np.arange(1, N + 1, dtype=np.int64)
        g = _effective_constant(Ms, d, K, sigma2) * (1.0 - Ms / N) - ratio   # gap / (d sigma2 mean lam)
        # g[N-1] < 0, so a crossing exists; g[0] <= 0 (only for N = 1) returns M = 1
        return first_crossing(Ms, g, 0.0, above=False)
    return _crossover_bisection(N, d, K, sigma2, float(ratio))


def _crossover_bisection(N: int, d: int, K: int, sigma2: float, ratio: float) -> float:
    """:func:`crossover_point` with finite-d C for large N, without evaluating every M.

    g(M) = C_eff(M)(1 - M/N) - ratio is decreasing (both factors are positive
    and decreasing) and g(N) = -ratio < 0, so the first M with g(M) <= 0 is
    found by bisection on the integers in O(log N) evaluations of C_eff; the
    last bracket (at most 9 consecutive M, evaluated as one block like the
    table of the small-N path) is interpolated as there.
    """
    shift_mean, shift_var = _other_component_shift(d, sigma2)

    def gap(ms):
        ms = np.asarray(ms, dtype=np.int64)
        c = _min_distance_values(d, ms.astype(float), 1.0 / K, shift_mean, shift_var)
        return c * (1.0 - ms / N) - ratio

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
    g = gap(Ms)
    if not (g[0] > 0 >= g[-1]):        # cannot happen for a decreasing gap
        raise RuntimeError(f"crossover bisection lost its bracket [{lo}, {hi}]: {g[0]}, {g[-1]}")
    return first_crossing(Ms, g, 0.0, above=False)
