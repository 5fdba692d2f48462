"""A finished sweep as one labelled dataset (xarray), saved as netCDF and a tidy CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memlab.verification.sweep._registry import get_experiment
from memlab.verification.sweep._spec import Sweep
from memlab.verification.sweep._store import Store

if TYPE_CHECKING:                       # xarray is the optional sweep extra
    import xarray

__all__ = ["sweep_dataset", "save_sweep"]


def sweep_dataset(sweep: Sweep, store: str | Path = "memlab-sweeps") -> "xarray.Dataset":
    """The stored results of ``sweep`` as an xarray Dataset with the grid as coordinates.

    One data variable per experiment output, over the grid axes (in the order of
    ``sweep.grid``) and the output's own dimensions; NaN where a task has no result
    (missing or failed). ``task_wall_s`` holds each task's wall time. The attributes record
    the experiment, the fixed settings (JSON), the memlab version and the number of tasks
    done.

    Parameters
    ----------
    sweep : Sweep
    store : str or Path

    Returns
    -------
    xarray.Dataset

    Raises
    ------
    ImportError
        If xarray is not installed (``pip install "memlab[sweep]"``).

    Examples
    --------
    >>> import tempfile
    >>> from memlab.verification.sweep import Sweep, run_sweep
    >>> sweep = Sweep("collapse_time", {"d": [4, 8]}, {"n": 20, "n_paths": 8, "n_datasets": 2})
    >>> root = tempfile.mkdtemp()
    >>> _ = run_sweep(sweep, root, scheduler="serial", progress=False)
    >>> ds = sweep_dataset(sweep, root)
    >>> ds["estimate"].dims, int(ds.attrs["tasks_done"])
    (('d',), 2)
    """
    from memlab import __version__
    from memlab._results import _decode
    from memlab._validation import check_instance, check_path

    xr = _xarray()
    sweep = check_instance("sweep", sweep, Sweep)
    store = Store(check_path("store", store))
    exp = get_experiment(sweep.experiment)
    tasks = sweep.tasks()
    shape = sweep.shape
    records = [store.load(t) for t in tasks]
    # each stored output decoded once: name -> array, per task (None where missing)
    values = [None if rec is None else
              {name: np.asarray(_decode(rec["outputs"][name]), dtype=float)
               for name in exp.outputs} for rec in records]
    first = next((v for v in values if v is not None), None)
    arrays = {name: np.full(shape + (first[name].shape if first is not None
                                     else (1,) * len(dims)), np.nan)
              for name, dims in exp.outputs.items()}
    wall = np.full(shape, np.nan)
    for idx, rec, val in zip(np.ndindex(*shape), records, values):
        if rec is None:
            continue
        for name in exp.outputs:
            arrays[name][idx] = val[name]
        wall[idx] = rec["manifest"].get("wall_s", np.nan)
    grid_dims = tuple(sweep.grid)
    data_vars = {name: (grid_dims + exp.outputs[name], arr) for name, arr in arrays.items()}
    data_vars["task_wall_s"] = (grid_dims, wall)
    coords = {name: np.asarray(values) for name, values in sweep.grid.items()}
    n_done = sum(r is not None for r in records)
    attrs = {"experiment": sweep.experiment, "fixed_settings": json.dumps(sweep.fixed),
             "memlab_version": __version__, "tasks_total": len(tasks), "tasks_done": n_done,
             "description": exp.description}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def save_sweep(dataset: "xarray.Dataset", out: str | Path, name: str | None = None) -> dict:
    """Write a sweep dataset as netCDF (``<name>.nc``) and tidy CSV (``<name>.csv``, one row
    per grid point), and the experiment's figures as PNG, into the directory ``out``.

    Parameters
    ----------
    dataset : xarray.Dataset
        From [`sweep_dataset`][memlab.verification.sweep.sweep_dataset].
    out : str or Path
        Output directory (created).
    name : str, optional
        File stem (default: the experiment name).

    Returns
    -------
    dict of str to Path
        ``"netcdf"``, ``"csv"`` and one entry per figure.

    Examples
    --------
    >>> import tempfile
    >>> from memlab.verification.sweep import Sweep, run_sweep
    >>> sweep = Sweep("collapse_time", {"d": [4, 8]}, {"n": 20, "n_paths": 8, "n_datasets": 2})
    >>> root = tempfile.mkdtemp()
    >>> _ = run_sweep(sweep, root, scheduler="serial", progress=False)
    >>> sorted(save_sweep(sweep_dataset(sweep, root), root))
    ['csv', 'netcdf']
    """
    from memlab._validation import check_path

    xr = _xarray()
    if not isinstance(dataset, xr.Dataset):
        raise TypeError(f"dataset must be an xarray Dataset, got {type(dataset).__name__}")
    out = Path(check_path("out", out))
    out.mkdir(parents=True, exist_ok=True)
    name = dataset.attrs.get("experiment", "sweep") if name is None else name
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"name must be a plain file stem, got {name!r}")
    paths = {"netcdf": out / f"{name}.nc", "csv": out / f"{name}.csv"}
    dataset.to_netcdf(paths["netcdf"], engine="scipy")      # netCDF3: no HDF5 library needed
    dataset.to_dataframe().reset_index().to_csv(paths["csv"], index=False)
    exp_name = dataset.attrs.get("experiment")
    figure = get_experiment(exp_name).figure if exp_name else None
    if figure is not None and int(dataset.attrs.get("tasks_done", 0)) > 0:
        for fname, fig in figure(dataset).items():
            paths[fname] = out / fname
            fig.savefig(paths[fname], dpi=120)
    return paths


def _xarray():
    try:
        import xarray
    except ImportError as exc:
        raise ImportError("sweep datasets need xarray: pip install 'memlab[sweep]'") from exc
    return xarray
