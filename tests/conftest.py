"""Shared test configuration.

* A deterministic hypothesis profile ("memlab", loaded by default): derandomized
  examples, no deadline (numba compiles on first call), so the suite gives the
  same verdict on every run. Set HYPOTHESIS_PROFILE=explore for random search.
* Warnings are errors (``filterwarnings = error`` in pyproject.toml).
"""

import io
import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile(
    "memlab", derandomize=True, deadline=None, max_examples=40, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "memlab"))


@pytest.fixture
def check_figure():
    """Assert that a plotting function returned a labelled matplotlib Figure that renders."""
    from matplotlib.figure import Figure

    def check(fig):
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert buf.tell() > 1000

    return check
