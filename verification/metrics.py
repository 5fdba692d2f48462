"""Figures of the memorization measurements of [`memlab.theory.metrics`][memlab.theory.metrics].

* [`plot_phase_diagram`][memlab.verification.metrics.plot_phase_diagram]: the regimes of Favero et al. (2025), Fig. 6
  (partial generalization, generalization, memorization) in the (P, tau) plane, from
  [`memlab.theory.metrics.phase_diagram`][memlab.theory.metrics.phase_diagram].

References: A. Favero, A. Sclocchi, M. Wyart, "Bigger isn't always memorizing: early
stopping overparameterized diffusion models", arXiv:2505.16959 (2025), Fig. 6.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from memlab._validation import check_array, check_positive_real
from memlab.theory.metrics import PHASES, phase_diagram
from memlab.verification._checks import check_count

if TYPE_CHECKING:                     # matplotlib is imported by the plot function only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_phase_diagram"]


def plot_phase_diagram(P_star: ArrayLike, *, tau_mem_per_P: float = 1.0,
                       tau_star: ArrayLike | None = None,
                       P_range: tuple[float, float] | ArrayLike | None = None,
                       tau_range: tuple[float, float] | ArrayLike | None = None,
                       n_grid: int = 300, ax: Axes | None = None) -> Figure:
    r"""Shade the three regimes of Favero et al. (2025), Fig. 6 on log axes and draw the boundaries.

    The regimes in the plane of training-set size P and training time $\tau$ are
    those of [`memlab.theory.metrics.phase_diagram`][memlab.theory.metrics.phase_diagram]: layer $\ell$ of the
    hierarchy is learned once $P > P^*_\ell$ and $\tau > \tau^*_\ell$, and
    memorization starts at $\tau_{\rm mem} = c\,P$. The figure shades
    memorization ($\tau > \tau_{\rm mem}$, red), generalization (all layers learned,
    green) and partial generalization (blue, darker for more learned layers), and
    draws the transitions: the solid line $\tau_{\rm mem} = c\,P$ and the dotted
    boundaries at $P = P^*_\ell$ and $\tau = \tau^*_\ell$, each labelled. The title
    gives c, the $P^*_\ell$ and the $\tau^*_\ell$.

    Parameters
    ----------
    P_star : array of float
        Layer sample complexities $P^*_\ell > 0$, increasing (e.g.
        [`memlab.theory.rhm.sample_complexity`][memlab.theory.rhm.sample_complexity]).
    tau_mem_per_P : float, default 1.0
        The constant $c > 0$ of $\tau_{\rm mem} = c\,P$.
    tau_star : array of float, optional
        Learning times $\tau^*_\ell$, one per layer; default $\tau^*_\ell = P^*_\ell$.
    P_range : pair of float, optional
        Range (low, high) of the P axis, 0 < low < high; default
        (min P* / 10, max P* x 100).
    tau_range : pair of float, optional
        Range of the $\tau$ axis; default (P low, P high x max(c, 1) x 10).
    n_grid : int, default 300
        Grid points per axis (2 to 5000).
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
        If ``P_star`` or ``tau_star`` is not a non-empty 1-D array of positive
        numbers of matching length (increasing, see
        [`memlab.theory.metrics.phase_diagram`][memlab.theory.metrics.phase_diagram]), ``tau_mem_per_P`` is not
        finite and positive, a range is not a pair 0 < low < high, the default
        ranges overflow, or ``n_grid`` is out of range.

    References
    ----------
    Favero et al. (2025), Fig. 6.

    Examples
    --------
    >>> fig = plot_phase_diagram([10, 100], tau_mem_per_P=4.0, n_grid=20)
    >>> fig.axes[0].get_xlabel()
    'training-set size P'
    """
    import matplotlib
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from memlab.verification._plotting import axes_for

    ps = check_array("P_star", P_star, ndim=1, lo=0.0, lo_open=True)
    tau_mem_per_P = check_positive_real("tau_mem_per_P", tau_mem_per_P)
    ranges = {}
    for name, rng in (("P_range", P_range), ("tau_range", tau_range)):
        if rng is not None:
            r = check_array(name, rng, ndim=1, lo=0.0, lo_open=True)
            if r.shape != (2,) or not r[0] < r[1]:
                raise ValueError(f"{name} must be a pair (low, high) with 0 < low < high, "
                                 f"got {rng!r}")
            ranges[name] = (float(r[0]), float(r[1]))
    n_grid = check_count("n_grid", n_grid, 5000, minimum=2)
    lo, hi = ranges.get("P_range") or (float(ps.min()) / 10, float(ps.max()) * 100)
    tlo, thi = ranges.get("tau_range") or (lo, hi * max(tau_mem_per_P, 1.0) * 10)
    for name, (a, b) in (("P_star", (lo, hi)), ("tau_mem_per_P", (tlo, thi))):
        if not (np.isfinite(a) and np.isfinite(b) and 0.0 < a < b):
            raise ValueError(f"{name} gives an axis range ({a:g}, {b:g}) that is not finite and "
                             f"positive; pass P_range and tau_range")
    P = np.geomspace(lo, hi, n_grid)
    tau = np.geomspace(tlo, thi, n_grid)
    PP, TT = np.meshgrid(P, tau)
    regime, layers = phase_diagram(PP, TT, P_star=ps, tau_mem_per_P=tau_mem_per_P,
                                   tau_star=tau_star)
    ts = ps if tau_star is None else np.asarray(tau_star, dtype=float)
    L = ps.size
    # colour index: 0..L-1 partial (by layers learned), L generalization, L+1 memorization
    code = np.where(regime == 0, layers, np.where(regime == 1, L, L + 1))
    blues = matplotlib.colormaps["Blues"]
    colors = [blues(0.15 + 0.5 * i / max(1, L)) for i in range(L)]
    colors += [matplotlib.colormaps["Greens"](0.55), matplotlib.colormaps["Reds"](0.5)]
    fig, ax = axes_for(ax, figsize=(6.4, 4.8))
    ax.pcolormesh(P, tau, code, cmap=ListedColormap(colors), vmin=-0.5, vmax=L + 1.5,
                  shading="auto")
    (mem_line,) = ax.plot(P, tau_mem_per_P * P, "k-", lw=1.2,
                          label=rf"$\tau_{{\rm mem}} = c\,P$, c = {tau_mem_per_P:g}")
    for ell, (p, t) in enumerate(zip(ps, ts), start=1):
        # boundaries of "layer ell learned" below the memorization line: P = P*_ell for
        # tau in (tau*_ell, c P*_ell) and tau = tau*_ell for P > max(P*_ell, tau*_ell / c)
        if t < tau_mem_per_P * p:
            ax.plot([p, p], [t, min(thi, tau_mem_per_P * p)], color="k", ls=":", lw=0.8)
        p_from = max(p, t / tau_mem_per_P)
        if p_from < hi:
            ax.plot([p_from, hi], [t, t], color="k", ls=":", lw=0.8)
            ax.text(hi / 1.15, t * 1.1, rf"$\tau^*_{ell}$", fontsize=8, ha="right", va="bottom")
        ax.text(p * 1.05, tlo * 1.5, rf"$P^*_{ell}$", fontsize=8, ha="left")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(tlo, thi)
    ax.set_xlabel("training-set size P")
    ax.set_ylabel(r"training time $\tau$")
    handles = [mem_line] + [Patch(color=c, label=name) for c, name in
                            zip((colors[L - 1], colors[L], colors[L + 1]), PHASES)]
    handles.append(ax.plot([], [], "k:", lw=0.8,
                           label=r"boundaries of layer $\ell$ learned: $P > P^*_\ell$, $\tau > \tau^*_\ell$")[0])
    star = ", ".join(f"{p:g}" for p in ps)
    tstar = r"$\tau^*_\ell = P^*_\ell$" if tau_star is None else (
        r"$\tau^*_\ell$ = " + ", ".join(f"{t:g}" for t in ts))
    ax.set_title(f"Phase diagram (Favero et al. 2025, Fig. 6): c = {tau_mem_per_P:g}, "
                 f"$P^*_\\ell$ = {star},\n{tstar}; darker blue = more layers learned",
                 fontsize=9)
    ax.legend(handles=handles, fontsize=8, loc="upper left")
    return fig
