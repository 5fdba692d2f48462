"""Per-pixel Delta of the onset paper's Sec. 4 and the small DDPM
(verification/training/pixel_diffusion.py)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from memlab.verification.training import pixel_diffusion as pd  # noqa: E402


def _kde(x, centres, eps):
    """Per-coordinate 1-D KDE at the points x (G,), shape (G, d)."""
    z = (x[:, None, None] - centres[None]) / eps
    return np.exp(-0.5 * z * z).mean(axis=1) / (np.sqrt(2 * np.pi) * eps)


def test_pixel_distances_exact_against_quadrature():
    """The closed-form 1-D overlaps against trapezoid integration on a grid that resolves
    the narrowest kernel (sigma / m = 0.01 / 2 with sigma = 0.1 and 20 points: 40 grid
    points per width), to 1e-8 relative."""
    rng = np.random.default_rng(0)
    g, t, o = (0.5 + 0.1 * rng.standard_normal((m, 3)) for m in (10, 8, 20))
    r = pd.pixel_distances(g, t, o)
    x = np.linspace(-0.5, 1.5, 400_001)
    rg = _kde(x, g, 0.1 / 10)
    for a, ref in ((t, r.E_TG), (o, r.E_OG)):
        f = (_kde(x, a, 0.1 / len(a)) - rg) ** 2
        assert ref == pytest.approx(np.trapezoid(f, x, axis=0).sum(), rel=1e-8)
    assert r.eps == pytest.approx((0.1 / 8, 0.1 / 20, 0.1 / 10))


def test_pixel_distances_grid_is_the_papers_midpoint_sum():
    rng = np.random.default_rng(1)
    g, t, o = (0.5 + 0.1 * rng.standard_normal((m, 2)) for m in (10, 10, 100))
    r = pd.pixel_distances(g, t, o)
    s = (np.arange(16) + 0.5) / 16
    rg = _kde(s, g, 0.01)
    assert r.E_TG_grid == pytest.approx(((_kde(s, t, 0.01) - rg) ** 2).sum() / 16, rel=1e-12)
    assert r.E_OG_grid == pytest.approx(((_kde(s, o, 0.001) - rg) ** 2).sum() / 16, rel=1e-12)



def test_pixel_grid_is_not_translation_invariant():
    """The exact distances do not change when every image is shifted by half a grid step
    (1/32); the paper's 16-point sums do, by 2-100% over six draws (kernels of width
    sigma / m = 0.01 and 0.001 against a step of 0.0625), and the sign of the grid Delta
    flips in some draws."""
    changes, flips = [], 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        g, t, o = (0.5 + 0.1 * rng.standard_normal((m, 8)) for m in (10, 10, 100))
        r, r2 = pd.pixel_distances(g, t, o), pd.pixel_distances(g + 1 / 32, t + 1 / 32, o + 1 / 32)
        assert r2.E_TG == pytest.approx(r.E_TG, rel=1e-12)
        assert r2.E_OG == pytest.approx(r.E_OG, rel=1e-12)
        changes.append(abs(r2.E_OG_grid / r.E_OG_grid - 1))
        flips += (r.E_TG_grid > r.E_OG_grid) != (r2.E_TG_grid > r2.E_OG_grid)
    assert max(changes) > 0.3 and flips >= 1


def test_pixel_distances_validation():
    a = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="train"):
        pd.pixel_distances(a, np.ones((3, 3)), a)
    with pytest.raises(ValueError, match="sigma"):
        pd.pixel_distances(a, a, a, sigma=0.0)
    with pytest.raises(TypeError, match="original"):
        pd.pixel_distances(a, a, "x")


@pytest.fixture(scope="module")
def small_curve():
    torch.set_num_threads(1)
    return pd.pixel_onset_curve([10, 200], d=8, trials=2, n_original=400, n_compare=50,
                                epochs=100, width=64, seed=0)


def test_pixel_curve_shapes_reproducible_and_learning(small_curve):
    c = small_curve
    assert c.E_OG.shape == (2, 2) and c.scaled_E_OG[0] == 1.0
    assert np.all(c.E_TG > 0) and np.all(c.E_OG_grid >= 0)
    np.testing.assert_array_equal(c.p_delta, (c.E_TG > c.E_OG).mean(axis=1))
    # trained on 200 images for 100 epochs, the generated pixels approach N(0.5, 0.1^2)
    # (measured: standard deviation 0.077, largest mean error 0.056 over 10 images)
    assert c.gen_std[1] == pytest.approx(0.1, rel=0.4) and c.gen_mean_error[1] < 0.12
    again = pd.pixel_onset_curve([10, 200], d=8, trials=2, n_original=400, n_compare=50,
                                 epochs=100, width=64, seed=0)
    np.testing.assert_array_equal(c.E_OG, again.E_OG)


def test_pixel_curve_validation():
    with pytest.raises(ValueError, match="n_original"):
        pd.pixel_onset_curve([10], n_original=10, n_compare=20)
    with pytest.raises(ValueError, match="n_values"):
        pd.pixel_onset_curve([0])
    with pytest.raises(TypeError, match="n_values"):
        pd.pixel_onset_curve("10")
    with pytest.raises(ValueError, match="device"):
        pd.pixel_onset_curve([10], device="nonsense")


def test_pixel_plot(small_curve, check_figure):
    from matplotlib.figure import Figure

    fig = Figure()
    assert pd.plot_pixel_onset([small_curve], fig=fig) is fig
    assert all(ax.lines for ax in fig.axes) and len(fig.axes) == 2
    assert "onset paper" in fig.axes[0].get_title().lower()
    check_figure(pd.plot_pixel_onset([small_curve]))
    with pytest.raises(TypeError, match="fig"):
        pd.plot_pixel_onset([small_curve], fig="x")
    with pytest.raises(TypeError, match="curves"):
        pd.plot_pixel_onset([1])
