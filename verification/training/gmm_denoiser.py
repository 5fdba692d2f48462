r"""Trained M-component GMM denoisers and the memorization transition M_mem (Buchanan et al. 2025, sec. 4, App. H).

The denoiser is the posterior mean of an isotropic mixture with M trainable
means $\mu_1..\mu_M$ and one shared trainable variance $s^2$
(Buchanan et al. 2025, eq. 11; [`memlab.theory.gmm.gmm_denoiser`][memlab.theory.gmm.gmm_denoiser] with ``means``, ``sigma2``).
Following Buchanan et al. (2025), App. H.1 it is trained from the *partial memorization
initialisation* (means at M distinct training points, $s^2 = 10^{-6}$)
with full-batch Adam, a linear warm-up over the first tenth of the epochs and
a linear decay (to 1/100 of the peak), on the noise-prediction loss
$\lambda(t) = \alpha_t^2/\sigma_t^2$ averaged over the 26-point VP grid of
Buchanan et al. (2025), with fresh Gaussian noise draws each epoch.

Samples come from the deterministic DDIM sampler of App. H.2 on the same
grid, $x_{t'} = (\sigma_{t'}/\sigma_t) x_t + (\alpha_{t'} - \alpha_t
\sigma_{t'}/\sigma_t)\,\hat x(t, x_t)$, from $x \sim N(0, I)$ at
t = 0.999. A sample is memorized when its nearest training point is 3 times
closer than the second ([`memlab.theory.metrics.copy_mask`][memlab.theory.metrics.copy_mask]); the memorization
ratio is the fraction of memorized samples. Sweeping M locates the transition:
it starts at ratio >= 0.1, its middle M_mem at >= 0.5 and its end at >= 0.9.

The CPU defaults (4000 epochs, peak learning rates 0.01 for the means and 0.2
for the log-variance, Adam beta2 = 0.99, 4 noise draws) replace the paper's
50,000-100,000 epochs at 1e-3 with 100 draws; docs/training.md shows that
longer training does not change the outcome.

[`calibrate_weighting`][memlab.verification.training.gmm_denoiser.calibrate_weighting] fits the loss weighting whose crossover reproduces
the measured M_mem (Buchanan et al. 2025, App. H.3), and [`save_summary`][memlab.verification.training.gmm_denoiser.save_summary] writes a
sweep's ``gmm_summary.json`` and figure. torch is imported only by the
training functions themselves.

References
----------
Buchanan et al. (2025), "On the edge of memorization in diffusion models", sec. 4 and
App. H.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (
    check_allocation,
    check_array,
    check_instance,
    check_instances,
    check_NdK,
    check_nonnegative_int,
    check_path,
    check_positive_int,
    check_positive_real,
    check_real,
    check_rng,
    check_sequence,
)
from memlab.theory.gmm import (
    generalizing_excess_loss,
    gmm_denoiser,
    loss_weighting,
    partial_memorization_excess_loss,
    sample_gmm,
)
from memlab.theory.metrics import first_crossing, memorization_ratio
from memlab.theory.schedules import (
    alpha,
    reference_timesteps,
    resolve_timesteps,
    sigma,
    snr,
)
from memlab.verification._checks import check_bool, check_count
from memlab.verification.training._common import (
    atomic_write,
    dataclass_to_json,
    manifest,
    read_json,
    settings_key,
)

if TYPE_CHECKING:
    from os import PathLike

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.random import Generator

#: Upper bound on ``n_samples`` of [`ddim_sample`][memlab.verification.training.gmm_denoiser.ddim_sample], on ``n_noise * N * d`` per epoch and
#: on ``epochs``.
MAX_SAMPLES = 10**8

__all__ = ["GMMTrainingRun", "train_gmm_denoiser", "train_gmm_denoisers", "ddim_sample", "SweepResult",
           "memorization_sweep", "transition_points", "TransitionOutsideGridWarning",
           "linear_law", "predicted_crossovers",
           "CalibratedWeighting", "calibrate_weighting", "plot_memorization_ratio", "save_summary"]


@dataclass(frozen=True)
class GMMTrainingRun(Result):
    """One trained GMM denoiser, made by
    [`train_gmm_denoiser`][memlab.verification.training.gmm_denoiser.train_gmm_denoiser].

    Attributes
    ----------
    means : numpy.ndarray, shape (M, d)
        The learned means.
    sigma2 : float
        The learned shared variance $s^2$.
    loss : numpy.ndarray, shape (epochs,)
        The weighted training loss per epoch (averaged over the time grid).
    M, epochs, lr, n_noise
        The settings: components, epochs, peak learning rate of the means, noise draws per
        point and time.
    seed : int
        The random seed (-1 when it was not an integer).
    """

    means: np.ndarray
    sigma2: float
    loss: np.ndarray
    M: int
    epochs: int
    lr: float
    n_noise: int
    seed: int

    @property
    def converged(self) -> bool:
        """The stated convergence criterion: the mean loss over the last tenth of the epochs
        is within 1% (relative) of the mean over the tenth before it. False for runs of
        fewer than 20 epochs (too short to tell) and for a non-finite loss."""
        loss = np.asarray(self.loss, dtype=float)
        k = loss.size // 10
        if k < 2 or not np.all(np.isfinite(loss)):
            return False
        last, before = loss[-k:].mean(), loss[-2 * k:-k].mean()
        return bool(abs(last - before) <= 0.01 * abs(before))


def train_gmm_denoiser(train: ArrayLike, M: int, *, epochs: int = 4000, lr: float = 1e-2,
                       lr_variance: float = 0.2, n_noise: int = 4, weighting: str = "eps",
                       init_variance: float = 1e-6, beta2: float = 0.99,
                       seed: Generator | int | None = 0,
                       progress: bool = False) -> GMMTrainingRun:
    r"""Train an M-component isotropic GMM denoiser on the points ``train`` (N, d).

    Loss (Buchanan et al. 2025, eq. 3 with the noise-prediction weighting):
    $\frac1{26}\sum_l \lambda(t_l) \frac1{N n}\sum_{i, z}
    \|\hat x_\theta(t_l, \alpha_l x^i + \sigma_l z) - x^i\|^2$, with n =
    ``n_noise`` fresh draws of z per point and time at every epoch, in
    float64. The variance is trained through its logarithm, with its own
    learning rate ``lr_variance``.

    Adam's second-moment decay is ``beta2`` = 0.99 instead of the usual 0.999:
    the loss at the initialisation is 1e4 times its final value, and with
    0.999 the memory of those first gradients froze the variance for
    thousands of epochs. With these defaults 4000 epochs reach the same
    memorization ratio, variance (to 3 digits) and loss as 30,000 epochs at
    a 4x smaller variance rate (N = 40, d = 10, K = 2, M = 20 and 32; see
    docs/training.md).

    Cost: O(epochs x 26 x n_noise N M d) time and O(26 n_noise N (M + d)) memory (float64,
    one CPU thread is enough); measured 6 ms per epoch at N = 20, d = 10, M = 20 on one
    thread.

    Parameters
    ----------
    train : array_like, shape (N, d)
        Training points, N >= 2.
    M : int
        Number of components, 1 <= M <= N (the means start at M distinct training points).
    epochs : int, default 4000
        Full-batch Adam steps.
    lr : float, default 0.01
        Peak learning rate of the means, > 0.
    lr_variance : float, default 0.2
        Peak learning rate of $\log s^2$, > 0.
    n_noise : int, default 4
        Fresh noise draws per point and time at every epoch.
    weighting : str, default "eps"
        The loss weighting $\lambda(t)$
        ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).
    init_variance : float, default 1e-6
        Initial $s^2$, > 0.
    beta2 : float, default 0.99
        Adam's second-moment decay, in [0, 1).
    seed : Generator, int or None, default 0
        Random seed (initial means and noise draws).
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    GMMTrainingRun
        The learned means and variance, the loss per epoch and the settings.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``M`` exceeds N, a number is out of range, or the training diverges (a
        non-finite loss or parameter: learning rates too large).

    References
    ----------
    Buchanan et al. (2025), sec. 4 and App. H.1.

    Examples
    --------
    >>> from memlab.theory.gmm import sample_gmm
    >>> data = sample_gmm(8, 2, 2, seed=0)
    >>> run = train_gmm_denoiser(data.x, 4, epochs=20, seed=0)
    >>> run.means.shape, run.loss.shape
    ((4, 2), (20,))
    >>> bool(run.loss[-1] < run.loss[0])
    True
    """
    train = check_array("train", train, ndim=2)
    M = check_positive_int("M", M)
    if M > train.shape[0]:
        raise ValueError(f"M must be <= N = {train.shape[0]} (partial memorization init), "
                         f"got {M}")
    return train_gmm_denoisers(train, [M], epochs=epochs, lr=lr, lr_variance=lr_variance,
                               n_noise=n_noise, weighting=weighting, init_variance=init_variance,
                               beta2=beta2, seed=seed, progress=progress)[0]


def train_gmm_denoisers(train: ArrayLike, M_values: Sequence[int], *, epochs: int = 4000,
                        lr: float = 1e-2, lr_variance: float = 0.2, n_noise: int = 4,
                        weighting: str = "eps", init_variance: float = 1e-6,
                        beta2: float = 0.99, seed: Generator | int | None = 0,
                        progress: bool = False) -> list[GMMTrainingRun]:
    """Train one denoiser per M in ``M_values`` at once (see [`train_gmm_denoiser`][memlab.verification.training.gmm_denoiser.train_gmm_denoiser]).

    The models are stacked into one tensor of means padded to the largest M,
    the padding masked out of the softmax; their losses are summed. Adam acts
    elementwise and the parameters are disjoint, so each model follows its own
    training exactly (they share the noise draws); batching only removes the
    per-step overhead that dominates these small problems.

    Parameters
    ----------
    train : array_like, shape (N, d)
        Training points, N >= 2.
    M_values : sequence of int
        Components of each model, each in [1, N]; not empty.
    epochs : int, default 4000
        Full-batch Adam steps.
    lr : float, default 0.01
        Peak learning rate of the means, > 0.
    lr_variance : float, default 0.2
        Peak learning rate of the log-variances, > 0.
    n_noise : int, default 4
        Fresh noise draws per point and time at every epoch (shared by the models).
    weighting : str, default "eps"
        The loss weighting ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]).
    init_variance : float, default 1e-6
        Initial variance of every model, > 0.
    beta2 : float, default 0.99
        Adam's second-moment decay, in [0, 1).
    seed : Generator, int or None, default 0
        Random seed (initial means and noise draws).
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    list of GMMTrainingRun
        One run per entry of ``M_values``, in that order.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``M_values`` is empty or has an entry above N, a number is out of range, or the
        training diverges.

    References
    ----------
    Buchanan et al. (2025), App. H.1.

    Examples
    --------
    >>> from memlab.theory.gmm import sample_gmm
    >>> runs = train_gmm_denoisers(sample_gmm(8, 2, 2, seed=0).x, [2, 8], epochs=20, seed=0)
    >>> [(r.M, r.means.shape) for r in runs]
    [(2, (2, 2)), (8, (8, 2))]
    """
    import torch

    train = check_array("train", train, ndim=2)
    if train.shape[0] < 2:
        raise ValueError(f"train must be an array (N, d) with N >= 2, got shape {train.shape}")
    N, d = train.shape
    M_values = check_sequence("M_values", M_values, "a sequence of integers", array_ndim=1)
    Ms = [check_positive_int(f"M_values[{i}]", M) for i, M in enumerate(M_values)]
    if not Ms:
        raise ValueError("M_values must not be empty")
    if max(Ms) > N:
        raise ValueError(f"M_values must be <= N = {N} (partial memorization init), "
                         f"got {max(Ms)}")
    epochs = check_count("epochs", epochs, MAX_SAMPLES)
    lr = check_positive_real("lr", lr)
    lr_variance = check_positive_real("lr_variance", lr_variance)
    n_noise = check_count("n_noise", n_noise, max(1, MAX_SAMPLES // (N * d)))
    init_variance = check_positive_real("init_variance", init_variance)
    beta2 = check_real("beta2", beta2, lo=0.0, hi=1.0, hi_open=True)
    progress = check_bool("progress", progress)
    rng = check_rng(seed)
    ts = reference_timesteps()
    check_allocation("epochs", (epochs, len(Ms)))
    check_allocation("train, M_values and n_noise",
                     (len(Ms), len(ts), n_noise * N, max(d, max(Ms))))
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    lam = torch.tensor(loss_weighting(weighting, ts))
    a = torch.tensor(alpha(ts))[None, :, None, None]
    s = torch.tensor(sigma(ts))[None, :, None, None]
    X = torch.tensor(train)
    R, Mmax = len(Ms), max(Ms)
    init = np.zeros((R, Mmax, d))
    mask = np.full((R, Mmax), -np.inf)
    for r, M in enumerate(Ms):
        init[r, :M] = train[rng.choice(N, M, replace=False)]
        mask[r, :M] = 0.0
    means = torch.tensor(init, requires_grad=True)                   # (R, Mmax, d)
    log_s2 = torch.full((R,), float(np.log(init_variance)), dtype=torch.float64,
                        requires_grad=True)
    pad = torch.tensor(mask)[:, None, None, :]                       # (R, 1, 1, Mmax)
    opt = torch.optim.Adam([{"params": [means], "lr": lr},
                            {"params": [log_s2], "lr": lr_variance}], betas=(0.9, beta2))
    warm = max(1, epochs // 10)

    def rate(e):          # linear warm-up to 1, then linear decay to 1/100
        return (e + 1) / warm if e < warm else 1.0 - 0.99 * (e - warm) / max(1, epochs - warm)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    losses = np.empty((epochs, R))
    iterator = range(epochs)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=f"M={Ms}", leave=False)
    target = X.expand(n_noise, N, d).reshape(1, 1, n_noise * N, d)
    with torch.enable_grad():       # whatever the caller's grad mode
        for e in iterator:
            z = torch.randn((1, len(ts), n_noise * N, d), generator=gen, dtype=torch.float64)
            y = a * target + s * z                                       # (1, T, nN, d)
            s2 = torch.exp(log_s2)[:, None, None, None]                   # (R, 1, 1, 1)
            var = a**2 * s2 + s**2                                       # (R, T, 1, 1)
            cross = torch.einsum("tnd,rmd->rtnm", y[0], means)
            d2 = ((y**2).sum(-1, keepdim=True) - 2 * a * cross
                  + a**2 * (means**2).sum(-1)[:, None, None, :])
            w = torch.softmax(-d2 / (2 * var) + pad, dim=-1)             # (R, T, nN, Mmax)
            xhat = (a * s2 * y + s**2 * torch.einsum("rtnm,rmd->rtnd", w, means)) / var
            per = ((xhat - target) ** 2).sum(-1).mean(-1)                # (R, T)
            loss_r = (lam * per).mean(-1)
            opt.zero_grad()
            loss_r.sum().backward()
            opt.step()
            sched.step()
            losses[e] = loss_r.detach().numpy()
            if not np.all(np.isfinite(losses[e])):
                raise ValueError(f"lr = {lr!r} (means) or lr_variance = {lr_variance!r} makes "
                                 f"the training diverge (non-finite loss at epoch {e}); use "
                                 "smaller learning rates")
    out_means = means.detach().numpy()
    out_s2 = torch.exp(log_s2.detach()).numpy()
    if not (np.all(np.isfinite(out_means)) and np.all(np.isfinite(out_s2))):
        raise ValueError(f"lr = {lr!r} (means) or lr_variance = {lr_variance!r} makes the "
                         "training diverge (non-finite parameters); use smaller learning rates")
    return [GMMTrainingRun(out_means[r, :M].copy(), float(out_s2[r]), losses[:, r].copy(), M,
                           epochs, lr, n_noise, int(seed) if isinstance(seed, int) else -1)
            for r, M in enumerate(Ms)]


def ddim_sample(means: ArrayLike, sigma2: float, n_samples: int, *,
                seed: Generator | int | None = None) -> np.ndarray:
    r"""Deterministic DDIM samples of the GMM denoiser (Buchanan et al. 2025, App. H.2).

    From $x \sim \mathcal N(0, I_d)$ at t = 0.999, along the 26-point reference grid
    ([`reference_timesteps`][memlab.theory.schedules.reference_timesteps]):

    $$
    x_{t'} = \frac{\sigma_{t'}}{\sigma_t} x_t
    + \Big(\alpha_{t'} - \alpha_t\frac{\sigma_{t'}}{\sigma_t}\Big)\,\hat x(t, x_t),
    $$

    with $\hat x$ the posterior mean of the isotropic mixture with these ``means`` and
    variance ``sigma2`` ([`memlab.theory.gmm.gmm_denoiser`][memlab.theory.gmm.gmm_denoiser]).
    Needs no torch.

    Parameters
    ----------
    means : array_like, shape (M, d)
        The component means.
    sigma2 : float
        The shared component variance, > 0.
    n_samples : int
        Number of samples, >= 1.
    seed : Generator, int or None
        Random seed of the starting noise.

    Returns
    -------
    numpy.ndarray, shape (n_samples, d)
        The samples at the last grid time.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``means`` is not 2-d, ``sigma2`` not positive or ``n_samples`` out of range.

    References
    ----------
    Buchanan et al. (2025), App. H.2.

    Examples
    --------
    A full memorizer (one tight component per training point) copies its training points:

    >>> from memlab.theory.gmm import sample_gmm
    >>> from memlab.theory.metrics import memorization_ratio
    >>> x = sample_gmm(8, 2, 2, seed=0).x
    >>> samples = ddim_sample(x, 1e-4, 50, seed=0)
    >>> samples.shape, memorization_ratio(samples, x)
    ((50, 2), 1.0)
    """
    means = check_array("means", means, ndim=2)
    sigma2 = check_positive_real("sigma2", sigma2)
    n = check_count("n_samples", n_samples, max(1, MAX_SAMPLES // means.shape[1]))
    rng = check_rng(seed)
    ts = reference_timesteps()
    x = rng.standard_normal((n, means.shape[1]))
    for t_old, t_new in zip(ts[:-1], ts[1:]):
        xhat = gmm_denoiser(t_old, x, means, sigma2)
        r = sigma(t_new) / sigma(t_old)
        x = r * x + (alpha(t_new) - alpha(t_old) * r) * xhat
    return x


class TransitionOutsideGridWarning(UserWarning):
    """A point of the memorization transition lies outside the swept M grid: reached
    already at the smallest M, or never reached. [`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep] reports it as
    NaN with a flag in `SweepResult.flags`, never as the grid's edge."""


_LEVELS = (0.1 - 1e-12, 0.5 - 1e-12, 0.9 - 1e-12)


def _transition_flags(M_values, ratios):
    """{"start"|"middle"|"end": "ok", "below_grid" (reached at the smallest M) or
    "not_reached"} for the points of [`transition_points`][memlab.verification.training.gmm_denoiser.transition_points]."""
    order = np.argsort(np.asarray(M_values, dtype=float))
    ratios = np.asarray(ratios, dtype=float)[order]
    return {name: ("not_reached" if not np.any(ratios >= q) else
                   "below_grid" if ratios[0] >= q else "ok")
            for name, q in zip(("start", "middle", "end"), _LEVELS)}


def transition_points(M_values: ArrayLike, ratios: ArrayLike) -> tuple[float, float, float]:
    """(start, middle, end) of the memorization transition in a sweep over M.

    The first M (interpolated linearly between grid points) where the memorization ratio
    reaches 0.1, 0.5 and 0.9; NaN where not reached, and NaN where the smallest M already
    reaches it (the point lies below the grid). The middle is M_mem of Buchanan et al.
    (2025), sec. 4.

    Parameters
    ----------
    M_values : array_like, shape (n,)
        Numbers of components, > 0, in any order.
    ratios : array_like, shape (n,)
        Memorization ratios at ``M_values``, in [0, 1].

    Returns
    -------
    tuple of 3 floats
        (start, middle, end); NaN where a level is not reached inside the grid.

    Raises
    ------
    TypeError
        If an argument is not an array of reals.
    ValueError
        If the arrays are not 1-d of the same shape, an M is not positive, or a ratio is
        outside [0, 1].

    References
    ----------
    Buchanan et al. (2025), sec. 4 (M_mem, the middle of the transition).

    Examples
    --------
    >>> start, middle, end = transition_points([2, 4, 6, 8, 10], [0.0, 0.1, 0.3, 0.7, 0.95])
    >>> round(start, 6), round(middle, 6), round(end, 6)
    (4.0, 7.0, 9.6)
    >>> transition_points([2, 4, 6], [0.0, 0.2, 0.4])[1:]     # the ratio never reaches 0.5
    (nan, nan)
    >>> transition_points([2, 4, 6], [0.3, 0.6, 1.0])[0]     # already above 0.1 at M = 2
    nan
    """
    M_values = check_array("M_values", M_values, ndim=1, lo=0.0, lo_open=True)
    ratios = check_array("ratios", ratios, ndim=1, lo=0.0, hi=1.0)
    if ratios.shape != M_values.shape:
        raise ValueError(f"ratios must have the shape of M_values {M_values.shape}, "
                         f"got {ratios.shape}")
    order = np.argsort(M_values)
    flags = _transition_flags(M_values, ratios)
    return tuple(first_crossing(M_values[order], ratios[order], q, above=True, log_x=False)
                 if flag == "ok" else float("nan") for q, flag in zip(_LEVELS, flags.values()))


@dataclass(frozen=True)
class SweepResult(Result):
    """Memorization ratio against M for one (N, d, K), made by
    [`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep].

    Attributes
    ----------
    N, d, K : int
        Training points, dimension and number of clusters of the data.
    M : numpy.ndarray
        Numbers of components of the trained models (increasing).
    ratio : numpy.ndarray
        Memorization ratio of each model's DDIM samples.
    sigma2 : numpy.ndarray
        Learned variance of each model.
    final_loss : numpy.ndarray
        Mean training loss of each model over its last 20 epochs.
    start, middle, end : float
        M where the ratio reaches 0.1, 0.5 and 0.9 (M_mem = middle); NaN outside the grid.
    n_eval, epochs, seed : int
        DDIM samples per model, training epochs and the random seed.
    flags : dict
        For each of ``start``, ``middle`` and ``end``: ``"ok"``, ``"below_grid"``
        (reached at the smallest M: the value is NaN) or ``"not_reached"`` (NaN).
    """

    N: int
    d: int
    K: int
    M: np.ndarray
    ratio: np.ndarray
    sigma2: np.ndarray
    final_loss: np.ndarray
    start: float
    middle: float
    end: float
    n_eval: int
    epochs: int
    seed: int
    flags: dict = field(default_factory=dict)

    def to_saved_dict(self) -> dict:
        """The sweep as a JSON-ready dict, as stored under ``"settings"`` in ``gmm_summary.json``.

        Returns
        -------
        dict
            Every field by name, numpy arrays as lists (NaN transition points stay float
            NaN).
        """
        return dataclass_to_json(self)


SWEEP_FORMAT = "memlab-gmm-sweep-v2"


def _legacy_runs(path, settings):
    """Runs of a sweep file of the earlier format (``gmm_N{N}_d{d}_K{K}_s{seed}.json``, no
    settings key, e.g. those committed under docs/results/), read-only: used only when the
    settings it records match; else {}."""
    if not path.exists():
        return {}
    saved = read_json(path, "GMM sweep")
    recorded = ("N", "d", "K", "seed", "epochs", "lr", "n_noise", "n_eval")
    if not isinstance(saved, dict) or "runs" not in saved or any(
            saved.get(k) != settings[k] for k in recorded):
        return {}
    return {int(k): v for k, v in saved["runs"].items()}


def memorization_sweep(N: int, d: int, K: int, *, M_values: ArrayLike | None = None,
                       epochs: int = 4000, lr: float = 1e-2, n_noise: int = 4,
                       n_eval: int = 200, seed: int = 0,
                       out_dir: str | PathLike | None = None,
                       progress: bool = True) -> SweepResult:
    """Train one denoiser per M on one dataset and measure the memorization ratio.

    ``M_values`` defaults to N/10, 2N/10, ..., N (Buchanan et al. 2025, App. H.1) plus, as
    in the paper, 6 values spread over the observed transition. With
    ``out_dir``, every trained M is saved to
    ``out_dir/gmm_N{N}_d{d}_K{K}_s{seed}_{key}.json`` after each batch of models
    (atomically) and re-used on a second call: an interrupted sweep resumes. ``key``
    is a hash of every setting that changes the result (N, d, K, the M grid, epochs,
    lr, n_noise, n_eval, seed, the memlab version), so a call with other settings
    computes into its own file; the file stores the settings, its key and a manifest
    (versions, git revision, date, torch threads), and a file whose key or settings
    do not match raises ValueError. A file of the earlier format
    ``gmm_N{N}_d{d}_K{K}_s{seed}.json`` (no key; those under docs/results/) is read
    only, and only when the settings it records match. The models of a batch are
    trained together ([`train_gmm_denoisers`][memlab.verification.training.gmm_denoiser.train_gmm_denoisers]). A transition point outside the
    grid is NaN, flagged in ``flags``, with a [`TransitionOutsideGridWarning`][memlab.verification.training.gmm_denoiser.TransitionOutsideGridWarning].
    ``M_values`` are positive integers (those above N count as N); ``seed`` is a
    non-negative integer (it seeds the dataset and every model).

    Cost: one [`train_gmm_denoisers`][memlab.verification.training.gmm_denoiser.train_gmm_denoisers]
    call per batch of M (two batches for the default grid) and one
    [`ddim_sample`][memlab.verification.training.gmm_denoiser.ddim_sample] of ``n_eval``
    points per model: 2 x ``epochs`` training steps of up to 10 stacked models for the
    default grid.

    Parameters
    ----------
    N : int
        Training points of the dataset
        ([`memlab.theory.gmm.sample_gmm`][memlab.theory.gmm.sample_gmm]).
    d : int
        Dimension.
    K : int
        Number of clusters, K <= N.
    M_values : array_like of int, optional
        The M grid; default N/10, ..., N refined inside the transition.
    epochs : int, default 4000
        Training epochs per model.
    lr : float, default 0.01
        Peak learning rate of the means.
    n_noise : int, default 4
        Noise draws per point and time per epoch.
    n_eval : int, default 200
        DDIM samples per model for the memorization ratio.
    seed : int, default 0
        Non-negative random seed of the dataset and the models.
    out_dir : str or path, optional
        Where to save and resume the sweep (see above).
    progress : bool, default True
        Show tqdm progress bars.

    Returns
    -------
    SweepResult
        Ratios, learned variances and final losses per M, the transition points and flags.

    Warns
    -----
    TransitionOutsideGridWarning
        When a transition point lies outside the M grid (it is NaN, with a flag).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a number is out of range, or ``out_dir`` holds a file of other settings.

    References
    ----------
    Buchanan et al. (2025), sec. 4 and App. H.1.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")     # 20 epochs: the transition is not in the grid
    ...     sweep = memorization_sweep(8, 2, 2, M_values=[1, 4, 8], epochs=20, n_eval=20,
    ...                                progress=False)
    >>> sweep.M.tolist(), float(sweep.ratio[-1])        # M = N: the full memorizer copies
    ([1, 4, 8], 1.0)
    """
    N, d, K = check_NdK(N, d, K)
    check_allocation("N and d", (len(reference_timesteps()), N, d))     # the noisy data per epoch
    if M_values is not None:
        M_values = [check_positive_int(f"M_values[{i}]", M) for i, M in
                    enumerate(check_array("M_values", M_values, ndim=1))]
    epochs = check_count("epochs", epochs, MAX_SAMPLES)
    lr = check_positive_real("lr", lr)
    n_noise = check_count("n_noise", n_noise, max(1, MAX_SAMPLES // (N * d)))
    n_eval = check_count("n_eval", n_eval, max(1, MAX_SAMPLES // d))
    seed = check_nonnegative_int("seed", seed)
    if out_dir is not None:
        out_dir = check_path("out_dir", out_dir)
    progress = check_bool("progress", progress)
    data = sample_gmm(N, d, K, seed=seed)
    step = max(1, N // 10)
    grid = list(M_values) if M_values is not None else [step * i for i in range(1, 11)]
    grid = sorted({min(N, max(1, int(M))) for M in grid})
    path = None
    done = {}
    legacy = None
    if out_dir is not None:
        from memlab import __version__

        settings = {"format": SWEEP_FORMAT, "N": N, "d": d, "K": K,
                    "M_values": None if M_values is None else grid,
                    "epochs": check_positive_int("epochs", epochs),
                    "lr": float(check_positive_real("lr", lr)),
                    "n_noise": check_positive_int("n_noise", n_noise), "n_eval": n_eval,
                    "seed": int(seed), "memlab_version": __version__}
        key = settings_key(settings)
        path = Path(out_dir) / f"gmm_N{N}_d{d}_K{K}_s{seed}_{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            saved = read_json(path, "GMM sweep")
            if (not isinstance(saved, dict) or saved.get("key") != key
                    or saved.get("settings") != settings or not isinstance(saved.get("runs"), dict)):
                raise ValueError(f"{path} does not hold a sweep with these settings "
                                 f"(key {key}); delete it or use another out_dir")
            done = {int(k): v for k, v in saved["runs"].items()}
        else:
            old = Path(out_dir) / f"gmm_N{N}_d{d}_K{K}_s{seed}.json"
            done = _legacy_runs(old, settings)
            legacy = old.name if done else None

    def run(batch):
        batch = [M for M in batch if M not in done]
        if not batch:
            return
        runs = train_gmm_denoisers(data.x, batch, epochs=epochs, lr=lr, n_noise=n_noise,
                                   seed=seed * 100003 + batch[0], progress=progress)
        for r in runs:
            xs = ddim_sample(r.means, r.sigma2, n_eval, seed=seed * 7 + r.M)
            done[r.M] = {"ratio": memorization_ratio(xs, data.x), "sigma2": r.sigma2,
                         "final_loss": float(r.loss[-20:].mean())}
        if path is not None:
            info = manifest(settings)
            if legacy:
                info["legacy_source"] = legacy
            atomic_write(path, json.dumps({
                "format": SWEEP_FORMAT, "key": key, "settings": settings, "manifest": info,
                "N": N, "d": d, "K": K, "seed": seed, "epochs": epochs, "lr": lr,
                "n_noise": n_noise, "n_eval": n_eval,
                "runs": {str(k): v for k, v in sorted(done.items())}}, indent=1))

    run(grid)
    if M_values is None:                       # refine inside the transition seen on the grid
        Ms = np.array(grid)                    # (the base grid only: resuming adds nothing)
        rs = np.array([done[M]["ratio"] for M in Ms])
        lo = Ms[rs < 0.1].max(initial=1)
        hi = Ms[rs >= 0.9].min(initial=N)
        run([int(M) for M in np.unique(np.linspace(lo, hi, 8).round().astype(int))[1:-1]])
    Ms = np.array(sorted(done))
    rs = np.array([done[M]["ratio"] for M in Ms])
    start, middle, end = transition_points(Ms, rs)
    flags = _transition_flags(Ms, rs)
    outside = {k: v for k, v in flags.items() if v != "ok"}
    if outside:
        warnings.warn(f"memorization transition of (N, d, K) = ({N}, {d}, {K}) outside the M "
                      f"grid [{Ms.min()}, {Ms.max()}]: "
                      + ", ".join(f"{k} {v.replace('_', ' ')}" for k, v in outside.items())
                      + "; reported as NaN", TransitionOutsideGridWarning, stacklevel=2)
    return SweepResult(N, d, K, Ms, rs, np.array([done[M]["sigma2"] for M in Ms]),
                       np.array([done[M]["final_loss"] for M in Ms]), start, middle, end,
                       n_eval, epochs, seed, flags)


def linear_law(results: Sequence[SweepResult]) -> tuple[float, float, int]:
    """Least-squares slope a of M_mem = a N through the origin, with its standard error.

    Buchanan et al. (2025), sec. 4 report $M_{\rm mem} \approx 0.8 N$ for trained
    models; this fits the slope over the sweeps whose transition middle was reached.

    Parameters
    ----------
    results : sequence of SweepResult
        The sweeps ([`SweepResult`][memlab.verification.training.gmm_denoiser.SweepResult]).

    Returns
    -------
    tuple (float, float, int)
        (a, its standard error, the number of sweeps used).

    Raises
    ------
    TypeError
        If ``results`` is not a sequence of SweepResult.
    ValueError
        If fewer than 2 sweeps have a finite ``middle``.

    References
    ----------
    Buchanan et al. (2025), sec. 4.

    Examples
    --------
    >>> import numpy as np
    >>> def sweep(N, middle):
    ...     return SweepResult(N, 4, 2, np.array([1, N]), np.array([0.0, 1.0]), np.ones(2),
    ...                        np.ones(2), 0.5 * middle, middle, 1.2 * middle, 10, 1, 0)
    >>> a, se, n = linear_law([sweep(10, 8.0), sweep(20, 16.0), sweep(40, 32.0)])
    >>> round(a, 6), round(se, 6), n
    (0.8, 0.0, 3)
    """
    results = check_instances("results", results, SweepResult)
    pts = [(r.N, r.middle) for r in results if np.isfinite(r.middle)]
    if len(pts) < 2:
        raise ValueError(f"results must contain at least 2 sweeps with a transition, got {len(pts)}")
    N, Mm = np.array(pts, dtype=float).T
    a = float((N * Mm).sum() / (N * N).sum())
    resid = Mm - a * N
    se = float(np.sqrt((resid**2).sum() / (len(N) - 1) / (N * N).sum()))
    return a, se, len(N)


def predicted_crossovers(N: int, d: int, K: int, *, simulate: bool = True,
                         seed: Generator | int | None = 0) -> dict[str, float]:
    """The predicted crossovers M* to compare a measured M_mem with.

    The closed-form crossover of [`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point]
    with the x0 and eps weightings and, with ``simulate``, the simulated x0 crossover of
    [`memlab.verification.gmm.simulated_crossover_point`][memlab.verification.gmm.simulated_crossover_point]
    (8 noise draws, 8 datasets).

    Parameters
    ----------
    N : int
        Training points.
    d : int
        Dimension.
    K : int
        Number of clusters, K <= N.
    simulate : bool, default True
        Add the simulated crossover (seconds).
    seed : Generator, int or None, default 0
        Random seed of the simulation.

    Returns
    -------
    dict
        ``{"closed form x0": M*, "closed form eps": M*}`` and, with ``simulate``,
        ``"simulated x0"``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If N, d or K is out of range.

    References
    ----------
    Buchanan et al. (2025), eq. 14 (the crossover M*) and sec. 4.

    Examples
    --------
    >>> p = predicted_crossovers(20, 10, 2, simulate=False)
    >>> {k: round(v, 2) for k, v in p.items()}
    {'closed form x0': 13.71, 'closed form eps': 20.0}
    """
    from memlab.theory.gmm import crossover_point

    N, d, K = check_NdK(N, d, K)
    simulate = check_bool("simulate", simulate)
    check_rng(seed)
    out = {"closed form x0": crossover_point(N, d, K),
           "closed form eps": crossover_point(N, d, K, weighting="eps")}
    if simulate:
        from memlab.verification.gmm import simulated_crossover_point
        est = simulated_crossover_point(N, d, K, n_noise=8, n_datasets=8, seed=seed,
                                        progress=False)
        out["simulated x0"] = est.estimate
    return out


# ----------------------------------------------------------------------------
# Loss-weighting calibration (Buchanan et al. 2025, App. H.3)
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibratedWeighting(Result):
    r"""Result of [`calibrate_weighting`][memlab.verification.training.gmm_denoiser.calibrate_weighting].

    Attributes
    ----------
    weights : numpy.ndarray
        $\lambda$ on the time grid, normalised to mean 1.
    timesteps : numpy.ndarray
        The time grid.
    settings : list of (N, d, K)
        The measured settings.
    measured, predicted : numpy.ndarray
        M_mem per setting: measured, and the crossover of the fitted weighting.
    rms_error : float
        Root mean square of (predicted - measured)/N.
    g_closed_form : float
        The one number the closed forms depend on (see
        [`calibrate_weighting`][memlab.verification.training.gmm_denoiser.calibrate_weighting]).
    t_effective : float
        The grid time whose $1/(\psi_t\sigma^2 + 1)$ is nearest ``g_closed_form``.
    source : str
        ``"simulated"`` or ``"closed_form"``: the losses the fit used.
    """

    weights: np.ndarray
    timesteps: np.ndarray
    settings: list
    measured: np.ndarray
    predicted: np.ndarray
    rms_error: float
    g_closed_form: float
    t_effective: float
    source: str

    def to_saved_dict(self) -> dict:
        """The fit as a JSON-ready dict, as stored under ``"calibration"`` in ``gmm_summary.json``.

        Returns
        -------
        dict
            Keys ``source``, ``weights``, ``timesteps``, ``predicted``, ``rms_error``,
            ``g_closed_form``, ``t_effective`` (arrays as lists); ``settings`` and
            ``measured`` are left out, the summary's sweeps hold them.
        """
        return {"source": self.source, "weights": self.weights.tolist(),
                "timesteps": self.timesteps.tolist(), "predicted": self.predicted.tolist(),
                "rms_error": self.rms_error, "g_closed_form": self.g_closed_form,
                "t_effective": self.t_effective}


def _gap_matrix(N, d, K, source, timesteps, seed):
    """D[t, M-1] = excess of x_pmem,M minus excess of x_* at each grid time."""
    if source == "closed_form":
        pm = partial_memorization_excess_loss(np.arange(1, N + 1), N, d, K)
        return pm[None, :] - generalizing_excess_loss(timesteps, d)[:, None]
    from memlab.verification.gmm import simulate_loss_curves

    curves = simulate_loss_curves(N, d, K, timesteps=timesteps, n_noise=8, n_datasets=4,
                                  seed=seed)
    return curves.pmem_excess[0] - curves.gen_excess[0][:, None]


def calibrate_weighting(measured: Sequence[Sequence[float]], *, source: str = "simulated",
                        smoothness: float = 1e-3, timesteps: ArrayLike | None = None,
                        seed: Generator | int | None = 0) -> CalibratedWeighting:
    r"""Fit a loss weighting lambda(t) whose crossover matches measured transitions (Buchanan et al. 2025, App. H.3).

    For each setting, the crossover of the weighting is the first M where
    $\sum_t \lambda_t D_t(M) \le 0$, with $D_t(M)$ the excess loss
    of the partial memorizer minus that of the generalizing denoiser at time t:
    simulated (``source="simulated"``,
    [`memlab.verification.gmm.simulate_loss_curves`][memlab.verification.gmm.simulate_loss_curves], 4 datasets x 8 noise
    draws) or from
    the closed forms (``"closed_form"``). The weights
    $\lambda = 26\,\mathrm{softmax}(\theta)$ minimise
    $\sum_s ((M^*_s(\lambda) - M_{{\rm mem},s})/N_s)^2$ plus
    ``smoothness`` times the squared differences of $\theta$ along the
    grid, by Powell's method (Buchanan et al. 2025 use a softmax relaxation with an
    entropy penalty instead).

    With the closed forms the crossover depends on lambda only through one
    number, $g(\lambda) = \sum_t \lambda_t/(\psi_t\sigma^2 + 1) /
    \sum_t\lambda_t$, because the partial-memorization excess does not depend
    on t; so a weighting is identifiable only up to this scalar.
    ``g_closed_form`` is the best such g over the measured settings.

    Needs no torch: it uses only the measured transitions.

    Parameters
    ----------
    measured : sequence of (N, d, K, M_mem)
        Measured transitions, e.g. ``(r.N, r.d, r.K, r.middle)`` of
        [`SweepResult`][memlab.verification.training.gmm_denoiser.SweepResult] s; K <= N.
    source : {"simulated", "closed_form"}
        Where the per-time losses D_t(M) come from.
    smoothness : float
        Weight of the penalty on the differences of theta along the grid.
    timesteps : array, optional
        VP times in (0, 1); default the 26-point grid of Buchanan et al. (2025).
    seed : Generator, int or None, default 0
        Random seed of the simulated losses.

    Returns
    -------
    CalibratedWeighting
        The fitted weights, their crossovers and errors, and ``g_closed_form``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``measured`` is empty or has a row that is not (N, d, K, M_mem) with K <= N and
        M_mem > 0, ``source`` is unknown, or ``smoothness`` is negative.

    References
    ----------
    Buchanan et al. (2025), App. H.3.

    Examples
    --------
    Two settings and a 3-point time grid, from the closed forms (fast):

    >>> cal = calibrate_weighting([(20, 10, 2, 15.0), (40, 10, 2, 30.0)],
    ...                           source="closed_form", timesteps=[0.1, 0.5, 0.9])
    >>> cal.weights.shape, bool(abs(cal.weights.mean() - 1) < 1e-12)
    ((3,), True)
    >>> bool(cal.rms_error < 0.05)
    True
    """
    from scipy import optimize

    what = "a non-empty sequence of (N, d, K, M_mem)"
    rows = [tuple(check_sequence(f"measured[{i}]", r, "a sequence (N, d, K, M_mem)",
                                 array_ndim=1))
            for i, r in enumerate(check_sequence("measured", measured, what, array_ndim=2))]
    if len(rows) < 1 or any(len(r) != 4 for r in rows):
        raise ValueError(f"measured must be {what}, got {measured!r}")
    if not isinstance(source, str):
        raise TypeError(f"source must be 'simulated' or 'closed_form', got {source!r:.200}")
    if source not in ("simulated", "closed_form"):
        raise ValueError(f"source must be 'simulated' or 'closed_form', got {source!r}")
    smoothness = check_real("smoothness", smoothness, lo=0.0)
    ts = resolve_timesteps(timesteps)
    check_rng(seed)
    settings, target = [], []
    for i, r in enumerate(rows):
        N = check_positive_int(f"measured[{i}] N", r[0])
        d = check_positive_int(f"measured[{i}] d", r[1])
        K = check_positive_int(f"measured[{i}] K", r[2])
        if K > N:
            raise ValueError(f"measured[{i}] K must be <= N = {N}, got {K}")
        check_allocation(f"measured[{i}] N", (len(ts), N))
        settings.append((N, d, K))
        target.append(check_positive_real(f"measured[{i}] M_mem", r[3]))
    target = np.array(target)
    Ns = np.array([s[0] for s in settings], dtype=float)
    mats = [_gap_matrix(N, d, K, source, ts, seed) for N, d, K in settings]

    def crossovers(lam):
        out = np.empty(len(mats))
        for i, D in enumerate(mats):
            gap = lam @ D
            m = first_crossing(np.arange(1, D.shape[1] + 1), gap, 0.0, above=False)
            out[i] = m if np.isfinite(m) else D.shape[1]
        return out

    def weights(theta):
        e = np.exp(theta - theta.max())
        return len(ts) * e / e.sum()

    def objective(theta):
        err = (crossovers(weights(theta)) - target) / Ns
        return float(err @ err) + smoothness * float(np.sum(np.diff(theta) ** 2))

    res = optimize.minimize(objective, np.zeros(len(ts)), method="Powell",
                            options={"maxiter": 20000, "xtol": 1e-4, "ftol": 1e-10})
    lam = weights(res.x)
    pred = crossovers(lam)
    # closed-form identifiability: best single g = weighted mean of 1/(psi + 1)
    inv = 1.0 / (snr(ts) + 1.0)
    closed = [_gap_matrix(N, d, K, "closed_form", ts, seed) for N, d, K in settings]

    def g_error(g):
        err = 0.0
        for D, (N, d, K), m in zip(closed, settings, target):
            pm = D[0] + generalizing_excess_loss(ts[0], d)      # the t-independent pmem excess
            mstar = first_crossing(np.arange(1, N + 1), pm - g * d, 0.0, above=False)
            err += ((mstar if np.isfinite(mstar) else N) - m) ** 2 / N**2
        return err

    g = float(optimize.minimize_scalar(g_error, bounds=(inv.min(), inv.max()),
                                       method="bounded").x)
    t_eff = float(ts[np.argmin(np.abs(inv - g))])
    return CalibratedWeighting(lam, ts, settings, target, pred,
                               float(np.sqrt(np.mean(((pred - target) / Ns) ** 2))), g, t_eff,
                               source)


def plot_memorization_ratio(results: Sequence[SweepResult], predicted: dict | None = None, *,
                            ax: Axes | None = None) -> Figure:
    r"""Memorization ratio against M/N for several sweeps, with the predicted crossovers.

    One colour per sweep (markers and line: the measured ratio; its M_mem/N, the middle of
    the transition, in the legend). The predicted crossovers M*/N are vertical lines in
    the sweep's colour, one line style per prediction (the style legend is in black).
    The grey horizontal line is the ratio 1/2 that defines M_mem.

    Parameters
    ----------
    results : sequence of SweepResult
        The sweeps ([`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep]).
    predicted : dict, optional
        (N, d, K) -> {label: M*} (e.g. from
        [`predicted_crossovers`][memlab.verification.training.gmm_denoiser.predicted_crossovers]).
        Default: the closed-form x0 crossover of every sweep
        ([`memlab.theory.gmm.crossover_point`][memlab.theory.gmm.crossover_point]); ``{}``
        draws no prediction.
    ax : matplotlib Axes, optional
        Where to draw; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``, or the new one.

    Raises
    ------
    TypeError
        If ``results`` is not a sequence of SweepResult, ``predicted`` not a dict or ``ax``
        not an Axes.
    ValueError
        If ``results`` is empty.

    References
    ----------
    Buchanan et al. (2025), sec. 4 and App. H.

    Examples
    --------
    >>> import numpy as np
    >>> sweep = SweepResult(20, 10, 2, np.array([4, 8, 12, 16, 20]),
    ...                     np.array([0.0, 0.05, 0.3, 0.8, 1.0]), np.ones(5), np.ones(5),
    ...                     9.8, 13.6, 17.6, 200, 4000, 0)
    >>> fig = plot_memorization_ratio([sweep])
    >>> fig.axes[0].get_xlabel()
    'number of components M / N'
    """
    import matplotlib
    from matplotlib.lines import Line2D

    from memlab.verification._plotting import axes_for

    results = check_instances("results", results, SweepResult)
    if predicted is None:
        from memlab.theory.gmm import crossover_point

        predicted = {(r.N, r.d, r.K): {"closed form x0": float(crossover_point(r.N, r.d, r.K))}
                     for r in results}
    else:
        check_instance("predicted", predicted, dict)
    fig, ax = axes_for(ax, figsize=(6.5, 4.4))
    cmap = matplotlib.colormaps["tab10"]
    styles = ["--", ":", "-."]
    labels = []                                   # prediction labels in order of appearance
    for i, r in enumerate(results):
        color = cmap(i % 10)
        mm = f"{r.middle / r.N:.2f}" if np.isfinite(r.middle) else "outside the grid"
        ax.plot(np.asarray(r.M) / r.N, r.ratio, "o-", ms=4, color=color,
                label=f"N = {r.N}, d = {r.d}, K = {r.K}: M_mem/N = {mm}")
        for label, m in predicted.get((r.N, r.d, r.K), {}).items():
            if label not in labels:
                labels.append(label)
            ax.axvline(m / r.N, color=color, ls=styles[labels.index(label) % 3], lw=1)
    ax.axhline(0.5, color="gray", lw=0.6)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="k", ls=styles[j % 3], lw=1, label=f"predicted M*/N: {lab}")
                for j, lab in enumerate(labels)]
    handles.append(Line2D([], [], color="gray", lw=0.6, label="ratio 1/2 (defines M_mem)"))
    ax.set_xlim(0.0, 1.05)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("number of components M / N")
    ax.set_ylabel("memorization ratio (fraction of copies)")
    epochs, n_eval, seed = (_common(results, a) for a in ("epochs", "n_eval", "seed"))
    setting = [t for t, v in ((f"{epochs} epochs", epochs), (f"{n_eval} DDIM samples per model",
                                                             n_eval), (f"seed {seed}", seed))
               if v is not None]
    ax.set_title("Trained GMM denoisers, generalization to memorization\n(Buchanan et al. "
                 "2025, App. H" + "".join(f"; {t}" for t in setting) + ")", fontsize=10)
    ax.legend(handles=handles, fontsize=7, loc="upper left")
    return fig


def _common(items, attr):
    """The value of ``attr`` shared by every item, or None when they differ."""
    values = {getattr(it, attr, None) for it in items}
    return values.pop() if len(values) == 1 else None


def save_summary(results: Sequence[SweepResult], predicted: dict,
                 calibration: CalibratedWeighting | None,
                 out_dir: str | PathLike) -> list[Path]:
    """Write a sweep's ``gmm_summary.json`` and ``gmm_memorization_ratio.png`` into ``out_dir``.

    The JSON (indent 1) holds ``"settings"``: one `SweepResult.to_saved_dict`
    per sweep with its ``"predicted"`` crossovers, and ``"calibration"``:
    [`CalibratedWeighting.to_saved_dict`][memlab.verification.training.gmm_denoiser.CalibratedWeighting.to_saved_dict], or null for ``None``. The figure is
    [`plot_memorization_ratio`][memlab.verification.training.gmm_denoiser.plot_memorization_ratio] at 120 dpi. What ``memlab train gmm --out``
    writes.

    Parameters
    ----------
    results : sequence of SweepResult
        The sweeps.
    predicted : dict
        (N, d, K) -> {label: M*} for every sweep ([`predicted_crossovers`][memlab.verification.training.gmm_denoiser.predicted_crossovers]).
    calibration : CalibratedWeighting or None
        The calibrated weighting
        ([`calibrate_weighting`][memlab.verification.training.gmm_denoiser.calibrate_weighting]),
        or None.
    out_dir : str or path
        Created if missing.

    Returns
    -------
    list of pathlib.Path
        The JSON file and the figure.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``results`` is empty or ``predicted`` lacks a sweep's (N, d, K).

    References
    ----------
    Buchanan et al. (2025), sec. 4 and App. H.3.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> sweep = SweepResult(20, 10, 2, np.array([4, 12, 20]), np.array([0.0, 0.4, 1.0]),
    ...                     np.ones(3), np.ones(3), 6.0, 13.0, 18.4, 200, 4000, 0)
    >>> paths = save_summary([sweep], {(20, 10, 2): {"closed form x0": 13.7}}, None,
    ...                      tempfile.mkdtemp())
    >>> [p.name for p in paths]
    ['gmm_summary.json', 'gmm_memorization_ratio.png']
    """
    results = check_instances("results", results, SweepResult)
    check_instance("predicted", predicted, dict)
    missing = [(r.N, r.d, r.K) for r in results if (r.N, r.d, r.K) not in predicted]
    if missing:
        raise ValueError(f"predicted must have an entry for every (N, d, K) of results, "
                         f"missing {missing}")
    if calibration is not None:
        check_instance("calibration", calibration, CalibratedWeighting)
    out = Path(check_path("out_dir", out_dir))
    out.mkdir(parents=True, exist_ok=True)
    summary = {"settings": [dict(r.to_saved_dict(), predicted=predicted[(r.N, r.d, r.K)])
                            for r in results],
               "calibration": None if calibration is None else calibration.to_saved_dict()}
    json_path = out / "gmm_summary.json"
    with open(json_path, "w") as fh:
        json.dump(summary, fh, indent=1)
    fig = plot_memorization_ratio(results, predicted)
    fig_path = out / "gmm_memorization_ratio.png"
    fig.savefig(fig_path, dpi=120)
    return [json_path, fig_path]
