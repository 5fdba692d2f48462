"""Checks and figures of the onset paper's linear diffusion model (verification/linear_diffusion.py)."""

from memlab.theory.linear_diffusion import expected_hellinger, p_delta_curve
from memlab.verification import linear_diffusion as vl
from memlab.verification.mixing import collapse_times


def test_plots(check_figure):
    hel = {8: ([4, 16], [expected_hellinger(n, 8, trials=20, seed=0) for n in (4, 16)])}
    check_figure(vl.plot_hellinger_vs_n(hel))
    check_figure(vl.plot_p_delta_vs_n([p_delta_curve([8, 40], 8, n_original=300, trials=20, seed=0)]))
    check_figure(vl.plot_bandwidths_vs_d(1.0, 1e4, dims=[1, 4, 16, 64]))
    check_figure(vl.plot_collapse_times({0.3: [collapse_times(8, 11, n_paths=4, n_datasets=2, seed=0)]}))


import numpy as np
import pytest


@pytest.mark.parametrize("dims, exc", [(3, ValueError), ([], ValueError), ([0, 2], ValueError),
                                       ([1.5], ValueError), (np.ones((2, 2)), ValueError),
                                       ("3", TypeError), ([10**7], ValueError)])
def test_bandwidths_dims_checked(dims, exc):
    with pytest.raises(exc, match="dims"):
        vl.plot_bandwidths_vs_d(dims=dims)


@pytest.mark.parametrize("bad, exc", [(None, TypeError), ([], TypeError), ({}, ValueError),
                                      ({0.3: [1]}, TypeError), ({0.3: []}, ValueError)])
def test_collapse_plot_scans_checked(bad, exc):
    with pytest.raises(exc, match="scans"):
        vl.plot_collapse_times(bad)


@pytest.mark.parametrize("bad, exc", [(3, TypeError), ({}, ValueError), ({0: ([4], [])}, ValueError),
                                      ({2: 5}, TypeError), ({2: ([4], [1])}, TypeError),
                                      ({"2": ([4], [])}, TypeError)])
def test_hellinger_plot_results_checked(bad, exc):
    with pytest.raises(exc, match="results"):
        vl.plot_hellinger_vs_n(bad)


def test_hellinger_plot_length_mismatch():
    est = expected_hellinger(4, 2, trials=4, seed=0)
    with pytest.raises(ValueError, match="results"):
        vl.plot_hellinger_vs_n({2: ([4, 8], [est])})


@pytest.mark.parametrize("bad, exc", [(None, TypeError), ([], ValueError), ("3", TypeError),
                                      ([1, 2], TypeError), (np.ones(3), TypeError)])
def test_p_delta_plot_curves_checked(bad, exc):
    with pytest.raises(exc, match="curves"):
        vl.plot_p_delta_vs_n(bad)


# --------------------------------------------------------------------------- plot conventions


@pytest.fixture(scope="module")
def plot_calls():
    """Each plot function of the module as a callable of ``**kw`` (``ax=...``), cheap data."""
    hel = {4: ([4, 8, 32], [expected_hellinger(n, 4, trials=10, seed=0) for n in (4, 8, 32)])}
    curve = p_delta_curve([4, 16], 4, n_original=100, trials=10, seed=0)
    scans = {0.3: [collapse_times(8, 11, n_paths=4, n_datasets=2, seed=0)]}
    return {
        "plot_hellinger_vs_n": lambda **kw: vl.plot_hellinger_vs_n(hel, **kw),
        "plot_p_delta_vs_n": lambda **kw: vl.plot_p_delta_vs_n([curve], **kw),
        "plot_bandwidths_vs_d": lambda **kw: vl.plot_bandwidths_vs_d(1.0, 1e4, [1, 4, 16], **kw),
        "plot_collapse_times": lambda **kw: vl.plot_collapse_times(scans, **kw),
    }


PLOTS = ["plot_hellinger_vs_n", "plot_p_delta_vs_n", "plot_bandwidths_vs_d",
         "plot_collapse_times"]


@pytest.mark.parametrize("name", PLOTS)
def test_plot_honours_ax(plot_calls, name):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot(2, 1, 1)
    other = fig.add_subplot(2, 1, 2)
    assert plot_calls[name](ax=ax) is fig
    assert ax.lines or ax.collections
    assert not other.lines and not other.collections and not fig.texts


@pytest.mark.parametrize("name", PLOTS)
def test_plot_rejects_bad_ax(plot_calls, name):
    with pytest.raises(TypeError, match="ax"):
        plot_calls[name](ax="x")


@pytest.mark.parametrize("name", PLOTS)
def test_plot_default_figure_not_in_pyplot(plot_calls, name, check_figure):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = plt.get_fignums()
    fig = plot_calls[name]()
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    check_figure(fig)
    title = fig.axes[0].get_title()
    assert "seed 00" not in title.lower() and "onset paper" in title.lower()


def test_hellinger_plot_draws_limits_and_setting():
    from memlab.theory.linear_diffusion import hellinger_large_n_limit

    est = [expected_hellinger(n, 4, trials=10, seed=3) for n in (8, 32)]
    ax = vl.plot_hellinger_vs_n({4: ([8, 32], est)}, T=1.0).axes[0]
    ys = [line.get_ydata()[0] for line in ax.lines if len(line.get_ydata())]
    assert any(np.isclose(y, hellinger_large_n_limit(4, T=1.0)) for y in ys)
    assert "T = 1" in ax.get_title() and "10 trials" in ax.get_title()
    assert "seed 3" in ax.get_title()


@pytest.mark.parametrize("kw", [{"T": 0.0}, {"lam": -1.0}, {"sigma": float("nan")}])
def test_hellinger_plot_setting_checked(kw):
    est = expected_hellinger(8, 4, trials=4, seed=0)
    with pytest.raises(ValueError, match=next(iter(kw))):
        vl.plot_hellinger_vs_n({4: ([8], [est])}, **kw)


def test_p_delta_plot_labels_transition():
    c = p_delta_curve([8, 16, 32, 64], 8, n_original=300, trials=30, seed=0)
    labels = [line.get_label() for line in vl.plot_p_delta_vs_n([c]).axes[0].lines]
    if np.isfinite(c.transition):
        assert any(s.startswith("transition (P = 1/2): n = ") for s in labels)
    assert "n = d = 8" in labels and "P = 1/2" in labels


def test_plot_sources_use_no_pyplot():
    import inspect

    for name in PLOTS:
        src = inspect.getsource(getattr(vl, name))
        assert "matplotlib.pyplot" not in src and "plt." not in src


# --------------------------------------------------------------------------- E_TG, E_OG: Monte Carlo and figures


def test_monte_carlo_distances_against_grid_d1():
    """The importance-sampling estimate against grid integration in d = 1 (4 s.e.)."""
    from memlab.theory.linear_diffusion import sample_training_set

    Y, X = sample_training_set(20, 1, seed=3)
    orig = np.random.default_rng(4).normal(10.0, 1.0, size=(100, 1))
    g = vl.grid_distances(Y, X, orig, n_grid=8001)
    mc = vl.monte_carlo_distances(Y, X, orig, n_samples=100_000, seed=5)
    assert abs(mc.E_TG - g.E_TG) < 4 * mc.E_TG_stderr
    assert abs(mc.E_OG - g.E_OG) < 4 * mc.E_OG_stderr
    assert mc.E_OG_stderr < 0.02 * mc.E_OG


def test_monte_carlo_distances_needs_a_regular_generated_law():
    from memlab.theory.linear_diffusion import sample_training_set

    Y, X = sample_training_set(5, 8, seed=0)
    orig = 10 + np.random.default_rng(1).standard_normal((50, 8))
    with pytest.raises(ValueError, match="generated_width"):
        vl.monte_carlo_distances(Y, X, orig, n_samples=100)
    mc = vl.monte_carlo_distances(Y, X, orig, n_samples=1000, generated_width="original", seed=0)
    assert mc.E_OG > 0 and np.isfinite(mc.E_OG_stderr)
    with pytest.raises(ValueError, match="n_samples"):
        vl.monte_carlo_distances(Y, X, orig, n_samples=2, generated_width=0.1)


@pytest.fixture(scope="module")
def onset_results():
    from memlab.theory.linear_diffusion import distance_curve, onset_alignment

    curve = distance_curve([4, 8, 16, 32], 4, n_original=200, trials=8, seed=0)
    smooth = distance_curve([4, 8, 16, 32], 4, n_original=200, trials=8, seed=0,
                            generated_width="original")
    align = onset_alignment(8, [4, 6, 9, 12, 16, 24, 32, 48, 64], n_original=500, trials=20,
                            n_boot=10, seed=1)
    return curve, smooth, align


def test_scaled_distances_plot(onset_results, check_figure):
    from matplotlib.figure import Figure

    curve, smooth, _ = onset_results
    fig = Figure()
    ax = fig.add_subplot()
    assert vl.plot_scaled_distances([curve, smooth], ax=ax) is fig
    assert ax.lines and ax.collections
    labels = [line.get_label() for line in ax.lines]
    assert any("exact" in s for s in labels) and any("smoothed" in s for s in labels)
    assert "onset paper" in ax.get_title().lower()
    check_figure(vl.plot_scaled_distances([curve]))
    with pytest.raises(TypeError, match="ax"):
        vl.plot_scaled_distances([curve], ax="x")
    with pytest.raises(TypeError, match="curves"):
        vl.plot_scaled_distances([1])


def test_onset_alignment_plot(onset_results, check_figure):
    from matplotlib.figure import Figure

    _, _, align = onset_results
    fig = Figure()
    assert vl.plot_onset_alignment([align, align], fig=fig) is fig
    panels = [a for a in fig.axes if a.get_xlabel() == "n / d"]
    assert len(panels) == 2 and all(a.lines for a in fig.axes)
    assert "d = 8" in panels[0].get_title()
    assert any(line.get_label().startswith("$n_{1/2}$") for line in panels[0].lines)
    check_figure(vl.plot_onset_alignment([align]))
    with pytest.raises(TypeError, match="fig"):
        vl.plot_onset_alignment([align], fig="x")
    with pytest.raises(ValueError, match="alignments"):
        vl.plot_onset_alignment([])


def test_new_plot_sources_use_no_pyplot():
    import inspect

    for name in ("plot_scaled_distances", "plot_onset_alignment"):
        src = inspect.getsource(getattr(vl, name))
        assert "matplotlib.pyplot" not in src and "plt." not in src


def test_scaled_distances_plot_median(onset_results):
    curve, _, _ = onset_results
    ax = vl.plot_scaled_distances([curve], summary="median").axes[0]
    assert "median" in ax.get_ylabel() and not ax.collections
    with pytest.raises(ValueError, match="summary"):
        vl.plot_scaled_distances([curve], summary="mode")
