"""Monte Carlo cross-checks of the GMM laboratory (verification/gmm.py).

Tiers: the numba kernel against the plain numpy denoisers on identical noise
(exact to rounding); reproducibility; statistical agreement of the closed
forms with simulation (fixed seeds, a few standard errors); the documented
breakdown at low SNR and small d; the crossover point.
"""

import math

import numba
import numpy as np
import pytest

from memlab.theory import gmm
from memlab.theory.schedules import alpha, sigma
from memlab.verification import gmm as vg


@pytest.fixture(scope="module")
def paper_curves():
    """The setting of Buchanan et al. (2025), (N, d, K) = (200, 50, 12) on the 26-point grid,
    16 datasets."""
    return vg.simulate_loss_curves(200, 50, 12, n_noise=4, n_datasets=16, seed=11)


# --------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("t", [1e-3, 0.2, 0.6, 0.9, 0.999])
def test_kernel_matches_numpy_denoisers_on_same_noise(t):
    data = gmm.sample_gmm(40, 8, 3, seed=1)
    Zn = np.random.default_rng(2).standard_normal((3, 40, 8))
    gen, pm, pm2, gap2 = vg._accumulate(np.ascontiguousarray(data.x), data.means, 1.0,
                                        alpha(t), sigma(t), Zn)
    n = 3 * 40
    g = gen.sum(0)
    mem = g[2] / n
    ref_gen, ref_pm = vg.baseline_point_losses(data, t, Zn)
    scale = 8.0  # d sigma^2: losses are O(d)
    assert abs((g[0] / n + mem) - ref_gen) < 1e-11 * scale
    np.testing.assert_allclose(pm.sum(0) / n + mem, ref_pm, rtol=0, atol=1e-11 * scale)


def test_noisy_point_losses_single_point():
    data = gmm.sample_gmm(25, 5, 2, seed=3, sigma2=0.5)
    rng = np.random.default_rng(4)
    for t in (0.01, 0.5, 0.95):
        y = alpha(t) * data.x[4] + sigma(t) * rng.standard_normal(5)
        lg, lpm = vg.noisy_point_losses(data, t, y, 4)
        assert lg == pytest.approx(((gmm.gmm_denoiser(t, y, data.means, 0.5) - data.x[4]) ** 2).sum(),
                                   rel=1e-12)
        ref = [((gmm.empirical_denoiser(t, y, data.x, M) - data.x[4]) ** 2).sum() for M in range(1, 26)]
        np.testing.assert_allclose(lpm, ref, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="y must have shape"):
        vg.noisy_point_losses(data, 0.5, np.zeros(4), 0)


def test_reproducible_and_thread_count_independent():
    a = vg.simulate_loss_curves(30, 6, 3, n_noise=2, n_datasets=2, seed=5)
    b = vg.simulate_loss_curves(30, 6, 3, n_noise=2, n_datasets=2, seed=5)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = vg.simulate_loss_curves(30, 6, 3, n_noise=2, n_datasets=2, seed=5)
    finally:
        numba.set_num_threads(old)
    for x in (b, c):
        assert np.array_equal(a.pmem_by_dataset, x.pmem_by_dataset)
        assert np.array_equal(a.gen_by_dataset, x.gen_by_dataset)
        assert np.array_equal(a.pmem_var, x.pmem_var)
    d = vg.simulate_loss_curves(30, 6, 3, n_noise=2, n_datasets=2, seed=6)
    assert not np.array_equal(a.pmem_by_dataset, d.pmem_by_dataset)


def test_curve_structure(paper_curves):
    c = paper_curves
    pm, pe = c.pmem_excess
    assert pm.shape == (26, 200) and pe.shape == (26, 200)
    # M = N is the memorizer itself: zero excess exactly
    assert np.all(c.pmem_by_dataset[:, :, -1] == 0.0)
    # the memorizer is the training-loss minimiser: excesses are non-negative on average
    gm, ge = c.gen_excess
    assert np.all(gm > -3 * ge)
    assert np.all(pm > -3 * pe - 1e-12)
    assert c.n_samples == 16 * 200 * 4
    # pmem excess decreases in M at every time (averaged over 16 datasets)
    assert np.all(np.diff(pm[:, ::10], axis=1) < 0)


# --------------------------------------------------------------------------- statistics


def _pooled_z(by_dataset_sim, closed, sel):
    """z of the mean over the selected times: per-dataset means, s.e. over datasets."""
    per_ds = by_dataset_sim[:, sel].mean(axis=1)
    se = per_ds.std(ddof=1) / math.sqrt(len(per_ds))
    return (per_ds.mean() - np.mean(closed[sel])) / se


def _check_high_snr_agreement(c):
    a = vg.closed_form_agreement(c)
    sel = a.psi >= 1.0
    z_gen = _pooled_z(c.gen_by_dataset, a.gen_closed, sel)
    assert abs(z_gen) < 3, z_gen
    for j, M in enumerate(a.M):
        if M / c.K < 8:
            continue   # effective_constant is within 0.5% only once M/K >= 8 (see its docstring)
        z = _pooled_z(c.pmem_by_dataset[:, :, M - 1], np.full(len(sel), a.pmem_closed[j]), sel)
        assert abs(z) < 3, (M, z)
    return a


def test_closed_forms_agree_at_high_snr_paper_setting(paper_curves):
    """psi_t >= 1: mean over the high-SNR times within 3 s.e., and every single time
    within 3 s.e. (the t=0 limit of the pmem excess holds to 1.5% down to psi = 1)."""
    a = _check_high_snr_agreement(paper_curves)
    w = a.worst(1.0)
    assert w["gen_z"] < 3 and w["pmem_z"] < 3, w
    assert w["gen_rel"] < 0.01 and w["pmem_rel"] < 0.03, w


@pytest.mark.parametrize("cfg", [(120, 100, 3), (160, 60, 4)])
def test_closed_forms_agree_at_high_snr_other_settings(cfg):
    c = vg.simulate_loss_curves(*cfg, n_noise=4, n_datasets=16, seed=21)
    a = _check_high_snr_agreement(c)
    assert a.worst(1.0)["gen_rel"] < 0.01


def test_closed_forms_break_at_low_snr(paper_curves):
    """Near t = 1 both true excesses vanish while the closed forms tend to d sigma^2
    and C (1 - M/N) d sigma^2: at t = 0.999 the simulation is 1.2% of the generalizing
    closed form and 1-5.3% of the partial-memorization one (measured)."""
    a = vg.closed_form_agreement(paper_curves)
    assert a.psi[0] < 0.01
    assert a.gen_sim[0] < 0.02 * a.gen_closed[0]
    assert np.all(a.pmem_sim[0] < 0.06 * a.pmem_closed)


def test_closed_forms_break_in_low_dimension():
    """d = 10, K = 2 (overlapping clusters): at psi ~ 1 the generalizing excess is off by
    many standard errors (the memorizer's own loss is not negligible); by psi >= 4 the
    error is below 6%."""
    c = vg.simulate_loss_curves(60, 10, 2, n_noise=4, n_datasets=16, seed=11)
    a = vg.closed_form_agreement(c)
    assert a.worst(1.0)["gen_z"] > 5
    assert a.worst(1.0)["gen_rel"] > 0.2
    assert a.worst(4.0)["gen_rel"] < 0.06


def test_weighted_stderr_single_dataset_consistent():
    """With one dataset the weighted s.e. comes from within-dataset variances."""
    c = vg.simulate_loss_curves(50, 20, 3, n_noise=8, n_datasets=1, seed=3)
    w = c.weighted("x0")
    assert np.all(np.isfinite(w.gap_stderr)) and np.all(w.gap_stderr[:-1] > 0)
    assert w.gen_stderr > 0
    assert w.gap[-1] == pytest.approx(-w.gen)
    pm, pe = c.pmem_excess
    assert np.all(pe[:, :-1] > 0)


def test_simulated_crossover_paper_setting(paper_curves):
    """(200, 50, 12), x0 weighting: simulated M* = 0.80 N (an earlier estimate
    said 0.70 N; an independent brute-force numpy computation also gives 0.80 N), closed form with
    finite-d C = 0.77 N, within 0.1 N of it."""
    est = vg.simulated_crossover_point(200, 50, 12, curves=paper_curves, seed=0)
    assert 0.78 * 200 < est.estimate < 0.82 * 200
    assert est.ci_low <= est.estimate <= est.ci_high
    assert 0 < est.stderr < 2.0
    assert abs(est.closed_form - est.estimate) < 0.1 * 200
    # the closed-form M* is the root of the closed-form gap, recomputed here from loss_gap:
    # the first sign change over M = 1..N, interpolated linearly
    gap = gmm.loss_gap(np.arange(1, 201), 200, 50, 12)
    hi = int(np.flatnonzero(gap <= 0)[0]) + 1
    assert gap[hi - 2] > 0 >= gap[hi - 1]
    assert est.closed_form == pytest.approx(hi - 1 + gap[hi - 2] / (gap[hi - 2] - gap[hi - 1]),
                                            rel=1e-9)
    # the gap changes sign at the estimate
    g = paper_curves.weighted("x0").gap
    j = int(est.estimate)
    assert g[j - 1] > 0 > g[j + 1]


def test_simulated_crossover_eps_weighting_near_N(paper_curves):
    """eps weighting puts ~all weight on t = 0.001 (psi = 1e6): M* is within 1 of N."""
    est = vg.simulated_crossover_point(200, 50, 12, weighting="eps", curves=paper_curves, seed=0)
    assert est.estimate > 199
    assert gmm.crossover_point(200, 50, 12, weighting="eps") > 199


def test_simulated_crossover_runs_own_simulation():
    est = vg.simulated_crossover_point(40, 20, 2, n_noise=2, n_datasets=3, seed=1, n_boot=100)
    # the estimate is the root of the dataset-averaged weighted gap: gap(M) > 0 just below
    # it and <= 0 at ceil(M*), linearly interpolated
    gap = est.curves.weighted("x0").gap
    hi = math.ceil(est.estimate)
    assert 2 <= hi <= 40 and np.all(gap[:hi - 1] > 0) and gap[hi - 1] <= 0
    assert est.estimate == pytest.approx(hi - 1 + gap[hi - 2] / (gap[hi - 2] - gap[hi - 1]),
                                         rel=1e-9)
    assert est.curves.n_datasets == 3
    again = vg.simulated_crossover_point(40, 20, 2, n_noise=2, n_datasets=3, seed=1, n_boot=100)
    assert again.estimate == est.estimate and again.ci_low == est.ci_low


def test_validation():
    with pytest.raises(ValueError, match="n_noise must be a positive integer, got 0"):
        vg.simulate_loss_curves(10, 3, 2, n_noise=0)
    with pytest.raises(ValueError, match="K must be <= N = 10, got 11"):
        vg.simulate_loss_curves(10, 3, 11)
    with pytest.raises(ValueError, match="n_datasets must be an integer >= 2, got 1"):
        vg.simulated_crossover_point(10, 3, 2, n_datasets=1)
    c = vg.simulate_loss_curves(10, 3, 2, n_noise=1, n_datasets=2, seed=0)
    with pytest.raises(ValueError, match="curves must match"):
        vg.simulated_crossover_point(11, 3, 2, curves=c)
    with pytest.raises(ValueError, match="confidence must be in"):
        vg.simulated_crossover_point(10, 3, 2, curves=c, confidence=1.5)
    with pytest.raises(ValueError, match="timesteps must be"):
        vg.simulate_loss_curves(10, 3, 2, timesteps=[0.0, 0.5])
    with pytest.raises(ValueError, match="no timestep has psi >= psi_min"):
        vg.closed_form_agreement(c).worst(1e9)


# --------------------------------------------------------------------------- plots


def test_plots_return_figures(paper_curves, check_figure):
    est = vg.simulated_crossover_point(200, 50, 12, curves=paper_curves, seed=0, n_boot=50)
    f1 = vg.plot_excess_per_t(paper_curves)
    f2 = vg.plot_weighted_loss_vs_M(paper_curves, "x0", crossover=est)
    check_figure(f1)
    check_figure(f2)
    labels = [line.get_label() for line in f2.axes[0].lines]
    assert any("simulated $M^*$" in s for s in labels) and any("closed-form $M^*$" in s for s in labels)


# --------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_closed_forms_agree_large_setting():
    c = vg.simulate_loss_curves(400, 200, 8, n_noise=4, n_datasets=16, seed=31)
    _check_high_snr_agreement(c)
    est = vg.simulated_crossover_point(400, 200, 8, curves=c, seed=0)
    assert abs(est.closed_form - est.estimate) < 0.1 * 400


# --------------------------------------------------------------------------- Gram kernel


def _chunk_sums(res):
    return [x.sum(axis=0) for x in res]


def _max_rel(ref, new):
    """Largest relative difference over every output (entries equal in both count 0)."""
    worst = 0.0
    for a, b in zip(_chunk_sums(ref), _chunk_sums(new)):
        diff = np.abs(a - b)
        rel = np.where(diff == 0.0, 0.0, diff / np.maximum(np.abs(a), 1e-300))
        worst = max(worst, float(rel.max()))
    return worst


@pytest.mark.parametrize("t", [1e-4, 0.001, 0.04092, 0.3, 0.7, 0.95, 0.999, 1.0 - 1e-6])
def test_gram_kernel_matches_reference_kernel(t):
    """Every output of the kernel (per-chunk sums of the gen excess, its square, the mem
    loss, and per M the pmem excess, its square, the squared gap) equals the reference
    kernel to 1e-10 relative. The times cover both passes and both ways of taking the
    logits: selective with logits recomputed from the differences (high SNR, t <= 0.3),
    selective with the products' logits (mid SNR), the all-kept blocks (t >= 0.7, spans
    below _WIDE, including terms the prefix rule skips), and both ends of (0, 1).
    Measured worst: 3e-13 (rounding of sums of up to N terms); the tolerance leaves room
    for other seeds."""
    for (N, d, K, n_noise, seed) in [(60, 10, 4, 6, 3), (37, 5, 3, 5, 4)]:
        data = gmm.sample_gmm(N, d, K, seed=seed, sigma2=0.7)
        X = np.ascontiguousarray(data.x)
        Zn = np.random.default_rng(seed + 1).standard_normal((n_noise, N, d))
        a, s = alpha(t), sigma(t)
        ref = vg._accumulate_reference(X, data.means, 0.7, a, s, Zn)
        new = vg._accumulate(X, data.means, 0.7, a, s, Zn)
        assert _max_rel(ref, new) < 1e-10, (N, t)


def test_gram_kernel_paper_setting_highest_snr():
    """(200, 50, 12) at the highest-SNR time of the grid (t = 0.001, psi = 1e6), where the
    softmax is decided by logit differences of order a^2 ||x^i - x^j||^2 / s^2 ~ 1e8:
    still 1e-10 relative (measured 4e-15), and at the lowest-SNR time."""
    data = gmm.sample_gmm(200, 50, 12, seed=0)
    X = np.ascontiguousarray(data.x)
    Zn = np.random.default_rng(1).standard_normal((2, 200, 50))
    for t in (0.001, 0.999):
        ref = vg._accumulate_reference(X, data.means, 1.0, alpha(t), sigma(t), Zn)
        new = vg._accumulate(X, data.means, 1.0, alpha(t), sigma(t), Zn)
        assert _max_rel(ref, new) < 1e-10, t


def test_gram_gen_loss_exact_at_tiny_t():
    """At t = 1e-7 the reference computes x_*(y) - x^i as a difference of O(1) numbers whose
    result is O(sigma_t): it loses ~9 digits (the two kernels differ by 3e-10 there). The
    Gram expansion has no such cancellation: it matches a 50-digit evaluation to 1e-13."""
    import mpmath

    data = gmm.sample_gmm(20, 5, 3, seed=2)
    X = np.ascontiguousarray(data.x)
    z = np.random.default_rng(3).standard_normal(5)
    t, i = 1e-7, 4
    a, s = float(alpha(t)), float(sigma(t))
    mu = data.means
    XMi = mu @ X[i]
    lg = vg._gen_loss(a, s, 1.0, float(X[i] @ X[i]), float(X[i] @ z), float(z @ z), XMi,
                      mu @ z, mu @ mu.T, np.einsum("ij,ij->i", mu, mu), np.empty(3))
    with mpmath.workdps(50):
        am, sm = mpmath.mpf(a), mpmath.mpf(s)
        y = [am * mpmath.mpf(X[i, k]) + sm * mpmath.mpf(z[k]) for k in range(5)]
        var = am ** 2 + sm ** 2
        lw = [-sum((y[k] - am * mpmath.mpf(mu[l, k])) ** 2 for k in range(5)) / (2 * var)
              for l in range(3)]
        top = max(lw)
        e = [mpmath.exp(v - top) for v in lw]
        Zg = sum(e)
        err = [am / var * y[k] + sm ** 2 / var * sum(e[l] * mpmath.mpf(mu[l, k]) for l in range(3)) / Zg
               - mpmath.mpf(X[i, k]) for k in range(5)]
        exact = float(sum(v ** 2 for v in err))
    assert lg == pytest.approx(exact, rel=1e-13)


def test_exp_nonpos_one_ulp():
    """The vectorizable exp used by the kernel: within 2.5e-16 relative of numpy's exp on
    [-700, 0] (normal results), exact 1 at 0, the subnormal range to 1e-300 absolute,
    and 0 below -1000."""
    @numba.njit
    def many(x):
        out = np.empty_like(x)
        for q in range(x.shape[0]):
            out[q] = vg._exp_nonpos(x[q])
        return out

    x = -np.concatenate([np.linspace(0.0, 700.0, 200001), np.random.default_rng(0).random(10000) * 40])
    got, ref = many(x), np.exp(x)
    assert np.max(np.abs(got - ref) / ref) < 2.5e-16
    assert many(np.array([0.0]))[0] == 1.0
    sub = -np.linspace(700.0, 745.0, 1001)
    assert np.max(np.abs(many(sub) - np.exp(sub))) < 1e-300
    assert np.all(many(np.array([-1000.0, -5000.0])) == 0.0)


def test_gram_kernel_thread_count_independent():
    data = gmm.sample_gmm(70, 8, 3, seed=8)
    X = np.ascontiguousarray(data.x)
    Zn = np.random.default_rng(9).standard_normal((5, 70, 8))
    for t in (0.01, 0.6, 0.99):
        a = vg._accumulate(X, data.means, 1.0, alpha(t), sigma(t), Zn)
        old = numba.get_num_threads()
        try:
            numba.set_num_threads(1)
            b = vg._accumulate(X, data.means, 1.0, alpha(t), sigma(t), Zn)
        finally:
            numba.set_num_threads(old)
        for x, y in zip(a, b):
            assert np.array_equal(x, y)


# --------------------------------------------------------------------------- plot conventions


@pytest.fixture(scope="module")
def small_curves():
    return vg.simulate_loss_curves(20, 5, 2, n_noise=1, n_datasets=2, seed=0)


def _gmm_plots(curves):
    """Each plot function of the module as a callable of ``**kw`` (``ax=...``)."""
    return {
        "plot_excess_per_t": lambda **kw: vg.plot_excess_per_t(curves, [5, 10], **kw),
        "plot_weighted_loss_vs_M": lambda **kw: vg.plot_weighted_loss_vs_M(curves, "x0", **kw),
        "plot_crossover_curve": lambda **kw: vg.plot_crossover_curve([20, 40, 80], 5, 2, **kw),
    }


@pytest.mark.parametrize("name", ["plot_excess_per_t", "plot_weighted_loss_vs_M",
                                  "plot_crossover_curve"])
def test_plot_honours_ax(small_curves, name):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    other = fig.add_subplot(2, 1, 2)
    out = _gmm_plots(small_curves)[name](ax=ax)
    assert out is fig
    assert ax.lines or ax.collections
    assert not other.lines and not other.collections and not fig.texts


@pytest.mark.parametrize("name", ["plot_excess_per_t", "plot_weighted_loss_vs_M",
                                  "plot_crossover_curve"])
def test_plot_rejects_bad_ax(small_curves, name):
    with pytest.raises(TypeError, match="ax"):
        _gmm_plots(small_curves)[name](ax="x")


@pytest.mark.parametrize("name", ["plot_excess_per_t", "plot_weighted_loss_vs_M",
                                  "plot_crossover_curve"])
def test_plot_default_figure_not_in_pyplot(small_curves, name, check_figure):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = plt.get_fignums()
    fig = _gmm_plots(small_curves)[name]()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before
    check_figure(fig)


def test_plots_carry_setting_and_paper(small_curves):
    for fig in (vg.plot_excess_per_t(small_curves), vg.plot_weighted_loss_vs_M(small_curves)):
        title = fig.axes[0].get_title()
        assert "Buchanan et al. 2025" in title and "seed 0" in title
        assert "2 datasets" in title and "N = 20" in title
    est = vg.simulated_crossover_point(20, 5, 2, curves=small_curves, seed=0, n_boot=20)
    fig = vg.plot_weighted_loss_vs_M(small_curves, crossover=est)
    labels = [p.get_label() for p in fig.axes[0].patches + fig.axes[0].collections]
    assert any("bootstrap interval" in s for s in labels)


# --------------------------------------------------------------------------- crossover curve


@pytest.mark.parametrize("kw, x", [({"N": [400, 100, 200, 10**5], "d": 50, "K": 12}, "N"),
                                   ({"N": 200, "d": [5, 20, 50], "K": 12}, "d"),
                                   ({"N": 200, "d": 50, "K": [1, 4, 12]}, "K")])
def test_crossover_curve_plots_crossover_point(kw, x):
    fig = vg.plot_crossover_curve(**kw)
    ax = fig.axes[0]
    line = ax.lines[0]
    xs = np.sort(np.asarray(kw[x]))
    args = {**kw, x: xs}
    expected = gmm.crossover_point(args["N"], args["d"], args["K"]) / np.asarray(args["N"])
    np.testing.assert_array_equal(line.get_xdata(), xs)
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
    assert ax.get_xscale() == ("log" if x == "N" else "linear")
    assert x in ax.get_xlabel()
    assert "eq. 14" in ax.get_title()


def test_crossover_curve_constant_C_and_bounds():
    fig = vg.plot_crossover_curve([100, 1000], 50, 12, C=2.0, weighting="eps", sigma2=2.0)
    ax = fig.axes[0]
    c2 = gmm.crossover_point(100, 50, 12, C=2.0, weighting="eps", sigma2=2.0) / 100
    c1 = gmm.crossover_point(100, 50, 12, C=1.0, weighting="eps", sigma2=2.0) / 100
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [c2, c2], rtol=1e-12)
    ys = {round(float(line.get_ydata()[0]), 12) for line in ax.lines[1:]}
    assert {round(c1, 12), round(c2, 12)} <= ys
    assert "eps weighting" in ax.get_title() and "= 2" in ax.get_title()


def test_crossover_curve_wide_d_range_is_log():
    ax = vg.plot_crossover_curve(200, [2, 50, 1000], 12).axes[0]
    assert ax.get_xscale() == "log"


@pytest.mark.parametrize("kw, exc, match", [
    ({"N": 200, "d": 50, "K": 12}, ValueError, "exactly one of N, d, K"),
    ({"N": [100, 200], "d": [5, 50], "K": 12}, ValueError, "N and d"),
    ({"N": [200], "d": 50, "K": 12}, ValueError, "N must hold at least 2"),
    ({"N": [200, 200.0], "d": 50, "K": 12}, ValueError, "N must hold at least 2"),
    ({"N": "200", "d": [5, 50], "K": 12}, TypeError, "N"),
    ({"N": 200, "d": None, "K": [1, 2]}, TypeError, "d"),
    ({"N": 200, "d": 50, "K": [1, "2"]}, TypeError, "K"),
    ({"N": 200, "d": 50, "K": [1, 2.5]}, ValueError, "K"),
    ({"N": [100, 200], "d": 0, "K": 2}, ValueError, "d"),
    ({"N": np.ones((2, 2)) * 50, "d": 5, "K": 2}, ValueError, "N"),
    ({"N": [10, 200], "d": 5, "K": 12}, ValueError, "N must be >= K"),
    ({"N": 10, "d": 5, "K": [2, 12]}, ValueError, "K must be <= N"),
    ({"N": np.arange(1, 1100), "d": 5, "K": 1}, ValueError, "at most"),
    ({"N": [100, 200], "d": 5, "K": 2, "sigma2": -1.0}, ValueError, "sigma2"),
    ({"N": [100, 200], "d": 5, "K": 2, "C": 0.0}, ValueError, "C"),
    ({"N": [100, 200], "d": 5, "K": 2, "weighting": "zz"}, ValueError, "weighting"),
    ({"N": [100, 200], "d": 5, "K": 2, "timesteps": [0.0, 0.5]}, ValueError, "timesteps"),
])
def test_crossover_curve_bad_inputs(kw, exc, match):
    with pytest.raises(exc, match=match):
        vg.plot_crossover_curve(**kw)


def test_plot_sources_use_no_pyplot():
    import inspect

    for name in ("plot_excess_per_t", "plot_weighted_loss_vs_M", "plot_crossover_curve"):
        src = inspect.getsource(getattr(vg, name))
        assert "matplotlib.pyplot" not in src and "plt." not in src
    assert "plot_crossover_curve" in vg.__all__


def test_weighted_loss_plot_draws_the_reference():
    from matplotlib.figure import Figure

    c = vg.simulate_loss_curves(20, 5, 2, n_noise=1, n_datasets=2, seed=0)
    ax = Figure().add_subplot()
    vg.plot_weighted_loss_vs_M(c, "x0", reference=14.0, ax=ax)
    labels = [line.get_label() for line in ax.lines]
    assert any(lab.startswith("reference $M^*$ = 14.0 (0.70 N)") for lab in labels)
    with pytest.raises(ValueError, match="reference"):
        vg.plot_weighted_loss_vs_M(c, "x0", reference=21.0)


@pytest.mark.parametrize("R, d, n", [(10, 50, 212), (20, 100, 300), (64, 300, 40), (1, 3, 5)])
def test_products_every_branch(R, d, n):
    """The per-point product of the kernel equals numpy's matmul in each of its branches:
    one BLAS call, column blocks (R d n above the single-thread size), and the plain loop
    (rows too long for blocks of 16 columns)."""
    rng = np.random.default_rng(R + d)
    Zs, BT = rng.standard_normal((R, d)), rng.standard_normal((d, n))
    G = np.empty((R, n))
    vg._products(Zs, BT, G)
    np.testing.assert_allclose(G, Zs @ BT, rtol=0, atol=1e-12 * np.abs(Zs).sum(1).max()
                               * np.abs(BT).max())
