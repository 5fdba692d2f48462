r"""Trained M-component GMM denoisers and the memorization transition M_mem (seed 001 sec. 4, App. H).

The denoiser is the posterior mean of an isotropic mixture with M trainable
means $\mu_1..\mu_M$ and one shared trainable variance $s^2$
(seed 001 eq. 11; [`memlab.theory.gmm.gmm_denoiser`][memlab.theory.gmm.gmm_denoiser] with ``means``, ``sigma2``).
Following seed 001 App. H.1 it is trained from the *partial memorization
initialisation* (means at M distinct training points, $s^2 = 10^{-6}$)
with full-batch Adam, a linear warm-up over the first tenth of the epochs and
a linear decay (to 1/100 of the peak), on the noise-prediction loss
$\lambda(t) = \alpha_t^2/\sigma_t^2$ averaged over seed 001's 26-point
VP grid, with fresh Gaussian noise draws each epoch.

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
the measured M_mem (seed 001 App. H.3), and [`save_summary`][memlab.verification.training.gmm_denoiser.save_summary] writes a
sweep's ``gmm_summary.json`` and figure. torch is imported only by the
training functions themselves.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from memlab._results import Result
from memlab._validation import (
    check_allocation,
    check_array,
    check_instance,
    check_instances,
    check_sequence,
    check_NdK,
    check_nonnegative_int,
    check_path,
    check_positive_int,
    check_positive_real,
    check_real,
    check_rng,
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

#: Upper bound on ``n_samples`` of [`ddim_sample`][memlab.verification.training.gmm_denoiser.ddim_sample], on ``n_noise * N * d`` per epoch and
#: on ``epochs``.
MAX_SAMPLES = 10**8

__all__ = ["GMMTrainingRun", "train_gmm_denoiser", "train_gmm_denoisers", "ddim_sample", "SweepResult",
           "memorization_sweep", "transition_points", "TransitionOutsideGridWarning",
           "linear_law", "predicted_crossovers",
           "CalibratedWeighting", "calibrate_weighting", "plot_memorization_ratio", "save_summary"]


@dataclass(frozen=True)
class GMMTrainingRun(Result):
    """One trained denoiser: learned ``means`` (M, d), ``sigma2``, the weighted
    training ``loss`` per epoch (eps weighting, averaged over the grid), and its
    settings (``M``, ``epochs``, ``lr``, ``n_noise``, ``seed``)."""

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


def train_gmm_denoiser(train, M, *, epochs=4000, lr=1e-2, lr_variance=0.2, n_noise=4,
                       weighting="eps", init_variance=1e-6, beta2=0.99, seed=0,
                       progress=False) -> GMMTrainingRun:
    r"""Train an M-component isotropic GMM denoiser on the points ``train`` (N, d).

    Loss (seed 001 eq. 3 with the noise-prediction weighting):
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
    """
    train = check_array("train", train, ndim=2)
    M = check_positive_int("M", M)
    if M > train.shape[0]:
        raise ValueError(f"M must be <= N = {train.shape[0]} (partial memorization init), "
                         f"got {M}")
    return train_gmm_denoisers(train, [M], epochs=epochs, lr=lr, lr_variance=lr_variance,
                               n_noise=n_noise, weighting=weighting, init_variance=init_variance,
                               beta2=beta2, seed=seed, progress=progress)[0]


def train_gmm_denoisers(train, M_values, *, epochs=4000, lr=1e-2, lr_variance=0.2, n_noise=4,
                        weighting="eps", init_variance=1e-6, beta2=0.99, seed=0,
                        progress=False) -> list:
    """Train one denoiser per M in ``M_values`` at once (see [`train_gmm_denoiser`][memlab.verification.training.gmm_denoiser.train_gmm_denoiser]).

    The models are stacked into one tensor of means padded to the largest M,
    the padding masked out of the softmax; their losses are summed. Adam acts
    elementwise and the parameters are disjoint, so each model follows its own
    training exactly (they share the noise draws); batching only removes the
    per-step overhead that dominates these small problems.
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


def ddim_sample(means, sigma2, n_samples, *, seed=None) -> np.ndarray:
    """Deterministic DDIM samples (seed 001 App. H.2) of the GMM denoiser, shape (n, d)."""
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


def transition_points(M_values, ratios):
    """(start, middle, end) of the transition: the first M (interpolated linearly)
    where the memorization ratio reaches 0.1, 0.5 and 0.9; NaN where not reached,
    and NaN where the smallest M already reaches it (the point lies below the grid).

    ``M_values`` (positive, in any order) and ``ratios`` (in [0, 1]) are 1-d arrays of
    the same length.

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
    """Memorization ratio against M for one (N, d, K): ``M``, ``ratio``,
    ``sigma2`` (learned), ``final_loss``, ``start``/``middle``/``end`` of the
    transition (M_mem = middle), and the settings. ``flags`` says, for each of
    ``start``, ``middle`` and ``end``, ``"ok"``, ``"below_grid"`` (reached at the
    smallest M: the value is NaN) or ``"not_reached"`` (NaN)."""

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


def memorization_sweep(N, d, K, *, M_values=None, epochs=4000, lr=1e-2, n_noise=4, n_eval=200,
                       seed=0, out_dir=None, progress=True) -> SweepResult:
    """Train one denoiser per M on one dataset and measure the memorization ratio.

    ``M_values`` defaults to N/10, 2N/10, ..., N (seed 001 App. H.1) plus, as
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


def linear_law(results):
    """Least-squares slope a of M_mem = a N through the origin, with its standard error.

    Uses the sweeps whose transition middle was reached; returns (a, stderr, n).
    ``results`` is a sequence of [`SweepResult`][memlab.verification.training.gmm_denoiser.SweepResult].
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


def predicted_crossovers(N, d, K, *, simulate=True, seed=0):
    """Crossover points of theory/gmm.py (closed form, x0 and eps weightings) and,
    with ``simulate``, the simulated x0 crossover of verification/gmm.py."""
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
# Loss-weighting calibration (seed 001 App. H.3)
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibratedWeighting(Result):
    """Result of [`calibrate_weighting`][memlab.verification.training.gmm_denoiser.calibrate_weighting].

    ``weights`` (26,): lambda on the time grid, normalised to mean 1;
    ``timesteps``; ``settings`` [(N, d, K)]; ``measured`` and ``predicted``
    M_mem per setting; ``rms_error`` of (predicted - measured)/N;
    ``g_closed_form``: the one number the closed forms depend on (see
    [`calibrate_weighting`][memlab.verification.training.gmm_denoiser.calibrate_weighting]) and ``t_effective``, the grid time whose
    1/(psi_t sigma2 + 1) equals it; ``source``: ``"simulated"`` or
    ``"closed_form"``, the losses the fit used.
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

        Keys ``source``, ``weights``, ``timesteps``, ``predicted``,
        ``rms_error``, ``g_closed_form``, ``t_effective`` (arrays as lists);
        ``settings`` and ``measured`` are left out, the summary's sweeps hold them.
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


def calibrate_weighting(measured, *, source="simulated", smoothness=1e-3, timesteps=None,
                        seed=0) -> CalibratedWeighting:
    r"""Fit a loss weighting lambda(t) whose crossover matches measured transitions (seed 001 App. H.3).

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
    grid, by Powell's method (seed 001 uses a softmax relaxation with an
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
        VP times in (0, 1); default seed 001's 26-point grid.
    seed : int
        Seed of the simulated losses.

    Returns
    -------
    CalibratedWeighting
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


def plot_memorization_ratio(results, predicted=None):
    """Memorization ratio against M/N for several sweeps, with predicted crossovers.

    ``predicted`` maps (N, d, K) to a dict of label -> M* (e.g. the closed-form
    and simulated crossovers), drawn as vertical lines in the sweep's colour.
    """
    import matplotlib.pyplot as plt

    results = check_instances("results", results, SweepResult)
    if predicted is not None:
        check_instance("predicted", predicted, dict)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    styles = ["--", ":", "-."]
    for i, r in enumerate(results):
        color = plt.cm.tab10(i % 10)
        ax.plot(r.M / r.N, r.ratio, "o-", ms=3, color=color,
                label=f"N={r.N}, d={r.d}, K={r.K}: M_mem/N = {r.middle / r.N:.2f}")
        for j, (label, m) in enumerate((predicted or {}).get((r.N, r.d, r.K), {}).items()):
            ax.axvline(m / r.N, color=color, ls=styles[j % 3], lw=0.8,
                       label=f"  {label}: {m / r.N:.2f}" if i == 0 else None)
    ax.axhline(0.5, color="gray", lw=0.5)
    ax.set_xlabel("number of components M / N")
    ax.set_ylabel("memorization ratio (copies of training points)")
    ax.set_title("trained GMM denoisers: generalization to memorization")
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def save_summary(results, predicted, calibration, out_dir) -> list:
    """Write a sweep's ``gmm_summary.json`` and ``gmm_memorization_ratio.png`` into ``out_dir``.

    The JSON (indent 1) holds ``"settings"``: one `SweepResult.to_saved_dict`
    per sweep with its ``"predicted"`` crossovers, and ``"calibration"``:
    [`CalibratedWeighting.to_saved_dict`][memlab.verification.training.gmm_denoiser.CalibratedWeighting.to_saved_dict], or null for ``None``. The figure is
    [`plot_memorization_ratio`][memlab.verification.training.gmm_denoiser.plot_memorization_ratio] at 120 dpi. What ``memlab train gmm --out``
    writes.

    Parameters
    ----------
    results : sequence of SweepResult
    predicted : dict
        (N, d, K) -> {label: M*} for every sweep ([`predicted_crossovers`][memlab.verification.training.gmm_denoiser.predicted_crossovers]).
    calibration : CalibratedWeighting or None
    out_dir : str or path
        Created if missing.

    Returns
    -------
    list of pathlib.Path
        The JSON file and the figure.
    """
    import matplotlib.pyplot as plt

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
    plt.close(fig)
    return [json_path, fig_path]
