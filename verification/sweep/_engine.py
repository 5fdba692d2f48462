"""Running a sweep's missing tasks on Dask: an embedded LocalCluster, an existing cluster, or
this process (``scheduler="serial"``)."""

from __future__ import annotations

import os
import re
import resource
import socket
import time
import traceback
from pathlib import Path

from memlab._validation import check_bool, check_positive_int
from memlab.verification.sweep._registry import get_experiment
from memlab.verification.sweep._spec import Sweep
from memlab.verification.sweep._store import Store, SweepStatus

__all__ = ["run_sweep", "sweep_status", "THREAD_ENV"]

_ADDRESS = re.compile(r"^[a-z]+://([^\s:/\[\]]+|\[[0-9a-fA-F:]+\])(:\d+)?$|^[^\s:/]+:\d+$")

# One thread per worker process for every threading layer a task may use, set before the
# worker imports numpy / numba / torch (no oversubscription of the cores).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}
"""Environment of the embedded cluster's workers: one BLAS / OpenMP / numba thread each (the
counts become ``threads_per_worker``). Set the same variables on the workers of an existing
cluster."""


def _manifest(task, wall):
    """The training results' manifest (settings, versions, git revision, date), plus where
    and how long the task ran."""
    from memlab.verification.training._common import manifest

    return dict(manifest(task.settings), host=socket.gethostname(), pid=os.getpid(),
                wall_s=round(wall, 4),
                # peak resident memory of the worker process so far (Linux reports KiB)
                worker_peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                          / 1024.0, 1))


def _encode_outputs(outputs, exp):
    import numpy as np

    from memlab._results import _encode

    if not isinstance(outputs, dict) or set(outputs) != set(exp.outputs):
        raise ValueError(f"experiment {exp.name!r} must return a dict with the outputs "
                         f"{sorted(exp.outputs)}, got {outputs!r:.200}")
    out = {}
    for name, value in outputs.items():
        arr = np.asarray(value, dtype=float)
        if arr.ndim != len(exp.outputs[name]):
            raise ValueError(f"output {name!r} of {exp.name!r} must have "
                             f"{len(exp.outputs[name])} dimensions, got shape {arr.shape}")
        out[name] = _encode(arr)
    return out


def run_task(task, experiment, store_root) -> str:
    """Run one task unless its result is stored; store the result or the traceback.

    Runs on a worker. ``experiment`` is the Experiment, or None for a built-in one (looked
    up by name on the worker). Returns ``"cached"``, ``"done"`` or ``"failed"``; it raises
    only if the store cannot be written (a lost worker is rescheduled by Dask).
    """
    store = Store(store_root)
    if store.load(task) is not None:
        return "cached"
    exp = get_experiment(task.experiment) if experiment is None else experiment
    store.mark_running(task)
    start = time.perf_counter()
    try:
        encoded = _encode_outputs(exp.func(**task.settings), exp)
    except Exception:                            # noqa: BLE001 - stored, reported per task
        store.save_failure(task, traceback.format_exc(),
                           _manifest(task, time.perf_counter() - start))
        return "failed"
    store.save(task, encoded, _manifest(task, time.perf_counter() - start))
    return "done"


def _client(scheduler, scheduler_file, n_workers, threads_per_worker):
    from distributed import Client, LocalCluster

    if scheduler_file is not None:
        return Client(scheduler_file=str(scheduler_file)), None
    if scheduler is not None:
        return Client(scheduler), None
    env = {k: str(threads_per_worker) for k in THREAD_ENV}
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, env=env)
    return Client(cluster), cluster


def _default_workers():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                       # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_sweep(sweep: Sweep, store: str | Path = "memlab-sweeps", *,
              scheduler: str | None = None, scheduler_file: str | Path | None = None, n_workers: int | None = None, threads_per_worker: int = 1,
              progress: bool = True) -> SweepStatus:
    """Run the tasks of ``sweep`` that the store does not hold yet, in parallel on Dask.

    Every task writes its own result to the store when it finishes (atomically), so an
    interrupted sweep resumes where it stopped, a changed setting is a new task (its key
    changes), and a worker killed mid-task loses only that task, which Dask reruns on
    another worker.

    Parameters
    ----------
    sweep : Sweep
        The experiment and its grid.
    store : str or Path
        Result directory (created if needed; a shared file system for a cluster).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``), or ``"serial"`` to run
        the tasks one after another in this process (no Dask). Default: an embedded
        ``LocalCluster`` of ``n_workers`` processes, closed at the end.
    scheduler_file : str or Path, optional
        Scheduler file of a running cluster (``dask scheduler --scheduler-file``, or the
        file dask-jobqueue / dask-mpi write).
    n_workers : int, optional
        Worker processes of the embedded cluster (default: one per CPU of this machine).
    threads_per_worker : int
        BLAS / OpenMP / numba threads of each embedded worker (default 1: no
        oversubscription; each worker runs one task at a time).
    progress : bool
        Show a progress bar over tasks (on stderr).

    Returns
    -------
    SweepStatus
        The counts after the run (done, failed, ...).

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or value (naming them).

    Examples
    --------
    >>> import tempfile
    >>> sweep = Sweep("collapse_time", {"d": [4, 8]}, {"n": 20, "n_paths": 8, "n_datasets": 2})
    >>> status = run_sweep(sweep, tempfile.mkdtemp(), scheduler="serial", progress=False)
    >>> (status.done, status.missing)
    (2, 0)
    """
    from memlab._validation import check_instance, check_path

    sweep = check_instance("sweep", sweep, Sweep)
    store = Store(check_path("store", store))
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be an address string or 'serial', got "
                        f"{type(scheduler).__name__}")
    if scheduler is not None and scheduler != "serial" and not _ADDRESS.match(scheduler):
        raise ValueError(f"scheduler must be 'serial' or a Dask scheduler address such as "
                         f"'tcp://host:8786', got {scheduler!r}")
    if scheduler is not None and scheduler_file is not None:
        raise ValueError("give scheduler or scheduler_file, not both")
    if scheduler_file is not None:
        scheduler_file = check_path("scheduler_file", scheduler_file)
        if not Path(scheduler_file).is_file():
            raise ValueError(f"scheduler_file {str(scheduler_file)!r} does not exist (start the "
                             "scheduler first: dask scheduler --scheduler-file FILE)")
    n_workers = _default_workers() if n_workers is None else check_positive_int(
        "n_workers", n_workers, maximum=4096)
    threads_per_worker = check_positive_int("threads_per_worker", threads_per_worker,
                                            maximum=1024)
    progress = check_bool("progress", progress)
    tasks = sweep.tasks()
    store.root.mkdir(parents=True, exist_ok=True)
    todo = [t for t in tasks if store.load(t) is None]
    exp = get_experiment(sweep.experiment)
    # built-in experiments are found by name on the worker; others travel by value
    from memlab.verification.sweep import _experiments
    func = None if getattr(exp.func, "__module__", None) == _experiments.__name__ else exp
    if todo:
        bar = _bar(len(tasks), len(tasks) - len(todo), sweep.experiment, progress)
        try:
            if scheduler == "serial":
                for t in todo:
                    run_task(t, func, store.root)
                    bar.update(1)
            else:
                _run_on_dask(todo, func, store, scheduler, scheduler_file, n_workers,
                             threads_per_worker, bar)
        finally:
            bar.close()
    return store.status(sweep.experiment, tasks)


def _run_on_dask(todo, func, store, scheduler, scheduler_file, n_workers, threads, bar):
    from distributed import as_completed

    client, cluster = _client(scheduler, scheduler_file, n_workers, threads)
    try:
        futures = client.map(run_task, todo, experiment=func, store_root=str(store.root),
                             key=[f"memlab-{t.experiment}-{t.key}" for t in todo], pure=False)
        try:
            for _ in as_completed(futures):
                bar.update(1)
        except KeyboardInterrupt:
            client.cancel(futures)
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _bar(total, initial, name, enabled):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=f"sweep {name}", unit="task",
                disable=not enabled, leave=False)


def sweep_status(sweep: Sweep, store: str | Path = "memlab-sweeps") -> SweepStatus:
    """Counts of the tasks of ``sweep`` that are done, running, failed or missing in ``store``.

    Parameters
    ----------
    sweep : Sweep
    store : str or Path

    Returns
    -------
    SweepStatus

    Examples
    --------
    >>> import tempfile
    >>> s = sweep_status(Sweep("p_delta", {"n": [8, 16]}, {"d": 8}), tempfile.mkdtemp())
    >>> (s.total, s.missing)
    (2, 2)
    """
    from memlab._validation import check_instance, check_path

    sweep = check_instance("sweep", sweep, Sweep)
    return Store(check_path("store", store)).status(sweep.experiment, sweep.tasks())
