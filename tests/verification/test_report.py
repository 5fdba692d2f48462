"""memlab report, README examples and the documentation build (issue 7)."""


import pytest

from memlab.verification import report
from memlab.verification.cli import main



def test_report_writes_summary_and_figures_and_caches(tmp_path, monkeypatch):
    rows = report.run_report(tmp_path, checks=["rhm", "metrics"], progress=False)
    assert len(rows) == 4 and all(r.status == "pass" for r in rows)
    text = (tmp_path / "summary.md").read_text()
    assert "| rhm | belief propagation" in text and "**pass**" in text
    assert (tmp_path / "rhm_level_accuracy.png").stat().st_size > 1000

    def boom(name, mode):
        raise AssertionError("a cached check was recomputed")

    monkeypatch.setattr(report, "_run_check", boom)
    again = report.run_report(tmp_path, checks=["rhm", "metrics"], progress=False)
    assert [r.agreement for r in again] == [r.agreement for r in rows]
    assert "rhm cached" in (tmp_path / "summary.md").read_text()


def test_report_cache_key_covers_every_source_the_check_imports():
    """The key hashes the closure of the check's memlab imports, so no stale result is served."""
    from memlab._inventory import modules

    files = {name: {str(p) for p in report._source_files(f)} for name, f in report.CHECKS.items()}
    assert any(p.endswith("_validation.py") for p in files["metrics"])
    assert any(p.endswith("verification/gmm.py") for p in files["gmm"])
    assert any(p.endswith("schedules.py") for p in files["gmm"])       # imported by theory.gmm
    covered = set().union(*files.values())
    for name in modules("memlab.theory"):
        if name.count(".") == 2:                     # every theory module has a report check
            leaf = name.rsplit(".", 1)[1]
            assert any(f"/theory/{leaf}" in p for p in covered), name
    assert report._key("rhm", "quick") != report._key("rhm", "full")
    assert report._key("rhm", "quick") != report._key("metrics", "quick")


def test_report_recomputes_when_a_figure_is_missing(tmp_path):
    report.run_report(tmp_path, checks=["rhm"], progress=False)
    (tmp_path / "rhm_level_accuracy.png").unlink()
    report.run_report(tmp_path, checks=["rhm"], progress=False)
    assert (tmp_path / "rhm_level_accuracy.png").exists()


def test_report_cli_errors(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--checks", "nope"]) == 2
    assert "checks must be names from" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["report", "--out", str(blocker / "sub"), "--quiet"]) == 2
    assert "out must be a writable directory" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--quick", "--full"])


def test_report_cli_quick_subset(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--checks", "metrics,linear", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "predictions, written to" in out and "deviation (documented)" in out
