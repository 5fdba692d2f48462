r"""A trained network diffusion model on per-pixel Gaussian data, with the onset paper's per-pixel $\Delta$ (Sec. 4, Fig. 4, eqs. 23-24).

The onset paper tests its alignment claim on a U-Net DDPM (Ho et al. 2020; 12.9 million
parameters) trained on "images" whose pixels are independent Gaussians, $x_i \sim
\mathcal N(\mu, \sigma^2)$, $\mu = 0.5$, $\sigma = 0.1$, d = 256, for 20 epochs with batch
size 128 and 10 diffusion steps. Because the generated law of a network is not Gaussian,
it replaces the d-dimensional $L^2$ distances by sums over coordinates (eq. 23),

$$
E_{TG} = \sum_{i=1}^d \int (\rho_{T,i}(x) - \rho_{G,i}(x))^2\,\mathrm dx,
\qquad \rho_{T,i}(x) = \frac1n\sum_{k=1}^n \mathcal N(x \mid x_k^i, \epsilon^2),
\quad \epsilon = \frac{\sigma}{n}
$$

(eq. 24), and the same for $\rho_{O,i}$, $\rho_{G,i}$ and $E_{OG}$ "with the appropriate
scale"; $\Delta = E_{TG} - E_{OG}$ is computed from 10 generated images against training
and original sets of 10 or 100 randomly selected images, and the integrals are sums over
$|S| = 2^4$ equidistant points in (0, 1) (Fig. 4 caption).

This module is that experiment scaled down to a CPU: d = 64, a small MLP denoiser with a
sinusoidal time embedding in place of the U-Net (about 0.1 million parameters), the
paper's recipe otherwise (epsilon-prediction DDPM loss, 10 steps, 20 epochs, batch size
128, so the number of gradient steps grows with n). Every width is $\sigma/m$ for a KDE
of m points (eq. 24's rule, read as "the appropriate scale" for each set), and each
integral is computed two ways from the same samples:

* ``"exact"``: the 1-D Gaussian overlaps in closed form,
  $\int\rho_A\rho_B = \frac{1}{m_A m_B}\sum_{k,l}\mathcal N(a_k \mid b_l, \epsilon_A^2 + \epsilon_B^2)$;
* ``"grid"``: the paper's midpoint sum over 16 points $(j + \frac12)/16$ of (0, 1).

The paper's grid cannot resolve its own kernels: $\epsilon = \sigma/m$ is 0.01 for
m = 10 and 0.001 for m = 100, against a grid step of 0.0625, so the grid sum mostly
measures whether a kernel centre happens to fall near one of the 16 points (see the docs
for the measured consequence).

References
----------
The onset paper (anonymous, under review), "On the onset of memorization to
generalization transition in diffusion models", Sec. 4, eqs. 23-24 and Fig. 4;
J. Ho, A. Jain, P. Abbeel (2020), "Denoising diffusion probabilistic models".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (check_allocation, check_array, check_instances,
                                check_positive_int, check_positive_real, check_real, check_rng)
from memlab.verification._checks import check_device

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure

__all__ = ["PixelDistances", "pixel_distances", "PixelOnsetCurve", "pixel_onset_curve",
           "plot_pixel_onset"]

#: Upper bound on training-set sizes, ``n_generate``, ``n_compare`` and ``n_original``.
MAX_SIZE = 10**6
#: Upper bound on ``d`` and ``width``.
MAX_WIDTH = 10**5
_N_GRID = 16                     # the paper's |S| = 2^4 points in (0, 1)


# ----------------------------------------------------------------------------- distances


def _overlap(a, b, eps2):
    """int rho_a rho_b per coordinate: (1/(m_a m_b)) sum_{k,l} N(a_k | b_l, eps2), shape (d,)."""
    diff = a[:, None, :] - b[None, :, :]                      # (m_a, m_b, d)
    return np.exp(-diff * diff / (2.0 * eps2)).mean(axis=(0, 1)) / np.sqrt(2.0 * np.pi * eps2)


def _grid_density(a, eps2, grid):
    """rho_a at the grid points per coordinate, shape (len(grid), d)."""
    diff = grid[:, None, None] - a[None, :, :]                 # (G, m, d)
    return np.exp(-diff * diff / (2.0 * eps2)).mean(axis=1) / np.sqrt(2.0 * np.pi * eps2)


@dataclass(frozen=True)
class PixelDistances(Result):
    r"""Per-pixel distances of one generated set (onset paper, eqs. 23-24).

    Returned by
    [`pixel_distances`][memlab.verification.training.pixel_diffusion.pixel_distances].

    Attributes
    ----------
    E_TG : float
        $\sum_i\int(\rho_{T,i} - \rho_{G,i})^2$ (closed form).
    E_OG : float
        $\sum_i\int(\rho_{O,i} - \rho_{G,i})^2$ (closed form).
    E_TG_grid : float
        The same by the paper's midpoint sum over 16 points of (0, 1).
    E_OG_grid : float
        The same for $E_{OG}$.
    eps : tuple of float
        Kernel widths $(\epsilon_T, \epsilon_O, \epsilon_G) = \sigma/m$ of the three sets.
    """

    E_TG: float
    E_OG: float
    E_TG_grid: float
    E_OG_grid: float
    eps: tuple


def _check_set(name, x, d=None):
    x = check_array(name, x, ndim=2)
    if x.shape[0] < 1:
        raise ValueError(f"{name} must have at least one row, got shape {x.shape}")
    if d is not None and x.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns, got shape {x.shape}")
    return x


def pixel_distances(generated: ArrayLike, train: ArrayLike, original: ArrayLike, *,
                    sigma: float = 0.1) -> PixelDistances:
    r"""$E_{TG}$ and $E_{OG}$ of the onset paper's eqs. 23-24, exactly and on its 16-point grid.

    Per coordinate i, each set A of $m_A$ points gives the 1-D KDE
    $\rho_{A,i} = \frac1{m_A}\sum_k\mathcal N(a_k^i, \epsilon_A^2)$ with
    $\epsilon_A = \sigma/m_A$ (eq. 24), and

    $$
    E_{AG} = \sum_i\Big[\int\rho_{A,i}^2 - 2\int\rho_{A,i}\rho_{G,i} + \int\rho_{G,i}^2\Big],
    $$

    each 1-D overlap in closed form ($\int\rho_A\rho_B$ is the mean over pairs of
    $\mathcal N(a_k \mid b_l, \epsilon_A^2 + \epsilon_B^2)$). The grid values are the
    paper's: $\sum_i h\sum_j(\rho_{A,i}(s_j) - \rho_{G,i}(s_j))^2$ over the midpoints
    $s_j = (j + \frac12)/16$, h = 1/16, which is accurate only when the kernels are wider
    than the grid step (they are not for m >= 2 at $\sigma = 0.1$).

    Cost: O(d (m_T + m_O + m_G)^2) time and memory (all pairs per coordinate).

    Parameters
    ----------
    generated : array_like
        Generated images, shape ($m_G$, d).
    train : array_like
        Training images (or a random subset), shape ($m_T$, d).
    original : array_like
        Original images (a random subset), shape ($m_O$, d).
    sigma : float, default 0.1
        Pixel standard deviation $\sigma$ that sets the widths $\sigma/m$, > 0.

    Returns
    -------
    PixelDistances
        The exact and grid distances and the three widths.

    Raises
    ------
    TypeError
        If an argument is not a real array or number.
    ValueError
        If the arrays are not 2-D with the same number of columns, are empty or not
        finite, ``sigma`` <= 0, or the pair arrays would exceed the memory budget.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 4, eqs. 23-24 and Fig. 4.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g, t, o = (0.5 + 0.1 * rng.standard_normal((m, 4)) for m in (10, 10, 100))
    >>> r = pixel_distances(g, t, o)
    >>> r.eps
    (0.01, 0.001, 0.01)
    >>> bool(r.E_TG > 0 and r.E_OG > 0)
    True
    """
    generated = _check_set("generated", generated)
    d = generated.shape[1]
    train = _check_set("train", train, d)
    original = _check_set("original", original, d)
    sigma = check_positive_real("sigma", sigma)
    m_max = max(len(generated), len(train), len(original))
    check_allocation("generated, train and original", (m_max, m_max, d))
    eps2 = {k: (sigma / len(v)) ** 2 for k, v in (("T", train), ("O", original), ("G", generated))}
    sets = {"T": train, "O": original, "G": generated}
    gg = _overlap(generated, generated, 2.0 * eps2["G"])
    grid = (np.arange(_N_GRID) + 0.5) / _N_GRID
    rho_g = _grid_density(generated, eps2["G"], grid)
    out = []
    for key in ("T", "O"):
        a = sets[key]
        exact = (_overlap(a, a, 2.0 * eps2[key]) - 2.0 * _overlap(a, generated, eps2[key] + eps2["G"])
                 + gg).sum()
        out.append(float(exact))
        out.append(float(((_grid_density(a, eps2[key], grid) - rho_g) ** 2).sum() / _N_GRID))
    return PixelDistances(out[0], out[2], out[1], out[3],
                          tuple(float(np.sqrt(eps2[k])) for k in ("T", "O", "G")))


# ----------------------------------------------------------------------------- the DDPM


def _alpha_bar(steps):
    """(alpha_bar_t, beta_t), t = 1..steps: betas linear from 0.01 to 0.5 for 10 steps
    (alpha_bar_10 = 0.037), spread over ``steps`` with the same sum. The cosine schedule
    with its betas clipped at 0.999 made 10-step ancestral sampling diverge (the last
    step multiplies by 1/sqrt(1 - beta) = 32) for an undertrained network."""
    betas = np.linspace(0.01, 0.5, 10) if steps == 10 else np.linspace(0.01, 0.5, steps) * 10 / steps
    betas = np.minimum(betas, 0.5)
    return np.cumprod(1.0 - betas), betas


def _make_mlp(d, width, steps):
    import torch

    class Denoiser(torch.nn.Module):
        """eps-prediction MLP: [x_t, sinusoidal embedding of t] -> width -> width -> d."""

        def __init__(self):
            super().__init__()
            self.freqs = torch.exp(-np.log(100.0) * torch.arange(8, dtype=torch.float32) / 8)
            self.net = torch.nn.Sequential(
                torch.nn.Linear(d + 16, width), torch.nn.SiLU(),
                torch.nn.Linear(width, width), torch.nn.SiLU(), torch.nn.Linear(width, d))

        def forward(self, x, t):
            arg = (t[:, None].to(x.dtype) / steps) * self.freqs.to(x.dtype)[None, :] * 2 * np.pi
            return self.net(torch.cat([x, torch.sin(arg), torch.cos(arg)], dim=1))

    return Denoiser()


def _train_and_sample(train, n_generate, *, steps, epochs, batch_size, width, lr, mu, sigma,
                      device, gen):
    """Train the DDPM on ``train`` (n, d) in pixel units and return ``n_generate`` samples."""
    import torch

    n, d = train.shape
    init_seed = int(torch.randint(2**62, (1,), generator=gen))
    with torch.random.fork_rng(devices=[]):          # the initialisation from `gen` only
        torch.manual_seed(init_seed)
        model = _make_mlp(d, width, steps).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    abar, betas = _alpha_bar(steps)
    abar_t = torch.as_tensor(abar, dtype=torch.float32, device=device)
    x0 = torch.as_tensor((train - mu) / (2.0 * sigma), dtype=torch.float32, device=device)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen).to(device)
        for b0 in range(0, n, batch_size):
            idx = perm[b0:b0 + batch_size]
            t = torch.randint(0, steps, (len(idx),), generator=gen).to(device)
            noise = torch.randn(len(idx), d, generator=gen).to(device)
            a = abar_t[t][:, None]
            xt = a.sqrt() * x0[idx] + (1 - a).sqrt() * noise
            loss = ((model(xt, t) - noise) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        x = torch.randn(n_generate, d, generator=gen).to(device)
        for t in range(steps - 1, -1, -1):
            tt = torch.full((n_generate,), t, device=device)
            beta, a = float(betas[t]), float(abar[t])
            x = (x - beta / np.sqrt(1 - a) * model(x, tt)) / np.sqrt(1 - beta)
            if t > 0:
                var = beta * (1 - abar[t - 1]) / (1 - a)          # posterior variance
                x = x + float(np.sqrt(var)) * torch.randn(n_generate, d, generator=gen).to(device)
    return mu + 2.0 * sigma * x.cpu().numpy().astype(np.float64)


@dataclass(frozen=True)
class PixelOnsetCurve(Result):
    r"""$P(\Delta > 0)$ and the scaled per-pixel distances of a trained DDPM against n (Fig. 4).

    Returned by
    [`pixel_onset_curve`][memlab.verification.training.pixel_diffusion.pixel_onset_curve].
    Arrays of shape (k, trials) hold one value per training-set size and simulation.

    Attributes
    ----------
    n : numpy.ndarray
        Training-set sizes, shape (k,).
    E_TG : numpy.ndarray
        Exact per-pixel $E_{TG}$ per simulation, shape (k, trials).
    E_OG : numpy.ndarray
        Exact per-pixel $E_{OG}$, shape (k, trials).
    E_TG_grid : numpy.ndarray
        $E_{TG}$ on the paper's 16-point grid, shape (k, trials).
    E_OG_grid : numpy.ndarray
        $E_{OG}$ on that grid, shape (k, trials).
    p_delta : numpy.ndarray
        Fraction of simulations with $\Delta > 0$ (exact integrals), shape (k,).
    p_delta_grid : numpy.ndarray
        The same with the grid integrals.
    scaled_E_OG : numpy.ndarray
        $\hat E_{OG}$: mean exact $E_{OG}$ over simulations divided by its value at the
        smallest n (the paper's Fig. 4, left), shape (k,).
    scaled_E_TG : numpy.ndarray
        $\hat E_{TG}$, the same for $E_{TG}$.
    gen_mean_error : numpy.ndarray
        Mean over simulations of the largest absolute error of the generated pixel
        means, $\max_i|\bar g_i - \mu|$, shape (k,).
    gen_std : numpy.ndarray
        Mean over simulations of the generated pixel standard deviation (averaged over
        pixels), shape (k,); $\sigma$ for a perfect model.
    d : int
        Number of pixels.
    n_generate : int
        Generated images per simulation.
    n_compare : int
        Size of the random subsets of the training and original sets compared.
    n_original : int
        Size of the original dataset.
    trials : int
        Simulations (trained models) per n.
    epochs : int
        Training epochs.
    steps : int
        Diffusion steps.
    width : int
        Hidden width of the MLP.
    seed : object
        The ``seed`` argument of the run.
    """

    n: np.ndarray
    E_TG: np.ndarray
    E_OG: np.ndarray
    E_TG_grid: np.ndarray
    E_OG_grid: np.ndarray
    p_delta: np.ndarray
    p_delta_grid: np.ndarray
    scaled_E_OG: np.ndarray
    scaled_E_TG: np.ndarray
    gen_mean_error: np.ndarray
    gen_std: np.ndarray
    d: int
    n_generate: int
    n_compare: int
    n_original: int
    trials: int
    epochs: int
    steps: int
    width: int
    seed: object


def pixel_onset_curve(n_values: ArrayLike, *, d: int = 64, mu: float = 0.5, sigma: float = 0.1,
                      trials: int = 8, n_original: int = 10_000, n_generate: int = 10,
                      n_compare: int = 100, steps: int = 10, epochs: int = 20,
                      batch_size: int = 128, width: int = 128, lr: float = 1e-3,
                      device: str | torch.device = "cpu",
                      seed: np.random.Generator | int | None = None) -> PixelOnsetCurve:
    r"""Train DDPMs on per-pixel Gaussian data and measure the onset paper's per-pixel $\Delta$ (Fig. 4).

    For each n of ``n_values`` and each of ``trials`` simulations: draw n training
    images with pixels $\mathcal N(\mu, \sigma^2)$, train the MLP DDPM of this module
    (epsilon prediction, ``steps`` steps with betas linear from 0.01 to 0.5, Adam, ``epochs`` epochs
    of batches of ``batch_size``; data rescaled to unit scale), generate ``n_generate``
    images by ancestral sampling, and compare them with random subsets of
    ``min(n, n_compare)`` training images and ``n_compare`` original images through
    [`pixel_distances`][memlab.verification.training.pixel_diffusion.pixel_distances]
    (exact and grid). One original dataset of ``n_original`` images is drawn first. The
    paper's values are d = 256, 10 generated images, subsets of 10 or 100, 10 steps, 20
    epochs, batch size 128, $N_O = 10^5$ and a 12.9M-parameter U-Net; here the network
    is an MLP and d = 64 by default, so that a curve runs on a CPU.

    Cost: O(trials sum_n (epochs n + n_generate steps) width (d + width)) for the networks
    and O(trials k d (n_compare + n_generate)^2) for the distances; about 10 s for
    n up to 1000, 8 simulations, d = 64, width = 128 on 2 busy cores.

    Parameters
    ----------
    n_values : array_like of int
        Training-set sizes, each >= 1.
    d : int, default 64
        Number of pixels, >= 1.
    mu : float, default 0.5
        Pixel mean.
    sigma : float, default 0.1
        Pixel standard deviation, > 0.
    trials : int, default 8
        Simulations (independently trained models) per n, >= 1.
    n_original : int, default 10000
        Size of the original dataset, >= ``n_compare``.
    n_generate : int, default 10
        Generated images per simulation, >= 1.
    n_compare : int, default 100
        Size of the random subsets of the original (and, when n is larger, training)
        sets, >= 1.
    steps : int, default 10
        Diffusion steps, >= 1.
    epochs : int, default 20
        Training epochs, >= 1.
    batch_size : int, default 128
        Minibatch size, >= 1.
    width : int, default 128
        Hidden width of the MLP, >= 1.
    lr : float, default 1e-3
        Adam learning rate, > 0.
    device : str or torch.device, default "cpu"
        Torch device.
    seed : int, Generator or None
        Random seed (numpy data and torch training); reproducible for a fixed integer at
        a fixed thread count.

    Returns
    -------
    PixelOnsetCurve
        Per-simulation distances, $P(\Delta > 0)$ exact and on the grid, the scaled
        curves and summaries of the generated pixels.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If an argument is out of range (a size < 1, ``n_original`` < ``n_compare``,
        ``sigma`` or ``lr`` not positive, an unknown device, ...), or if the training
        diverges (``lr`` too large: non-finite generated images).

    References
    ----------
    The onset paper (anonymous, under review), Sec. 4, eqs. 23-24 and Fig. 4;
    J. Ho, A. Jain, P. Abbeel (2020), "Denoising diffusion probabilistic models".

    Examples
    --------
    >>> c = pixel_onset_curve([10, 40], d=8, trials=2, n_original=200, n_compare=20,
    ...                       epochs=2, width=16, seed=0)
    >>> c.E_OG.shape, float(c.scaled_E_OG[0])
    ((2, 2), 1.0)
    """
    import torch

    if isinstance(n_values, (str, bytes)) or n_values is None:
        raise TypeError(f"n_values must be an array of integers >= 1, got {n_values!r}")
    ns = check_array("n_values", n_values, ndim=1, lo=1.0)
    ns = np.array([check_positive_int("n_values", n, maximum=MAX_SIZE) for n in ns])
    d = check_positive_int("d", d, maximum=MAX_WIDTH)
    mu = check_real("mu", mu)
    sigma = check_positive_real("sigma", sigma)
    trials = check_positive_int("trials", trials, maximum=MAX_SIZE)
    n_compare = check_positive_int("n_compare", n_compare, maximum=MAX_SIZE)
    n_original = check_positive_int("n_original", n_original, maximum=MAX_SIZE)
    if n_original < n_compare:
        raise ValueError(f"n_original must be >= n_compare = {n_compare}, got {n_original}")
    n_generate = check_positive_int("n_generate", n_generate, maximum=MAX_SIZE)
    steps = check_positive_int("steps", steps, maximum=10**4)
    epochs = check_positive_int("epochs", epochs, maximum=10**6)
    batch_size = check_positive_int("batch_size", batch_size, maximum=MAX_SIZE)
    width = check_positive_int("width", width, maximum=MAX_WIDTH)
    lr = check_positive_real("lr", lr)
    device = check_device("device", device)
    check_allocation("n_values and d", (int(ns.max()), d))
    check_allocation("n_original and d", (n_original, d))
    check_allocation("width", (width, width + d + 16))
    m = max(n_compare, n_generate)
    check_allocation("n_compare, n_generate and d", (m, m, d))
    if int(ns.max()) * epochs // batch_size > 10**7:
        raise ValueError(f"epochs must keep the gradient steps below 1e7, got {epochs} epochs "
                         f"of {int(ns.max())} images in batches of {batch_size}")
    rng = check_rng(seed)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    original = mu + sigma * rng.standard_normal((n_original, d))
    shape = (ns.size, trials)
    out = {k: np.empty(shape) for k in ("E_TG", "E_OG", "E_TG_grid", "E_OG_grid", "err", "std")}
    for i, n in enumerate(ns):
        for j in range(trials):
            train = mu + sigma * rng.standard_normal((int(n), d))
            g = _train_and_sample(train, n_generate, steps=steps, epochs=epochs,
                                  batch_size=batch_size, width=width, lr=lr, mu=mu,
                                  sigma=sigma, device=device, gen=gen)
            if not np.all(np.isfinite(g)):
                raise ValueError(f"lr = {lr!r} made the training diverge (non-finite "
                                 "generated images); use a smaller lr")
            t_sub = train[rng.choice(int(n), size=min(int(n), n_compare), replace=False)]
            o_sub = original[rng.choice(n_original, size=n_compare, replace=False)]
            r = pixel_distances(g, t_sub, o_sub, sigma=sigma)
            for key, v in (("E_TG", r.E_TG), ("E_OG", r.E_OG), ("E_TG_grid", r.E_TG_grid),
                           ("E_OG_grid", r.E_OG_grid),
                           ("err", np.abs(g.mean(axis=0) - mu).max()),
                           ("std", g.std(axis=0, ddof=1).mean() if n_generate > 1 else 0.0)):
                out[key][i, j] = v
    mean_og, mean_tg = out["E_OG"].mean(axis=1), out["E_TG"].mean(axis=1)
    return PixelOnsetCurve(
        ns, out["E_TG"], out["E_OG"], out["E_TG_grid"], out["E_OG_grid"],
        (out["E_TG"] > out["E_OG"]).mean(axis=1),
        (out["E_TG_grid"] > out["E_OG_grid"]).mean(axis=1), mean_og / mean_og[0],
        mean_tg / mean_tg[0], out["err"].mean(axis=1), out["std"].mean(axis=1), d, n_generate,
        n_compare, n_original, trials, epochs, steps, width, seed)


def plot_pixel_onset(curves: list[PixelOnsetCurve], *, fig: Figure | None = None) -> Figure:
    r"""The onset paper's Fig. 4 for the trained DDPM: $\hat E_{OG}$, $\hat E_{TG}$ and $P(\Delta > 0)$ against n.

    Left panel: $\hat E_{OG}$ (blue) and $\hat E_{TG}$ (red), the mean exact per-pixel
    distances divided by their values at the smallest n (log-log). Right panel:
    $P(\Delta > 0)$ with the exact integrals (black, 2 binomial standard errors) and with
    the paper's 16-point grid (orange), with 1/2 marked. One line style per curve; the
    titles and legends give the setting.

    Parameters
    ----------
    curves : list of PixelOnsetCurve
        Results of
        [`pixel_onset_curve`][memlab.verification.training.pixel_diffusion.pixel_onset_curve].
    fig : matplotlib.figure.Figure, optional
        Figure to draw on (keyword-only); default a new one (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    TypeError
        If ``curves`` is not a sequence of ``PixelOnsetCurve`` or ``fig`` not a Figure.
    ValueError
        If ``curves`` is empty.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 4 and Fig. 4.

    Examples
    --------
    >>> c = pixel_onset_curve([10, 40], d=8, trials=2, n_original=200, n_compare=20,
    ...                       epochs=2, width=16, seed=0)
    >>> fig = plot_pixel_onset([c])
    >>> fig.axes[1].get_ylabel()
    '$P(\\Delta > 0)$'
    """
    from memlab.verification._plotting import figure_for

    curves = check_instances("curves", curves, PixelOnsetCurve)
    fig = figure_for(fig, figsize=(10.5, 4.2))
    left, right = fig.subplots(1, 2)
    styles = ["-", "--", "-.", ":"]
    for c, ls in zip(curves, styles * len(curves)):
        tag = (f"d = {c.d}, {c.epochs} epochs, width {c.width}, {c.trials} runs per n, "
               f"seed {c.seed}")
        left.plot(c.n, c.scaled_E_OG, ls, color="tab:blue", marker="o", ms=3,
                  label=rf"$\hat E_{{OG}}$: {tag}")
        left.plot(c.n, c.scaled_E_TG, ls, color="tab:red", marker="s", ms=3,
                  label=rf"$\hat E_{{TG}}$: {tag}")
        se = np.sqrt(c.p_delta * (1 - c.p_delta) / c.trials)
        right.errorbar(c.n, c.p_delta, yerr=2 * se, ls=ls, color="k", marker="o", ms=3,
                       capsize=2, label=f"exact ($\\pm$2 s.e.): {tag}")
        right.plot(c.n, c.p_delta_grid, ls, color="tab:orange", marker="x", ms=4,
                   label=f"16-point grid (the paper's): {tag}")
    right.axhline(0.5, color="0.5", lw=0.8)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("training-set size n")
        ax.legend(fontsize=6)
    left.set_yscale("log")
    left.set_ylabel(r"$\hat E$ (mean / value at the smallest n)")
    right.set_ylabel(r"$P(\Delta > 0)$")
    right.set_ylim(-0.03, 1.03)
    c = curves[0]
    left.set_title(f"Onset paper, Fig. 4 (left), per-pixel Gaussian data: {c.n_generate} "
                   f"generated vs {c.n_compare} original images", fontsize=8)
    right.set_title(f"Onset paper, Fig. 4 (right): {c.steps} diffusion steps, "
                    f"$N_O$ = {c.n_original}", fontsize=8)
    return fig
