"""Sweeps: specs, task keys, the store (atomic, resumable, never stale), failures, and the Dask
engine on a 2-worker LocalCluster (same dataset as the serial run, bit for bit; a worker
killed mid-sweep loses no result and corrupts none)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pytest

from memlab.verification import sweep as sw

pytest.importorskip("distributed")
xr = pytest.importorskip("xarray")

SMALL = {"n": 20, "n_paths": 8, "n_datasets": 2}


# --- an experiment of this test file: deterministic, counts its calls in a log file -----
@sw.register_experiment("test_square", {"x": (float, sw.REQUIRED), "log": (str, ""),
                                        "sleep": (float, 0.0), "fail": (bool, False)},
                        {"y": (), "v": ("k",)}, description="test experiment")
def _square(x, log, sleep, fail):
    if log:
        with open(log, "a") as fh:
            fh.write(f"{x}\n")
    if sleep:
        time.sleep(sleep)
    if fail:
        raise RuntimeError(f"planted failure at x = {x}")
    return {"y": x * x, "v": np.array([x, x + 1.0, x + 2.0])}


def _calls(log):
    return sorted(float(v) for v in log.read_text().split()) if log.exists() else []


def test_spec_files(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('experiment = "collapse_time"\n[grid]\nd = [4, 8]\nseed = [0, 1]\n'
                    '[fixed]\nn = 20\nn_paths = 8\n')
    s = sw.load_sweep_spec(toml)
    assert s.grid == {"d": (4, 8), "seed": (0, 1)} and s.fixed == {"n": 20, "n_paths": 8}
    yml = tmp_path / "s.yaml"
    yml.write_text("experiment: collapse_time\ngrid:\n  d: [4, 8]\n  seed: [0, 1]\n"
                   "fixed:\n  n: 20\n  n_paths: 8\n")
    assert sw.load_sweep_spec(yml) == s or sw.load_sweep_spec(yml).grid == s.grid
    assert len(s.tasks()) == 4 and s.shape == (2, 2)
    bad = tmp_path / "b.toml"
    bad.write_text('experiment = "collapse_time"\n[grid]\nd = [4,\n')
    with pytest.raises(ValueError, match="not valid TOML"):
        sw.load_sweep_spec(bad)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="must end in"):
        sw.load_sweep_spec(tmp_path / "x.json")
    extra = tmp_path / "e.toml"
    extra.write_text('experiment = "collapse_time"\nwhat = 1\n[grid]\nd = [4]\n')
    with pytest.raises(ValueError, match="unknown entries"):
        sw.load_sweep_spec(extra)


def test_sweep_validation():
    with pytest.raises(ValueError, match="unknown experiment name"):
        sw.Sweep("nope", {"d": [1]})
    with pytest.raises(ValueError, match="name 'D' is not a setting"):
        sw.Sweep("collapse_time", {"D": [4]}, {"n": 20})
    with pytest.raises(TypeError, match="setting 'd' of 'collapse_time' must be an integer"):
        sw.Sweep("collapse_time", {"d": ["4"]}, {"n": 20})
    with pytest.raises(ValueError, match="repeated values"):
        sw.Sweep("collapse_time", {"d": [4, 4]}, {"n": 20})
    with pytest.raises(ValueError, match="both in grid and in fixed"):
        sw.Sweep("collapse_time", {"d": [4]}, {"d": 4, "n": 20})
    with pytest.raises(ValueError, match="needs the setting 'n'"):
        sw.Sweep("collapse_time", {"d": [4]}).tasks()
    with pytest.raises(ValueError, match="must be finite"):
        sw.Sweep("collapse_time", {"d": [4]}, {"n": 20, "sigma": float("nan")})
    with pytest.raises(TypeError, match="must be true or false"):
        sw.Sweep("test_square", {"x": [1.0]}, {"fail": 1})


def test_task_keys_follow_settings_and_version():
    a = sw.Sweep("collapse_time", {"d": [4]}, dict(SMALL)).tasks()[0]
    b = sw.Sweep("collapse_time", {"d": [4]}, dict(SMALL)).tasks()[0]
    c = sw.Sweep("collapse_time", {"d": [4]}, dict(SMALL, n_paths=9)).tasks()[0]
    assert a.key == b.key and a.key != c.key
    assert sw.Sweep("collapse_time", {"d": [4]}, dict(SMALL)).tasks("9.9")[0].key != a.key
    # the defaults are part of the canonical settings: giving one explicitly is the same task
    d = sw.Sweep("collapse_time", {"d": [4]}, dict(SMALL, sigma=1.0)).tasks()[0]
    assert d.key == a.key and a.settings["sigma"] == 1.0


def test_serial_run_resume_and_changed_settings(tmp_path):
    log = tmp_path / "calls.txt"
    store = tmp_path / "store"
    part = sw.Sweep("test_square", {"x": [1.0, 2.0]}, {"log": str(log)})
    full = sw.Sweep("test_square", {"x": [1.0, 2.0, 3.0, 4.0]}, {"log": str(log)})
    assert sw.sweep_status(full, store).missing == 4
    sw.run_sweep(part, store, scheduler="serial", progress=False)
    st = sw.run_sweep(full, store, scheduler="serial", progress=False)    # resumes
    assert (st.done, st.missing, st.failed) == (4, 0, 0)
    assert _calls(log) == [1.0, 2.0, 3.0, 4.0]            # each task computed once
    sw.run_sweep(full, store, scheduler="serial", progress=False)
    assert len(_calls(log)) == 4                           # nothing recomputed
    changed = sw.Sweep("test_square", {"x": [1.0, 2.0, 3.0, 4.0]},
                       {"log": str(log), "sleep": 1e-6})
    assert sw.sweep_status(changed, store).missing == 4   # not served from the store
    ds = sw.sweep_dataset(full, store)
    assert ds["y"].dims == ("x",) and ds["v"].dims == ("x", "k")
    assert np.array_equal(ds["y"].values, [1.0, 4.0, 9.0, 16.0])
    assert np.array_equal(ds["v"].values[2], [3.0, 4.0, 5.0])
    rec = json.loads(next((store / "test_square").glob("*.json")).read_text())
    for key in ("memlab_version", "git_revision", "host", "wall_s", "worker_peak_rss_mib"):
        assert key in rec["manifest"]


def test_stale_or_corrupt_results_are_recomputed(tmp_path):
    log = tmp_path / "calls.txt"
    s = sw.Sweep("test_square", {"x": [1.0, 2.0]}, {"log": str(log)})
    sw.run_sweep(s, tmp_path, scheduler="serial", progress=False)
    t1, t2 = s.tasks()
    store = sw._store.Store(tmp_path)
    store.path(t1).write_text("{ half a file")                 # corrupt
    rec = json.loads(store.path(t2).read_text())
    rec["settings"]["x"] = 5.0                                   # made for other settings
    store.path(t2).write_text(json.dumps(rec))
    assert sw.sweep_status(s, tmp_path).missing == 2
    sw.run_sweep(s, tmp_path, scheduler="serial", progress=False)
    assert _calls(log) == [1.0, 1.0, 2.0, 2.0]
    assert np.array_equal(sw.sweep_dataset(s, tmp_path)["y"].values, [1.0, 4.0])


def test_failures_are_stored_with_their_traceback(tmp_path):
    s = sw.Sweep("test_square", {"x": [1.0, 2.0]}, {"fail": True})
    st = sw.run_sweep(s, tmp_path, scheduler="serial", progress=False)
    assert (st.done, st.failed) == (0, 2) and len(st.failed_keys) == 2
    text = json.loads(sw._store.Store(tmp_path).path(s.tasks()[0], "failed").read_text())
    assert "planted failure at x = 1.0" in text["error"] and "Traceback" in text["error"]
    ds = sw.sweep_dataset(s, tmp_path)
    assert np.isnan(ds["y"].values).all() and ds.attrs["tasks_done"] == 0


def test_save_sweep_writes_netcdf_and_tidy_csv(tmp_path):
    s = sw.Sweep("test_square", {"x": [1.0, 2.0, 3.0]})
    sw.run_sweep(s, tmp_path / "st", scheduler="serial", progress=False)
    ds = sw.sweep_dataset(s, tmp_path / "st")
    paths = sw.save_sweep(ds, tmp_path / "out")
    again = xr.open_dataset(paths["netcdf"], engine="scipy")
    xr.testing.assert_identical(again.load(), ds)
    again.close()
    import csv
    with paths["csv"].open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 9 and {"x", "k", "y", "v", "task_wall_s"} <= set(rows[0])


def test_run_sweep_arguments(tmp_path):
    s = sw.Sweep("test_square", {"x": [1.0]})
    with pytest.raises(TypeError, match="sweep must be"):
        sw.run_sweep({"x": 1}, tmp_path)
    with pytest.raises(TypeError, match="scheduler must be"):
        sw.run_sweep(s, tmp_path, scheduler=3)
    with pytest.raises(ValueError, match="not both"):
        sw.run_sweep(s, tmp_path, scheduler="tcp://x:1", scheduler_file=tmp_path / "f")
    with pytest.raises(ValueError, match="n_workers"):
        sw.run_sweep(s, tmp_path, n_workers=0)


def test_local_cluster_equals_serial_bit_for_bit(tmp_path):
    s = sw.Sweep("collapse_time", {"d": [4, 8], "seed": [0, 1, 2]}, dict(SMALL))
    sw.run_sweep(s, tmp_path / "serial", scheduler="serial", progress=False)
    st = sw.run_sweep(s, tmp_path / "dask", n_workers=2, progress=False)
    assert st.done == 6
    a = sw.sweep_dataset(s, tmp_path / "serial").drop_vars("task_wall_s")
    b = sw.sweep_dataset(s, tmp_path / "dask").drop_vars("task_wall_s")
    xr.testing.assert_identical(a, b)
    pids = {json.loads(p.read_text())["manifest"]["pid"]
            for p in (tmp_path / "dask" / "collapse_time").glob("*.json")}
    assert os.getpid() not in pids                     # computed by the worker processes


def test_killed_worker_loses_and_corrupts_nothing(tmp_path):
    import cloudpickle
    from distributed import Client, LocalCluster

    import tests.verification.test_sweep as me
    cloudpickle.register_pickle_by_value(me)
    xs = [float(i) for i in range(12)]
    s = sw.Sweep("test_square", {"x": xs}, {"sleep": 0.4, "log": str(tmp_path / "calls")})
    store = tmp_path / "store"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

        killed_at = []

        def kill_one():
            while len(list((store / "test_square").glob("*[0-9a-f].json"))) < 3:
                time.sleep(0.05)
            os.kill(pids[0], signal.SIGKILL)
            killed_at.append(len(list((store / "test_square").glob("*[0-9a-f].json"))))

        killer = threading.Thread(target=kill_one, daemon=True)
        killer.start()
        st = sw.run_sweep(s, store, scheduler=cluster.scheduler_address, progress=False)
        killer.join(timeout=30)
    assert killed_at and killed_at[0] < 12             # the worker died mid-sweep
    assert (st.done, st.failed, st.missing) == (12, 0, 0)
    files = sorted((store / "test_square").glob("*.json"))
    results = [f for f in files if not f.name.endswith((".running.json", ".failed.json"))]
    assert len(results) == 12                          # every result once
    for f in results:                                  # none corrupt
        rec = json.loads(f.read_text())
        assert rec["outputs"]["y"]["__ndarray__"] == rec["settings"]["x"] ** 2
    ds = sw.sweep_dataset(s, store)
    assert np.array_equal(ds["y"].values, np.square(xs))
    assert set(_calls(tmp_path / "calls")) == set(xs)  # the killed worker's task was rerun


def test_experiments_listed():
    names = sw.experiments()
    for name in ("gmm_crossover", "p_delta", "collapse_time", "kernel_flow", "gmm_training",
                 "d3pm_rhm"):
        assert name in names and names[name]


def test_existing_cluster_through_a_scheduler_file(tmp_path):
    """The path of a batch system (dask-jobqueue, dask-mpi, `dask scheduler
    --scheduler-file`): the sweep connects to a running cluster by its scheduler file."""
    from distributed import Client, LocalCluster

    s = sw.Sweep("collapse_time", {"d": [4, 8]}, dict(SMALL))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.write_scheduler_file(str(tmp_path / "scheduler.json"))
        st = sw.run_sweep(s, tmp_path / "store", scheduler_file=tmp_path / "scheduler.json",
                          progress=False)
        assert st.done == 2
        assert len(client.scheduler_info()["workers"]) == 1   # the cluster is left running


def test_documented_spec_files_expand():
    from pathlib import Path
    specs = sorted((Path(__file__).resolve().parents[2] / "docs" / "sweeps").glob("*.[ty][oa]m*"))
    assert specs
    for path in specs:
        s = sw.load_sweep_spec(path)
        assert len(s.tasks()) == int(np.prod(s.shape)) >= 1


def test_cli_sweep(tmp_path, capsys):
    import csv

    from memlab.verification.cli import main
    spec = tmp_path / "s.toml"
    spec.write_text('experiment = "collapse_time"\n[grid]\nd = [4, 8]\n[fixed]\nn = 20\n'
                    'n_paths = 8\nn_datasets = 2\n')
    store, out = tmp_path / "store", tmp_path / "out"
    assert main(["sweep", str(spec), "--store", str(store), "--status", "--no-save"]) == 0
    assert "missing 2 (of 2)" in capsys.readouterr().out
    assert main(["sweep", str(spec), "--store", str(store), "--scheduler", "serial",
                 "--out", str(out), "--json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "sweep" and doc["results"]["status"]["fields"]["done"] == 2
    assert (out / "collapse_time.nc").exists() and (out / "sweep.json").exists()
    with (out / "collapse_time.csv").open() as fh:
        assert [int(r["d"]) for r in csv.DictReader(fh)] == [4, 8]
    assert main(["sweep", "--list", "--no-save"]) == 0
    assert "gmm_crossover" in capsys.readouterr().out
    assert main(["sweep", "--no-save"]) == 2
    assert "spec is required" in capsys.readouterr().err
    bad = tmp_path / "f.toml"
    bad.write_text('experiment = "test_square"\n[grid]\nx = [1.0]\n[fixed]\nfail = true\n')
    assert main(["sweep", str(bad), "--store", str(store), "--scheduler", "serial",
                 "--no-save"]) == 0
    text = capsys.readouterr().out
    assert "failed 1" in text and "planted failure at x = 1.0" in text


def test_gmm_training_sweep_and_its_figure(tmp_path):
    pytest.importorskip("torch")
    s = sw.Sweep("gmm_training", {"M": [2, 4, 8], "N": [8, 16]},
                 {"d": 2, "K": 2, "epochs": 3, "n_noise": 1, "n_eval": 8})
    st = sw.run_sweep(s, tmp_path / "store", scheduler="serial", progress=False)
    assert st.done == 6
    ds = sw.sweep_dataset(s, tmp_path / "store")
    assert ds["ratio"].dims == ("M", "N")
    assert ((ds["ratio"] >= 0) & (ds["ratio"] <= 1)).all()
    paths = sw.save_sweep(ds, tmp_path / "out")
    assert paths["gmm_training_memorization.png"].stat().st_size > 1000


def test_task_keys_follow_the_experiments_code():
    """Editing an experiment (or the memlab code it imports) makes its tasks new."""
    def first(x):
        return {"y": x}

    def second(x):
        return {"y": 2 * x}

    spec = ({"x": (float, sw.REQUIRED)}, {"y": ()})
    sw.register_experiment("test_code", *spec)(first)
    a = sw.Sweep("test_code", {"x": [1.0]}).tasks()[0].key
    assert sw.Sweep("test_code", {"x": [1.0]}).tasks()[0].key == a      # stable
    sw.register_experiment("test_code", *spec)(second)
    assert sw.Sweep("test_code", {"x": [1.0]}).tasks()[0].key != a
    # a built-in experiment's key covers the modules it calls
    from memlab.verification._closure import closure as _closure
    import ast
    import inspect
    import textwrap
    func = sw.get_experiment("gmm_crossover").func
    names = {p.as_posix().split("/")[-2] + "/" + p.name
             for p in _closure(ast.parse(textwrap.dedent(inspect.getsource(func))),
                               func.__module__)}
    assert {"verification/gmm.py", "theory/gmm.py"} <= names
