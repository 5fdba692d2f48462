"""Benchmark: belief propagation on the Random Hierarchy Model against a dense baseline.

Setting (issue 5, DESIGN sec. 7): v = 16, m = 4, s = 2, L = 5 (d = 32), a batch
of 1024 strings under uniform noise 1 - abar = 0.5, float64, full upward and
downward pass with the marginals of every node and the log-likelihood.

* memlab: ``memlab.theory.rhm.belief_propagation``: gathered rule products
  (O(v m s) per node), leave-one-out products without division, grouped
  scatter-add through a padded index table, vectorised over all nodes of a
  level and over blocks of 64 strings.
* baseline: ``memlab.verification.rhm.dense_belief_propagation``: the same messages
  with the dense rule tensor T[a, c1, c2] (v^3 entries) and ``numpy.einsum``
  node by node (dense leave-one-out), vectorised over the batch only.

Both are timed in this run (best of several calls, after one warm-up call)
and their marginals are compared.

Run: ``python benchmarks/bench_rhm.py`` (writes ``benchmarks/results/rhm.json`` and ``.md``).
"""

from __future__ import annotations

import os
import time

import numpy as np

from _common import best_of, save_results
from memlab.theory import rhm
from memlab.verification.rhm import dense_belief_propagation

V, M, S, L, BATCH, NOISE = 16, 4, 2, 5, 1024, 0.5
TARGET = 36_000


def main():
    g = rhm.sample_grammar(V, M, S, L, seed=0)
    rng = np.random.default_rng(1)
    x = rhm.add_noise(rhm.generate(g, BATCH, seed=rng), 1 - NOISE, V, seed=rng)
    lik = rhm.leaf_likelihood(x, 1 - NOISE, V)

    fast = rhm.belief_propagation(g, lik)                     # warm-up
    t_fast = best_of(lambda: rhm.belief_propagation(g, lik), repeat=10)
    base = dense_belief_propagation(g, lik)
    t_base = best_of(lambda: dense_belief_propagation(g, lik), repeat=3)
    err = max(np.abs(fast.leaves - base[0]).max(),
              max(np.abs(fast.levels[l] - base[1][l]).max() for l in range(L)))
    rate_fast, rate_base = BATCH / t_fast, BATCH / t_base

    result = {
        "setting": {"v": V, "m": M, "s": S, "L": L, "d": g.d, "batch": BATCH,
                    "noise": NOISE, "dtype": "float64"},
        "memlab_s": t_fast, "memlab_strings_per_s": rate_fast,
        "baseline_s": t_base, "baseline_strings_per_s": rate_base,
        "speedup": t_base / t_fast,
        "target_strings_per_s": TARGET, "meets_target": bool(rate_fast >= TARGET),
        "max_abs_difference_of_marginals": float(err),
        "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
    }
    md = f"""# Belief propagation on the RHM: memlab against a dense baseline

v = {V}, m = {M}, s = {S}, L = {L} (d = {g.d}), batch {BATCH}, uniform noise 1 - abar = {NOISE},
float64, upward + downward pass with all marginals; {os.cpu_count()} CPUs; {result['date']}.

| implementation | time per batch | strings / s |
|---|---|---|
| memlab `belief_propagation` (O(v m s) per node, blocks of 64 strings) | {t_fast * 1e3:.1f} ms | {rate_fast:,.0f} |
| dense rule tensor + einsum per node (baseline) | {t_base * 1e3:.0f} ms | {rate_base:,.0f} |
| **speed-up** | | **{t_base / t_fast:.1f}x** |

Target (DESIGN sec. 7): at least {TARGET:,} strings/s: {'met' if rate_fast >= TARGET else 'NOT met'}.
Largest difference between the two implementations' marginals: {err:.1e}.

Reproduce: `python benchmarks/bench_rhm.py`.
"""
    save_results("rhm", result, md)
    return result


if __name__ == "__main__":
    main()
