r"""Trained low-rank image denoisers and their memorization ratio (Buchanan et al. 2025, Sec. 4.2, Fig. 5).

The model is the posterior mean of an M-component mixture of the image model of
[`memlab.theory.image_model`][memlab.theory.image_model]: trainable templates
$x_1, \dots, x_M \in \mathbb R^p$ (i.e. $A_m = I_c \otimes x_m$), trainable colour means
$\mu_m \in \mathbb R^c$ and one shared trainable colour variance $s^2$; its denoiser is
[`memlab.theory.image_model.low_rank_denoiser`][memlab.theory.image_model.low_rank_denoiser]
with these parameters (written again in torch here, with the same Woodbury and
determinant-lemma forms). Following Buchanan et al. (2025), App. H.1 it is trained from
the *partial memorization initialization*: component m sits at a training image, with that
image's template and the colour vector that generates it, and $s^2 = 10^{-6}$. The loss is
their eq. 3 with the noise-prediction weighting $\lambda(t) = \alpha_t^2/\sigma_t^2$ on
the 26-point VP grid, fresh Gaussian noise draws every epoch, full-batch Adam with a linear
warm-up over the first tenth of the epochs and a linear decay to 1/100 of the peak.

Samples come from the deterministic DDIM sampler of App. H.2 on the same grid
([`ddim_sample_images`][memlab.verification.training.image_denoiser.ddim_sample_images]); a
sample is memorized when its nearest training image is 3 times closer than the second
([`memlab.theory.metrics.memorization_ratio`][memlab.theory.metrics.memorization_ratio]).
[`image_memorization_sweep`][memlab.verification.training.image_denoiser.image_memorization_sweep]
trains one model per M and records the memorization ratio (Fig. 5 left) and the training
and held-out losses at the representative time $t \approx 0.36$, SNR 6.704 (Fig. 5 middle
and right), next to those of the generalizing, memorizing and partially memorizing
denoisers.

CPU settings (the paper: 100,000 epochs at peak learning rate 1e-3 with 100 noise draws
per image and all 26 times per step, on GPUs): 2000 epochs at the paper's peak rate 1e-3
(0.2 for $\log s^2$), one noise draw per image, 4 stratified times per epoch; see
[`train_image_denoiser`][memlab.verification.training.image_denoiser.train_image_denoiser]
and `docs/image_model.md`. A peak rate of 1e-2 (memlab's GMM default) is too large here:
with these noisy gradients Adam drifts off the memorizer, and every model of a sweep
generalized, even M = N started at the training images (measured ratios 0.015-0.03 for
M = 60..100). torch is imported by the training function only.

References
----------
Buchanan et al. (2025), "On the edge of memorization in diffusion models", Sec. 4.2,
Fig. 5 and App. H.1-H.2, H.4.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (check_allocation, check_array, check_instance,
                                check_nonnegative_int, check_positive_int, check_positive_real,
                                check_real, check_rng, check_sequence)
from memlab.theory.gmm import empirical_denoiser, loss_weighting
from memlab.theory.image_model import (ImageData, image_model, low_rank_denoiser,
                                       sample_images)
from memlab.theory.metrics import memorization_ratio
from memlab.theory.schedules import alpha, reference_timesteps, sigma, snr
from memlab.verification._checks import check_bool, check_count
from memlab.verification.training.gmm_denoiser import _rate, transition_points

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from numpy.random import Generator

__all__ = ["ImageTrainingRun", "train_image_denoiser", "ddim_sample_images",
           "ImageSweep", "image_memorization_sweep", "plot_image_sweep"]

#: Upper bound on ``epochs``, on ``n_samples`` and on the noisy images per epoch.
MAX_SAMPLES = 10**8

#: Index of the representative time of Buchanan et al. (2025), Fig. 5 in the 26-point grid:
#: t = 0.36028, SNR 6.704.
T_EVAL_INDEX = 16


@dataclass(frozen=True)
class ImageTrainingRun(Result):
    r"""One trained low-rank image denoiser, made by
    [`train_image_denoiser`][memlab.verification.training.image_denoiser.train_image_denoiser].

    Attributes
    ----------
    templates : numpy.ndarray, shape (M, p)
        The learned templates $x_m$.
    colour_means : numpy.ndarray, shape (M, c)
        The learned colour means $\mu_m$.
    colour_var : float
        The learned shared colour variance $s^2$.
    loss : numpy.ndarray, shape (epochs,)
        The weighted training loss per epoch (its estimate on that epoch's noise and times).
    M, epochs, n_noise, n_times : int
        Components, epochs, noise draws per image and time, times per epoch.
    lr : float
        Peak learning rate of the templates and colour means.
    seconds : float
        Wall time of the training.
    seed : int
        The random seed (-1 when it was not an integer).
    """

    templates: np.ndarray
    colour_means: np.ndarray
    colour_var: float
    loss: np.ndarray
    M: int
    epochs: int
    n_noise: int
    n_times: int
    lr: float
    seconds: float
    seed: int


def _check_data(data) -> ImageData:
    check_instance("data", data, ImageData)
    if data.N < 2:
        raise ValueError(f"data must hold at least 2 images, got {data.N}")
    return data


def train_image_denoiser(data: ImageData, M: int, *, epochs: int = 2000, lr: float = 1e-3,
                         lr_variance: float = 0.2, n_noise: int = 1, n_times: int | None = None,
                         weighting: str = "eps", init_variance: float = 1e-6,
                         beta2: float = 0.99, seed: Generator | int | None = 0,
                         n_threads: int | None = 1, progress: bool = False) -> ImageTrainingRun:
    r"""Train an M-component low-rank image denoiser on the images of `data`.

    Loss (Buchanan et al. 2025, eq. 3 with their noise-prediction weighting):
    $\frac1{|T_e|}\sum_{t \in T_e} \lambda(t)\,\frac1{N n}\sum_{i, z}
    \|\hat y_\theta(t, \alpha_t y^i + \sigma_t z) - y^i\|^2$, with n = `n_noise` fresh draws
    of z per image and time at every epoch and $T_e$ the 26-point grid (full batch, as the
    paper), or, with `n_times`, one time drawn afresh each epoch in each of `n_times` runs
    of consecutive grid times, weighted by the run's share of the grid (stratified: an
    unbiased estimate of the grid average, `26 / n_times` times cheaper per epoch, and
    noisier). $\hat y_\theta$ is the mixture posterior mean with $\theta$ = (templates
    $x_m$, colour means $\mu_m$, $\log s^2$), in float64, computed as in
    [`memlab.theory.image_model.low_rank_denoiser`][memlab.theory.image_model.low_rank_denoiser]
    but with $\|(I - P_m)y\|^2 = \|y\|^2 - \|A_m^\top y\|^2/\|x_m\|^2$ and the loss from the
    Gram matrix of the templates (no per-component image is formed).

    Initialization (App. H.1): M distinct training images drawn at random; component m gets
    the template and the colour of its image, and $s^2$ = `init_variance`. Adam with
    `beta2` = 0.99 (as memlab's GMM training; the loss at the initialization is orders of
    magnitude above its final value), learning rate `lr` for the templates and colour
    means and `lr_variance` for $\log s^2$, warm-up over the first tenth of the epochs,
    then linear decay to 1/100.

    Cost per epoch: O(|T_e| n N M c (p + M)) time and O(|T_e| n N (c p + M c)) memory;
    measured on one thread of a shared machine at N = 100, 15 x 15, c = 3, all 26 times,
    n = 1: 0.2 s at M = 10 and 0.6-1.3 s at M = 100; at 8 x 8 with `n_times` = 4: 0.02 s
    and 0.09 s.

    Parameters
    ----------
    data : ImageData
        The training images ([`memlab.theory.image_model.sample_images`][memlab.theory.image_model.sample_images]), N >= 2.
    M : int
        Number of components, 1 <= M <= N.
    epochs : int, default 2000
        Adam steps.
    lr : float, default 0.001
        Peak learning rate of templates and colour means, > 0 (the paper's peak rate).
    lr_variance : float, default 0.2
        Peak learning rate of $\log s^2$, > 0.
    n_noise : int, default 1
        Fresh noise draws per image and time at every epoch.
    n_times : int, optional
        Times of the grid used per epoch (stratified, see above), 1 to 26; None (default)
        uses all 26 (full batch, as the paper).
    weighting : str, default "eps"
        The loss weighting $\lambda(t)$
        ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).
    init_variance : float, default 1e-6
        Initial $s^2$, > 0.
    beta2 : float, default 0.99
        Adam's second-moment decay, in [0, 1).
    seed : Generator, int or None, default 0
        Random seed (the initial images, the noise and the times).
    n_threads : int, optional
        torch threads during the training (the previous setting is restored afterwards),
        1 to 1024; default 1: these small tensors are dominated by per-operation overhead,
        and on a shared machine two threads were 15 times slower than one. None keeps
        torch's setting.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    ImageTrainingRun
        The learned parameters, the loss per epoch, the settings and the wall time.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If `M` exceeds N, a number is out of range, or the training diverges (a
        non-finite loss or parameter: learning rates too large).

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2 and App. H.1.

    Examples
    --------
    >>> from memlab.theory.image_model import image_model, sample_images
    >>> data = sample_images(image_model(2, size=4, seed=0), 8, seed=1)
    >>> run = train_image_denoiser(data, 4, epochs=30, seed=0)
    >>> run.templates.shape, run.colour_means.shape, run.loss.shape
    ((4, 16), (4, 3), (30,))
    >>> bool(run.loss[-5:].mean() < run.loss[:5].mean()), run.colour_var > 1e-6
    (True, True)
    """
    import torch

    data = _check_data(data)
    N = data.N
    M = check_positive_int("M", M)
    if M > N:
        raise ValueError(f"M must be <= N = {N} (partial memorization initialization), got {M}")
    epochs = check_count("epochs", epochs, MAX_SAMPLES)
    lr = check_positive_real("lr", lr)
    lr_variance = check_positive_real("lr_variance", lr_variance)
    c = data.model.n_colours
    p = data.images.shape[1] // c
    n_noise = check_count("n_noise", n_noise, max(1, MAX_SAMPLES // (N * c * p)))
    ts_all = reference_timesteps()
    n_times = len(ts_all) if n_times is None else check_count("n_times", n_times, len(ts_all))
    lam_all = loss_weighting(weighting, ts_all)
    init_variance = check_positive_real("init_variance", init_variance)
    beta2 = check_real("beta2", beta2, lo=0.0, hi=1.0, hi_open=True)
    progress = check_bool("progress", progress)
    if n_threads is not None:
        n_threads = check_count("n_threads", n_threads, 1024)
    rng = check_rng(seed)
    check_allocation("n_noise, n_times and data", (n_times, n_noise * N, c, max(p, M)))
    check_allocation("epochs", (epochs,))
    started = time.perf_counter()
    noise_rng = np.random.default_rng(rng.integers(2**62))
    idx = rng.choice(N, M, replace=False)
    X = torch.tensor(data.model.flat_templates[data.labels[idx]], requires_grad=True)  # (M, p)
    mu = torch.tensor(np.asarray(data.colours)[idx], requires_grad=True)              # (M, c)
    log_s2 = torch.tensor(float(np.log(init_variance)), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([{"params": [X, mu], "lr": lr},
                            {"params": [log_s2], "lr": lr_variance}], betas=(0.9, beta2))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: _rate(e, epochs))
    y0_np = np.tile(np.asarray(data.images).reshape(N, c, p), (n_noise, 1, 1))     # (B, c, p)
    Y0 = torch.tensor(y0_np)
    y0y0_np = (y0_np * y0_np).sum((-1, -2))                                       # (B,)
    y0y0 = torch.tensor(y0y0_np)
    # stratified times: the grid is split into n_times runs of consecutive times and one
    # time is drawn in each, weighted by the run's share of the grid (unbiased for the mean
    # over the 26 times; the identity when n_times = 26)
    strata = np.array_split(np.arange(len(ts_all)), n_times)
    share = np.array([len(st) for st in strata], dtype=float) / len(ts_all)
    a_np, s_np = alpha(ts_all), sigma(ts_all)
    losses = np.empty(epochs)
    iterator = range(epochs)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=f"M={M}", leave=False)
    def objective(sel, z_np):
        """The weighted loss on the times `sel` with the noise z_np (T, B, c, p)."""
        a = torch.tensor(a_np[sel])[:, None, None]                          # (T, 1, 1)
        s = torch.tensor(s_np[sel])[:, None, None]
        # ||y||^2 of y = a y0 + s z from parameter-free pieces (no (T, B, c, p) tensor of y)
        yy = torch.tensor(a_np[sel, None] ** 2 * y0y0_np[None]
                          + 2 * (a_np * s_np)[sel, None] * (z_np * y0_np[None]).sum((-1, -2))
                          + s_np[sel, None] ** 2 * (z_np * z_np).sum((-1, -2)))
        s2 = torch.exp(log_s2)
        n = (X * X).sum(-1)                                                 # (M,)
        V0 = torch.einsum("bcp,mp->bmc", Y0, X)                             # A_m^T y0
        v = a[..., None] * V0 + s[..., None] * torch.einsum("tbcp,mp->tbmc",
                                                            torch.from_numpy(z_np), X)
        rho = yy[..., None] - (v * v).sum(-1) / n                           # ||(I - P_m) y||^2
        q = ((v - (a * n)[..., None] * mu) ** 2).sum(-1) / n
        D = s * s + a * a * s2 * n                                          # (T, 1, M)
        logits = -0.5 * c * torch.log(D) - rho / (2 * s * s) - q / (2 * D)
        w = torch.softmax(logits, dim=-1)                                   # (T, B, M)
        cbar = (s[..., None] ** 2 * mu + a[..., None] * s2 * v) / D[..., None]
        u = w[..., None] * cbar                                             # (T, B, M, c)
        xx = (torch.einsum("tbmc,mn->tbnc", u, X @ X.T) * u).sum((-1, -2))  # ||y_hat||^2
        xy = (u * V0).sum((-1, -2))                                         # y_hat . y0
        per_t = (xx - 2 * xy + y0y0).mean(-1)                               # (T,)
        return (torch.tensor(lam_all[sel] * share) * per_t).sum()

    threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        with torch.enable_grad():
            for e in iterator:
                sel = np.array([st[noise_rng.integers(len(st))] for st in strata])
                loss = objective(sel, noise_rng.standard_normal((len(sel),) + y0_np.shape))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                losses[e] = float(loss.detach())
                if not np.isfinite(losses[e]):
                    raise ValueError(f"lr = {lr!r} or lr_variance = {lr_variance!r} makes "
                                     f"the training diverge (non-finite loss at epoch {e}); "
                                     "use smaller learning rates")
    finally:
        torch.set_num_threads(threads)
    out_X = X.detach().numpy().copy()
    out_mu = mu.detach().numpy().copy()
    out_s2 = float(torch.exp(log_s2.detach()))
    if not (np.all(np.isfinite(out_X)) and np.all(np.isfinite(out_mu)) and np.isfinite(out_s2)
            and np.all((out_X * out_X).sum(-1) > 0)):
        raise ValueError(f"lr = {lr!r} or lr_variance = {lr_variance!r} makes the training "
                         "diverge (non-finite parameters or a zero template); use smaller "
                         "learning rates")
    return ImageTrainingRun(out_X, out_mu, out_s2, losses, M, epochs, n_noise, n_times, lr,
                            time.perf_counter() - started,
                            int(seed) if isinstance(seed, (int, np.integer)) else -1)


def ddim_sample_images(templates: ArrayLike, colour_means: ArrayLike,
                       colour_var: float | ArrayLike, n_samples: int, *,
                       seed: Generator | int | None = None) -> np.ndarray:
    r"""Deterministic DDIM samples of a low-rank image mixture (Buchanan et al. 2025, App. H.2).

    From $y \sim \mathcal N(0, I_{cp})$ at t = 0.999, along the 26-point reference grid
    ([`reference_timesteps`][memlab.theory.schedules.reference_timesteps]):

    $$
    y_{t'} = \frac{\sigma_{t'}}{\sigma_t} y_t
    + \Big(\alpha_{t'} - \alpha_t\frac{\sigma_{t'}}{\sigma_t}\Big)\,\hat y(t, y_t),
    $$

    with $\hat y$ the exact posterior mean of the mixture
    ([`memlab.theory.image_model.low_rank_denoiser`][memlab.theory.image_model.low_rank_denoiser]).
    The sampler of [`memlab.verification.training.gmm_denoiser.ddim_sample`][memlab.verification.training.gmm_denoiser.ddim_sample]
    for this denoiser. Needs no torch. Cost: 25 denoiser calls on `n_samples` points,
    O(25 n_samples M c p).

    Parameters
    ----------
    templates : array_like, shape (M, p) or (M, h, w)
        Templates of the mixture, none zero.
    colour_means : array_like, shape (M, c)
        Colour means.
    colour_var : float or array_like of shape (M,)
        Colour variance(s), >= 0.
    n_samples : int
        Number of samples, >= 1.
    seed : Generator, int or None
        Random seed of the starting noise.

    Returns
    -------
    numpy.ndarray, shape (n_samples, c p)
        The samples at the last grid time (t = 0.001).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the shapes do not match, a template is zero, a variance is negative or
        `n_samples` is out of range.

    References
    ----------
    Buchanan et al. (2025), App. H.2.

    Examples
    --------
    A memorizer (one component per training image, variance 0) copies its images:

    >>> from memlab.theory.image_model import image_model, sample_images
    >>> from memlab.theory.metrics import memorization_ratio
    >>> data = sample_images(image_model(2, size=4, seed=0), 6, seed=1)
    >>> xs = ddim_sample_images(data.model.flat_templates[data.labels], data.colours, 0.0,
    ...                         20, seed=0)
    >>> xs.shape, memorization_ratio(xs, data.images)
    ((20, 48), 1.0)
    """
    X = check_array("templates", templates, ndim=(2, 3))
    mu = check_array("colour_means", colour_means, ndim=2)
    dim = mu.shape[1] * X[0].size
    n = check_count("n_samples", n_samples, max(1, MAX_SAMPLES // dim))
    rng = check_rng(seed)
    low_rank_denoiser(0.5, np.zeros(dim), X, mu, colour_var)        # validates the rest
    ts = reference_timesteps()
    y = rng.standard_normal((n, dim))
    for t_old, t_new in zip(ts[:-1], ts[1:]):
        yhat = low_rank_denoiser(t_old, y, X, mu, colour_var)
        r = sigma(t_new) / sigma(t_old)
        y = r * y + (alpha(t_new) - alpha(t_old) * r) * yhat
    return y


@dataclass(frozen=True)
class ImageSweep(Result):
    r"""Trained image denoisers against M on one data set, made by
    [`image_memorization_sweep`][memlab.verification.training.image_denoiser.image_memorization_sweep].

    The losses are Monte Carlo estimates at the time `t_eval` over `n_loss_noise` noise
    draws per image, the same draws for every denoiser (paired); ``*_se`` are their standard
    errors over images and draws.

    Attributes
    ----------
    N, K, n_colours, size : int
        Training images, templates, colours and template side of the data.
    M : numpy.ndarray of int
        Components of the trained models (increasing).
    ratio : numpy.ndarray
        Memorization ratio of each model's DDIM samples.
    colour_var : numpy.ndarray
        Learned colour variance $s^2$ of each model.
    final_loss : numpy.ndarray
        Mean weighted training objective of each model over its last 20 epochs.
    train_loss, train_loss_se, test_loss, test_loss_se : numpy.ndarray
        Loss of each trained model on the training images and on `n_test` held-out
        images, at `t_eval`.
    pmem_train, pmem_test : numpy.ndarray
        Losses of the partially memorizing denoiser on the first M training images, at
        the same M.
    gen_train, gen_test, mem_train, mem_test : float
        Losses of the generalizing (true mixture) and memorizing denoisers.
    seconds : numpy.ndarray
        Training wall time of each model.
    t_eval : float
        The evaluation time (default t = 0.36028, SNR 6.704, as Fig. 5).
    epochs, n_noise, n_times, n_eval, n_test, n_loss_noise, seed : int
        Settings: training epochs, noise draws and times per epoch, DDIM samples per
        model, held-out images, noise draws per image of the loss estimates, seed.
    lr : float
        Peak learning rate of templates and colour means.
    """

    N: int
    K: int
    n_colours: int
    size: int
    M: np.ndarray
    ratio: np.ndarray
    colour_var: np.ndarray
    final_loss: np.ndarray
    train_loss: np.ndarray
    train_loss_se: np.ndarray
    test_loss: np.ndarray
    test_loss_se: np.ndarray
    pmem_train: np.ndarray
    pmem_test: np.ndarray
    gen_train: float
    gen_test: float
    mem_train: float
    mem_test: float
    seconds: np.ndarray
    t_eval: float
    epochs: int
    n_noise: int
    n_times: int
    n_eval: int
    n_test: int
    n_loss_noise: int
    lr: float
    seed: int


def _paired_losses(fns, images, t, n_noise, rng):
    """Mean and standard error of ||f(t, alpha y + sigma z) - y||^2 for each f in fns, over
    the images and n_noise draws each (the same draws for every f)."""
    n = images.shape[0]
    y0 = np.repeat(images, n_noise, axis=0)
    yt = alpha(t) * y0 + sigma(t) * rng.standard_normal(y0.shape)
    out = []
    for f in fns:
        err = ((f(t, yt) - y0) ** 2).sum(axis=1)
        per_image = err.reshape(n, n_noise).mean(axis=1)
        out.append((float(err.mean()), float(per_image.std(ddof=1) / np.sqrt(n))))
    return out


def image_memorization_sweep(N: int = 100, K: int = 4, *, size: int = 15, n_colours: int = 3,
                             M_values: ArrayLike | None = None, epochs: int = 2000,
                             lr: float = 1e-3, n_noise: int = 1, n_times: int | None = 4,
                             n_eval: int = 200, n_test: int = 100, n_loss_noise: int = 8,
                             t_eval: float | None = None, seed: int = 0,
                             n_threads: int | None = 1, progress: bool = False) -> ImageSweep:
    r"""Train one low-rank denoiser per M and measure memorization and losses (Fig. 5).

    The data: [`image_model`][memlab.theory.image_model.image_model]`(K, size=size,
    n_colours=n_colours, seed=seed)` (colour means 0, variance 1, as App. H.1) and N
    training images drawn with seed `seed + 1`; `n_test` held-out images with `seed + 2`.
    For each M (default N/10, 2N/10, ..., N as App. H.1) a model is trained
    ([`train_image_denoiser`][memlab.verification.training.image_denoiser.train_image_denoiser]),
    `n_eval` DDIM samples give its memorization ratio (Fig. 5 left), and its loss at
    `t_eval` is estimated on the training images and on the held-out ones (Fig. 5 middle
    and right), next to the generalizing denoiser (the true mixture,
    [`low_rank_denoiser`][memlab.theory.image_model.low_rank_denoiser]), the memorizing
    one and the partial memorizer of the first M training images
    ([`memlab.theory.gmm.empirical_denoiser`][memlab.theory.gmm.empirical_denoiser]).
    The transition points (memorization ratio 0.1, 0.5 = M_mem, 0.9) follow from
    [`transition_points`][memlab.verification.training.gmm_denoiser.transition_points].

    Cost: one training per M (see
    [`train_image_denoiser`][memlab.verification.training.image_denoiser.train_image_denoiser];
    15 minutes in all for the 10 default models at N = 100, 8 x 8 and the default 2000
    epochs with 4 times per epoch, on one thread of a shared CPU; docs/image_model.md)
    plus, per model, 25 denoiser calls on `n_eval` points and the loss estimates.

    Parameters
    ----------
    N : int, default 100
        Training images, >= 2.
    K : int, default 4
        Templates, 1 <= K <= N.
    size : int, default 15
        Template side, 3 to 256.
    n_colours : int, default 3
        Colour dimension c, 1 to 64.
    M_values : array_like of int, optional
        Components of the models, each in [1, N]; default N/10, 2N/10, ..., N (rounded
        down, at least 1, at most N).
    epochs : int, default 2000
        Training epochs per model.
    lr : float, default 0.001
        Peak learning rate of templates and colour means.
    n_noise : int, default 1
        Noise draws per image and time per epoch.
    n_times : int or None, default 4
        Grid times per epoch, stratified (None: all 26, the paper's full batch).
    n_eval : int, default 200
        DDIM samples per model.
    n_test : int, default 100
        Held-out images, >= 2.
    n_loss_noise : int, default 8
        Noise draws per image of the loss estimates.
    t_eval : float, optional
        Evaluation time in (0, 1); default the grid time 0.36028 (SNR 6.704) of Fig. 5.
    seed : int, default 0
        Non-negative seed of the data, the models and the evaluations.
    n_threads : int, optional
        torch threads while training (default 1; see
        [`train_image_denoiser`][memlab.verification.training.image_denoiser.train_image_denoiser]).
    progress : bool, default False
        Show progress bars.

    Returns
    -------
    ImageSweep
        Per M: ratio, learned variance, losses, training time; the reference losses.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a number is out of range.

    References
    ----------
    Buchanan et al. (2025), Sec. 4.2, Fig. 5 and App. H.1.

    Examples
    --------
    >>> sweep = image_memorization_sweep(6, 2, size=4, M_values=[2, 6], epochs=10,
    ...                                  n_eval=10, n_test=4, n_loss_noise=2)
    >>> sweep.M.tolist(), float(sweep.pmem_train[-1]) == sweep.mem_train   # M = N
    ([2, 6], True)
    """
    N = check_positive_int("N", N, minimum=2)
    K = check_positive_int("K", K)
    if K > N:
        raise ValueError(f"K must be <= N = {N}, got {K}")
    size = check_positive_int("size", size, minimum=3, maximum=256)
    n_colours = check_positive_int("n_colours", n_colours, maximum=64)
    if M_values is None:
        step = max(1, N // 10)
        grid = [min(N, step * i) for i in range(1, 11)]
    else:
        arr = check_sequence("M_values", M_values, "a sequence of integers", array_ndim=1)
        if not arr:
            raise ValueError("M_values must not be empty")
        grid = [check_positive_int(f"M_values[{i}]", m, maximum=N) for i, m in enumerate(arr)]
    grid = sorted(set(grid))
    epochs = check_count("epochs", epochs, MAX_SAMPLES)
    lr = check_positive_real("lr", lr)
    dim = n_colours * size * size
    check_allocation("N, n_colours and size", (N, dim))
    n_noise = check_count("n_noise", n_noise, max(1, MAX_SAMPLES // (N * dim)))
    if n_times is not None:
        n_times = check_count("n_times", n_times, len(reference_timesteps()))
    n_eval = check_count("n_eval", n_eval, max(1, MAX_SAMPLES // dim))
    n_test = check_positive_int("n_test", n_test, minimum=2, maximum=max(2, MAX_SAMPLES // dim))
    n_loss_noise = check_count("n_loss_noise", n_loss_noise,
                               max(1, MAX_SAMPLES // (max(N, n_test) * dim)))
    t_eval = (float(reference_timesteps()[T_EVAL_INDEX]) if t_eval is None
              else check_real("t_eval", t_eval, lo=0.0, hi=1.0, lo_open=True, hi_open=True))
    seed = check_nonnegative_int("seed", seed)
    if n_threads is not None:
        n_threads = check_count("n_threads", n_threads, 1024)
    progress = check_bool("progress", progress)
    model = image_model(K, size=size, n_colours=n_colours, seed=seed)
    data = sample_images(model, N, seed=seed + 1)
    test = sample_images(model, n_test, seed=seed + 2)
    train_x, test_x = np.asarray(data.images), np.asarray(test.images)

    def true_model(t, y):
        return low_rank_denoiser(t, y, model.templates, model.colour_means, model.colour_var)

    (gen_tr, _), (mem_tr, _) = _paired_losses(
        [true_model, lambda t, y: empirical_denoiser(t, y, train_x)], train_x, t_eval,
        n_loss_noise, np.random.default_rng([seed, 1]))
    (gen_te, _), (mem_te, _) = _paired_losses(
        [true_model, lambda t, y: empirical_denoiser(t, y, train_x)], test_x, t_eval,
        n_loss_noise, np.random.default_rng([seed, 2]))
    rows = []
    iterator = grid
    if progress:
        from tqdm import tqdm
        iterator = tqdm(grid, desc=f"image model N={N}, K={K}")
    for M in iterator:
        run = train_image_denoiser(data, M, epochs=epochs, lr=lr, n_noise=n_noise,
                                   n_times=n_times, seed=seed * 100003 + M,
                                   n_threads=n_threads)
        xs = ddim_sample_images(run.templates, run.colour_means, run.colour_var, n_eval,
                                seed=seed * 7 + M)

        def trained(t, y, run=run):
            return low_rank_denoiser(t, y, run.templates, run.colour_means, run.colour_var)

        def pmem(t, y, M=M):
            return empirical_denoiser(t, y, train_x, M)

        # the same noise draws as the references above (same generator seeds)
        (tr, tr_se), (pm_tr, _) = _paired_losses([trained, pmem], train_x, t_eval,
                                                 n_loss_noise, np.random.default_rng([seed, 1]))
        (te, te_se), (pm_te, _) = _paired_losses([trained, pmem], test_x, t_eval,
                                                 n_loss_noise, np.random.default_rng([seed, 2]))
        rows.append((M, memorization_ratio(xs, train_x), run.colour_var,
                     float(run.loss[-20:].mean()), tr, tr_se, te, te_se, pm_tr, pm_te,
                     run.seconds))
    cols = list(zip(*rows))
    return ImageSweep(N, K, n_colours, size, np.array(cols[0]), *(np.array(c, dtype=float)
                                                                   for c in cols[1:10]),
                      gen_tr, gen_te, mem_tr, mem_te, np.array(cols[10], dtype=float), t_eval,
                      epochs, n_noise, len(reference_timesteps()) if n_times is None else n_times,
                      n_eval, n_test, n_loss_noise, lr, seed)


def plot_image_sweep(sweep: ImageSweep, crossover: float | None = None, *,
                     fig: Figure | None = None) -> Figure:
    r"""The three panels of Buchanan et al. (2025), Fig. 5 for a sweep of trained models.

    Left: memorization ratio against M, with the transition (ratio 0.1 to 0.9, shaded),
    M_mem (ratio 1/2) and, if given, the crossover $M^*$ of the x0-weighted training
    losses ([`memlab.verification.image_model.image_crossover`][memlab.verification.image_model.image_crossover]).
    Middle: the training loss of the trained models at `t_eval`, with the partially
    memorizing (first M images), memorizing and generalizing denoisers. Right: the same
    on the held-out images. Error bars: 2 standard errors; the loss axes are logarithmic
    when all losses are positive.

    Parameters
    ----------
    sweep : ImageSweep
        The sweep ([`image_memorization_sweep`][memlab.verification.training.image_denoiser.image_memorization_sweep]).
    crossover : float, optional
        $M^*$ to mark on the left panel; None draws none.
    fig : matplotlib Figure, optional
        Where to draw (three panels are added); default a new Figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    TypeError
        If `sweep` is not an ImageSweep, `crossover` not a number or `fig` not a Figure.
    ValueError
        If `crossover` is not finite.

    References
    ----------
    Buchanan et al. (2025), Fig. 5.

    Examples
    --------
    >>> import numpy as np
    >>> M = np.array([10, 50, 100])
    >>> s = ImageSweep(100, 4, 3, 15, M, np.array([0.0, 0.4, 1.0]), np.ones(3), np.ones(3),
    ...                np.ones(3), np.zeros(3), np.ones(3), np.zeros(3), np.ones(3), np.ones(3),
    ...                1.0, 1.0, 0.5, 2.0, np.ones(3), 0.36, 100, 1, 26, 200, 100, 8, 0.01, 0)
    >>> len(plot_image_sweep(s, 60.0).axes)
    3
    """
    from matplotlib.ticker import FuncFormatter

    from memlab.verification._plotting import figure_for

    check_instance("sweep", sweep, ImageSweep)
    if crossover is not None:
        crossover = check_real("crossover", crossover)
    fig = figure_for(fig, figsize=(13.0, 4.0))
    axes = fig.subplots(1, 3)
    M = np.asarray(sweep.M, dtype=float)
    ax = axes[0]
    ax.plot(M, sweep.ratio, "o-", color="C0", label="trained models")
    start, middle, end = transition_points(M, np.clip(sweep.ratio, 0.0, 1.0)) \
        if M.size >= 2 else (np.nan, np.nan, np.nan)
    if np.isfinite(start) and np.isfinite(end):
        ax.axvspan(start, end, color="0.85", label="transition (ratio 0.1 to 0.9)")
    if np.isfinite(middle):
        ax.axvline(middle, color="C0", ls=":", label=f"M_mem = {middle:.1f} (ratio 1/2)")
    if crossover is not None:
        ax.axvline(crossover, color="C3", ls="--", label=f"crossover M* = {crossover:.1f} (x0)")
    ax.axhline(0.5, color="gray", lw=0.6)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("number of components M")
    ax.set_ylabel("memorization ratio (fraction of copies)")
    ax.set_title(f"Memorization ratio ({sweep.n_eval} DDIM samples per model)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    psi = float(snr(sweep.t_eval))
    for ax, which in ((axes[1], "train"), (axes[2], "test")):
        loss = getattr(sweep, f"{which}_loss")
        se = getattr(sweep, f"{which}_loss_se")
        ax.errorbar(M, loss, yerr=2 * se, fmt="o-", color="C0", ms=4, capsize=2,
                    label="trained model")
        ax.plot(M, getattr(sweep, f"pmem_{which}"), "s--", color="C1", ms=3,
                label="partial memorizer (first M)")
        ax.axhline(getattr(sweep, f"mem_{which}"), color="C3", ls=":", label="memorizer")
        ax.axhline(getattr(sweep, f"gen_{which}"), color="k", ls="-.", lw=1,
                   label="generalizing (true mixture)")
        values = np.concatenate([loss, getattr(sweep, f"pmem_{which}"),
                                 [getattr(sweep, f"mem_{which}"), getattr(sweep, f"gen_{which}")]])
        if np.all(values > 0):
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel("number of components M")
        ax.set_ylabel(f"{'training' if which == 'train' else 'held-out'} loss at t = "
                      f"{sweep.t_eval:.3f}")
        n_img = sweep.N if which == "train" else sweep.n_test
        ax.set_title(f"{'Training' if which == 'train' else 'Test'} loss, SNR {psi:.3f} "
                     f"({n_img} images x {sweep.n_loss_noise} draws)", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"Trained low-rank image denoisers (Buchanan et al. 2025, Fig. 5): N = "
                 f"{sweep.N}, K = {sweep.K}, {sweep.size}x{sweep.size}, c = {sweep.n_colours}, "
                 f"{sweep.epochs} epochs, peak lr {sweep.lr:g}, {sweep.n_times} times/epoch, "
                 f"seed {sweep.seed}",
                 fontsize=10)
    return fig
