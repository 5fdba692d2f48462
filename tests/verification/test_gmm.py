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
    """Seed 001's setting (N, d, K) = (200, 50, 12) on the 26-point grid, 16 datasets."""
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
    """(200, 50, 12), x0 weighting: simulated M* = 0.80 N (DESIGN says 0.70 N; an
    independent brute-force numpy computation also gives 0.80 N), closed form with
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
