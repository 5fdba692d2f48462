"""memlab report (memlab.verification.report): summary, figures, cache and its keys."""

import ast
import inspect
import textwrap
from pathlib import Path

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


def _names(paths):
    return {"/".join(p.parts[-2:]) for p in paths}


def test_report_cache_key_follows_the_checks_imports():
    """The key hashes the closure of the check's memlab imports, so no stale result is served."""
    files = {name: _names(report._source_files(f)) for name, f in report.CHECKS.items()}
    assert "memlab/_validation.py" in files["metrics"]
    assert "verification/gmm.py" in files["gmm"]
    assert "theory/schedules.py" in files["gmm"]                  # imported by theory.gmm
    assert {"rhm/_bp.py", "rhm/_grammar.py", "rhm/_sampling.py"} <= files["rhm"]
    assert "theory/gmm.py" not in files["rhm"] and "rhm/_bp.py" not in files["gmm"]


@pytest.mark.parametrize("code", [
    "from memlab.theory import crossover_point",                 # lazy export of memlab.theory
    "import memlab\nmemlab.crossover_point",                    # lazy export of memlab
    "from memlab import theory\ntheory.loss_gap",
    "import memlab.theory as t\nt.gmm_denoiser",
    "from memlab.theory.gmm import crossover_point",
])
def test_report_cache_key_follows_lazy_exports(code):
    tree = ast.parse("def check(mode):\n" + textwrap.indent(code, "    ") + "\n")
    files = _names(report._closure(tree, "memlab.verification.report"))
    assert {"theory/gmm.py", "theory/schedules.py", "memlab/_validation.py"} <= files


def test_report_cache_key_changes_with_any_dependency(monkeypatch):
    before = {name: report._key(name, "quick") for name in report.CHECKS}
    read_bytes = Path.read_bytes

    def edited(*suffixes):
        monkeypatch.setattr(Path, "read_bytes", lambda self: read_bytes(self) + (
            b"# edited" if self.as_posix().endswith(suffixes) else b""))
        return {name: report._key(name, "quick") for name in report.CHECKS}

    after = edited("theory/rhm/_bp.py")
    assert [n for n in before if after[n] != before[n]] == ["rhm"]
    after = edited("memlab/_validation.py")
    assert all(after[n] != before[n] for n in before)
    after = edited("verification/report.py")
    assert all(after[n] != before[n] for n in before)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert {name: report._key(name, "quick") for name in report.CHECKS} == before


def test_every_theory_module_has_a_report_check():
    """Each public theory module is checked: a check imports it, or imports the verification
    module of the same name, or it is a building block imported by a checked theory module
    (``schedules`` by ``gmm``). Reaching it through a verification module of another concept
    does not count."""
    from memlab._inventory import modules

    theory = {m.rsplit(".", 1)[1] for m in modules("memlab.theory") if m.count(".") == 2}

    def concepts(names, prefix):
        return {n[len(prefix):].split(".")[0] for n in names if n.startswith(prefix)} & theory

    covered = set()
    for func in report.CHECKS.values():
        names = report._imports(ast.parse(textwrap.dedent(inspect.getsource(func))), "memlab")
        covered |= concepts(names, "memlab.theory.") | concepts(names, "memlab.verification.")
    todo = list(covered)
    while todo:                                  # building blocks of checked theory modules
        module = f"memlab.theory.{todo.pop()}"
        path = report._module_file(module)
        package = module if path.name == "__init__.py" else "memlab.theory"
        names = report._imports(ast.parse(path.read_text()), package)
        for c in concepts(names, "memlab.theory.") - covered:
            covered.add(c)
            todo.append(c)
    assert sorted(theory - covered) == []


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
