r"""One-hidden-layer ReLU network fitting the empirical score at fixed noise (Favero et al. 2025, App. G, Figs. 16-18).

Training points $x_j \sim \mathcal N(0, I_d)$, j = 1..P, each with m
fixed noisy copies $x_j + \sigma z$ and denoising targets
$-z/\sigma$ (the empirical score when the components do not overlap);
the test set is built the same way from fresh points. The network

$$
f(x) = \frac{1}{s_h} A\,\mathrm{relu}(W x/\sqrt d), \qquad
W \in \mathbb R^{h\times d},\ A \in \mathbb R^{d\times h},
$$

is trained by gradient descent on the mean squared error, with
$s_h = \sqrt h$ (lazy / NTK parametrisation) or $s_h = h$
(mean-field, learning rate scaled by h). Losses are normalised by
$d/\sigma^2$ (the loss of f = 0). $\tau_{\rm mem}$ is the
training time (learning rate x steps) at which the train loss has fallen to
half its initial value while the test loss has not, as for the exact kernel
gradient flow of [`memlab.verification.kernel_scaling`][memlab.verification.kernel_scaling]; the kernel theory
predicts $\tau_{\rm mem} \propto P/\sigma^\nu$ ($\nu = 1$ for the NTK).

[`batch_size_experiment`][memlab.verification.training.score_net.batch_size_experiment]
trains a grid of batch sizes and learning rates to decide which time collapses the
memorization times: $\eta \times$ steps (Favero et al. 2025, Fig. 18) or the normalised
step $\text{steps} \times B\eta/P$ of the position paper (2026), Sec. 3.3-3.4
(the documentation page "Position paper (2026): measurements on trained models" has
the answer).

References
----------
Favero et al. (2025), "Bigger isn't always memorizing: early stopping overparameterized
diffusion models", App. G (eq. 24 and Figs. 16-18); the position paper (2026),
"Understanding diffusion models requires rethinking (again) generalization", Sec. 3.3-3.4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from memlab._results import Result
from memlab._validation import (
    check_allocation,
    check_bool,
    check_positive_int,
    check_positive_real,
    check_real,
    check_rng,
    check_sequence,
)
from memlab.theory.metrics import first_crossing, normalised_step
from memlab.verification._checks import check_count, check_device

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure, SubFigure

#: Upper bound on ``P``, on ``width`` and on ``P * m``, the training samples.
MAX_SIZE = 10**6

#: Upper bound on the number of gradient steps, ``ceil(max_time / lr)``.
MAX_STEPS = 10**7

__all__ = ["TrainingRun", "train_score_network", "BatchSizeResult", "batch_size_experiment",
           "plot_batch_size_collapse", "OptimizerResult", "optimizer_experiment",
           "plot_optimizer_comparison"]


@dataclass(frozen=True)
class TrainingRun(Result):
    r"""Loss curves of one training run and its memorization time, made by
    [`train_score_network`][memlab.verification.training.score_net.train_score_network].

    Attributes
    ----------
    times : numpy.ndarray
        Training times (learning rate x steps) of the evaluations.
    train_loss, test_loss : numpy.ndarray
        Losses at ``times``, normalised by $d/\sigma^2$.
    tau_mem : float
        Time the train loss reaches half its start; NaN if not reached.
    P, sigma, d, width, parametrisation, batch_size
        The setting (``batch_size`` None for full batch).
    n_samples : int
        Training samples, P m.
    seed : int
        The random seed.
    optimizer : str
        "sgd" ((stochastic) gradient descent, with heavy-ball momentum when
        ``momentum`` > 0) or "adam"; "sgd" for results saved before the option existed.
    momentum : float
        Heavy-ball momentum of "sgd" (0 for plain gradient descent and for "adam").
    lr : float or None
        The learning rate used (None for results saved before it was recorded), so that
        ``times / lr`` are the gradient steps.
    """

    times: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    tau_mem: float
    P: int
    sigma: float
    d: int
    width: int
    parametrisation: str
    batch_size: int | None
    n_samples: int
    seed: int
    optimizer: str = "sgd"
    momentum: float = 0.0
    lr: float | None = None


#: Default learning rate of ``optimizer="adam"`` in
#: [`train_score_network`][memlab.verification.training.score_net.train_score_network] (the
#: step of each parameter is ``lr / alpha``). A safe rate rather than the largest: in a
#: factor-3 scan at P = 16, d = 16, width 1024, sigma = 0.1 the train loss fell without first
#: rising up to lr 0.3 at alpha = 1 and up to lr 1 at alpha = 10 and 100 (the documentation
#: page of the kernel scaling, "A trained network", has the scan).
ADAM_LR = 0.1

#: Coefficients of Adam's running averages of the gradient and of its square (the usual
#: $\beta_1 = 0.9$, $\beta_2 = 0.999$ of Kingma & Ba 2015) and its denominator offset.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def train_score_network(P: int, sigma: float, d: int, *, width: int = 1024, m: int = 8,
                        parametrisation: str = "ntk", lr: float | None = None,
                        max_time: float | None = None, batch_size: int | None = None,
                        eval_every: int = 10, alpha: float = 1.0,
                        device: str | torch.device = "cpu", seed: int = 0,
                        optimizer: str = "sgd", momentum: float = 0.0) -> TrainingRun:
    r"""Train the network by (stochastic) gradient descent or Adam and record train/test losses.

    ``optimizer="sgd"`` (the default) is gradient descent on the mini-batch (or full
    batch) loss, $\theta \leftarrow \theta - (\eta/\alpha^2) g$, or with heavy-ball
    momentum $\mu$ = ``momentum`` (the convention of ``torch.optim.SGD``, no
    dampening): $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - (\eta/\alpha^2)
    b$, whose steady-state step is $\eta/(1-\mu)$, so that the memorization time in
    $\eta \times$ steps is expected about $1-\mu$ times that of plain gradient descent.
    ``optimizer="adam"`` is Adam (Kingma & Ba 2015) with $\beta_1 = 0.9$,
    $\beta_2 = 0.999$, $\epsilon = 10^{-8}$ and bias correction, with step
    $\eta/\alpha$: Adam's step does not scale with the gradient, so this keeps the
    function-space dynamics of the model $\alpha(f_\theta - f_{\theta_0})$ unchanged as
    $\alpha$ grows, as $\eta/\alpha^2$ does for gradient descent. Favero et al. (2025),
    Fig. 19, compare the two optimizers on this network, each at its largest stable
    learning rate.

    Cost: O((max_time / lr) (b + P m / eval_every) h d) time for b = ``batch_size``
    (P m by default) and h = ``width``, and O(P m (d + h) + h d) memory; about 0.25 s for
    P = 8, d = 8, width = 256, m = 4, max_time = 400.

    Parameters
    ----------
    P : int
        Training-set size, >= 1.
    sigma : float
        Noise level, > 0.
    d : int
        Dimension, >= 1.
    width : int, default 1024
        Hidden units h.
    m : int, default 8
        Noisy copies per training point (n = P m samples).
    parametrisation : {"ntk", "mf"}, default "ntk"
        Lazy (1/sqrt(h) output scale) or mean-field (1/h, learning rate x h).
    lr : float, optional
        Learning rate. For "adam" the default is `ADAM_LR` (for both parametrisations).
        For "sgd" the default is 1.0 for "ntk" and 0.0125 x h for "mf" (stable for
        P = 8..64 at width 1024, d = 16, sigma = 0.1, and converged in the
        learning rate (halving it changed tau_mem by 0.01% at P = 32); 0.1 x h
        was unstable at P = 32, see docs/kernel_scaling.md), whatever the momentum.
    max_time : float, optional
        Training time lr x steps (default 400 P sigma^-1 / 16).
    batch_size : int, optional
        Mini-batch size (None: full batch); time is lr x steps either way.
    eval_every : int, default 10
        Steps between loss evaluations.
    alpha : float, default 1.0
        Lazy-training scale (Chizat et al. 2019): the model is
        $\alpha(f_\theta - f_{\theta_0})$ trained with learning rate
        ``lr / alpha**2``, which keeps the training time unchanged and
        approaches the linearised (kernel) dynamics as alpha grows. 1 means
        plain training.
    device : str or torch.device, default "cpu"
        torch device ("cpu" or "cuda"); float32 with TF32 disabled.
    seed : int, default 0
        Non-negative random seed of the data, the initialisation and the mini-batches.
    optimizer : {"sgd", "adam"}, default "sgd"
        The update rule (above). The time of the returned run is ``lr`` x steps for
        both; ``times / lr`` are the steps.
    momentum : float, default 0.0
        Heavy-ball momentum of "sgd", in [0, 1); must be 0 for "adam" (whose
        $\beta_1$ plays that role). 0 is plain (stochastic) gradient descent, bit for
        bit the update used before the option existed.

    Returns
    -------
    TrainingRun
        Its ``tau_mem`` is NaN when the train loss does not fall to half its initial
        value within ``max_time`` (not reached).

    Raises
    ------
    ValueError
        For a bad argument; also when ``max_time / lr`` exceeds `MAX_STEPS` steps
        and when the training diverges (a non-finite loss: ``lr`` too large for
        ``sigma``, ``d`` and ``width``).
    TypeError
        If an argument has the wrong type.

    References
    ----------
    Favero et al. (2025), App. G (eq. 24, Figs. 16-18) and Fig. 19 (Adam against SGD);
    Chizat et al. (2019) for the lazy scale ``alpha``; Kingma & Ba (2015) for Adam.

    Examples
    --------
    A small lazy network memorizes 4 points in d = 4: the train loss falls below
    half its start while the test loss grows.

    >>> r = train_score_network(4, 0.1, 4, width=64, seed=0)
    >>> bool(r.train_loss[-1] < 0.5 < r.test_loss[-1]), 100 < r.tau_mem < 150
    (True, True)

    The same with Adam at its default rate: it memorizes too.

    >>> a = train_score_network(4, 0.1, 4, width=64, seed=0, optimizer="adam", max_time=10.0)
    >>> a.optimizer, a.lr, bool(a.train_loss[-1] < 0.5 * a.train_loss[0] < a.test_loss[-1])
    ('adam', 0.1, True)
    """
    import torch

    P = check_count("P", P, MAX_SIZE)
    sigma = check_positive_real("sigma", sigma)
    if not sigma**2 > 0.0:
        raise ValueError(f"sigma must be large enough that sigma**2 > 0, got {sigma!r}")
    d = check_positive_int("d", d)
    width = check_count("width", width, MAX_SIZE)
    m = check_count("m", m, max(1, MAX_SIZE // P))
    check_allocation("P, m and d", (P * m, d))                       # the noisy training set
    check_allocation("d", (width, d), itemsize=4)           # the first layer
    if not isinstance(parametrisation, str):
        raise TypeError(f"parametrisation must be a str, got {type(parametrisation).__name__}")
    if parametrisation not in ("ntk", "mf"):
        raise ValueError(f"parametrisation must be 'ntk' or 'mf', got {parametrisation!r}")
    if max_time is not None:
        max_time = check_positive_real("max_time", max_time)
    if batch_size is not None:
        batch_size = check_count("batch_size", batch_size, P * m)
    eval_every = check_positive_int("eval_every", eval_every)
    device = check_device("device", device)
    seed = check_positive_int("seed", seed, minimum=0)
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a str, got {type(optimizer).__name__}")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    momentum = check_real("momentum", momentum, lo=0.0, hi=1.0, hi_open=True)
    if optimizer == "adam" and momentum != 0.0:
        raise ValueError(f"momentum must be 0 for optimizer='adam' (its beta1 = "
                         f"{ADAM_BETAS[0]} averages the gradient), got {momentum!r}")
    rng = check_rng(seed)
    torch.manual_seed(seed)

    def dataset():
        x = rng.standard_normal((P, d))
        z = rng.standard_normal((P, m, d))
        X = (x[:, None, :] + sigma * z).reshape(-1, d)
        return (torch.tensor(X, dtype=torch.float32, device=device),
                torch.tensor((-z / sigma).reshape(-1, d), dtype=torch.float32, device=device))

    X, Y = dataset()
    Xt, Yt = dataset()
    n = X.shape[0]
    scale = float(np.sqrt(width)) if parametrisation == "ntk" else float(width)
    if lr is None and optimizer == "adam":
        lr = ADAM_LR
    elif lr is None:
        lr = 1.0 if parametrisation == "ntk" else 0.0125 * width
    lr = check_positive_real("lr", lr)
    if max_time is None:
        max_time = 400.0 * P / (16.0 * sigma)
    steps = max_time / lr
    if not steps <= MAX_STEPS:
        raise ValueError(f"max_time / lr must be at most {MAX_STEPS} steps, got max_time = "
                         f"{max_time!r} and lr = {lr!r} ({steps:.3g} steps)")
    steps = int(np.ceil(steps))
    alpha = check_positive_real("alpha", alpha)
    if str(device).startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False
    W = torch.randn(width, d, device=device, requires_grad=True)
    A = torch.randn(d, width, device=device, requires_grad=True)
    W0, A0 = W.detach().clone(), A.detach().clone()
    norm = d / sigma**2

    def net(inp, Wm, Am):
        return torch.relu(inp @ Wm.T / np.sqrt(d)) @ Am.T / scale

    def f(inp):
        out = net(inp, W, A)
        if alpha != 1.0:
            out = alpha * (out - net(inp, W0, A0))
        return out

    if optimizer == "adam":
        (beta1, beta2), adam_step = ADAM_BETAS, lr / alpha
        moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in (W, A)]
    elif momentum > 0.0:
        buffers = [torch.zeros_like(p) for p in (W, A)]

    times, train, test = [], [], []
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.enable_grad():       # whatever the caller's grad mode
        for step in range(steps + 1):
            if step % eval_every == 0 or step == steps:
                with torch.no_grad():
                    times.append(step * lr)
                    train.append(float(((f(X) - Y) ** 2).sum() / n / norm))
                    test.append(float(((f(Xt) - Yt) ** 2).sum() / n / norm))
                if not (np.isfinite(train[-1]) and np.isfinite(test[-1])) and step == 0:
                    raise ValueError(
                        f"sigma = {sigma!r} gives non-finite losses in float32 (the inputs "
                        "scale as sigma, the targets as 1/sigma); use a moderate sigma")
                if not (np.isfinite(train[-1]) and np.isfinite(test[-1])):
                    raise ValueError(
                        f"lr = {lr!r} makes the training diverge (non-finite loss at time "
                        f"{step * lr:.3g}) with sigma = {sigma!r}, d = {d}, width = {width}, "
                        f"optimizer = {optimizer!r}, momentum = {momentum!r}; use a smaller lr")
            if step == steps:
                break
            if batch_size is None:
                xb, yb = X, Y
            else:
                idx = torch.randint(0, n, (batch_size,), generator=gen, device=device)
                xb, yb = X[idx], Y[idx]
            loss = ((f(xb) - yb) ** 2).sum() / xb.shape[0] / 2.0
            gW, gA = torch.autograd.grad(loss, (W, A))
            with torch.no_grad():
                if optimizer == "adam":
                    t = step + 1
                    for p, g, (m1, m2) in zip((W, A), (gW, gA), moments):
                        m1.mul_(beta1).add_(g, alpha=1.0 - beta1)
                        m2.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
                        denom = (m2 / (1.0 - beta2**t)).sqrt_().add_(ADAM_EPS)
                        p.addcdiv_(m1, denom, value=-adam_step / (1.0 - beta1**t))
                elif momentum > 0.0:
                    for p, g, b in zip((W, A), (gW, gA), buffers):
                        b.mul_(momentum).add_(g)
                        p -= lr / alpha**2 * b
                else:
                    W -= lr / alpha**2 * gW
                    A -= lr / alpha**2 * gA
    times, train, test = np.array(times), np.array(train), np.array(test)
    tau = first_crossing(times, train, 0.5 * train[0], above=False)
    return TrainingRun(times, train, test, tau, P, sigma, d, width, parametrisation, batch_size,
                       n, seed, optimizer, momentum, lr)


#: Upper bound on the lazy scale ``alpha`` of
#: [`batch_size_experiment`][memlab.verification.training.score_net.batch_size_experiment]: the
#: model $\alpha(f_\theta - f_{\theta_0})$ is computed in float32, whose relative precision
#: (about $10^{-7}$) leaves no significant digit of $f_\theta - f_{\theta_0}$ much beyond
#: $\alpha = 10^4$.
MAX_ALPHA = 1e4

#: Upper bound on ``sigma`` of
#: [`batch_size_experiment`][memlab.verification.training.score_net.batch_size_experiment]: the
#: inputs scale as $\sigma$ and the targets as $1/\sigma$; far above the noise levels of
#: Favero et al. (2025), App. G ($\sigma^2$ from 0.008 to 0.064) the float32 training
#: overflows, which the experiment would otherwise record as a divergence at every grid point.
MAX_SIGMA = 10.0


@dataclass(frozen=True)
class BatchSizeResult(Result):
    r"""Memorization times of a grid of (P, batch size, learning rate, seed) runs, made by
    [`batch_size_experiment`][memlab.verification.training.score_net.batch_size_experiment].

    One entry per run in the per-run arrays, in the order P, seed, learning rate, batch
    size (outer to inner). Times are given in the two normalisations the experiment
    compares: $\eta \times$ steps (Favero et al. 2025, App. G) and the normalised step
    $\text{steps} \times B \eta / n$ of the position paper (2026), Sec. 3.3, with the
    number of training samples $n = P m$ as the data-set size, so that the normalised
    step is $\eta$ times the number of epochs.

    Attributes
    ----------
    P : numpy.ndarray of int
        Training points of each run.
    n_samples : numpy.ndarray of int
        Training samples $n = P m$ of each run.
    batch_size : numpy.ndarray of int
        Mini-batch size B of each run ($n$ for full batch).
    full_batch : numpy.ndarray of bool
        Whether the run used full-batch gradient descent.
    lr : numpy.ndarray of float
        Learning rate $\eta$ of each run.
    run_seed : numpy.ndarray of int
        Seed of each run (the same seed gives the same data and initialisation at every
        B and $\eta$: comparisons across B and $\eta$ are paired).
    tau_mem : numpy.ndarray of float
        Memorization time in units of $\eta \times$ steps (the half-loss crossing of
        [`train_score_network`][memlab.verification.training.score_net.train_score_network]);
        NaN where not reached within the run or where the training diverged.
    steps_mem : numpy.ndarray of float
        The same in gradient steps, ``tau_mem / lr``.
    tau_normalised : numpy.ndarray of float
        The same in the position paper's normalised step, ``steps_mem * B * lr / n``
        ([`normalised_step`][memlab.theory.metrics.normalised_step] with ``P = n``).
    diverged : numpy.ndarray of bool
        Whether the training diverged (a non-finite loss) before ``max_time``.
    lrs : numpy.ndarray of float
        The learning rates of the grid, increasing.
    spread_time, spread_normalised : numpy.ndarray of float
        For each entry of ``lrs``: the standard deviation (ddof 0) across batch sizes of
        $\ln \tau$ in the two normalisations, averaged over the (P, seed) groups with
        at least two finite times; NaN if there is none. A collapse gives 0; the
        other normalisation then gives the spread of $\ln B$ over the grid (0.78 for
        $B/n \in \{1/8, 1/4, 1/2, 1\}$).
    batch_exponent : numpy.ndarray of float
        For each entry of ``lrs``: the least-squares slope of $\ln \tau_{\rm mem}$
        ($\eta \times$ steps) against $\ln B$, averaged over the same groups: 0 if
        only $\eta \times$ steps matters (Favero et al. 2025), $-1$ if the normalised
        step collapses the runs (the position paper).
    runs : tuple
        The [`TrainingRun`][memlab.verification.training.score_net.TrainingRun] of each
        run (None where it diverged).
    sigma, d, width, m, parametrisation, alpha : float, int, int, int, str, float
        The setting shared by the runs.
    time_per_P : float
        Training time ($\eta \times$ steps) per training point: each run trains up to
        ``time_per_P * P``.
    """

    P: np.ndarray
    n_samples: np.ndarray
    batch_size: np.ndarray
    full_batch: np.ndarray
    lr: np.ndarray
    run_seed: np.ndarray
    tau_mem: np.ndarray
    steps_mem: np.ndarray
    tau_normalised: np.ndarray
    diverged: np.ndarray
    lrs: np.ndarray
    spread_time: np.ndarray
    spread_normalised: np.ndarray
    batch_exponent: np.ndarray
    runs: tuple
    sigma: float
    d: int
    width: int
    m: int
    parametrisation: str
    alpha: float
    time_per_P: float


def _check_series_setting(sigma, d, width, m, parametrisation, alpha):
    """The validated network and data settings shared by the experiments' runs."""
    sigma = check_real("sigma", sigma, lo=0.0, hi=MAX_SIGMA, lo_open=True)
    if not sigma**2 > 0.0:
        raise ValueError(f"sigma must be large enough that sigma**2 > 0, got {sigma!r}")
    d = check_positive_int("d", d)
    width = check_count("width", width, MAX_SIZE)
    m = check_count("m", m, MAX_SIZE)
    if not isinstance(parametrisation, str):
        raise TypeError(f"parametrisation must be a str, got {type(parametrisation).__name__}")
    if parametrisation not in ("ntk", "mf"):
        raise ValueError(f"parametrisation must be 'ntk' or 'mf', got {parametrisation!r}")
    alpha = check_real("alpha", alpha, lo=0.0, hi=MAX_ALPHA, lo_open=True)
    return sigma, d, width, m, parametrisation, alpha


def _check_series_memory(Ps, m, d, width):
    """ValueError if the largest training set or the first layer of a series is too large."""
    for P in Ps:
        if P * m > MAX_SIZE:
            raise ValueError(f"Ps and m must give at most {MAX_SIZE} samples P m, got P = {P}, "
                             f"m = {m}")
        check_allocation("P, m and d", (P * m, d))
    check_allocation("width and d", (width, d), itemsize=4)


def _int_list(name, values, *, minimum=1, maximum=MAX_SIZE):
    values = check_sequence(name, values, "a sequence of integers", array_ndim=1)
    if not values:
        raise ValueError(f"{name} must contain at least one value, got none")
    out = [check_positive_int(f"{name}[{i}]", v, minimum=minimum, maximum=maximum)
           for i, v in enumerate(values)]
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must not repeat a value, got {out}")
    return out


def _group_statistics(P, seeds, lr, B, tau, tau_norm, lrs):
    """Per learning rate: the mean over (P, seed) groups of the std of ln tau across B in
    both normalisations, and of the slope of ln tau against ln B."""
    spread_t, spread_n, slope = [], [], []
    for eta in lrs:
        st, sn, sl = [], [], []
        for p in np.unique(P):
            for s in np.unique(seeds):
                sel = (P == p) & (seeds == s) & (lr == eta) & np.isfinite(tau)
                if sel.sum() < 2:
                    continue
                lt, ln, lb = np.log(tau[sel]), np.log(tau_norm[sel]), np.log(B[sel])
                st.append(np.std(lt))
                sn.append(np.std(ln))
                sl.append(np.polyfit(lb, lt, 1)[0] if np.ptp(lb) > 0 else np.nan)
        spread_t.append(np.mean(st) if st else np.nan)
        spread_n.append(np.mean(sn) if sn else np.nan)
        sl = [v for v in sl if np.isfinite(v)]
        slope.append(np.mean(sl) if sl else np.nan)
    return np.array(spread_t), np.array(spread_n), np.array(slope)


def batch_size_experiment(Ps: Sequence[int] = (8, 16, 32), *,
                          batch_fractions: Sequence[int] = (8, 4, 2, 1),
                          lrs: Sequence[float] = (0.125, 0.5, 2.0), sigma: float = 0.1,
                          d: int = 16, width: int = 256, m: int = 8,
                          parametrisation: str = "ntk", alpha: float = 1.0,
                          time_per_P: float = 60.0, n_evals: int = 200,
                          seeds: Sequence[int] = (0,), device: str | torch.device = "cpu",
                          progress: bool = False) -> BatchSizeResult:
    r"""Memorization time against batch size and learning rate: which time variable collapses the runs.

    Favero et al. (2025), App. G (Fig. 18) find that the memorization time of the
    network of
    [`train_score_network`][memlab.verification.training.score_net.train_score_network],
    measured in $\eta \times$ steps, does not depend on the batch size B. The position
    paper (2026), Sec. 3.3-3.4, finds on CIFAR-10 that the memorization onset in steps
    scales as $1/B$, so that runs collapse in the normalised step

    $$
    \tilde\tau = \text{steps} \times \frac{B\,\eta}{n},
    $$

    here with the number of training samples $n = P m$ as the data-set size
    ([`normalised_step`][memlab.theory.metrics.normalised_step]; $\tilde\tau$ is
    $\eta$ times the number of epochs). At fixed $\eta$ the first says
    $\text{steps}_{\rm mem}$ is independent of B, the second
    $\text{steps}_{\rm mem} \propto n/B$. The experiment trains the network for every
    P in ``Ps``, every seed, every learning rate $\eta$ in ``lrs`` and every batch size
    $B = n/k$ for k in ``batch_fractions`` (k = 1 is full-batch gradient descent;
    smaller batches are drawn with replacement), each up to the training time
    ``time_per_P`` $\times P$ (in $\eta \times$ steps), and measures the half-loss
    time $\tau_{\rm mem}$ of each run in both units. SGD theory expects
    the first collapse in the small-$\eta$ limit (SGD follows the gradient flow, whose
    time is $\eta \times$ steps) and a B dependence only where the SGD noise, of
    temperature about $\eta/B$, matters.

    A run that diverges (a non-finite loss: $\eta$ beyond the stability edge of SGD at
    that B) is kept with ``diverged`` True and a NaN time; so is a run whose train loss
    does not halve within its time (not reached).

    Cost: the sum over runs of
    [`train_score_network`][memlab.verification.training.score_net.train_score_network]'s
    cost, O(time_per_P P / eta (B + n / eval_every) width d) each; about 3 minutes on one
    CPU thread for the defaults with one seed.

    Parameters
    ----------
    Ps : sequence of int, default (8, 16, 32)
        Training-set sizes P (points), each in [1, `MAX_SIZE`], no repeats.
    batch_fractions : sequence of int, default (8, 4, 2, 1)
        Divisors k: the batch sizes are $B = \lfloor n/k \rfloor$, k = 1 being full
        batch; each k at most $n$ of the smallest P, no repeats.
    lrs : sequence of float, default (0.125, 0.5, 2.0)
        Learning rates $\eta > 0$, no repeats.
    sigma : float, default 0.1
        Noise level, in (0, `MAX_SIGMA`].
    d : int, default 16
        Dimension, >= 1.
    width : int, default 256
        Hidden units (small, for a CPU; Favero et al. use 8192).
    m : int, default 8
        Noisy copies per training point ($n = P m$ training samples).
    parametrisation : {"ntk", "mf"}, default "ntk"
        As in
        [`train_score_network`][memlab.verification.training.score_net.train_score_network]
        (the learning rates in ``lrs`` are used as given for both).
    alpha : float, default 1.0
        Lazy-training scale, in (0, `MAX_ALPHA`]; 1 is plain training.
    time_per_P : float, default 60.0
        Training time ($\eta \times$ steps) per training point, > 0; at most `MAX_STEPS`
        steps per run.
    n_evals : int, default 200
        Loss evaluations per run (about; every ``ceil(steps / n_evals)`` steps), in
        [2, 10**5].
    seeds : sequence of int, default (0,)
        Non-negative seeds; each gives one dataset and initialisation shared by all B and
        $\eta$.
    device : str or torch.device, default "cpu"
        torch device.
    progress : bool, default False
        Print one line per run.

    Returns
    -------
    BatchSizeResult
        The per-run times, the spread of $\ln \tau$ across B under both normalisations
        and the exponent of $\tau_{\rm mem}$ in B, per learning rate. A time is NaN
        where not reached within ``time_per_P * P`` or where the run diverged; a spread
        or exponent is NaN for a learning rate with no two finite times in a group.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a value is out of range, a sequence is empty or repeats a value, a batch
        fraction exceeds the number of samples, or a run would need more than
        `MAX_STEPS` steps.

    References
    ----------
    Favero et al. (2025), App. G, Fig. 18; the position paper (2026), Sec. 3.3 (the
    normalised step) and Sec. 3.4 (the effect of the batch size).

    Examples
    --------
    Two batch sizes of a tiny network (n = 16 samples): the memorization time in both
    units.

    >>> r = batch_size_experiment([4], batch_fractions=[2, 1], lrs=[0.25], d=4, width=32,
    ...                           m=4, time_per_P=20, n_evals=40)
    >>> r.batch_size.tolist(), r.full_batch.tolist(), bool(np.all(np.isfinite(r.tau_mem)))
    ([8, 16], [False, True], True)
    >>> bool(np.allclose(r.tau_normalised, r.steps_mem * r.batch_size * r.lr / 16))
    True
    """
    Ps = _int_list("Ps", Ps)
    fractions = _int_list("batch_fractions", batch_fractions)
    lr_list = check_sequence("lrs", lrs, "a sequence of learning rates", array_ndim=1)
    if not lr_list:
        raise ValueError("lrs must contain at least one value, got none")
    lr_list = [check_positive_real(f"lrs[{i}]", v) for i, v in enumerate(lr_list)]
    if len(set(lr_list)) != len(lr_list):
        raise ValueError(f"lrs must not repeat a value, got {lr_list}")
    sigma, d, width, m, parametrisation, alpha = _check_series_setting(
        sigma, d, width, m, parametrisation, alpha)
    time_per_P = check_positive_real("time_per_P", time_per_P)
    n_evals = check_count("n_evals", n_evals, 10**5, minimum=2)
    seed_list = check_sequence("seeds", seeds, "a sequence of integers", array_ndim=1)
    if not seed_list:
        raise ValueError("seeds must contain at least one value, got none")
    seed_list = [check_positive_int(f"seeds[{i}]", s, minimum=0)
                 for i, s in enumerate(seed_list)]
    if len(set(seed_list)) != len(seed_list):
        raise ValueError(f"seeds must not repeat a value, got {seed_list}")
    device = check_device("device", device)
    progress = check_bool("progress", progress)
    _check_series_memory(Ps, m, d, width)
    n_min = min(Ps) * m
    if max(fractions) > n_min:
        raise ValueError(f"batch_fractions must be at most the number of samples of the "
                         f"smallest P ({n_min}), got {max(fractions)}")
    for P in Ps:
        steps = time_per_P * P / min(lr_list)
        if not steps <= MAX_STEPS:
            raise ValueError(f"time_per_P * P / lr must be at most {MAX_STEPS} steps, got "
                             f"time_per_P = {time_per_P!r}, P = {P}, lr = {min(lr_list)!r} "
                             f"({steps:.3g} steps)")

    rows = []
    for P in Ps:
        n = P * m
        for seed in seed_list:
            for eta in lr_list:
                steps = int(np.ceil(time_per_P * P / eta))
                every = max(1, -(-steps // n_evals))
                for k in fractions:
                    B = n // k
                    try:
                        run = train_score_network(
                            P, sigma, d, width=width, m=m, parametrisation=parametrisation,
                            lr=eta, max_time=time_per_P * P,
                            batch_size=None if k == 1 else B, eval_every=every, alpha=alpha,
                            device=device, seed=seed)
                    except ValueError as exc:
                        if "makes the training diverge" not in str(exc):
                            raise
                        run = None
                    rows.append((P, n, B, k == 1, eta, seed, run))
                    if progress:
                        tau = run.tau_mem if run is not None else float("nan")
                        print(f"P={P} seed={seed} lr={eta:g} B={B}{' (full)' if k == 1 else ''}:"
                              f" tau_mem = {tau:.4g}" + (" (diverged)" if run is None else ""),
                              flush=True)
    P_a = np.array([r[0] for r in rows], dtype=np.int64)
    n_a = np.array([r[1] for r in rows], dtype=np.int64)
    B_a = np.array([r[2] for r in rows], dtype=np.int64)
    full = np.array([r[3] for r in rows], dtype=bool)
    lr_a = np.array([r[4] for r in rows], dtype=float)
    seed_a = np.array([r[5] for r in rows], dtype=np.int64)
    runs = tuple(r[6] for r in rows)
    diverged = np.array([r is None for r in runs], dtype=bool)
    tau = np.array([np.nan if r is None else r.tau_mem for r in runs], dtype=float)
    steps_mem = tau / lr_a
    tau_norm = np.array([normalised_step(s, batch_size=B, lr=eta, P=n) if np.isfinite(s)
                         else np.nan for s, B, eta, n in zip(steps_mem, B_a, lr_a, n_a)],
                        dtype=float)
    lrs_sorted = np.array(sorted(lr_list), dtype=float)
    spread_t, spread_n, slope = _group_statistics(P_a, seed_a, lr_a, B_a.astype(float), tau,
                                                  tau_norm, lrs_sorted)
    return BatchSizeResult(P_a, n_a, B_a, full, lr_a, seed_a, tau, steps_mem, tau_norm,
                           diverged, lrs_sorted, spread_t, spread_n, slope, runs, sigma, d,
                           width, m, parametrisation, alpha, time_per_P)


def _full_batch_ratio(result):
    """tau_mem of each run over that of the full-batch run of the same (P, lr, seed); NaN where
    either is missing."""
    ratio = np.full(result.tau_mem.shape, np.nan)
    for i in range(ratio.size):
        ref = ((result.P == result.P[i]) & (result.lr == result.lr[i])
               & (result.run_seed == result.run_seed[i]) & result.full_batch)
        if ref.any():
            ratio[i] = result.tau_mem[i] / result.tau_mem[np.flatnonzero(ref)[0]]
    return ratio


def _plain_log_ticks(axis) -> None:
    """Ticks of a log axis of ratios labelled plainly (0.5, 1, 2, 4) at 1-2-5 steps."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_minor_formatter(NullFormatter())


def plot_batch_size_collapse(result: BatchSizeResult, *, P: int | None = None,
                             fig: Figure | SubFigure | None = None) -> Figure:
    r"""Which time variable collapses the memorization of the score network across batch sizes.

    Four panels from a
    [`batch_size_experiment`][memlab.verification.training.score_net.batch_size_experiment]:

    * (a) and (b): the train loss of the runs at one P (first seed), colour by batch
      size and line style by learning rate (the smallest one and the largest at which
      every batch size reached $\tau_{\rm mem}$), against $\eta \times$ steps (the time of
      Favero et al. 2025, App. G) and against the normalised step
      $\text{steps} \times B\eta/n$ of the position paper (2026), Sec. 3.3; dots at
      $\tau_{\rm mem}$, the grey line at half the initial loss (the criterion).
    * (c): $\tau_{\rm mem}(B) / \tau_{\rm mem}(\text{full batch})$, in
      $\eta \times$ steps, against $B/n$, mean over seeds, one line per (P, $\eta$).
      The two predictions are drawn: 1 (only $\eta \times$ steps matters) and $n/B$
      (the normalised step collapses the runs).
    * (d): the same ratio for every mini-batch run against the SGD temperature
      $\eta/B$: where the points of all P and $\eta$ fall on one curve, B enters only
      through the SGD noise.

    Parameters
    ----------
    result : BatchSizeResult
        The experiment.
    P : int, optional
        Training-set size of panels (a) and (b); default the middle one of the result
        (the lower middle for an even number).
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the four panels; default a new Figure (not registered with
        pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If ``result`` is not a BatchSizeResult, ``P`` not an integer or ``fig`` not a
        Figure.
    ValueError
        If ``P`` is not one of the result's training-set sizes.

    References
    ----------
    Favero et al. (2025), App. G, Fig. 18; the position paper (2026), Sec. 3.3-3.4.

    Examples
    --------
    >>> r = batch_size_experiment([4], batch_fractions=[2, 1], lrs=[0.5], d=4, width=16, m=2,
    ...                           time_per_P=10, n_evals=10)
    >>> fig = plot_batch_size_collapse(r)
    >>> len(fig.axes), fig.axes[2].get_xlabel()
    (4, 'batch size / training samples $B/n$')
    """
    import matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from memlab._validation import check_instance
    from memlab.verification._plotting import figure_for

    result = check_instance("result", result, BatchSizeResult)
    Ps = sorted({int(p) for p in result.P})
    if P is None:
        P = Ps[(len(Ps) - 1) // 2]
    P = check_positive_int("P", P)
    if P not in Ps:
        raise ValueError(f"P must be one of the result's training-set sizes {Ps}, got {P}")
    fig = figure_for(fig, figsize=(12.0, 9.5))
    (ax_a, ax_b), (ax_c, ax_d) = fig.subplots(2, 2)
    cmap = matplotlib.colormaps["viridis"]
    lrs = [float(x) for x in result.lrs]
    fracs = sorted({float(b / n) for b, n in zip(result.batch_size, result.n_samples)})
    styles = ["-", "--", "-.", ":", (0, (5, 1, 1, 1))]
    markers = ["o", "s", "^", "D", "v", "P"]

    def frac_colour(f):
        k = fracs.index(f)
        return cmap(0.85 * k / max(1, len(fracs) - 1))

    def lr_colour(eta):
        return matplotlib.colormaps["plasma"](0.8 * lrs.index(eta) / max(1, len(lrs) - 1))

    seed0 = int(result.run_seed[result.P == P][0])
    mine = (result.P == P) & (result.run_seed == seed0)
    complete = [eta for eta in lrs
                if np.all(np.isfinite(result.tau_mem[mine & (result.lr == eta)]))]
    shown = sorted({lrs[0], *(complete[-1:])})
    half = None
    for i in np.flatnonzero(mine):
        run = result.runs[i]
        if run is None or float(result.lr[i]) not in shown:
            continue
        f = float(result.batch_size[i] / result.n_samples[i])
        eta = float(result.lr[i])
        style = styles[lrs.index(eta) % len(styles)]
        scale = float(result.batch_size[i] / result.n_samples[i])
        pos = run.times > 0
        for ax, x, t in ((ax_a, run.times, result.tau_mem[i]),
                         (ax_b, run.times * scale, result.tau_normalised[i])):
            ax.plot(x[pos], run.train_loss[pos], ls=style, color=frac_colour(f), lw=1.2)
            if np.isfinite(t):
                ax.plot([t], [0.5 * run.train_loss[0]], "o", color=frac_colour(f), ms=4)
        half = 0.5 * run.train_loss[0]
    for ax, xlabel, title in (
            (ax_a, r"training time $\eta \times$ steps",
             r"(a) against $\eta\times$steps (Favero et al. 2025)"),
            (ax_b, r"normalised step steps $\times B\eta/n$ ($\eta \times$ epochs)",
             r"(b) against steps $\times B\eta/n$ (the position paper 2026)")):
        if half is not None:
            ax.axhline(half, color="0.6", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"train loss / $(d/\sigma^2)$")
        ax.set_title(title + f", P = {P}", fontsize=10)
    handles = [Line2D([], [], color=frac_colour(f), lw=2,
                      label=("full batch" if f == 1.0 else f"B = n/{round(1 / f)}"))
               for f in fracs]
    handles += [Line2D([], [], color="k", ls=styles[k % len(styles)], lw=1,
                       label=rf"$\eta$ = {eta:g}") for k, eta in enumerate(lrs) if eta in shown]
    handles += [Line2D([], [], color="k", marker="o", ls="", ms=4,
                       label=r"$\tau_{\rm mem}$ (train loss at half its start)")]
    ax_a.legend(handles=handles, fontsize=7, ncol=2, loc="lower left")

    ratio = _full_batch_ratio(result)
    frac_all = result.batch_size / result.n_samples
    for P_i in Ps:
        for eta in lrs:
            xs, ys = [], []
            for f in fracs:
                sel = (result.P == P_i) & (result.lr == eta) & np.isclose(frac_all, f)
                vals = ratio[sel]
                if vals.size and np.all(np.isfinite(vals)):
                    xs.append(f)
                    ys.append(float(np.exp(np.mean(np.log(vals)))))
            if xs:
                ax_c.plot(xs, ys, "-", marker=markers[Ps.index(P_i) % len(markers)],
                          color=lr_colour(eta), ms=5, lw=1)
    grid = np.array(fracs)
    ax_c.plot(grid, np.ones_like(grid), "-", color="0.4", lw=2.5, alpha=0.5, zorder=0)
    ax_c.plot(grid, 1.0 / grid, "--", color="0.4", lw=2.5, alpha=0.5, zorder=0)
    ax_c.set_xscale("log", base=2)
    ax_c.set_yscale("log")
    ax_c.xaxis.set_major_locator(FixedLocator(fracs))
    ax_c.xaxis.set_major_formatter(FuncFormatter(
        lambda x, _: "1" if np.isclose(x, 1) else f"1/{round(1 / x)}"))
    ax_c.xaxis.set_minor_locator(NullLocator())
    _plain_log_ticks(ax_c.yaxis)
    ax_c.set_xlabel("batch size / training samples $B/n$")
    ax_c.set_ylabel(r"$\tau_{\rm mem}(B)\,/\,\tau_{\rm mem}$(full batch), in $\eta\times$steps")
    ax_c.set_title("(c) memorization time against batch size", fontsize=10)
    handles = [Line2D([], [], color=lr_colour(eta), lw=2, label=rf"$\eta$ = {eta:g}")
               for eta in lrs]
    handles += [Line2D([], [], color="k", marker=markers[k % len(markers)], ls="", ms=5,
                       label=f"P = {p}") for k, p in enumerate(Ps)]
    handles += [Line2D([], [], color="0.4", lw=2.5, alpha=0.5,
                       label=r"only $\eta\times$steps matters (Favero et al.)"),
                Line2D([], [], color="0.4", ls="--", lw=2.5, alpha=0.5,
                       label=r"steps$\times B\eta/n$ collapses ($\propto n/B$, position paper)")]
    ax_c.legend(handles=handles, fontsize=7, ncol=2, loc="upper right")

    mini = ~result.full_batch & np.isfinite(ratio)
    for k, P_i in enumerate(Ps):
        for eta in lrs:
            sel = mini & (result.P == P_i) & (result.lr == eta)
            if sel.any():
                ax_d.plot(result.lr[sel] / result.batch_size[sel], ratio[sel],
                          markers[k % len(markers)], color=lr_colour(eta), ms=5, ls="",
                          alpha=0.8)
    ax_d.axhline(1.0, color="0.4", lw=2.5, alpha=0.5, zorder=0)
    ax_d.set_xscale("log")
    ax_d.set_yscale("log")
    _plain_log_ticks(ax_d.yaxis)
    ax_d.set_xlabel(r"SGD temperature $\eta / B$")
    ax_d.set_ylabel(r"$\tau_{\rm mem}(B)\,/\,\tau_{\rm mem}$(full batch)")
    ax_d.set_title(r"(d) the delay against $\eta/B$ (mini-batch runs, every seed)", fontsize=10)
    ax_d.legend(handles=handles[:len(lrs) + len(Ps)], fontsize=7, ncol=2, loc="upper left")

    n_div = int(result.diverged.sum())
    n_nr = int((~result.diverged & ~np.isfinite(result.tau_mem)).sum())
    seeds = sorted({int(s) for s in result.run_seed})
    fig.suptitle(
        f"Score network (Favero et al. 2025, App. G): {result.parametrisation.upper()}, width "
        f"{result.width}, d = {result.d}, $\\sigma$ = {result.sigma:g}, m = {result.m} noisy "
        f"copies per point (n = P m samples), SGD with replacement, seeds {seeds}\n"
        f"{result.tau_mem.size} runs: {n_div} diverged and {n_nr} did not reach "
        r"$\tau_{\rm mem}$" f" within $\\eta\\times$steps = {result.time_per_P:g} P "
        "(not drawn in (c) and (d))", fontsize=10)
    return fig


#: Default optimizers of
#: [`optimizer_experiment`][memlab.verification.training.score_net.optimizer_experiment]:
#: ``(optimizer, lr, momentum, steps_per_P)``. Gradient descent at lr 4 and Adam at lr 1 are
#: the largest stable rates of a scan at P = 16, width 1024 (factors of 2 and of about 3: the
#: next rate up makes the train loss rise before it falls, 7.5-fold at lr 8 and 3.7-fold at
#: lr 3); momentum 0.9 at lr 1 and Adam at lr 0.03 are near the small-rate limit: their
#: $\tau_{\rm mem}$ in $\eta \times$ steps is within 5% of that at lr 0.25 (momentum) and
#: 6% of that at lr 0.01 (Adam).
OPTIMIZERS = (("sgd", 4.0, 0.0, 40.0), ("sgd", 1.0, 0.9, 20.0), ("adam", 1.0, 0.0, 8.0),
              ("adam", 0.03, 0.0, 40.0))


def _optimizer_label(optimizer, lr, momentum):
    """A short name of one optimizer setting, e.g. 'SGD + momentum 0.9, lr 1'."""
    if optimizer == "adam":
        return f"Adam, lr {lr:g}"
    return ("GD" if momentum == 0.0 else f"GD + momentum {momentum:g}") + f", lr {lr:g}"


@dataclass(frozen=True)
class OptimizerResult(Result):
    r"""Memorization times of the score network against P for several optimizers, made by
    [`optimizer_experiment`][memlab.verification.training.score_net.optimizer_experiment].

    One entry per run in the per-run arrays, in the order optimizer setting, P, seed
    (outer to inner); one entry per optimizer setting in the per-setting arrays.

    Attributes
    ----------
    setting : numpy.ndarray of int
        Index of each run's optimizer setting (into the per-setting arrays).
    P : numpy.ndarray of int
        Training points of each run.
    run_seed : numpy.ndarray of int
        Seed of each run (a seed gives the same data and initialisation for every
        optimizer: the comparison is paired).
    tau_mem : numpy.ndarray of float
        Memorization time in $\eta \times$ steps (the half-loss crossing of
        [`train_score_network`][memlab.verification.training.score_net.train_score_network]);
        NaN where not reached or diverged.
    steps_mem : numpy.ndarray of float
        The same in gradient steps, ``tau_mem / lr``.
    diverged : numpy.ndarray of bool
        Whether the run diverged (a non-finite loss).
    lr, momentum : numpy.ndarray of float
        Learning rate and heavy-ball momentum of each run.
    optimizer, label : tuple of str
        Optimizer ("sgd" or "adam") and setting name of each run (so that
        ``to_records()`` is a table of runs).
    optimizers : tuple of str
        "sgd" or "adam" per setting.
    lrs, momenta, steps_per_P : numpy.ndarray of float
        Learning rate, heavy-ball momentum and training length (steps per training point:
        each run makes ``ceil(steps_per_P * P)`` steps) per setting.
    labels : tuple of str
        A readable name per setting ("GD, lr 4", "Adam, lr 1", ...).
    exponent, stderr, ci_low, ci_high : numpy.ndarray of float
        Per setting: the least-squares exponent $\beta$ of $\text{steps}_{\rm mem}
        \propto P^\beta$ over every finite (P, seed) run
        ([`fit_power_law`][memlab.theory.metrics.fit_power_law]), its standard error and
        its 95% Student-t interval; NaN with fewer than 3 finite runs or a single P. The
        learning rate is the same at every P, so the exponent is the same in steps and
        in $\eta \times$ steps.
    prefactor : numpy.ndarray of float
        Per setting: the geometric mean over finite runs of $\text{steps}_{\rm mem}/P$
        (the horizontal shift between settings in a plot against steps / P).
    runs : tuple
        The [`TrainingRun`][memlab.verification.training.score_net.TrainingRun] of each
        run (None where it diverged).
    sigma, d, width, m, parametrisation, alpha : float, int, int, int, str, float
        The setting shared by the runs.
    """

    setting: np.ndarray
    P: np.ndarray
    run_seed: np.ndarray
    tau_mem: np.ndarray
    steps_mem: np.ndarray
    diverged: np.ndarray
    lr: np.ndarray
    momentum: np.ndarray
    optimizer: tuple
    label: tuple
    optimizers: tuple
    lrs: np.ndarray
    momenta: np.ndarray
    steps_per_P: np.ndarray
    labels: tuple
    exponent: np.ndarray
    stderr: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    prefactor: np.ndarray
    runs: tuple
    sigma: float
    d: int
    width: int
    m: int
    parametrisation: str
    alpha: float


def _optimizer_settings(settings):
    """The validated list of (optimizer, lr, momentum, steps_per_P) tuples."""
    items = check_sequence("optimizers", settings, "a sequence of (optimizer, lr, momentum, "
                           "steps_per_P) tuples", array_ndim=2)
    if not items:
        raise ValueError("optimizers must contain at least one setting, got none")
    out = []
    for i, item in enumerate(items):
        item = check_sequence(f"optimizers[{i}]", item, "an (optimizer, lr, momentum, "
                              "steps_per_P) tuple", array_ndim=1)
        if len(item) != 4:
            raise ValueError(f"optimizers[{i}] must have 4 entries (optimizer, lr, momentum, "
                             f"steps_per_P), got {len(item)}")
        name, lr, mom, spp = item
        if not isinstance(name, str):
            raise TypeError(f"optimizers[{i}][0] must be a str, got {type(name).__name__}")
        if name not in ("sgd", "adam"):
            raise ValueError(f"optimizers[{i}][0] must be 'sgd' or 'adam', got {name!r}")
        lr = check_positive_real(f"optimizers[{i}][1] (lr)", lr)
        mom = check_real(f"optimizers[{i}][2] (momentum)", mom, lo=0.0, hi=1.0, hi_open=True)
        if name == "adam" and mom != 0.0:
            raise ValueError(f"optimizers[{i}][2] (momentum) must be 0 for 'adam', got {mom!r}")
        spp = check_positive_real(f"optimizers[{i}][3] (steps_per_P)", spp)
        out.append((name, lr, mom, spp))
    if len(set(out)) != len(out):
        raise ValueError(f"optimizers must not repeat a setting, got {out}")
    return out


def optimizer_experiment(Ps: Sequence[int] = (8, 16, 32, 64), *,
                         optimizers: Sequence[tuple] = OPTIMIZERS, sigma: float = 0.1,
                         d: int = 16, width: int = 1024, m: int = 8,
                         parametrisation: str = "ntk", alpha: float = 100.0,
                         n_evals: int = 200, seeds: Sequence[int] = (0, 1),
                         device: str | torch.device = "cpu",
                         progress: bool = False) -> OptimizerResult:
    r"""Memorization time against P with gradient descent, momentum and Adam (Favero et al. 2025, Fig. 19).

    Favero et al. (2025), Fig. 19, train the network of
    [`train_score_network`][memlab.verification.training.score_net.train_score_network]
    (NTK initialisation) with Adam and with SGD, each at its largest stable learning
    rate, and find that the train-loss curves of every P start decaying at the same
    point against steps / P for both optimizers, Adam and SGD differing only by an
    O(1) factor: $\text{steps}_{\rm mem} \propto P$ whatever the optimizer (their
    Fig. 15 finds the same for a discrete diffusion model on the RHM). For gradient
    descent the kernel theory of the paper's App. G gives $\tau_{\rm mem} \propto P$
    in $\eta \times$ steps (the gradient-flow time), which is $\text{steps} \propto P$
    at a fixed rate; Adam is not a gradient flow in these units, and at a fixed rate
    its steps of fixed size make a sign-descent heuristic predict
    $\text{steps}_{\rm mem} \propto \sqrt P$ instead: the normalised update
    $\operatorname{sign}(\sum_j J_j r_j)$ overlaps with each sample's direction $J_j$
    only by $O(1/\sqrt n)$, against $O(1/n)$ for the gradient. The experiment trains
    the network for each optimizer setting, each P and each seed (full batch), and fits
    $\text{steps}_{\rm mem} \propto P^\beta$ per setting.

    Cost: the sum of the runs'; at the defaults 12 minutes on one shared CPU thread (the
    runs at P = 64 take most of it).

    Parameters
    ----------
    Ps : sequence of int, default (8, 16, 32, 64)
        Training-set sizes P, each in [1, `MAX_SIZE`], no repeats.
    optimizers : sequence of tuple, default `OPTIMIZERS`
        Settings ``(optimizer, lr, momentum, steps_per_P)``: "sgd" or "adam", the
        learning rate (> 0), the heavy-ball momentum (in [0, 1); 0 for "adam") and the
        training length in steps per training point (> 0), no repeats.
    sigma : float, default 0.1
        Noise level, in (0, `MAX_SIGMA`].
    d : int, default 16
        Dimension, >= 1.
    width : int, default 1024
        Hidden units (Favero et al. use 8192).
    m : int, default 8
        Noisy copies per training point.
    parametrisation : {"ntk", "mf"}, default "ntk"
        As in
        [`train_score_network`][memlab.verification.training.score_net.train_score_network].
    alpha : float, default 100.0
        Lazy-training scale, in (0, `MAX_ALPHA`] (100: close to the kernel regime,
        where gradient descent gives $\tau_{\rm mem} \propto P$ here).
    n_evals : int, default 200
        Loss evaluations per run (about), in [2, 10**5].
    seeds : sequence of int, default (0, 1)
        Non-negative seeds, no repeats.
    device : str or torch.device, default "cpu"
        torch device.
    progress : bool, default False
        Print one line per run.

    Returns
    -------
    OptimizerResult
        Per-run times in steps and in $\eta \times$ steps and, per setting, the
        exponent in P with its interval.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a value is out of range, a sequence is empty or repeats a value, or a run
        would need more than `MAX_STEPS` steps.

    References
    ----------
    Favero et al. (2025), App. G and Fig. 19 (Adam against SGD on this network), Fig. 15
    (the same on the RHM); Kingma & Ba (2015) for Adam.

    Examples
    --------
    >>> r = optimizer_experiment([2, 4, 8], optimizers=[("sgd", 1.0, 0.0, 40),
    ...                          ("adam", 0.1, 0.0, 40)], d=4, width=16, m=2, alpha=10.0,
    ...                          n_evals=40, seeds=[0])
    >>> r.labels, r.steps_mem.shape, bool(np.all(np.isfinite(r.exponent)))
    (('GD, lr 1', 'Adam, lr 0.1'), (6,), True)
    """
    from memlab.theory.metrics import fit_power_law

    Ps = _int_list("Ps", Ps)
    settings = _optimizer_settings(optimizers)
    sigma, d, width, m, parametrisation, alpha = _check_series_setting(
        sigma, d, width, m, parametrisation, alpha)
    n_evals = check_count("n_evals", n_evals, 10**5, minimum=2)
    seed_list = _int_list("seeds", seeds, minimum=0, maximum=2**63 - 1)
    device = check_device("device", device)
    progress = check_bool("progress", progress)
    _check_series_memory(Ps, m, d, width)
    for i, (_, _, _, spp) in enumerate(settings):
        if not spp * max(Ps) <= MAX_STEPS:
            raise ValueError(f"optimizers[{i}][3] (steps_per_P) * P must be at most "
                             f"{MAX_STEPS} steps, got {spp!r} * {max(Ps)}")

    rows = []
    for k, (name, lr, mom, spp) in enumerate(settings):
        for P in Ps:
            steps = int(np.ceil(spp * P))
            every = max(1, -(-steps // n_evals))
            for seed in seed_list:
                try:
                    run = train_score_network(
                        P, sigma, d, width=width, m=m, parametrisation=parametrisation, lr=lr,
                        max_time=(steps - 0.5) * lr, eval_every=every, alpha=alpha,
                        device=device,
                        seed=seed, optimizer=name, momentum=mom)
                except ValueError as exc:
                    if "makes the training diverge" not in str(exc):
                        raise
                    run = None
                rows.append((k, P, seed, run))
                if progress:
                    tau = run.tau_mem if run is not None else float("nan")
                    print(f"{_optimizer_label(name, lr, mom)} P={P} seed={seed}: tau_mem = "
                          f"{tau:.4g} ({tau / lr:.4g} steps)"
                          + (" (diverged)" if run is None else ""), flush=True)
    setting = np.array([r[0] for r in rows], dtype=np.int64)
    P_a = np.array([r[1] for r in rows], dtype=np.int64)
    seed_a = np.array([r[2] for r in rows], dtype=np.int64)
    runs = tuple(r[3] for r in rows)
    diverged = np.array([r is None for r in runs], dtype=bool)
    tau = np.array([np.nan if r is None else r.tau_mem for r in runs], dtype=float)
    lrs = np.array([s[1] for s in settings], dtype=float)
    steps_mem = tau / lrs[setting]
    fits = []
    for k in range(len(settings)):
        ok = (setting == k) & np.isfinite(steps_mem) & (steps_mem > 0)
        if ok.sum() >= 3 and np.unique(P_a[ok]).size >= 2:
            f = fit_power_law(P_a[ok].astype(float), steps_mem[ok])
            pre = float(np.exp(np.mean(np.log(steps_mem[ok] / P_a[ok]))))
            fits.append((f.exponent, f.stderr, f.ci_low, f.ci_high, pre))
        elif ok.any():
            fits.append((np.nan,) * 4 + (float(np.exp(np.mean(np.log(steps_mem[ok]
                                                                     / P_a[ok])))),))
        else:
            fits.append((np.nan,) * 5)
    fits = np.array(fits, dtype=float).reshape(len(settings), 5)
    momenta = np.array([s[2] for s in settings], dtype=float)
    labels = tuple(_optimizer_label(*s[:3]) for s in settings)
    return OptimizerResult(
        setting, P_a, seed_a, tau, steps_mem, diverged, lrs[setting], momenta[setting],
        tuple(settings[k][0] for k in setting), tuple(labels[k] for k in setting),
        tuple(s[0] for s in settings), lrs, momenta,
        np.array([s[3] for s in settings], dtype=float), labels, fits[:, 0].copy(),
        fits[:, 1].copy(), fits[:, 2].copy(), fits[:, 3].copy(), fits[:, 4].copy(), runs,
        sigma, d, width, m, parametrisation, alpha)


def plot_optimizer_comparison(result: OptimizerResult, *,
                              fig: Figure | SubFigure | None = None) -> Figure:
    r"""Train loss against steps / P per optimizer, and the memorization steps against P.

    One panel per optimizer setting of an
    [`optimizer_experiment`][memlab.verification.training.score_net.optimizer_experiment]
    with the train loss of every P (first seed, divided by its initial value) against
    steps / P, as in Favero et al. (2025), Fig. 19 (curves of all P cross half their
    initial loss together if $\text{steps}_{\rm mem} \propto P$); dots at
    $\tau_{\rm mem}$, the grey line at one half (the criterion). The next panel draws
    $\text{steps}_{\rm mem}$ against P for every run, each setting with its fitted power
    law and exponent interval, next to the two references $\propto P$ (the paper's claim,
    the kernel theory's for gradient descent) and $\propto \sqrt P$ (a sign-descent
    heuristic for Adam). Where the grid has a panel to spare, the first Adam setting is
    drawn once more against steps / $\sqrt P$.

    Parameters
    ----------
    result : OptimizerResult
        The experiment.
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the panels; default a new Figure (not registered with pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on: ``fig`` itself when given, else the new Figure.

    Raises
    ------
    TypeError
        If ``result`` is not an OptimizerResult or ``fig`` not a Figure.

    References
    ----------
    Favero et al. (2025), App. G, Fig. 19.

    Examples
    --------
    >>> r = optimizer_experiment([2, 4, 8], optimizers=[("sgd", 1.0, 0.0, 40)], d=4,
    ...                          width=16, m=2, alpha=10.0, n_evals=20, seeds=[0])
    >>> fig = plot_optimizer_comparison(r)
    >>> len(fig.axes), fig.axes[-1].get_xlabel()
    (2, 'training points $P$')
    """
    import matplotlib

    from memlab._validation import check_instance
    from memlab.verification._plotting import figure_for

    result = check_instance("result", result, OptimizerResult)
    n_set = len(result.labels)
    ncols = 2 if n_set + 1 <= 4 else 3
    nrows = -(-(n_set + 1) // ncols)
    fig = figure_for(fig, figsize=(5.6 * ncols, 4.3 * nrows + 0.8))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_set + 1:]:
        ax.set_visible(False)
    Ps = sorted({int(p) for p in result.P})
    seeds = sorted({int(s) for s in result.run_seed})
    cmap = matplotlib.colormaps["viridis"]

    def p_colour(P):
        return cmap(0.85 * Ps.index(P) / max(1, len(Ps) - 1))

    set_colours = [matplotlib.colormaps["tab10"](k % 10) for k in range(n_set)]

    def draw_loss_axes(ax, xlabel, title):
        ax.axhline(0.5, color="0.6", lw=0.8, zorder=0)
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("train loss / its initial value")
        ax.set_title(title, fontsize=10)
        if ax.lines:
            ax.legend(fontsize=7, loc="lower left",
                      title=r"dots: $\tau_{\rm mem}$ (half the initial loss)", title_fontsize=7)

    markers = ["o", "s", "^", "D", "v", "P"]
    for k in range(n_set):
        ax = axes[k]
        lr = float(result.lrs[k])
        for P in Ps:
            sel = np.flatnonzero((result.setting == k) & (result.P == P)
                                 & (result.run_seed == seeds[0]))
            run = result.runs[sel[0]] if sel.size else None
            if run is None:
                continue
            x = run.times / lr / P
            ax.plot(x, run.train_loss / run.train_loss[0], color=p_colour(P), lw=1.3,
                    label=f"P = {P}")
            if np.isfinite(run.tau_mem):
                ax.plot([run.tau_mem / lr / P], [0.5], "o", color=p_colour(P), ms=4)
        draw_loss_axes(ax, "gradient steps / $P$",
                       f"({chr(97 + k)}) {result.labels[k]}, seed {seeds[0]}")
    ax = axes[n_set]
    for k in range(n_set):
        sel = (result.setting == k) & np.isfinite(result.steps_mem)
        ax.plot(result.P[sel], result.steps_mem[sel], markers[k % len(markers)], ls="",
                color=set_colours[k], ms=5, alpha=0.8)
        if np.isfinite(result.exponent[k]):
            grid = np.array([min(Ps), max(Ps)], dtype=float)
            ok = sel & (result.steps_mem > 0)
            logP, logs = np.log(result.P[ok]), np.log(result.steps_mem[ok])
            icpt = np.mean(logs) - result.exponent[k] * np.mean(logP)
            ax.plot(grid, np.exp(icpt) * grid ** result.exponent[k], "-",
                    color=set_colours[k], lw=1.2,
                    label=f"{result.labels[k]}: $\\beta$ = {result.exponent[k]:.2f} "
                          f"[{result.ci_low[k]:.2f}, {result.ci_high[k]:.2f}]")
        else:
            ax.plot([], [], markers[k % len(markers)], color=set_colours[k],
                    label=f"{result.labels[k]}: no fit")
    fin = np.isfinite(result.steps_mem) & (result.steps_mem > 0)
    if fin.any():
        grid = np.array([min(Ps), max(Ps)], dtype=float)
        y0 = float(np.exp(np.median(np.log(result.steps_mem[fin]))))
        P0 = float(np.exp(np.mean(np.log(Ps))))
        ax.plot(grid, y0 * grid / P0, "--", color="0.3", lw=1.5, alpha=0.6,
                label=r"$\propto P$ (Favero et al. 2025, Fig. 19; kernel theory for GD)")
        ax.plot(grid, y0 * np.sqrt(grid / P0), ":", color="0.3", lw=1.5, alpha=0.8,
                label=r"$\propto \sqrt{P}$ (sign-descent heuristic for Adam)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(Ps)
    ax.set_xticklabels([str(P) for P in Ps])
    ax.minorticks_off()
    ax.set_xlabel("training points $P$")
    ax.set_ylabel(r"memorization steps $\tau_{\rm mem}/\eta$")
    ax.set_title(f"({chr(97 + n_set)}) memorization steps against P, fits with 95% "
                 "intervals", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    adam = [k for k in range(n_set) if result.optimizers[k] == "adam"]
    if adam and len(axes) > n_set + 1:
        ax, k = axes[n_set + 1], adam[0]
        ax.set_visible(True)
        for P in Ps:
            sel = np.flatnonzero((result.setting == k) & (result.P == P)
                                 & (result.run_seed == seeds[0]))
            run = result.runs[sel[0]] if sel.size else None
            if run is None:
                continue
            scale = float(result.lrs[k]) * np.sqrt(P)
            ax.plot(run.times / scale, run.train_loss / run.train_loss[0], color=p_colour(P),
                    lw=1.3, label=f"P = {P}")
            if np.isfinite(run.tau_mem):
                ax.plot([run.tau_mem / scale], [0.5], "o", color=p_colour(P), ms=4)
        draw_loss_axes(ax, r"gradient steps / $\sqrt{P}$",
                       f"({chr(98 + n_set)}) {result.labels[k]} against steps / "
                       r"$\sqrt{P}$, seed " f"{seeds[0]}")
    n_div = int(result.diverged.sum())
    n_nr = int((~result.diverged & ~np.isfinite(result.tau_mem)).sum())
    fig.suptitle(
        f"Score network (Favero et al. 2025, App. G): {result.parametrisation.upper()}, width "
        f"{result.width}, lazy scale $\\alpha$ = {result.alpha:g}, d = {result.d}, "
        f"$\\sigma$ = {result.sigma:g}, m = {result.m}, full batch, seeds {seeds}\n"
        f"{result.tau_mem.size} runs: {n_div} diverged, {n_nr} did not reach "
        r"$\tau_{\rm mem}$ (train loss at half its start)", fontsize=10)
    return fig
