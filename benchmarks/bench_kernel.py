"""Benchmark: kernel-scaling kernels against plain numpy, in one run.

1. Monte Carlo of beta_d(R, nu) and gamma_d(R) (d = 64, nu = 1, Gaussian cutoff,
   1e6 samples): the numba reduction against the same reduction in plain
   vectorized numpy, on the same samples (sample generation excluded).
2. Kernel gradient flow (Laplace, d = 16, P = 32, m = 16 samples per point, 121
   times): the eigenbasis solution, exact at every time, against explicit
   Euler time-stepping of f' = -(1/n) G (f - y) in numpy with the largest
   stable step. The baseline is timed on the first 1% of the time range and
   extrapolated.

Run: ``python benchmarks/bench_kernel.py``.
"""

from __future__ import annotations

import os
import time

import numpy as np

from _common import best_of, compile_time, save_results
from memlab.verification import kernel_scaling as vk


def numpy_constants(U, V, nu, scale):
    uv = (U * V).sum(1)
    ru, rv = np.linalg.norm(U, axis=1), np.linalg.norm(V, axis=1)
    Ru, Rv = np.exp(-0.5 * (ru / scale) ** 2), np.exp(-0.5 * (rv / scale) ** 2)
    b = uv * Ru * Rv * np.linalg.norm(U - V, axis=1) ** nu
    g = ru**2 * Ru**2
    return b.sum(), (b * b).sum(), g.sum(), (g * g).sum()



def main():
    rng = np.random.default_rng(0)
    d, n = 64, 1_000_000
    U, V = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    code = vk.CUTOFFS.index("gauss")
    vk._constants_kernel(U[:100], V[:100], 1.0, code, 8.0)          # compile
    t_nb = best_of(lambda: vk._constants_kernel(U, V, 1.0, code, 8.0))
    t_np = best_of(lambda: numpy_constants(U, V, 1.0, 8.0))
    a = vk._constants_kernel(U, V, 1.0, code, 8.0).sum(0)
    b = np.array(numpy_constants(U, V, 1.0, 8.0))
    mc_diff = float(np.max(np.abs(a - b) / np.abs(b)))

    # gradient flow
    t0 = time.perf_counter()
    r = vk.kernel_gradient_flow("laplace", 32, 0.01, 16, ell=10.0, m=16, seed=0)
    t_gf = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 16))
    z = rng.standard_normal((32, 16, 16))
    X, Y = (x[:, None] + 0.01 * z).reshape(-1, 16), (-z / 0.01).reshape(-1, 16)
    G = vk._gram("laplace", X, X, 16, 10.0)
    nn = X.shape[0]
    dt = 1.9 * nn / np.linalg.eigvalsh(G)[-1]                          # Euler stability limit
    t_end = r.times[-1] * 0.01
    steps = int(np.ceil(t_end / dt))
    f = np.zeros_like(Y)
    t0 = time.perf_counter()
    for _ in range(steps):
        f -= (dt / nn) * (G @ (f - Y))
    t_euler_1pct = time.perf_counter() - t0
    t_euler = t_euler_1pct * 100

    t_compile = compile_time("import numpy as np; from memlab.verification import kernel_scaling as vk; "
                             "r = np.random.default_rng(0)",
                             "vk._constants_kernel(r.standard_normal((4, 3)), "
                             "r.standard_normal((4, 3)), 1.0, 0, 8.0)")
    result = {"mc": {"d": d, "n_samples": n, "numba_s": t_nb, "numpy_s": t_np,
                     "speedup": t_np / t_nb, "max_rel_diff": mc_diff,
                     "numba_compile_s": t_compile},
              "gradient_flow": {"eigenbasis_s_121_times": t_gf, "euler_steps_1pct": steps,
                                "euler_s_1pct": t_euler_1pct, "euler_s_extrapolated": t_euler,
                                "speedup": t_euler / t_gf},
              "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    md = f"""# Kernel scaling: numba Monte Carlo and exact gradient flow against plain numpy

{os.cpu_count()} CPUs; {result['date']}.

| measurement | value |
|---|---|
| MC of beta_d, gamma_d (d = {d}, {n:.0e} samples), numba reduction | {t_nb * 1e3:.0f} ms |
| same reduction in vectorized numpy, same samples | {t_np * 1e3:.0f} ms |
| **speed-up** | **{t_np / t_nb:.1f}x** (max relative difference of the sums {mc_diff:.1e}) |
| numba compile of the reduction (fresh cache) | {t_compile:.2f} s |
| kernel gradient flow, eigenbasis, 121 times (n = {nn} samples) | {t_gf:.2f} s |
| explicit Euler in numpy, first 1% of the time range ({steps} steps) | {t_euler_1pct:.2f} s |
| Euler, whole range (extrapolated) | {t_euler:.0f} s |
| **speed-up** | **{t_euler / t_gf:.0f}x** |

Reproduce: `python benchmarks/bench_kernel.py`.
"""
    save_results("kernel", result, md)
    return result


if __name__ == "__main__":
    main()
