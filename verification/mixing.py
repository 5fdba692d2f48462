r"""Monte Carlo check of the collapse (mixing) time $t_M$ (onset paper, Sec. 2.2; Biroli et al. 2024).

n training points $x_k \sim \mathcal N(0, \sigma^2 I_d)$ define the
empirical OU mixture $\hat\rho(t, x) = \frac1n\sum_k \mathcal N(x|x_k e^{-t}, \Delta_t I)$
(the onset paper's eq. 7). A forward OU trajectory started at $x_1$ is simulated with
exact transitions, $x_{t+h} = e^{-h}x_t + \sqrt{1 - e^{-2h}}\,\xi$, and at
every grid time the posterior weight of its starting point,

$$
w_1(t) = \frac{Z_1}{Z_1 + Z_{1^c}}
= \mathrm{softmax}_k\Big(-\frac{\|x_t - x_k e^{-t}\|^2}{2\Delta_t}\Big)_1,
$$

is computed (the paper's eq. 8). The collapse time of the trajectory is the first time
$w_1$ drops below 1/2 (linear interpolation between grid times). Theory:
$t_M = \frac12\log(1 + \sigma^2/(n^{2/d} - 1))$ in the limit
$d \to \infty$ at fixed $\alpha = \log(n)/d$
([`memlab.theory.mixing.mixing_time`][memlab.theory.mixing.mixing_time], the paper's eq. 9).
The figure of the scan is
[`memlab.verification.linear_diffusion.plot_collapse_times`][memlab.verification.linear_diffusion.plot_collapse_times].

Sec. 2.3: [`regime_time_scan`][memlab.verification.mixing.regime_time_scan] computes the time $t_R$ after which the
late-time matrix $\Sigma_t$ of the empirical measure of n points is positive definite
([`memlab.theory.mixing.gaussian_regime_time`][memlab.theory.mixing.gaussian_regime_time]) for Gaussian and two-component data,
against the speciation time $t_S$ and $t_M$; [`plot_regime_times`][memlab.verification.mixing.plot_regime_times] draws them.

References: "On the onset of memorization to generalization transition in diffusion
models" (the onset paper; anonymous, under review), Sec. 2.2, eqs. 7-9; G. Biroli,
T. Bonnaire, V. De Bortoli, M. Mézard (2024), "Dynamical regimes of diffusion models".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (check_allocation, check_array, check_instances,
                                check_positive_int, check_positive_real, check_real, check_rng)
from memlab.verification._checks import check_bool, check_count
from memlab.theory.mixing import mixing_time

if TYPE_CHECKING:                     # matplotlib is imported by the plot function only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CollapseTimes", "collapse_times", "collapse_time_scan", "RegimeTimeScan",
           "regime_time_scan", "plot_regime_times"]

_FASTMATH = {"reassoc", "contract"}
#: Upper bound on ``n_paths * n_steps * d``, the standard normals of one dataset (800 MB).
MAX_NOISE_ELEMENTS = 10**8
#: Upper bound on ``n * d`` (training points held and scanned per step) and on ``n_datasets``.
MAX_POINTS = 10**7
#: Bootstrap resamples of the datasets behind ``CollapseTimes.stderr``.
_N_BOOT = 200


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _collapse_kernel(data, times, xi):
    """First time the posterior weight of the starting point drops below 1/2, per path.

    ``data`` (n, d); path p starts at training point ``p % n`` (so paths of
    one dataset start from different points); ``times`` (S+1,) with
    times[0] = 0; ``xi`` (paths, S, d) standard normals. Returns (paths,)
    crossing times, NaN where the weight never drops below 1/2 on the grid.
    """
    n, d = data.shape
    n_paths, S, _ = xi.shape
    out = np.empty(n_paths)
    sqn = np.empty(n)
    for k in range(n):
        acc = 0.0
        for q in range(d):
            acc += data[k, q] * data[k, q]
        sqn[k] = acc
    for p in numba.prange(n_paths):
        i0 = p % n
        x = data[i0].copy()
        w_prev = 1.0
        t_prev = 0.0
        out[p] = np.nan
        for s in range(S):
            h = times[s + 1] - times[s]
            decay = np.exp(-h)
            noise = np.sqrt(-np.expm1(-2.0 * h))
            for q in range(d):
                x[q] = decay * x[q] + noise * xi[p, s, q]
            t = times[s + 1]
            a = np.exp(-t)
            inv = 1.0 / (2.0 * -np.expm1(-2.0 * t))
            # logits up to the common -||x||^2 term: (2 a x.x_k - a^2 ||x_k||^2) / (2 Delta)
            m = -np.inf
            lse_rest = -np.inf
            for k in range(n):
                acc = 0.0
                for q in range(d):
                    acc += x[q] * data[k, q]
                lk = (2.0 * a * acc - a * a * sqn[k]) * inv
                if k == i0:
                    m = lk
                    continue
                # running log-sum-exp of the other points
                if lk > lse_rest:
                    lse_rest = lk + np.log1p(np.exp(lse_rest - lk))
                else:
                    lse_rest = lse_rest + np.log1p(np.exp(lk - lse_rest))
            if m > lse_rest:
                w = 1.0 / (1.0 + np.exp(lse_rest - m))
            else:
                e = np.exp(m - lse_rest)
                w = e / (1.0 + e)
            if w < 0.5:
                out[p] = t_prev + (t - t_prev) * (w_prev - 0.5) / (w_prev - w)
                break
            w_prev = w
            t_prev = t
    return out


@dataclass(frozen=True)
class CollapseTimes(Result):
    """Simulated collapse times at one (d, n).

    Attributes
    ----------
    d, n : int
        Dimension and number of training points.
    sigma : float
        Data standard deviation.
    times : ndarray (n_datasets, n_paths)
        Collapse time of every path; NaN if the path does not collapse on the grid
        (its weight stays >= 1/2 up to ``t_max``: "not reached").
    estimate : float
        Median collapse time over the paths that collapse (robust to the tail of
        late crossings); NaN if none does.
    stderr : float
        Bootstrap standard error of the median, resampling whole datasets
        (paths of one dataset share its points and are not independent); NaN with
        a single dataset or if no path collapses.
    mean : float
        Mean collapse time of the paths that collapse; NaN if none does.
    theory : float
        [`memlab.theory.mixing.mixing_time`][memlab.theory.mixing.mixing_time] at (sigma, d, n).
    n_samples : int
        Paths with a crossing.
    seed : object
        The random seed the simulation was run with.
    """

    d: int
    n: int
    sigma: float
    times: np.ndarray
    estimate: float
    stderr: float
    mean: float
    theory: float
    n_samples: int
    seed: object


def _check_sizes(d, n, sigma, n_paths, n_datasets, n_steps):
    """The size arguments of [`collapse_times`][memlab.verification.mixing.collapse_times], checked in order, with their bounds."""
    d = check_count("d", d, MAX_POINTS // 2)
    n = check_count("n", n, max(2, MAX_POINTS // d), minimum=2)
    sigma = check_positive_real("sigma", sigma)
    n_paths = check_count("n_paths", n_paths, MAX_NOISE_ELEMENTS // d)
    n_datasets = check_count("n_datasets", n_datasets, MAX_POINTS)
    n_steps = check_count("n_steps", n_steps, max(1, MAX_NOISE_ELEMENTS // (n_paths * d)))
    # the (n_datasets, n_paths) result and the (_N_BOOT, n_datasets) bootstrap indices
    check_allocation("n_datasets", (n_datasets, n_paths))
    check_allocation("n_datasets", (_N_BOOT, n_datasets))
    return d, n, sigma, n_paths, n_datasets, n_steps


def collapse_times(d: int, n: int, *, sigma: float = 1.0, n_paths: int = 64,
                   n_datasets: int = 4, n_steps: int = 400, t_max: float | None = None,
                   seed: np.random.Generator | int | None = None) -> CollapseTimes:
    r"""Collapse times of OU trajectories started at a training point.

    For each of ``n_datasets`` training sets of n points $x_k \sim \mathcal N(0,
    \sigma^2 I_d)$, ``n_paths`` forward OU trajectories (path p starts at point
    p mod n) are simulated with exact transitions on a uniform grid of ``n_steps``
    steps on [0, ``t_max``]; the collapse time of a path is the first time the
    posterior weight of its starting point drops below 1/2 (the onset paper, eq. 8;
    linear interpolation between grid times). The median over paths is compared with
    $t_M$ (eq. 9, [`memlab.theory.mixing.mixing_time`][memlab.theory.mixing.mixing_time]), which holds in the limit
    $d \to \infty$ at fixed $\log(n)/d$: at small d they differ by a few percent.

    Cost: O(n_datasets n_paths n_steps n d + 200 n_datasets^2 n_paths) time (posterior
    weights at every step, at most; the bootstrap) and O(n_paths n_steps d + n d)
    memory; about 0.33 s for d = 8, n = 1000 and the default settings.

    Parameters
    ----------
    d : int
        Dimension.
    n : int
        Number of training points, >= 2.
    sigma : float, default 1.0
        Data standard deviation $\sigma$.
    n_paths : int, default 64
        Trajectories per dataset.
    n_datasets : int, default 4
        Independent training sets.
    n_steps : int, default 400
        Grid steps on [0, t_max].
    t_max : float, optional
        End of the grid; default $4 t_M + 0.5$.
    seed : int, Generator or None
        Random seed; reproducible for a fixed integer seed.

    Returns
    -------
    CollapseTimes
        A path whose posterior weight never drops below 1/2 up to ``t_max`` has
        collapse time NaN ("not reached"); ``estimate`` and ``mean`` are over the
        paths that collapse (NaN if none does), and ``stderr`` is NaN with
        ``n_datasets = 1`` or if no path collapses. Short grids and small ``d`` or
        ``n`` (n = 2 most of all) leave more paths uncollapsed.

    Raises
    ------
    TypeError
        If an argument is of the wrong type (``"3"``, ``True``, ``None`` for a size, ...).
    ValueError
        If a size is not a positive integer (n >= 2) or exceeds its bound
        (`MAX_POINTS`, `MAX_NOISE_ELEMENTS`), or ``sigma`` / ``t_max``
        is not a finite positive number.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eqs. 7-9; Biroli et al. (2024).

    Examples
    --------
    >>> r = collapse_times(20, 55, n_paths=8, n_datasets=2, seed=0)
    >>> r.n_samples > 0, round(r.theory, 4)
    (True, 0.5541)
    """
    d, n, sigma, n_paths, n_datasets, n_steps = _check_sizes(d, n, sigma, n_paths,
                                                             n_datasets, n_steps)
    tm = mixing_time(sigma, d, n)
    t_max = 4.0 * tm + 0.5 if t_max is None else check_positive_real("t_max", t_max)
    rng = check_rng(seed)
    times = np.linspace(0.0, t_max, n_steps + 1)
    t = np.empty((n_datasets, n_paths))
    for j in range(n_datasets):
        data = sigma * rng.standard_normal((n, d))
        xi = rng.standard_normal((n_paths, n_steps, d))
        # shapes the kernel relies on: data (n, d), times (n_steps + 1,), xi (n_paths, n_steps, d)
        t[j] = _collapse_kernel(data, times, xi)
    ok = t[np.isfinite(t)]
    med = float(np.nanmedian(t)) if ok.size else float("nan")
    se = float("nan")
    if n_datasets >= 2 and ok.size:
        idx = rng.integers(0, n_datasets, size=(_N_BOOT, n_datasets))
        boots = [np.nanmedian(t[b]) for b in idx]
        se = float(np.std(boots, ddof=1))
    return CollapseTimes(d, n, sigma, t, med, se, float(ok.mean()) if ok.size else float("nan"),
                         tm, int(ok.size), seed)


def collapse_time_scan(alpha: float, dims: ArrayLike, *, sigma: float = 1.0, n_paths: int = 64,
                       n_datasets: int = 4, n_steps: int = 400,
                       seed: np.random.Generator | int | None = None,
                       progress: bool = False) -> list[CollapseTimes]:
    r"""Collapse times for growing d at fixed $\alpha = \log(n)/d$ (n = round($e^{\alpha d}$)).

    Runs [`collapse_times`][memlab.verification.mixing.collapse_times] at every d of ``dims`` with
    $n = \max(2, \mathrm{round}(e^{\alpha d}))$, the scaling in which $t_M$ of the
    onset paper's eq. 9 is a limit; compare ``estimate`` with ``theory`` ($t_M$) as d
    grows. As in [`collapse_times`][memlab.verification.mixing.collapse_times], a path that does not collapse on the
    grid has time NaN ("not reached"), and so may a summary of a d where no path
    collapses; small ``alpha * d`` (n = 2) leaves the most such paths. All sizes are
    checked for every d before any simulation.

    Parameters
    ----------
    alpha : float
        $\alpha = \log(n)/d > 0$.
    dims : sequence of int
        Dimensions, a non-empty 1-D sequence of positive integers with
        $e^{\alpha d} \le$ `MAX_POINTS`.
    sigma : float, default 1.0
        Data standard deviation.
    n_paths : int, default 64
        Trajectories per dataset.
    n_datasets : int, default 4
        Independent training sets per d.
    n_steps : int, default 400
        Grid steps on [0, $4 t_M + 0.5$].
    seed : int, Generator or None
        Random seed, shared by the whole scan; reproducible for a fixed integer.
    progress : bool, default False
        Show a tqdm progress bar over d.

    Returns
    -------
    list of CollapseTimes
        One [`CollapseTimes`][memlab.verification.mixing.CollapseTimes] per d, in the order of ``dims``.

    Raises
    ------
    TypeError
        If an argument is of the wrong type.
    ValueError
        If ``alpha`` is not a finite positive number, ``dims`` is empty, not 1-D,
        holds a non-positive or non-integer value or a d with
        ``exp(alpha * d) > MAX_POINTS``, or a size is out of range (as in
        [`collapse_times`][memlab.verification.mixing.collapse_times], checked for every d before any simulation).

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eq. 9; Biroli et al. (2024).

    Examples
    --------
    >>> res = collapse_time_scan(0.3, [5, 10], n_paths=4, n_datasets=2, n_steps=100, seed=0)
    >>> [(r.d, r.n) for r in res]
    [(5, 4), (10, 20)]
    """
    alpha = check_positive_real("alpha", alpha)
    rng = check_rng(seed)
    progress = check_bool("progress", progress)
    dims = [check_positive_int("dims", d) for d in check_array("dims", dims, ndim=1, lo=1.0)]
    for d in dims:
        if alpha * d > np.log(MAX_POINTS):
            raise ValueError(f"dims must satisfy exp(alpha * d) <= {MAX_POINTS} training points, "
                             f"got d = {d} with alpha = {alpha}")
    sigma = check_positive_real("sigma", sigma)
    sizes = [(d, max(2, int(round(np.exp(alpha * d))))) for d in dims]
    for d, n in sizes:
        if n * d > max(2 * d, MAX_POINTS):
            raise ValueError(f"dims must satisfy n * d <= {MAX_POINTS} with n = round(exp(alpha * d)), "
                             f"got d = {d} (n = {n}) with alpha = {alpha}")
        _check_sizes(d, n, sigma, n_paths, n_datasets, n_steps)
    out = []
    iterator = sizes
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=f"collapse times, alpha={alpha}", leave=False)
    for d, n in iterator:
        out.append(collapse_times(d, n, sigma=sigma, n_paths=n_paths, n_datasets=n_datasets,
                                  n_steps=n_steps, seed=rng))
    return out


# ----------------------------------------------------------------------------
# Sec. 2.3: t_R of the empirical mixture against t_S and t_M
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegimeTimeScan(Result):
    r"""$t_R$, $t_S$ and $t_M$ of the empirical measure of n points, for several n.

    Returned by [`regime_time_scan`][memlab.verification.mixing.regime_time_scan].

    Attributes
    ----------
    n : numpy.ndarray
        Numbers of data points, shape (k,).
    t_R : numpy.ndarray
        $t_R$ of every dataset (the empirical measure of its n points), shape
        (k, n_datasets).
    t_R_mean : numpy.ndarray
        Its mean over the datasets, shape (k,).
    t_R_stderr : numpy.ndarray
        Standard error of that mean (NaN for one dataset).
    t_S : numpy.ndarray
        Mean over datasets of the speciation time $\frac12\log\Lambda$ of the sample
        covariance, shape (k,).
    t_M : numpy.ndarray
        Mixing time of the onset paper's eq. 9 with the within-component $\sigma$,
        shape (k,).
    t_R_population : float
        $t_R$ of the population $\rho_0$ itself (0 for a single Gaussian).
    t_S_population : float
        $\frac12\log\Lambda$ of the population covariance.
    d : int
        Dimension.
    sigma : float
        Within-component standard deviation.
    separation : float
        Distance between the two component means (0: a single Gaussian).
    form : str
        "exact" or "paper".
    seed : object
        The ``seed`` argument of the run.
    """

    n: np.ndarray
    t_R: np.ndarray
    t_R_mean: np.ndarray
    t_R_stderr: np.ndarray
    t_S: np.ndarray
    t_M: np.ndarray
    t_R_population: float
    t_S_population: float
    d: int
    sigma: float
    separation: float
    form: str
    seed: object


def regime_time_scan(n_values: ArrayLike, d: int, *, sigma: float = 1.0,
                     separation: float = 0.0, n_datasets: int = 8, form: str = "exact",
                     seed: np.random.Generator | int | None = None) -> RegimeTimeScan:
    r"""$t_R$ of the empirical measure of n data points against $t_S$ and $t_M$ (onset paper, Sec. 2.3).

    For each n, ``n_datasets`` datasets of n points are drawn from
    $\mathcal N(0, \sigma^2 I_d)$ (``separation = 0``) or from the two-component mixture
    $\frac12\mathcal N(\pm\frac s2 e_1, \sigma^2 I_d)$ (s = ``separation``), and $t_R$ of
    their empirical measure $\hat\rho(0, x)$ (eq. 6) is computed with
    [`memlab.theory.mixing.gaussian_regime_time`][memlab.theory.mixing.gaussian_regime_time]
    (C = 0), next to the speciation time $t_S = \frac12\log\Lambda$ of each sample
    covariance (Biroli et al. 2024) and the mixing time $t_M(\sigma, d, n)$ of eq. 9
    ([`memlab.theory.mixing.mixing_time`][memlab.theory.mixing.mixing_time]; for the
    mixture it is eq. 9 with the within-component $\sigma$, an approximation). The
    population values ($t_R$ of $\rho_0$ itself, and its $t_S$) are returned too. The
    data are centred at the origin, around which eq. 12 expands.

    Cost: O(n_datasets k n_grid (n d + d^3)) for k sizes (``n_grid`` = 256 times per
    scan); about 2 s per dataset at n = 4096, d = 16.

    Parameters
    ----------
    n_values : array_like of int
        Numbers of data points, each >= 2, at most `MAX_POINTS` / d.
    d : int
        Dimension, >= 1.
    sigma : float, default 1.0
        Within-component standard deviation, > 0.
    separation : float, default 0.0
        Distance between the two means, >= 0 (0: one Gaussian).
    n_datasets : int, default 8
        Datasets per n, >= 1.
    form : {"exact", "paper"}, default "exact"
        Which $\Sigma_t$ (see
        [`memlab.theory.mixing.late_time_matrix`][memlab.theory.mixing.late_time_matrix]).
    seed : int, Generator or None
        Random seed; reproducible for a fixed integer.

    Returns
    -------
    RegimeTimeScan
        The per-dataset $t_R$, their means and standard errors, $t_S$, $t_M$ and the
        population values.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_values`` is empty, not one-dimensional or holds a size < 2 or above the
        bound, or another argument is out of range.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.3, eqs. 12-14, and Sec. 2.2,
    eq. 9; Biroli et al. (2024).

    Examples
    --------
    >>> s = regime_time_scan([16, 64], 8, n_datasets=2, seed=0)
    >>> s.t_R.shape, s.t_R_population
    ((2, 2), 0.0)
    """
    from memlab.theory.mixing import gaussian_regime_time

    d = check_count("d", d, MAX_POINTS // 2)
    ns = check_array("n_values", n_values, ndim=1, lo=2.0)
    ns = np.array([check_count("n_values", n, max(2, MAX_POINTS // d), minimum=2) for n in ns])
    sigma = check_positive_real("sigma", sigma)
    separation = check_real("separation", separation, lo=0.0)
    n_datasets = check_count("n_datasets", n_datasets, MAX_POINTS)
    check_allocation("n_values and n_datasets", (ns.size, n_datasets))
    rng = check_rng(seed)
    centre = np.zeros(d)
    centre[0] = separation / 2.0
    means = np.array([centre, -centre]) if separation > 0 else np.zeros((1, d))
    pop = gaussian_regime_time(means, sigma**2, form=form)
    t_R = np.empty((ns.size, n_datasets))
    t_S = np.empty((ns.size, n_datasets))
    for i, n in enumerate(ns):
        for j in range(n_datasets):
            x = sigma * rng.standard_normal((n, d))
            if separation > 0:
                x += np.where(rng.random(n) < 0.5, 1.0, -1.0)[:, None] * centre
            r = gaussian_regime_time(x, form=form)
            t_R[i, j], t_S[i, j] = r.t_R, r.t_S
    se = (t_R.std(axis=1, ddof=1) / np.sqrt(n_datasets) if n_datasets > 1
          else np.full(ns.size, np.nan))
    return RegimeTimeScan(ns, t_R, t_R.mean(axis=1), se, t_S.mean(axis=1),
                          np.array([mixing_time(sigma, d, int(n)) for n in ns]),
                          pop.t_R, pop.t_S, d, sigma, separation, form, seed)


def plot_regime_times(scans: list[RegimeTimeScan], *, ax: Axes | None = None) -> Figure:
    r"""$t_R$, $t_S$ and $t_M$ against n, one colour per scan (onset paper, Sec. 2.3).

    For each [`RegimeTimeScan`][memlab.verification.mixing.RegimeTimeScan]: $t_R$ of the
    empirical measure (points, 2 standard errors over datasets), the sample speciation
    time $t_S = \frac12\log\Lambda$ (dashed) and the mixing time $t_M$ of eq. 9 (dotted;
    it depends on the within-component $\sigma$, d and n only, so scans that share them
    draw the same line), with the population $t_R$ as a thin horizontal line, all in the
    scan's colour. The legend names the data (Gaussian or two-component mixture) and the
    title the setting.

    Parameters
    ----------
    scans : list of RegimeTimeScan
        Results of [`regime_time_scan`][memlab.verification.mixing.regime_time_scan].
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (keyword-only); default a new Figure (not registered with
        pyplot). When given, only ``ax`` is drawn on.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (the figure of ``ax`` when given).

    Raises
    ------
    TypeError
        If ``scans`` is not a sequence of ``RegimeTimeScan``, or ``ax`` is not a
        matplotlib Axes.
    ValueError
        If ``scans`` is empty.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.3 and eq. 9; Biroli et al. (2024).

    Examples
    --------
    >>> fig = plot_regime_times([regime_time_scan([16, 64], 8, n_datasets=2, seed=0)])
    >>> fig.axes[0].get_ylabel()
    'OU time t'
    """
    from memlab.verification._plotting import axes_for

    scans = check_instances("scans", scans, RegimeTimeScan)
    fig, ax = axes_for(ax, figsize=(6.5, 4.6))
    for s in scans:
        what = (f"Gaussian, d = {s.d}" if s.separation == 0
                else f"2 Gaussians {s.separation:g} apart, d = {s.d}")
        line = ax.errorbar(s.n, s.t_R_mean, yerr=2 * np.nan_to_num(s.t_R_stderr), fmt="o-",
                           ms=4, label=f"$t_R$ ({s.form} form), {what} "
                                       f"(population $t_R$ = {s.t_R_population:.3g})").lines[0]
        color = line.get_color()
        ax.plot(s.n, s.t_S, "--", color=color)
        ax.plot(s.n, s.t_M, ":", color=color, lw=2)
        ax.axhline(s.t_R_population, color=color, lw=0.7)
    ax.plot([], [], "k--", label=r"$t_S = \frac{1}{2}\log\Lambda$ of the sample covariance")
    ax.plot([], [], "k:", lw=2, label=r"$t_M$ (eq. 9, within-component $\sigma$)")
    ax.plot([], [], "k-", lw=0.7, label=r"population $t_R$ ($\rho_0$ itself)")
    ax.set_xscale("log")
    ax.set_xlabel("number of data points n")
    ax.set_ylabel("OU time t")
    every = scans
    ax.set_title("Onset paper, Sec. 2.3: time after which $\\Sigma_t$ is positive definite\n"
                 f"$\\sigma$ = {', '.join(sorted({f'{s.sigma:g}' for s in every}))}; "
                 f"{', '.join(sorted({str(s.t_R.shape[1]) for s in every}))} datasets per n, "
                 f"seed {', '.join(sorted({str(s.seed) for s in every}))}", fontsize=9)
    ax.legend(fontsize=7)
    return fig
