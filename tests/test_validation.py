"""Input validation helpers: clear ValueErrors naming the argument."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from memlab._validation import check_array, check_NdK, check_positive_int, check_real, check_rng


@given(st.integers(min_value=1, max_value=10**12))
def test_positive_int_accepts_integers(n):
    assert check_positive_int("N", n) == n
    assert check_positive_int("N", np.int64(n)) == n
    assert check_positive_int("N", float(n)) == n


@pytest.mark.parametrize("bad", [0, -3, 2.5, math.nan, math.inf])
def test_positive_int_rejects(bad):
    with pytest.raises(ValueError, match=r"^N must be a positive integer, got"):
        check_positive_int("N", bad)


@pytest.mark.parametrize("bad", ["3", None, True, [3]])
def test_positive_int_rejects_type(bad):
    with pytest.raises(TypeError, match=r"^N must be a positive integer, got"):
        check_positive_int("N", bad)


def test_positive_int_minimum():
    with pytest.raises(ValueError, match="n_datasets must be an integer >= 2, got 1"):
        check_positive_int("n_datasets", 1, minimum=2)


@pytest.mark.parametrize("bad,msg,exc", [(math.nan, "finite", ValueError),
                                         (-1.0, ">= 0", ValueError), (1.0, "< 1", ValueError),
                                         ("x", "real number", TypeError),
                                         (True, "real number", TypeError)])
def test_check_real(bad, msg, exc):
    with pytest.raises(exc, match=f"^t must be .*{msg}"):
        check_real("t", bad, lo=0.0, hi=1.0, hi_open=True)


def test_check_array_messages():
    with pytest.raises(ValueError, match="x must be finite"):
        check_array("x", [1.0, np.nan])
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        check_array("x", [1.0, 2.0], ndim=2)
    with pytest.raises(ValueError, match="x must not be empty"):
        check_array("x", [])
    with pytest.raises(ValueError, match="x must be > 0.0 everywhere, got 0.0"):
        check_array("x", [0.0, 1.0], lo=0.0, lo_open=True)
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        check_array("x", ["a"])


def test_check_rng():
    a = check_rng(5).standard_normal(3)
    b = check_rng(5).standard_normal(3)
    assert np.array_equal(a, b)
    g = np.random.default_rng(1)
    assert check_rng(g) is g
    with pytest.raises(ValueError, match="seed must be"):
        check_rng(-1)
    with pytest.raises(TypeError, match="seed must be"):
        check_rng("abc")


def test_check_NdK():
    assert check_NdK(200, 50.0, np.int64(12)) == (200, 50, 12)
    assert all(type(v) is int for v in check_NdK(200, 50.0, np.int64(12)))
    assert check_NdK(5, 1, 5) == (5, 1, 5)
    with pytest.raises(ValueError, match=r"^K must be <= N = 10, got 12$"):
        check_NdK(10, 50, 12)
    # checked in the order N, d, K
    with pytest.raises(ValueError, match=r"^N must be a positive integer, got 0$"):
        check_NdK(0, 0, 0)
    with pytest.raises(ValueError, match=r"^d must be a positive integer, got 2.5$"):
        check_NdK(10, 2.5, 0)
    with pytest.raises(TypeError, match=r"^K must be a positive integer, got '3'$"):
        check_NdK(10, 2, "3")


def test_check_instance():
    from memlab._validation import check_instance

    assert check_instance("x", 3, int) == 3
    assert check_instance("x", 3.0, (int, float)) == 3.0
    with pytest.raises(TypeError, match="^grammar must be a Grammar, got int$") as info:
        check_instance("grammar", 3, type("Grammar", (), {}))
    assert not isinstance(info.value, ValueError)
    with pytest.raises(TypeError, match="^x must be a int or str, got float$"):
        check_instance("x", 1.5, (int, str))


def test_check_array_copies_unless_asked_not_to():
    """The default result is a new array (callers may change it); copy=False hands back a
    float64 input itself (for callers that only read it) and still converts other dtypes."""
    import numpy as np

    from memlab._validation import check_array

    x = np.arange(6.0).reshape(2, 3)
    assert check_array("x", x) is not x and np.shares_memory(check_array("x", x), x) is False
    assert check_array("x", x, copy=False) is x
    ints = np.arange(6)
    out = check_array("x", ints, copy=False)
    assert out.dtype == np.float64 and not np.shares_memory(out, ints)
