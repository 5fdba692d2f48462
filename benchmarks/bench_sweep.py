"""Benchmark: a sweep on 2 Dask workers against the same sweep on 1 worker, and the
scheduler's overhead per task.

Both sides run ``memlab.verification.sweep.run_sweep`` on the same grid of the
``gmm_crossover`` experiment (simulated crossover of Buchanan et al. (2025) at N = 100, 200,
d = 30, 50, K = 6, 12; 10 noise draws x 8 datasets, the paper-scale setting of the showcase; seeds 0 and 1; 16 tasks) into fresh stores, each on its
own embedded LocalCluster of single-threaded workers; the time excludes the cluster's
start-up and the workers' first import of memlab and load of its numba kernels (measured
apart, together). The datasets of the
two runs are checked equal. The overhead per task is the time of 200 no-op tasks through a
running 1-worker cluster minus the same tasks run serially, divided by 200.

Run: ``python benchmarks/bench_sweep.py`` (about a minute on 2 quiet cores; writes
``benchmarks/results/sweep.json`` and ``.md``).
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np
from _common import machine, machine_line, save_results

from memlab.verification import sweep as sw

GRID = {"N": [100, 200], "d": [30, 50], "K": [6, 12], "seed": [0, 1]}
FIXED = {"n_noise": 10, "n_datasets": 8}


@sw.register_experiment("bench_noop", {"i": (int, sw.REQUIRED)}, {"y": ()})
def _noop(i):
    return {"y": float(i)}


def _warm():
    """Import memlab and load the numba kernels on a worker (what its first task would pay)."""
    from memlab.verification.gmm import simulated_crossover_point
    simulated_crossover_point(20, 5, 2, n_noise=1, n_datasets=2, seed=0)


def _run(n_workers, sweep, store):
    from distributed import Client, LocalCluster

    env = dict(sw.THREAD_ENV)
    t0 = time.perf_counter()
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, env=env) as cluster, Client(cluster) as client:
        client.run(_warm)
        start = time.perf_counter() - t0
        t1 = time.perf_counter()
        st = sw.run_sweep(sweep, store, scheduler=cluster.scheduler_address, progress=False)
        wall = time.perf_counter() - t1
    assert st.done == len(sweep.tasks()), st
    return start, wall


def main():
    import cloudpickle
    import sys

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    info = machine()
    sweep = sw.Sweep("gmm_crossover", GRID, FIXED)
    n_tasks = len(sweep.tasks())
    with tempfile.TemporaryDirectory() as tmp:
        s1, w1 = _run(1, sweep, os.path.join(tmp, "one"))
        s2, w2 = _run(2, sweep, os.path.join(tmp, "two"))
        a = sw.sweep_dataset(sweep, os.path.join(tmp, "one")).drop_vars("task_wall_s")
        b = sw.sweep_dataset(sweep, os.path.join(tmp, "two")).drop_vars("task_wall_s")
        same = all(np.array_equal(a[v].values, b[v].values, equal_nan=True) for v in a.data_vars)
        task_s = float(np.nanmean(sw.sweep_dataset(sweep, os.path.join(tmp, "one"))
                                  ["task_wall_s"].values))
        noop = sw.Sweep("bench_noop", {"i": list(range(200))})
        t0 = time.perf_counter()
        sw.run_sweep(noop, os.path.join(tmp, "serial"), scheduler="serial", progress=False)
        serial = time.perf_counter() - t0
        _, dask_noop = _run(1, noop, os.path.join(tmp, "noop"))
    overhead = (dask_noop - serial) / 200
    result = {"machine": info, "experiment": "gmm_crossover", "grid": GRID, "fixed": FIXED,
              "tasks": n_tasks, "one_worker_s": w1, "two_workers_s": w2,
              "speedup_2_over_1": w1 / w2, "cluster_start_1_s": s1, "cluster_start_2_s": s2,
              "mean_task_s": task_s, "datasets_equal": bool(same),
              "noop_tasks": 200, "noop_serial_s": serial, "noop_dask_s": dask_noop,
              "overhead_per_task_s": overhead}
    md = f"""# Sweep engine: 2 Dask workers against 1, and the overhead per task

Sweep: `gmm_crossover` over N = {GRID['N']}, d = {GRID['d']}, K = {GRID['K']}, seed = {GRID['seed']} ({n_tasks} tasks,
{FIXED['n_noise']} draws x {FIXED['n_datasets']} datasets each), fresh store per run, embedded
LocalCluster of single-threaded worker processes.
{machine_line(info)}

| measurement | value |
|---|---|
| 1 worker, whole sweep (cluster start excluded) | {w1:.2f} s |
| 2 workers, same sweep | {w2:.2f} s |
| **speed-up, 2 workers over 1** | **{w1 / w2:.2f}x** |
| mean wall time of one task (on its worker) | {task_s:.2f} s |
| cluster start-up and worker warm-up (import, numba load), 1 / 2 workers | {s1:.1f} s / {s2:.1f} s |
| datasets of the two runs equal | {same} |
| 200 no-op tasks: serial / through a 1-worker cluster | {serial:.3f} s / {dask_noop:.2f} s |
| **scheduler overhead per task** | **{overhead * 1e3:.1f} ms** |
"""
    save_results("sweep", result, md)


if __name__ == "__main__":
    main()
