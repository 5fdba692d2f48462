"""Where a sweep's results live: a directory with one JSON file per task.

``<store>/<experiment>/<key>.json`` holds a finished task (its settings, outputs and
manifest), written atomically (temporary file and rename) by the worker that ran it, so
that a killed worker never leaves a partial result and two workers never write the same
file half each. ``<key>.failed.json`` holds the traceback of a failed task and
``<key>.running.json`` marks a task in progress (host, pid, start time). A directory on a
shared file system serves a whole cluster.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from memlab._results import Result
from memlab.verification._io import atomic_write

__all__ = ["SweepStatus", "Store"]

TASK_FORMAT = "memlab-sweep-task-v1"


@dataclass(frozen=True)
class SweepStatus(Result):
    """How far a sweep is: counts of its tasks by state, and the failed tasks' keys.

    Attributes
    ----------
    experiment : str
    total, done, running, failed, missing : int
        Tasks in the sweep; finished; marked running (a marker left by a killed worker
        also counts, until the task is rerun); failed (traceback stored); not started.
    failed_keys : tuple of str
        Keys of the failed tasks (their tracebacks are in ``<key>.failed.json``).
    """

    experiment: str
    total: int
    done: int
    running: int
    failed: int
    missing: int
    failed_keys: tuple = ()


class Store:
    """The result directory of sweeps (see the module docstring)."""

    def __init__(self, root):
        self.root = Path(root)

    def _dir(self, experiment):
        return self.root / experiment

    def path(self, task, kind="") -> Path:
        """File of ``task``: its result (``kind=""``), ``"failed"`` or ``"running"`` marker."""
        suffix = f".{kind}.json" if kind else ".json"
        return self._dir(task.experiment) / f"{task.key}{suffix}"

    def load(self, task):
        """The stored record of ``task``, or None when it is missing, unreadable or was made
        for other settings (never a stale or mismatched result)."""
        path = self.path(task)
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if (not isinstance(record, dict) or record.get("format") != TASK_FORMAT
                or record.get("key") != task.key or record.get("experiment") != task.experiment
                or record.get("settings") != task.settings):
            return None
        return record

    def mark_running(self, task) -> None:
        path = self.path(task, "running")
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                       "started": time.time()}))

    def save(self, task, outputs: dict, manifest: dict) -> None:
        """Write the result of ``task`` atomically and clear its markers."""
        record = {"format": TASK_FORMAT, "experiment": task.experiment, "key": task.key,
                  "settings": task.settings, "outputs": outputs, "manifest": manifest}
        path = self.path(task)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(record, allow_nan=False, indent=1))
        self.path(task, "failed").unlink(missing_ok=True)
        self.path(task, "running").unlink(missing_ok=True)

    def save_failure(self, task, error: str, manifest: dict) -> None:
        path = self.path(task, "failed")
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"format": TASK_FORMAT, "key": task.key,
                                       "settings": task.settings, "error": error,
                                       "manifest": manifest}, allow_nan=False, indent=1))
        self.path(task, "running").unlink(missing_ok=True)

    def status(self, experiment, tasks) -> SweepStatus:
        done = running = failed = 0
        failed_keys = []
        for task in tasks:
            if self.load(task) is not None:
                done += 1
            elif self.path(task, "failed").exists():
                failed += 1
                failed_keys.append(task.key)
            elif self.path(task, "running").exists():
                running += 1
        total = len(tasks)
        return SweepStatus(experiment, total, done, running, failed,
                           total - done - running - failed, tuple(failed_keys))
