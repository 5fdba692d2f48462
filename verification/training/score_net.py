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

References
----------
Favero et al. (2025), "Bigger isn't always memorizing: early stopping overparameterized
diffusion models", App. G (eq. 24 and Figs. 16-18).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from memlab._results import Result
from memlab._validation import (
    check_allocation,
    check_positive_int,
    check_positive_real,
    check_rng,
)
from memlab.theory.metrics import first_crossing
from memlab.verification._checks import check_count, check_device

if TYPE_CHECKING:
    import torch

#: Upper bound on ``P``, on ``width`` and on ``P * m``, the training samples.
MAX_SIZE = 10**6

#: Upper bound on the number of gradient steps, ``ceil(max_time / lr)``.
MAX_STEPS = 10**7

__all__ = ["TrainingRun", "train_score_network"]


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


def train_score_network(P: int, sigma: float, d: int, *, width: int = 1024, m: int = 8,
                        parametrisation: str = "ntk", lr: float | None = None,
                        max_time: float | None = None, batch_size: int | None = None,
                        eval_every: int = 10, alpha: float = 1.0,
                        device: str | torch.device = "cpu", seed: int = 0) -> TrainingRun:
    r"""Train the network by (stochastic) gradient descent and record train/test losses.

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
        Learning rate (default 1.0 for "ntk"; 0.0125 x h for "mf": stable for
        P = 8..64 at width 1024, d = 16, sigma = 0.1, and converged in the
        learning rate (halving it changed tau_mem by 0.01% at P = 32); 0.1 x h
        was unstable at P = 32, see docs/kernel_scaling.md).
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
    Favero et al. (2025), App. G (eq. 24, Figs. 16-18); Chizat et al. (2019) for the lazy
    scale ``alpha``.

    Examples
    --------
    A small lazy network memorizes 4 points in d = 4: the train loss falls below
    half its start while the test loss grows.

    >>> r = train_score_network(4, 0.1, 4, width=64, seed=0)
    >>> bool(r.train_loss[-1] < 0.5 < r.test_loss[-1]), 100 < r.tau_mem < 150
    (True, True)
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
    if lr is None:
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
                        f"{step * lr:.3g}) with sigma = {sigma!r}, d = {d}, width = {width}; "
                        "use a smaller lr")
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
                W -= lr / alpha**2 * gW
                A -= lr / alpha**2 * gA
    times, train, test = np.array(times), np.array(train), np.array(test)
    tau = first_crossing(times, train, 0.5 * train[0], above=False)
    return TrainingRun(times, train, test, tau, P, sigma, d, width, parametrisation, batch_size,
                       n, seed)
