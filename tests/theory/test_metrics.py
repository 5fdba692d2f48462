"""theory/metrics.py: memorization onset and power-law fits."""

import math

import numpy as np
import pytest

from memlab.theory import metrics


def test_power_law_exact_and_noisy():
    f = metrics.fit_power_law([1, 2, 4, 8, 16], [5 * x**1.3 for x in [1, 2, 4, 8, 16]])
    assert f.exponent == pytest.approx(1.3) and f.prefactor == pytest.approx(5.0)
    assert f.stderr == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(0)
    x = np.logspace(0, 3, 30)
    covered = 0
    for _ in range(200):
        y = 2 * x**0.8 * np.exp(0.1 * rng.standard_normal(30))
        g = metrics.fit_power_law(x, y)
        covered += g.ci_low <= 0.8 <= g.ci_high
    assert 180 <= covered <= 199      # 95% interval: binomial(200, 0.95) range


def test_onset_exact_crossing():
    # gap = 0.1 at step 10, 0.8 at step 100, linear in log(step): crosses 0.5 at 10^(1 + 4/7)
    t = metrics.memorization_onset([1, 10, 100], [1.0, 0.5, 0.1], [1.0, 0.6, 0.9], 0.5)
    assert t == pytest.approx(10 ** (1 + 4 / 7))
    assert math.isnan(metrics.memorization_onset([1, 10], [1.0, 1.0], [1.0, 1.1], 0.5))
    assert metrics.memorization_onset([2, 4], [0.0, 0.0], [1.0, 1.0], 0.5) == 2.0


@pytest.mark.parametrize("call,match", [
    (lambda: metrics.fit_power_law([1, 2], [1, 2]), "at least 3 points"),
    (lambda: metrics.fit_power_law([1, 2, -3], [1, 2, 3]), "x must be > 0.0"),
    (lambda: metrics.fit_power_law([1, 1, 1], [1, 2, 3]), "two distinct values"),
    (lambda: metrics.memorization_onset([1, 1], [0, 0], [0, 0], 0.1), "increasing"),
    (lambda: metrics.memorization_onset([1, 2], [0, 0], [0, 0, 0], 0.1), "same shape"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_power_law_with_errors():
    """Known errors: the interval never shrinks below the propagated error."""
    x = np.array([1.0, 2.0, 4.0, 8.0])
    y = 3 * x**-1.0
    f = metrics.fit_power_law(x, y, y_err=0.07 * y)
    # exact points: residual error 0, propagated error 0.07 / sqrt(sum (log x - mean)^2)
    assert f.stderr == pytest.approx(0.07 / math.sqrt(((np.log(x) - np.log(x).mean()) ** 2).sum()))
    assert f.exponent == pytest.approx(-1.0)


# --- copies, distances, regimes (issue 6) ---------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy import stats as sstats  # noqa: E402


def test_nearest_distances_against_brute_force():
    rng = np.random.default_rng(1)
    train, x = rng.standard_normal((40, 7)), rng.standard_normal((25, 7))
    ref = np.sort(np.linalg.norm(x[:, None] - train[None], axis=-1), axis=1)[:, :3]
    assert np.allclose(metrics.nearest_distances(x, train, k=3, chunk=4), ref, atol=1e-12)
    assert metrics.nearest_distances(x[0], train).shape == (2,)


@given(st.integers(0, 10_000), st.floats(-1e3, 1e3), st.floats(1e-3, 1e3))
def test_copy_criterion_invariant_under_translation_and_scaling(seed, shift, scale):
    rng = np.random.default_rng(seed)
    train = rng.standard_normal((30, 5)) * 3
    # copies (tiny perturbations of training points) and fresh points
    x = np.vstack([train[:10] + 0.01 * rng.standard_normal((10, 5)),
                   rng.standard_normal((10, 5)) * 3])
    base = metrics.copy_mask(x, train)
    moved = metrics.copy_mask(scale * x + shift, scale * train + shift)
    assert np.array_equal(base, moved)
    assert base[:10].all()


def test_memorization_ratio_and_threshold():
    train = np.array([[0.0], [10.0]])
    x = np.array([[2.4], [2.6], [9.0]])       # distance ratios 2.4/7.6, 2.6/7.4, 1/9
    assert metrics.copy_mask(x, train).tolist() == [True, False, True]
    assert metrics.memorization_ratio(x, train) == pytest.approx(2 / 3)
    assert metrics.memorization_ratio(x, train, ratio=0.1) == 0.0
    with pytest.raises(ValueError, match="^ratio"):
        metrics.copy_mask(x, train, ratio=0.0)
    with pytest.raises(ValueError, match="^k must be <="):
        metrics.nearest_distances(x, train[:1])


@given(st.integers(0, 10_000), st.integers(5, 30), st.floats(-1.0, 1.0))
def test_onset_finds_a_planted_change_point(seed, j, level):
    rng = np.random.default_rng(seed)
    steps = np.logspace(0, 4, 41)
    train = np.exp(-steps / 5e3) + level
    onset = steps[j]                       # the gap is exactly linear in log(step) after it
    gap = np.where(steps > onset, np.log(steps / onset), 0.0)      # 0 before, rises after
    val = train + gap + 1e-3 * rng.random(steps.size)
    t = metrics.memorization_onset(steps, train, val, 0.05)
    # the threshold is reached where log(step/onset) = 0.05 (up to the 1e-3 jitter)
    assert t == pytest.approx(onset * np.exp(0.05), rel=0.01)


@given(st.floats(-2.0, 2.0), st.floats(0.1, 10.0), st.integers(0, 1000))
def test_power_law_fit_recovers_a_planted_exponent(beta, A, seed):
    rng = np.random.default_rng(seed)
    x = np.logspace(0, 3, 12)
    y = A * x**beta * np.exp(0.02 * rng.standard_normal(12))
    f = metrics.fit_power_law(x, y)
    assert abs(f.exponent - beta) < 5 * f.stderr + 1e-12
    assert f.stderr < 0.02


def test_hamming_distances():
    train = [[0, 1, 2, 3], [1, 1, 1, 1]]
    assert metrics.nearest_hamming([[0, 1, 2, 3], [1, 1, 2, 3], [2, 2, 2, 2]], train).tolist() \
        == [0.0, 0.25, 0.75]
    assert metrics.hamming_copy_fraction([[0, 1, 2, 3], [2, 2, 2, 2]], train) == 0.5
    with pytest.raises(ValueError, match="^x must have length 4"):
        metrics.nearest_hamming([[0, 1]], train)


def test_sliced_wasserstein_against_closed_forms():
    rng = np.random.default_rng(0)
    d, n = 4, 20000
    m = np.array([1.0, -2.0, 0.5, 0.0])
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d)) + m
    # SW_2^2 between N(0, I) and N(m, I) is E_theta (theta.m)^2 = |m|^2 / d
    sw = metrics.sliced_wasserstein(x, y, n_projections=2000, seed=1)
    assert sw**2 == pytest.approx(m @ m / d, rel=0.05)
    # d = 1: the exact one-dimensional W_1, also for unequal sizes
    a, b = rng.standard_normal((300, 1)), 2 * rng.standard_normal((170, 1)) + 1
    w1 = metrics.sliced_wasserstein(a, b, n_projections=3, p=1, seed=0)
    assert w1 == pytest.approx(sstats.wasserstein_distance(a[:, 0], b[:, 0]), rel=1e-12)


def test_normalised_step_and_phase_diagram():
    assert metrics.normalised_step(100, batch_size=8, lr=0.5, P=4) == 100.0
    assert np.allclose(metrics.normalised_step([1, 2], batch_size=2, lr=1, P=1), [2, 4])
    P = np.array([50, 50, 5000, 5000, 5000])
    tau = np.array([5, 200, 50, 2000, 10**6])
    regime, layers = metrics.phase_diagram(P, tau, P_star=[10, 100, 1000])
    assert [metrics.PHASES[r] for r in regime] == [
        "partial generalization", "memorization", "partial generalization", "generalization",
        "memorization"]
    assert layers.tolist() == [0, 1, 1, 3, 3]
    with pytest.raises(ValueError, match="^P_star must be increasing"):
        metrics.phase_diagram(1, 1, P_star=[10, 5])


# --- fidelity metrics of the position paper (2026) -----------------------------------

def _random_spd(rng, d):
    A = rng.standard_normal((d, d))
    return A @ A.T + 0.1 * np.eye(d)


def test_gaussian_frechet_distance_against_scipy_sqrtm_and_closed_cases():
    from scipy.linalg import sqrtm

    from memlab.theory.metrics import gaussian_frechet_distance
    rng = np.random.default_rng(0)
    for d in (1, 2, 5, 12):
        m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
        S1, S2 = _random_spd(rng, d), _random_spd(rng, d)
        # independent: the general (non-symmetric) sqrtm form tr(S1 + S2 - 2 (S1 S2)^{1/2})
        ref = np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * np.real(sqrtm(S1 @ S2)))
        assert gaussian_frechet_distance(m1, S1, m2, S2) == pytest.approx(ref, rel=1e-9)
    # commuting (diagonal) covariances: sum (sqrt(a) - sqrt(b))^2
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 16.0])
    assert gaussian_frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)) == \
        pytest.approx(3.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2), rel=1e-12)
    S = _random_spd(rng, 4)
    assert gaussian_frechet_distance(np.ones(4), S, np.ones(4), S) == pytest.approx(0, abs=1e-10)
    with pytest.raises(ValueError, match="S2 must be symmetric"):
        gaussian_frechet_distance([0.0, 0.0], np.eye(2), [0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]])


def test_frechet_distance_of_samples_converges_to_the_gaussian_value():
    from memlab.theory.metrics import frechet_distance, gaussian_frechet_distance
    rng = np.random.default_rng(1)
    S1, S2 = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([[1.0, -0.3], [-0.3, 0.5]])
    m1, m2 = np.zeros(2), np.array([1.0, -2.0])
    exact = gaussian_frechet_distance(m1, S1, m2, S2)
    n = 200_000
    x = rng.multivariate_normal(m1, S1, n)
    y = rng.multivariate_normal(m2, S2, n)
    # estimator error: O(tr S / sqrt(n)) in the means and covariances, ~1e-2 here
    assert frechet_distance(x, y) == pytest.approx(exact, abs=0.03)


def _brute_precision_recall(real, fake, k):
    def radii(a):
        D = np.linalg.norm(a[:, None] - a[None], axis=-1)
        return np.sort(D, axis=1)[:, k]

    def inside(q, c, r):
        D = np.linalg.norm(q[:, None] - c[None], axis=-1)
        return (D <= r[None, :]).any(axis=1).mean()

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_against_brute_force(k):
    from memlab.theory.metrics import precision_recall
    rng = np.random.default_rng(k)
    real = rng.standard_normal((120, 3))
    fake = 0.7 * rng.standard_normal((90, 3)) + [0.5, 0.0, 0.0]
    p, r = precision_recall(real, fake, k=k, chunk=16)
    bp, br = _brute_precision_recall(real, fake, k)
    assert (p, r) == (pytest.approx(bp, abs=1e-12), pytest.approx(br, abs=1e-12))
    assert 0 < p <= 1 and 0 < r <= 1


def test_precision_recall_extremes():
    from memlab.theory.metrics import precision_recall
    rng = np.random.default_rng(2)
    real = rng.standard_normal((200, 2))
    assert precision_recall(real, real.copy()) == (1.0, 1.0)        # every point is a centre
    assert precision_recall(real, real + 100.0) == (0.0, 0.0)
    with pytest.raises(ValueError, match="more than k = 3"):
        precision_recall(real[:3], real)
    with pytest.raises(ValueError, match="fake must have 2 columns"):
        precision_recall(real, np.zeros((10, 3)))


def test_best_before():
    from memlab.theory.metrics import best_before
    steps = [1.0, 2.0, 4.0, 8.0, 16.0]
    fid = [5.0, 2.0, 3.0, 1.0, 0.5]
    assert best_before(steps, fid, 6.0) == (2.0, 2.0)
    assert best_before(steps, fid, float("nan")) == (0.5, 16.0)
    b, s = best_before(steps, fid, 0.5)
    assert np.isnan(b) and np.isnan(s)
    with pytest.raises(ValueError, match="strictly increasing"):
        best_before([1.0, 1.0], [1.0, 2.0], 3.0)
    with pytest.raises(ValueError, match="tau_mem"):
        best_before(steps, fid, float("inf"))


def test_sliced_wasserstein_directions_as_documented():
    """The directions are the normalised columns of a (d, P) standard-normal draw of the
    seed's Generator (the report's metrics check relies on it): with those directions, the
    1-D W2 of sorted projections averaged by hand gives the same number."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((300, 3)), rng.standard_normal((300, 3)) + 0.5
    theta = np.random.default_rng(11).standard_normal((3, 40))
    theta /= np.linalg.norm(theta, axis=0, keepdims=True)
    by_hand = np.sqrt(np.mean((np.sort(x @ theta, axis=0) - np.sort(y @ theta, axis=0)) ** 2))
    assert metrics.sliced_wasserstein(x, y, n_projections=40, seed=11) == pytest.approx(
        by_hand, rel=1e-13)
