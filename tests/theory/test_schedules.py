"""Noise processes and the reference time grid (theory/schedules.py)."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from memlab.theory import schedules as sch

unit = st.floats(min_value=1e-6, max_value=1 - 1e-6)


@given(unit)
def test_vp_variance_preserving(t):
    a, s = sch.alpha(t), sch.sigma(t)
    assert a == pytest.approx(math.sqrt(1 - t * t), rel=1e-15)
    assert s == t
    assert a * a + s * s == pytest.approx(1.0, abs=1e-14)
    assert sch.snr(t) == pytest.approx(a * a / (s * s), rel=1e-13)


@given(st.floats(min_value=1e-8, max_value=30.0))
def test_ou_against_mpmath(t):
    mp.mp.dps = 40
    T = mp.mpf(t)
    assert sch.alpha(t, "ou") == pytest.approx(float(mp.e ** (-T)), rel=1e-14)
    assert sch.sigma(t, "ou") == pytest.approx(float(mp.sqrt(1 - mp.e ** (-2 * T))), rel=1e-13)
    # snr = 1/(e^{2t}-1): expm1 keeps full precision for tiny t
    assert sch.snr(t, "ou") == pytest.approx(float(1 / (mp.e ** (2 * T) - 1)), rel=1e-13)


@given(st.lists(unit, min_size=2, max_size=20, unique=True), st.sampled_from(["vp", "ou"]))
def test_snr_decreasing(ts, process):
    t = np.sort(np.array(ts))
    psi = sch.snr(t, process)
    assert np.all(np.diff(psi) < 0)


def test_scalar_in_scalar_out_and_arrays():
    assert isinstance(sch.alpha(0.5), float)
    out = sch.snr(np.array([0.2, 0.4]))
    assert out.shape == (2,)


def test_reference_grid():
    t = sch.reference_timesteps()
    assert t.shape == (26,)
    l = np.arange(26)
    np.testing.assert_allclose(t, 0.999 - l * 0.998 / 25, rtol=0, atol=1e-15)
    assert t[0] == pytest.approx(0.999) and t[-1] == pytest.approx(0.001)
    assert np.all(np.diff(t) < 0)
    # seed 001 Fig. 2: "a representative t ~ 0.3 with SNR psi_t ~ 6.704" is grid point
    # t_16 = 0.3603
    assert sch.snr(t[16]) == pytest.approx(6.704, abs=5e-4)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2, 1.5, math.nan])
def test_vp_rejects_t_outside_unit_interval(bad):
    with pytest.raises(ValueError, match="^t must"):
        sch.alpha(bad)
    with pytest.raises(ValueError, match="^t must"):
        sch.snr(np.array([0.5, bad]))


def test_rejects_bad_process_and_grid():
    with pytest.raises(ValueError, match="process must be one of"):
        sch.snr(0.5, "ve")
    with pytest.raises(ValueError, match="n_steps must be a positive integer, got 0"):
        sch.reference_timesteps(0)
    with pytest.raises(ValueError, match="eps must be"):
        sch.reference_timesteps(25, 0.6)
    assert sch.alpha(5.0, "ou") == pytest.approx(math.exp(-5))


def test_resolve_timesteps():
    assert np.array_equal(sch.resolve_timesteps(), sch.reference_timesteps())
    assert np.array_equal(sch.resolve_timesteps(None), sch.reference_timesteps())
    out = sch.resolve_timesteps([0.7, 0.2])
    assert out.dtype == np.float64 and out.shape == (2,) and np.array_equal(out, [0.7, 0.2])
    assert sch.resolve_timesteps(0.5).shape == (1,)
    with pytest.raises(ValueError, match="^timesteps must be < 1.0"):
        sch.resolve_timesteps([0.5, 1.0])
    with pytest.raises(ValueError, match="^timesteps must be > 0.0"):
        sch.resolve_timesteps(0.0)
    with pytest.raises(ValueError, match=r"^timesteps must be one-dimensional, got shape \(2, 1\)"):
        sch.resolve_timesteps([[0.5], [0.6]])


# --------------------------------------------------------------------------- discrete diffusion


@pytest.mark.parametrize("kind", ["linear", "cosine", "jsd"])
@pytest.mark.parametrize("process,v", [("uniform", 3), ("uniform", 8), ("masked", 4)])
def test_cumulative_transition_equals_product_of_steps(kind, process, v):
    """Q_1 ... Q_t, multiplied out step by step for T = 1000, equals the closed form
    keep I + (1 - keep) 1 pi^T with keep = prod (1 - beta_s) at every t (rounding of
    1000 products of stochastic matrices: 1e-12)."""
    betas = sch.d3pm_betas(1000, kind)
    keep = sch.d3pm_keep(betas)
    steps = sch.transition_matrix(betas, v, process)
    n = v if process == "uniform" else v + 1
    prod = np.eye(n)
    for t in range(1000):
        prod = prod @ steps[t]
        if t % 97 == 0 or t == 999:
            np.testing.assert_allclose(prod, sch.cumulative_transition(keep[t + 1], v, process),
                                       rtol=0, atol=1e-12)
    assert np.allclose(steps.sum(-1), 1.0) and (steps >= 0).all()


def test_d3pm_schedules_closed_forms():
    lin = sch.d3pm_betas(1000)
    assert lin[0] == 1e-4 and lin[-1] == pytest.approx(0.02, rel=1e-15)
    assert np.allclose(np.diff(lin), (0.02 - 1e-4) / 999)
    # "jsd": keep = 1 - t / T exactly (Austin et al. 2021)
    np.testing.assert_allclose(sch.d3pm_keep(sch.d3pm_betas(1000, "jsd")),
                               1 - np.arange(1001) / 1000, rtol=0, atol=1e-13)
    # "cosine": the keep schedule of the exact-denoiser samplers
    from memlab.theory.rhm import keep_schedule
    for T in (1, 7, 1000):
        np.testing.assert_allclose(sch.d3pm_keep(sch.d3pm_betas(T, "cosine")), keep_schedule(T),
                                   rtol=1e-12, atol=1e-15)
    # product in log space: equal to the direct running product, no underflow trouble
    b = np.random.default_rng(0).uniform(0, 0.05, 5000)
    np.testing.assert_allclose(sch.d3pm_keep(b)[1:], np.cumprod(1 - b), rtol=1e-11)
    assert sch.d3pm_keep([1.0, 0.3])[1:].tolist() == [0.0, 0.0]


def test_cumulative_transition_is_the_add_noise_corruption():
    """Empirical transition frequencies of memlab.theory.rhm.add_noise at keep = 0.3 match
    the rows of the t-step matrix within 5 binomial standard errors (2e5 tokens)."""
    from memlab.theory.rhm import add_noise
    v, keep, n = 4, 0.3, 200_000
    for process in ("uniform", "masked"):
        Q = sch.cumulative_transition(keep, v, process)
        x0 = np.zeros((n, 1), dtype=np.int64)
        xt = add_noise(x0, keep, v, process=process, seed=1)[:, 0]
        freq = np.bincount(xt, minlength=Q.shape[1]) / n
        se = np.sqrt(Q[0] * (1 - Q[0]) / n)
        assert np.all(np.abs(freq - Q[0]) <= 5 * se + 1e-12), process


@pytest.mark.parametrize("call,exc,word", [
    (lambda: sch.d3pm_betas(0), ValueError, "n_steps"),
    (lambda: sch.d3pm_betas(10, "quadratic"), ValueError, "kind"),
    (lambda: sch.d3pm_betas(10, beta_end=1.5), ValueError, "beta_end"),
    (lambda: sch.d3pm_betas(10, beta_start=0.0), ValueError, "beta_start"),
    (lambda: sch.d3pm_keep([0.1, -0.1]), ValueError, "betas"),
    (lambda: sch.d3pm_keep([[0.1]]), ValueError, "betas"),
    (lambda: sch.transition_matrix(0.2, 0), ValueError, "v"),
    (lambda: sch.transition_matrix(1.2, 3), ValueError, "beta"),
    (lambda: sch.transition_matrix(0.2, 3, "absorbing"), ValueError, "process"),
    (lambda: sch.cumulative_transition("a", 3), TypeError, "keep"),
])
def test_d3pm_bad_inputs(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
