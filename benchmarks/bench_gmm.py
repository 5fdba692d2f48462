"""Benchmark: all-M numba loss simulation against the plain numpy per-M baseline.

Both compute, for every M = 1..N, the mean squared error of the partially
memorizing denoiser (and of x_* and x_mem) over the same noisy points
y = alpha_t x^i + sigma_t z, on the full 26-point grid, in seed 001's setting
(N, d, K) = (200, 50, 12) with 10 noise draws per point:

* kernel: ``memlab.verification.gmm`` (numba, prefix log-sum-exp: all M in one pass per
  noisy point, softmax terms below e^-40 of the running maximum skipped,
  parallel over fixed chunks on 2 cores);
* baseline: ``memlab.verification.gmm.baseline_point_losses`` (vectorized numpy, the
  denoisers of ``memlab.theory.gmm`` evaluated once per M).

Same work, same noise, same run. Targets (issue 2): the full curve in under 1 s
after compilation and at least 100x faster than the baseline. numba compile
time is measured apart, in a fresh process with an empty cache.

Run: ``python benchmarks/bench_gmm.py`` (writes ``benchmarks/results/gmm.json``
and ``benchmarks/results/gmm.md``).
"""

from __future__ import annotations

import os
import platform
import time

import numba
import numpy as np

from _common import best_of, compile_time, save_results
from memlab.theory.gmm import sample_gmm
from memlab.theory.schedules import alpha, reference_timesteps, sigma
from memlab.verification import gmm as vg

N, D, K, N_NOISE = 200, 50, 12, 10



def _compile_time() -> float:
    """First call in a fresh process with an empty numba cache, minus a warm call."""
    return compile_time("from memlab.verification.gmm import simulate_loss_curves as s",
                        "s(20, 5, 2, n_noise=1, timesteps=[0.5], seed=0)")


def main() -> dict:
    grid = reference_timesteps()
    data = sample_gmm(N, D, K, seed=0)
    X = np.ascontiguousarray(data.x)
    rng = np.random.default_rng(1)
    noise = [rng.standard_normal((N_NOISE, N, D)) for _ in grid]

    # warm up (compilation is measured separately)
    vg._accumulate(X, data.means, 1.0, alpha(grid[0]), sigma(grid[0]), noise[0][:1])

    def kernel():
        return [vg._accumulate(X, data.means, 1.0, alpha(t), sigma(t), Zn)
                for t, Zn in zip(grid, noise)]

    def baseline():
        return [vg.baseline_point_losses(data, t, Zn) for t, Zn in zip(grid, noise)]

    t_kernel = best_of(kernel, 5)
    t0 = time.perf_counter()
    ref = baseline()
    t_base = time.perf_counter() - t0

    # same results on the same noise
    n = N * N_NOISE
    max_diff = 0.0
    for (gen, pm, _, _), (ref_gen, ref_pm) in zip(kernel(), ref):
        curve = pm.sum(0) / n + gen.sum(0)[2] / n
        max_diff = max(max_diff, float(np.max(np.abs(curve - ref_pm))))
    t_full = best_of(lambda: vg.simulate_loss_curves(N, D, K, n_noise=N_NOISE, seed=2), 3)
    result = {
        "setting": {"N": N, "d": D, "K": K, "n_noise": N_NOISE, "M": f"1..{N}",
                    "timesteps": "26-point reference grid"},
        "kernel_s": t_kernel,
        "baseline_s": t_base,
        "speedup_vs_numpy_per_M": t_base / t_kernel,
        "simulate_loss_curves_s": t_full,
        "numba_compile_s": _compile_time(),
        "max_abs_diff_kernel_vs_baseline": max_diff,
        "machine": {"cpus": os.cpu_count(), "numba_threads": numba.get_num_threads(),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "numba": numba.__version__},
        "date": time.strftime("%Y-%m-%d"),
    }
    md = f"""# GMM loss simulation: all-M numba kernel vs numpy per-M baseline

Setting (N, d, K) = ({N}, {D}, {K}), {N_NOISE} noise draws per point, every M = 1..{N};
machine: {os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}; {result['date']}.

| measurement | value |
|---|---|
| numba kernel, full curve M = 1..{N}, 26 times (best of 5) | {t_kernel * 1e3:.0f} ms |
| numpy per-M baseline, same points and noise | {t_base:.1f} s |
| **speed-up** | **{t_base / t_kernel:.0f}x** |
| `simulate_loss_curves` (kernel + noise generation), best of 3 | {t_full * 1e3:.0f} ms |
| numba compile time (fresh cache) | {result['numba_compile_s']:.1f} s |
| max abs difference of the M-curves, kernel vs baseline | {max_diff:.1e} |

Reproduce: `python benchmarks/bench_gmm.py`.
"""
    save_results("gmm", result, md)
    return result


if __name__ == "__main__":
    main()
