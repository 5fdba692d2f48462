r"""The low-rank Gaussian-mixture image model of Buchanan et al. (2025), Sec. 4.2 and App. H.4.

A flattened monochrome template $x_k \in \mathbb R^p$ ($p = h w$ pixels, values in
[0, 1]) is given a colour $c \sim \mathcal N(\mu_k, s_k^2 I_c)$ in $\mathbb R^c$; the
coloured image is the Kronecker product

$$
y = c \otimes x_k = A_k c, \qquad A_k = I_c \otimes x_k \in \mathbb R^{cp \times c},
$$

whose $c$ columns are orthogonal with norm $\|x_k\|$ ($A_k^\top A_k = \|x_k\|^2 I_c$).
Channel $j$ of $y$ (entries $jp$ to $jp + p - 1$ of the flat vector) is $c_j x_k$, so
`y.reshape(c, h, w)` is the image. Hence $y \sim \mathcal N(A_k\mu_k, s_k^2 A_k A_k^\top)$,
a Gaussian of rank $c$ in dimension $cp$, and the data distribution is the equal-weight
mixture

$$
\pi_* = \frac1K \sum_{k=1}^K \mathcal N\big(A_k\mu_k,\ s_k^2 A_k A_k^\top\big),
$$

an instance of the mixture of Buchanan et al. (2025), eq. 8, with low-rank covariances.
The paper's setting: 15 x 15 templates, $c = 3$, $(\mu_k, s_k^2) = (0, 1)$; Fig. 4 has
N = K = 8, Fig. 5 N = 100, K = 4.

The paper draws its templates from FashionMNIST (resized to 15 x 15). FashionMNIST is not
available offline here, so [`make_templates`][memlab.theory.image_model.make_templates]
draws simple procedural shapes instead (discs, rings, bars, crosses, frames, blobs), with
soft edges, in [0, 1] and deterministic from a seed. Nothing below depends on the
templates being FashionMNIST images: the denoisers are exact for any non-zero templates.

The exact posterior mean $\mathbb E[y_0 \mid y_t]$ under $\pi_*$ (or any mixture of this
form, e.g. a trained model) is [`low_rank_denoiser`][memlab.theory.image_model.low_rank_denoiser]:
Lemma 2.1 of Buchanan et al. (2025) evaluated with the Woodbury identity and the matrix
determinant lemma as in their App. H.4, in O(n K c p) time for n points and never a
$cp \times cp$ matrix. The memorizing and partially memorizing denoisers of a training
set of images are [`memlab.theory.gmm.empirical_denoiser`][memlab.theory.gmm.empirical_denoiser]
(it only needs the flat training images).

Noise follows the VP process ($\alpha_t = \sqrt{1 - t^2}$, $\sigma_t = t$) of
[`memlab.theory.schedules`][memlab.theory.schedules].

References
----------
S. Buchanan, D. Pai, Y. Ma, V. De Bortoli, "On the edge of memorization in diffusion
models", Advances in Neural Information Processing Systems 38 (NeurIPS 2025),
pp. 96113-96157: Sec. 4.2 (the model), Lemma 2.1 (the mixture denoiser), App. H.1 (the
settings) and App. H.4 (the low-rank computation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from memlab._results import Result
from memlab._validation import (MAX_SAMPLES, check_allocation, check_array, check_instance,
                                check_positive_int, check_rng)

from .schedules import check_timesteps

__all__ = [
    "TEMPLATE_KINDS",
    "make_templates",
    "ImageModel",
    "ImageData",
    "image_model",
    "sample_images",
    "mixture_moments",
    "low_rank_denoiser",
]

#: The shapes [`make_templates`][memlab.theory.image_model.make_templates] draws, in the
#: order it cycles through them.
TEMPLATE_KINDS = ("disc", "ring", "bar", "cross", "frame", "blob")

#: Largest template side accepted (a 256 x 256 template has 65536 pixels).
MAX_SIZE = 256

#: Elements of the largest temporary array (batch x K x c x p) of the denoiser, per chunk.
_CHUNK_ELEMENTS = 1 << 21


# ----------------------------------------------------------------------------
# Templates
# ----------------------------------------------------------------------------


def _box_sd(px, py, half_len, half_wid):
    """Signed distance (pixels) to an axis-aligned box of half-sides (half_len, half_wid)."""
    qx, qy = np.abs(px) - half_len, np.abs(py) - half_wid
    outside = np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0))
    return outside + np.minimum(np.maximum(qx, qy), 0.0)


def _template(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One `size` x `size` template of `kind`, in [0, 1], with a one-pixel soft edge."""
    centre = (size - 1) / 2.0
    u = np.arange(size, dtype=float)
    gy, gx = np.meshgrid(u, u, indexing="ij")            # row (y), column (x)
    cx, cy = centre + rng.uniform(-0.1, 0.1, size=2) * size
    dx, dy = gx - cx, gy - cy
    theta = rng.uniform(0.0, np.pi)
    rx = np.cos(theta) * dx + np.sin(theta) * dy         # rotated coordinates
    ry = -np.sin(theta) * dx + np.cos(theta) * dy
    r = np.hypot(dx, dy)
    width = max(1.0, rng.uniform(0.08, 0.14) * size)     # stroke width, pixels
    if kind == "disc":
        sd = r - rng.uniform(0.22, 0.36) * size
    elif kind == "ring":
        sd = np.abs(r - rng.uniform(0.22, 0.34) * size) - width / 2.0
    elif kind == "bar":
        sd = _box_sd(rx, ry, rng.uniform(0.3, 0.42) * size, width / 2.0)
    elif kind == "cross":
        half = rng.uniform(0.28, 0.4) * size
        sd = np.minimum(_box_sd(rx, ry, half, width / 2.0), _box_sd(ry, rx, half, width / 2.0))
    elif kind == "frame":
        half = rng.uniform(0.22, 0.34) * size
        sd = np.abs(_box_sd(rx, ry, half, half)) - width / 2.0
    else:                                                # "blob": three Gaussian bumps
        img = np.zeros((size, size))
        for _ in range(3):
            bx, by = centre + rng.uniform(-0.22, 0.22, size=2) * size
            w2 = (rng.uniform(0.1, 0.18) * size) ** 2
            img += np.exp(-((gx - bx) ** 2 + (gy - by) ** 2) / (2.0 * w2))
        return img / img.max()
    return np.clip(0.5 - sd, 0.0, 1.0)


def make_templates(K: int, size: int = 15, *,
                   seed: np.random.Generator | int | None = 0) -> np.ndarray:
    r"""K procedural monochrome templates, `size` x `size`, values in [0, 1].

    A stand-in for the FashionMNIST templates of Buchanan et al. (2025), App. H.1, which are
    not available offline. Template k is of kind `TEMPLATE_KINDS[k % 6]` (disc, ring, bar,
    cross, frame, blob), so K <= 6 gives K different shapes; its centre, size, orientation
    and stroke width are drawn from `seed`. Edges are anti-aliased over one pixel (the
    intensity is $\mathrm{clip}(1/2 - \mathrm{sd}, 0, 1)$ for the signed distance sd to
    the shape, in pixels); blobs are sums of three Gaussian bumps scaled to a maximum of 1.
    Every template is non-zero for `size` >= 3.

    Parameters
    ----------
    K : int
        Number of templates, 1 to 1e6.
    size : int, default 15
        Side in pixels, 3 to 256 (the paper resizes FashionMNIST to 15 x 15).
    seed : numpy.random.Generator, int or None, default 0
        Randomness of the shapes' parameters; a fixed int gives the same templates
        (keyword-only).

    Returns
    -------
    numpy.ndarray, shape (K, size, size)
        The templates.

    Raises
    ------
    TypeError
        If `K` or `size` is not an integer, or `seed` is not a seed.
    ValueError
        If `K` or `size` is out of range, the array would exceed 8 GiB, or `seed` is
        negative.

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2 and App. H.1 (15 x 15 FashionMNIST templates there).

    Examples
    --------
    >>> x = make_templates(4, 15, seed=0)
    >>> x.shape, float(x.min()), float(x.max())
    ((4, 15, 15), 0.0, 1.0)
    >>> bool((make_templates(4, 15, seed=0) == x).all())     # deterministic
    True
    """
    K = check_positive_int("K", K, maximum=10**6)
    size = check_positive_int("size", size, minimum=3, maximum=MAX_SIZE)
    check_allocation("K and size", (K, size, size))
    rng = check_rng(seed)
    return np.stack([_template(TEMPLATE_KINDS[k % len(TEMPLATE_KINDS)], size, rng)
                     for k in range(K)])


# ----------------------------------------------------------------------------
# The model and its samples
# ----------------------------------------------------------------------------


def _check_templates(templates, name: str = "templates") -> np.ndarray:
    """Templates as a finite (K, p) float array with no zero template."""
    arr = check_array(name, templates, ndim=(2, 3))
    flat = arr.reshape(arr.shape[0], -1)
    norms = np.einsum("kp,kp->k", flat, flat)
    if np.any(norms == 0.0):
        raise ValueError(f"{name} must all be non-zero, got a zero template at index "
                         f"{int(np.flatnonzero(norms == 0.0)[0])}")
    if not np.all(np.isfinite(norms)):
        raise ValueError(f"{name} are too large: a squared norm overflows")
    return flat


def _check_colour_var(colour_var, K: int, name: str = "colour_var") -> np.ndarray:
    """Colour variances as a (K,) array of finite values >= 0."""
    arr = check_array(name, colour_var, ndim=(0, 1), lo=0.0)
    if arr.ndim == 1 and arr.shape[0] != K:
        raise ValueError(f"{name} must be a scalar or have one entry per template ({K}), "
                         f"got shape {arr.shape}")
    return np.broadcast_to(arr, (K,)).astype(float)


@dataclass(frozen=True, eq=False)
class ImageModel(Result):
    r"""The low-rank image mixture of Buchanan et al. (2025), Sec. 4.2.

    Made by [`image_model`][memlab.theory.image_model.image_model]; the arrays are
    read-only. Component k is $\mathcal N(\mu_k \otimes x_k,\ s_k^2 I_c \otimes x_k
    x_k^\top)$ in dimension $c p$ (rank $c$); the components have equal weights.

    Attributes
    ----------
    templates : ndarray, shape (K, h, w)
        The monochrome templates $x_k$.
    colour_means : ndarray, shape (K, c)
        Colour means $\mu_k$.
    colour_var : ndarray, shape (K,)
        Colour variances $s_k^2 \ge 0$ (isotropic in colour space).
    seed : int or None
        The seed the templates were drawn with (None when they were given).
    """

    templates: np.ndarray
    colour_means: np.ndarray
    colour_var: np.ndarray
    seed: object = None

    def __post_init__(self):
        super().__post_init__()
        for arr in (self.templates, self.colour_means, self.colour_var):
            if isinstance(arr, np.ndarray):
                arr.setflags(write=False)

    @property
    def K(self) -> int:
        """Number of components (templates)."""
        return int(self.templates.shape[0])

    @property
    def n_colours(self) -> int:
        """Colour dimension c."""
        return int(self.colour_means.shape[1])

    @property
    def image_shape(self) -> tuple:
        """(c, h, w): the shape of one image."""
        return (self.n_colours,) + tuple(int(s) for s in self.templates.shape[1:])

    @property
    def dim(self) -> int:
        """Dimension $c p$ of a flattened image."""
        return int(np.prod(self.image_shape))

    @property
    def flat_templates(self) -> np.ndarray:
        """The templates as rows, shape (K, p)."""
        return self.templates.reshape(self.K, -1)

    @property
    def means(self) -> np.ndarray:
        r"""Component means $A_k\mu_k = \mu_k \otimes x_k$, shape (K, c p)."""
        return np.einsum("kc,kp->kcp", self.colour_means, self.flat_templates).reshape(self.K, -1)


@dataclass(frozen=True, eq=False)
class ImageData(Result):
    r"""A training set of coloured images, made by
    [`sample_images`][memlab.theory.image_model.sample_images]; the arrays are read-only.

    Attributes
    ----------
    images : ndarray, shape (N, c p)
        Flattened images $y^i = c^i \otimes x_{k_i}$ (reshape a row to (c, h, w)), in
        the order used by the partial memorizer (the first M rows are memorized).
    labels : ndarray of int, shape (N,)
        Template (component) index $k_i$ of each image.
    colours : ndarray, shape (N, c)
        The colour vector $c^i$ of each image.
    model : ImageModel
        The model the images were drawn from.
    seed : int or None
        The seed of the draw.
    """

    images: np.ndarray
    labels: np.ndarray
    colours: np.ndarray
    model: ImageModel
    seed: object = None

    def __post_init__(self):
        super().__post_init__()
        for arr in (self.images, self.labels, self.colours):
            if isinstance(arr, np.ndarray):
                arr.setflags(write=False)

    @property
    def N(self) -> int:
        """Number of images."""
        return int(self.images.shape[0])


def image_model(K: int, *, size: int = 15, n_colours: int = 3,
                colour_mean: float | ArrayLike = 0.0, colour_var: float | ArrayLike = 1.0,
                templates: ArrayLike | None = None,
                seed: np.random.Generator | int | None = 0) -> ImageModel:
    r"""The image mixture of Buchanan et al. (2025), Sec. 4.2, with K templates.

    Component k: $y = c \otimes x_k$, $c \sim \mathcal N(\mu_k, s_k^2 I_c)$, so
    $y \sim \mathcal N(A_k\mu_k, s_k^2 A_k A_k^\top)$ with $A_k = I_c \otimes x_k$. The
    defaults are the paper's (App. H.1): 15 x 15 templates, c = 3 colours,
    $(\mu_k, s_k^2) = (0, 1)$. The templates are
    [`make_templates`][memlab.theory.image_model.make_templates]`(K, size, seed=seed)`
    unless given.

    Parameters
    ----------
    K : int
        Number of templates (components), 1 to 1e6.
    size : int, default 15
        Template side in pixels, 3 to 256 (ignored when `templates` is given).
    n_colours : int, default 3
        Colour dimension c, 1 to 64.
    colour_mean : float or array_like of shape (c,) or (K, c), default 0.0
        Colour means $\mu_k$: one value for every entry, one colour for every
        component, or one per component.
    colour_var : float or array_like of shape (K,), default 1.0
        Colour variances $s_k^2 \ge 0$ (0 makes component k a single image).
    templates : array_like, shape (K, h, w), optional
        Templates to use instead of the procedural ones; none may be all zeros.
    seed : numpy.random.Generator, int or None, default 0
        Seed of the procedural templates.

    Returns
    -------
    ImageModel
        The templates, colour means and variances.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a size is out of range, a shape does not match K and c, a template is zero,
        a variance is negative or a value is not finite.

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2 and App. H.1.

    Examples
    --------
    >>> m = image_model(4, seed=0)
    >>> m.K, m.image_shape, m.dim
    (4, (3, 15, 15), 675)
    >>> m.colour_means.shape, m.colour_var.tolist()
    ((4, 3), [1.0, 1.0, 1.0, 1.0])
    """
    K = check_positive_int("K", K, maximum=10**6)
    n_colours = check_positive_int("n_colours", n_colours, maximum=64)
    if templates is None:
        size = check_positive_int("size", size, minimum=3, maximum=MAX_SIZE)
        rng = check_rng(seed)
        tmpl = make_templates(K, size, seed=rng)
        seed_used = seed if not isinstance(seed, np.random.Generator) else rng
    else:
        tmpl = check_array("templates", templates, ndim=3)
        if tmpl.shape[0] != K:
            raise ValueError(f"templates must have K = {K} rows, got shape {tmpl.shape}")
        _check_templates(tmpl)
        seed_used = None
    mu = check_array("colour_mean", colour_mean, ndim=(0, 1, 2))
    if mu.ndim == 1 and mu.shape[0] != n_colours:
        raise ValueError(f"colour_mean must have n_colours = {n_colours} entries, got shape "
                         f"{mu.shape}")
    if mu.ndim == 2 and mu.shape != (K, n_colours):
        raise ValueError(f"colour_mean must have shape (K, n_colours) = ({K}, {n_colours}), "
                         f"got {mu.shape}")
    mu = np.broadcast_to(mu, (K, n_colours)).astype(float)
    var = _check_colour_var(colour_var, K)
    return ImageModel(tmpl, mu, var, seed_used)


def sample_images(model: ImageModel, N: int, *,
                  seed: np.random.Generator | int | None = None) -> ImageData:
    r"""Draw N i.i.d. coloured images from the model (Buchanan et al. 2025, Sec. 4.2).

    Each image picks its template k uniformly at random (equal weights), then a colour
    $c \sim \mathcal N(\mu_k, s_k^2 I_c)$, and is $y = c \otimes x_k$. Exact.

    Parameters
    ----------
    model : ImageModel
        The mixture ([`image_model`][memlab.theory.image_model.image_model]).
    N : int
        Number of images, 1 to 1e9.
    seed : numpy.random.Generator, int or None, default None
        Randomness; a fixed int reproduces the draw (keyword-only).

    Returns
    -------
    ImageData
        The flat images, their template labels and colours, and the model.

    Raises
    ------
    TypeError
        If `model` is not an ImageModel or an argument has the wrong type.
    ValueError
        If `N` is not a positive integer, the array would exceed 8 GiB, or `seed` is
        negative.

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2.

    Examples
    --------
    >>> m = image_model(4, seed=0)
    >>> data = sample_images(m, 100, seed=1)
    >>> data.images.shape, data.colours.shape, sorted(set(data.labels.tolist()))
    ((100, 675), (100, 3), [0, 1, 2, 3])
    >>> import numpy as np    # image 0 is its colour times its template, channel by channel
    >>> y = data.images[0].reshape(3, -1)
    >>> bool(np.allclose(y, np.outer(data.colours[0], m.flat_templates[data.labels[0]])))
    True
    """
    check_instance("model", model, ImageModel)
    N = check_positive_int("N", N, maximum=MAX_SAMPLES)
    check_allocation("N", (N, model.dim))
    rng = check_rng(seed)
    labels = rng.integers(0, model.K, size=N)
    colours = (model.colour_means[labels]
               + np.sqrt(model.colour_var[labels])[:, None]
               * rng.standard_normal((N, model.n_colours)))
    images = np.einsum("nc,np->ncp", colours, model.flat_templates[labels]).reshape(N, -1)
    return ImageData(images, labels, colours, model, seed)


def mixture_moments(model: ImageModel) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean and covariance of the image mixture $\pi_*$ (exact).

    With $m_k = \mu_k \otimes x_k$ and equal weights,

    $$
    \mathbb E[y] = \bar m = \frac1K\sum_k m_k, \qquad
    \mathrm{Cov}[y] = \frac1K\sum_k \big(s_k^2 I_c \otimes x_k x_k^\top + m_k m_k^\top\big)
    - \bar m \bar m^\top .
    $$

    Builds a dense $cp \times cp$ matrix: O(K (cp)^2) time and memory.

    Parameters
    ----------
    model : ImageModel
        The mixture.

    Returns
    -------
    tuple of numpy.ndarray
        The mean, shape (c p,), and the covariance, shape (c p, c p).

    Raises
    ------
    TypeError
        If `model` is not an ImageModel.
    ValueError
        If the covariance would exceed 8 GiB.

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2.

    Examples
    --------
    >>> m = image_model(2, size=3, n_colours=1, seed=0)
    >>> mean, cov = mixture_moments(m)
    >>> mean.shape, cov.shape, float(abs(mean).max())      # colour means 0: mean 0
    ((9,), (9, 9), 0.0)
    """
    check_instance("model", model, ImageModel)
    check_allocation("model", (model.dim, model.dim))
    means = model.means
    mean = means.mean(axis=0)
    cov = np.zeros((model.dim, model.dim))
    eye = np.eye(model.n_colours)
    for k in range(model.K):
        x = model.flat_templates[k]
        cov += model.colour_var[k] * np.kron(eye, np.outer(x, x)) + np.outer(means[k], means[k])
    cov = cov / model.K - np.outer(mean, mean)
    return mean, cov


# ----------------------------------------------------------------------------
# The exact low-rank denoiser
# ----------------------------------------------------------------------------


def _log_alpha_sigma(t: np.ndarray):
    """log(alpha_t) and log(sigma_t) of the VP process, accurate near t = 0 and t = 1."""
    return 0.5 * (np.log1p(-t) + np.log1p(t)), np.log(t)


def _low_rank_chunk(y3, X, nrm2, mu, log_s2, log_a, log_s):
    """The denoiser on one chunk: y3 (b, c, p), X (K, p), times per row (log_a, log_s)."""
    c = y3.shape[1]
    v = np.einsum("bcp,kp->bkc", y3, X)                              # A_k^T y, (b, K, c)
    # rho_k = ||(I - P_k) y||^2, the part of y outside the span of A_k, computed directly
    # (no cancellation between ||y||^2 and ||v_k||^2 / n_k, which matters as sigma_t -> 0)
    proj = (v / nrm2[None, :, None])[..., None] * X[None, :, None, :]   # (b, K, c, p)
    rho = ((y3[:, None] - proj) ** 2).sum(axis=(2, 3))                  # (b, K)
    log_s2t = 2.0 * log_s                                                # log sigma_t^2, (b,)
    a = np.exp(log_a)[:, None]                                           # alpha_t, (b, 1)
    # log(alpha^2 s^2 n), -inf where s^2 = 0; log D_k = log(sigma^2 + alpha^2 s^2 n) is finite
    log_big = 2.0 * log_a[:, None] + log_s2[None, :] + np.log(nrm2)[None, :]
    log_D = np.logaddexp(log_s2t[:, None], log_big)                      # (b, K)
    f_sig = np.exp(log_s2t[:, None] - log_D)                             # sigma_t^2 / D_k
    f_alp = np.exp(log_a[:, None] + log_s2[None, :] - log_D)             # alpha s^2 / D_k
    r = v - (a * nrm2[None, :])[..., None] * mu[None]                    # A^T(y - alpha A mu)
    q = (r * r).sum(axis=2) / nrm2[None, :]
    num = rho + q * f_sig                                 # sigma_t^2 x (quadratic form)
    diff = num - num.min(axis=1, keepdims=True)
    s2t = np.exp(log_s2t)[:, None]                        # may underflow to 0 for tiny t
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        quad = diff / (2.0 * s2t)
    quad = np.where(diff == 0.0, 0.0, quad)
    logits = -0.5 * c * log_D - quad
    w = special.softmax(logits, axis=1)                                   # (b, K)
    cbar = f_sig[..., None] * mu[None] + f_alp[..., None] * v             # (b, K, c)
    return np.einsum("bkc,kp->bcp", w[..., None] * cbar, X)


def low_rank_denoiser(t: ArrayLike, y: ArrayLike, templates: ArrayLike,
                      colour_means: ArrayLike, colour_var: float | ArrayLike = 1.0) -> np.ndarray:
    r"""Exact posterior mean $\mathbb E[y_0 \mid y_t = y]$ of the low-rank image mixture.

    For $\pi = \frac1K\sum_k \mathcal N(A_k\mu_k, s_k^2 A_k A_k^\top)$ with
    $A_k = I_c \otimes x_k$ (Buchanan et al. 2025, Sec. 4.2) and
    $y_t = \alpha_t y_0 + \sigma_t z$. Write $n_k = \|x_k\|^2$ (so $A_k^\top A_k = n_k I_c$),
    $v_k = A_k^\top y$ (the $c$ inner products of the channels of y with $x_k$),
    $D_k = \sigma_t^2 + \alpha_t^2 s_k^2 n_k$ and $P_k = A_k A_k^\top / n_k$ (the projector
    on the span of $A_k$). The Woodbury identity gives

    $$
    (\alpha_t^2 s_k^2 A_k A_k^\top + \sigma_t^2 I)^{-1}
    = \frac{1}{\sigma_t^2}\Big(I - \frac{\alpha_t^2 s_k^2}{D_k} A_k A_k^\top\Big),
    $$

    and the matrix determinant lemma
    $\log\det(\alpha_t^2 s_k^2 A_k A_k^\top + \sigma_t^2 I) = (cp - c)\log\sigma_t^2 + c\log D_k$.
    With them, Lemma 2.1 of Buchanan et al. (2025) becomes

    $$
    \hat y(t, y) = \sum_k \mathrm{softmax}(\ell)_k\; \bar c_k \otimes x_k, \qquad
    \bar c_k = \frac{\sigma_t^2 \mu_k + \alpha_t s_k^2 v_k}{D_k},
    $$

    $$
    \ell_k = -\frac c2 \log D_k - \frac{\|(I - P_k) y\|^2}{2\sigma_t^2}
    - \frac{\|v_k - \alpha_t n_k \mu_k\|^2}{2 n_k D_k},
    $$

    up to a constant common to all k; $\bar c_k$ is the posterior mean of the colour
    given component k. Cost O(n K c p) for n points, memory O(min(n, 2^21/(K c p)) K c p)
    (points are processed in chunks); no $cp \times cp$ matrix is formed.

    Relation to App. H.4 of Buchanan et al. (2025), which derives the same simplification:
    there $\sigma^2$ stands both for the colour variance (our $s_k^2$) and, with a subscript
    t, for the noise variance, and App. H.1 calls the colour dimension d while Sec. 4.2
    uses d for the template side (our $p = d^2$). Their log-determinant,
    $c\,(2d^2\log\sigma_t + \log(1 + \alpha_t^2 s_k^2\|x_k\|^2/\sigma_t^2))$, is the one
    above. In our (OCR) copy the covariance and inverse lines of H.4 are garbled, so the
    Woodbury form, the colour posterior $\bar c_k$ and the logits were derived afresh; they
    agree with the dense formula (explicit covariances) to 1e-11 relative and with Monte
    Carlo within its standard errors (tests/theory/test_image_model.py).

    Numerics: the residual $\|(I - P_k) y\|^2$ is computed from $y - P_k y$ (no
    cancellation), every ratio through logarithms ($\log D_k$ by `logaddexp`), and the
    quadratic terms are shifted by their minimum over k before the division by
    $2\sigma_t^2$. So every t in (0, 1) (also below 1e-154, where $\sigma_t^2$
    underflows) and every $s_k^2 \ge 0$ give finite values; $s_k^2 = 0$ is the point mass
    at $\mu_k \otimes x_k$ (then the denoiser is the empirical one of
    [`memlab.theory.gmm.empirical_denoiser`][memlab.theory.gmm.empirical_denoiser]
    over the images $\mu_k \otimes x_k$).

    Parameters
    ----------
    t : float or array of shape (n,)
        VP time(s) in (0, 1); one for all points or one per point.
    y : array_like, shape (n, c p) or (c p,)
        Noisy images $y_t$, flattened channel by channel (channel j is entries
        j p .. j p + p - 1).
    templates : array_like, shape (K, p) or (K, h, w)
        Templates $x_k$; none may be all zeros.
    colour_means : array_like, shape (K, c)
        Colour means $\mu_k$.
    colour_var : float or array_like of shape (K,), default 1.0
        Colour variances $s_k^2 \ge 0$.

    Returns
    -------
    numpy.ndarray
        $\hat y(t, y)$, with the shape of `y`.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If a time is outside (0, 1), `t` has neither one entry nor one per point, the
        shapes do not match (the last dimension of `y` must be c p), a template is zero,
        a variance is negative or a value is not finite.

    References
    ----------
    Buchanan et al. (2025), Lemma 2.1, Sec. 4.2 and App. H.4.

    Examples
    --------
    One template, one colour: the posterior of a 1-d Gaussian colour along $x$.

    >>> import numpy as np
    >>> x = np.array([[3.0, 4.0]])                # ||x||^2 = 25
    >>> y = 0.6 * np.array([3.0, 4.0])            # alpha_t x at t = 0.8 (alpha_t = 0.6)
    >>> low_rank_denoiser(0.8, y, x, [[0.0]], 1.0).round(6)   # 25 a^2/(t^2 + 25 a^2) x
    array([2.80083, 3.73444])
    >>> low_rank_denoiser(1e-200, np.array([1.0, 0.0, 2.0, 0.0]), np.eye(2),
    ...                   np.zeros((2, 2)))       # t -> 0: the projection on the nearest span
    array([1., 0., 2., 0.])
    """
    X = _check_templates(templates)
    K, p = X.shape
    mu = check_array("colour_means", colour_means, ndim=2)
    if mu.shape[0] != K:
        raise ValueError(f"colour_means must have one row per row of templates ({K}), got "
                         f"shape {mu.shape}")
    c = mu.shape[1]
    s2 = _check_colour_var(colour_var, K)
    arr = check_array("y", y, ndim=(1, 2))
    if arr.shape[-1] != c * p:
        raise ValueError(f"y must have last dimension c p = {c} x {p} = {c * p}, got shape "
                         f"{arr.shape}")
    y2 = np.atleast_2d(arr)
    n = y2.shape[0]
    tt = check_timesteps(t, "vp")
    if tt.ndim > 1 or (tt.ndim == 1 and tt.shape[0] not in (1, n)):
        raise ValueError(f"t must be a scalar or have one entry per point ({n}), got shape "
                         f"{tt.shape}")
    tt = np.broadcast_to(tt.reshape(-1), (n,))
    log_a, log_s = _log_alpha_sigma(tt)
    nrm2 = np.einsum("kp,kp->k", X, X)
    with np.errstate(divide="ignore"):
        log_s2 = np.log(s2)                               # -inf where s^2 = 0
    y3 = y2.reshape(n, c, p)
    out = np.empty_like(y3)
    step = max(1, _CHUNK_ELEMENTS // (K * c * p))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        out[lo:hi] = _low_rank_chunk(y3[lo:hi], X, nrm2, mu, log_s2, log_a[lo:hi],
                                     log_s[lo:hi])
    return out.reshape(arr.shape)


def _dense_denoiser(t: float, y: np.ndarray, templates: np.ndarray, colour_means: np.ndarray,
                    colour_var) -> np.ndarray:
    """Reference for tests: Lemma 2.1 with explicit (c p) x (c p) covariances and np.linalg.

    Component k: mean m_k = A_k mu_k, covariance S_k = s_k^2 A_k A_k^T with
    A_k = kron(I_c, x_k); C_k = alpha^2 S_k + sigma^2 I; weight softmax of
    -0.5 logdet C_k - 0.5 r^T C_k^{-1} r with r = y - alpha m_k; posterior mean
    m_k + alpha S_k C_k^{-1} r. O(K (c p)^3): small images only.
    """
    X = np.asarray(templates, dtype=float).reshape(len(templates), -1)
    mu = np.asarray(colour_means, dtype=float)
    K, p = X.shape
    c = mu.shape[1]
    s2 = np.broadcast_to(np.asarray(colour_var, dtype=float), (K,))
    y2 = np.atleast_2d(np.asarray(y, dtype=float))
    a, s = np.sqrt(1.0 - t * t), t
    logw = np.empty((y2.shape[0], K))
    post = np.empty((K,) + y2.shape)
    for k in range(K):
        A = np.kron(np.eye(c), X[k][:, None])                 # (c p, c)
        m = A @ mu[k]
        S = s2[k] * A @ A.T
        C = a * a * S + s * s * np.eye(c * p)
        r = y2 - a * m                                        # (n, c p)
        sol = np.linalg.solve(C, r.T).T                        # C^{-1} r
        _, logdet = np.linalg.slogdet(C)
        logw[:, k] = -0.5 * logdet - 0.5 * np.einsum("ij,ij->i", r, sol)
        post[k] = m + a * sol @ S.T
    w = special.softmax(logw, axis=1)
    return np.einsum("nk,knd->nd", w, post).reshape(np.shape(y))
