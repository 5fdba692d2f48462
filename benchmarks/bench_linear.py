"""Benchmark: the P(Delta > 0) curve of seed 003 against a straightforward implementation.

Setting (issue 4): d = 16, 10 values of n (8..64), 1000 trials each, N_O = 1e4.

* memlab: ``memlab.theory.linear_diffusion.p_delta_curve``. int rho_O^2 (the O(N_O^2)
  part) is computed once for the whole curve; trials are vectorized in chunks,
  quadratic forms use the eigenbasis of the generated covariance, everything
  in log space.
* baseline: a per-trial implementation that recomputes everything, written
  here with vectorized standard tools. It fits with ``lstsq``, sums the pair
  overlaps with ``scipy.spatial.distance.cdist``, evaluates the overlaps with
  rho_G by ``scipy.stats.multivariate_normal.logpdf`` on dense covariances,
  and recomputes int rho_O^2 every trial. It is too slow for the full curve,
  so it is timed on a few trials and compared per trial. It also checks that
  both give the same sign of Delta on the same trials.

Run: ``python benchmarks/bench_linear.py`` (writes ``benchmarks/results/linear.json``
and ``.md``).
"""

from __future__ import annotations

import os
import time

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

from _common import save_results
from memlab.theory import linear_diffusion as ld

D, N_ORIG, TRIALS = 16, 10_000, 1000
N_VALUES = [8, 12, 16, 20, 24, 28, 32, 40, 48, 64]
T, LAM, MU, SIGMA = 2.0, float(np.exp(-4.0)), 10.0, 1.0


def baseline_delta(Y, X, original):
    """Delta for one training set, recomputing everything with plain tools."""
    n, d = Y.shape
    A = np.column_stack([np.ones(n), X])
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]          # min-norm when rank-deficient
    theta0, theta1 = coef[0], coef[1:].T
    mu_X = np.exp(-T) * Y.mean(0)
    sX2 = np.exp(-2 * T) * ((Y - Y.mean(0)) ** 2).sum() / (n * d) + LAM * (1 - np.exp(-2 * T))
    mG, SG = theta0 + theta1 @ mu_X, sX2 * theta1 @ theta1.T

    def self_overlap(P, eps2):
        # (1/m^2) sum_ij N(P_i | P_j, 2 eps2 I), pair distances with cdist in row blocks
        logs = [special.logsumexp(-distance.cdist(P[i:i + 1000], P, "sqeuclidean") / (4 * eps2))
                for i in range(0, len(P), 1000)]
        return (special.logsumexp(logs) - 2 * np.log(len(P))
                - 0.5 * d * np.log(2 * np.pi * 2 * eps2))

    def cross(P, eps2):
        lp = stats.multivariate_normal(mean=mG, cov=SG + eps2 * np.eye(d)).logpdf(P)
        return special.logsumexp(lp) - np.log(len(P))

    e_n, e_O = SIGMA**2 * n ** (-2 / d), SIGMA**2 * len(original) ** (-2 / d)
    terms = [self_overlap(Y, e_n), np.log(2) + cross(Y, e_n),
             self_overlap(original, e_O), np.log(2) + cross(original, e_O)]
    val, sign = special.logsumexp(terms, b=[1, -1, -1, 1], return_sign=True)
    return sign


def main():
    # memlab, full curve
    t0 = time.perf_counter()
    curve = ld.p_delta_curve(N_VALUES, D, n_original=N_ORIG, trials=TRIALS, seed=0)
    t_fast = time.perf_counter() - t0
    per_trial_fast = t_fast / (TRIALS * len(N_VALUES))

    # baseline on a few trials, same data as memlab's delta_statistic
    rng = np.random.default_rng(1)
    original = MU + SIGMA * rng.standard_normal((N_ORIG, D))
    Y, X = ld.sample_training_set(32, D, trials=4, seed=rng)
    t0 = time.perf_counter()
    signs_base = [baseline_delta(Y[b], X[b], original) for b in range(4)]
    per_trial_base = (time.perf_counter() - t0) / 4
    signs_fast, _ = ld.delta_statistic(Y, X, original)
    agree = bool(np.all(np.array(signs_base) == signs_fast))

    result = {
        "setting": {"d": D, "n_values": N_VALUES, "trials": TRIALS, "n_original": N_ORIG},
        "memlab_curve_s": t_fast,
        "memlab_per_trial_s": per_trial_fast,
        "baseline_per_trial_s": per_trial_base,
        "speedup_per_trial": per_trial_base / per_trial_fast,
        "baseline_extrapolated_curve_s": per_trial_base * TRIALS * len(N_VALUES),
        "signs_agree_on_check_trials": agree,
        "curve": {"n": N_VALUES, "p": curve.probability.tolist(), "transition": curve.transition},
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d"),
    }
    md = f"""# P(Delta > 0) curve: memlab against a straightforward per-trial implementation

d = {D}, n in {N_VALUES}, {TRIALS} trials per n, N_O = {N_ORIG}; {os.cpu_count()} CPUs; {result['date']}.

| measurement | value |
|---|---|
| memlab `p_delta_curve`, whole curve ({TRIALS * len(N_VALUES)} trials) | {t_fast:.1f} s |
| memlab, per trial | {per_trial_fast * 1e3:.2f} ms |
| straightforward implementation, per trial (cdist + dense logpdf, recomputes int rho_O^2) | {per_trial_base:.2f} s |
| **speed-up per trial** | **{per_trial_base / per_trial_fast:.0f}x** |
| straightforward, whole curve (extrapolated) | {per_trial_base * TRIALS * len(N_VALUES) / 60:.0f} min |
| sign of Delta identical on the check trials | {agree} |

P(Delta > 0): {', '.join(f'n={n}: {p:.3f}' for n, p in zip(N_VALUES, curve.probability))};
transition n = {curve.transition:.1f}.

Reproduce: `python benchmarks/bench_linear.py`.
"""
    save_results("linear", result, md)
    return result


if __name__ == "__main__":
    main()
