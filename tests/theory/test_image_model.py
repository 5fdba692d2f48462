"""The low-rank image mixture (memlab.theory.image_model; Buchanan et al. 2025, Sec. 4.2, App. H.4).

The low-rank denoiser is compared with the dense formula (explicit covariances, np.linalg)
and with an independent Monte Carlo estimate of E[y0 | y_t]; the samples with the exact
mean and covariance.
"""

import numpy as np
import pytest

from memlab.theory.gmm import empirical_denoiser
from memlab.theory.image_model import (TEMPLATE_KINDS, ImageData, ImageModel, _dense_denoiser,
                                       image_model, low_rank_denoiser, make_templates,
                                       mixture_moments, sample_images)
from memlab.verification.image_model import monte_carlo_posterior_mean


def _noisy(data, t, n, seed):
    rng = np.random.default_rng(seed)
    return np.sqrt(1 - t * t) * data.images[:n] + t * rng.standard_normal((n, data.images.shape[1]))


def test_templates_are_deterministic_shapes_in_unit_interval():
    x = make_templates(8, 15, seed=3)
    assert x.shape == (8, 15, 15) and x.min() >= 0.0 and x.max() <= 1.0
    assert np.all(x.reshape(8, -1).max(axis=1) > 0.5)              # no empty template
    assert np.array_equal(x, make_templates(8, 15, seed=3))
    assert not np.array_equal(x, make_templates(8, 15, seed=4))
    flat = x[:len(TEMPLATE_KINDS)].reshape(len(TEMPLATE_KINDS), -1)
    gram = flat @ flat.T / np.outer(np.linalg.norm(flat, axis=1), np.linalg.norm(flat, axis=1))
    assert np.all(gram[~np.eye(len(TEMPLATE_KINDS), dtype=bool)] < 0.99)   # different shapes


@pytest.mark.parametrize("s2", [1.0, 1e-6])
@pytest.mark.parametrize("t", [1e-3, 0.05, 0.36, 0.7, 0.999])
def test_low_rank_denoiser_equals_the_dense_formula(t, s2):
    """Woodbury + determinant lemma against explicit (c p) x (c p) covariances: 1e-10 relative
    (measured: at most 9e-12, at t = 1e-3 with s^2 = 1, where the dense solve has condition
    number about 1e8)."""
    model = image_model(4, size=15, colour_mean=np.array([[0.5, -1.0, 0.2]] * 4)
                        * np.arange(4)[:, None], colour_var=s2, seed=0)
    data = sample_images(model, 6, seed=1)
    y = _noisy(data, t, 6, seed=2)
    fast = low_rank_denoiser(t, y, model.templates, model.colour_means, model.colour_var)
    dense = _dense_denoiser(t, y, model.templates, model.colour_means, model.colour_var)
    rel = np.linalg.norm(fast - dense, axis=1) / np.linalg.norm(dense, axis=1)
    assert rel.max() < 1e-10


def test_low_rank_denoiser_per_component_variances_and_times():
    model = image_model(3, size=6, n_colours=2, colour_mean=[1.0, -0.5],
                        colour_var=[0.5, 2.0, 1e-4], seed=5)
    data = sample_images(model, 5, seed=6)
    ts = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
    z = np.random.default_rng(7).standard_normal(data.images.shape)
    y = np.sqrt(1 - ts * ts)[:, None] * data.images + ts[:, None] * z
    fast = low_rank_denoiser(ts, y, model.templates, model.colour_means, model.colour_var)
    for i, t in enumerate(ts):
        dense = _dense_denoiser(t, y[i], model.templates, model.colour_means, model.colour_var)
        assert np.linalg.norm(fast[i] - dense) <= 1e-10 * np.linalg.norm(dense)


def test_zero_colour_variance_is_the_empirical_denoiser():
    """s^2 = 0 with one component per training image (its template and colour) is the
    memorizing denoiser of memlab.theory.gmm."""
    model = image_model(4, seed=0)
    data = sample_images(model, 12, seed=1)
    for t in (1e-3, 0.3, 0.9):
        y = _noisy(data, t, 12, seed=2)
        low = low_rank_denoiser(t, y, model.flat_templates[data.labels], data.colours, 0.0)
        emp = empirical_denoiser(t, y, data.images)
        assert np.max(np.abs(low - emp)) <= 1e-9 * np.max(np.abs(emp))


def test_extreme_times_are_finite_with_the_right_limits():
    model = image_model(4, colour_mean=0.3, seed=0)
    data = sample_images(model, 4, seed=1)
    y = data.images
    for s2 in (1.0, 1e-12, 0.0):
        tiny = low_rank_denoiser(1e-200, y, model.templates, model.colour_means, s2)
        assert np.all(np.isfinite(tiny))
        if s2 > 0:                      # t -> 0: y itself (it lies in its component's span)
            assert np.allclose(tiny, y, rtol=0, atol=1e-9)
        near_one = low_rank_denoiser(1 - 1e-15, y, model.templates, model.colour_means, s2)
        # t -> 1: the prior mean, the average of the component means (up to O(alpha_t))
        assert np.allclose(near_one, model.means.mean(axis=0), rtol=0, atol=1e-6)


@pytest.mark.parametrize("t", [0.4, 0.7, 0.95])
def test_low_rank_denoiser_equals_monte_carlo(t):
    """Against self-normalised importance sampling from the generative model alone
    (memlab.verification.image_model.monte_carlo_posterior_mean: prior colour draws
    weighted by the likelihood of y_t): every coordinate within 5 standard errors (the
    delta-method s.e. of the ratio estimator; over 675 correlated coordinates
    the largest |z| of an exact estimator exceeds 5 with probability below 1e-3). Measured
    max |z|: 1.1-2.5 over the six points."""
    model = image_model(4, colour_mean=[0.5, -0.5, 0.0], seed=0)
    data = sample_images(model, 2, seed=11)
    rng = np.random.default_rng(12)
    y = _noisy(data, t, 2, seed=13)
    exact = low_rank_denoiser(t, y, model.templates, model.colour_means, model.colour_var)
    for i in range(2):
        est, se = monte_carlo_posterior_mean(t, y[i], model, n_draws=100_000, seed=rng)
        keep = se > 0
        z = (est[keep] - exact[i][keep]) / se[keep]
        assert np.max(np.abs(z)) < 5.0, np.max(np.abs(z))
        # coordinates where no draw contributes: zero pixels of the templates that matter
        assert np.all(np.abs(exact[i][~keep]) <= 1e-12 * np.abs(exact[i]).max())


def test_samples_have_the_mixture_mean_and_covariance():
    """Sample mean and variances along random directions within 5 standard errors of
    mixture_moments (the s.e. of a variance from the sample fourth moment)."""
    model = image_model(3, size=5, colour_mean=np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0],
                                                          [0.5, 0.5, 0.5]]),
                        colour_var=[1.0, 0.25, 2.0], seed=1)
    n = 40_000
    data = sample_images(model, n, seed=2)
    mean, cov = mixture_moments(model)
    sd = np.sqrt(np.diag(cov))
    keep = sd > 0
    z = (data.images.mean(0)[keep] - mean[keep]) / (sd[keep] / np.sqrt(n))
    assert np.max(np.abs(z)) < 5.0
    rng = np.random.default_rng(3)
    for _ in range(5):
        u = rng.standard_normal(model.dim)
        u /= np.linalg.norm(u)
        proj = (data.images - mean) @ u
        m2, m4 = (proj ** 2).mean(), (proj ** 4).mean()
        assert abs(m2 - u @ cov @ u) < 5.0 * np.sqrt((m4 - m2 ** 2) / n)
    # each image is its colour times its template
    y = data.images[:10].reshape(10, 3, -1)
    assert np.allclose(y, data.colours[:10, :, None] * model.flat_templates[data.labels[:10]][:, None])


def test_results_are_read_only_and_round_trip():
    model = image_model(2, size=4, seed=0)
    data = sample_images(model, 3, seed=1)
    with pytest.raises(ValueError):
        model.templates[0, 0, 0] = 2.0
    again = ImageData.from_json(data.to_json())
    assert isinstance(again.model, ImageModel)
    assert np.array_equal(again.images, data.images) and again.seed == 1
    assert np.array_equal(again.model.templates, model.templates)
    assert model.image_shape == (3, 4, 4) and model.dim == 48 and model.means.shape == (2, 48)


@pytest.mark.parametrize("call, exc, name", [
    (lambda: make_templates("4"), TypeError, "K"),
    (lambda: make_templates(4, 2), ValueError, "size"),
    (lambda: make_templates(4, seed=-1), ValueError, "seed"),
    (lambda: image_model(0), ValueError, "K"),
    (lambda: image_model(2, n_colours=True), TypeError, "n_colours"),
    (lambda: image_model(2, colour_var=-1.0), ValueError, "colour_var"),
    (lambda: image_model(2, colour_var=[1.0, 2.0, 3.0]), ValueError, "colour_var"),
    (lambda: image_model(2, colour_mean=[0.0, 1.0]), ValueError, "colour_mean"),
    (lambda: image_model(2, templates=np.zeros((2, 3, 3))), ValueError, "templates"),
    (lambda: image_model(2, templates=np.ones((3, 3, 3))), ValueError, "templates"),
    (lambda: sample_images("model", 3), TypeError, "model"),
    (lambda: sample_images(image_model(2), 0), ValueError, "N"),
    (lambda: low_rank_denoiser(1.0, np.zeros(6), np.ones((1, 2)), [[0.0, 0.0, 0.0]]),
     ValueError, "t"),
    (lambda: low_rank_denoiser(0.5, np.zeros(5), np.ones((1, 2)), [[0.0, 0.0, 0.0]]),
     ValueError, "y"),
    (lambda: low_rank_denoiser(0.5, "y", np.ones((1, 2)), [[0.0, 0.0, 0.0]]), TypeError, "y"),
    (lambda: low_rank_denoiser(0.5, np.zeros(6), np.zeros((1, 2)), [[0.0, 0.0, 0.0]]),
     ValueError, "templates"),
    (lambda: low_rank_denoiser(0.5, np.zeros(6), np.ones((1, 2)), [[0.0, 0.0, 0.0]] * 2),
     ValueError, "colour_means"),
    (lambda: low_rank_denoiser(0.5, np.zeros(6), np.ones((1, 2)), [[0.0, 0.0, 0.0]], -1.0),
     ValueError, "colour_var"),
    (lambda: low_rank_denoiser([0.5, 0.5], np.zeros((3, 6)), np.ones((1, 2)), [[0.0] * 3]),
     ValueError, "t"),
    (lambda: mixture_moments(None), TypeError, "model"),
])
def test_validation_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}\b"):
        call()
