"""Kernel eigenvalue scaling (theory/kernel_scaling.py, verification/kernel_scaling.py; Favero et al. 2025, App. G)."""

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from memlab.theory import kernel_scaling as ks
from memlab.verification import kernel_scaling as vk


def _mp_beta(d, nu):
    mp.mp.dps = 50
    d, nu = mp.mpf(d), mp.mpf(nu)
    return -(nu / 2) * 2**nu * mp.gamma((d + nu) / 2) / mp.gamma(d / 2)


@pytest.mark.parametrize("d", [1, 2, 8, 64, 1000, 10**6])
@pytest.mark.parametrize("nu", [0.5, 1, 2, 3.7])
def test_beta_closed_form_against_mpmath(d, nu):
    ref = float(_mp_beta(d, nu))
    assert ks.beta_d(d, nu) == pytest.approx(ref, rel=1e-12)
    assert ks.eigenvalue_ratio(d, nu) == pytest.approx(ref / d, rel=1e-12)


@pytest.mark.parametrize("d", [1, 2, 8, 64, 500, 5000])
@pytest.mark.parametrize("nu", [0.5, 1, 2])
def test_quadrature_reproduces_closed_form(d, nu):
    one = lambda r: np.ones_like(r)  # noqa: E731
    assert ks.beta_d(d, nu, one) == pytest.approx(ks.beta_d(d, nu), rel=1e-10)
    assert ks.gamma_d(d, one) == pytest.approx(d, rel=1e-12)


@pytest.mark.parametrize("d,nu", [(1, 1), (2, 2), (8, 1), (64, 1), (64, 2)])
def test_beta_closed_form_against_monte_carlo(d, nu):
    """Closed form within 3 s.e. of Monte Carlo for d in {1, 2, 8, 64}, nu in {1, 2}."""
    r = vk.monte_carlo_constants(d, nu, n_samples=400_000, seed=100 * d + nu)
    assert abs(r.beta - ks.beta_d(d, nu)) < 3 * r.beta_stderr
    assert abs(r.gamma - d) < 3 * r.gamma_stderr


@pytest.mark.parametrize("cutoff,scale", [("exp", 1.0), ("gauss", 1.5), ("exp", 0.5)])
def test_any_cutoff_quadrature_against_monte_carlo(cutoff, scale):
    f = vk.cutoff_function(cutoff, scale)
    r = vk.monte_carlo_constants(8, 1, cutoff=cutoff, scale=scale, n_samples=400_000, seed=7)
    assert abs(r.beta - ks.beta_d(8, 1, f)) < 3 * r.beta_stderr
    assert abs(r.gamma - ks.gamma_d(8, f)) < 3 * r.gamma_stderr


def test_radial_sampling_matches_full_vectors():
    """The three rotation invariants (|u|^2 ~ chi2_d, v1 ~ N(0,1), |v|^2 - v1^2 ~ chi2_(d-1))
    give the same estimator as drawing u and v in full (`_constants_kernel` on 2d
    normals per pair), within 4 combined standard errors, for a case with no closed
    form (Gaussian cutoff, nu = 1.5, d = 3)."""
    n, code, scale = 400_000, 2, 1.5
    r = vk.monte_carlo_constants(3, 1.5, cutoff="gauss", scale=scale, n_samples=n, seed=11)
    rng = np.random.default_rng(12)
    sums = vk._constants_kernel(rng.standard_normal((n, 3)), rng.standard_normal((n, 3)),
                                1.5, code, scale).sum(0)
    b, g = sums[0] / n, sums[2] / n
    b_se = np.sqrt((sums[1] / n - b * b) / (n - 1))
    g_se = np.sqrt((sums[3] / n - g * g) / (n - 1))
    assert abs(r.beta - b) < 4 * np.hypot(r.beta_stderr, b_se)
    assert abs(r.gamma - g) < 4 * np.hypot(r.gamma_stderr, g_se)


def test_gamma_any_cutoff_closed_case():
    # R(r) = exp(-r^2/4): E|u|^2 e^{-|u|^2/2} = d 2^{-d/2 - 1}
    for d in (1, 3, 10):
        assert ks.gamma_d(d, lambda r: np.exp(-r * r / 4)) == pytest.approx(d * 2.0 ** (-d / 2 - 1), rel=1e-12)


@given(st.integers(1, 10**6), st.floats(0.1, 4.0))
def test_asymptotic_error_first_order(d, nu):
    """asymptotic/exact - 1 = -nu(nu-2)/(4d) + O(d^-2) (Stirling)."""
    err = ks.asymptotic_relative_error(d, nu)
    assert abs(err - (-nu * (nu - 2) / (4 * d))) < 2.0 * (1 + nu**4) / d**2 + 1e-13
    assert ks.eigenvalue_ratio_asymptotic(d, nu) == pytest.approx(
        ks.eigenvalue_ratio(d, nu) * (1 + err), rel=1e-12)


def test_symbolic_derivation():
    out = ks.symbolic_ratio(order=3)
    d, nu = out["symbols"]
    # closed form equals the paper's eq. 32 / 35
    assert sp.simplify(out["beta"] - (-(nu / 2) * 2**nu * sp.gamma((d + nu) / 2) / sp.gamma(d / 2))) == 0
    # series of ratio/leading: 1 + nu(nu-2)/(4d) + ...
    first = sp.simplify(out["series"].coeff(d, -1))
    assert sp.simplify(first - nu * (nu - 2) / 4) == 0
    # numeric agreement of the truncated series at d = 200
    val = float((out["leading"] * out["series"]).subs({d: 200, nu: 1}))
    assert val == pytest.approx(ks.eigenvalue_ratio(200, 1), rel=1e-7)


@pytest.mark.parametrize("kernel,C_expr,nu", [
    ("ntk", lambda d, ell: 1 / (2 * math.pi * math.sqrt(d)), 1),
    ("nngp", lambda d, ell: 1 / (2 * d), 2),
    ("laplace", lambda d, ell: 1 / ell, 1),
    ("gaussian", lambda d, ell: 1 / (2 * ell**2), 2),
])
def test_kernel_expansions(kernel, C_expr, nu):
    """The numeric path (closed forms, no sympy) equals the sympy derivation of the series
    at several d and ell, and both equal the expected closed form."""
    Cs, ps = ks.kernel_expansion(kernel)       # symbolic in d (and ell): the derivation
    assert isinstance(Cs, sp.Expr) and ps == nu
    ds, ls = sp.symbols("d ell", positive=True)
    for d_, ell in [(1, 0.3), (7, 1.7), (64, 1.7), (1000, 25.0)]:
        C, p = ks.kernel_expansion(kernel, d_, ell=ell)
        derived = float(Cs.subs({ds: d_, ls: ell}))
        assert p == nu and C == pytest.approx(derived, rel=1e-14)
        assert C == pytest.approx(C_expr(d_, ell), rel=1e-14)


def test_kernel_expansion_numerically():
    """The NTK really behaves as 1 - C r on the sphere of radius sqrt(d)."""
    d = 64
    C, _ = ks.kernel_expansion("ntk", d)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(d)
    x *= math.sqrt(d) / np.linalg.norm(x)
    for r in (1e-3, 1e-2):
        e = rng.standard_normal(d)
        e -= (e @ x) / d * x
        e *= r / np.linalg.norm(e)
        y = x + e
        y *= math.sqrt(d) / np.linalg.norm(y)
        rr = np.linalg.norm(x - y)
        th = math.acos(np.clip(x @ y / d, -1, 1))
        k1 = (math.sin(th) + (math.pi - th) * math.cos(th)) / math.pi
        K = 0.5 * (k1 + math.cos(th) * (math.pi - th) / math.pi)
        assert (1 - K) / rr == pytest.approx(C, rel=5 * rr)


def test_eigenvalue_and_tau_scaling():
    lam = ks.eigenvalue(128, 0.1, 64, 1, 1.0)
    assert lam == pytest.approx(-ks.eigenvalue_ratio(64, 1) * 0.1 / 128)
    t = ks.memorization_time([128, 256, 512], 0.1, 64, 1, 1.0)
    np.testing.assert_allclose(t / t[0], [1, 2, 4], rtol=1e-14)
    ts = ks.memorization_time(128, np.array([0.1, 0.2]), 64, 2, 1.0)
    assert ts[0] / ts[1] == pytest.approx(4.0)
    ta = ks.memorization_time_asymptotic(128, 0.1, 64, 1, 1.0)
    assert ta / ks.memorization_time(128, 0.1, 64, 1, 1.0) - 1 == pytest.approx(
        -ks.asymptotic_relative_error(64, 1) / (1 + ks.asymptotic_relative_error(64, 1)), rel=1e-9)


@pytest.mark.parametrize("kernel,P,sigma,d,ell", [
    ("ntk", 128, 0.1789, 64, 1.0),
    ("ntk", 128, 0.05, 64, None),
    ("nngp", 64, 0.0316, 32, 1.0),
    ("laplace", 16, 0.01, 16, 1.0),
    ("gaussian", 16, 0.7071, 16, 2.5),
])
def test_prediction_fields_are_the_individual_functions(kernel, P, sigma, d, ell):
    p = ks.memorization_time_prediction(kernel, P, sigma, d, ell=ell)
    C, nu = ks.kernel_expansion(kernel, d, ell=ell if ell is not None else 1.0)
    assert (p.kernel, p.P, p.sigma, p.d) == (kernel, P, sigma, d)
    assert p.C == C and p.nu == nu and isinstance(p.nu, int)
    assert p.ratio == ks.eigenvalue_ratio(d, nu)
    assert p.relative_error == ks.asymptotic_relative_error(d, nu)
    assert p.eigenvalue == ks.eigenvalue(P, sigma, d, nu, C)
    assert p.tau_mem == ks.memorization_time(P, sigma, d, nu, C)
    assert p.tau_mem_asymptotic == ks.memorization_time_asymptotic(P, sigma, d, nu, C)
    assert p.interpoint_distance == pytest.approx(math.sqrt(2 * d), rel=1e-15)
    assert p.sigma_over_distance == sigma
    if kernel in ("laplace", "gaussian"):
        assert p.ell == ell
        assert p.spread_over_ell == pytest.approx(sigma * math.sqrt(2 * d) / ell, rel=1e-15)
    else:
        assert p.ell is None and p.spread_over_ell is None
    with pytest.raises(AttributeError):
        p.tau_mem = 1.0                                   # frozen


@pytest.mark.parametrize("kernel,sigma,ell,inside", [
    # the rule: sigma < 0.1 and, for laplace/gaussian, sigma sqrt(2d) / ell < 0.3 (d = 16)
    ("ntk", 0.099, None, True),
    ("ntk", 0.1, None, False),
    ("nngp", 0.5, None, False),
    ("laplace", 0.01, 1.0, True),          # spread 0.057
    ("laplace", 0.01, 0.1, False),         # spread 0.57 over ell: the expansion fails
    ("gaussian", 0.05, 0.95, True),        # spread / ell = 0.298
    ("gaussian", 0.05, 0.94, False),       # spread / ell = 0.301
    ("gaussian", 0.1, 100.0, False),       # sigma itself too large
])
def test_prediction_regime_flag(kernel, sigma, ell, inside):
    p = ks.memorization_time_prediction(kernel, 16, sigma, 16, ell=ell)
    assert p.inside_regime is inside
    expected = sigma < 0.1 and (p.spread_over_ell is None or p.spread_over_ell < 0.3)
    assert expected is inside


@pytest.mark.parametrize("call,match", [
    (lambda: ks.memorization_time_prediction("rbf", 16, 0.1, 8), "kernel must be one of"),
    (lambda: ks.memorization_time_prediction("laplace", 16, 0.1, 8, ell=None),
     "ell must be given for the laplace kernel"),
    (lambda: ks.memorization_time_prediction("laplace", 16, 0.1, 8, ell=-1.0), "ell must be > 0.0"),
    (lambda: ks.memorization_time_prediction("ntk", 16, 0.1, 0), "d must be a positive integer, got 0"),
    (lambda: ks.memorization_time_prediction("ntk", 0, 0.1, 8), "P must be >= 1.0"),
    (lambda: ks.memorization_time_prediction("ntk", 16, 0.0, 8), "sigma must be > 0.0"),
    (lambda: ks.memorization_time_prediction("ntk", 16, math.nan, 8), "sigma must be finite"),
    (lambda: ks.memorization_time_prediction("ntk", [16, 32], 0.1, 8), "P must have 0 dimension"),
])
def test_prediction_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- Rayleigh quotients


@pytest.mark.parametrize("call,match", [
    (lambda: ks.beta_d(8, 0), "nu must be > 0.0"),
    (lambda: ks.beta_d(0, 1), "d must be a positive integer, got 0"),
    (lambda: ks.eigenvalue(0, 0.1, 8, 1, 1.0), "P must be >= 1.0"),
    (lambda: ks.eigenvalue(8, 0.0, 8, 1, 1.0), "sigma must be > 0.0"),
    (lambda: ks.eigenvalue(8, 0.1, 8, -1, 1.0), "nu must be > 0.0"),
    (lambda: ks.memorization_time(8, 0.1, 0, 1, 1.0), "d must be >= 1.0"),
    (lambda: ks.eigenvalue_ratio(2.5, 1), "d must be a positive integer"),
    (lambda: ks.kernel_expansion("rbf"), "kernel must be one of"),
    (lambda: ks.beta_d(8, 1, R=3.0), "R must be a callable"),
    (lambda: vk.monte_carlo_constants(8, 1, cutoff="box"), "cutoff must be one of"),
    (lambda: vk.rayleigh_quotient("laplace", 0, 0.1, 8), "P must be a positive integer, got 0"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- gradient flow
