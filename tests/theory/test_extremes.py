"""Valid extremes of the theory functions: finite, right answers, or a clear ValueError.

References are mpmath at 50 digits or analytic limits. Tolerances: a float64
result computed through logs of size |L| carries a relative error of about
|L| * 2.2e-16 from the final exp (|L| <= ~1400 here, so <= 3e-13); 1e-11
leaves a margin of 30. Where a limit is used its truncation error is stated.
"""

import time

import mpmath as mp
import numpy as np
import pytest

from memlab.theory import gmm, kernel_scaling, linear_diffusion, mixing, schedules

mp.mp.dps = 50
REL = 1e-11


def _t_mixing(sigma, d, log_n):
    s, d, ln = mp.mpf(sigma), mp.mpf(d), mp.mpf(log_n)
    return mp.log1p(s * s / mp.expm1(2 * ln / d)) / 2


@pytest.mark.parametrize("sigma,d,n", [(1e150, 1, 1e300), (1e-150, 10**4, 1e300),
                                       (1e-150, 1, 1e300), (1e150, 10**4, 1.0 + 1e-10),
                                       (1.0, 16, 1e4)])
def test_mixing_time_extremes_match_mpmath(sigma, d, n):
    got = mixing.mixing_time(sigma, d, n)
    ref = _t_mixing(sigma, d, mp.log(mp.mpf(n)))
    assert np.isfinite(got)
    if ref < mp.mpf("1e-300"):             # below the float range: 0 (or a subnormal) is right
        assert got < 1e-300
    else:
        assert got == pytest.approx(float(ref), rel=REL)


def test_mixing_time_log_n_beyond_float_n_matches_leading_order():
    # log(n)/d = 500: n^{-2/d} = e^{-1000}; with sigma = 1e150 the leading order
    # sigma^2 n^{-2/d} / 2 is exact to a relative e^{-1000} (onset paper, eq. 9)
    got = mixing.mixing_time(1e150, 1, log_n=500.0)
    lead = mixing.mixing_time_leading(1e150, 1, log_n=500.0)
    assert got == pytest.approx(float(_t_mixing(1e150, 1, 500)), rel=REL)
    assert got == pytest.approx(lead, rel=REL)
    w = mixing.mixing_width(1e150, 1, log_n=1000.0)
    ref = mp.mpf(1e150) / mp.sqrt(mp.expm1(2000))
    assert w == pytest.approx(float(ref), rel=REL)


def test_excess_entropy_tiny_t_huge_sigma():
    assert mixing.excess_entropy(1e-300, 1e150, 1, 2.0) == 0.0     # far below t_M: collapse
    t, s, d, n = 1e-300, 1e-150, 1, 1e300                           # Delta = 2e-300 ~ sigma^2
    ref = mp.log(n) / d - mp.log1p(mp.mpf(s) ** 2 * mp.exp(-2 * mp.mpf(t)) / -mp.expm1(-2 * mp.mpf(t))) / 2
    assert mixing.excess_entropy(t, s, d, n) == pytest.approx(float(ref), rel=REL)


@pytest.mark.parametrize("u,d", [(1e-6, 1), (1e-9, 100), (1e-20, 10**4), (1e-3, 1)])
def test_kde_log_mise_small_bandwidth_bias_matches_mpmath(u, d):
    # the bias (1+u)^{-d/2} - 2(1+u/2)^{-d/2} + 1 ~ u^2 cancels in float64; series for (d/2)u < 1e-4
    n = 1e300
    a, U = mp.mpf(d) / 2, mp.mpf(u)
    S = ((1 + U) ** -a - 2 * (1 + U / 2) ** -a + 1) + U ** -a * (1 - (1 + 1 / U) ** -a) / mp.mpf(n)
    ref = mp.log(S) - a * mp.log(4 * mp.pi)
    assert mixing.kde_log_mise(np.sqrt(u), 1.0, d, n) == pytest.approx(float(ref), rel=REL)


def test_optimal_bandwidth_extreme_scales():
    # the MISE is invariant under (h, sigma) -> (c h, c sigma); the optimum is flat, so
    # the bounded Brent search resolves log h to ~1e-8: rel 1e-6
    h1 = mixing.optimal_bandwidth(1.0, 1, 1e300)
    assert mixing.optimal_bandwidth(1e-150, 1, 1e300) == pytest.approx(1e-150 * h1, rel=1e-6)
    assert mixing.optimal_bandwidth(1e150, 1, 1e300) == pytest.approx(1e150 * h1, rel=1e-6)
    # at n = 1e300, d = 1 the AMISE expansion is exact to O(h^2) ~ 1e-120
    assert h1 == pytest.approx(mixing.amise_bandwidth(1.0, 1, 1e300), rel=1e-6)


def test_optimal_bandwidth_edge_minimum_raises(monkeypatch):
    # an objective decreasing in h has its minimum at the right edge of every grid
    monkeypatch.setattr(mixing, "_kde_terms", lambda u, d, n: (-np.log(u), np.zeros_like(u)))
    with pytest.raises(ValueError, match="no interior minimum"):
        mixing.optimal_bandwidth(1.0, 16, 1e4)


def _tau_ref(P, sigma, d, nu, C):
    d, nu = mp.mpf(d), mp.mpf(nu)
    ratio = nu / 2 * 2**nu * mp.gamma((d + nu) / 2) / (d * mp.gamma(d / 2))
    return mp.mpf(P) / (mp.mpf(C) * ratio * mp.mpf(sigma) ** nu)


@pytest.mark.parametrize("P,sigma,d,nu", [(1e100, 1e-100, 10**4, 1), (1e300, 1e150, 1, 2),
                                          (1.0, 1e-150, 100, 2), (1e10, 1e-149, 1, 2)])
def test_memorization_time_extremes_match_mpmath(P, sigma, d, nu):
    ref = _tau_ref(P, sigma, d, nu, 1.0)
    assert kernel_scaling.memorization_time(P, sigma, d, nu, 1.0) == pytest.approx(float(ref), rel=REL)
    assert kernel_scaling.eigenvalue(P, sigma, d, nu, 1.0) == pytest.approx(float(1 / ref), rel=REL)


def test_memorization_time_beyond_float_range_raises():
    with pytest.raises(ValueError, match="exceeds the float range"):
        kernel_scaling.memorization_time(1e300, 1e-150, 1, 1, 1.0)
    with pytest.raises(ValueError, match="exceeds the float range"):
        kernel_scaling.memorization_time_asymptotic(1e300, 1e-150, 100, 2, 1.0)
    assert kernel_scaling.eigenvalue(1e300, 1e-150, 1, 1, 1.0) == 0.0   # 1e-450 underflows


def test_hellinger_limit_extreme_T_and_sigma():
    # T = 1000: c = e^{-2000} sigma^2 / (...) ~ 1e-870, so H^2 = 1 - (2 sqrt c)^{d/2} = 1
    assert linear_diffusion.hellinger_large_n_limit(16, T=1e3) == 1.0
    s, T, lam, d = mp.mpf(1e10), mp.mpf(2), mp.exp(-4), 100
    sig = mp.exp(-2 * T) * s * s
    c = sig / (sig + lam * -mp.expm1(-2 * T))
    ref = 1 - (2 * mp.sqrt(c) / (1 + c)) ** (mp.mpf(d) / 2)
    got = linear_diffusion.hellinger_large_n_limit(d, sigma=1e10)
    assert got == pytest.approx(float(ref), rel=1e-6, abs=1e-30)   # ref ~ 1e-21: -expm1 of ~1e-21


def test_snr_extremes():
    assert schedules.snr(1e-154) == pytest.approx(float((1 - mp.mpf(1e-154) ** 2) / mp.mpf(1e-154) ** 2),
                                                  rel=1e-15)
    with pytest.raises(ValueError, match="t must be >= 1e-154"):
        schedules.snr(1e-160)
    assert schedules.snr(800.0, "ou") == 0.0                       # e^{-1600}: underflow, no warning
    assert schedules.snr(1e-300, "ou") == pytest.approx(0.5e300, rel=1e-15)   # 1/(2t) + O(1)


def test_effective_constant_sigma2_range():
    with pytest.raises(ValueError, match="sigma2 must be >= 0.1"):
        gmm.effective_constant(5, 50, 3, 1e-3)
    with pytest.raises(ValueError, match="sigma2 must be >= 0.1"):
        gmm.crossover_point(20, 50, 3, sigma2=1e-10)
    # K = 1 has no other component: any sigma2 is fine
    assert gmm.effective_constant(1, 50, 1, 1e-300) == pytest.approx(2.0, rel=1e-9)
    # sigma2 -> inf: the other components sit within the noise, so every memorized point
    # behaves as one of the same component and C_eff(M) -> C(d, M); the shift is O(d/sigma2)
    got = gmm.effective_constant(np.array([1, 5, 50]), 50, 3, 1e300)
    ref = [gmm.nearest_neighbour_constant(50, m) for m in (1, 5, 50)]
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_effective_constant_too_many_large_M_raises_quickly():
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="distinct values"):
        gmm.effective_constant(np.arange(5000, 5000 + 2**16 + 1), 50, 12)
    assert time.perf_counter() - t0 < 5.0


def test_crossover_bisection_matches_full_evaluation():
    # the bisection path (used for N > 4096) gives the same float as evaluating every M
    N, d, K = 300, 30, 30
    t = schedules.reference_timesteps()
    ratio = float(np.mean(gmm._generalizing_excess(t, d, 1.0)) / d)
    assert gmm._crossover_bisection(N, d, K, 1.0, ratio) == gmm.crossover_point(N, d, K)


@pytest.mark.parametrize("N", [10**5, 10**7])
def test_crossover_large_N_fast_with_root_property(N):
    """A hang guard, not a timing: the full O(N) table at N = 1e7 would take hours, the
    bisection seconds; 120 s separates the two even on a loaded 2-core machine."""
    t0 = time.perf_counter()
    m = gmm.crossover_point(N, 50, 12)
    assert time.perf_counter() - t0 < 120.0
    assert 0.0 < m < N
    lo, hi = int(np.floor(m)), int(np.ceil(m))
    gap = gmm.loss_gap(np.array([lo, hi]), N, 50, 12)
    assert gap[0] > 0 > gap[1]


# ----------------------------------------------------------------------------- issue-13 extremes
@pytest.mark.parametrize("t", [5e-324, 1e-300, 1e-160])
def test_denoisers_at_tiny_t_are_the_nearest_point(t):
    """As t -> 0 the posterior concentrates on the nearest centre: the empirical denoiser
    returns the nearest training point and the GMM denoiser the nearest mean scaled by
    alpha_t / (alpha_t^2 sigma2 + sigma_t^2) * alpha_t sigma2 + ... -> the point's own
    posterior mean. Before the per-row shift the logits were inf - inf = NaN below 1e-154."""
    data = gmm.sample_gmm(20, 4, 2, seed=0)
    x = np.random.default_rng(1).normal(size=(5, 4))
    e = gmm.empirical_denoiser(t, x, data.x)
    nearest = data.x[np.argmin(((x[:, None] - data.x[None]) ** 2).sum(-1), axis=1)]
    assert np.array_equal(e, nearest)
    g = gmm.gmm_denoiser(t, x, data.means)
    assert np.all(np.isfinite(g))
    # at t -> 0, x_t -> x_0: the GMM posterior mean of x_0 given x_t = x is x itself
    np.testing.assert_allclose(g, x, rtol=1e-9, atol=1e-9)


def test_sample_sizes_beyond_the_memory_budget_fail_first():
    with pytest.raises(ValueError, match=r"^N and d: this call needs an array of shape"):
        gmm.sample_gmm(10**6, 10**5, 2)
    with pytest.raises(ValueError, match=r"^n, d and trials: .* GiB"):
        linear_diffusion.sample_training_set(1000, 1000, trials=10**4)


def test_integers_beyond_float_exactness_are_rejected():
    for call in (lambda: gmm.crossover_point(10**400, 10, 2),
                 lambda: gmm.generalizing_excess_loss(0.5, 10**400),
                 lambda: gmm.nearest_neighbour_constant(10**400, 10)):
        with pytest.raises(ValueError, match=r"must be <= 9007199254740992"):
            call()


def test_rhm_shape_limits():
    from memlab.theory import rhm
    with pytest.raises(ValueError, match=r"^L must keep the string length s\*\*L <= 16777216"):
        rhm.sample_grammar(4, 2, 2, 25)
    with pytest.raises(ValueError, match=r"^v must be <= 65536"):
        rhm.num_strings(10**6, 2, 2, 2)
    # the largest allowed length still counts exactly
    assert rhm.num_strings(2, 1, 2, 24) == 2


def test_reverse_sample_checks_a_user_denoiser():
    from memlab.theory import rhm
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    with pytest.raises(ValueError, match=r"^denoiser returned a bad value: .* finite"):
        rhm.reverse_sample(g, 3, 5, denoiser=lambda x, a: np.full(x.shape + (4,), np.nan))
    with pytest.raises(ValueError, match=r"^denoiser must return .* shape \(3, 4, 4\)"):
        rhm.reverse_sample(g, 3, 5, denoiser=lambda x, a: np.ones((3, 4, 5)))
    out = rhm.reverse_sample(g, 3, 5, denoiser=lambda x, a: np.full(x.shape + (4,), 0.25), seed=0)
    assert out.shape == (3, 4)


def test_cutoff_quadrature_range_is_enforced():
    one = lambda r: np.ones_like(r)  # noqa: E731
    # at the largest accepted d the quadrature still reproduces the closed form
    assert kernel_scaling.beta_d(10**6, 1, one) == pytest.approx(kernel_scaling.beta_d(10**6, 1),
                                                                 rel=1e-8)
    with pytest.raises(ValueError, match=r"^d must be <= 1000000 with a cutoff R"):
        kernel_scaling.beta_d(10**6 + 1, 1, one)


def test_large_nu_raises_instead_of_returning_inf():
    with pytest.raises(ValueError, match=r"exceeds the float range"):
        kernel_scaling.eigenvalue_ratio(4, 10**5)
    with pytest.raises(ValueError, match=r"\(d, nu\)"):
        kernel_scaling.beta_d(4, 10**5)
