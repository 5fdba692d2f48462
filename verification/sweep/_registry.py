"""The experiments a sweep can run: one registered function with typed settings each."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

__all__ = ["Experiment", "REQUIRED", "experiments", "get_experiment", "register_experiment"]

REQUIRED = object()
"""Default of a setting that every sweep must give (in its grid or its fixed settings)."""
_TYPES = (int, float, str, bool)
_REGISTRY: dict = {}


@dataclass(frozen=True)
class Experiment:
    """A function of one task's settings and what it returns.

    Attributes
    ----------
    name : str
        Registry name (``memlab sweep`` specs refer to it).
    func : callable
        ``func(**settings) -> dict``: output name -> float or array (of the shape given by
        ``outputs``). It must be deterministic given its settings (seeds are settings).
    settings : dict
        Setting name -> ``(type, default)``; type is int, float, str or bool, default a
        value or ``REQUIRED``.
    outputs : dict
        Output name -> tuple of dimension names (``()`` for a scalar).
    description : str
        One line for ``memlab sweep --list``.
    figure : callable, optional
        ``figure(dataset) -> dict of name -> Figure``, the experiment's plots of a finished
        sweep.
    """

    name: str
    func: Callable
    settings: dict
    outputs: dict
    description: str = ""
    figure: Callable | None = None

    def coerce(self, name: str, value: object) -> int | float | str | bool:
        """``value`` as the type of setting ``name``.

        Parameters
        ----------
        name : str
            A setting of this experiment.
        value : object
            Its value (an integral float is accepted for an int setting).

        Returns
        -------
        int, float, str or bool

        Raises
        ------
        TypeError
            If ``value`` is not of the setting's type (naming the setting).
        ValueError
            If the experiment has no setting ``name``, or a float is not finite.
        """
        if not isinstance(name, str):
            raise TypeError(f"name must be a setting name (a string), got {name!r}")
        if name not in self.settings:
            raise ValueError(f"name {name!r} is not a setting of experiment {self.name!r}; its "
                             f"settings are {sorted(self.settings)}")
        kind = self.settings[name][0]
        label = f"value of setting {name!r} of {self.name!r}"
        if kind is bool:
            if not isinstance(value, bool):
                raise TypeError(f"{label} must be true or false, got {value!r}")
            return value
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                raise TypeError(f"{label} must be an integer, got {value!r}")
            return int(value)
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{label} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{label} must be finite, got {value!r}")
            return float(value)
        if not isinstance(value, str):
            raise TypeError(f"{label} must be a string, got {value!r}")
        return value

    def code_key(self) -> str:
        """SHA-256 (16 hex digits) of the experiment's code: the source of its function and
        of every memlab module the function imports, transitively (the closure the
        report's cache keys use). Part of every task key, so that editing the experiment,
        or memlab code it calls, makes its tasks new.

        Returns
        -------
        str
            16 hexadecimal digits; for a function without source (built at run time),
            a hash of its bytecode and constants instead.
        """
        import ast
        import hashlib
        import inspect
        import textwrap
        from pathlib import Path

        h = hashlib.sha256()
        try:
            source = textwrap.dedent(inspect.getsource(self.func))
            h.update(source.encode())
            from memlab.verification._closure import closure as _closure
            for path in _closure(ast.parse(source), self.func.__module__):
                h.update(str(Path(path).name).encode())
                h.update(Path(path).read_bytes())
        except (OSError, TypeError, SyntaxError, ValueError, AttributeError):
            code = getattr(self.func, "__code__", None)
            h.update(repr((getattr(code, "co_code", b""), getattr(code, "co_consts", ()))).encode())
        return h.hexdigest()[:16]

    def complete(self, settings: dict) -> dict:
        """All settings of one task, defaults filled in, keys sorted (the canonical form).

        Parameters
        ----------
        settings : dict
            Setting name -> value for one task.

        Returns
        -------
        dict
            Every setting of the experiment, coerced to its type, sorted by name.

        Raises
        ------
        ValueError
            If a required setting is missing or a name is not a setting.
        """
        if not isinstance(settings, dict):
            raise TypeError(f"settings must be a dict of setting -> value, got "
                            f"{type(settings).__name__}")
        out = {}
        for name, (kind, default) in self.settings.items():
            if name in settings:
                out[name] = self.coerce(name, settings[name])
            elif default is REQUIRED:
                raise ValueError(f"experiment {self.name!r} needs the setting {name!r} (in "
                                 "grid or fixed)")
            else:
                out[name] = default
        for name in settings:
            if name not in self.settings:
                self.coerce(name, settings[name])          # raises: unknown setting
        return dict(sorted(out.items()))


def register_experiment(name: str, settings: dict, outputs: dict, *, description: str = "",
                        figure: Callable | None = None) -> Callable:
    """Decorator registering ``func(**settings) -> dict`` as the sweep experiment ``name``.

    Parameters
    ----------
    name : str
        Registry name; registering a name again replaces the experiment.
    settings : dict
        Setting name -> ``(type, default)``, type in (int, float, str, bool), default a value
        of that type or [`REQUIRED`][memlab.verification.sweep.REQUIRED].
    outputs : dict
        Output name -> tuple of dimension names (``()`` for a scalar).
    description : str
        One line shown by ``memlab sweep --list``.
    figure : callable, optional
        ``figure(dataset) -> {name: Figure}``.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Examples
    --------
    >>> @register_experiment("square", {"x": (float, REQUIRED)}, {"y": ()})
    ... def square(x):
    ...     return {"y": x * x}
    >>> get_experiment("square").complete({"x": 3})
    {'x': 3.0}
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    for arg, value in (("settings", settings), ("outputs", outputs)):
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise TypeError(f"{arg} must be a dict with string keys, got {value!r:.80}")
    if not isinstance(description, str):
        raise TypeError(f"description must be a string, got {type(description).__name__}")
    if figure is not None and not callable(figure):
        raise TypeError(f"figure must be callable or None, got {type(figure).__name__}")
    for key, spec in settings.items():
        if not (isinstance(spec, tuple) and len(spec) == 2 and spec[0] in _TYPES):
            raise TypeError(f"settings[{key!r}] must be (type, default) with type in "
                            f"int/float/str/bool, got {spec!r}")
    for key, dims in outputs.items():
        if not (isinstance(dims, tuple) and all(isinstance(d, str) for d in dims)):
            raise TypeError(f"outputs[{key!r}] must be a tuple of dimension names, got {dims!r}")

    def decorate(func):
        _REGISTRY[name] = Experiment(name, func, dict(settings), dict(outputs), description,
                                     figure)
        return func

    return decorate


def get_experiment(name: str) -> Experiment:
    """The registered experiment ``name``.

    Parameters
    ----------
    name : str
        Registry name.

    Returns
    -------
    Experiment

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If no experiment has that name (the message lists the registered ones).

    Examples
    --------
    >>> sorted(get_experiment("p_delta").outputs)
    ['ci_high', 'ci_low', 'probability']
    """
    from memlab.verification.sweep import _experiments  # noqa: F401  (registers the built-ins)

    if not isinstance(name, str):
        raise TypeError(f"experiment name must be a string, got {type(name).__name__}")
    if name not in _REGISTRY:
        raise ValueError(f"unknown experiment name {name!r}; registered: {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def experiments() -> dict:
    """Registered experiments: name -> one-line description.

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> "gmm_crossover" in experiments()
    True
    """
    from memlab.verification.sweep import _experiments  # noqa: F401

    return {name: exp.description for name, exp in sorted(_REGISTRY.items())}
