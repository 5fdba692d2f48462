"""The phase-diagram figure (memlab.verification.metrics)."""


def test_phase_diagram_plot(check_figure):
    from memlab.verification.metrics import plot_phase_diagram
    check_figure(plot_phase_diagram([10, 100, 1000], tau_mem_per_P=4.0, n_grid=60))


import numpy as np
import pytest


def test_phase_diagram_array_ranges():
    """P_range and tau_range may be numpy arrays (``or`` on an array used to fail)."""
    from memlab.verification.metrics import plot_phase_diagram
    fig = plot_phase_diagram([10, 100], P_range=np.array([1.0, 1e4]),
                             tau_range=np.array([1.0, 1e5]), n_grid=10)
    assert fig.axes[0].get_xlim()[0] <= 1.0


@pytest.mark.parametrize("kw, name", [({"P_star": [1e307]}, "P_star"),
                                      ({"tau_mem_per_P": 1e305}, "tau_mem_per_P"),
                                      ({"P_range": (3, 1)}, "P_range")])
def test_phase_diagram_overflowing_ranges(kw, name):
    from memlab.verification.metrics import plot_phase_diagram
    kw = {"P_star": [10, 100], **kw}
    with pytest.raises(ValueError, match=name):
        plot_phase_diagram(n_grid=10, **kw)
