"""Mixing time, excess entropy and KDE bandwidths (theory/mixing.py, seed 003 Sec. 2)."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from memlab.theory import mixing as mx


def _mp_tM(sigma, d, n):
    mp.mp.dps = 60
    s, d, n = mp.mpf(sigma), mp.mpf(d), mp.mpf(n)
    return mp.log(1 + s**2 / (n ** (2 / d) - 1)) / 2


@pytest.mark.parametrize("sigma,d,n", [(1.0, 16, 1e4), (1.0, 1e4, 1e12), (0.3, 10000, 1e300),
                                       (2.0, 1, 2.0), (1.0, 3, 1e300), (5.0, 500, 7.0),
                                       (1.0, 100, 1.0 + 1e-9)])
def test_mixing_time_against_mpmath(sigma, d, n):
    assert mx.mixing_time(sigma, d, n) == pytest.approx(float(_mp_tM(sigma, d, n)), rel=1e-12)


def test_log_n_and_huge_n():
    # n = e^{1e5} is beyond float range: give log_n
    mp.mp.dps = 60
    ref = mp.log(1 + 1 / mp.expm1(2 * mp.mpf(1e5) / 1e4)) / 2
    assert mx.mixing_time(1.0, 1e4, log_n=1e5) == pytest.approx(float(ref), rel=1e-12)
    assert mx.mixing_time(1.0, 16, 1e4) == pytest.approx(mx.mixing_time(1.0, 16, log_n=math.log(1e4)))


@given(st.floats(0.1, 10), st.integers(1, 10000), st.floats(1.0, 250.0), st.floats(0.01, 50.0))
def test_mixing_time_monotone(sigma, d, log_n, dlog):
    t1 = mx.mixing_time(sigma, d, log_n=log_n)
    t2 = mx.mixing_time(sigma, d, log_n=log_n + dlog)
    assert t2 < t1                                        # decreases in n
    assert mx.mixing_time(sigma * 1.1, d, log_n=log_n) > t1   # increases in sigma


@given(st.floats(0.2, 3.0), st.integers(1, 200))
def test_leading_order_limit(sigma, d):
    """t_M / (sigma^2 / (2 n^{2/d})) - 1 = (1 - sigma^2/2) N^{-1} + O((1 + sigma^4) N^{-2}),
    N = n^{2/d}: the leading form is approached as log(n)/d grows."""
    errs = []
    for alpha in (2.0, 4.0, 8.0):
        N = math.exp(2 * alpha)
        t = mx.mixing_time(sigma, d, log_n=alpha * d)
        lead = mx.mixing_time_leading(sigma, d, log_n=alpha * d)
        err = t / lead - 1
        assert abs(err - (1 - sigma**2 / 2) / N) <= 2 * (1 + sigma**4) / N**2
        errs.append(abs(err))
    assert errs[0] > errs[1] > errs[2]


@given(st.floats(0.2, 3.0), st.integers(1, 5000), st.floats(0.5, 200.0))
def test_excess_entropy_vanishes_at_tM(sigma, d, log_n):
    tm = mx.mixing_time(sigma, d, log_n=log_n)
    assert abs(mx.excess_entropy(tm, sigma, d, log_n=log_n)) < 1e-9 * max(1.0, log_n / d)
    assert mx.excess_entropy(1.5 * tm, sigma, d, log_n=log_n) > 0
    assert mx.excess_entropy(0.5 * tm, sigma, d, log_n=log_n) == 0.0


def test_width_and_design_values():
    assert mx.mixing_width(1.0, 16, 1e4) == pytest.approx(0.680, abs=5e-4)
    assert mx.mixing_width(1.0, 100, 1e4) == pytest.approx(2.22, abs=5e-3)
    t = mx.mixing_time(1.3, 16, 1e4)
    assert mx.mixing_width(1.3, 16, 1e4) ** 2 == pytest.approx(math.expm1(2 * t), rel=1e-13)
    assert mx.speciation_time(math.e**2) == pytest.approx(1.0)


def test_vectorised():
    d = np.array([16, 100, 1000])
    out = mx.mixing_time(1.0, d, 1e4)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, [mx.mixing_time(1.0, int(k), 1e4) for k in d], rtol=1e-15)


@pytest.mark.parametrize("h,sigma,d,n", [(0.5, 1.0, 1, 100), (0.2, 2.0, 1, 1000), (1.1, 0.7, 2, 30)])
def test_kde_mise_against_quadrature(h, sigma, d, n):
    """E int (rhohat - rho)^2 = int [Var rhohat + bias^2], by quadrature (d = 1, radial for d = 2)."""
    def integrand(r):
        # rhohat's mean and variance at a point at distance r from 0 (isotropic)
        f = stats.norm.pdf(r, scale=sigma) ** d if d == 1 else np.exp(-r * r / (2 * sigma**2)) / (2 * np.pi * sigma**2)
        s2 = sigma**2 + h * h
        mean = np.exp(-r * r / (2 * s2)) / (2 * np.pi * s2) ** (d / 2)
        k2 = np.exp(-r * r / (2 * (sigma**2 + h * h / 2))) / ((4 * np.pi * h * h) ** (d / 2)
                                                              * (2 * np.pi * (sigma**2 + h * h / 2)) ** (d / 2))
        var = (k2 - mean**2) / n
        val = var + (mean - f) ** 2
        return val * (2.0 if d == 1 else 2 * np.pi * r)
    ref = integrate.quad(integrand, 0, 40 * sigma, epsabs=0, epsrel=1e-12, limit=400)[0]
    assert mx.kde_mise(h, sigma, d, n) == pytest.approx(ref, rel=1e-9)


def test_kde_mise_large_d_finite():
    for d in (1000, 10000):
        v = mx.kde_log_mise(1.0, 1.0, d, 1e4)
        assert np.isfinite(v)
        # in high d the bias term is 1 - O(1.5^{-d/2}) and the variance term 1/n at h = sigma:
        # MISE = int rho^2 (1 + 1/n), int rho^2 = (4 pi)^{-d/2}
        assert v == pytest.approx(-0.5 * d * math.log(4 * math.pi) + math.log1p(1e-4), rel=1e-12)


def test_optimal_bandwidths_design_values():
    assert mx.optimal_bandwidth(1.0, 16, 1e4) == pytest.approx(0.673, abs=5e-4)
    assert mx.optimal_bandwidth(1.0, 100, 1e4) == pytest.approx(1.20, abs=5e-3)
    # d = 1: the exact optimum approaches AMISE (Silverman) as n grows
    for n in (1e2, 1e4, 1e6):
        ratio = mx.optimal_bandwidth(1.0, 1, n) / mx.amise_bandwidth(1.0, 1, n)
        assert abs(ratio - 1) < 0.15 * (1e2 / n) ** 0.2 + 1e-3


def test_optimal_bandwidth_is_a_minimum():
    for d, n in ((1, 100), (16, 1e4), (100, 1e4), (1000, 1e4)):
        h = mx.optimal_bandwidth(1.0, d, n)
        obj = lambda x: mx._log_s_monotone(*mx._kde_terms(np.asarray(x) ** 2, float(d), n))  # noqa: E731
        assert obj(h) <= obj(h * 1.01) and obj(h) <= obj(h / 1.01)


def test_compare_bandwidths_regimes():
    c16 = mx.compare_bandwidths(1.0, 16, 1e4)
    assert abs(c16.ratio - 1) < 0.02 and c16.mise_excess < 0.01
    c100 = mx.compare_bandwidths(1.0, 100, 1e4)
    assert c100.ratio == pytest.approx(2.2235 / 1.197, rel=1e-2)
    assert c100.log_gain_optimal < -20 and c100.log_gain_ratio < -10
    c1 = mx.compare_bandwidths(1.0, 1, 1e4)
    assert c1.h_mixing < 1e-3 < 0.1 < c1.h_optimal and c1.mise_excess > 100


@pytest.mark.parametrize("sigma,d,n,regime,verdict", [
    (1.0, 16, 1e4, "optimal", "the mixing width is L2-optimal here (within 5%)"),
    (1.0, 200, 1e6, "high_dimensional",
     "high-dimensional regime: no bandwidth beats the zero estimator by more than exp(-10) in L2; "
     "the mixing width is not the optimum"),
    (1.0, 2, 1000, "suboptimal", "the mixing width is 0.0964 times the L2-optimal bandwidth"),
])
def test_compare_bandwidths_regime_and_verdict(sigma, d, n, regime, verdict):
    c = mx.compare_bandwidths(sigma, d, n)
    assert c.regime == regime and c.regime in mx.BANDWIDTH_REGIMES
    assert c.verdict == verdict
    # the rule, tested in the order of BANDWIDTH_REGIMES
    assert (abs(c.ratio - 1) < 0.05) == (regime == "optimal")
    if regime != "optimal":
        assert (c.log_gain_optimal < -10) == (regime == "high_dimensional")


def test_bandwidth_regime_rule_boundaries():
    """The classification from (ratio, log gain): optimal wins over high-dimensional; 5% is open."""
    assert mx._bandwidth_regime(1.04, -50.0)[0] == "optimal"
    assert mx._bandwidth_regime(0.96, -1.0)[0] == "optimal"
    assert mx._bandwidth_regime(1.06, -10.5)[0] == "high_dimensional"
    assert mx._bandwidth_regime(1.06, -10.0)[0] == "suboptimal"
    assert mx._bandwidth_regime(1.5, -1.0) == ("suboptimal",
                                              "the mixing width is 1.5 times the L2-optimal bandwidth")


@pytest.mark.parametrize("call,match", [
    (lambda: mx.mixing_time(-1.0, 16, 1e4), "sigma must be > 0.0"),
    (lambda: mx.mixing_time(1.0, 0, 1e4), "d must be >= 1.0"),
    (lambda: mx.mixing_time(1.0, 2.5, 1e4), "d must be a positive integer"),
    (lambda: mx.mixing_time(1.0, 16, 1.0), "n must be > 1.0"),
    (lambda: mx.mixing_time(1.0, 16, math.nan), "n must be finite"),
    (lambda: mx.mixing_time(1.0, 16), "give exactly one of n and log_n"),
    (lambda: mx.excess_entropy(0.0, 1.0, 16, 1e4), "t must be > 0.0"),
    (lambda: mx.speciation_time(0.0), "lambda_max must be > 0.0"),
    (lambda: mx.kde_log_mise(0.0, 1.0, 4, 10), "h must be > 0.0"),
    (lambda: mx.optimal_bandwidth(1.0, 4, 0.5), "n must be >= 1"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_optimal_bandwidth_vectorised():
    out = mx.optimal_bandwidth(1.0, np.array([16, 100]), 1e4)
    assert out.shape == (2,)
    assert out[0] == mx.optimal_bandwidth(1.0, 16, 1e4) and out[1] == mx.optimal_bandwidth(1.0, 100, 1e4)


# --------------------------------------------------------------------------- Sec. 2.3: Sigma_t and t_R


def _brute_sigma(t, points, form="exact"):
    """Sigma_t of eq. 14 from the definition: pi_t-weighted covariance of the points, with the
    weights exp(-|y|^2 e^{-2t} / (2 delta_t)) normalised directly (no mixture algebra)."""
    delta = 1.0 - math.exp(-2 * t)
    logw = -(points**2).sum(1) * math.exp(-2 * t) / (2 * delta)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    m = w @ points
    cov = (points - m).T @ ((points - m) * w[:, None])
    return math.exp(2 * t) * np.eye(points.shape[1]) - cov / (delta if form == "exact" else 1.0)


@pytest.mark.parametrize("t", [0.05, 0.3, 1.0, 3.0])
@pytest.mark.parametrize("form", ["exact", "paper"])
def test_late_time_matrix_equals_definition(t, form):
    pts = np.random.default_rng(1).standard_normal((40, 5)) * [2.0, 1.0, 1.0, 0.5, 0.5]
    np.testing.assert_allclose(mx.late_time_matrix(t, pts, form=form), _brute_sigma(t, pts, form),
                               rtol=1e-12, atol=1e-12 * math.exp(2 * t))


def test_late_time_matrix_is_the_second_order_expansion():
    """-(1/(2 delta_t)) u^T Sigma_t u is the quadratic part of log rho_hat(t, x), u = x e^{-t}
    (eq. 12): checked by a central second difference of the exact log-density of the
    empirical OU mixture at x = 0. The paper's form (eq. 14 as printed) is not."""
    from scipy.special import logsumexp

    pts = np.random.default_rng(2).standard_normal((30, 3))
    t, h = 0.4, 1e-3
    a, delta = math.exp(-t), -math.expm1(-2 * t)

    def logrho(x):
        return logsumexp(-((x - a * pts) ** 2).sum(1) / (2 * delta))

    hess = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            ei, ej = np.eye(3)[i] * h, np.eye(3)[j] * h
            hess[i, j] = (logrho(ei + ej) - logrho(ei - ej) - logrho(-ei + ej) + logrho(-ei - ej)) / (4 * h * h)
    # in x: Hessian = -(e^{-2t} / delta) Sigma_t
    np.testing.assert_allclose(hess, -a * a / delta * mx.late_time_matrix(t, pts), rtol=1e-5, atol=1e-6)
    assert not np.allclose(hess, -a * a / delta * mx.late_time_matrix(t, pts, form="paper"), rtol=1e-2)


def test_late_time_matrix_mixture_and_covariance_forms():
    """A point cloud equals the mixture with covariance 0; an isotropic variance equals the
    same variance as a matrix; a rotated covariance rotates Sigma_t; uniform weights are the
    default."""
    rng = np.random.default_rng(3)
    pts = rng.standard_normal((6, 4))
    for t in (0.2, 1.5):
        S = mx.late_time_matrix(t, pts, 0.7)
        np.testing.assert_allclose(S, mx.late_time_matrix(t, pts, 0.7 * np.eye(4)), rtol=1e-12)
        np.testing.assert_allclose(mx.late_time_matrix(t, pts, weights=np.full(6, 3.0)),
                                   mx.late_time_matrix(t, pts), rtol=1e-12)
        Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
        C = Q @ np.diag([3.0, 1.0, 0.5, 0.1]) @ Q.T
        S1 = mx.late_time_matrix(t, pts @ Q.T, C)
        S2 = mx.late_time_matrix(t, pts, np.diag([3.0, 1.0, 0.5, 0.1]))
        np.testing.assert_allclose(S1, Q @ S2 @ Q.T, rtol=1e-10, atol=1e-10)


def test_single_gaussian_regime_time():
    """One Gaussian N(m, C): with pi_t (eq. 13) Sigma_t is positive definite at every t
    (t_R = 0), lambda_min = e^{2t} delta / (delta + Lambda e^{-2t}) in closed form; without the
    reweighting t_R = (1/2) log(1 + Lambda) (exact form) and (1/2) log Lambda = t_S (as printed)."""
    C = np.diag([4.0, 1.0, 0.25])
    m = np.array([1.0, -2.0, 0.5])
    r = mx.gaussian_regime_time(m, C)
    assert r.t_R == 0.0 and r.t_S == pytest.approx(0.5 * math.log(4.0))
    t = r.times
    delta = -np.expm1(-2 * t)
    np.testing.assert_allclose(r.min_eigenvalue, np.exp(2 * t) * delta / (delta + 4.0 * np.exp(-2 * t)),
                               rtol=1e-10)
    assert mx.gaussian_regime_time(m, C, reweight=False).t_R == pytest.approx(0.5 * math.log(5.0), rel=1e-10)
    assert mx.gaussian_regime_time(m, C, reweight=False, form="paper").t_R == pytest.approx(r.t_S, rel=1e-10)


@pytest.mark.parametrize("R", [0.5, 2.0, 10.0])
def test_two_points_regime_time(R):
    """Two points +-R e_1 have equal weights at every t: Cov = R^2 e_1 e_1^T, so
    t_R = (1/2) log(1 + R^2) (exact) and (1/2) log R^2 (as printed; 0 when R < 1)."""
    pts = np.array([[R, 0.0, 0.0], [-R, 0.0, 0.0]])
    assert mx.gaussian_regime_time(pts).t_R == pytest.approx(0.5 * math.log1p(R * R), rel=1e-10)
    paper = mx.gaussian_regime_time(pts, form="paper").t_R
    assert paper == (pytest.approx(math.log(R), rel=1e-10) if R > 1 else 0.0)


def test_symmetric_mixture_regime_time():
    """1/2 N(+-m e_1, s^2 I): by symmetry the weights stay equal and
    lambda_max(Cov_pi) = s^2/(1 + a s^2) + m^2/(1 + a s^2)^2, a = 1/expm1(2t); the root of
    e^{2t} - 1 = lambda_max is found independently with brentq."""
    from scipy.optimize import brentq

    m, s2 = 3.0, 1.0
    r = mx.gaussian_regime_time([[m, 0, 0, 0], [-m, 0, 0, 0]], s2)

    def f(t):
        a = 1 / math.expm1(2 * t)
        return math.expm1(2 * t) - (s2 / (1 + a * s2) + m * m / (1 + a * s2) ** 2)

    assert r.t_R == pytest.approx(brentq(f, 0.3, 5.0, xtol=1e-14), rel=1e-9)
    assert r.t_S == pytest.approx(0.5 * math.log(s2 + m * m))


def test_regime_time_is_a_sign_change_of_direct_eigenvalues():
    """At t_R the smallest eigenvalue of Sigma_t (numpy eigvalsh of late_time_matrix) changes
    sign from <= 0 to > 0, and it stays positive on a fine grid beyond."""
    pts = np.random.default_rng(4).standard_normal((50, 8))
    r = mx.gaussian_regime_time(pts)
    assert r.t_R > 0
    lo = np.linalg.eigvalsh(mx.late_time_matrix(r.t_R * (1 - 1e-6), pts))[0]
    hi = np.linalg.eigvalsh(mx.late_time_matrix(r.t_R * (1 + 1e-6), pts))[0]
    assert lo < 0 < hi
    later = [np.linalg.eigvalsh(mx.late_time_matrix(t, pts))[0]
             for t in np.linspace(r.t_R * 1.001, 3 * r.t_R + 1, 200)]
    assert min(later) > 0
    np.testing.assert_allclose(r.min_eigenvalue[::50],
                               [np.linalg.eigvalsh(mx.late_time_matrix(t, pts))[0] for t in r.times[::50]],
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: mx.late_time_matrix(0.0, np.ones((2, 2))), ValueError, "t must be > 0"),
    (lambda: mx.late_time_matrix(400.0, np.ones((2, 2))), ValueError, "t must be <= 350"),
    (lambda: mx.late_time_matrix(1.0, np.ones((2, 2)), -1.0), ValueError, "covariance"),
    (lambda: mx.late_time_matrix(1.0, np.ones((2, 2)), np.eye(3)), ValueError, "covariance"),
    (lambda: mx.late_time_matrix(1.0, np.ones((2, 2)), np.diag([1.0, -1.0])), ValueError, "covariance"),
    (lambda: mx.late_time_matrix(1.0, np.ones((2, 2)), weights=[1.0]), ValueError, "weights"),
    (lambda: mx.late_time_matrix(1.0, np.ones((2, 2)), weights=[0.0, 0.0]), ValueError, "weights"),
    (lambda: mx.late_time_matrix(1.0, np.ones((2, 2)), form="eq14"), ValueError, "form"),
    (lambda: mx.late_time_matrix(1.0, np.ones((2, 2)), reweight=1), TypeError, "reweight"),
    (lambda: mx.gaussian_regime_time(np.ones(3)), ValueError, "means"),
    (lambda: mx.gaussian_regime_time(np.ones((2, 2)), n_grid=4), ValueError, "n_grid"),
])
def test_late_time_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
