"""Every result type: a short repr, a dict and strict-JSON round trip that gives back an equal
object, a tidy table (records, CSV, pandas when installed), seeds stored as ints.

Real results of the cheap functions are used where they exist; every other public result
type is built from synthetic field values of its annotated types, so that a new result
class is covered as soon as it exists (the test lists them from the package)."""

from __future__ import annotations

import csv
import dataclasses
import importlib
import inspect
import json
import math

import numpy as np
import pytest

from memlab._inventory import modules
from memlab._results import Result, seed_record


def _result_types():
    found = {}
    for name in modules():
        mod = importlib.import_module(name)
        for obj in vars(mod).values():
            if inspect.isclass(obj) and issubclass(obj, Result) and obj is not Result \
                    and obj.__module__.startswith("memlab"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return dict(sorted(found.items()))


TYPES = _result_types()


def _real_instances():
    from memlab.theory import gmm, linear_diffusion as ld, metrics, mixing, rhm
    from memlab.verification import kernel_scaling as vk
    from memlab.verification import rhm as vr

    out = {}
    out["GMMData"] = gmm.sample_gmm(12, 3, 2, seed=0)
    g = rhm.sample_grammar(4, 2, 2, 2, seed=1)
    out["Grammar"] = g
    x = rhm.generate(g, 3, seed=2)
    lik = rhm.leaf_likelihood(rhm.add_noise(x, 0.5, g.v, seed=3), 0.5, g.v)
    out["BPResult"] = rhm.belief_propagation(g, lik)
    out["DeltaCurve"] = ld.p_delta_curve([8, 32], 8, n_original=200, trials=8,
                                         seed=np.random.default_rng(4))
    out["PowerLawFit"] = metrics.fit_power_law([1, 2, 4, 8], [1.1, 2.0, 4.2, 7.9])
    out["BandwidthComparison"] = mixing.compare_bandwidths(1.0, 10, 1000)
    out["MCConstants"] = vk.monte_carlo_constants(4, 1, n_samples=1000, seed=5)
    out["LevelAccuracy"] = vr.denoiser_accuracy_by_level(g, [0.2, 0.8], n_strings=8, seed=6)
    return out


def _synthetic(cls, depth=0):
    """An instance of ``cls`` built from its fields' annotations (no constructor checks)."""
    rng = np.random.default_rng(0)
    values = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        ann = str(f.type)
        if f.name == "seed":
            v = 7
        elif "ndarray" in ann or "array" in ann:
            v = rng.standard_normal(5)
            v[1] = np.nan
        elif ann in ("int",) or ann.startswith("int "):
            v = 3
        elif "float" in ann:
            v = 0.25
        elif ann.startswith("str") or "Literal" in ann:
            v = "ok"
        elif ann.startswith("bool"):
            v = True
        elif ann.startswith("dict"):
            v = {"start": "ok", "end": "not_reached"}
        elif ann.startswith("tuple") or ann.startswith("list"):
            v = (1.5, float("inf"), 3.0)
        else:
            v = None
        values[f.name] = v
    obj = cls.__new__(cls)
    for k, v in values.items():
        object.__setattr__(obj, k, v)
    return obj


def _equal(a, b):
    if isinstance(a, Result):
        return type(a) is type(b) and all(_equal(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a) if f.init)
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b and type(a) is type(b)


def _strict_json(text):
    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=no_constants)


REAL = _real_instances()


def test_every_public_result_type_is_found():
    assert len(TYPES) >= 25
    for short in REAL:
        assert any(q.endswith("." + short) for q in TYPES), short


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_result_round_trip(name, tmp_path):
    obj = REAL[name]
    text = obj.to_json()
    _strict_json(text)
    again = type(obj).from_json(text)
    assert _equal(obj, again)
    path = obj.to_json(tmp_path / "r.json")
    assert _equal(obj, type(obj).from_json(tmp_path / "r.json"))
    assert path == text
    assert _equal(obj, Result.from_dict(obj.to_dict()))      # dispatch by the stored type
    assert len(repr(obj)) < 800


@pytest.mark.parametrize("qualname", sorted(TYPES))
def test_synthetic_result_round_trip(qualname):
    cls = TYPES[qualname]
    obj = _synthetic(cls)
    data = obj.to_dict()
    _strict_json(json.dumps(data, allow_nan=False))
    assert data["type"].endswith(cls.__qualname__)
    # the stored type names the class by a public path it can be imported from
    module, _, name = data["type"].rpartition(".")
    assert getattr(importlib.import_module(module), name) is cls
    fields = {k: v for k, v in data["fields"].items()}
    restored = {f.name: getattr(obj, f.name) for f in dataclasses.fields(cls) if f.init}
    from memlab._results import _decode
    for k, v in fields.items():
        assert _equal(restored[k], _decode(v)), (qualname, k)
    assert len(repr(obj)) < 800


def test_repr_is_short_for_big_arrays():
    from memlab.theory import gmm
    data = gmm.sample_gmm(2000, 50, 4, seed=0)
    text = repr(data)
    assert len(text) < 300 and "shape=(2000, 50)" in text


def test_records_csv_and_frame(tmp_path):
    curve = REAL["DeltaCurve"]
    records = curve.to_records()
    assert len(records) == 2 and records[1]["n"] == 32 and records[0]["d"] == 8
    path = curve.to_csv(tmp_path / "c.csv")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["n"]) for r in rows] == [8, 32]
    assert float(rows[1]["probability"]) == pytest.approx(curve.probability[1])
    pd = pytest.importorskip("pandas")
    frame = curve.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame["n"]) == [8, 32]


def test_seeds_are_recorded_as_ints():
    assert REAL["DeltaCurve"].seed == 4                  # a fresh Generator: its entropy
    assert seed_record(np.random.SeedSequence(11)) == 11
    assert seed_record(None) is None and seed_record(np.int64(3)) == 3
    assert seed_record("11/0") == "11/0"                 # a description of several seeds is kept
    assert isinstance(REAL["MCConstants"].to_dict()["fields"]["seed"], int)


def test_from_dict_rejects_other_data():
    from memlab.theory.gmm import GMMData
    from memlab.theory.metrics import PowerLawFit
    with pytest.raises(TypeError, match="data must be a dict"):
        GMMData.from_dict("x")
    with pytest.raises(ValueError, match="not a stored memlab result"):
        GMMData.from_dict({"a": 1})
    with pytest.raises(ValueError, match="not a"):
        PowerLawFit.from_dict(REAL["GMMData"].to_dict())
    with pytest.raises(TypeError, match="source must be"):
        GMMData.from_json(3)


def test_loaded_data_is_checked_by_the_constructor():
    from memlab.theory.rhm import Grammar
    data = REAL["Grammar"].to_dict()
    data["fields"]["v"] = 3                     # rules use symbols up to 3: invalid for v = 3
    with pytest.raises(ValueError):
        Grammar.from_dict(data)
