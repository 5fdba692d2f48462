"""Run every benchmark of memlab and write one table to ``benchmarks/results.md``.

Each ``bench_*.py`` times a kernel of the package against a baseline doing the same
work, in the same run and on the same data, checks that both give the same numbers,
and saves its own ``results/<name>.json`` and ``.md`` (with the machine it ran on: cores,
BLAS and numba threads, load average at the start). This entry point runs them all
(or the names given on the command line) and collects three tables: the ratios, the
fraction of the float64 peak of the hot kernels (with their flop counts), and the
scaling exponents.

Run: ``python benchmarks/run_all.py [crossover gmm rhm linear kernel mixing sweep]``
(about 20 minutes on 2 quiet cores for all of them; ``bench_linear`` and ``bench_kernel``
take most of it). Compare ratios only within one run: the machine is shared.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from _common import RESULTS, machine, machine_line  # noqa: E402

NAMES = ("crossover", "gmm", "rhm", "linear", "kernel", "mixing", "sweep")


def _s(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _x(ratio):
    return "-" if ratio is None else f"{ratio:,.1f}x"


def ratio_rows(r):
    """(what, baseline, ratio, memlab time, compile time) for each saved result."""
    rows = []
    if "crossover" in r:
        c = r["crossover"]
        for st in c["settings"]:
            rows.append((f"crossover_point, new (N, d, K) = ({st['N']:,}, {st['d']}, "
                         f"{st['K']}), cold cache", "previous adaptive 48 x 2049 quadrature",
                         st["cold_speedup"], st["cold_new_s"], None))
        rows.append((f"crossover_point over {len(c['curve']['N'])} values of N in one call, cold",
                     "previous code, one call per N", c["curve"]["speedup_cold"],
                     c["curve"]["new_one_call_cold_s"], None))
    if "gmm" in r:
        g = r["gmm"]
        rows.append(("GMM all-M training losses, (200, 50, 12), 26 times x 10 draws (numba)",
                     "reference numba kernel (every logit a distance), same process", g["speedup_vs_reference"],
                     g["new_kernel_s"], g["numba_compile_s"]))
        rows.append(("same, public simulate_loss_curves", "numpy, one M at a time",
                     g["speedup_vs_numpy_per_M"], g["simulate_loss_curves_s"], None))
    if "rhm" in r:
        b = r["rhm"]
        for th in ("kernel_1_thread", "kernel_2_threads"):
            rows.append((f"RHM belief propagation (16, 4, 2, 5), 1024 strings, numba, "
                         f"{th.split('_', 1)[1].replace('_', ' ')}",
                         "numpy reference memlab.theory.rhm (1 thread)",
                         b["speedup_vs_reference"][th], b["seconds_per_batch"][th],
                         b["kernel_compile_s"] if th == "kernel_2_threads" else None))
        if "kernel_2_threads_out" in b["seconds_per_batch"]:
            rows.append(("same, 2 threads, outputs of an earlier call reused (out=)",
                         "numpy reference memlab.theory.rhm (1 thread)",
                         b["speedup_vs_reference"]["kernel_2_threads_out"],
                         b["seconds_per_batch"]["kernel_2_threads_out"], None))
        rows.append(("numpy reference BP, same setting", "dense rule tensor + einsum per node",
                     b["speedup"], b["seconds_per_batch"]["reference"], None))
    if "linear" in r:
        li = r["linear"]
        for row in li["one_trial_n100"]:
            if row.get("dense_trial_s"):
                rows.append((f"linear model, one trial, n = 100, d = {row['d']}: fit from the "
                             "n x n Gram matrix (H^2 = 1 by rank)",
                             "previous dense d x d fit and H^2", row["dense_trial_s"] /
                             row["new_fit_s"], row["new_fit_s"], None))
        for row in li["delta_one_trial"]:
            rows.append((f"Delta statistic, one trial, n = {row['n']}, d = {row['d']}, "
                         f"N_O = {row['n_original']} (low rank), {row['new_peak_mb']:.0f} MB",
                         "previous dense code" if "dense_s" in row else "(dense: too long)",
                         row["dense_s"] / row["new_s"] if "dense_s" in row else None,
                         row["new_s"], None))
        pt = li["delta_per_trial"]
        rows.append(("P(Delta > 0) per trial, d = 16, n = 32, N_O = 1e4, batched",
                     "per-trial scipy; int rho_O^2 once on both sides",
                     pt["ratio_per_trial"]["batched"], pt["per_trial_s"]["memlab_batched_64"],
                     None))
        pv = li.get("previous_kernels")
        if pv:
            for key, what in (("self_overlap_s", "int rho_O^2, N_O = 1e4, d = 16 (upper "
                               "triangle, unshifted)"),
                              ("cross_overlap_s", "int rho_O rho_G, 12 trials, N_O = 1e4, d = 16 "
                               "(quadratic features)"),
                              ("report_curve_s", "the report's P(Delta > 0) curve, 10 n x 200 "
                               "trials")):
                rows.append((what, "previous kernels, same inputs",
                             pv[key]["previous"] / pv[key]["new"], pv[key]["new"], None))
    if "kernel" in r:
        k = r["kernel"]
        rows.append(("Monte Carlo of beta_d, gamma_d, d = 64, 1e6 samples (numba)",
                     "vectorized numpy, same samples", k["mc"]["speedup"], k["mc"]["numba_s"],
                     k["mc"]["numba_compile_s"]))
        if "public_speedup" in k["mc"]:
            rows.append(("monte_carlo_constants, d = 64, 1e6 samples, drawing included (3 "
                         "rotation invariants per pair)",
                         "previous: 2d normals per pair, same kernel", k["mc"]["public_speedup"],
                         k["mc"]["public_radial_s"], None))
        f = k["gradient_flow"]
        rows.append((f"kernel gradient flow, eigenbasis, n = {f['n']}, {f['times']} times",
                     f"explicit Euler over the whole range ({f['euler_steps']:,} steps)",
                     f["speedup"], f["eigenbasis_s_121_times"], None))
    if "mixing" in r:
        m = r["mixing"]
        rows.append(("collapse times of 256 OU paths, d = 30, n = 403 (numba, early stop)",
                     "numpy over paths, early stop too", m["speedup"], m["numba_s"],
                     m["numba_compile_s"]))
    if "sweep" in r:
        s = r["sweep"]
        rows.append((f"sweep of {s['tasks']} gmm_crossover tasks on 2 Dask workers "
                     f"(scheduler overhead {s['overhead_per_task_s'] * 1e3:.1f} ms per task)",
                     "the same sweep on 1 worker", s["speedup_2_over_1"], s["two_workers_s"],
                     None))
    return rows


def peak_rows(r):
    rows = []
    if "gmm" in r:
        g = r["gmm"]
        rows.append(("GMM all-M kernel", f"{g['new_gflop_per_call']:.2f} GFLOP + "
                     f"{g['new_mexp_per_call']:.2f} M exp per call", g["new_kernel_s"],
                     g["float64_peak_gflops"] * 1e9, g["new_fraction_of_peak"]))
        rows.append(("reference GMM kernel", f"{g['reference_gflop_per_call']:.2f} GFLOP + "
                     f"{g['reference_mexp_per_call']:.2f} M exp per call",
                     g["reference_kernel_s"], g["float64_peak_gflops"] * 1e9,
                     g["reference_fraction_of_peak"]))
    if "rhm" in r:
        b = r["rhm"]
        for th in ("kernel_1_thread", "kernel_2_threads"):
            rows.append((f"BP kernel, {th.split('_', 1)[1].replace('_', ' ')}",
                         f"{b['flops_per_string']:,} flop + {b['logs_per_string']} log per "
                         f"string, 1024 strings", b["seconds_per_batch"][th],
                         b["float64_peak_flops"], b["fraction_of_peak"][th]))
    if "kernel" in r:
        k = r["kernel"]["mc"]
        rows.append(("Monte Carlo constants kernel", f"{k['flops'] / 1e6:.0f} Mflop (8 d per "
                     "sample)", k["numba_s"], r["kernel"]["float64_peak_flops"],
                     k["fraction_of_peak"]))
    if "crossover" in r:
        c = r["crossover"]["build_matmul"]
        rows.append(("crossover_point node build (matrix product)", f"{c['flops'] / 1e6:.1f} Mflop",
                     c["seconds"], r["crossover"]["float64_peak_flops"], c["fraction_of_peak"]))
    return rows


def scaling_rows(r):
    rows = []
    if "gmm" in r:
        g = r["gmm"]
        Ns = [row["N"] for row in g["scaling_in_N"]]
        rows.append(("GMM all-M kernel", f"N = {Ns[0]}..{Ns[-1]}, d = 50, K = 12",
                     f"{g['fitted_exponent_new']:.2f} (reference kernel "
                     f"{g['fitted_exponent_reference']:.2f})"))
    if "rhm" in r:
        e = r["rhm"]["time_exponents"]
        rows.append(("BP kernel, time vs batch", "batch 64..4096, (16, 4, 2, 5)",
                     f"{e['kernel']['batch']:.2f} (numpy reference {e['reference']['batch']:.2f})"))
        rows.append(("BP kernel, time vs d = s^L", "L = 3..6, batch 1024",
                     f"{e['kernel']['d']:.2f} (numpy reference {e['reference']['d']:.2f})"))
    if "linear" in r:
        sc = r["linear"]["scaling"]
        rows.append(("linear model fit, time vs d", "n = 100, d = 1e3..", f"{sc['fit_vs_d_exponent']:.2f}"))
        rows.append(("linear model fit, time vs n", "d = 5000", f"{sc['fit_vs_n_exponent']:.2f}"))
        rows.append(("expected_hellinger, time vs d at n = 2d", "d = 100..",
                     f"{sc['hellinger_n_2d_exponent']:.2f}"))
    if "kernel" in r:
        k = r["kernel"]
        fl, ra = k["scaling_flow"]["fits"], k["scaling_rayleigh"]["fits"]
        Pf = [row["P"] for row in k["scaling_flow"]["rows"]]
        Pr = [row["P"] for row in k["scaling_rayleigh"]["rows"]]
        rows.append(("kernel gradient flow, time vs P", f"P = {Pf[0]}..{Pf[-1]}, m = 16",
                     f"{fl['blocked_s']['exponent']:.2f}"))
        rows.append(("kernel gradient flow, traced memory vs P", f"P = {Pf[0]}..{Pf[-1]}",
                     f"{fl['blocked_traced_peak_MB']['exponent']:.2f} (previous "
                     f"{fl['dense_traced_peak_MB']['exponent']:.2f})"))
        rows.append(("rayleigh_quotient, time vs P", f"P = {Pr[0]}..{Pr[-1]}",
                     f"{ra['blocked_s']['exponent']:.2f}"))
        rows.append(("rayleigh_quotient, traced memory vs P", f"P = {Pr[0]}..{Pr[-1]}",
                     f"{ra['blocked_traced_peak_MB']['exponent']:.2f} (previous "
                     f"{ra['dense_traced_peak_MB']['exponent']:.2f})"))
    return rows


def write_table(results, info):
    lines = ["# memlab benchmarks", "",
             "Every kernel timed against a baseline doing the same work, in the same run, on "
             "the same data, with its results checked equal (tolerances in "
             "`results/<name>.md`). Steady state is the best of several calls after a warm-up; "
             "numba compile time is the first call in a fresh process with an empty cache "
             "minus a warm call. Each row comes from the last run of its benchmark; the "
             "machine and load of that run are in `results/<name>.md`. When this table was "
             f"written: {machine_line(info)}", "",
             "| kernel | baseline (same work) | ratio | memlab time | compile time |",
             "|---|---|---|---|---|"]
    for what, base, ratio, t, comp in ratio_rows(results):
        lines.append(f"| {what} | {base} | {_x(ratio)} | {_s(t)} | {_s(comp)} |")
    lines += ["", "## Fraction of the float64 peak", "",
              "Peak: the best dgemm of two 2000 x 2000 matrices on all cores, measured in each "
              "benchmark's own run.", "",
              "| kernel | work (flops counted in the benchmark) | time | peak | fraction |",
              "|---|---|---|---|---|"]
    for what, work, t, peak, frac in peak_rows(results):
        lines.append(f"| {what} | {work} | {_s(t)} | {peak / 1e9:.1f} GFLOP/s | {frac:.1%} |")
    lines += ["", "## Scaling", "", "Least-squares slope of log time (or memory) against log size.",
              "", "| quantity | range | fitted exponent |", "|---|---|---|"]
    for what, rng, exp in scaling_rows(results):
        lines.append(f"| {what} | {rng} | {exp} |")
    lines += ["", "Reproduce: `python benchmarks/run_all.py`; details in `results/<name>.md`.", ""]
    text = "\n".join(lines)
    (HERE / "results.md").write_text(text)
    return text


def main(names=NAMES):
    import importlib

    info = machine()
    for name in names:
        print(f"--- bench_{name}.py", flush=True)
        t0 = time.perf_counter()
        importlib.import_module(f"bench_{name}").main()
        print(f"--- bench_{name}.py done in {time.perf_counter() - t0:.0f} s", flush=True)
    results = {n: json.loads((RESULTS / f"{n}.json").read_text()) for n in NAMES
               if (RESULTS / f"{n}.json").exists()}
    text = write_table(results, info)
    print(text)
    return results


if __name__ == "__main__":
    unknown = sorted(set(sys.argv[1:]) - set(NAMES))
    if unknown:
        sys.exit(f"run_all.py: unknown benchmarks {unknown}; choose from {list(NAMES)}")
    main(tuple(sys.argv[1:]) or NAMES)
