"""Figures of the memorization measurements of [`memlab.theory.metrics`][memlab.theory.metrics].

* [`plot_phase_diagram`][memlab.verification.metrics.plot_phase_diagram]: the regimes of seed 000 Fig. 6 (partial
  generalization, generalization, memorization) in the (P, tau) plane, from
  [`memlab.theory.metrics.phase_diagram`][memlab.theory.metrics.phase_diagram].
"""

from __future__ import annotations

import numpy as np

from memlab._validation import check_array, check_positive_real
from memlab.theory.metrics import PHASES, phase_diagram
from memlab.verification._checks import check_count

__all__ = ["plot_phase_diagram"]


def plot_phase_diagram(P_star, *, tau_mem_per_P=1.0, tau_star=None, P_range=None, tau_range=None,
                       n_grid=300):
    """Shade the three regimes of seed 000 Fig. 6 on log axes and draw the boundaries.

    ``P_star`` (layer sample complexities, e.g. [`memlab.theory.rhm.sample_complexity`][memlab.theory.rhm.sample_complexity]),
    ``tau_mem_per_P`` and ``tau_star`` as in [`memlab.theory.metrics.phase_diagram`][memlab.theory.metrics.phase_diagram].
    The shade inside the partial-generalization region counts the learned layers.

    Examples
    --------
    >>> fig = plot_phase_diagram([10, 100], tau_mem_per_P=4.0)
    >>> fig.axes[0].get_xlabel()
    'training-set size P'
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

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
    L = ps.size
    # colour index: 0..L-1 partial (by layers learned), L generalization, L+1 memorization
    code = np.where(regime == 0, layers, np.where(regime == 1, L, L + 1))
    colors = [plt.cm.Blues(0.15 + 0.5 * i / max(1, L)) for i in range(L)]
    colors += [plt.cm.Greens(0.55), plt.cm.Reds(0.5)]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.pcolormesh(P, tau, code, cmap=ListedColormap(colors), vmin=-0.5, vmax=L + 1.5,
                  shading="auto")
    ax.plot(P, tau_mem_per_P * P, "k-", lw=1.2, label=r"$\tau_{\rm mem} = c\,P$")
    for ell, p in enumerate(ps, start=1):
        ax.axvline(p, color="k", ls=":", lw=0.7)
        ax.text(p, tlo * 1.5, rf"$P^*_{ell}$", fontsize=8, ha="right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training-set size P")
    ax.set_ylabel(r"training time $\tau$")
    from matplotlib.patches import Patch
    handles = [ax.lines[0]] + [Patch(color=c, label=name) for c, name in
                               zip((colors[L - 1], colors[L], colors[L + 1]), PHASES)]
    ax.set_title("phase diagram (seed 000 Fig. 6); darker blue = more layers learned", fontsize=9)
    ax.legend(handles=handles, fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
