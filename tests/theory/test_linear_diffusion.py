"""Linear diffusion model, Hellinger distance and P(Delta > 0) (theory/linear_diffusion.py)."""

import math

import numpy as np
import pytest

from memlab.theory import linear_diffusion as ld
from memlab.verification import linear_diffusion as vl


# --------------------------------------------------------------------------- the fitted model


def test_fit_ordinary_least_squares_when_n_gt_d():
    Y, X = ld.sample_training_set(50, 4, seed=0)
    m = ld.fit_linear_model(Y, X)
    assert not m.min_norm and int(m.rank) == 4
    # independent: lstsq with an intercept column
    A = np.column_stack([np.ones(50), X])
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]
    np.testing.assert_allclose(m.theta0, coef[0], rtol=1e-9)
    np.testing.assert_allclose(m.theta1, coef[1:].T, rtol=1e-9)


def test_fit_min_norm_when_n_le_d():
    Y, X = ld.sample_training_set(5, 12, seed=1)
    m = ld.fit_linear_model(Y, X)
    assert m.min_norm and int(m.rank) == 4
    # the minimum-norm solution interpolates the centred training data and has rows in
    # the row space of the centred design
    xc, yc = X - X.mean(0), Y - Y.mean(0)
    np.testing.assert_allclose(xc @ m.theta1.T, yc, atol=1e-9)
    P = np.linalg.pinv(xc) @ xc                    # projector onto the row space
    np.testing.assert_allclose(m.theta1 @ P, m.theta1, atol=1e-10)
    assert np.all(m.eigvals[4:] == 0.0)


def test_generated_gaussian_matches_sampling():
    """rho_G = N(theta0 + theta1 mu_X, sigma_X^2 theta1 theta1^T): sample X ~ N(mu_X, sigma_X^2 I)."""
    T, lam = 2.0, math.exp(-4)
    Y, X = ld.sample_training_set(40, 3, seed=2, T=T, lam=lam)
    m = ld.fit_linear_model(Y, X, T=T, lam=lam)
    mu_X = math.exp(-T) * Y.mean(0)
    sX2 = math.exp(-2 * T) * ((Y - Y.mean(0)) ** 2).sum() / (40 * 3) + lam * (1 - math.exp(-2 * T))
    assert float(m.sigma_X2) == pytest.approx(sX2, rel=1e-12)
    rng = np.random.default_rng(3)
    Xs = mu_X + math.sqrt(sX2) * rng.standard_normal((400_000, 3))
    Ys = m.theta0 + Xs @ m.theta1.T
    cov = m.eigvecs @ np.diag(m.eigvals) @ m.eigvecs.T
    np.testing.assert_allclose(Ys.mean(0), m.mean, atol=5 * math.sqrt(cov.diagonal().max() / 4e5))
    np.testing.assert_allclose(np.cov(Ys.T), cov, atol=0.02 * np.abs(cov).max())


# --------------------------------------------------------------------------- Hellinger


def test_hellinger_closed_cases():
    # same law: 0; one-dimensional shift: 1 - exp(-dm^2 / (8 s^2))
    assert ld.hellinger_gaussian(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3)) == pytest.approx(0.0, abs=1e-15)
    assert ld.hellinger_gaussian([0.0], [[4.0]], [1.0], [[4.0]]) == pytest.approx(-math.expm1(-1 / 32))
    # scale only (1d): 1 - sqrt(2 s1 s2 / (s1^2 + s2^2))
    assert ld.hellinger_gaussian([0.0], [[1.0]], [0.0], [[9.0]]) == pytest.approx(1 - math.sqrt(6 / 10))
    # degenerate against full rank: mutually singular
    S = np.diag([1.0, 0.0])
    assert ld.hellinger_gaussian(np.zeros(2), np.eye(2), np.zeros(2), S) == 1.0


@pytest.mark.parametrize("d", [5, 12])
def test_hellinger_against_monte_carlo(d):
    rng = np.random.default_rng(d)
    A = rng.standard_normal((d, d))
    S1 = A @ A.T / d + 0.5 * np.eye(d)
    S2 = np.eye(d) * 1.3
    m1, m2 = rng.standard_normal(d) * 0.3, np.zeros(d)
    h = ld.hellinger_gaussian(m1, S1, m2, S2)
    est, se = vl.monte_carlo_hellinger(m1, S1, m2, S2, n_samples=400_000, seed=1)
    assert abs(est - h) < 4 * se


def test_hellinger_batched_equals_general():
    Y, X = ld.sample_training_set(30, 6, trials=4, seed=5)
    models = ld.fit_linear_model(Y, X)
    batched = ld._hellinger_to_isotropic(models, 10.0, 1.0)
    for b in range(4):
        m = ld.fit_linear_model(Y[b], X[b])
        S = m.theta1 @ m.theta1.T * m.sigma_X2
        assert batched[b] == pytest.approx(ld.hellinger_gaussian(np.full(6, 10.0), np.eye(6), m.mean, S),
                                           rel=1e-10)


def test_expected_hellinger_degenerate_below_d():
    assert ld.expected_hellinger(8, 16, trials=20, seed=0).estimate == 1.0
    assert ld.expected_hellinger(16, 16, trials=20, seed=0).estimate == 1.0
    h17 = ld.expected_hellinger(17, 16, trials=200, seed=0)
    h64 = ld.expected_hellinger(64, 16, trials=200, seed=0)
    assert h64.estimate < h17.estimate < 1.0


# --------------------------------------------------------------------------- Delta


@pytest.mark.parametrize("d,n,n_orig,n_grid", [(1, 5, 20, 20001), (1, 30, 20, 20001),
                                               (2, 6, 60, 301), (2, 40, 60, 301)])
def test_delta_and_hellinger_against_grid(d, n, n_orig, n_grid):
    """Brute-force grid integration of the densities (no overlap identity) in d = 1, 2."""
    rng = np.random.default_rng(10 * d + n)
    Y, X = ld.sample_training_set(n, d, seed=rng)
    orig = 10 + rng.standard_normal((n_orig, d))
    g = vl.grid_distances(Y, X, orig, n_grid=n_grid)
    sign, log_abs = ld.delta_statistic(Y, X, orig)
    assert sign * math.exp(log_abs) == pytest.approx(g.delta, rel=1e-7, abs=1e-12)
    m = ld.fit_linear_model(Y, X)
    h = ld.hellinger_gaussian(np.full(d, 10.0), np.eye(d), m.mean, m.theta1 @ m.theta1.T * m.sigma_X2)
    assert h == pytest.approx(g.hellinger2, rel=1e-9)


def test_delta_large_d_no_overflow():
    Y, X = ld.sample_training_set(30, 200, trials=3, seed=0)
    orig = 10 + np.random.default_rng(1).standard_normal((500, 200))
    sign, log_abs = ld.delta_statistic(Y, X, orig)
    assert np.all(np.isfinite(log_abs)) and np.all(np.abs(sign) == 1)


def test_delta_batched_equals_single():
    Y, X = ld.sample_training_set(20, 8, trials=3, seed=4)
    orig = 10 + np.random.default_rng(2).standard_normal((300, 8))
    sign, la = ld.delta_statistic(Y, X, orig)
    for b in range(3):
        s1, l1 = ld.delta_statistic(Y[b], X[b], orig)
        assert s1 == sign[b] and l1 == pytest.approx(la[b], rel=1e-11)


@pytest.fixture(scope="module")
def curve16():
    return ld.p_delta_curve([8, 16, 24, 32, 40, 64], 16, n_original=10_000, trials=400, seed=1)


def test_p_delta_shape_d16(curve16):
    """Seed 003 Fig. 3, d = 16, N_O = 1e4: below 0.05 at n = 8, above 0.95 at n = 64,
    transition between n = 16 and n = 40 (measured 0.026 / 0.998 / 25.8 with 1000 trials)."""
    p = dict(zip(curve16.n.tolist(), curve16.probability))
    assert p[8] < 0.05 and p[16] < 0.05
    assert p[64] > 0.95
    assert 16 < curve16.transition < 40
    assert np.all(curve16.ci_low <= curve16.probability) and np.all(curve16.probability <= curve16.ci_high)


def test_p_delta_back_to_half_at_N_O_on_average_over_original_sets():
    """Seed 003: P falls back towards 1/2 as n approaches N_O. Measured (d = 16, N_O = 1000):
    averaged over 32 original sets P(n = N_O) = 0.45 [0.33, 0.56] against 0.92 at n = 128;
    conditional on one original set it ranges from 0 to 1 (per-set s.d. 0.31)."""
    c = ld.p_delta_curve([128, 1000], 16, n_original=1000, trials=320, n_original_sets=16, seed=7)
    assert c.set_probabilities.shape == (16, 2)
    assert c.ci_low[0] > 0.8
    assert c.ci_low[1] < 0.5 < c.ci_high[1]
    spread = c.set_probabilities.max(axis=0) - c.set_probabilities.min(axis=0)
    assert spread[1] > 0.5
    assert np.all(c.ci_low <= c.probability) and np.all(c.probability <= c.ci_high)


def test_transition_n():
    assert ld.transition_n([16, 24, 32], [0.0, 0.25, 0.75]) == pytest.approx(math.exp(
        math.log(24) + 0.5 * (math.log(32) - math.log(24))))
    with pytest.raises(ValueError, match="no probability exceeds 1/2"):
        ld.transition_n([8, 16], [0.0, 0.1])
    with pytest.raises(ValueError, match="already exceeds 1/2"):
        ld.transition_n([8, 16], [0.9, 1.0])
    with pytest.raises(ValueError, match="increasing"):
        ld.transition_n([16, 8], [0.0, 1.0])


@pytest.mark.parametrize("call,match", [
    (lambda: ld.p_delta_positive(1, 16, trials=2), "n must be an integer >= 2, got 1"),
    (lambda: ld.p_delta_positive(8, 0, trials=2), "d must be a positive integer, got 0"),
    (lambda: ld.p_delta_positive(8, 16, trials=0), "trials must be a positive integer, got 0"),
    (lambda: ld.p_delta_positive(8, 16, sigma=-1.0), "sigma must be > 0.0"),
    (lambda: ld.p_delta_positive(8, 16, lam=math.nan), "lam must be finite"),
    (lambda: ld.p_delta_positive(8, 16, n_original=1), "n_original must be an integer >= 2"),
    (lambda: ld.expected_hellinger(8, 16, T=0.0), "T must be > 0.0"),
    (lambda: ld.hellinger_gaussian(np.zeros(2), np.diag([1.0, 0.0]), np.zeros(2), np.zeros((2, 2))),
     "at most one of S1, S2 may be singular"),
    (lambda: ld.hellinger_gaussian(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2)), "S1 must have shape"),
    (lambda: ld.fit_linear_model(np.zeros((4, 2)), np.zeros((5, 2))), "X must have the shape of Y"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_hellinger_large_n_limit():
    """E[H^2] does not go to 0: it tends to 1 - (2 sqrt(c)/(1+c))^{d/2}, c = e^{-2T}/(e^{-2T} + Delta_T).
    Measured at d = 16: 0.140, 0.010, 0.003 above the limit (0.368) at n = 160, 1600, 16000."""
    L = ld.hellinger_large_n_limit(16)
    c = math.exp(-4) / (math.exp(-4) + math.exp(-4) * (1 - math.exp(-4)))
    assert L == pytest.approx(1 - (2 * math.sqrt(c) / (1 + c)) ** 8, rel=1e-12)
    gaps = [ld.expected_hellinger(n, 16, trials=40, seed=0).estimate - L for n in (160, 1600, 16000)]
    assert gaps[0] > gaps[1] > gaps[2] > 0
    assert gaps[2] < 0.005
    # any d: the limit grows with d towards 1
    assert ld.hellinger_large_n_limit(100) == pytest.approx(1 - (2 * math.sqrt(c) / (1 + c)) ** 50)
