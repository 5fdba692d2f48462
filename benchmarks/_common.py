"""Shared helper of the benchmark scripts: save results beside them."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def save_results(name: str, result: dict, markdown: str) -> None:
    """Write ``results/<name>.json`` and ``results/<name>.md`` and print the markdown."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown)


def best_of(fn, repeat=3) -> float:
    """Smallest wall time of ``repeat`` calls of ``fn`` (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def compile_time(imports: str, call: str) -> float:
    """numba compile time: the first ``call`` in a fresh process with an empty cache,
    minus a second (warm) call. ``imports`` sets up the names ``call`` uses."""
    code = (f"import time\n{imports}\nt = time.perf_counter()\n{call}\n"
            f"a = time.perf_counter() - t\nt = time.perf_counter()\n{call}\n"
            f"print(a - (time.perf_counter() - t))")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=tmp)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=Path(__file__).parent).stdout
    return float(out)


def machine() -> dict:
    """The machine a benchmark ran on: cores, BLAS threads, numba threads and the load
    average at the start (a busy machine makes every ratio noisier)."""
    import numba
    import numpy as np
    blas = "default (all cores)"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            blas = f"{var}={os.environ[var]}"
            break
    return {"cpus": os.cpu_count(), "blas_threads": blas,
            "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "load_average_1min": round(os.getloadavg()[0], 2),
            "numpy": np.__version__, "numba": numba.__version__,
            "python": sys.version.split()[0], "date": time.strftime("%Y-%m-%d %H:%M")}


def machine_line(info: dict) -> str:
    """One markdown line describing :func:`machine`'s result."""
    return (f"Machine: {info['cpus']} CPUs, BLAS threads {info['blas_threads']}, numba threads "
            f"{info['numba_threads']}, load average {info['load_average_1min']} at start; "
            f"Python {info['python']}, numpy {info['numpy']}, numba {info['numba']}, "
            f"{info['date']}.")


def float64_peak(n: int = 2000, repeat: int = 5) -> float:
    """Measured float64 peak of this machine in flop/s: the best of ``repeat`` dgemm of
    two n x n matrices (2 n^3 flops) on all BLAS threads, measured in this run."""
    import numpy as np
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    a @ b
    return 2.0 * n ** 3 / best_of(lambda: a @ b, repeat)
