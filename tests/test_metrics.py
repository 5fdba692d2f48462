"""theory/metrics.py: memorization onset and power-law fits."""

import math

import numpy as np
import pytest

from theory import metrics


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
