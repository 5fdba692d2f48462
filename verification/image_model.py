r"""Checks and figures of the low-rank image model of Buchanan et al. (2025), Sec. 4.2.

* [`monte_carlo_posterior_mean`][memlab.verification.image_model.monte_carlo_posterior_mean]:
  an estimate of $\mathbb E[y_0 \mid y_t]$ that uses only the generative model (prior
  draws of the colour, the Gaussian likelihood of $y_t$), to check
  [`memlab.theory.image_model.low_rank_denoiser`][memlab.theory.image_model.low_rank_denoiser].
* [`image_loss_curves`][memlab.verification.image_model.image_loss_curves]: the exact
  expected training losses (below) of the generalizing denoiser (the true mixture) and of
  every partial memorizer $\hat y_{{\rm pmem},M}$ (the empirical denoiser of the first M
  training images, M = 1..N; M = N is the memorizer), by Monte Carlo over noise draws on
  the training set, with [`image_crossover`][memlab.verification.image_model.image_crossover]
  the crossover $M^*$ where the weighted partial-memorizer loss falls below the
  generalizing one (Buchanan et al. 2025, eq. 14, here measured rather than approximated).
* Figures: [`plot_templates_and_samples`][memlab.verification.image_model.plot_templates_and_samples]
  (Fig. 4 of the paper) and
  [`plot_image_loss_curves`][memlab.verification.image_model.plot_image_loss_curves]
  (the weighted losses against M, with $M^*$).

The training loss of a denoiser $\hat y$ at time t is

$$
L_t(\hat y) = \frac1N\sum_{i=1}^N \mathbb E_z \|\hat y(t, \alpha_t y^i + \sigma_t z) - y^i\|^2 .
$$

References: Buchanan et al. (2025), "On the edge of memorization in diffusion models",
NeurIPS 2025: Sec. 4.2, Figs. 4-5, eqs. 6 and 14, App. H.4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (check_allocation, check_array, check_instance,
                                check_positive_int, check_rng)
from memlab.theory.gmm import loss_weighting
from memlab.theory.image_model import ImageData, ImageModel, low_rank_denoiser
from memlab.theory.metrics import first_crossing
from memlab.theory.schedules import alpha, check_timesteps, resolve_timesteps, sigma
from memlab.verification._checks import check_bool, check_count

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "monte_carlo_posterior_mean",
    "ImageLossCurves",
    "image_loss_curves",
    "WeightedImageLosses",
    "weighted_image_losses",
    "ImageCrossover",
    "image_crossover",
    "plot_templates_and_samples",
    "plot_image_loss_curves",
]

#: Upper bound on the noisy points held in memory (`n_noise * N * dim`, `n_draws * K * c`).
MAX_ELEMENTS = 10**8


# ----------------------------------------------------------------------------
# Monte Carlo of the posterior mean
# ----------------------------------------------------------------------------


def monte_carlo_posterior_mean(t: float, y: ArrayLike, model: ImageModel, *,
                               n_draws: int = 100_000,
                               seed: np.random.Generator | int | None = None
                               ) -> tuple[np.ndarray, np.ndarray]:
    r"""Self-normalised importance-sampling estimate of $\mathbb E[y_0 \mid y_t = y]$.

    Independent of the closed form: for each component k, `n_draws` colours
    $c_{ki} \sim \mathcal N(\mu_k, s_k^2 I_c)$ (the prior, stratified over the equally
    weighted components) are weighted by the likelihood
    $L_{ki} \propto \exp(-\|y - \alpha_t c_{ki} \otimes x_k\|^2 / 2\sigma_t^2)$, and

    $$
    \hat R = \frac{\sum_{k,i} L_{ki}\, c_{ki} \otimes x_k}{\sum_{k,i} L_{ki}} .
    $$

    The standard error is the delta-method one of a ratio estimator,
    $\mathrm{se}^2 = \sum_k \sum_i (L_{ki}(c_{ki}\otimes x_k - \hat R))^2 / (\sum L)^2$ up
    to the per-stratum centring (computed from colour moments, O(K n c) time and memory).
    Its bias is O(1/ESS); the estimate is reliable when the effective sample size is large,
    i.e. at moderate to large t (the likelihood in colour space has width
    $\sigma_t/(\alpha_t\|x_k\|)$, to compare with the prior width $s_k$).

    Parameters
    ----------
    t : float
        VP time in (0, 1).
    y : array_like, shape (c p,)
        One noisy image.
    model : ImageModel
        The mixture ([`memlab.theory.image_model.image_model`][memlab.theory.image_model.image_model]).
    n_draws : int, default 100000
        Prior draws per component.
    seed : numpy.random.Generator, int or None
        Randomness.

    Returns
    -------
    tuple of numpy.ndarray
        The estimate and its standard error, each of shape (c p,).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If `t` is outside (0, 1), `y` does not have c p entries or `n_draws` is out of range.

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2 (the model) and Lemma 2.1 (the quantity estimated).

    Examples
    --------
    >>> import numpy as np
    >>> from memlab.theory.image_model import image_model, low_rank_denoiser
    >>> m = image_model(2, size=4, seed=0)
    >>> y = np.random.default_rng(1).standard_normal(m.dim)
    >>> est, se = monte_carlo_posterior_mean(0.8, y, m, n_draws=20000, seed=2)
    >>> exact = low_rank_denoiser(0.8, y, m.templates, m.colour_means, m.colour_var)
    >>> bool(np.all(np.abs(est - exact) < 5 * se + 1e-12))
    True
    """
    tt = float(check_timesteps(t, "vp"))
    check_instance("model", model, ImageModel)
    yv = check_array("y", y, ndim=1)
    if yv.shape[0] != model.dim:
        raise ValueError(f"y must have c p = {model.dim} entries, got shape {yv.shape}")
    K, c = model.K, model.n_colours
    n = check_count("n_draws", n_draws, max(1, MAX_ELEMENTS // (K * c)))
    rng = check_rng(seed)
    a, s = float(alpha(tt)), float(sigma(tt))
    X = model.flat_templates
    yc = yv.reshape(c, -1)
    logL, cs = [], []
    for k in range(K):
        ck = model.colour_means[k] + np.sqrt(model.colour_var[k]) * rng.standard_normal((n, c))
        v = yc @ X[k]                                              # A_k^T y
        d2 = yv @ yv - 2.0 * a * ck @ v + a * a * (X[k] @ X[k]) * (ck * ck).sum(axis=1)
        logL.append(-d2 / (2.0 * s * s))
        cs.append(ck)
    top = max(float(lk.max()) for lk in logL)
    L = [np.exp(lk - top) for lk in logL]
    Z = sum(float(lk.sum()) for lk in L)
    R = sum(np.outer(L[k] @ cs[k], X[k]) for k in range(K)) / Z         # (c, p)
    var = np.zeros((c, X.shape[1]))
    for k in range(K):
        lk, ck, x = L[k], cs[k], X[k][None, :]
        # per coordinate (channel j, pixel q): f_i = l_i (c_ij x_q - R_jq), variance from moments
        e_l, e_lc = lk.mean(), (lk[:, None] * ck).mean(axis=0)[:, None]
        l2 = lk * lk
        e_l2, e_l2c = l2.mean(), (l2[:, None] * ck).mean(axis=0)[:, None]
        e_l2c2 = (l2[:, None] * ck * ck).mean(axis=0)[:, None]
        m2 = x * x * e_l2c2 - 2.0 * x * R * e_l2c + R * R * e_l2
        m1 = x * e_lc - R * e_l
        var += np.maximum(m2 - m1 * m1, 0.0) * n
    return R.ravel(), (np.sqrt(var) / Z).ravel()


# ----------------------------------------------------------------------------
# Training losses of the generalizing and partially memorizing denoisers
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageLossCurves(Result):
    r"""Monte Carlo expected training losses $L_t$ per time and M, made by
    [`image_loss_curves`][memlab.verification.image_model.image_loss_curves].

    Losses are squared errors summed over the $c p$ entries of an image, averaged over the
    N training images and `n_noise` noise draws each; the standard errors are over the
    noise draws only (the training set is fixed), from the within-image variances.

    Attributes
    ----------
    N, K : int
        Training images and templates of the model.
    image_shape : tuple of int
        (c, h, w) of an image.
    timesteps : numpy.ndarray, shape (T,)
        VP times.
    gen, gen_se : numpy.ndarray, shape (T,)
        Loss of the generalizing denoiser (the true mixture) and its standard error.
    pmem, pmem_se : numpy.ndarray, shape (T, N)
        Loss of the partial memorizer of the first M images, M = 1..N (column M - 1);
        the last column is the memorizer.
    gap_se : numpy.ndarray, shape (T, N)
        Standard error of `pmem - gen` (paired: the same noise draws).
    n_noise : int
        Noise draws per training image and time.
    seed : object
        The seed of the noise draws.
    """

    N: int
    K: int
    image_shape: tuple
    timesteps: np.ndarray
    gen: np.ndarray
    gen_se: np.ndarray
    pmem: np.ndarray
    pmem_se: np.ndarray
    gap_se: np.ndarray
    n_noise: int
    seed: object


def _prefix_losses(ell: np.ndarray, Gp: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Loss sum_{j,k<=M} w_j w_k Gp[owner, j, k] of every prefix softmax w over columns 1..M.

    ell (B, N) logits; Gp (N, N, N) the Gram matrices of y^j - y^i per training image i;
    owner (B,) the training image of each row. One pass over the columns with a running
    maximum (so that no prefix underflows), O(B N^2) time, O(B N) memory.
    """
    B, N = ell.shape
    m = np.full(B, -np.inf)
    S = np.zeros(B)
    Q = np.zeros(B)
    acc = np.zeros((B, N))                  # sum_{k < j} e_k Gp[owner, k, :]
    out = np.empty((B, N))
    for j in range(N):
        lj = ell[:, j]
        m_new = np.maximum(m, lj)
        scale = np.exp(m - m_new)           # 0 on the first column (m = -inf)
        e = np.exp(lj - m_new)
        S = S * scale + e
        acc *= scale[:, None]
        Q = Q * scale * scale + 2.0 * e * acc[:, j] + e * e * Gp[owner, j, j]
        acc += e[:, None] * Gp[owner, j, :]
        out[:, j] = Q / (S * S)
        m = m_new
    return np.maximum(out, 0.0)


def _se(values: np.ndarray, n_images: int, n_noise: int) -> np.ndarray:
    """Standard error of the mean over (image, draw) of values (n_images * n_noise, ...),
    rows ordered draw-major, from the within-image variance (the images are fixed)."""
    v = values.reshape(n_noise, n_images, *values.shape[1:])
    if n_noise < 2:
        return values.std(axis=0, ddof=1) / np.sqrt(values.shape[0]) if values.shape[0] > 1 \
            else np.zeros(values.shape[1:])
    within = v.var(axis=0, ddof=1).mean(axis=0)
    return np.sqrt(within / (n_images * n_noise))


def image_loss_curves(data: ImageData, *, timesteps: ArrayLike | None = None,
                      n_noise: int = 8, seed: np.random.Generator | int | None = None,
                      progress: bool = False) -> ImageLossCurves:
    r"""Exact expected training losses of the generalizing and every partially memorizing denoiser.

    For each time $t_l$ every training image $y^i$ gets `n_noise` draws
    $y = \alpha_t y^i + \sigma_t z$; at each the generalizing denoiser (the true
    mixture of `data.model`,
    [`memlab.theory.image_model.low_rank_denoiser`][memlab.theory.image_model.low_rank_denoiser])
    and the partial memorizers $\hat y_{{\rm pmem},M}$ of the first M images, M = 1..N
    (the posterior mean under their empirical distribution, Buchanan et al. 2025, eq. 10;
    the same as [`memlab.theory.gmm.empirical_denoiser`][memlab.theory.gmm.empirical_denoiser])
    are evaluated, and the squared errors averaged. No approximation beyond Monte Carlo.

    All M at once: with $D^i_j = y^j - y^i$ and $G^i = D^i (D^i)^\top$, the loss of the
    prefix softmax $w$ at a noisy copy of $y^i$ is $w^\top G^i w$ (exactly 0 when $w$
    sits on $y^i$); one pass over the images with a running log-sum-exp gives every
    prefix in O(N^2) per noisy point, and the logits
    $\frac{\alpha_t}{\sigma_t} z\cdot D^i_j - \frac{\alpha_t^2}{2\sigma_t^2}\|D^i_j\|^2$
    (up to a constant) are exact for $j = i$.

    Cost: O(T n N (N^2 + K c p)) time, O(N^3 + n N (N + c p)) memory; measured for
    N = 100, c = 3, K = 4, n_noise = 8, T = 26 on a shared machine: 6-9 s at 8 x 8 and
    11-17 s at 15 x 15.

    Parameters
    ----------
    data : ImageData
        The training images and their model
        ([`memlab.theory.image_model.sample_images`][memlab.theory.image_model.sample_images]).
    timesteps : array_like, optional
        VP times in (0, 1); default the 26-point grid of Buchanan et al. (2025)
        ([`memlab.theory.schedules.reference_timesteps`][memlab.theory.schedules.reference_timesteps]).
    n_noise : int, default 8
        Noise draws per training image and time (>= 2 for within-image standard errors;
        with 1 the standard errors include the spread over images).
    seed : numpy.random.Generator, int or None
        Randomness of the noise draws.
    progress : bool, default False
        Show a tqdm progress bar over times.

    Returns
    -------
    ImageLossCurves
        The losses per time (and M), with standard errors.

    Raises
    ------
    TypeError
        If `data` is not an ImageData or an argument has the wrong type.
    ValueError
        If a time is outside (0, 1), `n_noise` is out of range or the arrays would be too
        large (N^3 and n_noise N c p elements are held).

    References
    ----------
    Buchanan et al. (2025), eqs. 6, 10 and Lemma 2.1; Sec. 4.2.

    Examples
    --------
    >>> from memlab.theory.image_model import image_model, sample_images
    >>> data = sample_images(image_model(2, size=4, seed=0), 10, seed=1)
    >>> c = image_loss_curves(data, timesteps=[0.2, 0.6], n_noise=2, seed=0)
    >>> c.pmem.shape, bool(c.pmem[0, -1] < c.gen[0])     # the memorizer wins on its own data
    ((2, 10), True)
    """
    check_instance("data", data, ImageData)
    t = resolve_timesteps(timesteps)
    N = data.N
    Y = np.ascontiguousarray(data.images, dtype=float)
    dim = Y.shape[1]
    n_noise = check_count("n_noise", n_noise, max(1, MAX_ELEMENTS // (N * dim)))
    rng = check_rng(seed)
    progress = check_bool("progress", progress)
    check_allocation("data", (N, N, N))
    model = data.model
    D = Y[None, :, :] - Y[:, None, :]                          # D[i, j] = y^j - y^i
    Gp = np.einsum("ijd,ikd->ijk", D, D)                       # (N, N, N)
    del D
    owner = np.tile(np.arange(N), n_noise)                     # draw-major rows
    y0 = Y[owner]
    T = t.shape[0]
    gen = np.empty(T)
    gen_se = np.empty(T)
    pmem = np.empty((T, N))
    pmem_se = np.empty((T, N))
    gap_se = np.empty((T, N))
    iterator = range(T)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=f"image-model losses (N={N})", leave=False)
    for l in iterator:
        a, s = float(alpha(t[l])), float(sigma(t[l]))
        z = rng.standard_normal(y0.shape)
        y = a * y0 + s * z
        g_err = ((low_rank_denoiser(t[l], y, model.templates, model.colour_means,
                                    model.colour_var) - y0) ** 2).sum(axis=1)
        zY = z @ Y.T                                           # z . y^j
        zD = zY - zY[np.arange(zY.shape[0]), owner][:, None]   # z . (y^j - y^i), 0 at j = i
        diag = np.einsum("ijj->ij", Gp)[owner]                 # ||y^j - y^i||^2
        ell = (a / s) * zD - (a * a / (2.0 * s * s)) * diag
        p_err = _prefix_losses(ell, Gp, owner)                 # (B, N)
        gen[l] = g_err.mean()
        pmem[l] = p_err.mean(axis=0)
        gen_se[l] = _se(g_err, N, n_noise)
        pmem_se[l] = _se(p_err, N, n_noise)
        gap_se[l] = _se(p_err - g_err[:, None], N, n_noise)
    return ImageLossCurves(N, model.K, tuple(model.image_shape), t, gen, gen_se, pmem, pmem_se,
                           gap_se, n_noise, seed)


@dataclass(frozen=True)
class WeightedImageLosses(Result):
    r"""Time-weighted training losses against M, made by
    [`weighted_image_losses`][memlab.verification.image_model.weighted_image_losses].

    Attributes
    ----------
    M : numpy.ndarray, shape (N,)
        1..N.
    pmem, pmem_se : numpy.ndarray, shape (N,)
        Weighted loss of the partial memorizer of the first M images, standard error.
    gen, gen_se : float
        Weighted loss of the generalizing denoiser, standard error.
    mem : float
        Weighted loss of the memorizer (`pmem` at M = N).
    gap, gap_se : numpy.ndarray, shape (N,)
        `pmem - gen` (positive where the generalizing denoiser has the lower loss) and its
        paired standard error.
    weights : numpy.ndarray, shape (T,)
        The weights $\lambda(t_l)$ used.
    """

    M: np.ndarray
    pmem: np.ndarray
    pmem_se: np.ndarray
    gen: float
    gen_se: float
    mem: float
    gap: np.ndarray
    gap_se: np.ndarray
    weights: np.ndarray


def weighted_image_losses(curves: ImageLossCurves,
                          weighting: str | ArrayLike | Callable = "x0") -> WeightedImageLosses:
    r"""Weighted training losses $\frac1T\sum_l \lambda(t_l) L_{t_l}$ against M (Buchanan et al. 2025, eq. 6).

    Parameters
    ----------
    curves : ImageLossCurves
        The simulated losses ([`image_loss_curves`][memlab.verification.image_model.image_loss_curves]).
    weighting : {"x0", "eps"}, array or callable, default "x0"
        Loss weighting over the grid, see
        [`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting].

    Returns
    -------
    WeightedImageLosses
        The weighted losses and their standard errors (the times are independent draws).

    Raises
    ------
    TypeError
        If `curves` is not an ImageLossCurves or `weighting` has the wrong type.
    ValueError
        If `weighting` is invalid for the time grid.

    References
    ----------
    Buchanan et al. (2025), eq. 6.

    Examples
    --------
    >>> from memlab.theory.image_model import image_model, sample_images
    >>> data = sample_images(image_model(2, size=4, seed=0), 10, seed=1)
    >>> w = weighted_image_losses(image_loss_curves(data, timesteps=[0.2, 0.6], n_noise=2,
    ...                                             seed=0))
    >>> w.M.tolist() == list(range(1, 11)), bool(w.mem == w.pmem[-1])
    (True, True)
    """
    check_instance("curves", curves, ImageLossCurves)
    lam = loss_weighting(weighting, curves.timesteps)
    T = lam.shape[0]
    w = lam / T
    pm = w @ curves.pmem
    gen = float(w @ curves.gen)
    return WeightedImageLosses(np.arange(1, curves.N + 1), pm,
                               np.sqrt((w * w) @ curves.pmem_se ** 2), gen,
                               float(np.sqrt((w * w) @ curves.gen_se ** 2)), float(pm[-1]),
                               pm - gen, np.sqrt((w * w) @ curves.gap_se ** 2), lam)


@dataclass(frozen=True)
class ImageCrossover(Result):
    r"""The measured crossover $M^*$ of the image model, made by
    [`image_crossover`][memlab.verification.image_model.image_crossover].

    Attributes
    ----------
    M_star : float
        First M where the weighted partial-memorizer loss falls to the generalizing one
        (linear interpolation between integers); N when it never does (`crossed` False).
    M_low, M_high : float
        The same for the gap minus and plus two standard errors: a band from the Monte
        Carlo error.
    crossed : bool
        Whether the gap reaches 0 inside 1..N.
    N : int
        Training images.
    losses : WeightedImageLosses
        The weighted losses the crossover was read from.
    """

    M_star: float
    M_low: float
    M_high: float
    crossed: bool
    N: int
    losses: WeightedImageLosses


def image_crossover(curves: ImageLossCurves,
                    weighting: str | ArrayLike | Callable = "x0") -> ImageCrossover:
    r"""Crossover $M^*$ where the weighted pmem loss falls below the generalizing loss.

    The gap ${\rm gap}(M) = L(\hat y_{{\rm pmem},M}, \lambda) - L(\hat y_*, \lambda)$ of
    [`weighted_image_losses`][memlab.verification.image_model.weighted_image_losses] is
    positive at small M and equals minus the generalizing excess over the memorizer at
    M = N; $M^*$ is its first zero
    ([`memlab.theory.metrics.first_crossing`][memlab.theory.metrics.first_crossing],
    interpolated linearly between integers). The counterpart, for this model, of the
    crossover of Buchanan et al. (2025), eq. 14 (there from closed-form approximations,
    here from the simulated exact losses). If the gap never reaches 0 (too few noise
    draws), `M_star` is N and `crossed` is False.

    Parameters
    ----------
    curves : ImageLossCurves
        The simulated losses ([`image_loss_curves`][memlab.verification.image_model.image_loss_curves]).
    weighting : {"x0", "eps"}, array or callable, default "x0"
        Loss weighting ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).

    Returns
    -------
    ImageCrossover
        $M^*$, the band from the standard errors and the weighted losses.

    Raises
    ------
    TypeError
        If `curves` is not an ImageLossCurves or `weighting` has the wrong type.
    ValueError
        If `weighting` is invalid for the time grid.

    References
    ----------
    Buchanan et al. (2025), eqs. 6 and 14.

    Examples
    --------
    >>> from memlab.theory.image_model import image_model, sample_images
    >>> data = sample_images(image_model(4, size=6, seed=0), 20, seed=1)
    >>> x = image_crossover(image_loss_curves(data, n_noise=2, seed=0))
    >>> x.crossed, 1 <= x.M_star <= 20
    (True, True)
    """
    losses = weighted_image_losses(curves, weighting)
    M = losses.M.astype(float)
    N = curves.N

    def cross(g):
        m = first_crossing(M, g, 0.0, above=False)
        return (float(N), False) if np.isnan(m) else (m, True)

    m_star, crossed = cross(losses.gap)
    m_low, _ = cross(losses.gap - 2.0 * losses.gap_se)
    m_high, _ = cross(losses.gap + 2.0 * losses.gap_se)
    return ImageCrossover(m_star, m_low, m_high, crossed, N, losses)


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------


def _rgb(images: np.ndarray, shape: tuple, scale: float) -> np.ndarray:
    """Flat images (n, c p) as displayable arrays (n, h, w, 3) (c = 3) or (n, h, w) (c = 1):
    0.5 + y / (2 scale) clipped to [0, 1], so that 0 is mid-grey."""
    c, h, w = shape
    arr = np.clip(0.5 + images.reshape(-1, c, h, w) / (2.0 * scale), 0.0, 1.0)
    return arr[:, 0] if c == 1 else np.moveaxis(arr[:, :3], 1, -1)


def plot_templates_and_samples(model: ImageModel, data: ImageData | None = None, *,
                               n_rows: int = 2, seed: np.random.Generator | int | None = 0,
                               fig: Figure | None = None) -> Figure:
    r"""Templates (top row) and coloured samples below them (Buchanan et al. 2025, Fig. 4).

    Column k shows template $x_k$ in grey levels (black 0, white 1) and, below it, `n_rows`
    images $c \otimes x_k$ of that component: drawn from `model` with `seed`, or the
    images of `data` with that label (blank where there are fewer). The colour images
    show the three channels as RGB with one common scale: $0.5 + y / (2 \max|y|)$, so
    mid-grey is 0 (colours are signed when $\mu_k = 0$). With c = 1 the samples are grey
    levels on the same scale; with c > 3 the first three channels are shown.

    Parameters
    ----------
    model : ImageModel
        The mixture.
    data : ImageData, optional
        Images to show instead of fresh samples (e.g. the training set).
    n_rows : int, default 2
        Rows of samples under the templates, 1 to 20.
    seed : numpy.random.Generator, int or None, default 0
        Seed of the fresh samples (ignored with `data`).
    fig : matplotlib Figure, optional
        Where to draw (a grid of panels is added); default a new Figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    TypeError
        If `model` is not an ImageModel, `data` not an ImageData or `fig` not a Figure.
    ValueError
        If `n_rows` is out of range or `data` comes from a model of another image shape.

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2 and Fig. 4 (FashionMNIST templates there).

    Examples
    --------
    >>> from memlab.theory.image_model import image_model
    >>> fig = plot_templates_and_samples(image_model(4, seed=0), n_rows=2)
    >>> len(fig.axes)
    12
    """
    from memlab.verification._plotting import figure_for

    check_instance("model", model, ImageModel)
    if data is not None:
        check_instance("data", data, ImageData)
        if data.images.shape[1] != model.dim:
            raise ValueError(f"data must hold images of shape {model.image_shape}, got "
                             f"{data.images.shape[1]} entries")
    n_rows = check_positive_int("n_rows", n_rows, maximum=20)
    rng = check_rng(seed)
    K = model.K
    fig = figure_for(fig, figsize=(1.3 * K + 0.6, 1.35 * (n_rows + 1) + 0.6))
    shown = []
    for k in range(K):
        if data is None:
            colours = (model.colour_means[k] + np.sqrt(model.colour_var[k])
                       * rng.standard_normal((n_rows, model.n_colours)))
            imgs = np.einsum("nc,p->ncp", colours, model.flat_templates[k]).reshape(n_rows, -1)
        else:
            imgs = np.asarray(data.images)[np.asarray(data.labels) == k][:n_rows]
        shown.append(imgs)
    stack = [s for s in shown if s.size]
    scale = max(float(np.abs(np.concatenate(stack)).max()), 1e-300) if stack else 1.0
    axes = fig.subplots(n_rows + 1, K, squeeze=False)
    for k in range(K):
        ax = axes[0, k]
        ax.imshow(model.templates[k], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(f"template {k}", fontsize=8)
        rgb = _rgb(shown[k], model.image_shape, scale) if shown[k].size else []
        for r in range(n_rows):
            ax = axes[r + 1, k]
            if r < len(rgb):
                ax.imshow(rgb[r], cmap="gray" if model.n_colours == 1 else None, vmin=0.0,
                          vmax=1.0, interpolation="nearest")
        for ax in axes[:, k]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("template", fontsize=8)
    for r in range(n_rows):
        axes[r + 1, 0].set_ylabel("sample" if data is None else "training image", fontsize=8)
    c, h, w = model.image_shape
    what = (f"{n_rows} fresh samples per template (seed {seed})" if data is None
            else f"{data.N} training images, up to {n_rows} per template")
    var = np.unique(model.colour_var)
    var_txt = f"{var[0]:g}" if var.size == 1 else "per component"
    fig.suptitle(f"Low-rank image model (Buchanan et al. 2025, Fig. 4): {h}x{w} procedural "
                 f"templates, c = {c}, colour variance {var_txt};\n{what}; RGB = 0.5 + "
                 f"y/(2 max|y|), max|y| = {scale:.2f}", fontsize=8)
    return fig


def plot_image_loss_curves(curves: ImageLossCurves,
                           weighting: str | ArrayLike | Callable = "x0", *,
                           ax: Axes | None = None) -> Figure:
    r"""Weighted training losses against M, with the measured crossover $M^*$.

    The partial memorizers' weighted loss $L(\hat y_{{\rm pmem},M}, \lambda)$ (with a band
    of two standard errors), the generalizing denoiser's (horizontal line, the reference
    the memorizers are compared with) and the memorizer's (M = N), and $M^*$
    ([`image_crossover`][memlab.verification.image_model.image_crossover]) as a vertical
    line with its band. Buchanan et al. (2025), eq. 14, for the image model of Sec. 4.2.

    Parameters
    ----------
    curves : ImageLossCurves
        The simulated losses ([`image_loss_curves`][memlab.verification.image_model.image_loss_curves]).
    weighting : {"x0", "eps"}, array or callable, default "x0"
        Loss weighting ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).
    ax : matplotlib Axes, optional
        Where to draw; default a new Figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of `ax`, or the new one.

    Raises
    ------
    TypeError
        If `curves` is not an ImageLossCurves or `ax` not an Axes.
    ValueError
        If `weighting` is invalid.

    References
    ----------
    Buchanan et al. (2025), eqs. 6 and 14, Sec. 4.2.

    Examples
    --------
    >>> from memlab.theory.image_model import image_model, sample_images
    >>> data = sample_images(image_model(2, size=4, seed=0), 10, seed=1)
    >>> fig = plot_image_loss_curves(image_loss_curves(data, timesteps=[0.2, 0.6], n_noise=2,
    ...                                                seed=0))
    >>> fig.axes[0].get_xlabel()
    'number of memorized images M'
    """
    from memlab.verification._plotting import axes_for

    check_instance("curves", curves, ImageLossCurves)
    x = image_crossover(curves, weighting)
    w = x.losses
    fig, ax = axes_for(ax, figsize=(6.5, 4.2))
    M = w.M
    ax.fill_between(M, w.pmem - 2 * w.pmem_se, w.pmem + 2 * w.pmem_se, color="C1", alpha=0.3,
                    lw=0)
    ax.plot(M, w.pmem, "-", color="C1", label="partial memorizer of the first M images")
    ax.axhline(w.gen, color="k", ls="-.", lw=1, label=f"generalizing (true mixture): {w.gen:.3g}")
    ax.axhline(w.mem, color="C3", ls=":", label=f"memorizer (M = N): {w.mem:.3g}")
    if x.crossed:
        ax.axvspan(x.M_low, x.M_high, color="C0", alpha=0.12, lw=0)
        ax.axvline(x.M_star, color="C0", ls="--",
                   label=f"crossover M* = {x.M_star:.1f} = {x.M_star / x.N:.2f} N "
                         f"[{x.M_low:.1f}, {x.M_high:.1f}]")
    ax.set_xlabel("number of memorized images M")
    name = weighting if isinstance(weighting, str) else "custom"
    ax.set_ylabel(f"weighted training loss ({name} weighting)")
    if np.all(w.pmem > 0) and w.gen > 0 and w.mem > 0:
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        lo = min(float(w.pmem.min()), w.mem, w.gen)
        if np.log10(float(w.pmem.max()) / lo) < 2.5:      # few decades: plain numbers
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(
                lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))
    ax.set_xlim(0, curves.N + 1)
    seed = curves.seed if isinstance(curves.seed, (int, np.integer)) else "n/a"
    shape = "x".join(str(int(v)) for v in curves.image_shape[1:]) if curves.image_shape else "?"
    c = curves.image_shape[0] if curves.image_shape else "?"
    ax.set_title(f"Image model, training losses vs M ({name} weighting; Buchanan et al. 2025, "
                 f"eq. 14)\nN = {curves.N}, K = {curves.K}, {shape} templates, c = {c}, "
                 f"{len(curves.timesteps)} times, {curves.n_noise} noise draws per image, seed "
                 f"{seed}; bands 2 s.e.", fontsize=8)
    ax.legend(fontsize=7, loc="upper right")
    return fig
