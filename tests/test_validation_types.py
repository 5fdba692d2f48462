"""Wrong types raise TypeError, wrong values ValueError, each naming the argument."""

import math

import numpy as np
import pytest

from memlab._validation import (MAX_INT, check_array, check_nonnegative_int, check_positive_int,
                                check_positive_real, check_real, check_rng)
from memlab.theory import gmm, kernel_scaling, linear_diffusion, metrics, mixing, rhm, schedules

BAD_TYPES = [True, np.bool_(False), "3", b"3", 1 + 2j, None, {}, object()]
BAD_ARRAY_TYPES = BAD_TYPES[:-2] + [np.array([True, False]), np.array(["1", "2"]),
                                    np.array([1 + 2j]), np.array([object(), 1.0], dtype=object)]
CHECKERS = [check_positive_int, check_nonnegative_int, check_real, check_positive_real]


@pytest.mark.parametrize("check", CHECKERS)
@pytest.mark.parametrize("bad", BAD_TYPES, ids=repr)
def test_scalar_checkers_reject_types(check, bad):
    with pytest.raises(TypeError, match=r"^arg must be "):
        check("arg", bad)


@pytest.mark.parametrize("check", CHECKERS)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64(math.nan)], ids=repr)
def test_scalar_checkers_reject_values(check, bad):
    with pytest.raises(ValueError, match=r"^arg must be "):
        check("arg", bad)


@pytest.mark.parametrize("bad", BAD_ARRAY_TYPES, ids=repr)
def test_check_array_rejects_types(bad):
    with pytest.raises(TypeError, match=r"^arr must be an array of real numbers"):
        check_array("arr", bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, [1.0, math.nan], 10**400, [1, 10**400]],
                         ids=repr)
def test_check_array_rejects_values(bad):
    with pytest.raises(ValueError, match=r"^arr must be finite"):
        check_array("arr", bad)


def test_numeric_string_no_longer_converted():
    with pytest.raises(TypeError):
        check_array("x", "3")
    with pytest.raises(TypeError):
        check_array("x", True)
    assert check_array("x", [2**64]).tolist() == [2.0**64]


def test_huge_ints():
    # by default integers are bounded by MAX_INT = 2**53 (exact as floats), so that a huge
    # size fails at the check instead of overflowing or hanging later
    assert check_positive_int("n", MAX_INT) == MAX_INT
    assert check_nonnegative_int("n", MAX_INT) == MAX_INT
    with pytest.raises(ValueError, match=r"^n must be <= 9007199254740992, got an integer"):
        check_positive_int("n", 10**400)
    with pytest.raises(ValueError, match=r"^n must be <= 9007199254740992, got 9007199254740993$"):
        check_nonnegative_int("n", MAX_INT + 1)
    assert check_positive_int("n", 10**400, maximum=10**500) == 10**400
    with pytest.raises(ValueError, match=r"^n must be <= 1000, got "):
        check_positive_int("n", 10**400, maximum=1000)
    with pytest.raises(ValueError, match=r"^x must be finite"):
        check_real("x", 10**400)
    with pytest.raises(ValueError, match=r"^x must be finite"):
        check_positive_real("x", -(10**400))


def test_integral_floats_and_maximum():
    assert check_positive_int("n", 200.0) == 200
    assert check_positive_int("n", np.float32(3.0)) == 3
    assert check_positive_int("n", 5, maximum=5) == 5
    with pytest.raises(ValueError, match=r"^n must be <= 5, got 6$"):
        check_positive_int("n", 6, maximum=5)
    with pytest.raises(ValueError, match=r"^n must be a positive integer, got 2.5$"):
        check_positive_int("n", 2.5)


@pytest.mark.parametrize("bad", [True, "3", b"3", 1 + 2j, object()], ids=repr)
def test_check_rng_types(bad):
    with pytest.raises(TypeError, match=r"^seed must be"):
        check_rng(bad)


@pytest.mark.parametrize("bad", [-1, 2.5, math.nan, math.inf], ids=repr)
def test_check_rng_values(bad):
    with pytest.raises(ValueError, match=r"^seed must be"):
        check_rng(bad)


G = rhm.sample_grammar(4, 2, 2, 2, seed=0)
X = rhm.generate(G, 5, seed=0)
TRAIN = np.random.default_rng(0).standard_normal((10, 3))

CALLS = [
    ("d", TypeError, lambda: mixing.mixing_time(1.0, True, 1e4)),   # the example
    ("sigma", TypeError, lambda: mixing.mixing_time("1", 2, 1e4)),
    ("n", TypeError, lambda: mixing.mixing_width(1.0, 2, "100")),
    ("lambda_max", TypeError, lambda: mixing.speciation_time(None)),
    ("h", TypeError, lambda: mixing.kde_mise(1 + 2j, 1.0, 2, 100)),
    ("n", ValueError, lambda: mixing.amise_bandwidth(1.0, 2, math.nan)),
    ("process", TypeError, lambda: schedules.alpha(0.5, process=None)),
    ("process", TypeError, lambda: schedules.snr(0.5, process=b"vp")),
    ("process", ValueError, lambda: schedules.sigma(0.5, process="ve")),
    ("t", TypeError, lambda: schedules.alpha("0.5")),
    ("n_steps", ValueError, lambda: schedules.reference_timesteps(10**400)),
    ("n_steps", TypeError, lambda: schedules.reference_timesteps(True)),
    ("name", TypeError, lambda: schedules.check_timesteps(0.5, "vp", name=3)),
    ("K", TypeError, lambda: gmm.crossover_point(200, 50, "12")),
    ("N", TypeError, lambda: gmm.sample_gmm(True, 2, 1)),
    ("N", ValueError, lambda: gmm.sample_gmm(10**400, 2, 1)),
    ("seed", TypeError, lambda: gmm.sample_gmm(10, 2, 1, seed="0")),
    ("sigma2", TypeError, lambda: gmm.generalizing_excess_loss(0.5, 3, sigma2=True)),
    ("d", TypeError, lambda: gmm.nearest_neighbour_constant("3", 5)),
    ("weighting", TypeError, lambda: gmm.loss_weighting(np.array([True] * 26))),
    ("C", TypeError, lambda: gmm.loss_gap(3, 10, 3, 2, C="1")),
    ("trials", ValueError, lambda: linear_diffusion.p_delta_positive(3, 2, trials=10**10)),
    ("trials", TypeError, lambda: linear_diffusion.expected_hellinger(3, 2, trials="4")),
    ("confidence", TypeError, lambda: linear_diffusion.p_delta_positive(3, 2, confidence="0.9")),
    ("chunk", TypeError, lambda: linear_diffusion.p_delta_positive(3, 2, chunk=None)),
    ("n_original", ValueError,
     lambda: linear_diffusion.p_delta_positive(3, 2, n_original=10**12, trials=2)),
    ("progress", TypeError,
     lambda: linear_diffusion.p_delta_curve([3], 2, trials=2, n_original=4, progress="yes")),
    ("mu", TypeError, lambda: linear_diffusion.sample_training_set(3, 2, mu=1 + 2j)),
    ("lam", TypeError, lambda: linear_diffusion.hellinger_large_n_limit(2, lam=False)),
    ("nu", TypeError, lambda: kernel_scaling.eigenvalue_ratio(3, "1")),
    ("kernel", TypeError, lambda: kernel_scaling.kernel_expansion(None)),
    ("kernel", ValueError, lambda: kernel_scaling.kernel_expansion("rbf")),
    ("n_radial", ValueError, lambda: kernel_scaling.gamma_d(3, n_radial=10**400)),
    ("order", TypeError, lambda: kernel_scaling.symbolic_ratio(True)),
    ("confidence", TypeError, lambda: metrics.fit_power_law([1, 2, 4], [1, .5, .25],
                                                            confidence=True)),
    ("above", TypeError, lambda: metrics.first_crossing([1.0, 2.0], [0.0, 1.0], 0.5, above=1)),
    ("level", TypeError, lambda: metrics.first_crossing([1.0, 2.0], [0.0, 1.0], "0.5")),
    ("chunk", TypeError, lambda: metrics.nearest_distances(np.zeros(3), TRAIN, chunk="4")),
    ("chunk", ValueError, lambda: metrics.nearest_hamming(X, X, chunk=0)),
    ("n_projections", ValueError,
     lambda: metrics.sliced_wasserstein(TRAIN, TRAIN, n_projections=10**400)),
    ("x", TypeError, lambda: metrics.nearest_hamming(np.array([["a"] * 4]), X)),
    ("P", TypeError, lambda: rhm.generate(G, "3")),
    ("distinct", TypeError, lambda: rhm.generate(G, 3, distinct="no")),
    ("return_latents", TypeError, lambda: rhm.generate(G, 3, return_latents=1)),
    ("process", TypeError, lambda: rhm.add_noise(X, 0.5, 4, process=1)),
    ("abar", TypeError, lambda: rhm.leaf_likelihood(X, "0.5", 4)),
    ("method", TypeError, lambda: rhm.reverse_sample(G, 2, 2, method=None)),
    ("n_samples", ValueError, lambda: rhm.reverse_sample(G, 10**10, 2)),
    ("x", TypeError, lambda: rhm.parse(G, X.astype(bool))),
    ("v", TypeError, lambda: rhm.num_strings(True, 2, 2, 2)),
]


@pytest.mark.parametrize("name,exc,call", CALLS, ids=[f"{i}-{c[0]}" for i, c in enumerate(CALLS)])
def test_public_theory_calls(name, exc, call):
    with pytest.raises(exc) as info:
        call()
    assert type(info.value) is exc
    assert str(info.value).startswith(name + " "), str(info.value)
