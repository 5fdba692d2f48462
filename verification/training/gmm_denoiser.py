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

Every model of a sweep is also evaluated: its weighted loss on the training points and
on a held-out set of the same mixture, on the same fixed noise
([`denoising_loss`][memlab.verification.training.gmm_denoiser.denoising_loss]; Buchanan
et al. 2025, Fig. 2), the distances of its means to the training points and the true
means ([`mean_distances`][memlab.verification.training.gmm_denoiser.mean_distances];
App. H.5, Fig. 6), and the sliced Wasserstein distances of its samples to the two sets
along training (the position paper (2026), Sec. 3). [`plot_losses_vs_M`][memlab.verification.training.gmm_denoiser.plot_losses_vs_M],
[`plot_learned_parameters`][memlab.verification.training.gmm_denoiser.plot_learned_parameters] and
[`plot_sw_curves`][memlab.verification.training.gmm_denoiser.plot_sw_curves] draw them;
[`seed_spread`][memlab.verification.training.gmm_denoiser.seed_spread] repeats a setting
over data and training seeds (Fig. 7); [`load_sweeps`][memlab.verification.training.gmm_denoiser.load_sweeps]
reads every saved format, the earlier one included.

References
----------
Buchanan et al. (2025), "On the edge of memorization in diffusion models", sec. 4 and
App. H; the position paper (2026), Sec. 3.
"""

from __future__ import annotations

import dataclasses
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
    GMMData,
    empirical_denoiser,
    generalizing_excess_loss,
    gmm_denoiser,
    loss_weighting,
    partial_memorization_excess_loss,
    sample_gmm,
)
from memlab.theory.metrics import first_crossing, memorization_ratio, sliced_wasserstein
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
           "CalibratedWeighting", "calibrate_weighting", "plot_memorization_ratio", "save_summary",
           "sample_held_out", "denoising_loss", "mean_distances", "load_sweeps",
           "plot_losses_vs_M", "plot_learned_parameters", "plot_sw_curves",
           "SeedSpread", "summarize_seeds", "seed_spread", "plot_seed_spread"]

#: Index of the grid time $t \approx 0.360$ ($\psi_t = 6.704$) at which Buchanan et al.
#: (2025), Fig. 2 shows the train and test losses.
PAPER_T_INDEX = 16


@dataclass(frozen=True)
class GMMTrainingRun(Result):
    r"""One trained GMM denoiser, made by
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
    train_loss_eval : float or None
        The weighted loss on the training points with the fixed evaluation noise
        ([`denoising_loss`][memlab.verification.training.gmm_denoiser.denoising_loss]);
        None when no held-out set was given.
    test_loss : float or None
        The same loss, same noise, on the held-out points; None without a held-out set.
    loss_t : dict or None
        ``{"train": array (T,), "test": array (T,)}``: the per-time terms
        $\lambda_t\,E\|\hat x(t, x_t) - x\|^2$ of the two losses (their means are
        ``train_loss_eval`` and ``test_loss``); None without a held-out set.
    distances : dict or None
        ``{"train": array (M,), "true": array (M,)}``: the Euclidean distance of each
        learned mean to its nearest training point and to its nearest true component
        mean; None when the true means were not given.
    sw_curve : dict or None
        ``{"epoch", "train", "test", "ratio"}``, one entry per checkpoint: the epoch,
        the sliced Wasserstein distance of the model's DDIM samples to the training set
        and to the held-out set, and the samples' memorization ratio; None without
        checkpoints.
    """

    means: np.ndarray
    sigma2: float
    loss: np.ndarray
    M: int
    epochs: int
    lr: float
    n_noise: int
    seed: int
    train_loss_eval: float | None = None
    test_loss: float | None = None
    loss_t: dict | None = None
    distances: dict | None = None
    sw_curve: dict | None = None

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


def _rate(epoch: int, epochs: int) -> float:
    """Learning-rate factor of the warm-up-decay schedule (Buchanan et al. 2025, App. H.1):
    linear warm-up to 1 over the first tenth of the epochs, then linear decay to 1/100."""
    warm = max(1, epochs // 10)
    if epoch < warm:
        return (epoch + 1) / warm
    return 1.0 - 0.99 * (epoch - warm) / max(1, epochs - warm)


def train_gmm_denoiser(train: ArrayLike, M: int, *, epochs: int = 4000, lr: float = 1e-2,
                       lr_variance: float = 0.2, n_noise: int = 4, weighting: str = "eps",
                       init_variance: float = 1e-6, beta2: float = 0.99,
                       seed: Generator | int | None = 0,
                       progress: bool = False, test: ArrayLike | None = None,
                       true_means: ArrayLike | None = None,
                       checkpoints: Sequence[int] | None = None, n_noise_eval: int = 8,
                       n_sw: int = 1000, eval_seed: int = 0) -> GMMTrainingRun:
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

    With a held-out set ``test`` (drawn from the same mixture, e.g. by
    [`sample_held_out`][memlab.verification.training.gmm_denoiser.sample_held_out]) the
    trained model's weighted loss is also measured on fixed noise (seeded by
    ``eval_seed``, the same for every M) on the training and the held-out points
    ([`denoising_loss`][memlab.verification.training.gmm_denoiser.denoising_loss]); with
    ``true_means`` the distances of the learned means to the training points and to the
    true means are recorded (Buchanan et al. 2025, App. H.5); with ``checkpoints`` the
    sliced Wasserstein distances of ``n_sw`` DDIM samples to the training and held-out
    sets are recorded along training (the position paper (2026), Sec. 3). None of this
    changes the training itself: the same seed gives the same means, variance and loss.

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
    test : array_like, shape (n_test, d), optional
        Held-out points; default none (no test loss, no checkpoints).
    true_means : array_like, shape (K, d), optional
        The true component means; default none (no distances).
    checkpoints : sequence of int, optional
        Epochs in [0, ``epochs``] after which the sliced Wasserstein distances are
        recorded (0: at the initialisation); needs ``test``. Default none.
    n_noise_eval : int, default 8
        Fixed noise draws per point and time of the held-out and training losses.
    n_sw : int, default 1000
        DDIM samples per checkpoint.
    eval_seed : int, default 0
        Non-negative seed of the evaluation noise, of the DDIM starting noise at the
        checkpoints and of the sliced Wasserstein projections (the same for every M).

    Returns
    -------
    GMMTrainingRun
        The learned means and variance, the loss per epoch and the settings; with
        ``test``, ``true_means`` or ``checkpoints`` also the held-out loss, the distances
        of the means and the sliced Wasserstein curve.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``M`` exceeds N, a number is out of range, ``test`` or ``true_means`` has
        another dimension than ``train``, ``checkpoints`` are given without ``test`` or
        lie outside [0, ``epochs``], or the training diverges (a non-finite loss or
        parameter: learning rates too large).

    References
    ----------
    Buchanan et al. (2025), sec. 4 and App. H.1 (training), App. H.5 (learned
    parameters); the position paper (2026), Sec. 3 (train and test sliced Wasserstein
    distances along training).

    Examples
    --------
    >>> from memlab.theory.gmm import sample_gmm
    >>> data = sample_gmm(8, 2, 2, seed=0)
    >>> run = train_gmm_denoiser(data.x, 4, epochs=20, seed=0)
    >>> run.means.shape, run.loss.shape
    ((4, 2), (20,))
    >>> bool(run.loss[-1] < run.loss[0])
    True

    With a held-out set, the true means and two checkpoints:

    >>> test = sample_held_out(data, seed=1)
    >>> run = train_gmm_denoiser(data.x, 4, epochs=20, seed=0, test=test,
    ...                          true_means=data.means, checkpoints=[0, 20], n_sw=50)
    >>> bool(run.test_loss > 0), run.distances["train"].shape, run.sw_curve["epoch"].tolist()
    (True, (4,), [0, 20])
    """
    train = check_array("train", train, ndim=2)
    M = check_positive_int("M", M)
    if M > train.shape[0]:
        raise ValueError(f"M must be <= N = {train.shape[0]} (partial memorization init), "
                         f"got {M}")
    return train_gmm_denoisers(train, [M], epochs=epochs, lr=lr, lr_variance=lr_variance,
                               n_noise=n_noise, weighting=weighting, init_variance=init_variance,
                               beta2=beta2, seed=seed, progress=progress, test=test,
                               true_means=true_means, checkpoints=checkpoints,
                               n_noise_eval=n_noise_eval, n_sw=n_sw, eval_seed=eval_seed)[0]


def train_gmm_denoisers(train: ArrayLike, M_values: Sequence[int], *, epochs: int = 4000,
                        lr: float = 1e-2, lr_variance: float = 0.2, n_noise: int = 4,
                        weighting: str = "eps", init_variance: float = 1e-6,
                        beta2: float = 0.99, seed: Generator | int | None = 0,
                        progress: bool = False, test: ArrayLike | None = None,
                        true_means: ArrayLike | None = None,
                        checkpoints: Sequence[int] | None = None, n_noise_eval: int = 8,
                        n_sw: int = 1000, eval_seed: int = 0) -> list[GMMTrainingRun]:
    """Train one denoiser per M in ``M_values`` at once (see [`train_gmm_denoiser`][memlab.verification.training.gmm_denoiser.train_gmm_denoiser]).

    The models are stacked into one tensor of means padded to the largest M,
    the padding masked out of the softmax; their losses are summed. Adam acts
    elementwise and the parameters are disjoint, so each model follows its own
    training exactly (they share the noise draws); batching only removes the
    per-step overhead that dominates these small problems. The held-out loss, the
    distances of the means and the sliced Wasserstein checkpoints are those of
    [`train_gmm_denoiser`][memlab.verification.training.gmm_denoiser.train_gmm_denoiser],
    measured for each model with the same evaluation noise.

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
    test : array_like, shape (n_test, d), optional
        Held-out points; default none.
    true_means : array_like, shape (K, d), optional
        The true component means; default none.
    checkpoints : sequence of int, optional
        Epochs in [0, ``epochs``] at which the sliced Wasserstein distances are recorded;
        needs ``test``.
    n_noise_eval : int, default 8
        Fixed noise draws per point and time of the held-out and training losses.
    n_sw : int, default 1000
        DDIM samples per checkpoint.
    eval_seed : int, default 0
        Non-negative seed of the evaluation noise, the checkpoint samples and the
        projections.

    Returns
    -------
    list of GMMTrainingRun
        One run per entry of ``M_values``, in that order.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``M_values`` is empty or has an entry above N, a number is out of range,
        ``test`` or ``true_means`` do not match ``train``, ``checkpoints`` are given
        without ``test`` or outside [0, ``epochs``], or the training diverges.

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
    test, true_means, ckpts, n_noise_eval, n_sw, eval_seed = _check_evaluation(
        train, epochs, test, true_means, checkpoints, n_noise_eval, n_sw, eval_seed)
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
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: _rate(e, epochs))
    losses = np.empty((epochs, R))
    iterator = range(epochs)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=f"M={Ms}", leave=False)
    target = X.expand(n_noise, N, d).reshape(1, 1, n_noise * N, d)
    curves = [[] for _ in Ms]

    def checkpoint(epoch):          # numpy only: the training's random streams are untouched
        m_now = means.detach().numpy()
        s2_now = torch.exp(log_s2.detach()).numpy()
        if not (np.all(np.isfinite(m_now)) and np.all(np.isfinite(s2_now))):
            raise ValueError(f"lr = {lr!r} (means) or lr_variance = {lr_variance!r} makes "
                             f"the training diverge (non-finite parameters at epoch {epoch}); "
                             "use smaller learning rates")
        for r, M in enumerate(Ms):
            curves[r].append((epoch,) + _sw_point(m_now[r, :M], float(s2_now[r]), train, test,
                                                  n_sw, eval_seed))

    if 0 in ckpts:
        checkpoint(0)
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
            if e + 1 in ckpts:
                checkpoint(e + 1)
    out_means = means.detach().numpy()
    out_s2 = torch.exp(log_s2.detach()).numpy()
    if not (np.all(np.isfinite(out_means)) and np.all(np.isfinite(out_s2))):
        raise ValueError(f"lr = {lr!r} (means) or lr_variance = {lr_variance!r} makes the "
                         "training diverge (non-finite parameters); use smaller learning rates")
    out = []
    for r, M in enumerate(Ms):
        m, s2 = out_means[r, :M].copy(), float(out_s2[r])
        extra = {}
        if test is not None:
            lt = {name: denoising_loss(m, s2, pts, weighting=weighting, n_noise=n_noise_eval,
                                       seed=eval_seed, per_time=True)
                  for name, pts in (("train", train), ("test", test))}
            extra.update(train_loss_eval=float(lt["train"].mean()),
                         test_loss=float(lt["test"].mean()), loss_t=lt)
        if true_means is not None:
            near_train, near_true = mean_distances(m, train, true_means)
            extra["distances"] = {"train": near_train, "true": near_true}
        if ckpts:
            cols = np.array(curves[r], dtype=float).reshape(-1, 4)
            extra["sw_curve"] = {"epoch": cols[:, 0].astype(int), "train": cols[:, 1],
                                 "test": cols[:, 2], "ratio": cols[:, 3]}
        out.append(GMMTrainingRun(m, s2, losses[:, r].copy(), M, epochs, lr, n_noise,
                                  int(seed) if isinstance(seed, int) else -1, **extra))
    return out


def _check_evaluation(train, epochs, test, true_means, checkpoints, n_noise_eval, n_sw,
                      eval_seed):
    """The checked evaluation arguments of the training functions."""
    N, d = train.shape
    if test is not None:
        test = check_array("test", test, ndim=2)
        if test.shape[1] != d:
            raise ValueError(f"test must have dimension d = {d} like train, got shape "
                             f"{test.shape}")
    if true_means is not None:
        true_means = check_array("true_means", true_means, ndim=2)
        if true_means.shape[1] != d:
            raise ValueError(f"true_means must have dimension d = {d} like train, got shape "
                             f"{true_means.shape}")
    ckpts = set()
    if checkpoints is not None:
        items = check_sequence("checkpoints", checkpoints, "a sequence of epochs",
                               array_ndim=1)
        ckpts = {check_nonnegative_int(f"checkpoints[{i}]", c) for i, c in enumerate(items)}
        if ckpts and max(ckpts) > epochs:
            raise ValueError(f"checkpoints must be epochs in [0, epochs = {epochs}], got "
                             f"{max(ckpts)}")
        if ckpts and test is None:
            raise ValueError("checkpoints need a held-out set: pass test as well")
    n_test = 0 if test is None else test.shape[0]
    n_noise_eval = check_count("n_noise_eval", n_noise_eval,
                               max(1, MAX_SAMPLES // (max(N, n_test) * d)))
    n_sw = check_count("n_sw", n_sw, max(1, MAX_SAMPLES // d))
    eval_seed = check_nonnegative_int("eval_seed", eval_seed)
    return test, true_means, ckpts, n_noise_eval, n_sw, eval_seed


def _sw_point(means, sigma2, train, test, n_sw, seed):
    """(SW to train, SW to test, memorization ratio) of ``n_sw`` DDIM samples of one model,
    with the starting noise and the projections both seeded by ``seed``."""
    xs = ddim_sample(means, max(sigma2, np.finfo(float).tiny), n_sw, seed=seed)
    return (sliced_wasserstein(xs, train, seed=seed), sliced_wasserstein(xs, test, seed=seed),
            memorization_ratio(xs, train))


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


def sample_held_out(data: GMMData, n: int | None = None, *,
                    seed: Generator | int | None = None) -> np.ndarray:
    r"""Draw a held-out set from the same mixture as a training set (Buchanan et al. 2025, eq. 8).

    Fresh points $x = \mu_k + \sigma z$ with $k$ uniform over the K means of ``data``
    and $z \sim \mathcal N(0, I_d)$, $\sigma^2$ = ``data.sigma2``: the draw of
    [`memlab.theory.gmm.sample_gmm`][memlab.theory.gmm.sample_gmm] with the means held
    fixed. The test loss of Buchanan et al. (2025), Fig. 2 (right) is measured on such a
    set.

    Parameters
    ----------
    data : GMMData
        The training set ([`memlab.theory.gmm.sample_gmm`][memlab.theory.gmm.sample_gmm]);
        its means and variance define the mixture.
    n : int, optional
        Number of held-out points, >= 1; default the size N of the training set.
    seed : Generator, int or None
        Random seed (labels and noise).

    Returns
    -------
    numpy.ndarray, shape (n, d)
        The held-out points.

    Raises
    ------
    TypeError
        If ``data`` is not a GMMData or an argument has the wrong type.
    ValueError
        If ``n`` is out of range.

    References
    ----------
    Buchanan et al. (2025), eq. 8 and Fig. 2.

    Examples
    --------
    >>> from memlab.theory.gmm import sample_gmm
    >>> data = sample_gmm(20, 3, 2, seed=0)
    >>> sample_held_out(data, seed=1).shape, sample_held_out(data, 5, seed=1).shape
    ((20, 3), (5, 3))
    """
    check_instance("data", data, GMMData)
    N, d = data.x.shape
    n = N if n is None else check_count("n", n, max(1, MAX_SAMPLES // d))
    rng = check_rng(seed)
    labels = rng.integers(0, data.means.shape[0], size=n)
    return data.means[labels] + np.sqrt(data.sigma2) * rng.standard_normal((n, d))


def denoising_loss(means: ArrayLike, sigma2: float, x: ArrayLike, *, weighting: str = "eps",
                   n_noise: int = 8, seed: Generator | int | None = 0,
                   per_time: bool = False) -> float | np.ndarray:
    r"""The weighted denoising loss of a GMM denoiser on the points ``x``, with fixed noise.

    The training loss of
    [`train_gmm_denoiser`][memlab.verification.training.gmm_denoiser.train_gmm_denoiser]
    (Buchanan et al. 2025, eq. 3), with ``n_noise`` draws of $z$ per point and time taken
    from ``seed`` instead of fresh ones:

    $$
    L(x) = \frac1{T}\sum_{l=1}^{T} \lambda(t_l)\,\frac1{n_x n}\sum_{i, z}
    \big\|\hat x(t_l, \alpha_l x^i + \sigma_l z) - x^i\big\|^2
    $$

    over the T = 26 grid times, with $\hat x$ the posterior mean of the isotropic
    mixture with these ``means`` and variance ``sigma2``
    ([`memlab.theory.gmm.gmm_denoiser`][memlab.theory.gmm.gmm_denoiser]).
    ``sigma2 = 0`` is the limit $s^2 \to 0$, the (partially) memorizing denoiser of
    Buchanan et al. (2025), eq. 10, whose centres are ``means``
    ([`memlab.theory.gmm.empirical_denoiser`][memlab.theory.gmm.empirical_denoiser]).
    On the training points it is the training loss (estimated); on points drawn afresh
    from the mixture
    ([`sample_held_out`][memlab.verification.training.gmm_denoiser.sample_held_out]) it
    is the test loss of their Fig. 2. The same ``seed`` gives the same noise to every
    model and to two sets of the same size, so the losses of several M, or train and
    test, differ only through the models and the points. The estimate has a Monte Carlo
    error of relative order $1/\sqrt{n_x n}$ at each time.

    Cost: O(T n n_x M d) time and O(n n_x (M + d)) memory for M means.

    Parameters
    ----------
    means : array_like, shape (M, d)
        The component means (or memorized points when ``sigma2 = 0``).
    sigma2 : float
        The shared component variance, >= 0.
    x : array_like, shape (n_x, d)
        The clean points.
    weighting : str, default "eps"
        The loss weighting $\lambda(t)$
        ([`memlab.theory.gmm.loss_weighting`][memlab.theory.gmm.loss_weighting]);
        ``"eps"`` is the noise-prediction weighting the models are trained with.
    n_noise : int, default 8
        Noise draws per point and time.
    seed : Generator, int or None, default 0
        Random seed of the noise.
    per_time : bool, default False
        Return the T weighted terms $\lambda(t_l)\,E\|\hat x - x\|^2$ instead of
        their mean.

    Returns
    -------
    float or numpy.ndarray of shape (26,)
        The loss, or its per-time terms (grid times from t = 0.999 down to 0.001, as
        [`memlab.theory.schedules.reference_timesteps`][memlab.theory.schedules.reference_timesteps]).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``means`` or ``x`` is not 2-d, their dimensions differ, ``sigma2`` is
        negative, ``weighting`` is unknown or ``n_noise`` is out of range.

    References
    ----------
    Buchanan et al. (2025), eq. 3, eq. 10 and Fig. 2.

    Examples
    --------
    The memorizer has a small loss on its own points and a large one on new points:

    >>> from memlab.theory.gmm import sample_gmm
    >>> data = sample_gmm(20, 3, 2, seed=0)
    >>> test = sample_held_out(data, seed=1)
    >>> train_loss = denoising_loss(data.x, 0.0, data.x)
    >>> bool(denoising_loss(data.x, 0.0, test) > 100 * train_loss)
    True
    >>> denoising_loss(data.means, 1.0, data.x, per_time=True).shape
    (26,)
    """
    means = check_array("means", means, ndim=2)
    sigma2 = check_real("sigma2", sigma2, lo=0.0)
    x = check_array("x", x, ndim=2)
    if x.shape[1] != means.shape[1]:
        raise ValueError(f"x must have dimension {means.shape[1]} like means, got shape "
                         f"{x.shape}")
    n, d = x.shape
    n_noise = check_count("n_noise", n_noise, max(1, MAX_SAMPLES // (n * d)))
    per_time = check_bool("per_time", per_time)
    ts = reference_timesteps()
    lam = loss_weighting(weighting, ts)
    rng = check_rng(seed)
    check_allocation("x and n_noise", (n_noise * n, means.shape[0] + d))
    terms = np.empty(len(ts))
    for l, t in enumerate(ts):
        z = rng.standard_normal((n_noise, n, d))
        y = (alpha(t) * x[None] + sigma(t) * z).reshape(-1, d)
        xhat = (gmm_denoiser(t, y, means, sigma2) if sigma2 > 0
                else empirical_denoiser(t, y, means))
        err = ((xhat.reshape(n_noise, n, d) - x[None]) ** 2).sum(-1)
        terms[l] = lam[l] * err.mean()
    return terms if per_time else float(terms.mean())


def mean_distances(means: ArrayLike, train: ArrayLike,
                   true_means: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Distance of each learned mean to its nearest training point and nearest true mean.

    The mechanistic read-out of Buchanan et al. (2025), App. H.5 (Fig. 6, middle and
    right): $\min_i \|\mu_m - x^i\|$ and $\min_k \|\mu_m - \mu^*_k\|$ for every learned
    mean $\mu_m$ (Euclidean norms, exact, by broadcasting in chunks). A memorizer has
    the first at 0 and the second near $\sqrt{d\sigma^2}$ (a training point's distance
    to its centre); the generalizing denoiser has the second at 0.

    Parameters
    ----------
    means : array_like, shape (M, d)
        The learned means.
    train : array_like, shape (N, d)
        The training points.
    true_means : array_like, shape (K, d)
        The true component means.

    Returns
    -------
    tuple of two numpy.ndarray, shape (M,)
        (distance to the nearest training point, distance to the nearest true mean).

    Raises
    ------
    TypeError
        If an argument is not an array of reals.
    ValueError
        If an array is not 2-d or the dimensions differ.

    References
    ----------
    Buchanan et al. (2025), App. H.5 and Fig. 6.

    Examples
    --------
    >>> import numpy as np
    >>> to_train, to_true = mean_distances(np.array([[0.0, 0.0], [3.0, 4.0]]),
    ...                                    np.array([[0.0, 1.0], [3.0, 4.0]]),
    ...                                    np.array([[0.0, 0.0]]))
    >>> to_train.tolist(), to_true.tolist()
    ([1.0, 0.0], [0.0, 5.0])
    """
    means = check_array("means", means, ndim=2)
    train = check_array("train", train, ndim=2)
    true_means = check_array("true_means", true_means, ndim=2)
    d = means.shape[1]
    for name, arr in (("train", train), ("true_means", true_means)):
        if arr.shape[1] != d:
            raise ValueError(f"{name} must have dimension {d} like means, got shape "
                             f"{arr.shape}")

    def nearest(points):
        out = np.empty(means.shape[0])
        step = max(1, 2**22 // max(1, points.shape[0] * d))
        for i in range(0, means.shape[0], step):
            diff = means[i:i + step, None, :] - points[None, :, :]
            out[i:i + step] = np.sqrt(np.min(np.einsum("mnd,mnd->mn", diff, diff), axis=1))
        return out

    return nearest(train), nearest(true_means)


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
    n_test : int
        Size of the held-out set (0: none; the fields below are then None).
    train_loss_eval, test_loss : numpy.ndarray or None
        Weighted loss of each model on the training and on the held-out points, with
        the same fixed noise
        ([`denoising_loss`][memlab.verification.training.gmm_denoiser.denoising_loss]);
        NaN for a model trained before these were recorded; None when no model has
        them.
    loss_t : dict or None
        ``{"train": array (n_M, 26), "test": array (n_M, 26)}``: their per-time terms.
    dist_train, dist_true : numpy.ndarray or None, shape (n_M, 4)
        For each model, the first quartile, median, third quartile and mean over its
        learned means of the distance to the nearest training point and to the nearest
        true mean ([`mean_distances`][memlab.verification.training.gmm_denoiser.mean_distances]).
    sw_epochs : numpy.ndarray or None
        The checkpoint epochs of the sliced Wasserstein curves.
    sw_train, sw_test, sw_ratio : numpy.ndarray or None, shape (n_M, n_checkpoints)
        Sliced Wasserstein distance of each model's DDIM samples to the training and to
        the held-out set, and the samples' memorization ratio, at each checkpoint.
    sw_floor : float or None
        Sliced Wasserstein distance between the training and the held-out set (same
        projections): the gap a perfect copy of the training set would show.
    references : dict or None
        Losses of the reference denoisers on the same noise: ``"generalizing"`` (the
        true mixture) and ``"memorizing"`` (all N training points), arrays (2, 26) of
        per-time terms on the training (row 0) and held-out (row 1) points;
        ``"partial"``, (2, n_M, 26), the partial memorizer of the first M training
        points for each M; and the median distances ``"true_to_train"`` (true mean to
        nearest training point), ``"train_to_true"`` (training point to nearest true
        mean) and ``"train_to_train"`` (training point to nearest other one).
    train_seed : int or None
        The training seed, when it was set apart from the dataset seed.
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
    n_test: int = 0
    train_loss_eval: np.ndarray | None = None
    test_loss: np.ndarray | None = None
    loss_t: dict | None = None
    dist_train: np.ndarray | None = None
    dist_true: np.ndarray | None = None
    sw_epochs: np.ndarray | None = None
    sw_train: np.ndarray | None = None
    sw_test: np.ndarray | None = None
    sw_ratio: np.ndarray | None = None
    sw_floor: float | None = None
    references: dict | None = None
    train_seed: int | None = None

    def to_saved_dict(self) -> dict:
        """The sweep as a JSON-ready dict, as stored under ``"settings"`` in ``gmm_summary.json``.

        Returns
        -------
        dict
            Every field by name, numpy arrays as lists, also inside the dict fields (NaN
            transition points stay float NaN).
        """
        return _lists(dataclass_to_json(self))


def _lists(value):
    """``value`` with every numpy array (also inside dicts and lists) turned into lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


_SWEEP_ARRAYS = ("M", "ratio", "sigma2", "final_loss", "train_loss_eval", "test_loss",
                 "dist_train", "dist_true", "sw_epochs", "sw_train", "sw_test", "sw_ratio")


def _sweep_from_dict(entry):
    """A SweepResult from a saved dict (``to_saved_dict``, lists for arrays); keys that are
    not fields (``"predicted"``) are left out, missing optional fields take their defaults."""
    names = {f.name for f in dataclasses.fields(SweepResult)}
    fields = {k: v for k, v in entry.items() if k in names}
    for k in _SWEEP_ARRAYS:
        if fields.get(k) is not None:
            fields[k] = np.asarray(fields[k], dtype=int if k in ("M", "sw_epochs") else float)
    for k in ("start", "middle", "end"):
        fields[k] = float("nan") if fields.get(k) is None else float(fields[k])
    for k in ("loss_t", "references"):
        if isinstance(fields.get(k), dict):
            fields[k] = {key: np.asarray(v, dtype=float) if isinstance(v, list) else v
                         for key, v in fields[k].items()}
    return SweepResult(**fields)


def _quartiles(values):
    """(first quartile, median, third quartile, mean) of a list of distances."""
    v = np.asarray(values, dtype=float)
    return [*np.quantile(v, [0.25, 0.5, 0.75]).tolist(), float(v.mean())]


def _sweep_from_runs(N, d, K, done, n_eval, epochs, seed, *, n_test=0, references=None,
                     sw_floor=None, train_seed=None, warn=True):
    """The SweepResult of the saved runs ``done`` ({M: run dict}, old or new format)."""
    Ms = np.array(sorted(done))
    runs = [done[M] for M in Ms]
    rs = np.array([r["ratio"] for r in runs])
    start, middle, end = transition_points(Ms, rs)
    flags = _transition_flags(Ms, rs)
    outside = {k: v for k, v in flags.items() if v != "ok"}
    if outside and warn:
        warnings.warn(f"memorization transition of (N, d, K) = ({N}, {d}, {K}) outside the M "
                      f"grid [{Ms.min()}, {Ms.max()}]: "
                      + ", ".join(f"{k} {v.replace('_', ' ')}" for k, v in outside.items())
                      + "; reported as NaN", TransitionOutsideGridWarning, stacklevel=3)

    def column(key, width=None):
        if not any(key in r for r in runs):
            return None
        blank = np.nan if width is None else [np.nan] * width
        return np.array([r.get(key, blank) for r in runs], dtype=float)

    extra = {"n_test": n_test, "train_seed": train_seed, "sw_floor": sw_floor,
             "references": references,
             "train_loss_eval": column("train_loss_eval"), "test_loss": column("test_loss")}
    T = len(reference_timesteps())
    if any("loss_t_train" in r for r in runs):
        extra["loss_t"] = {"train": column("loss_t_train", T), "test": column("loss_t_test", T)}
    if any("dist_train" in r for r in runs):
        extra["dist_train"] = np.array([_quartiles(r["dist_train"]) if "dist_train" in r
                                        else [np.nan] * 4 for r in runs])
        extra["dist_true"] = np.array([_quartiles(r["dist_true"]) if "dist_true" in r
                                       else [np.nan] * 4 for r in runs])
    curves = [r.get("sw") for r in runs]
    epochs_sw = next((c["epoch"] for c in curves if c), None)
    if epochs_sw is not None:
        n = len(epochs_sw)

        def grid(key):
            return np.array([c[key] if c and len(c[key]) == n else [np.nan] * n
                             for c in curves], dtype=float)

        extra.update(sw_epochs=np.asarray(epochs_sw, dtype=int), sw_train=grid("train"),
                     sw_test=grid("test"), sw_ratio=grid("ratio"))
    return SweepResult(N, d, K, Ms, rs, np.array([r["sigma2"] for r in runs]),
                       np.array([r["final_loss"] for r in runs]), start, middle, end,
                       n_eval, epochs, seed, flags, **extra)


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
                       progress: bool = True, n_test: int | None = None,
                       checkpoints: Sequence[int] | None = None,
                       train_seed: int | None = None, n_noise_eval: int = 8,
                       n_sw: int = 1000) -> SweepResult:
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
    non-negative integer (it seeds the dataset and, unless ``train_seed`` is given,
    every model).

    Each model is also evaluated (Buchanan et al. 2025, Fig. 2 and App. H.5; the
    position paper (2026), Sec. 3): its weighted loss on the training points and on a
    held-out set of ``n_test`` points of the same mixture
    ([`sample_held_out`][memlab.verification.training.gmm_denoiser.sample_held_out]),
    both on the same fixed noise (seeded by ``seed``, so the same for every M); the
    distances of its means to the training points and the true means; and the sliced
    Wasserstein distances of ``n_sw`` DDIM samples to the training and held-out sets at
    the ``checkpoints``. The losses of the generalizing, memorizing and partially
    memorizing denoisers on the same noise are in ``references``. Runs resumed from a
    file of the earlier format lack these (NaN).

    Cost: one [`train_gmm_denoisers`][memlab.verification.training.gmm_denoiser.train_gmm_denoisers]
    call per batch of M (two batches for the default grid) and one
    [`ddim_sample`][memlab.verification.training.gmm_denoiser.ddim_sample] of ``n_eval``
    points per model: 2 x ``epochs`` training steps of up to 10 stacked models for the
    default grid. The evaluation adds, per model, two
    [`denoising_loss`][memlab.verification.training.gmm_denoiser.denoising_loss] calls
    and one DDIM run of ``n_sw`` samples per checkpoint (seconds at N = 200).

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
    n_test : int, optional
        Size of the held-out set, >= 0; default N; 0 skips the evaluation (no test loss,
        no references, no checkpoints).
    checkpoints : sequence of int, optional
        Epochs in [0, ``epochs``] of the sliced Wasserstein curves; default 0,
        epochs/20, epochs/10, epochs/4, epochs/2 and epochs; ``()`` records none.
    train_seed : int, optional
        Non-negative seed of the models (initial means, training noise, DDIM samples),
        set apart from the dataset seed ``seed``; default None: derived from ``seed``
        (the earlier behaviour).
    n_noise_eval : int, default 8
        Fixed noise draws per point and time of the held-out and training losses.
    n_sw : int, default 1000
        DDIM samples per model and checkpoint.

    Returns
    -------
    SweepResult
        Ratios, learned variances and final losses per M, the transition points and
        flags, and the held-out losses, distances and sliced Wasserstein curves.

    Warns
    -----
    TransitionOutsideGridWarning
        When a transition point lies outside the M grid (it is NaN, with a flag).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a number is out of range, a checkpoint lies outside [0, ``epochs``], or
        ``out_dir`` holds a file of other settings.

    References
    ----------
    Buchanan et al. (2025), sec. 4, Fig. 2 and App. H.1, H.5; the position paper (2026),
    Sec. 3.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")     # 20 epochs: the transition is not in the grid
    ...     sweep = memorization_sweep(8, 2, 2, M_values=[1, 4, 8], epochs=20, n_eval=20,
    ...                                n_sw=50, progress=False)
    >>> sweep.M.tolist(), float(sweep.ratio[-1])        # M = N: the full memorizer copies
    ([1, 4, 8], 1.0)
    >>> sweep.test_loss.shape, sweep.sw_train.shape       # 3 models, 6 checkpoints
    ((3,), (3, 6))
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
    n_test = N if n_test is None else check_nonnegative_int("n_test", n_test,
                                                            maximum=MAX_SAMPLES // d)
    if checkpoints is None:
        ckpts = sorted({0, epochs // 20, epochs // 10, epochs // 4, epochs // 2, epochs})
    else:
        items = check_sequence("checkpoints", checkpoints, "a sequence of epochs",
                               array_ndim=1)
        ckpts = sorted({check_nonnegative_int(f"checkpoints[{i}]", c)
                        for i, c in enumerate(items)})
        if ckpts and ckpts[-1] > epochs:
            raise ValueError(f"checkpoints must be epochs in [0, epochs = {epochs}], got "
                             f"{ckpts[-1]}")
    if train_seed is not None:
        train_seed = check_nonnegative_int("train_seed", train_seed)
    n_noise_eval = check_count("n_noise_eval", n_noise_eval,
                               max(1, MAX_SAMPLES // (max(N, n_test) * d)))
    n_sw = check_count("n_sw", n_sw, max(1, MAX_SAMPLES // d))
    data = sample_gmm(N, d, K, seed=seed)
    test = (sample_held_out(data, n_test, seed=np.random.default_rng([seed, 29]))
            if n_test else None)
    if not n_test:
        ckpts = []
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
                    "seed": int(seed), "memlab_version": __version__,
                    "n_test": n_test, "checkpoints": ckpts, "n_noise_eval": n_noise_eval,
                    "n_sw": n_sw}
        if train_seed is not None:
            settings["train_seed"] = train_seed
        key = settings_key(settings)
        tag = "" if train_seed is None else f"_t{train_seed}"
        path = Path(out_dir) / f"gmm_N{N}_d{d}_K{K}_s{seed}{tag}_{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            saved = read_json(path, "GMM sweep")
            if (not isinstance(saved, dict) or saved.get("key") != key
                    or saved.get("settings") != settings or not isinstance(saved.get("runs"), dict)):
                raise ValueError(f"{path} does not hold a sweep with these settings "
                                 f"(key {key}); delete it or use another out_dir")
            done = {int(k): v for k, v in saved["runs"].items()}
        elif train_seed is None:
            old = Path(out_dir) / f"gmm_N{N}_d{d}_K{K}_s{seed}.json"
            done = _legacy_runs(old, settings)
            legacy = old.name if done else None
    extra = {}
    stored_extra = path is not None and path.exists() and "sw_floor" in saved
    trained = []                               # a batch trained in this call

    def write():
        if path is None:
            return
        info = manifest(settings)
        if legacy:
            info["legacy_source"] = legacy
        atomic_write(path, json.dumps(_lists({
            "format": SWEEP_FORMAT, "key": key, "settings": settings, "manifest": info,
            "N": N, "d": d, "K": K, "seed": seed, "epochs": epochs, "lr": lr,
            "n_noise": n_noise, "n_eval": n_eval, **extra,
            "runs": {str(k): v for k, v in sorted(done.items())}}), indent=1))

    def run(batch):
        batch = [M for M in batch if M not in done]
        if not batch:
            return
        trained.append(batch)
        if train_seed is None:
            model_seed = seed * 100003 + batch[0]
        else:
            model_seed = np.random.default_rng([seed, train_seed, batch[0]])
        runs = train_gmm_denoisers(data.x, batch, epochs=epochs, lr=lr, n_noise=n_noise,
                                   seed=model_seed, progress=progress, test=test,
                                   true_means=data.means, checkpoints=ckpts,
                                   n_noise_eval=n_noise_eval, n_sw=n_sw, eval_seed=seed)
        for r in runs:
            eval_rng = (seed * 7 + r.M if train_seed is None
                        else np.random.default_rng([seed, train_seed, r.M, 7]))
            xs = ddim_sample(r.means, r.sigma2, n_eval, seed=eval_rng)
            done[r.M] = {"ratio": memorization_ratio(xs, data.x), "sigma2": r.sigma2,
                         "final_loss": float(r.loss[-20:].mean()),
                         "converged": r.converged}
            if r.distances is not None:
                done[r.M].update(dist_train=r.distances["train"].tolist(),
                                 dist_true=r.distances["true"].tolist())
            if test is not None and r.test_loss is not None:
                done[r.M].update(train_loss_eval=r.train_loss_eval, test_loss=r.test_loss)
            if test is not None and r.loss_t is not None:
                done[r.M].update(loss_t_train=r.loss_t["train"].tolist(),
                                 loss_t_test=r.loss_t["test"].tolist())
            if r.sw_curve is not None:
                done[r.M]["sw"] = _lists(r.sw_curve)
        write()

    run(grid)
    if M_values is None:                       # refine inside the transition seen on the grid
        Ms = np.array(grid)                    # (the base grid only: resuming adds nothing)
        rs = np.array([done[M]["ratio"] for M in Ms])
        lo = Ms[rs < 0.1].max(initial=1)
        hi = Ms[rs >= 0.9].min(initial=N)
        run([int(M) for M in np.unique(np.linspace(lo, hi, 8).round().astype(int))[1:-1]])
    if test is not None:
        extra["references"] = _references(data, test, sorted(done), n_noise_eval, seed)
        extra["sw_floor"] = sliced_wasserstein(data.x, test, seed=seed)
        if trained or not stored_extra:         # a fully re-used sweep is not rewritten
            write()
    return _sweep_from_runs(N, d, K, done, n_eval, epochs, seed, n_test=n_test,
                            references=extra.get("references"), sw_floor=extra.get("sw_floor"),
                            train_seed=train_seed)


def _references(data, test, Ms, n_noise, seed):
    """Per-time losses of the generalizing, memorizing and partially memorizing denoisers
    on the training and held-out points, with the evaluation noise of the trained models,
    and the median distances between training points and true means."""
    sets = (data.x, test)

    def both(means, s2):
        return np.array([denoising_loss(means, s2, pts, n_noise=n_noise, seed=seed,
                                        per_time=True) for pts in sets])

    partial = np.array([[denoising_loss(data.x[:M], 0.0, pts, n_noise=n_noise, seed=seed,
                                        per_time=True) for M in Ms] for pts in sets])
    to_train, _ = mean_distances(data.means, data.x, data.means)
    _, to_true = mean_distances(data.x, data.x, data.means)
    diff = data.x[:, None, :] - data.x[None, :, :]
    d2 = np.einsum("ijk,ijk->ij", diff, diff)
    np.fill_diagonal(d2, np.inf)
    return {"generalizing": both(data.means, data.sigma2), "memorizing": both(data.x, 0.0),
            "partial": partial, "true_to_train": float(np.median(to_train)),
            "train_to_true": float(np.median(to_true)),
            "train_to_train": float(np.median(np.sqrt(d2.min(axis=1))))}


def load_sweeps(path: str | PathLike) -> list[SweepResult]:
    """Load the sweeps saved in a JSON file: a sweep file or a ``gmm_summary.json``.

    Reads the three formats written by memlab: a sweep file of
    [`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep]
    (``gmm_N{N}_d{d}_K{K}_s{seed}_{key}.json``, with the held-out losses, distances and
    sliced Wasserstein curves of the models that have them), a sweep file of the earlier
    format (``gmm_N{N}_d{d}_K{K}_s{seed}.json``, those under ``docs/results/``: the new
    fields are None), and a summary (``gmm_summary.json`` of
    [`save_summary`][memlab.verification.training.gmm_denoiser.save_summary] or of the
    docs script: one sweep per entry of ``"settings"``). Nothing is retrained; transition
    points are recomputed from the saved ratios of a sweep file (without warnings) and
    read as saved from a summary.

    Parameters
    ----------
    path : str or path
        The JSON file.

    Returns
    -------
    list of SweepResult
        One sweep for a sweep file, one per setting for a summary.

    Raises
    ------
    TypeError
        If ``path`` is not a path.
    ValueError
        If the file does not exist, does not parse, or holds neither a sweep nor a
        summary.

    References
    ----------
    Buchanan et al. (2025), sec. 4 and App. H.

    Examples
    --------
    A sweep file of the earlier format (no held-out losses):

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "gmm_N10_d2_K2_s0.json"
    >>> runs = {str(M): {"ratio": r, "sigma2": 0.5, "final_loss": 3.0}
    ...         for M, r in ((2, 0.0), (6, 0.4), (10, 1.0))}
    >>> _ = path.write_text(json.dumps({"N": 10, "d": 2, "K": 2, "seed": 0, "epochs": 4000,
    ...                                 "lr": 0.01, "n_noise": 4, "n_eval": 200,
    ...                                 "runs": runs}))
    >>> (sweep,) = load_sweeps(path)
    >>> sweep.M.tolist(), round(sweep.middle, 6), sweep.test_loss is None
    ([2, 6, 10], 6.666667, True)
    """
    path = Path(check_path("path", path))
    if not path.is_file():
        raise ValueError(f"path must be an existing JSON file, got {str(path)!r}")
    saved = read_json(path, "GMM sweep or summary")
    if isinstance(saved, dict) and isinstance(saved.get("settings"), list):
        return [_sweep_from_dict(entry) for entry in saved["settings"]]
    if isinstance(saved, dict) and isinstance(saved.get("runs"), dict):
        try:
            done = {int(k): v for k, v in saved["runs"].items()}
            settings = saved.get("settings") or {}
            return [_sweep_from_runs(
                int(saved["N"]), int(saved["d"]), int(saved["K"]), done, int(saved["n_eval"]),
                int(saved["epochs"]), int(saved["seed"]), n_test=int(settings.get("n_test", 0)),
                references=saved.get("references") and {
                    k: np.asarray(v, dtype=float) if isinstance(v, list) else v
                    for k, v in saved["references"].items()},
                sw_floor=saved.get("sw_floor"), train_seed=settings.get("train_seed"),
                warn=False)]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path} is not a valid GMM sweep file ({exc})") from None
    raise ValueError(f"{path} holds neither a GMM sweep (a 'runs' entry) nor a summary "
                     "(a 'settings' list)")


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


# ----------------------------------------------------------------------------
# Held-out losses, learned parameters, sliced Wasserstein curves (figures)
# ----------------------------------------------------------------------------


def _mark_transition(ax, sweep, label=True):
    """Grey band from the start to the end of the transition, dash-dotted line at M_mem."""
    if np.isfinite(sweep.start) and np.isfinite(sweep.end):
        ax.axvspan(sweep.start, sweep.end, color="0.85", zorder=0,
                   label="transition (ratio 0.1 to 0.9)" if label else None)
    if np.isfinite(sweep.middle):
        ax.axvline(sweep.middle, color="k", ls="-.", lw=0.9,
                   label=f"$M_{{mem}}$ = {sweep.middle:.1f} (ratio 1/2)" if label else None)
    elif sweep.flags.get("middle") in ("below_grid", "not_reached"):
        where = "below" if sweep.flags["middle"] == "below_grid" else "above"
        ax.text(0.02, 0.98, f"$M_{{mem}}$ {where} the M grid", transform=ax.transAxes,
                ha="left", va="top", fontsize=8, color="0.3")


def _setting_line(sweep):
    seeds = (f"data seed {sweep.seed}" + ("" if sweep.train_seed is None
                                          else f", training seed {sweep.train_seed}"))
    return f"N = {sweep.N}, d = {sweep.d}, K = {sweep.K}; {sweep.epochs} epochs; {seeds}"


def _time_index(t):
    """The grid index nearest ``t`` (None: the grid average)."""
    if t is None:
        return None
    t = check_real("t", t, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    return int(np.argmin(np.abs(reference_timesteps() - t)))


def _pick(per_t, idx, weighting="eps"):
    """The grid average of per-time weighted terms (idx None), or the plain MSE at one time."""
    per_t = np.asarray(per_t, dtype=float)
    if idx is None:
        return per_t.mean(-1)
    return per_t[..., idx] / loss_weighting(weighting, reference_timesteps())[idx]


def _loss_label(idx):
    if idx is None:
        return "weighted loss, grid average ($\\lambda = \\alpha_t^2/\\sigma_t^2$)"
    t = reference_timesteps()[idx]
    return f"MSE $E\\|\\hat x - x\\|^2$ at t = {t:.3f} ($\\psi_t$ = {float(snr(t)):.3f})"


def plot_losses_vs_M(sweep: SweepResult, *, t: float | None = 0.36028,
                     fig: Figure | None = None) -> Figure:
    r"""Training and held-out loss of the trained models against M (Buchanan et al. 2025, Fig. 2).

    Left: the loss of each trained model on its training points; right: on the held-out
    points (the training loss is repeated there in grey, so the point where the test loss
    rises above it is visible). Both use the same fixed noise
    ([`denoising_loss`][memlab.verification.training.gmm_denoiser.denoising_loss]), next to
    the same loss of the generalizing denoiser (the true mixture), of the memorizing
    denoiser (all N training points) and of the partial memorizer of M training points
    (Buchanan et al. 2025, eqs. 7-10, Monte Carlo on the same noise). The grey band is the
    memorization transition (ratio 0.1 to 0.9), the dash-dotted line $M_{\rm mem}$.
    With ``t`` the panels show the plain MSE $E\|\hat x(t, x_t) - x\|^2$ at the grid time
    nearest ``t`` (default $t \approx 0.360$, $\psi_t = 6.704$, the time of the paper's
    figure); with ``t=None`` the weighted grid average the models are trained on.

    Parameters
    ----------
    sweep : SweepResult
        A sweep with held-out losses
        ([`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep]
        with ``n_test > 0``); without them only the training loss (``final_loss``, for
        ``t=None``) is drawn.
    t : float or None, default 0.36028
        VP time in (0, 1) of the panels, or None for the grid average.
    fig : matplotlib Figure, optional
        Where to draw (two panels are added); default a new Figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, or the new figure.

    Raises
    ------
    TypeError
        If ``sweep`` is not a SweepResult, ``t`` not a number or ``fig`` not a Figure.
    ValueError
        If ``t`` is outside (0, 1).

    References
    ----------
    Buchanan et al. (2025), Fig. 2 (middle and right) and eqs. 7-10.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     sweep = memorization_sweep(8, 2, 2, M_values=[2, 8], epochs=5, n_eval=10,
    ...                                checkpoints=(), progress=False)
    >>> fig = plot_losses_vs_M(sweep)
    >>> [ax.get_title() for ax in fig.axes]
    ['training set (N = 8)', 'held-out set (8 points)']
    """
    from memlab.verification._plotting import figure_for

    check_instance("sweep", sweep, SweepResult)
    idx = _time_index(t)
    fig = figure_for(fig, figsize=(11.0, 4.3))
    left, right = fig.subplots(1, 2, sharey=True)
    M = np.asarray(sweep.M, dtype=float)
    trained_train = trained_test = None
    if sweep.loss_t is not None:
        trained_train = _pick(sweep.loss_t["train"], idx)
        trained_test = _pick(sweep.loss_t["test"], idx)
    elif idx is None:
        trained_train = np.asarray(sweep.final_loss, dtype=float)
    refs = sweep.references or {}
    shown = []                                  # values that set the y range
    for col, ax in enumerate((left, right)):
        _mark_transition(ax, sweep, label=col == 0)
        if "generalizing" in refs:
            gen, mem = _pick(refs["generalizing"], idx), _pick(refs["memorizing"], idx)
            part = _pick(refs["partial"], idx)
            ax.axhline(gen[col], color="tab:green", ls="--", lw=1.2,
                       label="generalizing denoiser (true mixture)")
            ax.axhline(mem[col], color="tab:red", ls=":", lw=1.4,
                       label="memorizing denoiser (all N training points)")
            shown += [gen[col]] + ([mem[col]] if col == 1 else [])
            if part.shape[-1] == M.size:
                ax.plot(M, part[col], "s--", ms=3, color="tab:purple", lw=0.9,
                        label="partial memorizer of M training points")
                shown += list(part[col][M < sweep.N])
        ax.set_xlabel("number of components M")
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="major")
    if trained_train is not None:
        left.plot(M, trained_train, "o-", ms=4, color="tab:blue",
                  label="trained model on its training set")
        shown += list(trained_train[M < sweep.N])
    if trained_test is not None:
        right.plot(M, trained_train, "o-", ms=3, color="0.6", lw=0.9,
                   label="trained model on its training set (repeated)")
        right.plot(M, trained_test, "o-", ms=4, color="tab:orange",
                   label="trained model on the held-out set")
        shown += list(trained_test)
    else:
        right.text(0.5, 0.5, "no held-out loss recorded", transform=right.transAxes,
                   ha="center", va="center", fontsize=9, color="0.4")
    shown = np.array([v for v in shown if np.isfinite(v) and v > 0])
    if shown.size:
        lo, hi = 0.3 * shown.min(), 3.0 * shown.max()
        left.set_ylim(lo, hi)
        below = []
        if "memorizing" in refs and _pick(refs["memorizing"], idx)[0] < lo:
            below.append(f"memorizing denoiser {_pick(refs['memorizing'], idx)[0]:.1e}")
        if trained_train is not None:
            below += [f"trained model at M = {m:g}: {v:.1e}" for m, v in zip(M, trained_train)
                      if v < lo]
        if below:
            left.annotate("below the axis: " + "; ".join(below), xy=(0.98, 0.02),
                          xycoords="axes fraction", ha="right", va="bottom", fontsize=7,
                          color="0.25")
    left.set_ylabel(_loss_label(idx))
    left.set_title(f"training set (N = {sweep.N})", fontsize=10)
    right.set_title(f"held-out set ({sweep.n_test} points)" if sweep.n_test
                    else "held-out set", fontsize=10)
    handles, labels = [], []
    for ax in (left, right):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7)
    fig.suptitle("Train and held-out loss of trained GMM denoisers (Buchanan et al. 2025, "
                 f"Fig. 2)\n{_setting_line(sweep)}; same fixed noise for every model",
                 fontsize=9)
    return fig


def plot_learned_parameters(sweep: SweepResult, *, fig: Figure | None = None) -> Figure:
    r"""Learned variance and the positions of the learned means against M (Buchanan et al. 2025, Fig. 6).

    Three panels: the learned variance $s^2$ (the true $\sigma^2$ dashed); the distance
    of a learned mean to its nearest training point; and to its nearest true mean. The
    distances are summarised over the M means of each model: median (line), quartiles
    (band) and mean (open circles). Reference lines: 0, what the memorizer has in the
    middle panel and the generalizing denoiser in the right one; the median distance of
    a true mean to its nearest training point (middle: where means at the true centres
    would sit); the median distance of a training point to its nearest true mean (right:
    where means at the training points would sit). The grey band and the dash-dotted line
    mark the transition and $M_{\rm mem}$.

    Parameters
    ----------
    sweep : SweepResult
        A sweep with distances
        ([`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep]);
        without them only the variance is drawn.
    fig : matplotlib Figure, optional
        Where to draw (three panels are added); default a new Figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, or the new figure.

    Raises
    ------
    TypeError
        If ``sweep`` is not a SweepResult or ``fig`` not a Figure.

    References
    ----------
    Buchanan et al. (2025), App. H.5 and Fig. 6.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     sweep = memorization_sweep(8, 2, 2, M_values=[2, 8], epochs=5, n_eval=10,
    ...                                checkpoints=(), progress=False)
    >>> len(plot_learned_parameters(sweep).axes)
    3
    """
    from memlab.verification._plotting import figure_for

    check_instance("sweep", sweep, SweepResult)
    fig = figure_for(fig, figsize=(13.0, 4.0))
    axes = fig.subplots(1, 3)
    M = np.asarray(sweep.M, dtype=float)
    refs = sweep.references or {}
    ax = axes[0]
    _mark_transition(ax, sweep)
    ax.plot(M, sweep.sigma2, "o-", ms=4, color="tab:blue", label="learned $s^2$")
    ax.axhline(1.0, color="tab:green", ls="--", lw=1.2, label="true $\\sigma^2$ = 1")
    ax.set_yscale("log")
    ax.set_ylabel("learned variance $s^2$")
    ax.set_title("learned variance", fontsize=10)
    panels = ((axes[1], sweep.dist_train, "nearest training point",
               [(0.0, "memorizer (means at training points)", "tab:red", ":"),
                (refs.get("true_to_train"), "true mean to nearest training point",
                 "tab:green", "--")]),
              (axes[2], sweep.dist_true, "nearest true mean",
               [(0.0, "generalizing denoiser (means at the true means)", "tab:green", "--"),
                (refs.get("train_to_true"), "training point to nearest true mean",
                 "tab:red", ":")]))
    for ax, q, what, lines in panels:
        _mark_transition(ax, sweep, label=False)
        if q is None:
            ax.text(0.5, 0.5, "no distances recorded", transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color="0.4")
        else:
            q = np.asarray(q, dtype=float)
            ax.fill_between(M, q[:, 0], q[:, 2], color="tab:blue", alpha=0.25,
                            label="quartiles over the M means")
            ax.plot(M, q[:, 1], "o-", ms=4, color="tab:blue", label="median")
            ax.plot(M, q[:, 3], "o", ms=5, mfc="none", color="tab:blue", label="mean")
        for value, label, colour, ls in lines:
            if value is not None:
                ax.axhline(value, color=colour, ls=ls, lw=1.2, label=label)
        ax.set_ylabel("Euclidean distance")
        ax.set_title(f"learned mean to its {what}", fontsize=10)
    for ax in axes:
        ax.set_xlabel("number of components M")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle("Learned parameters of trained GMM denoisers (Buchanan et al. 2025, "
                 f"App. H.5, Fig. 6)\n{_setting_line(sweep)}", fontsize=9)
    return fig


def plot_sw_curves(sweep: SweepResult, *, fig: Figure | None = None) -> Figure:
    r"""Sliced Wasserstein distance of the samples to the training and held-out sets.

    Left: along training, for up to five models (colours), the sliced Wasserstein
    distance of ``n_sw`` DDIM samples to the training set (solid) and to the held-out
    set (dashed), with the distance between the two sets (grey dotted: the largest gap a
    copy of the training set can show). Right: the same two distances at the last
    checkpoint against M, with the transition band and $M_{\rm mem}$. The position paper
    (2026), Sec. 3 finds the two curves indistinguishable in image models, whether the
    model copies or not; here the gap is at most the train-to-held-out distance (triangle
    inequality).

    Parameters
    ----------
    sweep : SweepResult
        A sweep with checkpoints
        ([`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep]);
        without them the panels say so.
    fig : matplotlib Figure, optional
        Where to draw (two panels are added); default a new Figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, or the new figure.

    Raises
    ------
    TypeError
        If ``sweep`` is not a SweepResult or ``fig`` not a Figure.

    References
    ----------
    The position paper (2026), Sec. 3; Buchanan et al. (2025), App. H.2 (the sampler).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     sweep = memorization_sweep(8, 2, 2, M_values=[2, 8], epochs=5, n_eval=10,
    ...                                n_sw=50, progress=False)
    >>> fig = plot_sw_curves(sweep)
    >>> fig.axes[0].get_xlabel()
    'training epoch'
    """
    import matplotlib

    from memlab.verification._plotting import figure_for

    check_instance("sweep", sweep, SweepResult)
    fig = figure_for(fig, figsize=(11.0, 4.3))
    left, right = fig.subplots(1, 2)
    if sweep.sw_epochs is None or sweep.sw_train is None:
        for ax in (left, right):
            ax.text(0.5, 0.5, "no sliced Wasserstein checkpoints recorded",
                    transform=ax.transAxes, ha="center", va="center", fontsize=9, color="0.4")
    else:
        ep = np.asarray(sweep.sw_epochs, dtype=float)
        tr, te = np.asarray(sweep.sw_train, float), np.asarray(sweep.sw_test, float)
        M = np.asarray(sweep.M)
        pick = sorted(set(np.linspace(0, M.size - 1, min(5, M.size)).round().astype(int)))
        cmap = matplotlib.colormaps["viridis"]
        for j, i in enumerate(pick):
            colour = cmap(0.9 * j / max(1, len(pick) - 1))
            left.plot(ep, tr[i], "o-", ms=3, color=colour, label=f"M = {M[i]}")
            left.plot(ep, te[i], "o--", ms=3, color=colour, mfc="none")
        left.plot([], [], "k-", label="to the training set")
        left.plot([], [], "k--", label="to the held-out set")
        positive = ep[ep > 0]
        left.set_xscale("symlog", linthresh=float(positive.min()) if positive.size else 1.0)
        left.set_xlabel("training epoch")
        left.set_title("along training", fontsize=10)
        _mark_transition(right, sweep)
        right.plot(M, tr[:, -1], "o-", ms=4, color="tab:blue", label="to the training set")
        right.plot(M, te[:, -1], "s--", ms=4, color="tab:orange", mfc="none",
                   label="to the held-out set")
        right.set_xlabel("number of components M")
        right.set_title(f"after training (epoch {int(ep[-1])})", fontsize=10)
        for ax in (left, right):
            if sweep.sw_floor is not None:
                ax.axhline(sweep.sw_floor, color="0.5", ls=":", lw=1.2,
                           label="training set to held-out set")
            ax.set_ylabel("sliced Wasserstein distance $SW_2$")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle("Sliced Wasserstein distance of DDIM samples to the training and held-out "
                 f"sets (the position paper (2026), Sec. 3)\n{_setting_line(sweep)}; the "
                 "same starting noise and projections at every checkpoint", fontsize=9)
    return fig


# ----------------------------------------------------------------------------
# Stability over seeds (Buchanan et al. 2025, App. H.5, Fig. 7)
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedSpread(Result):
    """The spread of one setting's sweep over data and training seeds, made by
    [`seed_spread`][memlab.verification.training.gmm_denoiser.seed_spread] or
    [`summarize_seeds`][memlab.verification.training.gmm_denoiser.summarize_seeds].

    Attributes
    ----------
    N, d, K : int
        The setting.
    M : numpy.ndarray
        The M grid shared by every sweep.
    pairs : tuple of (int, int or None)
        (data seed, training seed) of each sweep, in the row order of the arrays.
    ratio, sigma2, final_loss : numpy.ndarray, shape (S, n_M)
        Memorization ratio, learned variance and final training loss of every sweep.
    train_loss, test_loss : numpy.ndarray or None, shape (S, n_M)
        Weighted loss on the training and held-out points (fixed noise); None when a
        sweep lacks them.
    train_loss_t, test_loss_t : numpy.ndarray or None, shape (S, n_M, 26)
        Their per-time terms.
    transitions : tuple of tuples
        (start, M_mem, end) of each sweep; None where the level is outside the grid.
    stats : dict
        For each of ``"ratio"``, ``"sigma2"``, ``"final_loss"``, ``"train_loss"`` and
        ``"test_loss"``: ``{"mean", "std", "min", "max"}`` arrays over the sweeps (std
        with ddof = 1, 0 for one sweep); for ``"start"``, ``"M_mem"``, ``"end"`` and
        ``"M_mem/N"``: the same four numbers over the sweeps where the level was reached
        and ``"n"``, their count (the numbers are None when n = 0).
    epochs, n_eval : int
        Training epochs and DDIM samples per model.
    """

    N: int
    d: int
    K: int
    M: np.ndarray
    pairs: tuple
    ratio: np.ndarray
    sigma2: np.ndarray
    final_loss: np.ndarray
    train_loss: np.ndarray | None
    test_loss: np.ndarray | None
    train_loss_t: np.ndarray | None
    test_loss_t: np.ndarray | None
    transitions: tuple
    stats: dict
    epochs: int
    n_eval: int


def _spread(values):
    """{"mean", "std", "min", "max"} over axis 0 (std with ddof 1; 0 for one row)."""
    v = np.asarray(values, dtype=float)
    std = v.std(axis=0, ddof=1) if v.shape[0] > 1 else np.zeros(v.shape[1:])
    return {"mean": v.mean(axis=0), "std": std, "min": v.min(axis=0), "max": v.max(axis=0)}


def _spread_of_points(values):
    """The spread of the finite numbers among ``values`` (None where none is finite)."""
    v = np.array([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "min": float(v.min()), "max": float(v.max()), "n": int(v.size)}


def summarize_seeds(sweeps: Sequence[SweepResult]) -> SeedSpread:
    """The spread of the losses and of M_mem over sweeps of one setting (Buchanan et al. 2025, Fig. 7).

    The sweeps must share (N, d, K) and the M grid (pass the same ``M_values`` to
    [`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep]);
    they differ by their data seed (``seed``) and training seed (``train_seed``). For
    every M the mean, standard deviation (ddof = 1), minimum and maximum over the sweeps
    of the memorization ratio, learned variance and losses, and the same four numbers
    for the transition points over the sweeps where they were reached (None for a point
    reached by none).

    Parameters
    ----------
    sweeps : sequence of SweepResult
        At least one sweep; same (N, d, K) and M grid.

    Returns
    -------
    SeedSpread
        The per-sweep arrays and their spread.

    Raises
    ------
    TypeError
        If ``sweeps`` is not a sequence of SweepResult.
    ValueError
        If it is empty or the sweeps differ in (N, d, K) or in their M grid.

    References
    ----------
    Buchanan et al. (2025), App. H.5 and Fig. 7.

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> one = SweepResult(20, 10, 2, np.array([10, 16, 20]), np.array([0.0, 0.5, 1.0]),
    ...                   np.ones(3), np.ones(3), 11.0, 16.0, 19.0, 200, 4000, 0)
    >>> two = dataclasses.replace(one, ratio=np.array([0.0, 0.3, 1.0]), middle=17.0, seed=1)
    >>> spread = summarize_seeds([one, two])
    >>> spread.stats["M_mem"]["mean"], spread.stats["ratio"]["max"].tolist()
    (16.5, [0.0, 0.5, 1.0])
    """
    sweeps = check_instances("sweeps", sweeps, SweepResult)
    first = sweeps[0]
    for i, s in enumerate(sweeps):
        if (s.N, s.d, s.K) != (first.N, first.d, first.K):
            raise ValueError(f"sweeps[{i}] has (N, d, K) = {(s.N, s.d, s.K)}, not "
                             f"{(first.N, first.d, first.K)} like sweeps[0]")
        if not np.array_equal(np.asarray(s.M), np.asarray(first.M)):
            raise ValueError(f"sweeps[{i}] has the M grid {np.asarray(s.M).tolist()}, not "
                             f"{np.asarray(first.M).tolist()} like sweeps[0]")

    def stack(name):
        values = [getattr(s, name) for s in sweeps]
        if any(v is None for v in values):
            return None
        arr = np.array(values, dtype=float)
        return None if not np.all(np.isfinite(arr)) else arr

    def stack_t(which):
        values = [None if s.loss_t is None else s.loss_t[which] for s in sweeps]
        if any(v is None for v in values):
            return None
        arr = np.array(values, dtype=float)
        return None if not np.all(np.isfinite(arr)) else arr

    arrays = {name: stack(name) for name in ("ratio", "sigma2", "final_loss")}
    arrays["train_loss"], arrays["test_loss"] = stack("train_loss_eval"), stack("test_loss")
    stats = {name: _spread(v) for name, v in arrays.items() if v is not None}
    points = [tuple(None if not np.isfinite(v) else float(v) for v in (s.start, s.middle, s.end))
              for s in sweeps]
    for j, name in enumerate(("start", "M_mem", "end")):
        stats[name] = _spread_of_points([p[j] for p in points])
    stats["M_mem/N"] = _spread_of_points([None if p[1] is None else p[1] / first.N
                                          for p in points])
    epochs = {s.epochs for s in sweeps}
    n_eval = {s.n_eval for s in sweeps}
    return SeedSpread(first.N, first.d, first.K, np.asarray(first.M).copy(),
                      tuple((int(s.seed), s.train_seed) for s in sweeps), arrays["ratio"],
                      arrays["sigma2"], arrays["final_loss"], arrays["train_loss"],
                      arrays["test_loss"], stack_t("train"), stack_t("test"), tuple(points),
                      stats, epochs.pop() if len(epochs) == 1 else -1,
                      n_eval.pop() if len(n_eval) == 1 else -1)


def seed_spread(N: int, d: int, K: int, *, data_seeds: Sequence[int] = (0, 1, 2),
                train_seeds: Sequence[int] = (0, 1), M_values: ArrayLike | None = None,
                epochs: int = 4000, lr: float = 1e-2, n_noise: int = 4, n_eval: int = 200,
                out_dir: str | PathLike | None = None, n_sw: int = 1000,
                progress: bool = False) -> SeedSpread:
    """Run one setting over several data and training seeds and report the spread (Buchanan et al. 2025, Fig. 7).

    One [`memorization_sweep`][memlab.verification.training.gmm_denoiser.memorization_sweep]
    per (data seed, training seed) pair, all on the same M grid (no refinement, so that
    the sweeps line up), each with its held-out losses and sliced Wasserstein
    checkpoints (the sweeps' defaults); the spread is
    [`summarize_seeds`][memlab.verification.training.gmm_denoiser.summarize_seeds]. A
    data seed draws the training set, its true means and the held-out set; a training
    seed the initial means, the training noise and the DDIM samples. Buchanan et al.
    (2025), Fig. 7 repeat their experiment with three seeds and find tiny error bars.

    Cost: ``len(data_seeds) * len(train_seeds)`` sweeps of one batch of ``M_values``
    each (with ``out_dir`` each is saved and resumed like a single sweep).

    Parameters
    ----------
    N : int
        Training points.
    d : int
        Dimension.
    K : int
        Number of clusters, K <= N.
    data_seeds : sequence of int, default (0, 1, 2)
        Non-negative dataset seeds, not empty.
    train_seeds : sequence of int, default (0, 1)
        Non-negative training seeds, not empty.
    M_values : array_like of int, optional
        The shared M grid; default N/10, 2N/10, ..., N plus 0.65 N, 0.75 N, 0.85 N and
        0.95 N (rounded).
    epochs : int, default 4000
        Training epochs per model.
    lr : float, default 0.01
        Peak learning rate of the means.
    n_noise : int, default 4
        Noise draws per point and time per epoch.
    n_eval : int, default 200
        DDIM samples per model for the memorization ratio.
    out_dir : str or path, optional
        Where the sweeps are saved and resumed.
    n_sw : int, default 1000
        DDIM samples per model and checkpoint of the sliced Wasserstein curves.
    progress : bool, default False
        Show tqdm progress bars.

    Returns
    -------
    SeedSpread
        Every sweep's ratios, losses and transition points, and their spread.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a number is out of range or a seed list is empty.

    References
    ----------
    Buchanan et al. (2025), App. H.5 and Fig. 7.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")     # 5 epochs: the transition is not in the grid
    ...     spread = seed_spread(8, 2, 2, data_seeds=[0, 1], train_seeds=[0], M_values=[2, 8],
    ...                          epochs=5, n_eval=10, n_sw=50)
    >>> spread.pairs, spread.test_loss.shape
    (((0, 0), (1, 0)), (2, 2))
    """
    N, d, K = check_NdK(N, d, K)
    seeds = {}
    for name, value in (("data_seeds", data_seeds), ("train_seeds", train_seeds)):
        items = check_sequence(name, value, "a sequence of non-negative integers",
                               array_ndim=1)
        if not items:
            raise ValueError(f"{name} must not be empty")
        seeds[name] = [check_nonnegative_int(f"{name}[{i}]", v) for i, v in enumerate(items)]
    if M_values is None:
        step = max(1, N // 10)
        grid = {step * i for i in range(1, 11)} | {round(f * N) for f in (0.65, 0.75, 0.85,
                                                                          0.95)}
        M_values = sorted(min(N, max(1, int(M))) for M in grid)
    else:
        M_values = [check_positive_int(f"M_values[{i}]", M) for i, M in
                    enumerate(check_array("M_values", M_values, ndim=1))]
    sweeps = [memorization_sweep(N, d, K, M_values=M_values, epochs=epochs, lr=lr,
                                 n_noise=n_noise, n_eval=n_eval, seed=ds, out_dir=out_dir,
                                 progress=progress, train_seed=ts, n_sw=n_sw)
              for ds in seeds["data_seeds"] for ts in seeds["train_seeds"]]
    return summarize_seeds(sweeps)


def plot_seed_spread(spread: SeedSpread, *, t: float | None = None,
                     fig: Figure | None = None) -> Figure:
    r"""Memorization ratio and train and held-out losses against M over seeds (Buchanan et al. 2025, Fig. 7).

    Three panels: the memorization ratio, the training loss and the held-out loss of
    every (data seed, training seed) pair (thin lines), their mean (thick) and the band
    from their minimum to their maximum. The grey band is the range of $M_{\rm mem}$
    over the seeds, the dash-dotted line its mean.

    Parameters
    ----------
    spread : SeedSpread
        The spread ([`seed_spread`][memlab.verification.training.gmm_denoiser.seed_spread]).
    t : float or None, default None
        None: the weighted grid-average losses; a VP time in (0, 1): the plain MSE at
        the nearest grid time (as
        [`plot_losses_vs_M`][memlab.verification.training.gmm_denoiser.plot_losses_vs_M]).
    fig : matplotlib Figure, optional
        Where to draw (three panels are added); default a new Figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, or the new figure.

    Raises
    ------
    TypeError
        If ``spread`` is not a SeedSpread, ``t`` not a number or ``fig`` not a Figure.
    ValueError
        If ``t`` is outside (0, 1).

    References
    ----------
    Buchanan et al. (2025), App. H.5 and Fig. 7.

    Examples
    --------
    >>> import numpy as np
    >>> one = SweepResult(20, 10, 2, np.array([10, 16, 20]), np.array([0.0, 0.5, 1.0]),
    ...                   np.ones(3), np.ones(3), 11.0, 16.0, 19.0, 200, 4000, 0)
    >>> fig = plot_seed_spread(summarize_seeds([one]))
    >>> len(fig.axes)
    3
    """
    from memlab.verification._plotting import figure_for

    check_instance("spread", spread, SeedSpread)
    idx = _time_index(t)
    fig = figure_for(fig, figsize=(13.0, 4.0))
    axes = fig.subplots(1, 3)
    M = np.asarray(spread.M, dtype=float)

    def losses(which):
        per_t = spread.train_loss_t if which == "train" else spread.test_loss_t
        if idx is not None:
            return None if per_t is None else _pick(per_t, idx)
        return spread.train_loss if which == "train" else spread.test_loss

    mm = spread.stats.get("M_mem", {})
    panels = ((axes[0], spread.ratio, "memorization ratio (fraction of copies)",
               "memorization ratio", "tab:blue"),
              (axes[1], losses("train"), _loss_label(idx), "training loss", "tab:blue"),
              (axes[2], losses("test"), _loss_label(idx), "held-out loss", "tab:orange"))
    for ax, values, ylabel, title, colour in panels:
        if mm.get("n"):
            ax.axvspan(mm["min"], mm["max"], color="0.85", zorder=0,
                       label=f"$M_{{mem}}$ range over {mm['n']} sweeps")
            ax.axvline(mm["mean"], color="k", ls="-.", lw=0.9,
                       label=f"mean $M_{{mem}}$ = {mm['mean']:.2f} ± {mm['std']:.2f} (std)")
        if values is None:
            ax.text(0.5, 0.5, "not recorded", transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color="0.4")
        else:
            values = np.asarray(values, dtype=float)
            for row in values:
                ax.plot(M, row, "-", lw=0.6, color=colour, alpha=0.45)
            ax.fill_between(M, values.min(axis=0), values.max(axis=0), color=colour,
                            alpha=0.2, label="min to max over the seeds")
            ax.plot(M, values.mean(axis=0), "o-", ms=3.5, lw=1.6, color=colour,
                    label=f"mean of {values.shape[0]} sweeps (thin: each)")
            if ax is not axes[0]:
                ax.set_yscale("log")
        ax.set_xlabel("number of components M")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left" if ax is axes[1] else "upper left")
    axes[0].set_ylim(-0.03, 1.03)
    ds = sorted({p[0] for p in spread.pairs})
    ts = sorted({p[1] for p in spread.pairs if p[1] is not None})
    fig.suptitle("Stability over seeds (Buchanan et al. 2025, Fig. 7): "
                 f"N = {spread.N}, d = {spread.d}, K = {spread.K}, {spread.epochs} epochs, "
                 f"{spread.n_eval} DDIM samples per model; data seeds {ds}, training seeds "
                 f"{ts}", fontsize=9)
    return fig
