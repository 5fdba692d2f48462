"""The options the onset paper leaves open, and P(Delta > 0) as n approaches N_O.

The paper: "On the onset of memorization to generalization transition in diffusion
models" (anonymous, under review), Sec. 3.2 and Fig. 3. Quoted in docs/linear_diffusion.md.

* ``python docs/scripts/onset_options.py sensitivity D``: the transition n_1/2 of
  P(Delta > 0) (with its bootstrap interval and the sizes where P passes 0.25 and 0.75) for
  the KDE width rules (sigma m^(-1/d), eq. 10's eps^2 = 2 t_M, fixed widths), the minimum-norm
  and ridge denoisers and the exact or smoothed rho_G. N_O = 1e4, 400 training sets per n,
  seed 300 + d; 20 sizes from 4 to 16 d; about 15 min for D = 16 on 2 busy cores.
* ``python docs/scripts/onset_options.py large_n``: P(Delta > 0) at n = N_O / 4 ... 2 N_O
  for N_O = 500 and 2000 (d = 16), (a) with one training set per original dataset, which
  estimates the expectation over original datasets with a binomial-like interval, and
  (b) with 16 original sets x 40 training sets, which shows the per-set spread. Seeds 400,
  401; about 10 min.
"""

import sys

import numpy as np

from memlab.theory.linear_diffusion import onset_alignment, p_delta_curve

CONFIGS = [
    ("sigma m^(-1/d) (Fig. 3), min-norm, exact rho_G", {}),
    ("eps^2 = 2 t_M (eq. 10)", {"kde_width": "mixing"}),
    ("fixed width 0.5", {"kde_width": 0.5}),
    ("fixed width 1.0", {"kde_width": 1.0}),
    ("ridge 1e-3", {"ridge": 1e-3}),
    ("ridge 1e-2", {"ridge": 1e-2}),
    ("rho_G smoothed by eps_O", {"generated_width": "original"}),
    ("rho_G smoothed by 0.1", {"generated_width": 0.1}),
]


def sensitivity(d):
    ns = np.unique(np.round(np.geomspace(4, 16 * d, 20)).astype(int))
    print(f"d = {d}, N_O = 1e4, 400 training sets per n, n = {ns.tolist()}")
    print("| d | option | n_1/2 [95% CI] | n_1/2 / d | P = 0.25 - 0.75 |")
    print("|---|---|---|---|---|")
    for label, kw in CONFIGS:
        a = onset_alignment(d, ns, trials=400, seed=300 + d, n_boot=200, **kw)
        print(f"| {d} | {label} | {a.n_half:.1f} [{a.n_half_ci[0]:.1f}, {a.n_half_ci[1]:.1f}] | "
              f"{a.n_half / d:.2f} | {a.n_quarter:.1f} - {a.n_three_quarters:.1f} |", flush=True)
        print("    P:", np.round(a.p_delta, 3).tolist(), flush=True)


def large_n():
    d = 16
    for N_O, sets in ((500, 400), (2000, 200)):
        ns = [N_O // 4, N_O // 2, N_O, 2 * N_O]
        a = p_delta_curve(ns, d, n_original=N_O, trials=sets, n_original_sets=sets, seed=400)
        b = p_delta_curve([N_O], d, n_original=N_O, trials=640, n_original_sets=16, seed=401)
        for n, p, lo, hi in zip(a.n, a.probability, a.ci_low, a.ci_high):
            print(f"| {N_O} | {n} | {n / N_O:g} | {p:.3f} [{lo:.3f}, {hi:.3f}] | {sets} x 1 |")
        sp = b.set_probabilities[:, 0]
        print(f"| {N_O} | {N_O} | 1 | {b.probability[0]:.3f} [{b.ci_low[0]:.3f}, {b.ci_high[0]:.3f}] "
              f"| 16 x 40: per-set s.d. {sp.std(ddof=1):.2f}, range {sp.min():.2f}-{sp.max():.2f} |",
              flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "sensitivity":
        sensitivity(int(sys.argv[2]))
    else:
        large_n()
