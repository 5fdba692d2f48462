r"""Memorization measurements shared by the verification experiments (seeds 000, 001, 002).

* [`copy_mask`][memlab.theory.metrics.copy_mask] and [`memorization_ratio`][memlab.theory.metrics.memorization_ratio]: the copy criterion of
  Carlini et al. / Yoon et al. (seed 000 sec. 3.1; seed 001 Def. 2.2 with
  c = 1/9 on squared distances): a sample is a copy when its nearest training
  point is more than 3 times closer than the second nearest.
* [`nearest_hamming`][memlab.theory.metrics.nearest_hamming] and [`hamming_copy_fraction`][memlab.theory.metrics.hamming_copy_fraction] for token data.
* [`memorization_onset`][memlab.theory.metrics.memorization_onset]: the first training step at which the
  validation loss exceeds the training loss by a threshold, from curves
  interpolated linearly in log(step) (seed 000, App. D);
* [`fit_power_law`][memlab.theory.metrics.fit_power_law]: a log-log least-squares fit
  $y = A x^\beta$ with the standard error and confidence interval of
  the exponent (e.g. $\tau_{\rm mem} \propto P^\beta$, $\beta \approx 1$).
* [`sliced_wasserstein`][memlab.theory.metrics.sliced_wasserstein]: the sliced Wasserstein distance between two
  samples (seed 002's fidelity metric).
* [`normalised_step`][memlab.theory.metrics.normalised_step]: seed 002's normalised training step
  $\tau B \eta / P$.
* [`phase_diagram`][memlab.theory.metrics.phase_diagram]: the regimes of seed 000 Fig. 6 in the (P, tau) plane.
"""

from __future__ import annotations

from dataclasses import dataclass

from memlab._results import Result
import numpy as np
from scipy import special

from .._validation import (MAX_SAMPLES, _show, check_array, check_bool, check_positive_int, check_real, check_rng,
                          check_tokens)

__all__ = ["PowerLawFit", "fit_power_law", "memorization_onset", "first_crossing",
           "nearest_distances", "copy_mask", "memorization_ratio", "nearest_hamming",
           "hamming_copy_fraction", "sliced_wasserstein", "normalised_step", "phase_diagram",
           "PHASES"]


@dataclass(frozen=True)
class PowerLawFit(Result):
    """Result of [`fit_power_law`][memlab.theory.metrics.fit_power_law]: ``y ~ prefactor * x**exponent``.

    Attributes: ``exponent`` (estimate), ``stderr``, ``ci_low``, ``ci_high``
    (level ``confidence``, Student t), ``prefactor``, ``n_samples`` (points).
    """

    exponent: float
    stderr: float
    ci_low: float
    ci_high: float
    prefactor: float
    confidence: float
    n_samples: int

    @property
    def estimate(self) -> float:
        return self.exponent


def fit_power_law(x, y, *, y_err=None, confidence=0.95) -> PowerLawFit:
    r"""Least-squares fit of $\log y = \log A + \beta\log x$.

    Parameters
    ----------
    x, y : arrays of positive numbers, at least 3 points.
    y_err : array, optional
        Standard errors of y (e.g. Monte Carlo errors). The fit is then
        weighted by $(y/\sigma_y)^2$ and the slope's standard error is
        the larger of the one propagated from ``y_err`` and the one from the
        residual scatter, so that neither a lucky scatter of a few points nor
        underestimated errors make the interval too narrow.
    confidence : float
        Level of the Student-t interval (n - 2 degrees of freedom).

    Notes
    -----
    Residuals are computed directly (not through $1 - r^2$), so an
    exact power law gives a standard error of ~1e-16.

    Examples
    --------
    >>> f = fit_power_law([1, 2, 4, 8], [3, 6, 12, 24])
    >>> round(f.exponent, 12), round(f.prefactor, 12)
    (1.0, 3.0)
    """
    x = check_array("x", x, ndim=1, lo=0.0, lo_open=True)
    y = check_array("y", y, ndim=1, lo=0.0, lo_open=True)
    if x.shape != y.shape:
        raise ValueError(f"y must have the shape of x {x.shape}, got {y.shape}")
    if x.size < 3:
        raise ValueError(f"fit_power_law needs at least 3 points, got {x.size}")
    if np.ptp(np.log(x)) == 0:
        raise ValueError("x must take at least two distinct values")
    confidence = check_real("confidence", confidence, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    lx, ly = np.log(x), np.log(y)
    if y_err is None:
        w = np.ones_like(lx)
    else:
        err = check_array("y_err", y_err, ndim=1, lo=0.0, lo_open=True)
        if err.shape != y.shape:
            raise ValueError(f"y_err must have the shape of y {y.shape}, got {err.shape}")
        w = (y / err) ** 2                       # 1 / Var(log y)
    xm = (w * lx).sum() / w.sum()
    ym = (w * ly).sum() / w.sum()
    sxx = (w * (lx - xm) ** 2).sum()
    slope = (w * (lx - xm) * (ly - ym)).sum() / sxx
    intercept = ym - slope * xm
    resid = ly - intercept - slope * lx
    dof = x.size - 2
    se_resid = np.sqrt((w * resid**2).sum() / dof / sxx)
    se = se_resid if y_err is None else max(se_resid, 1.0 / np.sqrt(sxx))
    t = special.stdtrit(dof, 0.5 + confidence / 2.0)   # Student t quantile
    return PowerLawFit(float(slope), float(se), float(slope - t * se), float(slope + t * se),
                       float(np.exp(intercept)), confidence, int(x.size))


def first_crossing(x, y, level, *, above=True, log_x=False) -> float:
    """First x where the piecewise-linear curve y(x) reaches ``level``.

    The first index where ``y > level`` (``above=True``) or ``y <= level``
    (``above=False``) is found and the crossing is interpolated linearly inside
    the segment before it, in x or in log(x) (``log_x``). Returns ``x[0]`` if
    the first point already satisfies the condition and NaN if no point does;
    callers decide what those cases mean.
    """
    x = check_array("x", x, ndim=1)
    y = check_array("y", y, ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"y must have the shape of x {x.shape}, got {y.shape}")
    level = check_real("level", level)
    above = check_bool("above", above)
    log_x = check_bool("log_x", log_x)
    hit = np.flatnonzero(y > level if above else y <= level)
    if hit.size == 0:
        return float("nan")
    j = int(hit[0])
    if j == 0:
        return float(x[0])
    u0, u1 = (np.log(x[j - 1]), np.log(x[j])) if log_x else (float(x[j - 1]), float(x[j]))
    frac = (level - y[j - 1]) / (y[j] - y[j - 1])
    u = u0 + frac * (u1 - u0)
    return float(np.exp(u) if log_x else u)


def memorization_onset(steps, train_loss, val_loss, threshold) -> float:
    r"""First step at which ``val_loss - train_loss`` exceeds ``threshold`` (seed 000, App. D).

    Both curves are interpolated linearly in log(step), so their gap is
    piecewise linear in log(step); the crossing of the threshold is solved
    exactly inside the first segment where it happens.

    Returns
    -------
    float
        The onset step, ``steps[0]`` if the gap already exceeds the threshold
        there, or ``nan`` when it never does ("not reached").

    Examples
    --------
    >>> round(memorization_onset([1, 10, 100], [1.0, 0.5, 0.1], [1.0, 0.6, 0.9], 0.5), 4)
    37.2759
    """
    steps = check_array("steps", steps, ndim=1, lo=0.0, lo_open=True)
    tr = check_array("train_loss", train_loss, ndim=1)
    va = check_array("val_loss", val_loss, ndim=1)
    if not (steps.shape == tr.shape == va.shape):
        raise ValueError(f"steps, train_loss and val_loss must have the same shape, got "
                         f"{steps.shape}, {tr.shape}, {va.shape}")
    if steps.size < 2 or np.any(np.diff(steps) <= 0):
        raise ValueError("steps must be increasing with at least 2 entries")
    threshold = check_real("threshold", threshold)
    return first_crossing(steps, va - tr, threshold, above=True, log_x=True)


# --------------------------------------------------------------------------------------
# Copies
# --------------------------------------------------------------------------------------

def _points_pair(x, train):
    train = check_array("train", train, ndim=2)
    x = check_array("x", x, ndim=(1, 2))
    single = x.ndim == 1
    x = x.reshape(-1, x.shape[-1])
    if x.shape[1] != train.shape[1]:
        raise ValueError(f"x must have dimension {train.shape[1]} like train, got {x.shape[1]}")
    return x, train, single


def nearest_distances(x, train, *, k=2, chunk=1024) -> np.ndarray:
    r"""Euclidean distances from each point of ``x`` to its ``k`` nearest points of ``train``.

    Returns an array (batch, k), sorted increasingly. Both sets are centred on
    the training mean before the distances are expanded as
    $|x|^2 + |y|^2 - 2 x\cdot y$, so a common translation does not cost
    precision.
    """
    x, train, single = _points_pair(x, train)
    k = check_positive_int("k", k)
    chunk = check_positive_int("chunk", chunk, maximum=MAX_SAMPLES)
    if k > train.shape[0]:
        raise ValueError(f"k must be <= len(train) = {train.shape[0]}, got {_show(k)}")
    c = train.mean(axis=0)
    T = train - c
    t2 = (T ** 2).sum(axis=1)
    out = np.empty((x.shape[0], k))
    for i in range(0, x.shape[0], chunk):
        X = x[i:i + chunk] - c
        d2 = (X ** 2).sum(axis=1)[:, None] + t2[None, :] - 2.0 * X @ T.T
        part = np.partition(d2, k - 1, axis=1)[:, :k] if k < T.shape[0] else d2
        out[i:i + chunk] = np.sqrt(np.maximum(np.sort(part, axis=1)[:, :k], 0.0))
    return out[0] if single else out


def copy_mask(x, train, *, ratio=1.0 / 3.0) -> np.ndarray:
    r"""Whether each sample is a copy: $\|x - x^{(1)}\| < r \|x - x^{(2)}\|$.

    $x^{(1)}, x^{(2)}$ are the two nearest training points (seed 000
    sec. 3.1 with r = 1/3; seed 001 Def. 2.2 states it on squared distances
    with c = r^2 = 1/9). The criterion is invariant under a common translation
    and scaling of all points. Needs at least two training points.

    Cost: O(B N d) time and O(min(B, 1024) N + N d) memory for B samples and N
    training points in dimension d (distances in chunks of 1024 rows); about
    1.4 s for B = N = 10^4, d = 16.

    >>> import numpy as np
    >>> train = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> copy_mask(np.array([[0.1, 0.0], [5.0, 0.0]]), train).tolist()
    [True, False]
    """
    ratio = check_real("ratio", ratio, lo=0.0, hi=1.0, lo_open=True)
    dist = nearest_distances(x, train, k=2)
    return dist[..., 0] < ratio * dist[..., 1]


def memorization_ratio(x, train, *, ratio=1.0 / 3.0) -> float:
    """Fraction of samples of ``x`` that are copies ([`copy_mask`][memlab.theory.metrics.copy_mask]), seed 001 sec. 4.

    Cost: that of [`copy_mask`][memlab.theory.metrics.copy_mask], O(B N d) time and O(min(B, 1024) N + N d)
    memory for B samples and N training points in dimension d; about 1.4 s for
    B = N = 10^4, d = 16.
    """
    return float(np.mean(copy_mask(x, train, ratio=ratio)))


def nearest_hamming(x, train, *, chunk=4096) -> np.ndarray:
    """Normalised Hamming distance of each string of ``x`` to its nearest string of ``train``.

    Returns an array (batch,) of values in [0, 1]; 0 means an exact copy.
    Computed from one-hot matching counts in chunks (memory chunk x len(train)).

    >>> nearest_hamming([[0, 1, 2, 3], [3, 3, 3, 3]], [[0, 1, 2, 0]]).tolist()
    [0.25, 1.0]
    """
    train, _ = check_tokens("train", train)
    xs, _ = check_tokens("x", x)
    chunk = check_positive_int("chunk", chunk, maximum=MAX_SAMPLES)
    if xs.shape[1] != train.shape[1]:
        raise ValueError(f"x must have length {train.shape[1]} like train, got {xs.shape[1]}")
    d = train.shape[1]
    n_tok = int(max(train.max(), xs.max())) + 1
    eye = np.eye(n_tok, dtype=np.float32)
    T = eye[train].reshape(train.shape[0], -1)
    out = np.empty(xs.shape[0])
    for i in range(0, xs.shape[0], chunk):
        X = eye[xs[i:i + chunk]].reshape(-1, T.shape[1])
        out[i:i + chunk] = (d - (X @ T.T).max(axis=1)) / d
    return out


def hamming_copy_fraction(x, train) -> float:
    """Fraction of strings of ``x`` that are exact copies of a string of ``train``.

    Cost: O(B N d V) time and O(N d V + min(B, 4096) (N + d V)) memory for B and
    N strings of length d over V tokens (one-hot matching counts, chunks of 4096
    rows); about 0.9 s for B = N = 10^4, d = 32, V = 16.
    """
    return float(np.mean(nearest_hamming(x, train) == 0.0))


# --------------------------------------------------------------------------------------
# Distributions, time and regimes
# --------------------------------------------------------------------------------------

def sliced_wasserstein(x, y, *, n_projections=256, p=2, seed=None) -> float:
    r"""Sliced Wasserstein distance $SW_p$ between the empirical laws of two samples.

    $$
    SW_p(\mu, \nu) = \Big(E_{\theta \sim U(S^{d-1})}
    W_p^p(\theta_\# \mu, \theta_\# \nu)\Big)^{1/p},
    $$

    estimated with ``n_projections`` random directions. Each one-dimensional
    $W_p$ is exact: for equal sample sizes the sorted projections are
    matched; otherwise both quantile functions are evaluated on the merged
    grid of cumulative probabilities. Used by seed 002 as the fidelity metric.

    Cost: O((n_x + n_y) P (d + log(n_x + n_y))) time and O((n_x + n_y) P + d P)
    memory for samples of n_x and n_y points in dimension d and P =
    ``n_projections`` (projections and sorts); about 0.3 s for
    n_x = n_y = 10^4, d = 16, P = 256.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((500, 3))
    >>> sliced_wasserstein(x, x, seed=0)
    0.0
    """
    x = check_array("x", x, ndim=2)
    y = check_array("y", y, ndim=2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"y must have dimension {x.shape[1]} like x, got {y.shape[1]}")
    n_projections = check_positive_int("n_projections", n_projections, maximum=MAX_SAMPLES)
    p = check_real("p", p, lo=1.0)
    rng = check_rng(seed)
    theta = rng.standard_normal((x.shape[1], n_projections))
    theta /= np.linalg.norm(theta, axis=0, keepdims=True)
    px, py = np.sort(x @ theta, axis=0), np.sort(y @ theta, axis=0)
    if px.shape[0] == py.shape[0]:
        cost = np.mean(np.abs(px - py) ** p, axis=0)
    else:
        cx = np.arange(1, px.shape[0] + 1) / px.shape[0]
        cy = np.arange(1, py.shape[0] + 1) / py.shape[0]
        grid = np.union1d(cx, cy)                      # right ends of the constant pieces
        w = np.diff(np.concatenate([[0.0], grid]))
        ix = np.minimum(np.searchsorted(cx, grid - 1e-12), px.shape[0] - 1)
        iy = np.minimum(np.searchsorted(cy, grid - 1e-12), py.shape[0] - 1)
        cost = (w[:, None] * np.abs(px[ix] - py[iy]) ** p).sum(axis=0)
    return float(np.mean(cost) ** (1.0 / p))


def normalised_step(step, *, batch_size, lr, P, reference=(1, 1.0, 1)):
    r"""Seed 002's normalised training step $\tau (B/B_0)(\eta/\eta_0)/(P/P_0)$.

    ``reference = (B_0, eta_0, P_0)`` are the smallest values of a sweep (1s
    by default, giving $\tau B \eta / P$). Curves of different P and B
    collapse under this rescaling before memorization (seed 002 sec. 3.3).

    >>> normalised_step(1000, batch_size=64, lr=1e-3, P=1024, reference=(32, 1e-3, 512))
    1000.0
    """
    step = check_array("step", step, lo=0.0)
    B = check_real("batch_size", batch_size, lo=0.0, lo_open=True)
    lr = check_real("lr", lr, lo=0.0, lo_open=True)
    P = check_real("P", P, lo=0.0, lo_open=True)
    if len(reference) != 3:
        raise ValueError(f"reference must be (B_0, eta_0, P_0), got {reference!r}")
    B0, lr0, P0 = (check_real(n, r, lo=0.0, lo_open=True)
                   for n, r in zip(("reference B_0", "reference eta_0", "reference P_0"), reference))
    out = step * (B / B0) * (lr / lr0) / (P / P0)
    return float(out) if out.ndim == 0 else out


PHASES = ("partial generalization", "generalization", "memorization")


def phase_diagram(P, tau, *, P_star, tau_mem_per_P=1.0, tau_star=None):
    r"""Regimes of seed 000 Fig. 6 in the (P, tau) plane.

    With layer sample complexities $P^*_\ell$ (e.g.
    [`memlab.theory.rhm.sample_complexity`][memlab.theory.rhm.sample_complexity]) and learning times
    $\tau^*_\ell$ (default $\tau^*_\ell = P^*_\ell$, the seed's
    reference line), layer $\ell$ is learned at (P, tau) when
    $P > P^*_\ell$ and $\tau > \tau^*_\ell$. Memorization starts
    at $\tau_{\rm mem} = c P$ (``tau_mem_per_P`` = c). Then:

    * ``"memorization"`` if $\tau > \tau_{\rm mem}$;
    * ``"generalization"`` if all L layers are learned;
    * ``"partial generalization"`` otherwise (0 to L - 1 layers learned).

    Parameters
    ----------
    P, tau : arrays broadcast against each other.
    P_star : sequence of L positive numbers, increasing.
    tau_mem_per_P : float > 0
    tau_star : sequence of L positive numbers, optional.

    Returns
    -------
    regime : int array, an index into [`PHASES`][memlab.theory.metrics.PHASES].
    layers : int array, the number of learned layers.

    >>> regime, layers = phase_diagram([100, 10_000], [500, 5_000], P_star=[10, 100, 1000])
    >>> [PHASES[r] for r in regime], layers.tolist()
    (['memorization', 'generalization'], [1, 3])
    """
    P = check_array("P", P, lo=0.0, lo_open=True)
    tau = check_array("tau", tau, lo=0.0)
    ps = check_array("P_star", P_star, ndim=1, lo=0.0, lo_open=True)
    if np.any(np.diff(ps) < 0):
        raise ValueError(f"P_star must be increasing, got {ps.tolist()}")
    ts = ps if tau_star is None else check_array("tau_star", tau_star, ndim=1, lo=0.0)
    if ts.shape != ps.shape:
        raise ValueError(f"tau_star must have the length of P_star ({ps.size}), got {ts.size}")
    c = check_real("tau_mem_per_P", tau_mem_per_P, lo=0.0, lo_open=True)
    P, tau = np.broadcast_arrays(P, tau)
    learned = (P[..., None] > ps) & (tau[..., None] > ts)
    layers = np.cumprod(learned, axis=-1).sum(axis=-1)      # layers are learned bottom-up
    regime = np.where(tau > c * P, 2, np.where(layers == ps.size, 1, 0))
    return regime, layers
