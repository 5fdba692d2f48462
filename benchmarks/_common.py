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
