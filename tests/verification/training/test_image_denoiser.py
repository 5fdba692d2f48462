"""Trained low-rank image denoisers (memlab.verification.training.image_denoiser; Buchanan et al.
2025, Sec. 4.2, Fig. 5). Smoke tests of a few seconds; the sweep behind docs/image_model.md is
committed under docs/results/image_model/."""

import importlib.util

import numpy as np
import pytest
from matplotlib.figure import Figure

from memlab.theory.image_model import image_model, low_rank_denoiser, sample_images
from memlab.theory.metrics import memorization_ratio
from memlab.verification.training import image_denoiser as idn

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="torch is not installed")


@pytest.fixture(scope="module")
def data():
    return sample_images(image_model(2, size=5, seed=0), 16, seed=1)


@needs_torch
def test_training_learns_from_the_partial_memorization_initialization(data):
    """From the partial memorization initialization (s^2 = 1e-6) the objective falls more
    than tenfold, the colour variance grows, the templates stay close to the true ones
    (they start there), and a second run with the same seed is identical."""
    run = idn.train_image_denoiser(data, 4, epochs=100, seed=3)
    assert run.loss[-10:].mean() < 0.1 * run.loss[:10].mean()
    assert run.colour_var > 5e-6
    true = data.model.flat_templates
    cos = (run.templates @ true.T) / np.outer(np.linalg.norm(run.templates, axis=1),
                                             np.linalg.norm(true, axis=1))
    assert np.all(cos.max(axis=1) > 0.95)
    again = idn.train_image_denoiser(data, 4, epochs=100, seed=3)
    assert np.array_equal(run.loss, again.loss)                 # reproducible
    assert run.n_times == 26 and run.seconds > 0
    with pytest.raises(ValueError, match="^M must be <= N"):
        idn.train_image_denoiser(data, 17)


@needs_torch
def test_full_memorizer_stays_a_memorizer(data):
    """M = N components at the N training images with s^2 = 1e-6 and a tiny learning rate:
    every DDIM sample is a copy."""
    run = idn.train_image_denoiser(data, 16, epochs=3, lr=1e-6, lr_variance=1e-6, seed=0)
    xs = idn.ddim_sample_images(run.templates, run.colour_means, run.colour_var, 50, seed=1)
    assert memorization_ratio(xs, data.images) == 1.0


def test_ddim_of_the_true_mixture_generalizes(data):
    m = data.model
    xs = idn.ddim_sample_images(m.templates, m.colour_means, m.colour_var, 200, seed=2)
    assert memorization_ratio(xs, data.images) < 0.15
    # the samples lie on the templates' spans: y = c (x) x_k for some k
    y = xs.reshape(200, m.n_colours, -1)
    X = m.flat_templates
    resid = [np.min([np.linalg.norm(yy - np.outer(yy @ x / (x @ x), x)) for x in X]) for yy in y]
    assert np.max(resid) < 1e-2 * np.max(np.linalg.norm(xs, axis=1))


@needs_torch
def test_sweep_records_losses_and_plots(tmp_path):
    sweep = idn.image_memorization_sweep(8, 2, size=4, M_values=[2, 8], epochs=20, n_eval=20,
                                         n_test=6, n_loss_noise=2, n_times=3)
    assert sweep.M.tolist() == [2, 8] and sweep.ratio.shape == (2,)
    assert sweep.pmem_train[-1] == sweep.mem_train          # M = N is the memorizer
    assert sweep.mem_train < sweep.gen_train                # on its own training images
    assert np.all(sweep.seconds > 0)
    again = idn.ImageSweep.from_json(sweep.to_json(tmp_path / "s.json"))
    assert np.array_equal(again.train_loss, sweep.train_loss)
    fig = Figure()
    out = idn.plot_image_sweep(sweep, 5.0, fig=fig)
    assert out is fig and len(fig.axes) == 3 and all(ax.lines for ax in fig.axes)
    with pytest.raises(TypeError, match="fig"):
        idn.plot_image_sweep(sweep, fig="x")
    with pytest.raises(TypeError, match="^sweep"):
        idn.plot_image_sweep("sweep")


def test_validation_names_the_argument(data):
    with pytest.raises(TypeError, match="^data"):
        idn.train_image_denoiser(data.images, 2)
    with pytest.raises(ValueError, match="^n_samples"):
        idn.ddim_sample_images(data.model.templates, data.model.colour_means, 1.0, 0)
    with pytest.raises(ValueError, match="^colour_var"):
        idn.ddim_sample_images(data.model.templates, data.model.colour_means, -1.0, 2)
    with pytest.raises(ValueError, match="^K"):
        idn.image_memorization_sweep(4, 5)
    with pytest.raises(ValueError, match=r"^M_values\[0\]"):
        idn.image_memorization_sweep(4, 2, M_values=[5])
    assert low_rank_denoiser is not None
