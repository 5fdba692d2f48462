"""Agreement of distance_curve's E_TG and E_OG with grid integration (d = 1, 2) and with
Monte Carlo (d = 16): the numbers quoted in docs/linear_diffusion.md.

The paper: "On the onset of memorization to generalization transition in diffusion
models" (anonymous, under review), eqs. 19-21. Run: ``python docs/scripts/onset_checks.py``
(about 1 min). Seeds: training sets 7, Monte Carlo 11 + n.
"""

import numpy as np

from memlab.theory.linear_diffusion import distance_curve, sample_training_set
from memlab.verification.linear_diffusion import grid_distances, monte_carlo_distances


def main():
    worst = 0.0
    for d, n, n_orig, n_grid in [(1, 5, 20, 20001), (1, 30, 20, 20001), (2, 6, 60, 801),
                                 (2, 40, 60, 801)]:
        orig = 10 + np.random.default_rng(d * n).standard_normal((n_orig, d))
        c = distance_curve([n], d, trials=3, original=orig, seed=n)
        Y, X = sample_training_set(n, d, trials=3, seed=np.random.default_rng(n))
        for b in range(3):
            g = grid_distances(Y[b], X[b], orig, n_grid=n_grid)
            for val, ref in ((c.log_E_TG[0, b], g.E_TG), (c.log_E_OG[0, b], g.E_OG)):
                worst = max(worst, abs(np.exp(val) / ref - 1))
    print(f"grid (d = 1, 2; 12 training sets, 24 distances): largest relative difference {worst:.2e}")
    d = 16
    print("| n | options | E_TG: closed form, MC +- s.e., z | E_OG: closed form, MC +- s.e., z |")
    print("|---|---|---|---|")
    for n, kw in [(40, {}), (10, {"generated_width": "original"}),
                  (24, {"kde_width": "mixing", "ridge": 1e-2}),
                  (12, {"kde_width": 0.7, "ridge": 1e-3, "generated_width": 0.2})]:
        orig = 10 + np.random.default_rng(n).standard_normal((800, d))
        c = distance_curve([n], d, trials=1, original=orig, seed=7, **kw)
        Y, X = sample_training_set(n, d, trials=1, seed=np.random.default_rng(7))
        mc = monte_carlo_distances(Y[0], X[0], orig, n_samples=200_000, seed=11 + n, **kw)
        cells = []
        for val, est, se in ((c.log_E_TG[0, 0], mc.E_TG, mc.E_TG_stderr),
                             (c.log_E_OG[0, 0], mc.E_OG, mc.E_OG_stderr)):
            e = np.exp(val)
            cells.append(f"{e:.5g}, {est:.5g} +- {se:.2g}, {(est - e) / se:+.2f}")
        print(f"| {n} | {kw or 'defaults'} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
