"""Benchmark: the all-M GMM loss kernel against the reference kernel (the kernel when the
performance issue was filed) and the plain numpy per-M baseline.

All three compute, on the same noisy points y = alpha_t x^i + sigma_t z (fixed noise,
one dataset of the Buchanan, Pai, Ma, De Bortoli (2025) Gaussian-mixture laboratory,
(N, d, K) = (200, 50, 12), 10 draws per training point, the 26-point reference grid),
the squared errors of x_*, x_mem and of every partial memorizer x_pmem,M, M = 1..N:

* new: ``memlab.verification.gmm._accumulate`` (numba; squared distances once per
  dataset, included in the timing; per training point one single-threaded BLAS
  product of its draws with [X; means]^T for every logit; only the terms that can be
  kept are updated, their logits recomputed from the differences x^j - x^i where the
  product's rounding could matter; blocks of 4 draws sharing memory loads when every
  term is kept; x_* by its Gram expansion; fixed chunks of training points);
* reference: ``memlab.verification.gmm._accumulate_reference`` (numba, the kernel
  before this rewrite: every logit a d-dimensional distance, fixed chunks of points);
* baseline: ``memlab.verification.gmm.baseline_point_losses`` (vectorized numpy, the
  denoisers of ``memlab.theory.gmm`` evaluated once per M), run once.

The new and reference kernels return the same per-chunk sums (excess of x_* and its
square, mem loss, per-M excess, its square, squared gap); their largest relative
difference is reported. New and reference are timed alternately in the same process
(best of several calls of the whole grid, compilation excluded: the machine is shared,
so only same-run ratios mean something). ``simulate_loss_curves`` (kernel plus noise
generation) is timed against the same loop over the reference kernel. The work of the
new kernel (flops, exps) is counted by replaying its branch decisions, and
reported as a fraction of the dgemm peak measured in the same run. A scaling table
gives the time against N at d = 50, K = 12 with a fitted exponent.

Run: ``python benchmarks/bench_gmm.py`` (writes ``benchmarks/results/gmm.json`` and
``benchmarks/results/gmm.md``).
"""

from __future__ import annotations

import time

import numba
import numpy as np
from _common import (
    best_of,
    compile_time,
    float64_peak,
    machine,
    machine_line,
    save_results,
)

from memlab.theory.gmm import sample_gmm
from memlab.theory.schedules import alpha, reference_timesteps, sigma
from memlab.verification import gmm as vg

N, D, K, N_NOISE = 200, 50, 12, 10
SKIP = 40.0


@numba.njit(cache=False)
def _count_work(X, K, a, s, Zn):
    """Flops (a multiply-add counts 2) and exps of one call of the new kernel and of the
    reference kernel, replaying the new kernel's decisions (the pass of each draw, its
    candidate terms, its kept terms) with the kernel's own constants."""
    n_noise, N, d = Zn.shape
    inv = a / s
    h = 0.5 * inv * inv
    fl_new = 2.0 * n_noise * N * (N + K) * d                    # the products
    ex_new = 0.0
    fl_ref = 0.0
    ex_ref = 0.0
    Dr = np.empty(N)
    w = np.empty(N)
    xmax = 0.0
    for j in range(N):
        xmax = max(xmax, np.sqrt(np.sum(X[j] ** 2)))
    for i in range(N):
        for j in range(N):
            Dr[j] = np.sum((X[j] - X[i]) ** 2)
        sdmax = np.sqrt(Dr.max())
        n_blk = 0
        for r in range(n_noise):
            z = Zn[r, i]
            zn = np.sqrt(np.sum(z ** 2))
            for j in range(N):
                w[j] = inv * np.sum(z * (X[j] - X[i])) - h * Dr[j]
            # kept terms of the prefix rule (same in both kernels)
            m = w[0]
            kept = 1
            for j in range(1, N):
                if w[j] - m > -SKIP:
                    kept += 1
                    m = max(m, w[j])
            fl_ref += 4.0 * N * d + 5.0 * d * kept + 4.0 * N        # logits, updates, scan
            ex_ref += kept - 1 + K
            fl_ref += 6.0 * K * d + 4.0 * d + 4.0 * K + 7.0 * N     # x_*, accumulation
            # new kernel: candidates from the logits of the products (exact ones here:
            # they differ by less than the margin), then the pass of the draw
            marg = 2.0 * inv * zn * (2.0 * xmax + sdmax) * (d + 2) * 2.0 ** -53
            pmax = w[0]
            n_c = 0
            for j in range(1, N):
                if w[j] > pmax - SKIP - 2.0 * marg - 1e-12 * abs(pmax):
                    n_c += 1
                pmax = max(pmax, w[j])
            span = w.max() - w.min()
            fl_new += 2.0 * d + 9.0 * N                              # |z|^2, logits, scan
            fl_new += 2.0 * K * K + 12.0 * K + 7.0 * N               # x_*, accumulation
            ex_new += K
            if marg < vg._APPROX and span < vg._WIDE - 2.0 * marg and vg._DENSE * n_c >= N:
                n_blk += 1
                fl_new += 4.0 * N * d + 3.0 * N                      # block update, scale
                ex_new += N
            else:
                fl_new += 6.0 * d + (3.0 * d if marg >= vg._APPROX else d) * n_c
                fl_new += 4.0 * d * (kept - 1) + 6.0 * kept
                ex_new += kept - 1
        fl_new += N * d * -(-n_blk // 4)                            # shared differences
    return fl_new, ex_new, fl_ref, ex_ref


def _compile_time() -> float:
    """First call in a fresh process with an empty numba cache, minus a warm call."""
    return compile_time("from memlab.verification.gmm import simulate_loss_curves as s",
                        "s(20, 5, 2, n_noise=1, timesteps=[0.5], seed=0)")


def _max_rel(ref, new) -> float:
    worst = 0.0
    for a, b in zip(ref, new):
        a, b = a.sum(0), b.sum(0)
        diff = np.abs(a - b)
        worst = max(worst, float(np.max(np.where(diff == 0, 0.0, diff / np.maximum(np.abs(a), 1e-300)))))
    return worst


def _grid_fns(n, grid, seed=0):
    data = sample_gmm(n, D, K, seed=seed)
    X, mu = np.ascontiguousarray(data.x), np.ascontiguousarray(data.means)
    rng = np.random.default_rng(seed + 1)
    noise = [rng.standard_normal((N_NOISE, n, D)) for _ in grid]

    def new():                                 # the dataset's distances once, then each time
        terms = vg._dataset_terms(X, mu)
        return [vg._accumulate(X, mu, 1.0, alpha(t), sigma(t), Z, terms)
                for t, Z in zip(grid, noise)]

    ref = lambda: [vg._accumulate_reference(X, mu, 1.0, alpha(t), sigma(t), Z)
                   for t, Z in zip(grid, noise)]
    return data, X, mu, noise, new, ref


def _alternate(f_ref, f_new, rounds=3, repeat=3):
    """Best-of times of two functions measured alternately (ref, new, ref, new, ...)."""
    t_ref, t_new = np.inf, np.inf
    for _ in range(rounds):
        t_ref = min(t_ref, best_of(f_ref, repeat))
        t_new = min(t_new, best_of(f_new, repeat))
    return t_ref, t_new


def main() -> dict:
    info = machine()
    grid = reference_timesteps()
    data, X, mu, noise, new, ref = _grid_fns(N, grid)
    new()
    ref()                                      # compiled (compile time measured apart)
    t_ref, t_new = _alternate(ref, new)
    max_rel = max(_max_rel(r, n) for r, n in zip(ref(), new()))

    # the public function, against the same loop over the reference kernel
    def public_ref():
        rng = np.random.default_rng(2)
        dd = sample_gmm(N, D, K, seed=rng)
        xx = np.ascontiguousarray(dd.x)
        for t in grid:
            vg._accumulate_reference(xx, dd.means, 1.0, alpha(t), sigma(t),
                                     rng.standard_normal((N_NOISE, N, D)))

    t_pub_ref, t_pub = _alternate(public_ref, lambda: vg.simulate_loss_curves(
        N, D, K, n_noise=N_NOISE, seed=2), rounds=2, repeat=2)

    # per-time split (new vs reference), and work counts
    per_t = []
    fl_new = ex_new = fl_ref = ex_ref = 0.0
    terms = vg._dataset_terms(X, mu)
    for t, Z in zip(grid, noise):
        a, s = alpha(t), sigma(t)
        tr, tn = _alternate(lambda a=a, s=s, Z=Z: vg._accumulate_reference(X, mu, 1.0, a, s, Z),
                            lambda a=a, s=s, Z=Z: vg._accumulate(X, mu, 1.0, a, s, Z, terms),
                            rounds=2, repeat=3)
        c = _count_work(X, K, a, s, Z)
        fl_new, ex_new, fl_ref, ex_ref = fl_new + c[0], ex_new + c[1], fl_ref + c[2], ex_ref + c[3]
        per_t.append({"t": float(t), "reference_ms": tr * 1e3, "new_ms": tn * 1e3,
                      "new_gflop": c[0] / 1e9, "reference_gflop": c[2] / 1e9})

    t0 = time.perf_counter()
    base = [vg.baseline_point_losses(data, t, Z) for t, Z in zip(grid, noise)]
    t_base = time.perf_counter() - t0
    n = N * N_NOISE
    base_diff = 0.0
    for (gen, pm, _, _), (_, ref_pm) in zip(new(), base):
        curve = pm.sum(0) / n + gen.sum(0)[2] / n
        base_diff = max(base_diff, float(np.max(np.abs(curve - ref_pm))))

    # scaling in N (d = 50, K = 12, 10 draws, 26 times)
    scaling = []
    for n_ in (50, 100, 200, 400, 800):
        _, _, _, _, new_n, ref_n = _grid_fns(n_, grid, seed=5)
        new_n()
        ref_n()
        tr, tn = _alternate(ref_n, new_n, rounds=2, repeat=1 if n_ >= 400 else 2)
        scaling.append({"N": n_, "reference_s": tr, "new_s": tn})
    Ns = np.array([r["N"] for r in scaling], float)
    exp_new = float(np.polyfit(np.log(Ns), np.log([r["new_s"] for r in scaling]), 1)[0])
    exp_ref = float(np.polyfit(np.log(Ns), np.log([r["reference_s"] for r in scaling]), 1)[0])

    peak = float64_peak()
    result = {
        "setting": {"N": N, "d": D, "K": K, "n_noise": N_NOISE, "M": f"1..{N}",
                    "timesteps": "26-point reference grid"},
        "machine": info,
        "new_kernel_s": t_new,
        "reference_kernel_s": t_ref,
        "speedup_vs_reference": t_ref / t_new,
        "simulate_loss_curves_s": t_pub,
        "same_loop_with_reference_kernel_s": t_pub_ref,
        "speedup_public": t_pub_ref / t_pub,
        "baseline_numpy_per_M_s": t_base,
        "speedup_vs_numpy_per_M": t_base / t_new,
        "max_rel_diff_new_vs_reference": max_rel,
        "max_abs_diff_curves_new_vs_numpy": base_diff,
        "new_gflop_per_call": fl_new / 1e9, "new_mexp_per_call": ex_new / 1e6,
        "reference_gflop_per_call": fl_ref / 1e9, "reference_mexp_per_call": ex_ref / 1e6,
        "float64_peak_gflops": peak / 1e9,
        "new_fraction_of_peak": fl_new / t_new / peak,
        "reference_fraction_of_peak": fl_ref / t_ref / peak,
        "per_time": per_t,
        "scaling_in_N": scaling, "fitted_exponent_new": exp_new, "fitted_exponent_reference": exp_ref,
        "numba_compile_s": _compile_time(),
    }
    rows = "\n".join(f"| {r['t']:.3f} | {r['reference_ms']:.1f} | {r['new_ms']:.1f} | "
                     f"{r['reference_ms'] / r['new_ms']:.2f} | {r['reference_gflop']:.3f} | "
                     f"{r['new_gflop']:.3f} |" for r in per_t)
    srows = "\n".join(f"| {r['N']} | {r['reference_s'] * 1e3:.0f} | {r['new_s'] * 1e3:.0f} | "
                      f"{r['reference_s'] / r['new_s']:.2f} |" for r in scaling)
    md = f"""# GMM loss simulation: all-M kernel vs the reference kernel vs numpy per-M

Setting (N, d, K) = ({N}, {D}, {K}), {N_NOISE} noise draws per point, every M = 1..{N},
26-point reference grid, one dataset, the same noise for every side.
{machine_line(info)}

New and reference kernel timed alternately in the same process (best of 3 x 3 calls of
the whole grid, compilation excluded); on a shared machine only these same-run ratios
are meaningful.

| measurement | value |
|---|---|
| reference kernel (at the issue's filing), 26 times | {t_ref * 1e3:.0f} ms |
| new kernel, same points | {t_new * 1e3:.0f} ms |
| **speed-up, kernel** | **{t_ref / t_new:.2f}x** |
| `simulate_loss_curves` (new kernel + noise generation) | {t_pub * 1e3:.0f} ms |
| same loop with the reference kernel | {t_pub_ref * 1e3:.0f} ms |
| **speed-up, public function** | **{t_pub_ref / t_pub:.2f}x** |
| numpy per-M baseline, same points (run once) | {t_base:.1f} s ({t_base / t_new:.0f}x the new kernel) |
| largest relative difference new vs reference, every output | {max_rel:.1e} |
| largest absolute difference of the M-curves, new vs numpy | {base_diff:.1e} |
| work of the new kernel per call (multiply-add = 2 flops) | {fl_new / 1e9:.2f} GFLOP + {ex_new / 1e6:.2f} M exp |
| work of the reference kernel per call | {fl_ref / 1e9:.2f} GFLOP + {ex_ref / 1e6:.2f} M exp |
| float64 peak (dgemm, this run) | {peak / 1e9:.0f} GFLOP/s |
| fraction of peak: new / reference | {fl_new / t_new / peak:.1%} / {fl_ref / t_ref / peak:.1%} |
| numba compile time (fresh cache) | {result['numba_compile_s']:.1f} s |

Per time (ms, alternately, best of 2 x 3):

| t | reference | new | ratio | reference GFLOP | new GFLOP |
|---|---|---|---|---|---|
{rows}

Scaling in N (d = {D}, K = {K}, {N_NOISE} draws, 26 times; best of alternate calls):

| N | reference (ms) | new (ms) | ratio |
|---|---|---|---|
{srows}

Fitted exponent of time in N: new {exp_new:.2f}, reference {exp_ref:.2f}.

Reproduce: `python benchmarks/bench_gmm.py`.
"""
    save_results("gmm", result, md)
    return result


if __name__ == "__main__":
    main()
