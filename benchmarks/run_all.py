"""Run every benchmark of memlab and write one table to ``benchmarks/results.md``.

Each ``bench_*.py`` times a kernel of the package against a plain baseline in
the same run and saves its own ``results/<name>.json`` and ``.md``; this entry
point runs them all and collects the ratio, the steady-state time and the numba
compile time (reported apart; "-" for numpy code, which needs none).

Run: ``python benchmarks/run_all.py`` (about 3 minutes on 2 cores).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import bench_gmm  # noqa: E402
import bench_kernel  # noqa: E402
import bench_linear  # noqa: E402
import bench_mixing  # noqa: E402
import bench_rhm  # noqa: E402


def _fmt_s(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def rows_from(results):
    g, m, li, k, r = (results[n] for n in ("gmm", "mixing", "linear", "kernel", "rhm"))
    return [
        ("GMM training losses for all M = 1..N at once (numba, seed 001)",
         "numpy, one M at a time", g["speedup_vs_numpy_per_M"], g["kernel_s"],
         g["numba_compile_s"]),
        ("collapse times of OU paths (numba, seed 003)", "numpy vectorized over paths",
         m["speedup"], m["numba_s"], m["numba_compile_s"]),
        ("P(Delta > 0), per trial (numpy, seed 003)", "per-trial scipy (cdist, dense logpdf)",
         li["speedup_per_trial"], li["memlab_per_trial_s"], None),
        ("Monte Carlo of beta_d, gamma_d, 1e6 samples (numba, seed 000 App. G)",
         "vectorized numpy", k["mc"]["speedup"], k["mc"]["numba_s"], k["mc"]["numba_compile_s"]),
        ("kernel gradient flow, eigenbasis, 121 times (numpy)", "explicit Euler (extrapolated)",
         k["gradient_flow"]["speedup"], k["gradient_flow"]["eigenbasis_s_121_times"], None),
        ("RHM belief propagation, 1024 strings (numpy, seed 000 sec. 4)",
         "dense rule tensor + einsum per node", r["speedup"], r["memlab_s"], None),
    ]


def main():
    results = {}
    for name, mod in (("gmm", bench_gmm), ("mixing", bench_mixing), ("linear", bench_linear),
                      ("kernel", bench_kernel), ("rhm", bench_rhm)):
        print(f"--- bench_{name}.py", flush=True)
        t0 = time.perf_counter()
        results[name] = mod.main()
        print(f"--- bench_{name}.py done in {time.perf_counter() - t0:.0f} s", flush=True)
    lines = ["# memlab benchmarks", "",
             f"All kernels timed against a plain baseline in the same run; {os.cpu_count()} CPUs, "
             f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. Steady state is "
             "the best of several calls after compilation; numba compile time is the first call "
             "with an empty cache minus a warm call. Details in `results/<name>.md`.", "",
             "| kernel | baseline | ratio | steady-state time | compile time |",
             "|---|---|---|---|---|"]
    for kernel, base, ratio, steady, comp in rows_from(results):
        lines.append(f"| {kernel} | {base} | {ratio:,.1f}x | {_fmt_s(steady)} | {_fmt_s(comp)} |")
    lines += ["", "Reproduce: `python benchmarks/run_all.py`.", ""]
    text = "\n".join(lines)
    (HERE / "results.md").write_text(text)
    print(text)
    return results


if __name__ == "__main__":
    main()
