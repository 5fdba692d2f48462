"""The report cache cannot lie (memlab.verification.report): keys, validation of entries
(named in a warning of the logger), atomic writes, merging of --checks runs, Ctrl-C, and
the write probe."""

import json
import logging
import threading
from pathlib import Path

import pytest

from memlab.verification import report
from memlab.verification.cli import main

CALLS = []


def _check_a(mode):
    CALLS.append("a")
    return [report.Row("a", "first prediction", "1", "1", "exact", "pass", "0")], {}


def _check_b(mode):
    CALLS.append("b")
    return [report.Row("b", "second prediction", "2", "2", "exact", "pass", "0")], {}


@pytest.fixture
def fake_checks(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(report, "CHECKS", {"a": _check_a, "b": _check_b})
    monkeypatch.setattr(report, "_auto_workers", lambda: 1)   # CALLS is seen in-process only
    return CALLS


def _entry(out, name):
    (path,) = (Path(out) / ".cache").glob(f"{name}-*.json")
    return path


@pytest.mark.parametrize("damage", [
    lambda p: p.write_text("{not json"),                                       # bad JSON
    lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]),          # truncated
    lambda p: p.write_text(json.dumps(dict(json.loads(p.read_text()), key="0" * 16))),
    lambda p: p.write_text(json.dumps(dict(json.loads(p.read_text()), rows=[{"x": 1}]))),
    lambda p: p.write_text(json.dumps({"rows": [], "figures": []})),           # old schema
], ids=["bad-json", "truncated", "foreign-key", "bad-rows", "old-schema"])
def test_invalid_cache_entry_is_named_discarded_and_recomputed(tmp_path, fake_checks, caplog,
                                                               damage):
    report.run_report(tmp_path, checks=["a"], progress=False)
    damage(_entry(tmp_path, "a"))
    with caplog.at_level(logging.WARNING, logger="memlab"):
        rows = report.run_report(tmp_path, checks=["a"], progress=False)
    assert [r.prediction for r in rows] == ["first prediction"] and fake_checks == ["a", "a"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].name == "memlab.verification.report"
    message = warnings[0].getMessage()
    assert "invalid cache entry" in message and _entry(tmp_path, "a").name in message
    assert json.loads(_entry(tmp_path, "a").read_text())["key"] == report._key("a", "quick")
    report.run_report(tmp_path, checks=["a"], progress=False)      # valid again: re-used
    assert fake_checks == ["a", "a"]


def test_invalid_cache_entry_warning_reaches_stderr_through_the_cli(tmp_path, fake_checks,
                                                                    capsys):
    assert main(["report", "--out", str(tmp_path), "--checks", "a", "--quiet"]) == 0
    _entry(tmp_path, "a").write_text("{not json")
    capsys.readouterr()
    assert main(["report", "--out", str(tmp_path), "--checks", "a", "--json"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("memlab report: warning: discarding invalid "
                                               "cache entry")
    _entry(tmp_path, "a").write_text("{not json")
    assert main(["report", "--out", str(tmp_path), "--checks", "a", "--quiet"]) == 0
    assert capsys.readouterr().err == ""                   # --quiet: errors only


def test_changed_source_or_environment_recomputes(tmp_path, fake_checks, monkeypatch):
    report.run_report(tmp_path, checks=["a"], progress=False)
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read_bytes(self) + (
        b"# edited" if self.as_posix().endswith("verification/report.py") else b""))
    report.run_report(tmp_path, checks=["a"], progress=False)
    assert fake_checks == ["a", "a"]
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    key = report._key("a", "quick")
    monkeypatch.setattr(report, "_environment", lambda: "python=0|numpy=0")
    assert report._key("a", "quick") != key
    assert report._key("a", "full") != report._key("a", "quick")


def test_checks_subset_merges_into_the_summary(tmp_path, fake_checks):
    report.run_report(tmp_path, checks=["a", "b"], progress=False)
    rows = report.run_report(tmp_path, checks=["b"], progress=False)
    assert [r.check for r in rows] == ["b"]
    text = (tmp_path / "summary.md").read_text()
    assert "| a | first prediction" in text and "| b | second prediction" in text
    assert "a cached, not rerun" in text and "2 predictions" in text


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    report.run_report(tmp_path, checks=["rhm"], progress=False)
    assert not [p for p in tmp_path.rglob("*") if p.suffix == ".tmp"]
    assert (tmp_path / "rhm_level_accuracy.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads(_entry(tmp_path, "rhm").read_text())
    assert saved["schema"] == report.CACHE_SCHEMA and saved["check"] == "rhm"
    import os
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("summary.md", "summary.json", "rhm_level_accuracy.png"):
        # the permissions of an ordinary open(path, "w"), not mkstemp's owner-only 0o600
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def _concurrently(work, n):
    """Run ``work`` in ``n`` threads released together; the exceptions they raised."""
    barrier, errors = threading.Barrier(n), []

    def run():
        barrier.wait()
        try:
            work()
        except Exception as exc:            # pragma: no cover - the failure being tested
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_parallel_write_probes_do_not_collide(tmp_path):
    def probe():
        for _ in range(50):
            report.ensure_writable_dir(tmp_path)

    assert _concurrently(probe, 8) == [] and list(tmp_path.iterdir()) == []


def test_ctrl_c_exits_130_in_one_line_and_keeps_completed_checks(tmp_path, fake_checks,
                                                                 monkeypatch, capsys):
    def interrupted(mode):
        raise KeyboardInterrupt

    monkeypatch.setitem(report.CHECKS, "b", interrupted)
    assert main(["report", "--out", str(tmp_path), "--quiet"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted" in err[0]
    assert _entry(tmp_path, "a").exists() and not list((tmp_path / ".cache").glob("b-*"))
    monkeypatch.setitem(report.CHECKS, "b", _check_b)
    assert main(["report", "--out", str(tmp_path), "--quiet"]) == 0
    assert fake_checks == ["a", "b"]                        # a came from its cache


def test_documented_deviation_fails_outside_its_band():
    band = report.GMM_REFERENCE_BAND
    assert report._status(True, documented=band, measured=0.70) == "pass"
    assert report._status(False, documented=band, measured=0.80) == "deviation (documented)"
    assert report._status(False, documented=band, measured=0.90) == "FAIL"
    assert report._status(False, documented=band, measured=float("nan")) == "FAIL"
    assert report._status(False, documented=report.LINEAR_TRANSITION_BAND,
                          measured=1.63) == "deviation (documented)"
    assert report._status(False, documented=report.LINEAR_TRANSITION_BAND,
                          measured=3.0) == "FAIL"


def test_concurrent_reports_into_one_directory_leave_it_consistent(tmp_path, fake_checks):
    """Four writers at once: every cache entry is whole and valid, the summary has both
    rows, no temporary file is left, and a later run is served from the cache."""
    errors = _concurrently(lambda: report.run_report(tmp_path, checks=["a", "b"],
                                                     progress=False), 4)
    assert errors == []
    assert not [p for p in tmp_path.rglob("*") if p.suffix == ".tmp"]
    for name in ("a", "b"):
        saved = json.loads(_entry(tmp_path, name).read_text())
        assert saved["check"] == name and saved["schema"] == report.CACHE_SCHEMA
    summary = (tmp_path / "summary.md").read_text()
    assert "first prediction" in summary and "second prediction" in summary
    fake_checks.clear()
    report.run_report(tmp_path, checks=["a", "b"], progress=False)
    assert fake_checks == []


def _check_threads(mode):
    """A check that reports the thread settings of the process it runs in."""
    import os

    import numba
    seen = f"{os.environ.get('OPENBLAS_NUM_THREADS')}/{numba.config.NUMBA_NUM_THREADS}"
    return [report.Row("threads", "thread settings", seen, str(os.getpid()), "exact", "pass",
                       "0")], {}


def test_workers_run_checks_in_separate_single_threaded_processes(tmp_path, monkeypatch):
    """With workers=2 the two checks run in two fresh processes, each with one BLAS and one
    numba thread, the parent's environment is left as it was, and the rows come back in
    the order of CHECKS."""
    import os

    monkeypatch.setattr(report, "CHECKS", {"t1": _check_threads, "t2": _check_threads})
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    rows = report.run_report(tmp_path, checks=["t2", "t1"], progress=False, workers=2)
    assert [r.theory for r in rows] == ["1/1", "1/1"]
    pids = {r.verification for r in rows}
    assert len(pids) == 2 and str(os.getpid()) not in pids
    assert "OPENBLAS_NUM_THREADS" not in os.environ
    for name in ("t1", "t2"):
        assert json.loads(_entry(tmp_path, name).read_text())["seconds"] >= 0


def test_rows_do_not_depend_on_workers(tmp_path):
    """The same checks in this process and in two workers give the same table."""
    one = report.run_report(tmp_path / "one", checks=["mixing", "metrics"], progress=False,
                            workers=1)
    two = report.run_report(tmp_path / "two", checks=["mixing", "metrics"], progress=False,
                            workers=2)
    assert one == two and len(one) == 3


def test_a_failing_check_in_a_worker_raises_and_keeps_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "CHECKS", {"a": _check_a, "bad": _check_fails})
    with pytest.raises(RuntimeError, match="deliberate"):
        report.run_report(tmp_path, progress=False, workers=2)
    assert _entry(tmp_path, "a").exists() and not list((tmp_path / ".cache").glob("bad-*"))


def _check_fails(mode):
    raise RuntimeError("deliberate failure of a check")


@pytest.mark.parametrize("workers, error", [(0, ValueError), (-1, ValueError),
                                            (1.5, ValueError), ("2", TypeError), (True, TypeError)])
def test_workers_is_validated(tmp_path, workers, error):
    with pytest.raises(error, match="workers"):
        report.run_report(tmp_path, checks=["metrics"], progress=False, workers=workers)


def _check_sleeps(mode):
    import time
    time.sleep(60)
    return _check_b(mode)


_INTERRUPT_SCRIPT = """
import sys
from memlab.verification import report
from tests.verification import test_report_cache as t
report.CHECKS = {"a": t._check_a, "slow": t._check_sleeps}
report.run_report(sys.argv[1], progress=False, workers=2)
"""


def test_ctrl_c_stops_the_workers_at_once_and_keeps_completed_checks(tmp_path):
    """SIGINT to the process group while a check runs in a worker: the run stops within
    seconds (not after the 60 s check), no worker is left, the completed check is saved."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", _INTERRUPT_SCRIPT, str(tmp_path)], cwd=root,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not list((tmp_path / ".cache").glob("a-*.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list((tmp_path / ".cache").glob("a-*.json")), "check a never completed"
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 10 and proc.returncode != 0 and "KeyboardInterrupt" in err
    def group_alive():
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    t0 = time.monotonic()
    while group_alive() and time.monotonic() - t0 < 10:   # the workers are gone too
        time.sleep(0.1)
    assert not group_alive()
    assert not list((tmp_path / ".cache").glob("slow-*"))
