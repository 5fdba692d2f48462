"""What every memlab result object can do: a short repr, a dict and JSON round trip, a tidy
table.

Result classes are frozen dataclasses that inherit `Result`. Their fields are numbers,
strings, None, numpy arrays, tuples, lists and dicts of these, or other results.

* ``repr(result)`` names the class and each field, with arrays shown by shape and dtype
  and long containers by length: never the whole data.
* ``result.to_dict()`` is a JSON-ready dict (``{"type": ..., "memlab_version": ...,
  "fields": {...}}``); arrays keep their dtype and shape, tuples stay tuples, and
  non-finite floats (NaN, inf) are written as strings so that the JSON is standard.
  ``Type.from_dict(d)`` rebuilds an equal object; ``to_json()`` / ``from_json()`` do the
  same through a JSON string or file.
* ``result.to_records()`` is a list of flat dicts (one per row): the one-dimensional
  array fields of the most common length are the columns, the scalar fields are repeated
  on every row. pandas (``pandas.DataFrame(result.to_records())``), polars and the csv
  module read it directly; ``to_frame()`` builds the pandas DataFrame and ``to_csv(path)``
  writes the table with a header of field names.

Seeds: a field named ``seed`` that holds a numpy Generator or SeedSequence is stored as
the integer entropy of its seed sequence (which reproduces the run only when the
generator was passed fresh); ints, None and other values are kept.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib
import json
import math
from pathlib import Path

import numpy as np

__all__ = ["Result", "seed_record"]

_FORMAT = "memlab-result-v1"


def seed_record(seed):
    """A seed as it is recorded in a result.

    A numpy Generator, BitGenerator or SeedSequence gives the entropy of its seed
    sequence (an int, or a tuple when it was built from several words; None if it has
    none); a numpy integer becomes an int; anything else (an int, None, a string
    describing several seeds) is kept as it is.
    """
    if isinstance(seed, np.integer):
        return int(seed)
    if not isinstance(seed, (np.random.Generator, np.random.BitGenerator,
                             np.random.SeedSequence)):
        return seed
    seq = seed
    if isinstance(seed, np.random.Generator):
        seq = getattr(seed.bit_generator, "seed_seq", None)
    elif isinstance(seed, np.random.BitGenerator):
        seq = getattr(seed, "seed_seq", None)
    entropy = getattr(seq, "entropy", None)
    if isinstance(entropy, (int, np.integer)):
        return int(entropy)
    if isinstance(entropy, (list, tuple, np.ndarray)):
        return tuple(int(e) for e in entropy)
    return None


def _short(value, depth=0) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 4 and value.ndim <= 1:
            return f"array({np.array2string(value, precision=4, separator=', ')})"
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, Result):
        return f"{type(value).__name__}(...)" if depth else repr(value)
    if isinstance(value, (list, tuple)):
        if len(value) <= 4 and all(np.isscalar(v) or v is None for v in value):
            return repr(tuple(value) if isinstance(value, tuple) else list(value))
        kind = type(value).__name__
        return f"<{kind} of {len(value)}>"
    if isinstance(value, dict):
        if len(value) <= 3 and all(np.isscalar(v) or v is None for v in value.values()):
            return repr(value)
        return f"<dict of {len(value)}>"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.random.Generator):
        return f"Generator(seed={seed_record(value)})"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _encode(value):
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return {"__tuple__": [_encode(v) for v in value.tolist()]}
        data = value.tolist()
        if value.dtype.kind in "fc":
            data = _encode_floats(data)
        return {"__ndarray__": data, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: _encode(v) for k, v in value.items()}}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _encode_floats(float(value))
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (np.random.Generator, np.random.SeedSequence)):
        return _encode(seed_record(value))
    raise TypeError(f"cannot store a value of type {type(value).__name__} in a result")


def _encode_floats(data):
    if isinstance(data, list):
        return [_encode_floats(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return repr(data)                     # 'nan', 'inf', '-inf'
    return data


def _decode_floats(data):
    if isinstance(data, list):
        return [_decode_floats(v) for v in data]
    if isinstance(data, str):
        return float(data)
    return data


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        dtype = np.dtype(value["dtype"])
        data = value["__ndarray__"]
        if dtype.kind in "fc":
            data = _decode_floats(data)
        return np.array(data, dtype=dtype).reshape(value["shape"])
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v) for k, v in value["__dict__"].items()}
    if "__items__" in value:
        return {_hashable(_decode(k)): _decode(v) for k, v in value["__items__"]}
    if value.get("format") == _FORMAT:
        return Result.from_dict(value)
    raise ValueError(f"not a stored memlab value: {sorted(value)[:5]}")


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _class_from_name(name):
    module, _, qualname = name.rpartition(".")
    if not module.startswith("memlab"):
        raise ValueError(f"not a memlab result type: {name!r}")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


_REPR_CHARS = 600       # a repr lists fields up to about this length, then counts the rest


class Result:
    """Mixin for memlab's result dataclasses (see the module docstring)."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Put the short repr in the class itself, so that @dataclass keeps it.
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = Result.__repr__

    def __post_init__(self):
        # Seeds are recorded as ints (a Generator by its seed-sequence entropy).
        if any(f.name == "seed" for f in dataclasses.fields(self)):
            object.__setattr__(self, "seed", seed_record(self.seed))

    def __repr__(self) -> str:
        parts = [f"{f.name}={_short(getattr(self, f.name), 1)}"
                 for f in dataclasses.fields(self) if f.repr]
        shown, length = [], 0
        for k, part in enumerate(parts):         # at most about _REPR_CHARS characters
            if length + len(part) > _REPR_CHARS and shown:
                shown.append(f"... ({len(parts) - k} more fields)")
                break
            shown.append(part)
            length += len(part) + 2
        return f"{type(self).__name__}({', '.join(shown)})"

    # -- dict and JSON ---------------------------------------------------------------
    def to_dict(self) -> dict:
        """The result as a JSON-ready dict; `from_dict` rebuilds it."""
        from memlab import __version__

        fields = {}
        for f in dataclasses.fields(self):
            if not f.init:                     # derived in __post_init__: rebuilt on load
                continue
            value = getattr(self, f.name)
            if f.name == "seed":
                value = seed_record(value)
            fields[f.name] = _encode(value)
        return {"format": _FORMAT, "type": _type_name(type(self)),
                "memlab_version": __version__, "fields": fields}

    @classmethod
    def from_dict(cls, data: dict):
        """Rebuild a result from `to_dict` output.

        Raises
        ------
        TypeError
            If ``data`` is not a dict.
        ValueError
            If it is not a stored memlab result, or stores another type than ``cls``.
        """
        if not isinstance(data, dict):
            raise TypeError(f"data must be a dict made by to_dict(), got {type(data).__name__}")
        if data.get("format") != _FORMAT or "type" not in data or "fields" not in data:
            raise ValueError("data is not a stored memlab result (no "
                             f"'format': {_FORMAT!r}, 'type' and 'fields' entries)")
        target = _class_from_name(data["type"])
        if cls is not Result and not issubclass(target, cls):
            raise ValueError(f"data stores a {data['type']}, not a {_type_name(cls)}")
        names = {f.name for f in dataclasses.fields(target) if f.init}
        kwargs = {k: _decode(v) for k, v in data["fields"].items() if k in names}
        missing = {f.name for f in dataclasses.fields(target) if f.init
                   and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING} - set(kwargs)
        if missing:
            raise ValueError(f"data lacks the fields {sorted(missing)} of {data['type']}")
        return target(**kwargs)            # the constructor re-checks what it loads

    def to_json(self, path=None, *, indent=None) -> str:
        """The result as standard JSON (no NaN literals); written to ``path`` if given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_json(cls, source):
        """Rebuild a result from a JSON string or from the path of a file `to_json` wrote."""
        if isinstance(source, Path) or (isinstance(source, str)
                                        and not source.lstrip().startswith("{")):
            source = Path(source).read_text()
        if not isinstance(source, str):
            raise TypeError("source must be a JSON string or a path, got "
                            f"{type(source).__name__}")
        return cls.from_dict(json.loads(source))

    # -- tables ----------------------------------------------------------------------
    def to_records(self) -> list[dict]:
        """The result as a tidy table: a list of flat dicts, one per row.

        Columns: the one-dimensional array (or tuple-of-numbers) fields of the most common
        length, then every scalar field (repeated on each row). Fields of other shapes
        (matrices, nested results) are left out; ``to_dict`` keeps everything.
        """
        columns, scalars = {}, {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "seed":
                value = seed_record(value)
            if isinstance(value, (np.ndarray, list, tuple)):
                arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) \
                    else value
                if arr.ndim == 1 and all(_is_scalar(v) for v in arr.tolist()):
                    columns[f.name] = arr.tolist()
            elif _is_scalar(value):
                scalars[f.name] = value.item() if isinstance(value, np.generic) else value
        if columns:
            lengths = [len(v) for v in columns.values()]
            n = max(set(lengths), key=lambda L: (lengths.count(L), L))
            columns = {k: v for k, v in columns.items() if len(v) == n}
            return [dict({k: v[i] for k, v in columns.items()}, **scalars) for i in range(n)]
        return [scalars]

    def to_frame(self):
        """`to_records` as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:              # pragma: no cover - depends on the install
            raise ImportError("to_frame needs pandas (pip install pandas); to_records() "
                              "gives the same table without it") from exc
        return pd.DataFrame.from_records(self.to_records())

    def to_csv(self, path) -> Path:
        """Write `to_records` as CSV with a header row of field names; returns the path."""
        records = self.to_records()
        path = Path(path)
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(records[0]) if records else [])
            writer.writeheader()
            writer.writerows(records)
        return path


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, np.bool_, np.integer, np.floating))


def _type_name(cls) -> str:
    """The public dotted name of a result class (its module without private parts)."""
    module = cls.__module__
    parts = module.split(".")
    while len(parts) > 1 and parts[-1].startswith("_"):
        parts.pop()
    public = ".".join(parts)
    try:
        if getattr(importlib.import_module(public), cls.__qualname__, None) is cls:
            return f"{public}.{cls.__qualname__}"
    except ImportError:                         # pragma: no cover
        pass
    return f"{module}.{cls.__qualname__}"
