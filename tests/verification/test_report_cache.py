"""The report cache cannot lie (memlab.verification.report): keys, validation of entries,
atomic writes, merging of --checks runs, Ctrl-C, and the write probe."""

import json
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
def test_invalid_cache_entry_is_named_discarded_and_recomputed(tmp_path, fake_checks, capsys,
                                                               damage):
    report.run_report(tmp_path, checks=["a"], progress=False)
    damage(_entry(tmp_path, "a"))
    capsys.readouterr()
    rows = report.run_report(tmp_path, checks=["a"], progress=False)
    assert [r.prediction for r in rows] == ["first prediction"] and fake_checks == ["a", "a"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid cache entry" in err[0] and _entry(tmp_path, "a").name in err[0]
    assert json.loads(_entry(tmp_path, "a").read_text())["key"] == report._key("a", "quick")
    report.run_report(tmp_path, checks=["a"], progress=False)      # valid again: re-used
    assert fake_checks == ["a", "a"]


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
