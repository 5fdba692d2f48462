"""Collapse-time simulation against t_M (verification/mixing.py)."""

import numpy as np
import pytest

from memlab.theory.mixing import mixing_time
from memlab.verification import mixing as vm


def _brute_weight(data, i0, x, t):
    a, delta = np.exp(-t), -np.expm1(-2 * t)
    logits = -((x - a * data) ** 2).sum(1) / (2 * delta)
    w = np.exp(logits - logits.max())
    return w[i0] / w.sum()


def test_kernel_crossing_matches_brute_force():
    """Replay the kernel's path in numpy and find the first grid time with weight < 1/2."""
    rng = np.random.default_rng(0)
    d, n, S = 6, 9, 300
    data = rng.standard_normal((n, d))
    times = np.linspace(0, 2.0, S + 1)
    xi = rng.standard_normal((3, S, d))
    got = vm._collapse_kernel(data, times, xi)
    for p in range(3):
        x = data[p % n].copy()
        w_prev, t_prev, ref = 1.0, 0.0, np.nan
        for s in range(S):
            h = times[s + 1] - times[s]
            x = np.exp(-h) * x + np.sqrt(1 - np.exp(-2 * h)) * xi[p, s]
            w = _brute_weight(data, p % n, x, times[s + 1])
            if w < 0.5:
                ref = t_prev + (times[s + 1] - t_prev) * (w_prev - 0.5) / (w_prev - w)
                break
            w_prev, t_prev = w, times[s + 1]
        assert got[p] == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("d", [20, 30])
def test_collapse_time_near_tM(d):
    """alpha = log(n)/d = 0.2: the median collapse time is within 3 s.e. of t_M
    (measured +3.4% at d = 20, +2.9% at d = 30, within 1 s.e.)."""
    n = int(round(np.exp(0.2 * d)))
    r = vm.collapse_times(d, n, n_paths=16, n_datasets=16, seed=1)
    assert r.theory == pytest.approx(mixing_time(1.0, d, n))
    assert abs(r.estimate - r.theory) < 3 * r.stderr
    assert r.n_samples == 256


def test_reproducible():
    a = vm.collapse_times(10, 7, n_paths=4, n_datasets=2, seed=3)
    b = vm.collapse_times(10, 7, n_paths=4, n_datasets=2, seed=3)
    assert np.array_equal(a.times, b.times, equal_nan=True)


@pytest.mark.slow
def test_collapse_time_converges_large_d():
    res = vm.collapse_time_scan(0.2, [40, 50], n_paths=16, n_datasets=16, seed=1)
    for r in res:
        assert abs(r.estimate - r.theory) < 3 * r.stderr
        assert abs(r.estimate / r.theory - 1) < 0.05


@pytest.mark.parametrize("dims, exc", [(np.ones((2, 2)), ValueError), ([], ValueError),
                                       (10**400, ValueError), ([2.5], ValueError),
                                       ("3", TypeError), (None, TypeError)])
def test_scan_dims_checked(dims, exc):
    with pytest.raises(exc, match="dims"):
        vm.collapse_time_scan(0.3, dims, n_paths=2, n_datasets=2, n_steps=5)


def test_scan_checks_sizes_before_simulating():
    """A size too large for the last d fails before the first d is simulated."""
    with pytest.raises(ValueError, match="n_paths"):
        vm.collapse_time_scan(0.1, [2, 50], n_paths=3 * 10**6, n_datasets=1, n_steps=1)


def test_scan_n_times_d_bound_names_dims():
    with pytest.raises(ValueError, match="dims"):
        vm.collapse_time_scan(1.0, [16])


def test_allocation_bound_names_n_datasets():
    with pytest.raises(ValueError, match="n_datasets"):
        vm.collapse_times(2, 3, n_paths=10**6, n_datasets=10**7, n_steps=1)


def test_uncollapsed_path_is_nan_and_documented():
    """A grid too short for any crossing: every time NaN ("not reached"), as documented."""
    r = vm.collapse_times(3, 6, n_paths=4, n_datasets=2, n_steps=2, t_max=1e-6, seed=0)
    assert np.isnan(r.times).all() and np.isnan(r.estimate) and r.n_samples == 0
    assert "NaN" in vm.collapse_times.__doc__ and "NaN" in vm.collapse_time_scan.__doc__


def test_scan_sizes_and_order():
    """n = max(2, round(e^{alpha d})) per d, in the order of dims, as documented."""
    res = vm.collapse_time_scan(0.3, [10, 5], n_paths=2, n_datasets=2, n_steps=20, seed=0)
    assert [(r.d, r.n) for r in res] == [(10, 20), (5, 4)]
    assert all(isinstance(r, vm.CollapseTimes) for r in res)
    assert all(r.theory == pytest.approx(mixing_time(1.0, r.d, r.n)) for r in res)


# --------------------------------------------------------------------------- Sec. 2.3: t_R against t_S and t_M


def test_regime_time_scan_gaussian_and_mixture():
    """Gaussian data: the population t_R is 0 (log-concave), the empirical one is positive and
    falls with n, next to t_M (measured at d = 16: 0.41 +- 0.02 at n = 128 against t_M =
    0.39). Two components 6 apart: t_R stays near the population value (1.10) for every n."""
    g = vm.regime_time_scan([16, 128], 16, n_datasets=4, seed=0)
    assert g.t_R_population == 0.0
    assert np.all(g.t_R > 0) and g.t_R_mean[1] < g.t_R_mean[0]
    np.testing.assert_allclose(g.t_M, [mixing_time(1.0, 16, n) for n in (16, 128)])
    assert abs(g.t_R_mean[1] - g.t_M[1]) < 0.15
    m = vm.regime_time_scan([64, 256], 16, separation=6.0, n_datasets=3, seed=1)
    assert m.t_R_population == pytest.approx(1.0986, abs=2e-3)
    assert np.all(np.abs(m.t_R_mean - m.t_R_population) < 0.1)
    assert m.t_S_population == pytest.approx(0.5 * np.log(10.0))


def test_regime_times_plot(check_figure):
    from matplotlib.figure import Figure

    scans = [vm.regime_time_scan([16, 64], 8, n_datasets=2, seed=0),
             vm.regime_time_scan([16, 64], 8, separation=6.0, n_datasets=2, seed=0)]
    fig = Figure()
    ax = fig.add_subplot()
    assert vm.plot_regime_times(scans, ax=ax) is fig
    assert ax.lines and "onset paper" in ax.get_title().lower()
    check_figure(vm.plot_regime_times(scans))
    with pytest.raises(TypeError, match="ax"):
        vm.plot_regime_times(scans, ax="x")
    with pytest.raises(TypeError, match="scans"):
        vm.plot_regime_times([1])
    with pytest.raises(ValueError, match="n_values"):
        vm.regime_time_scan([1, 4], 3)
