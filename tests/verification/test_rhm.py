"""verification/rhm.py: enumeration, level accuracy, generation errors, plots, CLI."""

import numpy as np
import pytest

from memlab.theory import rhm
from memlab.verification import rhm as vr
from memlab.verification.cli import main


def test_enumeration_is_independent_of_generate():
    g = rhm.sample_grammar(3, 2, 2, 3, seed=4)
    x, latents = vr.enumerate_strings(g)
    assert x.shape == (rhm.num_strings(3, 2, 2, 3), 8)
    parsed = rhm.parse(g, x)
    assert all(np.array_equal(parsed.symbols[l], latents[l]) for l in range(3))
    with pytest.raises(ValueError, match="^grammar must have at most"):
        vr.enumerate_strings(rhm.sample_grammar(16, 4, 2, 3, seed=0))


def test_level_accuracy_limits_and_ordering():
    g = rhm.sample_grammar(8, 2, 2, 4, seed=0)
    res = vr.denoiser_accuracy_by_level(g, [0.0, 0.5, 1.0], n_strings=400, seed=1)
    assert np.all(res.accuracy[0] == 1.0)                  # no noise: every level exact
    # full noise: the root is guessed from the prior alone (chance 1/v)
    assert abs(res.accuracy[2, 0] - 1 / 8) < 4 * np.sqrt(1 / 8 * 7 / 8 / 400)
    assert np.all((res.accuracy[1] > 0.125) & (res.accuracy[1] < 1.0))
    # the root is the hardest level at intermediate noise
    assert res.accuracy[1, 0] < res.accuracy[1, 2]


def test_generation_errors_fall_with_steps_and_count_copies():
    g = rhm.sample_grammar(8, 2, 2, 3, seed=0)
    train = rhm.generate(g, 32, distinct=True, seed=1)
    res = vr.generation_errors(g, [3, 60], n_samples=400, train=train, seed=2)
    assert res.errors.shape == (2, 3) and np.all(np.diff(res.errors, axis=1) >= 0)
    assert res.errors[1, -1] < res.errors[0, -1] - 0.2
    assert np.all((res.copies >= 0) & (res.copies < 0.2))


def test_throughput_is_positive():
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    assert vr.bp_throughput(g, batch=16, repeat=1) > 0


def test_plots(check_figure):
    g = rhm.sample_grammar(8, 2, 2, 3, seed=0)
    check_figure(vr.plot_denoiser_accuracy(
        vr.denoiser_accuracy_by_level(g, [0.0, 0.5, 0.9], n_strings=50, seed=0), g))
    check_figure(vr.plot_generation_errors(vr.generation_errors(g, [2, 8], n_samples=50, seed=0)))


@pytest.fixture(scope="module")
def plot_inputs():
    g = rhm.sample_grammar(8, 2, 2, 3, seed=0)
    train = rhm.generate(g, 32, distinct=True, seed=1)
    return (g, vr.denoiser_accuracy_by_level(g, [0.0, 0.5, 0.9], n_strings=50, seed=0),
            vr.generation_errors(g, [2, 8], n_samples=50, train=train, seed=0))


PLOTS = {
    "plot_denoiser_accuracy": lambda g, acc, gen, **kw: vr.plot_denoiser_accuracy(acc, g, **kw),
    "plot_generation_errors": lambda g, acc, gen, **kw: vr.plot_generation_errors(gen, **kw),
}


@pytest.mark.parametrize("name", PLOTS)
def test_plot_draws_on_the_callers_axes(name, plot_inputs):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    fig = PLOTS[name](*plot_inputs, ax=ax)
    assert fig is ax.figure and fig.axes == [ax]
    assert ax.lines or ax.collections
    assert fig.get_suptitle() == ""


@pytest.mark.parametrize("name", PLOTS)
def test_plot_rejects_a_non_axes_and_leaves_pyplot_alone(name, plot_inputs):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    with pytest.raises(TypeError, match="^ax must be a matplotlib Axes"):
        PLOTS[name](*plot_inputs, ax="x")
    before = plt.get_fignums()
    fig = PLOTS[name](*plot_inputs)
    assert isinstance(fig, Figure) and plt.get_fignums() == before


def test_plots_carry_the_setting_and_the_references(plot_inputs):
    g, acc, gen = plot_inputs
    ax = vr.plot_denoiser_accuracy(acc, g).axes[0]
    assert "v = 8, m = 2, s = 2, L = 3" in ax.get_title() and "50 strings" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("chance" in t for t in labels) and any("token read alone" in t for t in labels)
    # the no-grammar reference: observed token correct with probability abar + (1 - abar)/v
    ref = next(ln for ln in ax.lines if "token read alone" in ln.get_label())
    q, y = ref.get_data()
    assert np.allclose(y, 1 - q + q / 8)
    ax = vr.plot_generation_errors(gen, grammar=g).axes[0]
    assert "50 strings per T" in ax.get_title() and "L = 3" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    rate = 32 / rhm.num_strings(8, 2, 2, 3)
    assert any(f"{rate:.3g}" in t for t in labels) and any("exact samples" in t for t in labels)
    with pytest.raises(ValueError, match="^grammar must be the grammar of result"):
        vr.plot_denoiser_accuracy(acc, rhm.sample_grammar(8, 2, 2, 2, seed=0))
    with pytest.raises(ValueError, match="^grammar must be the grammar of result"):
        vr.plot_generation_errors(gen, grammar=rhm.sample_grammar(8, 2, 2, 2, seed=0))
    with pytest.raises(TypeError, match="^grammar must be a Grammar"):
        vr.plot_generation_errors(gen, grammar=3)


def test_cli_rhm(capsys):
    assert main(["rhm", "--v", "16", "--m", "4", "--s", "2", "--L", "3", "--batch", "64",
                 "--generate", "--steps", "20", "--n-samples", "50", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "distinct strings v m^((d-1)/(s-1)) = 262144" in out
    assert "layer 3: P*_3 = 4096" in out
    assert "strings/s" in out and "fraction not valid up to layer 1:" in out
    assert main(["rhm", "--v", "4", "--m", "5"]) == 2
    assert "m must be <= v^(s-1) = 4" in capsys.readouterr().err


def test_enumeration_rejects_a_non_grammar_naming_it():
    with pytest.raises(TypeError, match="^grammar must be a Grammar, got str$"):
        vr.enumerate_strings("grammar")
