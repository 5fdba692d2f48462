r"""Independent checks and figures for the linear diffusion model (the onset paper, Sec. 3).

* [`grid_distances`][memlab.verification.linear_diffusion.grid_distances]: brute-force numerical integration of
  $E_{TG}$, $E_{OG}$, $\Delta$ and $H^2$ on a grid in
  d = 1 or 2, from the densities themselves (no Gaussian-overlap identity), to
  check [`memlab.theory.linear_diffusion.delta_statistic`][memlab.theory.linear_diffusion.delta_statistic] and
  [`memlab.theory.linear_diffusion.hellinger_gaussian`][memlab.theory.linear_diffusion.hellinger_gaussian].
* [`monte_carlo_hellinger`][memlab.verification.linear_diffusion.monte_carlo_hellinger]: $H^2 = 1 - \mathbb E_{x\sim p}\sqrt{q(x)/p(x)}$
  by sampling, for any d.
* [`monte_carlo_distances`][memlab.verification.linear_diffusion.monte_carlo_distances]: $E_{TG}$ and $E_{OG}$ by defensive
  importance sampling, for any d, to check
  [`memlab.theory.linear_diffusion.distance_curve`][memlab.theory.linear_diffusion.distance_curve].
* Figures of the distances and of the alignment claim (contribution 4):
  [`plot_scaled_distances`][memlab.verification.linear_diffusion.plot_scaled_distances] (the analogue of Fig. 4, left) and
  [`plot_onset_alignment`][memlab.verification.linear_diffusion.plot_onset_alignment].
* Figures: the onset paper's Fig. 2 ($\mathbb E[H^2]$ against n,
  [`plot_hellinger_vs_n`][memlab.verification.linear_diffusion.plot_hellinger_vs_n]) and Fig. 3 ($P(\Delta > 0)$ against n,
  [`plot_p_delta_vs_n`][memlab.verification.linear_diffusion.plot_p_delta_vs_n]), the KDE bandwidths against d
  ([`plot_bandwidths_vs_d`][memlab.verification.linear_diffusion.plot_bandwidths_vs_d], Sec. 2.2) and the simulated
  collapse times against $t_M$ ([`plot_collapse_times`][memlab.verification.linear_diffusion.plot_collapse_times], Sec. 2.2).

References: "On the onset of memorization to generalization transition in diffusion
models" (the onset paper; anonymous, under review), Sec. 2.2 (eqs. 9-11) and Sec. 3
(eqs. 15-21, Figs. 2 and 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memlab._results import Result
from memlab._validation import (check_array, check_choice, check_instances, check_mapping, check_positive_int,
                                check_positive_real, check_real, check_rng)
from memlab.theory.linear_diffusion import (DeltaCurve, DistanceCurve, MeanEstimate, OnsetAlignment,
                                            fit_linear_model)
from memlab.verification._checks import check_count

if TYPE_CHECKING:                     # matplotlib is imported by the plot functions only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from memlab.verification.mixing import CollapseTimes

#: Upper bound on Monte Carlo ``n_samples``.
MAX_SAMPLES = 10**8
#: Upper bound on the number of grid points, ``n_grid ** d``.
MAX_GRID_POINTS = 2 * 10**6
#: Upper bound on the dimensions ``d`` of [`plot_bandwidths_vs_d`][memlab.verification.linear_diffusion.plot_bandwidths_vs_d] and the keys of
#: [`plot_hellinger_vs_n`][memlab.verification.linear_diffusion.plot_hellinger_vs_n] (far beyond any figure of the onset paper).
MAX_DIM = 10**6

__all__ = ["GridDistances", "grid_distances", "monte_carlo_hellinger", "plot_hellinger_vs_n",
           "plot_p_delta_vs_n", "plot_bandwidths_vs_d", "plot_collapse_times",
           "MonteCarloDistances", "monte_carlo_distances", "plot_scaled_distances",
           "plot_onset_alignment"]


@dataclass(frozen=True)
class GridDistances(Result):
    r"""Grid integrals for one training set (d = 1 or 2).

    Attributes
    ----------
    E_TG : float
        $\int(\rho_T - \rho_G)^2$, training-set KDE against the generated law.
    E_OG : float
        $\int(\rho_O - \rho_G)^2$, KDE of the original samples against the generated law.
    delta : float
        $\Delta = E_{TG} - E_{OG}$ (the onset paper, eqs. 19-21).
    hellinger2 : float
        $H^2(\rho, \rho_G)$, true law against the generated law.
    grid_step : float
        Spacing of the grid per axis.
    """

    E_TG: float
    E_OG: float
    delta: float
    hellinger2: float
    grid_step: float


def _mixture_pdf(x, centres, eps2, chunk=64):
    """(1/m) sum_k N(x | c_k, eps2 I) at the points x, accumulated over chunks of centres."""
    d = centres.shape[1]
    out = np.zeros(len(x))
    for i in range(0, len(centres), chunk):
        c = centres[i:i + chunk]
        d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        out += np.exp(-d2 / (2.0 * eps2)).sum(axis=1)
    return out / (len(centres) * (2.0 * np.pi * eps2) ** (d / 2.0))


def _cholesky(name, S):
    """Lower Cholesky factor of the covariance ``S``; ValueError naming it when S is not
    symmetric positive definite (singular included)."""
    if not np.allclose(S, S.T, rtol=1e-10, atol=0.0):
        raise ValueError(f"{name} must be symmetric")
    try:
        return np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (non-singular)") from None


def _gaussian_logpdf(x, mean, L):
    """log N(x | mean, L L^T) at the rows of x, from the Cholesky factor L (numpy only:
    scipy.stats takes over a second to import)."""
    from scipy.linalg import solve_triangular

    z = solve_triangular(L, (x - mean).T, lower=True)
    k = L.shape[0]
    return (-0.5 * (z * z).sum(axis=0) - np.log(np.diag(L)).sum()
            - 0.5 * k * np.log(2.0 * np.pi))


def grid_distances(Y: ArrayLike, X: ArrayLike, original: ArrayLike, *, mu: float = 10.0,
                   sigma: float = 1.0, T: float = 2.0, lam: float = np.exp(-4.0),
                   n_grid: int = 801, half_width: float = 9.0) -> GridDistances:
    r"""Integrate $(\rho_T-\rho_G)^2$, $(\rho_O-\rho_G)^2$ and the Hellinger integrand on a grid.

    The brute-force counterpart of the closed forms of the onset paper, eqs. 18-21
    ([`memlab.theory.linear_diffusion.delta_statistic`][memlab.theory.linear_diffusion.delta_statistic],
    [`memlab.theory.linear_diffusion.hellinger_gaussian`][memlab.theory.linear_diffusion.hellinger_gaussian]), in d = 1 or 2: the linear
    model is fitted on (Y, X) ([`memlab.theory.linear_diffusion.fit_linear_model`][memlab.theory.linear_diffusion.fit_linear_model]),
    and the generated law $\rho_G$, the KDEs $\rho_T$ (n training points) and
    $\rho_O$ ($N_O$ original points) of width $\epsilon_m = \sigma m^{-1/d}$ and the
    true law $\rho = \mathcal N(\mu\mathbf 1, \sigma^2 I)$ are evaluated directly
    on a grid spanning ``mu +- half_width * sigma`` per axis with ``n_grid`` points
    (trapezoid rule). $\rho_G$ must be non-degenerate (n > d). The error is that
    of the trapezoid rule, which must resolve the narrowest kernel,
    $\epsilon_{N_O} = \sigma N_O^{-1/d}$ (in d = 1 with $N_O$ = 20, 20001 points
    give $\Delta$ to 1e-7 relative; the default 801 do not), plus the mass outside
    the grid.

    Cost: O(G (n + N_O) d + n d^2) time and O(64 G d) memory for G = ``n_grid``^d grid
    points, n training and N_O original points (centres in chunks of 64); about 0.12 s
    for n = 64, d = 1, N_O = 1e4 and the default 801 grid points.

    Parameters
    ----------
    Y : array of shape (n, d)
        Training data, d = 1 or 2, n > d.
    X : array of shape (n, d)
        Their noised versions ([`memlab.theory.linear_diffusion.sample_training_set`][memlab.theory.linear_diffusion.sample_training_set]).
    original : array of shape (N_O, d)
        The original dataset defining $\rho_O$.
    mu : float, default 10.0
        Mean of every coordinate of the true law (centre of the grid).
    sigma : float, default 1.0
        Data standard deviation, > 0.
    T : float, default 2.0
        Noise time of the fit, > 0.
    lam : float, default e^-4
        Noise scale $\lambda$ of the fit, > 0.
    n_grid : int, default 801
        Grid points per axis, >= 2, with ``n_grid ** d <=`` `MAX_GRID_POINTS`.
    half_width : float, default 9.0
        Half-width of the grid in units of ``sigma``, > 0.

    Returns
    -------
    GridDistances
        $E_{TG}$, $E_{OG}$, $\Delta$, $H^2(\rho, \rho_G)$ and the grid step.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If Y does not have 1 or 2 columns or has n <= d rows, X or ``original`` does
        not match Y, a value is not finite, a scale is not positive, or ``n_grid``
        is out of range.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3, eqs. 15-21 and Fig. 3.

    Examples
    --------
    Against the closed form of $\mathrm{sign}(\Delta)$ and $\log|\Delta|$:

    >>> import numpy as np
    >>> from memlab.theory.linear_diffusion import delta_statistic, sample_training_set
    >>> Y, X = sample_training_set(5, 1, seed=0)
    >>> original = np.random.default_rng(1).normal(10.0, 1.0, size=(20, 1))
    >>> g = grid_distances(Y, X, original, n_grid=20001)
    >>> sign, log_abs = delta_statistic(Y, X, original)
    >>> bool(np.sign(g.delta) == sign), bool(abs(np.log(abs(g.delta)) - log_abs) < 1e-6)
    (True, True)
    """
    Y = check_array("Y", Y, ndim=2)
    X = check_array("X", X, ndim=2)
    original = check_array("original", original, ndim=2)
    n, d = Y.shape
    if d not in (1, 2):
        raise ValueError(f"Y must have d = 1 or 2 columns (grid integration), got {d}")
    if n <= d:
        raise ValueError(f"Y must have n > d = {d} rows (rho_G is degenerate otherwise), got {n}")
    if X.shape[0] != n:
        raise ValueError(f"X must have {n} rows like Y, got shape {X.shape}")
    if original.shape[1] != d:
        raise ValueError(f"original must have shape (n_original, {d}), got {original.shape}")
    mu = check_real("mu", mu)
    sigma = check_positive_real("sigma", sigma)
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    half_width = check_positive_real("half_width", half_width)
    n_grid = check_count("n_grid", n_grid, int(MAX_GRID_POINTS ** (1.0 / d)), minimum=2)
    model = fit_linear_model(Y, X, T=T, lam=lam)
    cov_G = model.theta1 @ model.theta1.T * model.sigma_X2
    axis = np.linspace(mu - half_width * sigma, mu + half_width * sigma, n_grid)
    step = axis[1] - axis[0]
    if d == 1:
        pts = axis[:, None]
        w = np.full(n_grid, step)
        w[[0, -1]] *= 0.5
    else:
        g1, g2 = np.meshgrid(axis, axis, indexing="ij")
        pts = np.column_stack([g1.ravel(), g2.ravel()])
        w1 = np.full(n_grid, step)
        w1[[0, -1]] *= 0.5
        w = np.outer(w1, w1).ravel()
    eps2_n = sigma**2 * n ** (-2.0 / d)
    eps2_O = sigma**2 * original.shape[0] ** (-2.0 / d)
    rho_T = _mixture_pdf(pts, Y, eps2_n)
    rho_O = _mixture_pdf(pts, original, eps2_O)
    rho_G = np.exp(_gaussian_logpdf(pts, model.mean, _cholesky("the generated covariance", cov_G)))
    rho = np.exp(_gaussian_logpdf(pts, np.full(d, mu), sigma * np.eye(d)))
    E_TG = float(w @ (rho_T - rho_G) ** 2)
    E_OG = float(w @ (rho_O - rho_G) ** 2)
    h2 = float(1.0 - w @ np.sqrt(rho * rho_G))
    return GridDistances(E_TG, E_OG, E_TG - E_OG, h2, float(step))


def monte_carlo_hellinger(m1: ArrayLike, S1: ArrayLike, m2: ArrayLike, S2: ArrayLike, *,
                          n_samples: int = 200_000,
                          seed: np.random.Generator | int | None = None) -> tuple[float, float]:
    r"""Monte Carlo $H^2 = 1 - \mathbb E_{x\sim p}[\sqrt{q(x)/p(x)}]$, p = N(m1, S1), q = N(m2, S2).

    An independent check of the closed form
    [`memlab.theory.linear_diffusion.hellinger_gaussian`][memlab.theory.linear_diffusion.hellinger_gaussian] (the onset paper's eq. 18,
    corrected) by sampling x from p; exact up to Monte Carlo error, in any
    dimension. The standard error grows when p and q barely overlap (the ratio is
    heavy-tailed then). Both covariances must be non-singular.

    Cost: O(n_samples k^2 + k^3) time and O(n_samples k + k^2) memory in dimension k;
    about 0.2 s for k = 16 and the default 2e5 samples.

    Parameters
    ----------
    m1 : array of shape (k,)
        Mean of p.
    S1 : array of shape (k, k)
        Covariance of p, symmetric positive definite.
    m2 : array of shape (k,)
        Mean of q.
    S2 : array of shape (k, k)
        Covariance of q, symmetric positive definite.
    n_samples : int, default 200000
        Samples from p, >= 2, with ``n_samples * k <=`` `MAX_SAMPLES`.
    seed : int, Generator or None
        Random seed; reproducible for a fixed integer.

    Returns
    -------
    tuple of (float, float)
        The estimate of $H^2$ and its standard error.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If the shapes do not match, a value is not finite, ``n_samples`` is out of
        range, or a covariance is not symmetric, singular or not positive
        definite.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3, eq. 18.

    Examples
    --------
    Two unit Gaussians one unit apart, against the closed form
    $H^2 = 1 - e^{-|m_1 - m_2|^2/8}$ (equal covariances):

    >>> import numpy as np
    >>> from memlab.theory.linear_diffusion import hellinger_gaussian
    >>> m1, m2, S = np.zeros(2), np.array([1.0, 0.0]), np.eye(2)
    >>> est, se = monte_carlo_hellinger(m1, S, m2, S, n_samples=100_000, seed=0)
    >>> exact = hellinger_gaussian(m1, S, m2, S)
    >>> round(exact, 4), bool(abs(est - exact) < 3 * se)
    (0.1175, True)
    """
    n_samples = check_count("n_samples", n_samples, MAX_SAMPLES, minimum=2)
    m1 = check_array("m1", m1, ndim=1)
    k = m1.size
    m2 = check_array("m2", m2, ndim=1)
    S1 = check_array("S1", S1, ndim=2)
    S2 = check_array("S2", S2, ndim=2)
    if m2.shape != (k,):
        raise ValueError(f"m2 must have shape ({k},) like m1, got {m2.shape}")
    for name, S in (("S1", S1), ("S2", S2)):
        if S.shape != (k, k):
            raise ValueError(f"{name} must have shape ({k}, {k}), got {S.shape}")
    if n_samples * k > MAX_SAMPLES:
        raise ValueError(f"n_samples must be <= {MAX_SAMPLES // k} in dimension {k}, got {n_samples}")
    L1, L2 = _cholesky("S1", S1), _cholesky("S2", S2)
    rng = check_rng(seed)
    x = m1 + rng.standard_normal((n_samples, k)) @ L1.T
    r = np.exp(0.5 * (_gaussian_logpdf(x, m2, L2) - _gaussian_logpdf(x, m1, L1)))
    return float(1.0 - r.mean()), float(r.std(ddof=1) / np.sqrt(n_samples))


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------


def _seeds_text(seeds) -> str:
    """The distinct seeds of a figure as text: "seed 0", "seeds 0, 1", or their kind."""
    shown = []
    for seed in seeds:
        if seed is None:
            text = "None"
        elif isinstance(seed, (int, np.integer)):
            text = str(int(seed))
        else:
            text = type(seed).__name__
        if text not in shown:
            shown.append(text)
    return ("seed " if len(shown) == 1 else "seeds ") + ", ".join(shown)


def _counts_text(counts) -> str:
    """Distinct counts as text: "200" or "100-400"."""
    counts = sorted({int(c) for c in counts})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def plot_hellinger_vs_n(results: dict[int, tuple[ArrayLike, list[MeanEstimate]]], *,
                        sigma: float = 1.0, T: float = 2.0, lam: float = np.exp(-4.0),
                        ax: Axes | None = None) -> Figure:
    r"""The onset paper's Fig. 2: $\mathbb E[H^2(\rho, \rho_G)]$ against n, one line per d.

    The Monte Carlo means of [`memlab.theory.linear_diffusion.expected_hellinger`][memlab.theory.linear_diffusion.expected_hellinger] (points,
    2 standard errors) are drawn against n next to two references: the dotted line
    n = d, below which the generated law $\rho_G$ is degenerate ($H^2 = 1$
    exactly) and after which the fast convergence starts, and the dashed line of
    the $n \to \infty$ limit of the one-step model,
    [`memlab.theory.linear_diffusion.hellinger_large_n_limit`][memlab.theory.linear_diffusion.hellinger_large_n_limit], where the decay
    stops. The title gives the setting (T, $\lambda$, $\sigma$, trials, seeds).

    Parameters
    ----------
    results : dict of int to (array, list of MeanEstimate)
        Maps d to ``(n_values, estimates)``, one
        [`memlab.theory.linear_diffusion.MeanEstimate`][memlab.theory.linear_diffusion.MeanEstimate] per n.
    sigma : float, default 1.0
        Data standard deviation the estimates were computed with (for the limit).
    T : float, default 2.0
        Noise time the estimates were computed with.
    lam : float, default e^-4
        Noise scale $\lambda$ the estimates were computed with.
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
        If ``results`` is not a dict, a key is not an integer, a value is not a pair
        or an estimate is not a ``MeanEstimate``; if ``ax`` is not a matplotlib Axes.
    ValueError
        If ``results`` is empty, a key is not a positive integer (at most `MAX_DIM`),
        ``n_values`` are not positive, the two sequences of a pair differ in length,
        or ``sigma``, ``T``, ``lam`` is not finite and positive.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3, Fig. 2.

    Examples
    --------
    >>> from memlab.theory.linear_diffusion import expected_hellinger
    >>> ns = [4, 8, 32]
    >>> fig = plot_hellinger_vs_n({4: (ns, [expected_hellinger(n, 4, trials=20, seed=0) for n in ns])})
    >>> fig.axes[0].get_xscale()
    'log'
    """
    from memlab.theory.linear_diffusion import hellinger_large_n_limit
    from memlab.verification._plotting import axes_for

    results = check_mapping("results", results)
    checked = []
    for key, value in results.items():
        d = check_positive_int("results key d", key, maximum=MAX_DIM)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(f"results[{d}] must be a pair (n_values, estimates), "
                            f"got {type(value).__name__}")
        ns = check_array(f"results[{d}] n_values", value[0], ndim=1, lo=0.0, lo_open=True)
        ests = check_instances(f"results[{d}] estimates", value[1], MeanEstimate)
        if len(ests) != ns.size:
            raise ValueError(f"results[{d}] must pair {ns.size} n_values with as many "
                             f"estimates, got {len(ests)}")
        checked.append((d, ns, ests))
    sigma = check_positive_real("sigma", sigma)
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    limits = [hellinger_large_n_limit(d, sigma=sigma, T=T, lam=lam) for d, _, _ in checked]

    fig, ax = axes_for(ax, figsize=(6.5, 4.4))
    for (d, ns, ests), limit in zip(checked, limits):
        m = np.array([e.estimate for e in ests])
        s = np.array([e.stderr for e in ests])
        line = ax.errorbar(ns, m, yerr=2 * s, marker="o", ms=3,
                           label=f"d = {d}: Monte Carlo ($\\pm$2 s.e.)").lines[0]
        ax.axvline(d, color=line.get_color(), ls=":", lw=1)
        ax.axhline(limit, color=line.get_color(), ls="--", lw=1)
    ax.plot([], [], "k:", lw=1, label=r"$n = d$: $\rho_G$ degenerate below ($H^2 = 1$)")
    ax.plot([], [], "k--", lw=1, label=r"$n \to \infty$ limit of the one-step model")
    ax.set_xscale("log")
    ax.set_xlabel("training-set size n")
    ax.set_ylabel(r"$\mathbb{E}[H^2(\rho, \rho_G)]$")
    ests = [e for _, _, es in checked for e in es]
    ax.set_title(f"Onset paper, Fig. 2: T = {T:g}, $\\lambda = e^{{{np.log(lam):.3g}}}$, "
                 f"$\\sigma$ = {sigma:g}; "
                 f"{_counts_text(e.n_samples for e in ests)} trials per point, "
                 f"{_seeds_text(e.seed for e in ests)}", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def plot_p_delta_vs_n(curves: list[DeltaCurve], *, ax: Axes | None = None) -> Figure:
    r"""The onset paper's Fig. 3: $P(\Delta > 0)$ against n, with Wilson intervals and the transition.

    Each [`memlab.theory.linear_diffusion.DeltaCurve`][memlab.theory.linear_diffusion.DeltaCurve] is drawn with its interval
    (shaded) and its transition, the n where P crosses 1/2 (dashed vertical line,
    value in the legend). For reference, when they lie in the range of n, the
    dotted vertical line marks n = d (the paper: the transition is at n of order
    d) and the dash-dotted one n = $N_O$ (where P falls back towards 1/2 on
    average). The
    legend gives each curve's d, $N_O$, trials, original sets and seed.

    Parameters
    ----------
    curves : list of DeltaCurve
        One or more curves from
        [`memlab.theory.linear_diffusion.p_delta_curve`][memlab.theory.linear_diffusion.p_delta_curve].
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
        If ``curves`` is not a sequence of ``DeltaCurve``, or ``ax`` is not a
        matplotlib Axes.
    ValueError
        If ``curves`` is empty.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3, eqs. 19-21 and Fig. 3.

    Examples
    --------
    >>> from memlab.theory.linear_diffusion import p_delta_curve
    >>> c = p_delta_curve([4, 16], 4, n_original=100, trials=10, seed=0)
    >>> fig = plot_p_delta_vs_n([c])
    >>> fig.axes[0].get_ylabel()
    '$P(\\Delta > 0)$'
    """
    from memlab.verification._plotting import axes_for

    curves = check_instances("curves", curves, DeltaCurve)

    fig, ax = axes_for(ax, figsize=(6.5, 4.4))
    ax.axhline(0.5, color="k", lw=0.8, label="P = 1/2")
    for c in curves:
        sets = f", {c.n_original_sets} original sets" if c.n_original_sets > 1 else ""
        line = ax.plot(c.n, c.probability, marker="o", ms=3,
                       label=f"d = {c.d}, $N_O$ = {c.n_original}, {c.trials} trials{sets}, "
                             f"{_seeds_text([c.seed])}")[0]
        color = line.get_color()
        ax.fill_between(c.n, c.ci_low, c.ci_high, color=color, alpha=0.2)
        if c.n.min() / 1.5 <= c.d <= 1.5 * c.n.max():
            ax.axvline(c.d, color=color, ls=":", lw=1, label=f"n = d = {c.d}")
        if np.isfinite(c.transition):
            ax.axvline(c.transition, color=color, ls="--", lw=1,
                       label=f"transition (P = 1/2): n = {c.transition:.1f}")
        if c.n.min() <= c.n_original <= 1.5 * c.n.max():
            ax.axvline(c.n_original, color=color, ls="-.", lw=1,
                       label=f"n = $N_O$ = {c.n_original}")
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("training-set size n")
    ax.set_ylabel(r"$P(\Delta > 0)$")
    ax.set_title("Onset paper, Fig. 3: memorization to generalization "
                 "(shaded: confidence intervals of P)", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def plot_bandwidths_vs_d(sigma: float = 1.0, n: float = 1e4, dims: ArrayLike | None = None, *,
                         ax: Axes | None = None) -> Figure:
    r"""Mixing width $h_M$, $\sqrt{2t_M}$, exact MISE-optimal and AMISE bandwidths against d.

    The onset paper (Sec. 2.2) reads the empirical OU mixture at the collapse time
    $t_M$ (eq. 9) as a Gaussian KDE of width $h_M = \sigma/\sqrt{n^{2/d} - 1}$ and
    compares it with the L2-optimal bandwidth; its eq. 10 approximates the width by
    $\sqrt{2 t_M}$ and eq. 11 is Silverman's AMISE rule. The figure draws these
    theory curves ([`memlab.theory.mixing.compare_bandwidths`][memlab.theory.mixing.compare_bandwidths]) next to the exact
    MISE-optimal bandwidth ([`memlab.theory.mixing.optimal_bandwidth`][memlab.theory.mixing.optimal_bandwidth]): the mixing
    width is close to optimal only in a range of d, and the AMISE rule is far from
    the optimum in high d.

    Parameters
    ----------
    sigma : float, default 1.0
        Data standard deviation, > 0.
    n : float, default 1e4
        Number of training points, > 1.
    dims : sequence of int, optional
        Dimensions, a 1-D sequence of positive integers (at most `MAX_DIM`); default
        31 values from 1 to 1000.
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
        If an argument is not numeric, or ``ax`` is not a matplotlib Axes.
    ValueError
        If ``sigma`` or ``n`` is not finite and positive (n > 1), or ``dims`` is
        empty, not 1-D, or holds a value that is not a positive integer.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eqs. 9-11.

    Examples
    --------
    >>> fig = plot_bandwidths_vs_d(1.0, 1e4, dims=[1, 4, 16, 64])
    >>> len(fig.axes[0].lines)
    4
    """
    from memlab.theory.mixing import compare_bandwidths
    from memlab.verification._plotting import axes_for

    sigma = check_positive_real("sigma", sigma)
    n = check_positive_real("n", n)
    if dims is None:
        dims = np.unique(np.round(np.logspace(0, 3, 31)).astype(int))
    else:
        arr = check_array("dims", dims, ndim=1, lo=1.0)
        dims = np.array([check_positive_int("dims", d, maximum=MAX_DIM) for d in arr])
    rows = [compare_bandwidths(sigma, int(d), n) for d in dims]
    fig, ax = axes_for(ax, figsize=(6.5, 4.4))
    ax.plot(dims, [r.h_mixing for r in rows], label=r"mixing width $h_M=\sigma/\sqrt{n^{2/d}-1}$")
    ax.plot(dims, [r.h_sqrt_2tM for r in rows], label=r"$\sqrt{2 t_M}$ (onset paper, eq. 10)")
    ax.plot(dims, [r.h_optimal for r in rows], "k", lw=2, label="exact MISE-optimal")
    ax.plot(dims, [r.h_amise for r in rows], "--", label="AMISE (onset paper, eq. 11)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dimension d")
    ax.set_ylabel(r"bandwidth (units of the data, $\sigma$ = " + f"{sigma:g})")
    ax.set_title(f"Gaussian KDE bandwidths (onset paper, Sec. 2.2): n = {n:g}, "
                 f"$\\sigma$ = {sigma:g}", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def plot_collapse_times(scans: dict[float, list[CollapseTimes]], *,
                        ax: Axes | None = None) -> Figure:
    r"""Simulated median collapse time against $t_M$, for growing d at fixed alpha.

    For each $\alpha = \log(n)/d$ the median collapse times of
    [`memlab.verification.mixing.collapse_time_scan`][memlab.verification.mixing.collapse_time_scan] (points, 2 bootstrap
    standard errors) are drawn against d next to the theory $t_M$ of the onset
    paper's eq. 9 ([`memlab.theory.mixing.mixing_time`][memlab.theory.mixing.mixing_time], lines), which is a limit
    $d \to \infty$ at fixed $\alpha$. The title gives $\sigma$, the paths and
    datasets per d and the seeds.

    Parameters
    ----------
    scans : dict of float to list of CollapseTimes
        Maps alpha to a non-empty list of
        [`memlab.verification.mixing.CollapseTimes`][memlab.verification.mixing.CollapseTimes], one per d.
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
        If ``scans`` is not a dict, a value is not a sequence of ``CollapseTimes``,
        or ``ax`` is not a matplotlib Axes.
    ValueError
        If ``scans`` or one of its lists is empty.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 2.2, eqs. 8-9; Biroli et al. (2024).

    Examples
    --------
    >>> from memlab.verification.mixing import collapse_times
    >>> fig = plot_collapse_times({0.3: [collapse_times(8, 11, n_paths=4, n_datasets=2, seed=0)]})
    >>> fig.axes[0].get_ylabel()
    'collapse time $t$ (OU time)'
    """
    from memlab.verification._plotting import axes_for
    from memlab.verification.mixing import CollapseTimes

    scans = check_mapping("scans", scans)
    scans = {alpha: check_instances(f"scans[{alpha!r}]", res, CollapseTimes)
             for alpha, res in scans.items()}

    fig, ax = axes_for(ax, figsize=(6.5, 5.0))
    for alpha, res in scans.items():
        ds = [r.d for r in res]
        line = ax.errorbar(ds, [r.estimate for r in res], yerr=[2 * r.stderr for r in res],
                           fmt="o", ms=4,
                           label=f"simulated median, $\\alpha$ = {alpha:g} ($\\pm$2 s.e.)")
        ax.plot(ds, [r.theory for r in res], "-", color=line.lines[0].get_color(),
                label=f"$t_M$ (eq. 9), $\\alpha$ = {alpha:g}")
    every = [r for res in scans.values() for r in res]
    sigmas = ", ".join(f"{s:g}" for s in sorted({r.sigma for r in every}))
    ax.set_xlabel(r"dimension d (n = round($e^{\alpha d}$))")
    ax.set_ylabel("collapse time $t$ (OU time)")
    ax.set_title("Onset paper, Sec. 2.2: posterior weight of the starting point drops below 1/2\n"
                 f"$\\sigma$ = {sigmas}; {_counts_text(r.times.shape[0] for r in every)} datasets "
                 f"\u00d7 {_counts_text(r.times.shape[1] for r in every)} paths per d, "
                 f"{_seeds_text(r.seed for r in every)}", fontsize=9)
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    return fig


# ----------------------------------------------------------------------------
# E_TG and E_OG by Monte Carlo, in any dimension
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonteCarloDistances(Result):
    r"""Monte Carlo estimates of $E_{TG}$ and $E_{OG}$ for one training set.

    Returned by
    [`monte_carlo_distances`][memlab.verification.linear_diffusion.monte_carlo_distances].

    Attributes
    ----------
    E_TG : float
        Estimate of $\int(\rho_T - \rho_G)^2$.
    E_TG_stderr : float
        Its standard error.
    E_OG : float
        Estimate of $\int(\rho_O - \rho_G)^2$.
    E_OG_stderr : float
        Its standard error.
    n_samples : int
        Samples per distance (half from each of the two densities).
    seed : object
        The ``seed`` argument of the run.
    """

    E_TG: float
    E_TG_stderr: float
    E_OG: float
    E_OG_stderr: float
    n_samples: int
    seed: object


def _log_kde(x, centres, eps2, chunk=2048):
    """log (1/m) sum_k N(x | c_k, eps2 I) at the rows of x (log-sum-exp over the centres)."""
    m, d = centres.shape
    ref = centres.mean(axis=0)                    # expand around the centroid: no cancellation
    c = centres - ref
    ct = np.ascontiguousarray(c.T / eps2)
    half_csq = (c * c).sum(axis=1) / (2.0 * eps2)
    out = np.empty(len(x))
    for i in range(0, len(x), chunk):
        xi = x[i:i + chunk] - ref
        # exponent x.c / eps2 - |c|^2 / (2 eps2); the -|x|^2 / (2 eps2) part is added after
        E = xi @ ct
        E -= half_csq
        top = E.max(axis=1)
        E -= top[:, None]
        np.exp(E, out=E)
        out[i:i + chunk] = top + np.log(E.sum(axis=1)) - (xi * xi).sum(axis=1) / (2.0 * eps2)
    return out - np.log(m) - 0.5 * d * np.log(2.0 * np.pi * eps2)


def _dense_generated(Y, X, T, lam, ridge):
    """Mean and d x d covariance of rho_G from dense numpy linear algebra (the pseudo-inverse
    of `fit_linear_model` for ridge = 0, a dense ridge solve otherwise)."""
    if ridge == 0.0:
        model = fit_linear_model(Y, X, T=T, lam=lam)
        return model.mean, model.sigma_X2 * model.theta1 @ model.theta1.T
    n, d = Y.shape
    yc, xc = Y - Y.mean(0), X - X.mean(0)
    theta1 = np.linalg.solve(xc.T @ xc + n * ridge * np.eye(d), xc.T @ yc).T
    theta0 = Y.mean(0) - theta1 @ X.mean(0)
    sX2 = np.exp(-2.0 * T) * (yc * yc).sum() / (n * d) + lam * -np.expm1(-2.0 * T)
    return theta0 + theta1 @ (np.exp(-T) * Y.mean(0)), sX2 * theta1 @ theta1.T


def _mc_distance(log_a, sample_a, log_g, sample_g, n_samples, rng):
    """int (a - g)^2 = E_q[(a - g)^2 / q], q = (a + g)/2, half the samples from each."""
    half = n_samples // 2
    x = np.concatenate([sample_a(half, rng), sample_g(n_samples - half, rng)])
    la, lg = log_a(x), log_g(x)
    hi, lo = np.maximum(la, lg), np.minimum(la, lg)
    # (a - g)^2 / q = 2 e^{hi} (1 - e^{lo - hi})^2 / (1 + e^{lo - hi}): no cancellation
    r = np.exp(lo - hi)
    f = 2.0 * np.exp(hi) * (1.0 - r) ** 2 / (1.0 + r)
    fa, fg = f[:half], f[half:]
    est = 0.5 * (fa.mean() + fg.mean())
    se = 0.5 * np.sqrt(fa.var(ddof=1) / fa.size + fg.var(ddof=1) / fg.size)
    return float(est), float(se)


def monte_carlo_distances(Y: ArrayLike, X: ArrayLike, original: ArrayLike, *,
                          sigma: float = 1.0, T: float = 2.0, lam: float = np.exp(-4.0),
                          kde_width: str | float = "power", ridge: float = 0.0,
                          generated_width: str | float | None = None,
                          n_samples: int = 100_000,
                          seed: np.random.Generator | int | None = None) -> MonteCarloDistances:
    r"""Monte Carlo $E_{TG}$ and $E_{OG}$ (onset paper, eq. 19) in any dimension.

    An independent check of
    [`memlab.theory.linear_diffusion.distance_curve`][memlab.theory.linear_diffusion.distance_curve]:
    the linear model is fitted with dense linear algebra
    ([`memlab.theory.linear_diffusion.fit_linear_model`][memlab.theory.linear_diffusion.fit_linear_model],
    or a dense ridge solve), the densities are evaluated directly (log-sum-exp over the
    KDE centres, a Cholesky factor of the generated covariance; no Gaussian-overlap
    identity), and each distance is the defensive importance-sampling estimate

    $$
    E_{AG} = \int(\rho_A - \rho_G)^2
    = \mathbb E_{x\sim q}\Big[\frac{(\rho_A(x) - \rho_G(x))^2}{q(x)}\Big],
    \qquad q = \tfrac12(\rho_A + \rho_G),
    $$

    with half of the samples drawn from $\rho_A$ and half from $\rho_G$ (a
    stratified draw from q). The ratio is at most $2(\rho_A + \rho_G)$, so the
    estimator has finite variance whatever the two densities; it estimates $E$ itself
    rather than its three terms, so there is no cancellation between separately
    estimated terms. Unbiased; the standard error is the stratified one. The widths
    follow the same options as ``distance_curve`` (``kde_width``, ``ridge``,
    ``generated_width``); $\rho_G$ (after smoothing) must be non-degenerate: n > d,
    or a ``generated_width``.

    Cost: O(n_samples (n + N_O) d + d^3) time and O(2048 (n + N_O) + N_O d) memory
    (densities in chunks of 2048 samples); about 1 s for d = 16, n = 40,
    $N_O$ = 2000 and 1e5 samples.

    Parameters
    ----------
    Y : array of shape (n, d)
        Training data, n >= 2.
    X : array of shape (n, d)
        Their noised versions.
    original : array of shape (N_O, d)
        The original dataset, $N_O$ >= 2.
    sigma : float, default 1.0
        Data standard deviation, > 0 (sets the KDE widths).
    T : float, default 2.0
        Noise time of the fit, > 0.
    lam : float, default e^-4
        Noise scale $\lambda$ of the fit, > 0.
    kde_width : {"power", "mixing"} or float, default "power"
        KDE width rule of $\rho_T$ and $\rho_O$, or a positive width.
    ridge : float, default 0.0
        Ridge parameter of the denoiser, >= 0.
    generated_width : None, "original" or float, default None
        Smoothing width of $\rho_G$.
    n_samples : int, default 100000
        Samples per distance, >= 4, at most `MAX_SAMPLES` / d.
    seed : int, Generator or None
        Random seed; reproducible for a fixed integer.

    Returns
    -------
    MonteCarloDistances
        The two estimates and their standard errors.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If the shapes do not match, a value is not finite, a scale is not positive,
        ``ridge`` is negative, ``n_samples`` is out of range, or the (smoothed)
        generated covariance is singular (n <= d without ``generated_width``).

    References
    ----------
    The onset paper (anonymous, under review), Sec. 3.2, eqs. 19-21.

    Examples
    --------
    Against the grid integral in d = 1:

    >>> import numpy as np
    >>> from memlab.theory.linear_diffusion import sample_training_set
    >>> Y, X = sample_training_set(12, 1, seed=0)
    >>> original = np.random.default_rng(1).normal(10.0, 1.0, size=(200, 1))
    >>> mc = monte_carlo_distances(Y, X, original, n_samples=20_000, seed=2)
    >>> g = grid_distances(Y, X, original, n_grid=4001)
    >>> bool(abs(mc.E_OG - g.E_OG) < 4 * mc.E_OG_stderr)
    True
    """
    from memlab.theory.linear_diffusion import kde_bandwidth2

    Y = check_array("Y", Y, ndim=2)
    X = check_array("X", X, ndim=2)
    original = check_array("original", original, ndim=2)
    n, d = Y.shape
    if n < 2:
        raise ValueError(f"Y must have at least 2 rows, got shape {Y.shape}")
    if X.shape != Y.shape:
        raise ValueError(f"X must have the shape of Y {Y.shape}, got {X.shape}")
    if original.shape[1] != d or original.shape[0] < 2:
        raise ValueError(f"original must have shape (N_O >= 2, {d}), got {original.shape}")
    sigma = check_positive_real("sigma", sigma)
    T = check_positive_real("T", T)
    lam = check_positive_real("lam", lam)
    kde_bandwidth2(2, d, sigma=sigma, kde_width=kde_width)          # checks kde_width
    ridge = check_real("ridge", ridge, lo=0.0)
    if isinstance(generated_width, str):
        generated_width = check_choice("generated_width", generated_width, ("original",))
    elif generated_width is not None:
        generated_width = check_positive_real("generated_width", generated_width)
    n_samples = check_count("n_samples", n_samples, max(4, MAX_SAMPLES // d), minimum=4)
    rng = check_rng(seed)
    eps2_n = kde_bandwidth2(n, d, sigma=sigma, kde_width=kde_width)
    eps2_O = kde_bandwidth2(original.shape[0], d, sigma=sigma, kde_width=kde_width)
    eps2_G = (0.0 if generated_width is None else eps2_O if generated_width == "original"
              else float(generated_width) ** 2)
    mean, cov = _dense_generated(Y, X, T, lam, ridge)
    cov = 0.5 * (cov + cov.T) + eps2_G * np.eye(d)
    try:
        L = np.linalg.cholesky(cov)
        ok = np.diag(L).min() > 1e-7 * np.diag(L).max()
    except np.linalg.LinAlgError:
        ok = False
    if not ok:
        raise ValueError("Y: the generated covariance is singular (n <= d); give "
                         "generated_width to smooth it")

    def log_g(x):
        return _gaussian_logpdf(x, mean, L)

    def sample_g(m, r):
        return mean + r.standard_normal((m, d)) @ L.T

    def kde(centres, eps2):
        def log_a(x):
            return _log_kde(x, centres, eps2)

        def sample_a(m, r):
            return centres[r.integers(0, len(centres), m)] + np.sqrt(eps2) * r.standard_normal((m, d))
        return log_a, sample_a

    e_tg = _mc_distance(*kde(Y, eps2_n), log_g, sample_g, n_samples, rng)
    e_og = _mc_distance(*kde(original, eps2_O), log_g, sample_g, n_samples, rng)
    return MonteCarloDistances(e_tg[0], e_tg[1], e_og[0], e_og[1], n_samples, seed)


# ----------------------------------------------------------------------------
# Figures of the distances and of the alignment claim
# ----------------------------------------------------------------------------


def _setting_text(c) -> str:
    """The options of a DistanceCurve as a short label."""
    parts = [f"KDE width {c.kde_width}" if isinstance(c.kde_width, str)
             else f"KDE width {c.kde_width:g}"]
    if c.ridge > 0:
        parts.append(f"ridge {c.ridge:g}")
    if c.generated_width is None:
        parts.append(r"exact $\rho_G$")
    else:
        parts.append(rf"$\rho_G$ smoothed by {c.eps_generated:.3g}")
    return ", ".join(parts)


def plot_scaled_distances(curves: list[DistanceCurve], *, summary: str = "mean",
                          ax: Axes | None = None) -> Figure:
    r"""$\hat E_{OG}$ and $\hat E_{TG}$ against n (the analogue of the onset paper's Fig. 4, left).

    For each [`memlab.theory.linear_diffusion.DistanceCurve`][memlab.theory.linear_diffusion.DistanceCurve]
    the mean (or median) distances over training sets, each divided by its value at the
    smallest n where it is finite, are drawn against n (log-log): $\hat E_{OG}$ in a solid
    line, $\hat E_{TG}$ dashed, with 2 relative standard errors of the mean as a band
    (``summary="mean"`` only). A dotted vertical
    line marks n = d, below which the exact $\rho_G$ is degenerate (both distances
    infinite, not drawn), and a dash-dotted one the transition of P (where P first
    exceeds 1/2 on the curve's own grid).

    Parameters
    ----------
    curves : list of DistanceCurve
        One or more results of
        [`memlab.theory.linear_diffusion.distance_curve`][memlab.theory.linear_diffusion.distance_curve].
    summary : {"mean", "median"}, default "mean"
        Summary over the training sets (keyword-only): the mean, as in the paper's
        Fig. 4, or the median, robust to the heavy tail of $E$ just above n = d.
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
        If ``curves`` is not a sequence of ``DistanceCurve``, ``summary`` is not a
        string, or ``ax`` is not a matplotlib Axes.
    ValueError
        If ``curves`` is empty or ``summary`` is not "mean" or "median".

    References
    ----------
    The onset paper (anonymous, under review), Sec. 4 and Fig. 4 (left); Sec. 3.2,
    eq. 19.

    Examples
    --------
    >>> from memlab.theory.linear_diffusion import distance_curve
    >>> c = distance_curve([4, 8, 16], 2, n_original=100, trials=5, seed=0)
    >>> fig = plot_scaled_distances([c])
    >>> fig.axes[0].get_yscale()
    'log'
    """
    from memlab.theory.linear_diffusion import transition_n
    from memlab.verification._plotting import axes_for

    from memlab._validation import check_choice

    def _scaled(log_mean):          # exp(log_mean - its first finite entry)
        fin = np.flatnonzero(np.isfinite(log_mean))
        if fin.size == 0:
            return np.full(log_mean.shape, np.nan)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(log_mean - log_mean[fin[0]])

    curves = check_instances("curves", curves, DistanceCurve)
    summary = check_choice("summary", summary, ("mean", "median"))
    fig, ax = axes_for(ax, figsize=(6.5, 4.4))
    for c in curves:
        label = f"d = {c.d}, {_setting_text(c)}"
        line = None
        if summary == "mean":
            rows = ((c.scaled_E_OG, c.rel_stderr_E_OG, "-", r"$\hat E_{OG}$"),
                    (c.scaled_E_TG, c.rel_stderr_E_TG, "--", r"$\hat E_{TG}$"))
        else:
            none = np.zeros(c.n.shape)
            rows = ((_scaled(c.log_median_E_OG), none, "-", r"$\hat E_{OG}$"),
                    (_scaled(c.log_median_E_TG), none, "--", r"$\hat E_{TG}$"))
        for y, rel, style, name in rows:
            ok = np.isfinite(y)
            kw = {} if line is None else {"color": line.get_color()}
            line = ax.plot(c.n[ok], y[ok], style, marker="o", ms=3,
                           label=f"{name}: {label}", **kw)[0]
            if summary == "mean":
                band = np.where(np.isfinite(rel), rel, 0.0)[ok]
                ax.fill_between(c.n[ok], y[ok] * np.maximum(1 - 2 * band, 1e-3),
                                y[ok] * (1 + 2 * band), color=line.get_color(), alpha=0.12)
        ax.axvline(c.d, color=line.get_color(), ls=":", lw=1)
        try:
            ax.axvline(transition_n(c.n, c.p_delta), color=line.get_color(), ls="-.", lw=1)
        except ValueError:
            pass
    ax.plot([], [], "k:", lw=1, label=r"n = d (exact $\rho_G$ degenerate below)")
    ax.plot([], [], "k-.", lw=1, label=r"$P(\Delta > 0) = 1/2$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training-set size n")
    ax.set_ylabel(rf"$\hat E$ ({summary} $E$ / its value at the smallest finite n)")
    c0 = curves[0]
    ax.set_title("Onset paper, Fig. 4 (left) for the linear model: "
                 f"$N_O$ = {_counts_text(c.n_original for c in curves)}, "
                 f"{_counts_text(c.trials for c in curves)} training sets per n, "
                 f"{_seeds_text(c.seed for c in curves)}"
                 + ("; bands: 2 s.e." if summary == "mean" else ""), fontsize=8)
    del c0
    ax.legend(fontsize=7)
    return fig


def plot_onset_alignment(alignments: list[OnsetAlignment], *, fig: Figure | None = None) -> Figure:
    r"""$P(\Delta > 0)$ and $\hat E_{OG}$ against n/d, one panel per alignment result.

    Tests the onset paper's contribution 4 by eye: in each panel $P(\Delta > 0)$ (left
    axis, black) and $\hat E_{OG}$ (right axis, log scale, blue) are drawn against n/d,
    with $n_{1/2}$ (P = 1/2, black dashed line, its bootstrap interval shaded grey) and
    $n_{\rm fall}$ (steepest fall of $\hat E_{OG}$, blue dashed, interval shaded blue),
    and the steepest fall of $\mathbb E[H^2]$ (green dotted); for the exact $\rho_G$ the
    range $n \le d$, where $E_{OG} = \infty$, is shaded. The claim holds where the
    two dashed lines coincide. The title of each panel gives d, the ratio
    $n_{\rm fall}/n_{1/2}$ with its interval, and the setting.

    Parameters
    ----------
    alignments : list of OnsetAlignment
        Results of
        [`memlab.theory.linear_diffusion.onset_alignment`][memlab.theory.linear_diffusion.onset_alignment],
        one panel each (in a row).
    fig : matplotlib.figure.Figure, optional
        Figure to draw on (keyword-only); default a new one (not registered with
        pyplot).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    TypeError
        If ``alignments`` is not a sequence of ``OnsetAlignment``, or ``fig`` is not a
        matplotlib Figure.
    ValueError
        If ``alignments`` is empty.

    References
    ----------
    The onset paper (anonymous, under review), Sec. 1.1 (contribution 4), Fig. 1,
    Figs. 2-3.

    Examples
    --------
    >>> from memlab.theory.linear_diffusion import onset_alignment
    >>> a = onset_alignment(8, [4, 6, 9, 12, 16, 24, 32, 48, 64], n_original=500,
    ...                     trials=20, n_boot=10, seed=1)
    >>> fig = plot_onset_alignment([a])
    >>> fig.axes[0].get_xlabel()
    'n / d'
    """
    from memlab.verification._plotting import figure_for

    alignments = check_instances("alignments", alignments, OnsetAlignment)
    fig = figure_for(fig, figsize=(4.6 * len(alignments) + 0.6, 5.2))
    axes = fig.subplots(1, len(alignments), squeeze=False)[0]
    blue, green = "tab:blue", "tab:green"
    for ax, a in zip(axes, alignments):
        x = a.n / a.d
        ax.plot(x, a.p_delta, "k-o", ms=3, label=r"$P(\Delta > 0)$")
        ax.axhline(0.5, color="k", lw=0.5)
        ax.set_ylim(-0.03, 1.03)
        twin = ax.twinx()
        ok = np.isfinite(a.scaled_E_OG)
        twin.plot(x[ok], a.scaled_E_OG[ok], "-s", color=blue, ms=3)
        twin.set_yscale("log")
        twin.set_ylabel(r"$\hat E_{OG}$", color=blue)
        twin.tick_params(axis="y", colors=blue)
        for value, ci, color, style, name in (
                (a.n_half, a.n_half_ci, "k", "--", r"$n_{1/2}$"),
                (a.n_fall, a.n_fall_ci, blue, "--", r"$n_{\rm fall}(E_{OG})$"),
                (a.n_fall_hellinger, a.n_fall_hellinger_ci, green, ":", r"$n_{\rm fall}(H^2)$")):
            if np.isfinite(value):
                ax.axvline(value / a.d, color=color, ls=style, lw=1.2,
                           label=f"{name} = {value:.3g} (n/d = {value / a.d:.2g})")
                if np.all(np.isfinite(ci)) and ci[1] > ci[0]:
                    ax.axvspan(ci[0] / a.d, ci[1] / a.d, color=color, alpha=0.12, lw=0)
        if a.curve.generated_width is None:
            ax.axvspan(x.min(), 1.0, color="0.5", alpha=0.1, lw=0,
                       label=r"$n \leq d$: exact $\rho_G$ degenerate, $E_{OG} = \infty$")
        else:
            ax.axvline(1.0, color="0.6", ls=":", lw=1, label="n = d")
        ax.set_xscale("log")
        ax.set_xlabel("n / d")
        ax.set_ylabel(r"$P(\Delta > 0)$")
        c = a.curve
        ratio = (f"$n_{{\\rm fall}}/n_{{1/2}}$ = {a.ratio:.2f} [{a.ratio_ci[0]:.2f}, "
                 f"{a.ratio_ci[1]:.2f}]" if np.isfinite(a.ratio) else "no fall of $E_{OG}$")
        if np.isfinite(a.ratio) and a.fall_at_edge:
            ratio += " ($n_{\\rm fall}$ at the grid's edge)"
        ax.set_title(f"d = {a.d}: {ratio}\n{_setting_text(c)}, {a.summary} of $E_{{OG}}$\n"
                     f"$N_O$ = {c.n_original}, {c.trials} sets per n, {_seeds_text([a.seed])}",
                     fontsize=8)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    fig.suptitle("Onset paper, contribution 4: transition of $P(\\Delta > 0)$ against the "
                 "fall of $E_{OG}$ (linear model)", fontsize=9)
    return fig
