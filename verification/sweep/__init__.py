r"""Sweeps on Dask: an experiment over a grid of settings, one stored result per task, one
labelled dataset at the end.

A sweep is an experiment name plus a grid (the same as a TOML/YAML spec file for
``memlab sweep SPEC``):

```python
from memlab.verification.sweep import Sweep, run_sweep, sweep_dataset, save_sweep

sweep = Sweep("gmm_crossover", grid={"N": [50, 100, 200], "d": [30, 60]},
              fixed={"K": 12, "seed": 0})
run_sweep(sweep, "memlab-sweeps")              # embedded LocalCluster, one worker per CPU
ds = sweep_dataset(sweep, "memlab-sweeps")      # xarray.Dataset over (N, d)
save_sweep(ds, "sweep-out")                     # .nc, .csv and the experiment's figures
```

* **Tasks.** The grid's product gives independent tasks; each task's settings are
  completed with the experiment's defaults and addressed by a hash of (experiment,
  settings, memlab version).
* **Store.** Each finished task is one JSON file written atomically by the worker that
  ran it, with its manifest (settings, version, git revision, host, wall time, peak
  memory). A rerun computes only the missing tasks; a changed setting is a new task; a
  stored file made for other settings is never served. Failed tasks keep their
  traceback; [`sweep_status`][memlab.verification.sweep.sweep_status] counts done /
  running / failed / missing.
* **Engine.** By default an embedded ``distributed.LocalCluster`` sized to the machine,
  one single-threaded worker process per CPU (BLAS, OpenMP and numba limited to one
  thread each: no oversubscription); ``scheduler="tcp://..."`` or ``scheduler_file=``
  use a running Dask cluster (Slurm/PBS through dask-jobqueue, Kubernetes through the
  Dask operator: see the sweeps page of the documentation); ``scheduler="serial"`` runs
  in this process. Dask reruns the tasks of a worker that dies.
* **Experiments.** ``gmm_crossover``, ``p_delta``, ``collapse_time``, ``kernel_flow``,
  ``gmm_training`` and ``d3pm_rhm`` are built in (see
  [`experiments`][memlab.verification.sweep.experiments]); a new one is one function
  registered with [`register_experiment`][memlab.verification.sweep.register_experiment].

Dask, distributed and xarray come with the ``sweep`` extra: ``pip install "memlab[sweep]"``.

Examples
--------
>>> from memlab.verification.sweep import Sweep
>>> s = Sweep("p_delta", {"n": [8, 16, 32], "seed": [0, 1]}, {"d": 8})
>>> s.shape, len(s.tasks()), s.tasks()[0].settings["trials"]
((3, 2), 6, 1000)
"""

from memlab.verification.sweep._dataset import save_sweep, sweep_dataset
from memlab.verification.sweep._engine import THREAD_ENV, run_sweep, sweep_status
from memlab.verification.sweep._registry import (REQUIRED, Experiment, experiments,
                                                 get_experiment, register_experiment)
from memlab.verification.sweep._spec import Sweep, Task, load_sweep_spec, task_key
from memlab.verification.sweep._store import SweepStatus

__all__ = ["Sweep", "Task", "SweepStatus", "Experiment", "REQUIRED", "THREAD_ENV",
           "load_sweep_spec", "task_key", "run_sweep", "sweep_status", "sweep_dataset",
           "save_sweep", "register_experiment", "get_experiment", "experiments"]
