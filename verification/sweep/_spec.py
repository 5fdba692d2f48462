"""A sweep: an experiment name, a grid of settings and fixed settings, expanded into tasks."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from memlab._results import Result
from memlab._validation import check_mapping, check_path

__all__ = ["Sweep", "Task", "load_sweep_spec", "task_key"]


@dataclass(frozen=True)
class Task:
    """One independent unit of a sweep: the experiment, its complete (canonical) settings
    and the key that addresses its result in the store."""

    experiment: str
    settings: dict
    key: str


def task_key(experiment: str, settings: dict, version: str, code: str = "") -> str:
    """The address of a task's result: SHA-256 (first 16 hex digits) of the experiment, its
    canonical settings, the memlab version and the experiment's code key; a changed
    setting, a new version or edited code is a new task.

    Parameters
    ----------
    experiment : str
        Experiment name.
    settings : dict
        Canonical settings (JSON-ready; key order does not matter).
    version : str
        memlab version.
    code : str, default ""
        The experiment's code key ([`Experiment.code_key`][memlab.verification.sweep.Experiment.code_key]).

    Returns
    -------
    str
        16 hexadecimal digits.

    Examples
    --------
    >>> task_key("p_delta", {"n": 8, "d": 4}, "0.1.0") == task_key("p_delta", {"d": 4, "n": 8}, "0.1.0")
    True
    >>> len(task_key("p_delta", {"n": 8}, "0.1.0"))
    16
    """
    for arg, value, kind in (("experiment", experiment, str), ("settings", settings, dict),
                             ("version", version, str), ("code", code, str)):
        if not isinstance(value, kind):
            raise TypeError(f"{arg} must be a {kind.__name__}, got {type(value).__name__}")
    try:
        json.dumps(settings, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"settings must be JSON numbers, strings and booleans: {exc}") from None
    text = json.dumps({"experiment": experiment, "settings": settings, "version": version,
                       "code": code},
                      sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Sweep(Result):
    """A sweep specification: ``experiment`` run on every point of the product of the
    ``grid`` axes, with the ``fixed`` settings on every task.

    Attributes
    ----------
    experiment : str
        A registered experiment (see [`experiments`][memlab.verification.sweep.experiments]).
    grid : dict of str to tuple
        Setting name -> the values it takes (the axes of the result dataset, in this order).
    fixed : dict of str to value
        Settings that are the same on every task; the experiment's defaults fill the rest.
    """

    experiment: str
    grid: dict
    fixed: dict = field(default_factory=dict)

    def __post_init__(self):
        from memlab.verification.sweep._registry import get_experiment

        exp = get_experiment(self.experiment)
        if isinstance(self.grid, dict) and not self.grid:
            raise ValueError("grid must name at least one setting with its values, got {}")
        grid = check_mapping("grid", self.grid)
        fixed = {} if isinstance(self.fixed, dict) and not self.fixed else check_mapping(
            "fixed", self.fixed)
        clean = {}
        for name, values in grid.items():
            if name in fixed:
                raise ValueError(f"setting {name!r} is both in grid and in fixed")
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                values = [values]
            values = tuple(exp.coerce(name, v) for v in values)
            if not values:
                raise ValueError(f"grid[{name!r}] must have at least one value, got []")
            if len(set(values)) != len(values):
                raise ValueError(f"grid[{name!r}] has repeated values: {list(values)}")
            clean[name] = values
        fixed = {name: exp.coerce(name, v) for name, v in fixed.items()}
        exp.complete(dict(fixed, **{k: v[0] for k, v in clean.items()}))   # all required?
        object.__setattr__(self, "grid", clean)
        object.__setattr__(self, "fixed", fixed)

    @property
    def shape(self) -> tuple:
        """Number of values of each grid axis."""
        return tuple(len(v) for v in self.grid.values())

    def tasks(self, version: str | None = None) -> list:
        """The tasks of the sweep, in grid order (last axis fastest).

        Parameters
        ----------
        version : str, optional
            Package version in the task keys (default: this memlab's).

        Returns
        -------
        list of Task
        """
        from memlab import __version__
        from memlab.verification.sweep._registry import get_experiment

        exp = get_experiment(self.experiment)
        version = __version__ if version is None else version
        if not isinstance(version, str):
            raise TypeError(f"version must be a string, got {type(version).__name__}")
        names = list(self.grid)
        code = exp.code_key()
        out = []
        for values in itertools.product(*self.grid.values()):
            settings = exp.complete(dict(self.fixed, **dict(zip(names, values))))
            out.append(Task(self.experiment, settings,
                            task_key(self.experiment, settings, version, code)))
        return out


def load_sweep_spec(path: str | Path) -> Sweep:
    r"""Read a sweep specification from a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file.

    The file has ``experiment = "name"``, a table ``[grid]`` of setting -> list of values,
    and an optional table ``[fixed]`` of setting -> value, e.g.::

        experiment = "gmm_crossover"
        [grid]
        N = [50, 100, 200]
        d = [30, 60]
        [fixed]
        K = 12
        seed = 0

    Parameters
    ----------
    path : str or Path
        The spec file.

    Returns
    -------
    Sweep

    Raises
    ------
    ValueError
        If the file is not valid TOML/YAML, has another extension, or does not describe a
        sweep (unknown experiment or setting, a value of the wrong kind).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = path.write_text('experiment = "p_delta"\n[grid]\nn = [8, 16]\n[fixed]\nd = 8\n')
    >>> load_sweep_spec(path).grid
    {'n': (8, 16)}
    """
    path = Path(check_path("path", path))
    if path.suffix not in (".toml", ".yaml", ".yml"):
        raise ValueError(f"path must end in .toml, .yaml or .yml, got {str(path)!r}")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"path {str(path)!r} cannot be read: {exc}") from None
    if path.suffix == ".toml":
        import tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from None
    elif path.suffix in (".yaml", ".yml"):
        import yaml
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{path} is not valid YAML: {exc}") from None
    else:
        raise ValueError(f"path must end in .toml, .yaml or .yml, got {str(path)!r}")
    if not isinstance(data, dict) or "experiment" not in data or "grid" not in data:
        raise ValueError(f"{path} must define 'experiment' and a 'grid' table")
    extra = set(data) - {"experiment", "grid", "fixed"}
    if extra:
        raise ValueError(f"{path} has unknown entries {sorted(extra)} (allowed: experiment, "
                         "grid, fixed)")
    return Sweep(data["experiment"], data["grid"], data.get("fixed", {}))
