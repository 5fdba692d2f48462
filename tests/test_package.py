"""Package structure: the memlab namespace, layering, light theory import, docstring examples."""

import ast
import doctest
import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import memlab
from memlab._inventory import modules

PACKAGE_DIR = Path(memlab.__file__).parent
PUBLIC = modules()
THEORY = [m for m in modules(private=True) if m.startswith("memlab.theory")]


def _py_files(top):
    """Every .py file below ``top``, through the symbolic links memlab/theory, memlab/verification."""
    return sorted(Path(root) / f for root, _, files in os.walk(top, followlinks=True)
                  for f in files if f.endswith(".py"))


def _run(code, cwd=None):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=cwd).stdout


def _imported_names(path):
    """Absolute dotted names imported anywhere in the file (relative imports resolved)."""
    rel = path.relative_to(PACKAGE_DIR).with_suffix("")
    module = ".".join(("memlab",) + rel.parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for a in node.names:
                yield f"{base}.{a.name}", node.lineno


def test_inventory_finds_every_source_file():
    files = [p for p in _py_files(PACKAGE_DIR) if p.name != "__main__.py"]
    names = {".".join(("memlab",) + p.relative_to(PACKAGE_DIR).with_suffix("").parts)
             .removesuffix(".__init__") for p in files}
    assert names == set(modules(private=True))
    assert "memlab.theory.gmm" in PUBLIC and "memlab._validation" not in PUBLIC


def test_theory_does_not_import_verification_numba_or_torch(tmp_path):
    out = _run(f"import sys; import {', '.join(THEORY)}; "
               "print(sorted(m for m in sys.modules if m.split('.')[0] in "
               "('verification', 'numba', 'torch', 'matplotlib')"
               " or m.startswith('memlab.verification')))", cwd=tmp_path)
    assert out.strip() == "[]"


@pytest.mark.parametrize("path", _py_files(PACKAGE_DIR / "theory"),
                         ids=lambda p: p.name)
def test_theory_never_imports_verification(path):
    bad = [(n, line) for n, line in _imported_names(path)
           if n.startswith("memlab.verification") or n.split(".")[0] in ("numba", "torch")]
    assert bad == []


@pytest.mark.parametrize("path", _py_files(PACKAGE_DIR / "verification"),
                         ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_verification_imports_no_private_theory_name(path):
    """Neither ``from memlab.theory.gmm import _x`` nor ``rhm._x`` on an imported theory module."""
    bad = [(n, line) for n, line in _imported_names(path)
           if n.startswith("memlab.theory") and any(part.startswith("_") for part in n.split("."))]
    tree = ast.parse(path.read_text())
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("memlab.theory"):
            aliases |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.asname and a.name.startswith("memlab.theory")}
    bad += [(f"{node.value.id}.{node.attr}", node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in aliases and node.attr.startswith("_")
            and not node.attr.startswith("__")]
    assert bad == []


def test_no_top_level_theory_or_verification_outside_the_checkout(tmp_path):
    """Only ``memlab`` is importable: no generic top-level ``theory`` or ``verification``."""
    out = _run("import importlib.util as u; print(u.find_spec('theory'), u.find_spec('verification'))",
               cwd=tmp_path)
    assert out.split() == ["None", "None"]


def test_import_theory_is_fast(tmp_path):
    out = _run("import time; t = time.perf_counter(); import memlab.theory; "
               "print(time.perf_counter() - t)", cwd=tmp_path)
    assert float(out) < 0.5


def test_theory_modules_do_not_import_scipy_stats(tmp_path):
    """scipy.stats takes about 1.4 s to import; the theory modules use scipy.special
    quantiles instead and import scipy.stats only inside the functions that need it."""
    out = _run(f"import sys; import {', '.join(THEORY)}; print('scipy.stats' in sys.modules)",
               cwd=tmp_path)
    assert out.strip() == "False"


def test_lazy_exports():
    import memlab.theory as theory
    assert memlab.crossover_point is importlib.import_module("memlab.theory.gmm").crossover_point
    assert theory.rhm is importlib.import_module("memlab.theory.rhm")
    for name, sub in theory._EXPORTS.items():           # each name is defined where listed
        obj = getattr(memlab, name)
        assert obj is getattr(theory, name)
        assert obj.__module__.startswith(f"memlab.theory.{sub}"), (name, obj.__module__)
    on_disk = {p.stem if p.suffix == ".py" else p.name for p in (PACKAGE_DIR / "theory").iterdir()
               if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").is_file())}
    assert set(theory._SUBMODULES) == on_disk
    assert set(theory.__all__) == on_disk | set(theory._EXPORTS)
    with pytest.raises(AttributeError, match="no attribute 'metrics'"):
        memlab.metrics                                    # submodules only under memlab.theory
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        memlab.nope
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        theory.nope


def test_version(tmp_path):
    from importlib.metadata import version
    assert memlab.__version__ == version("memlab")
    out = subprocess.run([sys.executable, "-m", "memlab", "--version"], capture_output=True,
                         text=True, check=True, cwd=tmp_path).stdout
    assert out.strip() == f"memlab {memlab.__version__}"


@pytest.mark.parametrize("name", modules(private=True))
def test_docstring_examples(name):
    """Every public module has docstring examples, and the examples of every module pass.

    Private modules (the parts behind a public one) may have none of their own.
    """
    if name.startswith("memlab.verification.training.") and importlib.util.find_spec("torch") is None:
        pytest.skip("torch (the 'train' extra) is not installed")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    if name in PUBLIC:
        assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0


def _text_files():
    out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=PACKAGE_DIR.parent)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [PACKAGE_DIR.parent / f for f in out.stdout.split()
            if f.endswith((".py", ".md", ".yml", ".toml", ".txt", ".cfg"))]


def test_sources_have_no_control_characters():
    """A docstring written through a non-raw string turns \\nu, \\frac, \\beta into control
    characters: none may be in a source or docs file."""
    bad = [f"{p.relative_to(PACKAGE_DIR.parent)}:{i}"
           for p in _text_files() if p.is_file() and not p.is_symlink()
           for i, line in enumerate(p.read_text().splitlines(), 1)
           if any(ord(c) < 32 and c != "\t" for c in line)]
    assert bad == []
