"""Shared helper of the benchmark scripts: save results beside them."""

import json
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
