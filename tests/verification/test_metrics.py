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


def test_phase_diagram_honours_ax():
    from matplotlib.figure import Figure

    from memlab.verification.metrics import plot_phase_diagram
    fig = Figure()
    ax = fig.add_subplot(1, 2, 1)
    other = fig.add_subplot(1, 2, 2)
    assert plot_phase_diagram([10, 100], n_grid=10, ax=ax) is fig
    assert ax.lines and ax.collections
    assert not other.lines and not other.collections and not fig.texts


def test_phase_diagram_rejects_bad_ax():
    from memlab.verification.metrics import plot_phase_diagram
    with pytest.raises(TypeError, match="ax"):
        plot_phase_diagram([10, 100], n_grid=10, ax="x")


def test_phase_diagram_default_figure_not_in_pyplot():
    import inspect

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from memlab.verification import metrics
    before = plt.get_fignums()
    fig = metrics.plot_phase_diagram([10, 100], tau_mem_per_P=2.0, n_grid=10)
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    title = fig.axes[0].get_title()
    assert "Favero et al. 2025, Fig. 6" in title and "c = 2" in title and "10, 100" in title
    src = inspect.getsource(metrics.plot_phase_diagram)
    assert "matplotlib.pyplot" not in src and "plt." not in src


def test_phase_diagram_labels_boundaries():
    from memlab.verification.metrics import plot_phase_diagram
    ax = plot_phase_diagram([10, 100], tau_star=[20, 50], n_grid=10).axes[0]
    texts = [t.get_text() for t in ax.texts]
    for s in (r"$P^*_1$", r"$P^*_2$", r"$\tau^*_1$", r"$\tau^*_2$"):
        assert s in texts
    assert r"$\tau^*_\ell$ = 20, 50" in ax.get_title()
