"""Every public plot function composes: it takes a keyword-only ``ax`` (one panel) or ``fig``
(several panels), returns the Figure it drew on, and uses no pyplot state. (That each one
draws on the Axes it is given is tested next to its module, with real data.)"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from memlab._inventory import modules


def _plot_functions():
    out = {}
    for name in modules():
        if not name.startswith("memlab.verification"):
            continue
        try:
            mod = importlib.import_module(name)
        except ImportError:                       # torch-only modules without torch
            continue
        for fname in getattr(mod, "__all__", []):
            obj = getattr(mod, fname)
            if fname.startswith("plot_") and inspect.isfunction(obj):
                out[f"{obj.__module__}.{fname}"] = obj
    return dict(sorted(out.items()))


PLOTS = _plot_functions()


def test_there_are_plot_functions():
    assert len(PLOTS) >= 10


@pytest.mark.parametrize("qualname", sorted(PLOTS))
def test_plot_takes_ax_or_fig_and_returns_a_figure(qualname):
    func = PLOTS[qualname]
    sig = inspect.signature(func)
    target = [p for p in sig.parameters.values() if p.name in ("ax", "fig")]
    assert target, f"{qualname} takes neither ax= nor fig="
    assert all(p.kind is p.KEYWORD_ONLY and p.default is None for p in target)
    assert "Figure" in str(sig.return_annotation)
    source = inspect.getsource(func)
    assert not re.search(r"import matplotlib\.pyplot|from matplotlib import pyplot|\bplt\.",
                         source)
