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
