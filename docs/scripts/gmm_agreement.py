"""Regenerate the agreement table and the GMM figures of docs/gmm.md (closed forms vs simulation).

Run: ``python docs/scripts/gmm_agreement.py`` (about a minute on 2 cores).
For each setting: 16 datasets x 4 noise draws per training point and time on the
26-point grid of Buchanan et al. (2025) (random seed 11); largest |z| and relative
error of the closed forms over times with psi_t >= 1 and >= 4 (M = N/10, N/4, N/2,
3N/4), and the crossover M*/N, simulated (95% bootstrap interval, bootstrap seed 0)
and closed form (Buchanan et al. 2025, eq. 14).

Writes docs/figures/gmm_excess_per_t.png and gmm_crossover.png (the setting (200, 50, 12)
of Buchanan et al. 2025) and gmm_crossover_curve.png (closed-form M*/N against N, theory
only).
"""

from pathlib import Path

import numpy as np

from memlab.verification.gmm import (closed_form_agreement, plot_crossover_curve,
                                     plot_excess_per_t, plot_weighted_loss_vs_M,
                                     simulate_loss_curves, simulated_crossover_point)

SETTINGS = [(200, 50, 12), (120, 100, 3), (400, 200, 8), (100, 20, 4), (300, 30, 30), (60, 10, 2)]
FIG = Path(__file__).resolve().parents[1] / "figures"


def main():
    FIG.mkdir(exist_ok=True)
    print("| (N, d, K) | psi >= | gen max abs z | gen max rel err | pmem max abs z | "
          "pmem max rel err | M*/N simulated [95% CI] | M*/N closed form |")
    print("|---|---|---|---|---|---|---|---|")
    for N, d, K in SETTINGS:
        curves = simulate_loss_curves(N, d, K, n_noise=4, n_datasets=16, seed=11)
        agree = closed_form_agreement(curves)
        est = simulated_crossover_point(N, d, K, curves=curves, seed=0)
        for psi_min in (1.0, 4.0):
            w = agree.worst(psi_min)
            cross = (f"{est.estimate / N:.3f} [{est.ci_low / N:.3f}, {est.ci_high / N:.3f}] | "
                     f"{est.closed_form / N:.3f}" if psi_min == 1.0 else " | ")
            print(f"| ({N}, {d}, {K}) | {psi_min:g} | {w['gen_z']:.1f} | {100 * w['gen_rel']:.1f}% | "
                  f"{w['pmem_z']:.1f} | {100 * w['pmem_rel']:.1f}% | {cross} |")
        if (N, d, K) == (200, 50, 12):
            plot_excess_per_t(curves).savefig(FIG / "gmm_excess_per_t.png", dpi=120)
            plot_weighted_loss_vs_M(curves, "x0", crossover=est).savefig(
                FIG / "gmm_crossover.png", dpi=120)
    Ns = np.unique(np.round(np.geomspace(20, 1e9, 25)).astype(int))
    plot_crossover_curve(Ns, 50, 12).savefig(FIG / "gmm_crossover_curve.png", dpi=120)


if __name__ == "__main__":
    main()
