r"""Memorization measurements shared by the verification experiments.

They come from three of the papers memlab checks: Favero et al. (2025), Buchanan et
al. (2025) and the position paper (2026).

* [`copy_mask`][memlab.theory.metrics.copy_mask] and [`memorization_ratio`][memlab.theory.metrics.memorization_ratio]: the copy criterion of
  Carlini et al. / Yoon et al. (Favero et al. 2025, Sec. 3.1; Buchanan et al. 2025,
  Def. 2.2 with c = 1/9 on squared distances): a sample is a copy when its nearest
  training point is more than 3 times closer than the second nearest.
* [`nearest_hamming`][memlab.theory.metrics.nearest_hamming] and [`hamming_copy_fraction`][memlab.theory.metrics.hamming_copy_fraction] for token data.
* [`memorization_onset`][memlab.theory.metrics.memorization_onset]: the first training step at which the
  validation loss exceeds the training loss by a threshold, from curves
  interpolated linearly in log(step) (Favero et al. 2025, App. D).
* [`fit_power_law`][memlab.theory.metrics.fit_power_law]: a log-log least-squares fit
  $y = A x^\beta$ with the standard error and confidence interval of
  the exponent (e.g. $\tau_{\rm mem} \propto P^\beta$, $\beta \approx 1$).
* [`sliced_wasserstein`][memlab.theory.metrics.sliced_wasserstein]: the sliced Wasserstein distance between two
  samples (the fidelity metric of the position paper, 2026).
* [`frechet_distance`][memlab.theory.metrics.frechet_distance] (and its closed form
  [`gaussian_frechet_distance`][memlab.theory.metrics.gaussian_frechet_distance]): the
  squared Fréchet distance between Gaussian fits of two samples, the FID analogue for
  low-dimensional data; [`precision_recall`][memlab.theory.metrics.precision_recall]: the
  k-NN manifold precision and recall of Kynkäänniemi et al. (2019); and
  [`best_before`][memlab.theory.metrics.best_before]: the best fidelity reached before
  memorization sets in (the position paper, 2026, Sec. 3).
* [`normalised_step`][memlab.theory.metrics.normalised_step]: the normalised training step
  $\tau B \eta / P$ of the position paper (2026), Sec. 3.3.
* [`phase_diagram`][memlab.theory.metrics.phase_diagram]: the regimes of Favero et al. (2025), Fig. 6, in the (P, tau) plane.

Where these stop holding: the copy criterion is a convention (a threshold r = 1/3 on
a distance ratio), not a derived bound; the collapse of training curves under the
normalised step is an empirical observation that holds before memorization only; the
phase diagram puts sharp thresholds where the measured transitions are smooth.

References
----------
- A. Favero, A. Sclocchi, M. Wyart (2025), "Bigger isn't always memorizing: early
  stopping overparameterized diffusion models": Sec. 3.1, Sec. 4, App. D, Fig. 6.
- S. Buchanan, D. Pai, Y. Ma, V. De Bortoli (2025), "On the edge of memorization in
  diffusion models", NeurIPS 2025: Def. 2.2, Sec. 4.
- "Understanding diffusion models requires rethinking (again) generalization"
  (the position paper, 2026): Sec. 3.3 and its fidelity metric.
"""

from __future__ import annotations

from dataclasses import dataclass

from memlab._results import Result
import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .._validation import (MAX_SAMPLES, _show, check_array, check_bool, check_positive_int, check_real, check_rng,
                          check_tokens)

__all__ = ["PowerLawFit", "fit_power_law", "memorization_onset", "first_crossing",
           "nearest_distances", "copy_mask", "memorization_ratio", "nearest_hamming",
           "hamming_copy_fraction", "sliced_wasserstein", "normalised_step", "phase_diagram",
           "PHASES", "gaussian_frechet_distance", "frechet_distance", "precision_recall",
           "best_before"]


@dataclass(frozen=True)
class PowerLawFit(Result):
    r"""Result of [`fit_power_law`][memlab.theory.metrics.fit_power_law]: `y ~ prefactor * x**exponent`.

    Attributes
    ----------
    exponent : float
        The fitted exponent $\beta$ (also available as `estimate`).
    stderr : float
        Standard error of the exponent.
    ci_low : float
        Lower end of the Student-t confidence interval of the exponent.
    ci_high : float
        Upper end of that interval.
    prefactor : float
        The fitted prefactor $A$ of $y = A x^\beta$.
    confidence : float
        Level of the interval, in (0, 1).
    n_samples : int
        Number of points fitted.
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
        """The fitted exponent (an alias of `exponent`)."""
        return self.exponent


def fit_power_law(x: ArrayLike, y: ArrayLike, *, y_err: ArrayLike | None = None,
                  confidence: float = 0.95) -> PowerLawFit:
    r"""Least-squares fit of $\log\,y = \log\,A + \beta\log\,x$.

    Used to measure scaling laws such as $\tau_{\rm mem} \propto P^\beta$
    ($\beta \approx 1$, Favero et al. 2025, App. G). The Student-t interval assumes
    independent Gaussian errors in $\log\,y$; on a curved log-log plot the exponent is
    only a mean local slope over the range of `x`.

    Parameters
    ----------
    x : array_like of float, shape (n,)
        Positive abscissae, at least 3 points, at least two distinct.
    y : array_like of float, shape (n,)
        Positive ordinates, one per `x`.
    y_err : array_like of float, shape (n,), optional
        Standard errors of y (e.g. Monte Carlo errors), positive. The fit is then
        weighted by $(y/\sigma_y)^2$ and the slope's standard error is
        the larger of the one propagated from `y_err` and the one from the
        residual scatter, so that neither a lucky scatter of a few points nor
        underestimated errors make the interval too narrow.
    confidence : float, default 0.95
        Level of the Student-t interval (n - 2 degrees of freedom), in (0, 1).

    Returns
    -------
    PowerLawFit
        Exponent, its standard error and confidence interval, prefactor, level and
        number of points.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If `x`, `y` or `y_err` is not one-dimensional, not positive or not finite, the
        shapes differ, there are fewer than 3 points, all `x` are equal, or
        `confidence` is outside (0, 1).

    Notes
    -----
    Residuals are computed directly (not through $1 - r^2$), so an
    exact power law gives a standard error of ~1e-16.

    References
    ----------
    Favero et al. (2025), App. G (the scaling $\tau_{\rm mem} \propto P$ it is used for).

    Examples
    --------
    >>> f = fit_power_law([1, 2, 4, 8], [3, 6, 12, 24])
    >>> round(f.exponent, 12), round(f.prefactor, 12)
    (1.0, 3.0)
    >>> f = fit_power_law([1, 2, 4, 8], [1.1, 3.9, 16.5, 63], y_err=[0.1, 0.2, 0.5, 2])
    >>> round(f.exponent, 3), round(f.ci_low, 2), round(f.ci_high, 2)
    (1.974, 1.83, 2.12)
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


def first_crossing(x: ArrayLike, y: ArrayLike, level: float, *, above: bool = True,
                   log_x: bool = False) -> float:
    """First x where the piecewise-linear curve y(x) reaches `level`.

    The first index where `y > level` (`above=True`) or `y <= level`
    (`above=False`) is found and the crossing is interpolated linearly inside
    the segment before it, in x or in log(x) (`log_x`). Returns `x[0]` if
    the first point already satisfies the condition and NaN if no point does;
    callers decide what those cases mean. Exact for a piecewise-linear curve; for a
    sampled smooth curve the error is that of linear interpolation between samples.

    Parameters
    ----------
    x : array_like of float, shape (n,)
        Abscissae, in the order the curve is traversed (positive if `log_x`).
    y : array_like of float, shape (n,)
        Ordinates, one per `x`.
    level : float
        The level to reach.
    above : bool, default True
        Look for `y > level` (True) or `y <= level` (False).
    log_x : bool, default False
        Interpolate linearly in log(x) instead of x.

    Returns
    -------
    float
        The crossing, `x[0]` if the first point already satisfies the condition,
        NaN if no point does.

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a non-bool `above`).
    ValueError
        If `x` or `y` is not one-dimensional or not finite, or their shapes differ.

    References
    ----------
    Used for the crossover point of Buchanan et al. (2025), eq. 14, and the
    memorization onset of Favero et al. (2025), App. D.

    Examples
    --------
    >>> first_crossing([1, 2, 3], [0.0, 1.0, 2.0], 0.5)
    1.5
    >>> round(first_crossing([1, 10, 100], [3, 2, 1], 1.5, above=False, log_x=True), 4)
    31.6228
    >>> first_crossing([1, 2], [0, 0], 1.0)
    nan
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


def memorization_onset(steps: ArrayLike, train_loss: ArrayLike, val_loss: ArrayLike,
                       threshold: float) -> float:
    r"""First step at which `val_loss - train_loss` exceeds `threshold` (Favero et al. 2025, App. D).

    Both curves are interpolated linearly in log(step), so their gap is
    piecewise linear in log(step); the crossing of the threshold is solved
    exactly inside the first segment where it happens. The onset is only as fine as
    the logged steps: between two logged steps the true gap need not be linear in
    log(step).

    Parameters
    ----------
    steps : array_like of float, shape (n,)
        Training steps, positive and increasing, at least 2.
    train_loss : array_like of float, shape (n,)
        Training loss at each step.
    val_loss : array_like of float, shape (n,)
        Validation (test) loss at each step.
    threshold : float
        Gap `val_loss - train_loss` that marks the onset.

    Returns
    -------
    float
        The onset step, `steps[0]` if the gap already exceeds the threshold
        there, or `nan` when it never does ("not reached").

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If the arrays are not one-dimensional, not finite or of different shapes, or
        `steps` is not positive and increasing with at least 2 entries.

    References
    ----------
    Favero et al. (2025), App. D.

    Examples
    --------
    >>> round(memorization_onset([1, 10, 100], [1.0, 0.5, 0.1], [1.0, 0.6, 0.9], 0.5), 4)
    37.2759
    >>> memorization_onset([1, 10, 100], [1.0, 0.5, 0.1], [1.0, 0.6, 0.9], 5.0)
    nan
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

def _points_pair(x: ArrayLike, train: ArrayLike) -> tuple[np.ndarray, np.ndarray, bool]:
    train = check_array("train", train, ndim=2)
    x = check_array("x", x, ndim=(1, 2))
    single = x.ndim == 1
    x = x.reshape(-1, x.shape[-1])
    if x.shape[1] != train.shape[1]:
        raise ValueError(f"x must have dimension {train.shape[1]} like train, got {x.shape[1]}")
    return x, train, single


def nearest_distances(x: ArrayLike, train: ArrayLike, *, k: int = 2,
                      chunk: int = 1024) -> np.ndarray:
    r"""Euclidean distances from each point of `x` to its `k` nearest points of `train`.

    Both sets are centred on the training mean before the distances are expanded as
    $\|x\|^2 + \|y\|^2 - 2\, x\cdot y$, so a common translation does not cost
    precision. The distances behind the copy criterion of
    [`copy_mask`][memlab.theory.metrics.copy_mask].

    Parameters
    ----------
    x : array_like of float, shape (batch, d) or (d,)
        Query points.
    train : array_like of float, shape (N, d)
        Training points.
    k : int, default 2
        Number of neighbours, 1 <= k <= N.
    chunk : int, default 1024
        Rows of `x` per block (memory chunk x N floats).

    Returns
    -------
    numpy.ndarray
        Shape (batch, k), or (k,) for a single point; sorted increasingly.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the shapes are wrong, the dimensions of `x` and `train` differ, a value is
        not finite, or `k > N`.

    References
    ----------
    Favero et al. (2025), Sec. 3.1; Buchanan et al. (2025), Def. 2.2.

    Examples
    --------
    >>> nearest_distances([[0.0, 0.0]], [[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]])
    array([[1., 2.]])
    >>> nearest_distances([0.0, 0.0], [[3.0, 4.0], [1.0, 0.0]], k=1)
    array([1.])
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


def copy_mask(x: ArrayLike, train: ArrayLike, *, ratio: float = 1.0 / 3.0) -> np.ndarray:
    r"""Whether each sample is a copy: $\|x - x^{(1)}\| < r \|x - x^{(2)}\|$.

    $x^{(1)}, x^{(2)}$ are the two nearest training points. This is the copy
    criterion of Carlini et al. / Yoon et al., as used by Favero et al. (2025),
    Sec. 3.1, with r = 1/3, and by Buchanan et al. (2025), Def. 2.2, stated on
    squared distances with $c = r^2 = 1/9$. The criterion is invariant under a
    common translation and scaling of all points. Needs at least two training
    points. The threshold r = 1/3 is a convention of those papers, not a derived
    bound.

    Cost: O(B N d) time and O(min(B, 1024) N + N d) memory for B samples and N
    training points in dimension d (distances in chunks of 1024 rows); about
    1.4 s for B = N = 10^4, d = 16.

    Parameters
    ----------
    x : array_like of float, shape (B, d) or (d,)
        Samples.
    train : array_like of float, shape (N, d)
        Training points, N >= 2.
    ratio : float, default 1/3
        The ratio r, in (0, 1].

    Returns
    -------
    numpy.ndarray of bool
        Shape (B,), or a 0-d array for a single sample.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the shapes are wrong or differ in d, `train` has fewer than two points, a
        value is not finite, or `ratio` is outside (0, 1].

    References
    ----------
    Favero et al. (2025), Sec. 3.1; Buchanan et al. (2025), Def. 2.2.

    Examples
    --------
    >>> import numpy as np
    >>> train = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> copy_mask(np.array([[0.1, 0.0], [5.0, 0.0]]), train).tolist()
    [True, False]
    """
    ratio = check_real("ratio", ratio, lo=0.0, hi=1.0, lo_open=True)
    dist = nearest_distances(x, train, k=2)
    return dist[..., 0] < ratio * dist[..., 1]


def memorization_ratio(x: ArrayLike, train: ArrayLike, *, ratio: float = 1.0 / 3.0) -> float:
    """Fraction of samples of `x` that are copies ([`copy_mask`][memlab.theory.metrics.copy_mask]), Buchanan et al. (2025), Sec. 4.

    Cost: that of [`copy_mask`][memlab.theory.metrics.copy_mask], O(B N d) time and O(min(B, 1024) N + N d)
    memory for B samples and N training points in dimension d; about 1.4 s for
    B = N = 10^4, d = 16.

    Parameters
    ----------
    x : array_like of float, shape (B, d) or (d,)
        Samples.
    train : array_like of float, shape (N, d)
        Training points, N >= 2.
    ratio : float, default 1/3
        The ratio r of the copy criterion, in (0, 1].

    Returns
    -------
    float
        Fraction of copies, in [0, 1].

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        As [`copy_mask`][memlab.theory.metrics.copy_mask].

    References
    ----------
    Buchanan et al. (2025), Def. 2.2 and Sec. 4; Favero et al. (2025), Sec. 3.1.

    Examples
    --------
    >>> import numpy as np
    >>> train = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> memorization_ratio(np.array([[0.1, 0.0], [5.0, 0.0]]), train)
    0.5
    """
    return float(np.mean(copy_mask(x, train, ratio=ratio)))


def nearest_hamming(x: ArrayLike, train: ArrayLike, *, chunk: int = 4096) -> np.ndarray:
    """Normalised Hamming distance of each string of `x` to its nearest string of `train`.

    The copy measure for token data (the Random Hierarchy Model of Favero et al.
    2025, Sec. 4): 0 means an exact copy. Computed from one-hot matching counts in
    chunks (memory chunk x len(train)).

    Parameters
    ----------
    x : array_like of int, shape (B, L) or (L,)
        Token strings (non-negative integers).
    train : array_like of int, shape (N, L)
        Training strings of the same length.
    chunk : int, default 4096
        Rows of `x` per block.

    Returns
    -------
    numpy.ndarray
        Shape (B,) (one entry for a single string), values in [0, 1].

    Raises
    ------
    TypeError
        If the tokens are not integers (bool, string, complex, None, ...).
    ValueError
        If the shapes are wrong or the string lengths differ, a token is negative or
        non-integral, or `chunk` is not a positive integer.

    References
    ----------
    Favero et al. (2025), Sec. 4.

    Examples
    --------
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


def hamming_copy_fraction(x: ArrayLike, train: ArrayLike) -> float:
    """Fraction of strings of `x` that are exact copies of a string of `train`.

    Copies are strings at normalised Hamming distance 0
    ([`nearest_hamming`][memlab.theory.metrics.nearest_hamming]).

    Cost: O(B N d V) time and O(N d V + min(B, 4096) (N + d V)) memory for B and
    N strings of length d over V tokens (one-hot matching counts, chunks of 4096
    rows); about 0.9 s for B = N = 10^4, d = 32, V = 16.

    Parameters
    ----------
    x : array_like of int, shape (B, L) or (L,)
        Token strings.
    train : array_like of int, shape (N, L)
        Training strings of the same length.

    Returns
    -------
    float
        Fraction of exact copies, in [0, 1].

    Raises
    ------
    TypeError
        If the tokens are not integers.
    ValueError
        As [`nearest_hamming`][memlab.theory.metrics.nearest_hamming].

    References
    ----------
    Favero et al. (2025), Sec. 4.

    Examples
    --------
    >>> hamming_copy_fraction([[0, 1, 2, 3], [0, 1, 2, 0]], [[0, 1, 2, 0]])
    0.5
    """
    return float(np.mean(nearest_hamming(x, train) == 0.0))


# --------------------------------------------------------------------------------------
# Distributions, time and regimes
# --------------------------------------------------------------------------------------

def sliced_wasserstein(x: ArrayLike, y: ArrayLike, *, n_projections: int = 256,
                       p: float = 2, seed: np.random.Generator | int | None = None) -> float:
    r"""Sliced Wasserstein distance $SW_p$ between the empirical laws of two samples.

    $$
    SW_p(\mu, \nu) = \Big(E_{\theta \sim U(S^{d-1})}
    W_p^p(\theta_\# \mu, \theta_\# \nu)\Big)^{1/p},
    $$

    estimated with P = `n_projections` random directions (a Monte Carlo error of
    relative order $1/\sqrt{P}$). Each one-dimensional
    $W_p$ is exact: for equal sample sizes the sorted projections are
    matched; otherwise both quantile functions are evaluated on the merged
    grid of cumulative probabilities. Used by the position paper (2026) as the
    fidelity metric.

    Cost: O((n_x + n_y) P (d + log(n_x + n_y))) time and O((n_x + n_y) P + d P)
    memory for samples of n_x and n_y points in dimension d and P =
    `n_projections` (projections and sorts); about 0.3 s for
    n_x = n_y = 10^4, d = 16, P = 256.

    Parameters
    ----------
    x : array_like of float, shape (n_x, d)
        First sample.
    y : array_like of float, shape (n_y, d)
        Second sample, same d.
    n_projections : int, default 256
        Number of random directions, 1 to 1e9.
    p : float, default 2
        Order of the distance, >= 1.
    seed : numpy.random.Generator, int or None, default None
        Randomness of the directions: the columns of a (d, P) array of standard normals
        drawn from the Generator of ``seed``, each normalised to length 1; a fixed int
        reproduces the result.

    Returns
    -------
    float
        The estimate of $SW_p$, >= 0.

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a bool `seed`).
    ValueError
        If `x` or `y` is not two-dimensional or not finite, their dimensions differ,
        `n_projections` is not a positive integer, or `p < 1`.

    References
    ----------
    The position paper (2026), "Understanding diffusion models requires rethinking
    (again) generalization" (its fidelity metric).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((500, 2))
    >>> sliced_wasserstein(x, x, seed=0)
    0.0
    >>> round(sliced_wasserstein(x, x + [1.0, 0.0], n_projections=4096, seed=0), 2)  # 1/sqrt(2)
    0.71
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


def normalised_step(step: ArrayLike, *, batch_size: float, lr: float, P: float,
                    reference: tuple[float, float, float] = (1, 1.0, 1)) -> float | np.ndarray:
    r"""Normalised training step $\tau (B/B_0)(\eta/\eta_0)/(P/P_0)$ of the position paper (2026).

    `reference = (B_0, eta_0, P_0)` are the smallest values of a sweep (1s
    by default, giving $\tau B \eta / P$). Curves of different P and B
    collapse under this rescaling before memorization (the position paper,
    Sec. 3.3); the collapse is an empirical observation of that paper and holds only
    before memorization.

    Parameters
    ----------
    step : float or array_like
        Training steps $\tau$, >= 0.
    batch_size : float
        Batch size B, > 0 (keyword-only).
    lr : float
        Learning rate $\eta$, > 0 (keyword-only).
    P : float
        Training-set size, > 0 (keyword-only).
    reference : tuple of 3 floats, default (1, 1.0, 1)
        $(B_0, \eta_0, P_0)$, each > 0.

    Returns
    -------
    float or numpy.ndarray
        The normalised step; a float for a scalar `step`, else an array of its shape.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If `step < 0`, `batch_size`, `lr`, `P` or an entry of `reference` is not
        positive and finite, or `reference` does not have 3 entries.

    References
    ----------
    The position paper (2026), Sec. 3.3.

    Examples
    --------
    >>> normalised_step(1000, batch_size=64, lr=1e-3, P=1024, reference=(32, 1e-3, 512))
    1000.0
    >>> normalised_step([10, 100], batch_size=2, lr=0.5, P=4)
    array([ 2.5, 25. ])
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
"""Names of the regimes of [`phase_diagram`][memlab.theory.metrics.phase_diagram], indexed by its `regime`."""


def phase_diagram(P: ArrayLike, tau: ArrayLike, *, P_star: ArrayLike,
                  tau_mem_per_P: float = 1.0,
                  tau_star: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Regimes of Favero et al. (2025), Fig. 6, in the (P, tau) plane.

    With layer sample complexities $P^*_\ell$ (e.g.
    [`memlab.theory.rhm.sample_complexity`][memlab.theory.rhm.sample_complexity]) and learning times
    $\tau^*_\ell$ (default $\tau^*_\ell = P^*_\ell$, the paper's
    reference line), layer $\ell$ is learned at (P, tau) when
    $P > P^*_\ell$ and $\tau > \tau^*_\ell$. Memorization starts
    at $\tau_{\rm mem} = c P$ (`tau_mem_per_P` = c). Then:

    * `"memorization"` if $\tau > \tau_{\rm mem}$;
    * `"generalization"` if all L layers are learned;
    * `"partial generalization"` otherwise (0 to L - 1 layers learned).

    The boundaries are sharp thresholds on the paper's scaling laws; measured
    transitions are smooth, so the diagram locates the regimes but not the width of
    the transitions between them.

    Parameters
    ----------
    P : array_like of float
        Training-set sizes, > 0; broadcast against `tau`.
    tau : array_like of float
        Training times, >= 0.
    P_star : array_like of float, shape (L,)
        Layer sample complexities, positive and increasing (keyword-only).
    tau_mem_per_P : float, default 1.0
        The constant c of $\tau_{\rm mem} = c P$, > 0.
    tau_star : array_like of float, shape (L,), optional
        Layer learning times, >= 0; default `P_star`.

    Returns
    -------
    regime : numpy.ndarray of int
        Index into [`PHASES`][memlab.theory.metrics.PHASES], of the broadcast shape
        of `P` and `tau`.
    layers : numpy.ndarray of int
        Number of learned layers (bottom-up), same shape.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If `P <= 0`, `tau < 0`, `P_star` is not positive and increasing, `tau_star`
        has another length than `P_star`, `tau_mem_per_P <= 0`, a value is not
        finite, or `P` and `tau` do not broadcast.

    References
    ----------
    Favero et al. (2025), Fig. 6.

    Examples
    --------
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


# ----------------------------------------------------------------------------
# Fidelity metrics of the position paper (2026)
# ----------------------------------------------------------------------------


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (eigenvalues
    below zero from rounding are clipped)."""
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def gaussian_frechet_distance(m1: ArrayLike, S1: ArrayLike, m2: ArrayLike,
                              S2: ArrayLike) -> float:
    r"""Squared Fréchet (2-Wasserstein) distance between $\mathcal N(m_1, S_1)$ and $\mathcal N(m_2, S_2)$.

    $$
    d^2 = \|m_1 - m_2\|^2 + \operatorname{tr}\big(S_1 + S_2
          - 2\,(S_1^{1/2} S_2 S_1^{1/2})^{1/2}\big),
    $$

    the quantity behind the FID. The matrix square roots are taken by symmetric
    eigendecompositions (no complex round-off, unlike a general `sqrtm`); the result is
    clipped at 0.

    Parameters
    ----------
    m1, m2 : array_like, shape (d,)
        Means.
    S1, S2 : array_like, shape (d, d)
        Covariances, symmetric positive semi-definite.

    Returns
    -------
    float
        $d^2 \ge 0$.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If the shapes do not match, a value is not finite, or a covariance is not
        symmetric.

    References
    ----------
    The position paper (2026), Sec. 3 (its fidelity metrics); the Fréchet distance of
    Gaussians as used by the FID.

    Examples
    --------
    >>> round(gaussian_frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]), 12)   # 3^2 + (1-2)^2
    10.0
    """
    m1 = check_array("m1", m1, ndim=1)
    m2 = check_array("m2", m2, ndim=1)
    d = m1.shape[0]
    if m2.shape != (d,):
        raise ValueError(f"m2 must have shape ({d},) like m1, got {m2.shape}")
    S1 = check_array("S1", S1, ndim=2)
    S2 = check_array("S2", S2, ndim=2)
    for name, S in (("S1", S1), ("S2", S2)):
        if S.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}), got {S.shape}")
        if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(S).max())):
            raise ValueError(f"{name} must be symmetric")
    R = _sqrt_psd(S1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(R @ S2 @ R), 0.0, None)).sum()
    diff = m1 - m2
    return float(max(0.0, diff @ diff + np.trace(S1) + np.trace(S2) - 2.0 * cross))


def frechet_distance(x: ArrayLike, y: ArrayLike) -> float:
    r"""Squared Fréchet distance between Gaussian fits of two samples (the FID analogue).

    The means and covariances (unbiased, ``ddof = 1``) of ``x`` and ``y`` go into
    [`gaussian_frechet_distance`][memlab.theory.metrics.gaussian_frechet_distance]. The
    fit is exact for Gaussian data; for other data the distance compares only the first
    two moments, and its estimate is biased upwards by about $\operatorname{tr}(S)/n$
    per sample of size n.

    Parameters
    ----------
    x : array_like, shape (n, d)
        First sample, n >= 2.
    y : array_like, shape (m, d)
        Second sample, m >= 2, same d.

    Returns
    -------
    float
        The squared distance, >= 0.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If a sample is not 2-d with at least 2 rows, the dimensions differ, or a value
        is not finite.

    References
    ----------
    The position paper (2026), Sec. 3.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((20000, 2))
    >>> round(frechet_distance(x, x + [3.0, 0.0]), 6)
    9.0
    """
    x = check_array("x", x, ndim=2)
    y = check_array("y", y, ndim=2)
    for name, a in (("x", x), ("y", y)):
        if a.shape[0] < 2:
            raise ValueError(f"{name} must have at least 2 rows, got shape {a.shape}")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"y must have {x.shape[1]} columns like x, got shape {y.shape}")
    return gaussian_frechet_distance(x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False)),
                                     y.mean(axis=0), np.atleast_2d(np.cov(y, rowvar=False)))


def _inside_balls(query: np.ndarray, centres: np.ndarray, radius: np.ndarray,
                  chunk: int) -> np.ndarray:
    """For each query point: is it within ``radius[i]`` of some ``centres[i]``?"""
    c = centres.mean(axis=0)
    C = centres - c
    c2 = (C ** 2).sum(axis=1)
    r2 = radius ** 2
    out = np.empty(query.shape[0], dtype=bool)
    for i in range(0, query.shape[0], chunk):
        Q = query[i:i + chunk] - c
        d2 = (Q ** 2).sum(axis=1)[:, None] + c2[None, :] - 2.0 * Q @ C.T
        out[i:i + chunk] = (d2 <= r2[None, :]).any(axis=1)
    return out


def precision_recall(real: ArrayLike, fake: ArrayLike, *, k: int = 3,
                     chunk: int = 1024) -> tuple[float, float]:
    r"""Precision and recall of generated samples by k-NN manifolds (Kynkäänniemi et al. 2019).

    The manifold of a sample is the union of the balls centred at its points, each with
    the radius of the distance to that point's k-th nearest neighbour in the same
    sample. Precision is the fraction of ``fake`` points inside the manifold of
    ``real`` (fidelity); recall is the fraction of ``real`` points inside the manifold of
    ``fake`` (coverage). A memorizing generator that copies training points has
    precision 1 on its training set; its recall on held-out data is what drops.

    Parameters
    ----------
    real : array_like, shape (n, d)
        Reference sample, n > k.
    fake : array_like, shape (m, d)
        Generated sample, m > k, same d.
    k : int, default 3
        Neighbour defining each ball's radius (the paper's default is 3).
    chunk : int, default 1024
        Query rows per block (memory chunk x max(n, m) floats).

    Returns
    -------
    (precision, recall) : tuple of float
        Both in [0, 1].

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the shapes are wrong, the dimensions differ, a value is not finite, or a
        sample has k points or fewer.

    References
    ----------
    T. Kynkäänniemi, T. Karras, S. Laine, J. Lehtinen, T. Aila (2019), "Improved
    precision and recall metric for assessing generative models" (cited by the position
    paper, 2026).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> real = rng.standard_normal((500, 2))
    >>> precision_recall(real, real[:250] + 50.0)         # far away: neither
    (0.0, 0.0)
    >>> p, r = precision_recall(real, 0.2 * rng.standard_normal((500, 2)))  # mode collapse
    >>> bool(p > 0.95 and r < 0.5)
    True
    """
    real = check_array("real", real, ndim=2)
    fake = check_array("fake", fake, ndim=2)
    if fake.shape[1] != real.shape[1]:
        raise ValueError(f"fake must have {real.shape[1]} columns like real, got shape "
                         f"{fake.shape}")
    k = check_positive_int("k", k)
    chunk = check_positive_int("chunk", chunk, maximum=MAX_SAMPLES)
    for name, a in (("real", real), ("fake", fake)):
        if a.shape[0] <= k:
            raise ValueError(f"{name} must have more than k = {k} points, got {a.shape[0]}")
    # the k-th neighbour within a sample: the point itself is the first of k + 1
    r_real = nearest_distances(real, real, k=k + 1, chunk=chunk)[:, k]
    r_fake = nearest_distances(fake, fake, k=k + 1, chunk=chunk)[:, k]
    precision = float(_inside_balls(fake, real, r_real, chunk).mean())
    recall = float(_inside_balls(real, fake, r_fake, chunk).mean())
    return precision, recall


def best_before(steps: ArrayLike, fidelity: ArrayLike, tau_mem: float) -> tuple[float, float]:
    r"""The best fidelity reached before memorization, and when.

    The minimum of a distance-like fidelity metric (sliced Wasserstein, Fréchet
    distance) over the training steps before ``tau_mem``, the quantity the position
    paper (2026, Sec. 3) tracks to compare runs: a run that memorizes early may never
    reach the fidelity of one that memorizes late. With ``tau_mem`` NaN (memorization
    not reached) every step counts.

    Parameters
    ----------
    steps : array_like, shape (n,)
        Training steps, increasing.
    fidelity : array_like, shape (n,)
        The metric at those steps (lower is better).
    tau_mem : float
        Memorization time (e.g. from
        [`memorization_onset`][memlab.theory.metrics.memorization_onset]), or NaN.

    Returns
    -------
    (best, step) : tuple of float
        The smallest fidelity at a step < ``tau_mem`` and its step; (NaN, NaN) when no
        step precedes ``tau_mem``.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If the arrays are not 1-d of the same length, a value is not finite, or the
        steps do not increase.

    References
    ----------
    The position paper (2026), Sec. 3 ("best fidelity before memorization").

    Examples
    --------
    >>> best_before([10, 20, 40, 80], [3.0, 1.5, 1.2, 2.0], tau_mem=30.0)
    (1.5, 20.0)
    >>> best_before([10, 20, 40, 80], [3.0, 1.5, 1.2, 2.0], tau_mem=float("nan"))
    (1.2, 40.0)
    """
    steps = check_array("steps", steps, ndim=1)
    fidelity = check_array("fidelity", fidelity, ndim=1)
    if fidelity.shape != steps.shape:
        raise ValueError(f"fidelity must have the shape of steps {steps.shape}, got "
                         f"{fidelity.shape}")
    if np.any(np.diff(steps) <= 0):
        raise ValueError("steps must be strictly increasing")
    if isinstance(tau_mem, (float, np.floating)) and np.isnan(tau_mem):
        tau = float("nan")                      # memorization not reached
    else:
        tau = check_real("tau_mem", tau_mem)
    keep = np.ones(steps.shape, bool) if np.isnan(tau) else steps < tau
    if not keep.any():
        return float("nan"), float("nan")
    i = int(np.argmin(np.where(keep, fidelity, np.inf)))
    return float(fidelity[i]), float(steps[i])

