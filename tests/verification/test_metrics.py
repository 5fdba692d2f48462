"""The phase-diagram figure (memlab.verification.metrics)."""


def test_phase_diagram_plot(check_figure):
    from memlab.verification.metrics import plot_phase_diagram
    check_figure(plot_phase_diagram([10, 100, 1000], tau_mem_per_P=4.0, n_grid=60))
