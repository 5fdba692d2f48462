"""Figures and tables of docs/mixing.md and docs/linear_diffusion.md (the onset paper).

The paper: "On the onset of memorization to generalization transition in diffusion
models" (anonymous, under review): its Figs. 2 and 3 (linear diffusion model, Sec. 3),
the KDE bandwidths and the collapse time t_M (Sec. 2.2).

Run: ``python docs/scripts/onset_figures.py`` (several minutes on 2 cores; random seeds
0 and 1 as below).
Writes docs/figures/{hellinger_vs_n,p_delta_vs_n,p_delta_large_n,bandwidths_vs_d,
collapse_times}.png and prints the tables quoted in the docs.
"""

from pathlib import Path

import numpy as np

from memlab.theory.linear_diffusion import expected_hellinger, p_delta_curve
from memlab.theory.mixing import compare_bandwidths
from memlab.verification.linear_diffusion import (plot_bandwidths_vs_d, plot_collapse_times,
                                                  plot_hellinger_vs_n, plot_p_delta_vs_n)
from memlab.verification.mixing import collapse_time_scan

FIG = Path(__file__).resolve().parents[1] / "figures"


def main():
    FIG.mkdir(exist_ok=True)
    # Fig. 2: E[H^2] against n
    hel = {}
    for d in (16, 100):
        ns = np.unique(np.round(np.logspace(np.log10(d / 2), np.log10(100 * d), 14)).astype(int))
        hel[d] = (ns, [expected_hellinger(int(n), d, trials=200, seed=0) for n in ns])
        print(f"E[H^2], d={d}: " + ", ".join(f"n={n}: {e.estimate:.3f}" for n, e in zip(*hel[d])))
    plot_hellinger_vs_n(hel).savefig(FIG / "hellinger_vs_n.png", dpi=120)

    # Fig. 3: P(Delta > 0) against n
    c16 = p_delta_curve([8, 12, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128], 16, trials=1000, seed=0)
    c100 = p_delta_curve([50, 75, 100, 125, 150, 200, 250, 300, 400, 600], 100, trials=200, seed=0)
    for c in (c16, c100):
        print(f"P(Delta>0), d={c.d}, N_O={c.n_original}, {c.trials} trials: "
              + ", ".join(f"n={n}: {p:.3f}" for n, p in zip(c.n, c.probability))
              + f"; transition n = {c.transition:.1f}")
    plot_p_delta_vs_n([c16, c100]).savefig(FIG / "p_delta_vs_n.png", dpi=120)
    big = p_delta_curve([64, 128, 256, 512, 1000, 1500, 2000], 16, n_original=2000, trials=320,
                        n_original_sets=16, seed=0)
    print("P(Delta>0), d=16, N_O=2000, 16 original sets x 20 trials: "
          + ", ".join(f"n={n}: {p:.3f} [{lo:.3f}, {hi:.3f}] (sets {a:.2f}-{b:.2f})"
                      for n, p, lo, hi, a, b in zip(big.n, big.probability, big.ci_low, big.ci_high,
                                                    big.set_probabilities.min(0),
                                                    big.set_probabilities.max(0))))
    plot_p_delta_vs_n([big]).savefig(FIG / "p_delta_large_n.png", dpi=120)

    # bandwidths against d
    plot_bandwidths_vs_d(1.0, 1e4).savefig(FIG / "bandwidths_vs_d.png", dpi=120)
    print("| d | h_M | sqrt(2 t_M) | sigma n^(-1/d) | exact optimum | AMISE | h_M/opt | MISE(h_M)/MISE(opt)-1 | log L2 gain of optimum |")
    print("|---|---|---|---|---|---|---|---|---|")
    for d in (1, 2, 4, 8, 16, 32, 50, 100, 1000, 10000):
        c = compare_bandwidths(1.0, d, 1e4)
        print(f"| {d} | {c.h_mixing:.4g} | {c.h_sqrt_2tM:.4g} | {c.h_leading:.4g} | {c.h_optimal:.4g} | "
              f"{c.h_amise:.4g} | {c.ratio:.3g} | {c.mise_excess:.3g} | {c.log_gain_optimal:.4g} |")

    # collapse times
    scans = {0.2: collapse_time_scan(0.2, [5, 10, 20, 30, 40, 50], n_paths=16, n_datasets=16, seed=1),
             0.4: collapse_time_scan(0.4, [5, 10, 15, 20, 25], n_paths=16, n_datasets=16, seed=1)}
    print("| alpha | d | n | median collapse time | s.e. | t_M | relative difference |")
    print("|---|---|---|---|---|---|---|")
    for alpha, res in scans.items():
        for r in res:
            print(f"| {alpha} | {r.d} | {r.n} | {r.estimate:.4f} | {r.stderr:.4f} | {r.theory:.4f} | "
                  f"{r.estimate / r.theory - 1:+.1%} |")
    plot_collapse_times(scans).savefig(FIG / "collapse_times.png", dpi=120)


if __name__ == "__main__":
    main()
