"""Benchmark: the numba collapse-time kernel of verification/mixing.py against plain numpy.

Setting: the mixing-time check of the onset paper at d = 30, n = 403 (alpha = log(n)/d = 0.2),
256 OU paths, 400 grid times (the defaults of ``collapse_times``).

* memlab: ``memlab.verification.mixing._collapse_kernel``: per path, exact OU steps
  and the posterior weight of the starting point by a running log-sum-exp
  over the n training points, stopping at the first crossing of 1/2;
  parallel over paths.
* baseline: the same computation vectorized in numpy over paths: at every
  time step the logits (paths x n) of the paths that have not crossed yet by a
  matrix product, ``logsumexp``, the crossing recorded, and the crossed paths
  dropped; it stops when every path has crossed. So both sides stop each path
  at its crossing and do the same steps. A second baseline row, the same numpy
  code without dropping crossed paths (every path runs all the steps), shows what
  the early stop itself is worth.

Both run on the same data and noise, on the same 2 cores (numba threads over
paths; the numpy matrix products on the BLAS threads), and must give the same
collapse times.

Run: ``python benchmarks/bench_mixing.py``.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.special import logsumexp

from _common import best_of, compile_time, machine, machine_line, save_results
from memlab.verification import mixing as vm

D, N_POINTS, PATHS, STEPS = 30, 403, 256, 400


def numpy_collapse(data, times, xi, early_stop=True):
    """Collapse times of the paths ``xi`` by vectorized numpy; ``early_stop`` drops each
    path after its crossing (the kernel's work) instead of running every step."""
    n = data.shape[0]
    start = np.arange(xi.shape[0]) % n
    x = data[start].copy()
    sq = (data**2).sum(1)
    out = np.full(xi.shape[0], np.nan)
    w_prev = np.ones(xi.shape[0])
    active = np.arange(xi.shape[0])
    for s in range(xi.shape[1]):
        h = times[s + 1] - times[s]
        x = np.exp(-h) * x + np.sqrt(-np.expm1(-2 * h)) * xi[active, s]
        t = times[s + 1]
        a = np.exp(-t)
        logits = (2 * a * x @ data.T - a * a * sq) / (2 * -np.expm1(-2 * t))
        w = np.exp(logits[np.arange(len(active)), start[active]] - logsumexp(logits, axis=1))
        hit = np.isnan(out[active]) & (w < 0.5)
        idx = active[hit]
        out[idx] = times[s] + h * (w_prev[idx] - 0.5) / (w_prev[idx] - w[hit])
        w_prev[active] = w
        if early_stop:
            keep = ~hit
            active, x = active[keep], x[keep]
            if active.size == 0:
                break
    return out


def main():
    info = machine()
    rng = np.random.default_rng(0)
    data = rng.standard_normal((N_POINTS, D))
    times = np.linspace(0.0, 3.0, STEPS + 1)
    xi = rng.standard_normal((PATHS, STEPS, D))
    vm._collapse_kernel(data, times, xi[:2])                         # warm (cache)
    t_nb = best_of(lambda: vm._collapse_kernel(data, times, xi), repeat=5)
    numpy_collapse(data, times, xi[:2])                              # warm
    t_np = best_of(lambda: numpy_collapse(data, times, xi), repeat=3)
    t_np_all = best_of(lambda: numpy_collapse(data, times, xi, early_stop=False), repeat=2)
    a, b = vm._collapse_kernel(data, times, xi), numpy_collapse(data, times, xi)
    c = numpy_collapse(data, times, xi, early_stop=False)
    diff = float(max(np.nanmax(np.abs(a - b)), np.nanmax(np.abs(a - c))))
    same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b))
                    and np.array_equal(np.isnan(a), np.isnan(c)))
    steps_used = int(np.searchsorted(times, np.nanmax(a)))          # steps until the last crossing
    t_compile = compile_time("import numpy as np; from memlab.verification import mixing as vm; "
                             "r = np.random.default_rng(0)",
                             "vm._collapse_kernel(r.standard_normal((5, 3)), "
                             "np.linspace(0, 1, 3), r.standard_normal((2, 2, 3)))")
    result = {"setting": {"d": D, "n": N_POINTS, "paths": PATHS, "steps": STEPS},
              "numba_s": t_nb, "numpy_s": t_np, "speedup": t_np / t_nb,
              "numpy_no_early_stop_s": t_np_all, "early_stop_worth": t_np_all / t_np,
              "steps_until_last_crossing": steps_used, "machine": info,
              "numba_compile_s": t_compile, "max_abs_diff": diff, "same_nan": same_nan,
              "date": time.strftime("%Y-%m-%d")}
    md = f"""# Collapse times: numba kernel against vectorized numpy

d = {D}, n = {N_POINTS}, {PATHS} paths, {STEPS} OU steps (the last path crosses at step
{steps_used}). Both sides stop each path at its crossing. {machine_line(info)}

| implementation | time |
|---|---|
| numba `_collapse_kernel` (parallel over paths, early stop) | {t_nb * 1e3:.1f} ms |
| numpy, vectorized over the paths not yet crossed (matrix product + logsumexp per step, early stop) | {t_np * 1e3:.0f} ms |
| **speed-up (same work)** | **{t_np / t_nb:.1f}x** |
| numpy without the early stop (every path runs all {STEPS} steps) | {t_np_all * 1e3:.0f} ms ({t_np_all / t_np:.1f}x the early-stopping numpy) |
| numba compile (fresh cache) | {t_compile:.2f} s |

Largest difference of the collapse times: {diff:.1e} (same paths without a crossing: {same_nan}).

Reproduce: `python benchmarks/bench_mixing.py`.
"""
    save_results("mixing", result, md)
    return result


if __name__ == "__main__":
    main()
