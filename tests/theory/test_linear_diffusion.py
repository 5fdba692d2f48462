"""Linear diffusion model, Hellinger distance and P(Delta > 0) (theory/linear_diffusion.py)."""

import math

import numpy as np
import pytest
from scipy import special, stats

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


def test_expected_hellinger_degenerate_below_d():
    assert ld.expected_hellinger(8, 16, trials=20, seed=0).estimate == 1.0
    assert ld.expected_hellinger(16, 16, trials=20, seed=0).estimate == 1.0
    h17 = ld.expected_hellinger(17, 16, trials=200, seed=0)
    h64 = ld.expected_hellinger(64, 16, trials=200, seed=0)
    assert h64.estimate < h17.estimate < 1.0


# --------------------------------------------------------------------------- low-rank path against a dense reference
# The reference below is dense and independent of the module's internals: the minimum-norm
# least-squares slope from numpy's pseudo-inverse with a cutoff of 1e-8 (which drops the
# direction that centring makes exactly singular, about 1e-15 of the largest singular value,
# while the smallest genuine one is above 1e-4 of it here, checked), the d x d covariance,
# and log-determinants / solves of d x d matrices.



def _dense_model(Y, X, T, lam):
    n, d = Y.shape
    yc, xc = Y - Y.mean(0), X - X.mean(0)
    s = np.linalg.svd(xc, compute_uv=False)
    assert s[min(n - 1, d) - 1] > 1e-4 * s[0]          # genuine directions are far from 1e-8
    theta1 = (np.linalg.pinv(xc, rcond=1e-8) @ yc).T
    theta0 = Y.mean(0) - theta1 @ X.mean(0)
    sX2 = math.exp(-2 * T) * (yc**2).sum() / (n * d) + lam * -math.expm1(-2 * T)
    S = sX2 * theta1 @ theta1.T
    return theta1, theta0 + theta1 @ (math.exp(-T) * Y.mean(0)), 0.5 * (S + S.T)


def _dense_log_bc(m1, S1, m2, S2, theta1):
    """log Bhattacharyya coefficient from slogdet and solve on d x d matrices; S2 = s theta1
    theta1^T, whose log-determinant is d log s + 2 log|det theta1| (not slogdet(S2): squaring
    theta1 squares its condition number, about 1e6 at n = d + 1)."""
    Sbar = 0.5 * (S1 + S2)
    dm = m1 - m2
    d = len(m1)
    logdet2 = np.log(S2.trace() / (theta1 * theta1).sum()) * d + 2 * np.linalg.slogdet(theta1)[1]
    return (0.25 * np.linalg.slogdet(S1)[1] + 0.25 * logdet2
            - 0.5 * np.linalg.slogdet(Sbar)[1] - dm @ np.linalg.solve(Sbar, dm) / 8)


SETTINGS = [  # n, d, mu, sigma, T, lam: n below, at and above d, up to d = 200
    (5, 12, 10.0, 1.0, 2.0, math.exp(-4)), (40, 6, 10.0, 1.0, 2.0, math.exp(-4)),
    (30, 200, 10.0, 1.0, 2.0, math.exp(-4)), (60, 80, -3.0, 2.5, 0.5, 0.3),
    (80, 80, 0.0, 0.7, 1.0, 1.0), (81, 80, 10.0, 1.0, 2.0, math.exp(-4)),
    (140, 80, 1.0, 0.3, 0.2, 0.05), (80, 20, -5.0, 4.0, 3.0, 2.0),
]


@pytest.mark.parametrize("n,d,mu,sigma,T,lam", SETTINGS)
def test_low_rank_fit_equals_dense(n, d, mu, sigma, T, lam):
    """Mean and covariance of rho_G from the n-dimensional span (no d x d matrix) equal the
    dense fit to 1e-10 of their scale: both are backward-stable SVDs of the same matrices,
    observed differences are 1e-15 to 1e-12 relative (condition number of the design up
    to about 1e3 at n = d + 1)."""
    Y, X = ld.sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=2, seed=n + d)
    low = ld._fit_low_rank(Y, X, T, lam)
    # the public dense fit too, where its d x d SVD is cheap (at d = 120 LAPACK's SVD took
    # seconds on a loaded 2-core machine)
    dense = ld.fit_linear_model(Y, X, T=T, lam=lam) if d <= 20 else None
    assert low.eigvecs.shape == (2, d, min(n - 1, d))
    for b in range(2):
        theta1, mean, S = _dense_model(Y[b], X[b], T, lam)
        S_low = (low.eigvecs[b] * low.eigvals[b]) @ low.eigvecs[b].T
        scale = np.abs(S).max()
        np.testing.assert_allclose(S_low, S, rtol=0, atol=1e-10 * scale)
        np.testing.assert_allclose(low.mean[b], mean, rtol=0, atol=1e-10 * np.abs(mean).max())
        assert int(low.rank[b]) == min(n - 1, d)
        if dense is not None:
            np.testing.assert_allclose(dense.theta1[b], theta1, rtol=0, atol=1e-10 * np.abs(theta1).max())
            np.testing.assert_allclose(dense.mean[b], mean, rtol=0, atol=1e-10 * np.abs(mean).max())
            assert int(dense.rank[b]) == min(n - 1, d)
        np.testing.assert_allclose(low.eigvecs[b].T @ low.eigvecs[b], np.eye(min(n - 1, d)), atol=1e-12)


def test_gram_and_svd_paths_agree_and_switch():
    """The n x n Gram path is taken when n is well below d and refused near n = d (design
    condition number beyond about 32); where it is taken it equals the LAPACK SVD path to
    1e-10 of the largest eigenvalue (observed 1e-14)."""
    for n, d, gram in ((30, 200, True), (90, 120, True), (120, 120, False), (119, 120, False)):
        Y, X = ld.sample_training_set(n, d, trials=2, seed=n)
        yc, xc = Y - Y.mean(-2, keepdims=True), X - X.mean(-2, keepdims=True)
        v = np.ones((2, d))
        by_gram = ld._span_by_gram(yc, xc, v)
        assert (by_gram is not None) == gram
        if gram:
            A, w, sa, R, _ = by_gram
            A2, w2, sa2, R2, _ = ld._span_by_svd(yc, xc, v)
            np.testing.assert_allclose(sa, sa2, rtol=0, atol=1e-10 * sa2.max())
            np.testing.assert_allclose((R * sa[:, None, :]**2) @ np.swapaxes(R, 1, 2),
                                       (R2 * sa2[:, None, :]**2) @ np.swapaxes(R2, 1, 2),
                                       rtol=0, atol=1e-10 * sa2.max()**2)
            np.testing.assert_allclose(np.einsum("bkd,bk->bd", A, w), np.einsum("bkd,bk->bd", A2, w2),
                                       rtol=0, atol=1e-10 * np.abs(A2).max() * np.abs(w2).max())


def test_pinv_keeps_no_centring_direction():
    """Regression: numpy's pinv (cutoff 1e-15) inverted the singular value that centring
    makes zero (rounding, ~1e-15 of the largest) in 37% of training sets at n = 8, d = 16,
    adding an O(1) spurious term to theta1. Here is such a set."""
    bad = 0
    for seed in range(20):
        Y, X = ld.sample_training_set(8, 16, seed=seed)
        xc, yc = X - X.mean(0), Y - Y.mean(0)
        numpy_pinv = (np.linalg.pinv(xc) @ yc).T
        theta1, mean, _ = _dense_model(Y, X, 2.0, math.exp(-4))
        bad += np.abs(numpy_pinv - theta1).max() > 1e-3
        m = ld.fit_linear_model(Y, X)
        np.testing.assert_allclose(m.theta1, theta1, rtol=0, atol=1e-10 * np.abs(theta1).max())
        np.testing.assert_allclose(ld._fit_low_rank(Y[None], X[None], 2.0, math.exp(-4)).mean[0],
                                   mean, rtol=0, atol=1e-10 * np.abs(mean).max())
    assert bad >= 3                      # the defect is common, so this test exercises it


@pytest.mark.parametrize("n,d,mu,sigma,T,lam", [s for s in SETTINGS if s[0] > s[1]])
def test_hellinger_low_rank_equals_dense(n, d, mu, sigma, T, lam):
    """log BC and H^2 against slogdet/solve on the dense covariances: 1e-10 relative on
    log BC (values of order 1-100, summing d logs of well-conditioned eigenvalues) and 1e-10
    absolute on H^2."""
    Y, X = ld.sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=2, seed=n)
    low = ld._fit_low_rank(Y, X, T, lam)
    log_bc = ld._log_bc_isotropic(low, mu, sigma, d)
    h2 = ld._hellinger_to_isotropic(low, mu, sigma, d)
    for b in range(2):
        theta1, mean, S = _dense_model(Y[b], X[b], T, lam)
        ref = _dense_log_bc(np.full(d, mu), sigma**2 * np.eye(d), mean, S, theta1)
        assert log_bc[b] == pytest.approx(ref, rel=1e-10, abs=1e-12)
        assert h2[b] == pytest.approx(-math.expm1(ref), rel=0, abs=1e-10)
        assert h2[b] == pytest.approx(ld.hellinger_gaussian(np.full(d, mu), sigma**2 * np.eye(d), mean, S),
                                      rel=0, abs=1e-10)


def test_degenerate_below_d_and_rank_just_above_d():
    """n <= d: every fitted model has n - 1 eigenpairs, H^2 = 1 without any tolerance, and the
    dense formula agrees (S_G singular). n = d + 1 at d = 150: full rank d, not misclassified
    (smallest eigenvalue far above rounding), H^2 < 1 and equal to the dense value."""
    d = 150
    for n in (50, d):
        Y, X = ld.sample_training_set(n, d, trials=2, seed=n)
        low = ld._fit_low_rank(Y, X, 2.0, math.exp(-4))
        assert low.eigvals.shape == (2, n - 1) and np.all(low.rank == n - 1)
        assert np.all(ld._hellinger_to_isotropic(low, 10.0, 1.0, d) == 1.0)
        _, mean, S = _dense_model(Y[0], X[0], 2.0, math.exp(-4))
        assert ld.hellinger_gaussian(np.full(d, 10.0), np.eye(d), mean, S) == 1.0
    Y, X = ld.sample_training_set(d + 1, d, trials=1, seed=3)
    low = ld._fit_low_rank(Y, X, 2.0, math.exp(-4))
    assert int(low.rank[0]) == d
    # smallest singular value of theta1 ~1e-6 of the largest: 1e7 times the rounding cutoff
    assert math.sqrt(low.eigvals[0, -1] / low.eigvals[0, 0]) > 1e3 * d * np.finfo(float).eps
    theta1, mean, S = _dense_model(Y[0], X[0], 2.0, math.exp(-4))
    ref = _dense_log_bc(np.full(d, 10.0), np.eye(d), mean, S, theta1)
    assert ld._log_bc_isotropic(low, 10.0, 1.0, d)[0] == pytest.approx(ref, rel=1e-10)
    assert np.isfinite(ld._log_bc_isotropic(low, 10.0, 1.0, d)[0])   # H^2 < 1 (rounds to 1 here)


def _dense_log_cross(P, mean, S, eps2):
    """log (1/m) sum_k N(P_k | mean, S + eps2 I) from scipy's dense multivariate normal."""
    lp = stats.multivariate_normal(mean=mean, cov=S + eps2 * np.eye(len(mean))).logpdf(P)
    return special.logsumexp(np.atleast_1d(lp)) - math.log(len(P))


@pytest.mark.parametrize("n,d,mu,sigma,T,lam", SETTINGS[:4] + SETTINGS[5:6] + SETTINGS[7:])
def test_log_overlaps_low_rank_equal_dense(n, d, mu, sigma, T, lam):
    """The overlaps with rho_G (Woodbury and the determinant lemma in the span) against
    dense log-densities: 1e-10 relative on log-overlaps of order 10-1000 (the expansion
    of the quadratic forms around the data mean loses about d * eps * |p|^2 / eps^2, far
    below). Delta's sign agrees with the dense four-term formula."""
    rng = np.random.default_rng(n * d)
    Y, X = ld.sample_training_set(n, d, mu=mu, sigma=sigma, T=T, lam=lam, trials=2, seed=rng)
    orig = mu + sigma * rng.standard_normal((60, d))
    O = ld._prepare_original(orig, sigma)
    low = ld._fit_low_rank(Y, X, T, lam)
    eps2_n = ld._kde_width2(sigma, n, d)
    Yc = Y - O.centre
    tg = ld._log_cross_overlap(Yc, (Yc * Yc).sum(-1), low, eps2_n, O.centre)
    og = ld._log_cross_overlap(O.points, O.sqnorm, low, O.eps2, O.centre)
    sign, log_abs = ld.delta_statistic(Y, X, orig, sigma=sigma, T=T, lam=lam)
    for b in range(2):
        _, mean, S = _dense_model(Y[b], X[b], T, lam)
        ref_tg, ref_og = _dense_log_cross(Y[b], mean, S, eps2_n), _dense_log_cross(orig, mean, S, O.eps2)
        assert tg[b] == pytest.approx(ref_tg, rel=1e-10)
        assert og[b] == pytest.approx(ref_og, rel=1e-10)
        tt = ld._log_self_overlap(Y[b], eps2_n)
        ref_terms = [tt, math.log(2) + ref_tg, O.log_self, math.log(2) + ref_og]
        ref_log_abs, ref_sign = special.logsumexp(ref_terms, b=[1, -1, -1, 1], return_sign=True)
        assert sign[b] == ref_sign
        # |Delta| relative to the largest term sets how much of the 1e-10 survives
        cancel = max(ref_terms) - ref_log_abs
        assert log_abs[b] == pytest.approx(ref_log_abs, abs=1e-9 * max(map(abs, ref_terms)) * math.exp(cancel))


def test_expected_hellinger_large_d_cheap():
    """n <= d: no training set is drawn and no d x d array allocated (d = 1e6 would need
    8 TB dense); n > d with d x d beyond the memory budget is refused up front."""
    import tracemalloc
    tracemalloc.start()
    est = ld.expected_hellinger(100, 10**6, trials=5, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert est.estimate == 1.0 and est.stderr == 0.0 and peak < 1e6
    with pytest.raises(ValueError, match="memory budget"):
        ld.expected_hellinger(10**5 + 1, 10**5, trials=1)
    with pytest.raises(TypeError, match="seed"):         # checked even when nothing is drawn
        ld.expected_hellinger(4, 8, seed="x")


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


# --------------------------------------------------------------------------- fast overlaps


@pytest.mark.parametrize("m,d,eps2", [(2, 1, 1.0), (37, 3, 1e-4), (700, 16, 0.34), (3000, 2, 0.01)])
def test_self_overlap_triangle_sum_equals_full_log_sum_exp(m, d, eps2):
    """The upper-triangle, unshifted sum equals the previous full log-sum-exp and a direct
    logsumexp over every pair (rounding only: 1e-12 relative)."""
    P = 10 + np.random.default_rng(m).standard_normal((m, d))
    fast = ld._log_self_overlap(P, eps2)
    assert fast == pytest.approx(ld._log_self_overlap_reference(P, eps2), rel=1e-12)
    if m <= 700:
        d2 = ((P[:, None, :] - P[None, :, :]) ** 2).sum(-1)
        direct = (special.logsumexp(-d2 / (4 * eps2)) - 2 * math.log(m)
                  - 0.5 * d * math.log(4 * math.pi * eps2))
        assert fast == pytest.approx(direct, rel=1e-12)
    batch = P[: (m // 2) * 2].reshape(2, m // 2, d) if m >= 4 else P[None]
    np.testing.assert_allclose(ld._log_self_overlap(batch, eps2, chunk=5),
                               ld._log_self_overlap_reference(batch, eps2, chunk=5), rtol=1e-12)


def test_cross_overlap_quadratic_features_accurate_at_tiny_width():
    """With N_O = 400 original points in d = 1 the KDE width is eps^2 = 6e-6, far below the
    generated variance: the feature form (small eigenvalues of A taken directly) is
    within 1e-13 of a 40-digit mpmath sum; the low-rank form, which subtracts
    g / (g + eps^2) from 1, is off by about 1e-11 there."""
    import mpmath as mp

    rng = np.random.default_rng(5)
    Y, X = ld.sample_training_set(10, 1, trials=3, seed=10)
    orig = 10 + rng.standard_normal((400, 1))
    O = ld._prepare_original(orig, 1.0)
    assert O.features is not None
    model = ld._fit_low_rank(Y, X, 2.0, np.exp(-4.0))
    fast = ld._log_cross_overlap(O.points, O.sqnorm, model, O.eps2, O.centre, O.features)
    low_rank = ld._log_cross_overlap(O.points, O.sqnorm, model, O.eps2, O.centre)
    with mp.workdps(40):
        for b in range(3):
            var = mp.mpf(float(model.eigvals[b, 0])) * mp.mpf(float(model.eigvecs[b, 0, 0])) ** 2 \
                + mp.mpf(O.eps2)
            mean = mp.mpf(float(model.mean[b, 0]))
            total = mp.fsum(mp.exp(-(mp.mpf(float(x)) - mean) ** 2 / (2 * var)) for x in orig[:, 0])
            exact = float(mp.log(total / 400) - mp.log(2 * mp.pi * var) / 2)
            assert fast[b] == pytest.approx(exact, rel=1e-13, abs=1e-13)
            assert low_rank[b] == pytest.approx(exact, rel=1e-9)


def test_cross_overlap_features_equal_low_rank_form():
    """Moderate widths, d = 16 and 28, n below and above d: both forms agree to 1e-12."""
    rng = np.random.default_rng(2)
    for n, d in [(8, 16), (40, 16), (20, 28)]:
        Y, X = ld.sample_training_set(n, d, trials=4, seed=n + d)
        O = ld._prepare_original(10 + rng.standard_normal((2000, d)), 1.0)
        model = ld._fit_low_rank(Y, X, 2.0, np.exp(-4.0))
        np.testing.assert_allclose(
            ld._log_cross_overlap(O.points, O.sqnorm, model, O.eps2, O.centre, O.features),
            ld._log_cross_overlap(O.points, O.sqnorm, model, O.eps2, O.centre), rtol=1e-12)


# --------------------------------------------------------------------------- E_TG, E_OG (distance_curve)


def _draws(n, d, trials, seed):
    """The training sets distance_curve draws when the original dataset is given (one chunk)."""
    return ld.sample_training_set(n, d, trials=trials, seed=np.random.default_rng(seed))


def test_distance_curve_signs_equal_p_delta_curve():
    """With the defaults the same draws give exactly the same signs of Delta (P(Delta > 0))."""
    ns = [4, 8, 12, 16, 32]
    a = ld.distance_curve(ns, 8, n_original=500, trials=40, seed=3)
    b = ld.p_delta_curve(ns, 8, n_original=500, trials=40, seed=3)
    np.testing.assert_array_equal(a.p_delta, b.probability)
    # n <= d: the exact rho_G is degenerate, both distances are infinite, Delta is not
    assert np.all(np.isposinf(a.log_E_OG[:2])) and np.all(np.isposinf(a.log_self_generated[:2]))
    assert np.all(np.isfinite(a.log_abs_delta)) and np.all(np.isfinite(a.log_E_OG[2:]))
    assert np.isnan(a.scaled_E_OG[:2]).sum() == 0 and a.scaled_E_OG[2] == 1.0


@pytest.mark.parametrize("d,n,n_orig,n_grid", [(1, 5, 20, 20001), (1, 30, 20, 20001),
                                               (2, 6, 60, 801), (2, 40, 60, 801)])
def test_distances_against_grid(d, n, n_orig, n_grid):
    """E_TG and E_OG of each training set against brute-force grid integration of the densities
    (no overlap identity): 1e-8 relative (observed 1e-15 to 1e-13: the trapezoid rule is
    spectrally accurate for these Gaussians, whose narrowest width, eps_O / sqrt 2, spans at
    least 1.5 grid steps, and the mass beyond 9 sigma is e^-40)."""
    orig = 10 + np.random.default_rng(d * n).standard_normal((n_orig, d))
    c = ld.distance_curve([n], d, trials=3, original=orig, seed=n)
    Y, X = _draws(n, d, 3, n)
    for b in range(3):
        g = vl.grid_distances(Y[b], X[b], orig, n_grid=n_grid)
        assert math.exp(c.log_E_TG[0, b]) == pytest.approx(g.E_TG, rel=1e-8)
        assert math.exp(c.log_E_OG[0, b]) == pytest.approx(g.E_OG, rel=1e-8)
        assert c.delta_sign[0, b] * math.exp(c.log_abs_delta[0, b]) == pytest.approx(
            g.delta, rel=1e-7, abs=1e-12)
        assert c.hellinger2[0, b] == pytest.approx(g.hellinger2, rel=1e-9)


@pytest.mark.parametrize("n,kw", [
    (40, {}),                                                   # n > d, the paper's setting
    (10, {"generated_width": "original"}),                      # n <= d: rho_G smoothed
    (24, {"kde_width": "mixing", "ridge": 1e-2}),               # eq. 10 widths, ridge denoiser
    (12, {"kde_width": 0.7, "ridge": 1e-3, "generated_width": 0.2}),
])
def test_distances_against_monte_carlo_d16(n, kw):
    """d = 16: each distance against the defensive importance-sampling estimate of
    monte_carlo_distances (dense fit, direct densities), within 4 standard errors (8 checks
    at 4 s.e.: a family-wise false alarm below 1e-3)."""
    d = 16
    orig = 10 + np.random.default_rng(n).standard_normal((800, d))
    c = ld.distance_curve([n], d, trials=1, original=orig, seed=7, **kw)
    Y, X = _draws(n, d, 1, 7)
    mc = vl.monte_carlo_distances(Y[0], X[0], orig, n_samples=60_000, seed=11, **kw)
    assert abs(math.exp(c.log_E_TG[0, 0]) - mc.E_TG) < 4 * mc.E_TG_stderr
    assert abs(math.exp(c.log_E_OG[0, 0]) - mc.E_OG) < 4 * mc.E_OG_stderr
    assert mc.E_TG_stderr < 0.05 * mc.E_TG and mc.E_OG_stderr < 0.05 * mc.E_OG


def test_self_generated_and_ridge_against_dense():
    """log int rho_G^2 = -(d/2) log 4 pi - (1/2) log det(S_G + eps_G^2 I) and the ridge model
    against dense linear algebra (solve, slogdet), n below and above d."""
    d = 12
    for n, ridge, eps2 in ((8, 0.0, 0.04), (8, 1e-2, 0.04), (30, 0.0, 0.0), (30, 3e-3, 0.01)):
        Y, X = ld.sample_training_set(n, d, trials=2, seed=n)
        model = ld._fit_ridge(Y, X, 2.0, math.exp(-4), ridge)
        lg = ld._log_self_generated(model, d, eps2)
        for b in range(2):
            yc, xc = Y[b] - Y[b].mean(0), X[b] - X[b].mean(0)
            if ridge:
                theta1 = np.linalg.solve(xc.T @ xc + n * ridge * np.eye(d), xc.T @ yc).T
            else:
                theta1 = (np.linalg.pinv(xc, rcond=1e-8) @ yc).T
            sX2 = math.exp(-4) * (yc**2).sum() / (n * d) + math.exp(-4) * -math.expm1(-4)
            S = sX2 * theta1 @ theta1.T
            S_low = (model.eigvecs[b] * model.eigvals[b]) @ model.eigvecs[b].T
            np.testing.assert_allclose(S_low, S, rtol=0, atol=1e-10 * np.abs(S).max())
            mean = Y[b].mean(0) + theta1 @ (math.exp(-2) * Y[b].mean(0) - X[b].mean(0))
            np.testing.assert_allclose(model.mean[b], mean, rtol=1e-11)
            ref = -0.5 * d * math.log(4 * math.pi) - 0.5 * np.linalg.slogdet(S + eps2 * np.eye(d))[1]
            assert lg[b] == pytest.approx(ref, rel=1e-9)
    # exact rho_G with n <= d: infinite, ridge or not (rank <= n - 1 either way)
    Y, X = ld.sample_training_set(8, d, trials=2, seed=0)
    for ridge in (0.0, 0.1):
        model = ld._fit_ridge(Y, X, 2.0, math.exp(-4), ridge)
        assert model.eigvals.shape[-1] == 7
        assert np.all(np.isposinf(ld._log_self_generated(model, d, 0.0)))


def test_distance_curve_options_and_summaries():
    c = ld.distance_curve([6, 20], 4, n_original=300, trials=30, seed=1, kde_width="mixing",
                          generated_width=0.3, ridge=1e-3)
    from memlab.theory.mixing import mixing_time
    np.testing.assert_allclose(c.eps_train ** 2, [2 * mixing_time(1.0, 4, n) for n in (6, 20)])
    assert c.eps_original ** 2 == pytest.approx(2 * mixing_time(1.0, 4, 300))
    assert c.eps_generated == pytest.approx(0.3)
    assert np.all(np.isfinite(c.log_E_TG)) and np.all(np.isfinite(c.rel_stderr_E_OG))
    # the means and scaled curves from the per-trial values
    E = np.exp(c.log_E_OG)
    np.testing.assert_allclose(np.exp(c.log_mean_E_OG), E.mean(1), rtol=1e-12)
    np.testing.assert_allclose(c.rel_stderr_E_OG, E.std(1, ddof=1) / E.mean(1) / np.sqrt(30), rtol=1e-10)
    np.testing.assert_allclose(c.scaled_E_OG, E.mean(1) / E.mean(1)[0], rtol=1e-12)
    np.testing.assert_allclose(c.p_delta, (c.delta_sign > 0).mean(1))
    f = ld.distance_curve([6], 4, n_original=300, trials=3, seed=1, kde_width=0.5)
    assert np.all(f.eps_train == 0.5) and f.eps_original == 0.5


@pytest.mark.parametrize("kw,exc,match", [
    ({"kde_width": "silverman"}, ValueError, "kde_width"), ({"kde_width": None}, TypeError, "kde_width"),
    ({"kde_width": -1.0}, ValueError, "kde_width"), ({"ridge": -1e-3}, ValueError, "ridge"),
    ({"generated_width": "train"}, ValueError, "generated_width"),
    ({"generated_width": 0.0}, ValueError, "generated_width"),
    ({"n_values": [8, 4]}, ValueError, "n_values"), ({"n_values": [[4, 8]]}, ValueError, "n_values"),
    ({"n_values": []}, ValueError, "n_values"), ({"n_values": "8"}, TypeError, "n_values"),
])
def test_distance_curve_validation(kw, exc, match):
    args = {"n_values": [4, 8], "d": 2, "n_original": 50, "trials": 2, **kw}
    with pytest.raises(exc, match=match):
        ld.distance_curve(**args)


# --------------------------------------------------------------------------- the alignment claim


def test_fall_location_planted():
    """A planted logistic fall in log n centred at n0 = 40: the steepest fall is at n0 (to the
    grid's parabola refinement), the half-rate onset before it; no fall gives NaN."""
    n = np.geomspace(4, 400, 31)
    y = 1.0 / (1.0 + np.exp(3.0 * (np.log(n) - np.log(40.0))))
    n_fall, rate, onset = ld._fall_location(n, y)
    assert n_fall == pytest.approx(40.0, rel=0.02)
    assert rate == pytest.approx(0.75, rel=0.02)             # max of -dy/dlog n = 3/4
    assert onset < n_fall
    assert all(math.isnan(v) for v in ld._fall_location(n, n))
    # infinite values (exact rho_G below d) are left out
    y2 = y.copy()
    y2[:5] = np.inf
    assert ld._fall_location(n, y2)[0] == pytest.approx(n_fall)


def test_onset_alignment_consistent():
    a = ld.onset_alignment(8, [4, 6, 9, 12, 16, 24, 32, 48, 64, 96], n_original=1000, trials=40,
                           generated_width=0.1, n_boot=40, seed=5)
    assert a.n_quarter <= a.n_half <= a.n_three_quarters
    assert a.n_half_ci[0] <= a.n_half <= a.n_half_ci[1]
    assert a.ratio == pytest.approx(a.n_fall / a.n_half)
    assert a.ratio_ci[0] <= a.ratio_ci[1]
    assert a.n_half == pytest.approx(ld.transition_n(a.n, a.p_delta))
    np.testing.assert_array_equal(a.p_delta, a.curve.p_delta)
    log_a = ld._alignment(a.curve, "log", "mean", 10, 0.9, np.random.default_rng(0), 5)
    assert log_a.n_half == a.n_half and log_a.fall == "log" and log_a.summary == "mean"
    assert a.summary == "median"
    np.testing.assert_allclose(a.scaled_E_OG, np.exp(a.curve.log_median_E_OG
                                                     - a.curve.log_median_E_OG[0]))
    with pytest.raises(ValueError, match="fall"):
        ld.onset_alignment(2, [2, 4], fall="steepest")
    with pytest.raises(ValueError, match="confidence"):
        ld.onset_alignment(2, [2, 4], confidence=1.0)
    with pytest.raises(ValueError, match="summary"):
        ld.onset_alignment(2, [2, 4], summary="mode")
