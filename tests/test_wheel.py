"""The built wheel, installed into a fresh virtual environment (no editable install), is complete.

The wheel is built from a copy of the source tree, installed with ``--no-deps`` into a new
venv whose only other packages are the test environment's (numpy, scipy, torch, ... made
visible through a ``.pth`` file, so nothing is downloaded), and run from a directory outside
the checkout: every module of the source tree must import from the wheel, the console
script must work, and no top-level ``theory`` or ``verification`` may exist.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

import memlab
from memlab._inventory import modules

ROOT = Path(__file__).resolve().parents[1]
_SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "site", "*.egg-info",
                               "__pycache__", ".hypothesis", ".pytest_cache", "memlab-report",
                               "memlab-out", "results")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, memlab script, run directory) of a fresh venv holding only the built wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_SKIP)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    str(src), "-w", str(tmp / "dist")], check=True, capture_output=True)
    (wheel,) = (tmp / "dist").glob("memlab-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(site, "_memlab_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    run_dir = tmp / "elsewhere"
    run_dir.mkdir()
    return python, env_dir / "bin" / "memlab", run_dir


def _run(cmd, cwd, check=True):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          check=check, env=env)


def test_wheel_has_every_module_of_the_source_tree(installed):
    python, _, cwd = installed
    code = ("import importlib, json, memlab; from memlab._inventory import modules; "
            "names = modules(private=True); [importlib.import_module(n) for n in names]; "
            "print(json.dumps([memlab.__file__, memlab.__version__, names, "
            "memlab.crossover_point(200, 50, 12)]))")
    path, version, names, mstar = json.loads(_run([python, "-c", code], cwd).stdout)
    assert Path(path).is_relative_to(python.parents[1])          # the wheel's copy, not the checkout
    assert names == modules(private=True)                         # nothing left out of the wheel
    assert version == memlab.__version__
    assert mstar == pytest.approx(153.8, abs=0.05)


def test_wheel_console_script(installed):
    python, script, cwd = installed
    assert "report" in _run([script, "--help"], cwd).stdout
    assert "--N" in _run([script, "train", "gmm", "--help"], cwd).stdout
    assert _run([script, "--version"], cwd).stdout.strip() == f"memlab {memlab.__version__}"
    assert _run([python, "-m", "memlab", "--version"], cwd).stdout.strip() == \
        f"memlab {memlab.__version__}"


@pytest.mark.parametrize("name", ["theory", "verification"])
def test_wheel_installs_no_generic_top_level_package(installed, name):
    python, _, cwd = installed
    res = _run([python, "-c", f"import {name}"], cwd, check=False)
    assert res.returncode != 0 and "ModuleNotFoundError" in res.stderr
