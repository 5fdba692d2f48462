"""t_R of Sec. 2.3 of the onset paper against t_S and t_M (docs/mixing.md).

The paper: "On the onset of memorization to generalization transition in diffusion
models" (anonymous, under review), Sec. 2.3, eqs. 12-14. For the empirical measure of n
points drawn from N(0, I_16) and from 1/2 N(+-3 e_1, I_16), t_R (the time after which
Sigma_t is positive definite) against the sample speciation time t_S = (1/2) log Lambda and
the mixing time t_M of eq. 9, 8 datasets per n, seed 500 (both forms of Sigma_t); and
t_R of data of mean 10 (seed 501).

Run: ``python docs/scripts/onset_regime.py`` (about 3 min on 2 busy cores). Writes
docs/results/onset/regime_times.png and prints the table quoted in the docs.
"""

from pathlib import Path

import numpy as np

from memlab.verification.mixing import plot_regime_times, regime_time_scan

OUT = Path(__file__).resolve().parents[1] / "results" / "onset"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    ns = [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
    scans = []
    for sep in (0.0, 6.0):
        for form in ("exact", "paper"):
            s = regime_time_scan(ns, 16, separation=sep, n_datasets=8, form=form, seed=500)
            if form == "exact":
                scans.append(s)
            print(f"separation {sep:g}, {form} form: population t_R = {s.t_R_population:.4f}, "
                  f"t_S = {s.t_S_population:.4f}")
            print("| n | t_R | s.e. | t_S (sample) | t_M |")
            print("|---|---|---|---|---|")
            for n, m, e, ts, tm in zip(s.n, s.t_R_mean, s.t_R_stderr, s.t_S, s.t_M):
                print(f"| {n} | {m:.3f} | {e:.3f} | {ts:.3f} | {tm:.3f} |", flush=True)
    plot_regime_times(scans).savefig(OUT / "regime_times.png", dpi=120)
    # data of mean 10 (the linear model's mu): the expansion is around the origin
    from memlab.theory.mixing import gaussian_regime_time

    rng = np.random.default_rng(501)
    for n in (8, 256, 4096):
        t = [gaussian_regime_time(10.0 + rng.standard_normal((n, 16))).t_R for _ in range(8)]
        print(f"mu = 10, n = {n}: t_R = {np.mean(t):.3f} +- {np.std(t, ddof=1):.3f} "
              f"(8 datasets, range {min(t):.3f}-{max(t):.3f})", flush=True)


if __name__ == "__main__":
    main()
