r"""Independent checks and figures for the linear diffusion model (seed 003 Sec. 3).

* [`grid_distances`][memlab.verification.linear_diffusion.grid_distances]: brute-force numerical integration of
  $E_{TG}$, $E_{OG}$, $\Delta$ and $H^2$ on a grid in
  d = 1 or 2, from the densities themselves (no Gaussian-overlap identity), to
  check [`memlab.theory.linear_diffusion.delta_statistic`][memlab.theory.linear_diffusion.delta_statistic] and
  [`memlab.theory.linear_diffusion.hellinger_gaussian`][memlab.theory.linear_diffusion.hellinger_gaussian].
* [`monte_carlo_hellinger`][memlab.verification.linear_diffusion.monte_carlo_hellinger]: $H^2 = 1 - \mathbb E_{x\sim p}\sqrt{q(x)/p(x)}$
  by sampling, for any d.
* Figures: seed 003 Fig. 2 ($\mathbb E[H^2]$ against n), Fig. 3
  ($P(\Delta > 0)$ against n), the KDE bandwidths against d, and the
  simulated collapse times against $t_M$.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memlab._results import Result
from memlab._validation import (check_array, check_instances, check_mapping, check_positive_int,
                                check_positive_real, check_real, check_rng)
from memlab.verification._checks import check_count

#: Upper bound on Monte Carlo ``n_samples``.
MAX_SAMPLES = 10**8
#: Upper bound on the number of grid points, ``n_grid ** d``.
MAX_GRID_POINTS = 2 * 10**6
#: Upper bound on the dimensions ``d`` of [`plot_bandwidths_vs_d`][memlab.verification.linear_diffusion.plot_bandwidths_vs_d] and the keys of
#: [`plot_hellinger_vs_n`][memlab.verification.linear_diffusion.plot_hellinger_vs_n] (far beyond any figure of seed 003).
MAX_DIM = 10**6
from memlab.theory.linear_diffusion import DeltaCurve, MeanEstimate, fit_linear_model

__all__ = ["GridDistances", "grid_distances", "monte_carlo_hellinger", "plot_hellinger_vs_n",
           "plot_p_delta_vs_n", "plot_bandwidths_vs_d", "plot_collapse_times"]


@dataclass(frozen=True)
class GridDistances(Result):
    """Grid integrals for one training set (d = 1 or 2).

    ``E_TG``, ``E_OG``, ``delta`` = E_TG - E_OG, ``hellinger2`` (true law vs
    rho_G), and ``grid_step``.
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


def grid_distances(Y, X, original, *, mu=10.0, sigma=1.0, T=2.0, lam=np.exp(-4.0),
                   n_grid=801, half_width=9.0) -> GridDistances:
    r"""Integrate $(\rho_T-\rho_G)^2$, $(\rho_O-\rho_G)^2$ and the Hellinger
    integrand on a grid (d = 1 or 2; $\rho_G$ must be non-degenerate, n > d).

    The grid spans ``mu +- half_width * sigma`` per axis with ``n_grid`` points
    (trapezoid rule); all densities are evaluated directly.

    Cost: O(G (n + N_O) d + n d^2) time and O(64 G d) memory for G = ``n_grid``^d grid
    points, n training and N_O original points (centres in chunks of 64); about 0.12 s
    for n = 64, d = 1, N_O = 1e4 and the default 801 grid points.
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
    from scipy import stats          # imported here: scipy.stats takes 1.4 s to import

    rho_G = stats.multivariate_normal(mean=model.mean, cov=cov_G).pdf(pts).reshape(-1)
    rho = stats.multivariate_normal(mean=np.full(d, mu), cov=sigma**2 * np.eye(d)).pdf(pts).reshape(-1)
    E_TG = float(w @ (rho_T - rho_G) ** 2)
    E_OG = float(w @ (rho_O - rho_G) ** 2)
    h2 = float(1.0 - w @ np.sqrt(rho * rho_G))
    return GridDistances(E_TG, E_OG, E_TG - E_OG, h2, float(step))


def monte_carlo_hellinger(m1, S1, m2, S2, *, n_samples=200_000, seed=None):
    r"""Monte Carlo $H^2 = 1 - \mathbb E_{x\sim p}[\sqrt{q(x)/p(x)}]$, p = N(m1, S1), q = N(m2, S2).

    Returns ``(estimate, stderr)``. Both covariances must be non-singular.

    Cost: O(n_samples k^2 + k^3) time and O(n_samples k + k^2) memory in dimension k;
    about 0.2 s for k = 16 and the default 2e5 samples.

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
    rng = check_rng(seed)
    from scipy import stats

    p = stats.multivariate_normal(mean=m1, cov=S1)
    q = stats.multivariate_normal(mean=m2, cov=S2)
    x = p.rvs(size=n_samples, random_state=rng)
    r = np.exp(0.5 * (q.logpdf(x) - p.logpdf(x)))
    return float(1.0 - r.mean()), float(r.std(ddof=1) / np.sqrt(n_samples))


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------


def plot_hellinger_vs_n(results):
    r"""Seed 003 Fig. 2: $\mathbb E[H^2(\rho, \rho_G)]$ against n, one line per d.

    ``results`` maps d to ``(n_values, estimates)`` with estimates
    [`memlab.theory.linear_diffusion.MeanEstimate`][memlab.theory.linear_diffusion.MeanEstimate] (seed defaults T = 2,
    lam = e^-4, sigma = 1). The dashed lines are the n -> infinity limits
    [`memlab.theory.linear_diffusion.hellinger_large_n_limit`][memlab.theory.linear_diffusion.hellinger_large_n_limit]. Returns a Figure.

    Raises
    ------
    TypeError
        If ``results`` is not a dict, a key is not an integer, a value is not a pair
        or an estimate is not a ``MeanEstimate``.
    ValueError
        If ``results`` is empty, a key is not a positive integer, ``n_values`` are not
        positive, or the two sequences of a pair differ in length.
    """
    from matplotlib.figure import Figure

    from memlab.theory.linear_diffusion import hellinger_large_n_limit

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

    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for d, ns, ests in checked:
        m = np.array([e.estimate for e in ests])
        s = np.array([e.stderr for e in ests])
        line = ax.errorbar(ns, m, yerr=2 * s, marker="o", ms=3, label=f"d = {d}").lines[0]
        ax.axvline(d, color=line.get_color(), ls=":", lw=1)
        ax.axhline(hellinger_large_n_limit(d), color=line.get_color(), ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("training-set size n")
    ax.set_ylabel(r"$\mathbb{E}[H^2(\rho, \rho_G)]$")
    ax.set_title(r"Linear diffusion: fast convergence starts at $n \sim d$ (dotted)")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_p_delta_vs_n(curves):
    r"""Seed 003 Fig. 3: $P(\Delta > 0)$ against n with Wilson intervals and the transition.

    ``curves`` is a non-empty list of [`memlab.theory.linear_diffusion.DeltaCurve`][memlab.theory.linear_diffusion.DeltaCurve]
    (a TypeError otherwise, a ValueError if empty). Returns a Figure.
    """
    from matplotlib.figure import Figure

    curves = check_instances("curves", curves, DeltaCurve)

    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for c in curves:
        line = ax.plot(c.n, c.probability, marker="o", ms=3,
                       label=f"d = {c.d}, $N_O$ = {c.n_original}, {c.trials} trials")[0]
        ax.fill_between(c.n, c.ci_low, c.ci_high, color=line.get_color(), alpha=0.2)
        if np.isfinite(c.transition):
            ax.axvline(c.transition, color=line.get_color(), ls="--", lw=1)
    ax.axhline(0.5, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("training-set size n")
    ax.set_ylabel(r"$P(\Delta > 0)$")
    ax.set_title("Memorization to generalization (dashed: P = 1/2)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_bandwidths_vs_d(sigma=1.0, n=1e4, dims=None):
    r"""Mixing width $h_M$, $\sqrt{2t_M}$, exact MISE-optimal and AMISE bandwidths against d.

    ``dims`` is a 1-D sequence of positive integer dimensions (default 31 values
    from 1 to 1000). Returns a Figure (seed 003 Sec. 2.2 and DESIGN Sec. 5).
    """
    from matplotlib.figure import Figure

    from memlab.theory.mixing import compare_bandwidths

    sigma = check_positive_real("sigma", sigma)
    n = check_positive_real("n", n)
    if dims is None:
        dims = np.unique(np.round(np.logspace(0, 3, 31)).astype(int))
    else:
        arr = check_array("dims", dims, ndim=1, lo=1.0)
        dims = np.array([check_positive_int("dims", d, maximum=MAX_DIM) for d in arr])
    rows = [compare_bandwidths(sigma, int(d), n) for d in dims]
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(dims, [r.h_mixing for r in rows], label=r"mixing width $h_M=\sigma/\sqrt{n^{2/d}-1}$")
    ax.plot(dims, [r.h_sqrt_2tM for r in rows], label=r"$\sqrt{2 t_M}$ (seed eq. 10)")
    ax.plot(dims, [r.h_optimal for r in rows], "k", lw=2, label="exact MISE-optimal")
    ax.plot(dims, [r.h_amise for r in rows], "--", label="AMISE (seed eq. 11)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dimension d")
    ax.set_ylabel("bandwidth")
    ax.set_title(f"Gaussian KDE bandwidths, n = {n:g}, sigma = {sigma:g}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_collapse_times(scans):
    r"""Simulated median collapse time against $t_M$, for growing d at fixed alpha.

    ``scans`` maps alpha to a non-empty list of
    [`memlab.verification.mixing.CollapseTimes`][memlab.verification.mixing.CollapseTimes] (a TypeError otherwise, a
    ValueError if ``scans`` or a list is empty). Returns a Figure.
    """
    from matplotlib.figure import Figure

    from memlab.verification.mixing import CollapseTimes

    scans = check_mapping("scans", scans)
    scans = {alpha: check_instances(f"scans[{alpha!r}]", res, CollapseTimes)
             for alpha, res in scans.items()}

    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for alpha, res in scans.items():
        ds = [r.d for r in res]
        line = ax.errorbar(ds, [r.estimate for r in res], yerr=[2 * r.stderr for r in res],
                           fmt="o", ms=4, label=f"simulation, alpha = {alpha}")
        ax.plot(ds, [r.theory for r in res], "-", color=line.lines[0].get_color(),
                label=rf"$t_M$, alpha = {alpha}")
    ax.set_xlabel("dimension d (n = round(exp(alpha d)))")
    ax.set_ylabel("collapse time")
    ax.set_title("Posterior weight of the starting point drops below 1/2")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
