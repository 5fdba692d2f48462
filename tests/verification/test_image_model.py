"""Checks and figures of the image model (memlab.verification.image_model; Buchanan et al.
2025, Sec. 4.2, Figs. 4-5)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from memlab.theory.gmm import empirical_denoiser
from memlab.theory.image_model import image_model, low_rank_denoiser, sample_images
from memlab.theory.schedules import alpha, sigma
from memlab.verification.image_model import (ImageLossCurves, image_crossover, image_loss_curves,
                                             monte_carlo_posterior_mean,
                                             plot_image_loss_curves, plot_templates_and_samples,
                                             weighted_image_losses)


@pytest.fixture(scope="module")
def tiny():
    data = sample_images(image_model(3, size=5, seed=0), 12, seed=1)
    curves = image_loss_curves(data, timesteps=[0.05, 0.3, 0.7], n_noise=3, seed=2)
    return data, curves


def test_monte_carlo_posterior_mean_agrees_with_the_closed_form():
    model = image_model(3, size=6, colour_mean=[0.3, -0.3, 0.0], seed=4)
    y = np.sqrt(1 - 0.7 ** 2) * sample_images(model, 1, seed=5).images[0] \
        + 0.7 * np.random.default_rng(6).standard_normal(model.dim)
    est, se = monte_carlo_posterior_mean(0.7, y, model, n_draws=50_000, seed=7)
    exact = low_rank_denoiser(0.7, y, model.templates, model.colour_means, model.colour_var)
    keep = se > 0
    assert np.max(np.abs(est - exact)[keep] / se[keep]) < 5.0
    with pytest.raises(ValueError, match="^y"):
        monte_carlo_posterior_mean(0.7, y[:-1], model)
    with pytest.raises(TypeError, match="^model"):
        monte_carlo_posterior_mean(0.7, y, "model")


def test_loss_curves_match_a_direct_computation(tiny):
    """Same noise draws, losses recomputed directly with the theory denoisers."""
    data, curves = tiny
    rng = np.random.default_rng(2)                       # the generator of image_loss_curves
    Y = np.asarray(data.images)
    owner = np.tile(np.arange(12), 3)
    m = data.model
    for l, t in enumerate(curves.timesteps):
        y = alpha(t) * Y[owner] + sigma(t) * rng.standard_normal(Y[owner].shape)
        gen = ((low_rank_denoiser(t, y, m.templates, m.colour_means, m.colour_var)
                - Y[owner]) ** 2).sum(1).mean()
        assert curves.gen[l] == pytest.approx(gen, rel=1e-10)
        for M in (1, 5, 12):
            pm = ((empirical_denoiser(t, y, Y, M) - Y[owner]) ** 2).sum(1).mean()
            assert curves.pmem[l, M - 1] == pytest.approx(pm, rel=1e-9, abs=1e-12)


def test_limits_of_the_loss_curves(tiny):
    """M = N is the memorizer; M = 1 copies image 1 everywhere; the memorizer beats the
    true mixture on its own training set; all losses and standard errors are finite."""
    data, curves = tiny
    Y = np.asarray(data.images)
    assert np.all(np.isfinite(curves.pmem)) and np.all(curves.pmem_se >= 0)
    assert np.all(curves.pmem[:, -1] <= curves.gen)
    one = ((Y - Y[0]) ** 2).sum(1).mean()              # pmem_1 outputs y^1 for every input
    assert np.allclose(curves.pmem[:, 0], one, rtol=1e-12)
    w = weighted_image_losses(curves)
    assert w.mem == w.pmem[-1] and w.gap[-1] == pytest.approx(w.mem - w.gen)
    assert np.all(np.diff(w.pmem) <= 1e-9 + 4 * w.pmem_se[1:])   # more memorized: lower loss


def test_crossover_on_a_tiny_case(tiny):
    _, curves = tiny
    x = image_crossover(curves)
    w = x.losses
    assert x.crossed and 1.0 <= x.M_star <= curves.N
    assert x.M_low <= x.M_star <= x.M_high
    j = int(np.ceil(x.M_star)) - 1                     # first M with gap <= 0
    assert w.gap[j] <= 0 and np.all(w.gap[:j] > 0)
    # eps weighting puts the weight on small t, where memorizing many images pays less
    assert image_crossover(curves, "eps").M_star >= 1.0
    # a curve that never crosses reports N
    flat = ImageLossCurves(curves.N, curves.K, curves.image_shape, curves.timesteps,
                           curves.gen * 0.0, curves.gen_se,
                           curves.pmem + 1.0, curves.pmem_se, curves.gap_se, 3, 2)
    never = image_crossover(flat)
    assert not never.crossed and never.M_star == curves.N


def test_plots_draw_on_the_given_axes_and_figure(tiny):
    data, curves = tiny
    ax = Figure().add_subplot()
    fig = plot_image_loss_curves(curves, ax=ax)
    assert fig is ax.figure and ax.lines and ax.collections
    target = Figure()
    out = plot_templates_and_samples(data.model, n_rows=2, fig=target)
    assert out is target and len(target.axes) == 3 * 3 and target.axes[0].images
    out = plot_templates_and_samples(data.model, data, n_rows=3)
    assert len(out.axes) == 4 * 3
    with pytest.raises(TypeError, match="ax"):
        plot_image_loss_curves(curves, ax="x")
    with pytest.raises(TypeError, match="fig"):
        plot_templates_and_samples(data.model, fig="x")
    with pytest.raises(ValueError, match="^n_rows"):
        plot_templates_and_samples(data.model, n_rows=0)
    with pytest.raises(TypeError, match="^data"):
        plot_templates_and_samples(data.model, data="x")


def test_validation_names_the_argument(tiny):
    data, curves = tiny
    assert curves.N == data.N
    with pytest.raises(TypeError, match="^data"):
        image_loss_curves(data.images)
    with pytest.raises(ValueError, match="^timesteps"):
        image_loss_curves(data, timesteps=[0.5, 1.0])
    with pytest.raises(ValueError, match="^n_noise"):
        image_loss_curves(data, n_noise=0)
    with pytest.raises(TypeError, match="^curves"):
        weighted_image_losses(data)
    with pytest.raises(ValueError, match="weighting"):
        image_crossover(curves, "nope")
