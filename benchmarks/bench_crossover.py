"""Benchmark: the finite-d crossover M*(N, d, K) and C_eff, new quadrature against today's.

Both sides compute the same numbers (Buchanan, Pai, Ma and De Bortoli 2025, eq. 14, with the finite-d constant
C_eff(M) = (1/d) E_lambda int_0^inf S(x)^M dx on the same 48 Gauss-Hermite nodes in
lambda and 12 in the other-component shift), with x0 weighting on the 26-point grid:

* new: ``memlab.theory.gmm.crossover_point`` (inner integral on one fixed Gauss-Legendre
  grid in log x per (d, K, sigma2), log S from a Poisson sum of central chi-squares,
  ``_min_distance_nodes``; integer root search ``_crossover_search``);
* today: the code memlab had before, kept as ``_min_distance_values_reference`` (48 x 2049
  Simpson nodes in sqrt(x), ``scipy.stats.ncx2.sf``) driven exactly as before: for
  N <= 4096 one cached table of C_eff(1..cap), cap a power of two >= max(256, N), and
  the first crossing over every M; above, bisection on the integers
  (``_crossover_reference`` plus the table cache, as in ``today`` below).

"Cold" clears every cache of the side being timed before each call (a new (N, d, K));
"warm" repeats a call. Old and new calls alternate in the same process (after one call
of each at another (N, d, K), so that no first-call costs of the code paths are timed);
times are the best of several calls. Peak memory is tracemalloc's peak over one cold
call. The dgemm peak is measured last.

Run: ``python benchmarks/bench_crossover.py`` (writes ``benchmarks/results/crossover.json``
and ``benchmarks/results/crossover.md``).
"""

from __future__ import annotations

import functools
import time
import tracemalloc

import numpy as np
from _common import best_of, float64_peak, machine, machine_line, save_results

from memlab.theory import gmm
from memlab.theory.schedules import reference_timesteps

SETTINGS = [(200, 50, 12), (10**9, 50, 12)]
CURVE = np.logspace(2, 9, 30).astype(np.int64)


def _ratio(d, sigma2=1.0):
    t = reference_timesteps()
    return float(np.mean(gmm._generalizing_excess(t, d, sigma2)) / (d * sigma2))


@functools.lru_cache(maxsize=64)
def _today_table(d, cap, K):
    sm, sv = gmm._other_component_shift(d, 1.0)
    return gmm._min_distance_values_reference(d, np.arange(1, cap + 1, dtype=float), 1.0 / K,
                                              sm, sv)


def today(N, d, K):
    """crossover_point(N, d, K) as memlab computed it before (x0 weighting, sigma2 = 1)."""
    ratio = _ratio(d)
    if N <= gmm._TABLE_MAX:
        cap = max(256, 1 << (int(N) - 1).bit_length())
        Ms = np.arange(1, N + 1, dtype=np.int64)
        g = _today_table(d, cap, K)[:N] * (1.0 - Ms / N) - ratio
        return gmm.first_crossing(Ms, g, 0.0, above=False)
    return gmm._crossover_reference(N, d, K, 1.0, ratio)


def clear_today():
    gmm._min_distance_nodes_reference.cache_clear()
    _today_table.cache_clear()


def clear_new():
    gmm._min_distance_nodes.cache_clear()
    gmm._min_distance_table_full.cache_clear()


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def peak_memory(fn, clear):
    clear()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def kernel_fraction_of_peak(peak):
    """The BLAS kernel of the node build at (200, 50, 12): F = Q @ T, Q of shape (48, k),
    T of shape (k, n), in column blocks as ``_min_distance_nodes`` does (2 x 48 x k x n
    flops), with k and n those of that build."""
    clear_new()
    sm, sv = gmm._other_component_shift(50, 1.0)
    n = gmm._min_distance_nodes(50, 1.0 / 12, sm, sv)[2].size
    wz, lam = gmm._outer_nodes(50)
    s, _ = gmm._shift_nodes(sm, sv)
    mu_max = 0.5 * (lam[wz >= gmm._WEIGHT_MIN].max() + s.max())
    k = int(np.ceil(mu_max + 10.0 * np.sqrt(mu_max) + 10.0)) + 1
    rng = np.random.default_rng(0)
    Q, T = rng.random((48, k)), rng.random((k, n))
    F = np.empty((48, n))
    step = max(1, min(gmm._BLOCK // k, gmm._GEMM_MAX // (48 * min(k, 2048))))

    def blocked():
        for i in range(0, n, step):
            np.matmul(Q, T[:, i:i + step], out=F[:, i:i + step])

    t = best_of(blocked, 20)
    flops = 2.0 * 48 * k * n
    return {"n_nodes": int(n), "k_terms": k, "block_columns": step, "flops": flops,
            "seconds": t, "fraction_of_peak": flops / t / peak}


def main() -> dict:
    info = machine()
    gmm.crossover_point(300, 20, 3)          # first calls of the code paths (other d, K)
    today(300, 20, 3)
    rows = []
    for N, d, K in SETTINGS:
        t_new, t_old, m_new, m_old = [], [], None, None
        for rep in range(3):                                   # alternate old and new
            clear_today()
            dt, m_old = timed(lambda N=N, d=d, K=K: today(N, d, K))
            t_old.append(dt)
            time.sleep(0.5)          # let the BLAS threads of today's call go idle
            for _ in range(5):
                clear_new()
                dt, m_new = timed(lambda N=N, d=d, K=K: gmm.crossover_point(N, d, K))
                t_new.append(dt)
            if rep == 0 and min(t_old) > 5.0:
                break                                           # today's cold call is slow
        warm_new = best_of(lambda N=N, d=d, K=K: gmm.crossover_point(N, d, K), 10)
        warm_old = best_of(lambda N=N, d=d, K=K: today(N, d, K), 3)
        rows.append({"N": N, "d": d, "K": K, "cold_new_s": min(t_new), "cold_today_s": min(t_old),
                     "cold_speedup": min(t_old) / min(t_new), "warm_new_s": warm_new,
                     "warm_today_s": warm_old, "M_new": m_new, "M_today": m_old,
                     "rel_diff": abs(m_new / m_old - 1.0)})
    # a curve of 30 N in one call against today's loop (both cold at the start)
    clear_new()
    t_curve_new, curve_new = timed(lambda: gmm.crossover_point(CURVE, 50, 12))
    t_curve_new_warm = best_of(lambda: gmm.crossover_point(CURVE, 50, 12), 5)
    clear_today()
    t_curve_old, curve_old = timed(lambda: np.array([today(int(N), 50, 12) for N in CURVE]))
    curve_rel = float(np.max(np.abs(curve_new / curve_old - 1.0)))
    # tolerance of the agreement: 1e-8 plus the rounding of today's C_eff (1.1e-16 M per M)
    curve_tol = float(np.max(1e-8 + 1.1e-16 * (CURVE - curve_old)))
    mem = {}
    for N in (10**4, 10**9):
        mem[str(N)] = {
            "new_bytes": peak_memory(lambda N=N: gmm.crossover_point(N, 50, 12), clear_new),
            "today_bytes": peak_memory(lambda N=N: today(N, 50, 12), clear_today)}
    peak = float64_peak()                     # last: its threaded dgemm would disturb the rest
    kern = kernel_fraction_of_peak(peak)
    result = {"machine": info, "float64_peak_flops": peak, "settings": rows,
              "curve": {"N": CURVE.tolist(), "d": 50, "K": 12, "new_one_call_cold_s": t_curve_new,
                        "new_one_call_warm_s": t_curve_new_warm, "today_loop_cold_s": t_curve_old,
                        "speedup_cold": t_curve_old / t_curve_new, "max_rel_diff": curve_rel,
                        "tolerance": curve_tol},
              "peak_memory": mem, "build_matmul": kern}
    md = ["# Crossover M*(N, d, K) and C_eff: new quadrature against today's", "",
          machine_line(info), "",
          ("Both sides: M* of eq. 14 with the finite-d C_eff (48 x 12 outer nodes), x0 weighting, "
           "26-point grid, sigma2 = 1. Today: 48 x 2049 Simpson nodes with scipy ncx2.sf per "
           "(d, K), a table of every M for N <= 4096, bisection above. New: one Gauss-Legendre "
           "grid in log x per (d, K) with log S from a Poisson sum of central chi-squares, "
           "integer root search. Cold = all caches of that side cleared before the call; old "
           "and new alternate in one process; best of several calls."), "",
          "| (N, d, K) | cold today | cold new | speedup | warm today | warm new | M* new | rel. diff |",
          "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| ({r['N']:.0e}, {r['d']}, {r['K']}) | {r['cold_today_s']:.2f} s | "
                  f"{1e3 * r['cold_new_s']:.1f} ms | {r['cold_speedup']:.0f}x | "
                  f"{1e3 * r['warm_today_s']:.1f} ms | {1e3 * r['warm_new_s']:.2f} ms | "
                  f"{r['M_new']:.6g} | {r['rel_diff']:.1e} |")
    c = result["curve"]
    md += ["", (f"Curve of 30 N = logspace(2, 9) at d = 50, K = 12: one call "
                f"{c['new_one_call_cold_s']:.3f} s "
                f"cold ({c['new_one_call_warm_s']:.3f} s warm) against today's loop of 30 calls "
                f"{c['today_loop_cold_s']:.1f} s ({c['speedup_cold']:.0f}x); largest relative "
                f"difference {c['max_rel_diff']:.1e} (tolerance 1e-8 + 1.1e-16 (N - M*) = "
                f"{c['tolerance']:.1e}, the rounding of today's log sf near 1)."), "",
           "Peak memory (tracemalloc, one cold call, d = 50, K = 12): " + "; ".join(
               f"N = {N}: new {v['new_bytes'] / 2**20:.1f} MiB, today {v['today_bytes'] / 2**20:.1f} MiB"
               for N, v in mem.items()) + ".", "",
           (f"Node-build matrix product F = Q @ T at (200, 50, 12), in blocks of "
            f"{kern['block_columns']} columns: 2 x 48 x {kern['k_terms']} x "
            f"{kern['n_nodes']} = {kern['flops']:.2e} flops in {1e3 * kern['seconds']:.2f} ms, "
            f"{100 * kern['fraction_of_peak']:.0f}% of the dgemm peak measured in this run "
            f"({peak / 1e9:.1f} Gflop/s)."), ""]
    save_results("crossover", result, "\n".join(md))
    return result


if __name__ == "__main__":
    main()
