"""memlab report (memlab.verification.report): summary, figures, cache and its keys."""

import ast
import inspect
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from memlab.verification import _closure
from memlab.verification import report
from memlab.verification.cli import main


def test_report_writes_summary_and_figures_and_caches(tmp_path, monkeypatch):
    rows = report.run_report(tmp_path, checks=["rhm", "metrics"], progress=False)
    assert len(rows) == 4 and all(r.status == "pass" for r in rows)
    text = (tmp_path / "summary.md").read_text()
    assert "| rhm | belief propagation" in text and "**pass**" in text
    assert (tmp_path / "rhm_level_accuracy.png").stat().st_size > 1000
    table = check_summary_markdown(tmp_path)
    assert [row[1] for row in table] == [report._cell(r.prediction) for r in rows]
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert [report.Row.from_dict(r) for r in saved["rows"]] == rows
    assert saved["counts"] == {"pass": 4, "FAIL": 0, "deviation (documented)": 0}

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
    files = _names(_closure.closure(tree, "memlab.verification.report"))
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
        names = _closure.imports(ast.parse(textwrap.dedent(inspect.getsource(func))), "memlab")
        covered |= concepts(names, "memlab.theory.") | concepts(names, "memlab.verification.")
    todo = list(covered)
    while todo:                                  # building blocks of checked theory modules
        module = f"memlab.theory.{todo.pop()}"
        path = _closure.module_file(module)
        package = module if path.name == "__init__.py" else "memlab.theory"
        names = _closure.imports(ast.parse(path.read_text()), package)
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
    captured = capsys.readouterr()
    assert "predictions, written to" in captured.out and "deviation (documented)" in captured.out
    assert captured.err == ""                                # --quiet: no progress bar
    table = check_summary_markdown(tmp_path)
    assert [row[0] for row in table] == ["linear"] * 3 + ["metrics"] * 2
    assert "[p_delta_vs_n.png](p_delta_vs_n.png)" in [row[-1] for row in table]


# --------------------------------------------------------------------------------------
# summary.md is valid Markdown
# --------------------------------------------------------------------------------------

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_LINK = re.compile(r"^\[([^\]]+)\]\(([^)\s]+)\)$")


def _cells(line):
    """The cells of one Markdown table line ``| a | b |``, split at unescaped pipes."""
    assert line.startswith("|") and line.endswith("|") and not line.endswith("\\|"), line
    return [c.strip() for c in _UNESCAPED_PIPE.split(line[1:-1])]


def check_summary_markdown(out):
    """Parse the table of ``out/summary.md`` (header, separator, rows), check its shape,
    its links and its figures; return the rows as lists of cells."""
    out = Path(out)
    lines = (out / "summary.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| check |"))
    header = _cells(lines[start])
    assert header == ["check", "prediction", "theory", "verification", "agreement", "status",
                      "figure"]
    separator = _cells(lines[start + 1])
    assert len(separator) == len(header) and all(re.fullmatch(r":?-{3,}:?", c)
                                                 for c in separator)
    rows = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = _cells(line)
        assert len(cells) == len(header), line
        rows.append(cells)
    assert rows
    table_text = "\n".join(lines[start:start + 2 + len(rows)])
    assert "![" not in table_text and "<img" not in table_text       # no images in cells
    linked = set()
    for cells in rows:
        if cells[-1]:
            name, target = _LINK.match(cells[-1]).groups()
            assert name == target and (out / target).is_file(), cells[-1]
            linked.add(target)
    after = "\n".join(lines[start + 2 + len(rows):])
    shown = set(re.findall(r"^!\[[^\]]*\]\(([^)]+)\)$", after, re.M))
    headings = set(re.findall(r"^### (\S+)$", after, re.M))
    assert linked <= shown == headings and all((out / f).is_file() for f in shown)
    pngs = {p.name for p in out.glob("*.png")}
    assert pngs <= linked                      # every figure is linked from a row it supports
    return rows


def _fake_check(mode):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    rows = [report.Row("fake", "max |z| <= 4 | a pipe, M*/N and M*/N", "a|b", "1\n2", "|x| = 0",
                       "pass", "0", "fake.png"),
            report.Row("fake", "no figure", "1", "1", "exact", "FAIL", "0")]
    return rows, {"fake.png": fig}


def test_summary_escapes_pipes_links_figures_and_shows_images_below(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "CHECKS", {"fake": _fake_check})
    rows = report.run_report(tmp_path, progress=False, workers=1)
    table = check_summary_markdown(tmp_path)
    assert table[0][1:5] == ["max \\|z\\| <= 4 \\| a pipe, M\\*/N and M\\*/N", "a\\|b", "1 2",
                             "\\|x\\| = 0"]
    assert table[0][6] == "[fake.png](fake.png)" and table[1][6] == ""
    text = (tmp_path / "summary.md").read_text()
    markdown = pytest.importorskip("markdown")
    html = markdown.markdown(text, extensions=["tables"])
    cells = [len(re.findall(r"<t[dh]>", tr)) for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S)]
    assert cells == [7, 7, 7] and "<em>" not in html
    assert "<td>max |z| &lt;= 4 | a pipe, M*/N and M*/N</td>" in html
    assert "## Figures\n\n### fake.png\n" in text and "![fake](fake.png)" in text
    assert "2 predictions: 1 pass, 1 fail, 0 documented deviations" in text
    assert [r.figure for r in rows] == ["fake.png", ""]


def _check_with_a_missing_figure(mode):
    return [report.Row("bad", "p", "1", "1", "exact", "pass", "0", "missing.png")], {}


def test_a_row_must_name_a_figure_its_check_draws(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "CHECKS", {"bad": _check_with_a_missing_figure})
    with pytest.raises(ValueError, match="missing.png"):
        report.run_report(tmp_path, progress=False, workers=1)


def test_rows_name_papers_by_author_and_year():
    """No check's text names the papers by an internal label."""
    source = inspect.getsource(report)
    for word in ("seed 00", "seed00", "DESIGN", "design document"):
        assert word not in source
    for name in ("Buchanan et al. 2025, eq. 14", "onset paper, eq. 9", "Favero et al. 2025, App. G"):
        assert name in source


# --------------------------------------------------------------------------------------
# The quick report needs no torch
# --------------------------------------------------------------------------------------

_NO_TORCH_SCRIPT = """
import importlib, sys
from pathlib import Path
import memlab.verification.report as report
assert "torch" not in sys.modules, "import memlab.verification.report imported torch"
from memlab.verification.cli import main
assert main(["report", "--quick", "--checks", "metrics", "--workers", "1", "--quiet",
             "--out", sys.argv[1]]) == 0
base = Path(importlib.import_module("memlab").__file__).parent
for name, check in report.CHECKS.items():
    if name in report.FULL_ONLY:
        continue
    for path in report._source_files(check):
        parts = path.relative_to(base).with_suffix("").parts
        module = ".".join(("memlab",) + (parts[:-1] if parts[-1] == "__init__" else parts))
        importlib.import_module(module)
bad = sorted(m for m in sys.modules if m.split(".")[0] == "torch"
             or m.startswith("memlab.verification.training"))
print(bad)
"""


def test_quick_report_never_imports_torch(tmp_path):
    """In a fresh interpreter: importing the report module, running a quick check through
    the CLI and importing every module the quick checks depend on load no torch and no
    memlab.verification.training."""
    res = subprocess.run([sys.executable, "-c", _NO_TORCH_SCRIPT, str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "[]"


def test_quick_checks_do_not_depend_on_the_training_modules():
    for name, check in report.CHECKS.items():
        files = _names(report._source_files(check))
        uses_training = any(f.startswith("training/") for f in files)
        assert uses_training == (name in report.FULL_ONLY), name
