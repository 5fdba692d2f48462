"""Package structure: light theory import, dependency direction, docstring examples."""

import doctest
import importlib
import subprocess
import sys

import pytest

THEORY_MODULES = ["theory", "theory.schedules", "theory.gmm", "theory._validation", "theory.mixing",
                  "theory.linear_diffusion", "theory.kernel_scaling", "theory.metrics", "theory.rhm"]


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_theory_does_not_import_verification_numba_or_torch():
    out = _run("import sys, theory, theory.gmm, theory.schedules, theory.mixing, theory.linear_diffusion, "
               "theory.kernel_scaling, theory.metrics, theory.rhm; "
               "print(sorted(m for m in sys.modules if m.split('.')[0] in "
               "('verification', 'numba', 'torch', 'matplotlib')))")
    assert out.strip() == "[]"


def test_import_theory_is_fast():
    out = _run("import time; t = time.perf_counter(); import theory; "
               "print(time.perf_counter() - t)")
    assert float(out) < 0.5


def test_lazy_exports():
    import theory
    assert theory.crossover_point is importlib.import_module("theory.gmm").crossover_point
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        theory.nope


@pytest.mark.parametrize("name", THEORY_MODULES + ["verification.gmm", "verification.mixing",
                                                   "verification.linear_diffusion",
                                                   "verification.kernel_scaling", "verification.rhm",
                                                   "verification.metrics", "verification.report",
                                                   "verification.cli"])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
