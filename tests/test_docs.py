"""The documentation: README examples, one API page per public module, the strict mkdocs build."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from memlab._inventory import modules

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_readme_python_examples_run(tmp_path):
    blocks = _python_blocks(ROOT / "README.md")
    assert blocks
    for code in blocks:
        subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, capture_output=True)


def test_readme_commands_are_the_ci_commands():
    """The main command (the report) installs the base package only; the test command pins
    the CPU torch before installing the extras (what CI runs)."""
    text = (ROOT / "README.md").read_text()
    first, second = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]
    assert "memlab report" in first and "torch" not in first and "[train" not in first
    assert "pip install torch==2.13.0" in second and "pytest" in second


def test_docs_build_without_warnings(tmp_path):
    """mkdocs (with the mkdocstrings API reference) builds in strict mode: no warning."""
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                          str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    site = tmp_path / "site"
    assert (site / "api" / "theory_rhm" / "index.html").exists()
    # No page of the built site shows raw reST or unrendered maths: every formula became
    # MathML (docs/hooks/maths.py), and the pages with maths do have some.
    raw = re.compile(r":(math|func|class|mod|meth|attr|data):`|\.\. math::|class=\"arithmatex\"|\$\$")
    pages = sorted(site.rglob("*.html"))
    bad = {p.relative_to(site).as_posix(): m.group(0) for p in pages
           if (m := raw.search(p.read_text(encoding="utf-8")))}
    assert bad == {}
    for page in ("api/theory_gmm/index.html", "api/theory_mixing/index.html", "gmm/index.html",
                 "linear_diffusion/index.html"):
        assert (site / page).read_text(encoding="utf-8").count("<math") > 10, page


def _api_pages():
    """docs/api page -> the modules it renders with ``::: name``."""
    return {p.relative_to(ROOT / "docs").as_posix(): re.findall(r"^::: (\S+)", p.read_text(), re.M)
            for p in sorted((ROOT / "docs" / "api").glob("*.md"))}


def _nav_pages(nav):
    for item in nav:
        for value in (item.values() if isinstance(item, dict) else [item]):
            if isinstance(value, list):
                yield from _nav_pages(value)
            else:
                yield value


def test_every_public_module_has_exactly_one_api_page_in_the_nav():
    pages = _api_pages()
    rendered = [name for names in pages.values() for name in names]
    assert sorted(rendered) == modules()            # each public module once, nothing else
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.SafeLoader)
    nav = set(_nav_pages(config["nav"]))
    assert set(pages) <= nav, sorted(set(pages) - nav)
    missing = [p for p in nav if not (ROOT / "docs" / p).is_file()]
    assert missing == []
