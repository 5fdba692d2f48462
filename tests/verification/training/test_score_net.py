"""Torch one-hidden-layer ReLU network on the empirical score (verification/training/score_net.py)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from memlab.theory.metrics import fit_power_law  # noqa: E402
from memlab.verification.training.score_net import train_score_network  # noqa: E402


def test_training_run_shapes_and_learning():
    r = train_score_network(8, 0.1, 8, width=256, m=4, max_time=400, eval_every=10, alpha=100.0,
                            seed=0)
    assert r.times.shape == r.train_loss.shape == r.test_loss.shape
    assert r.train_loss[0] == pytest.approx(r.test_loss[0], rel=0.5)   # both ~ 1 (f ~ 0)
    assert r.train_loss[-1] < 0.5 * r.train_loss[0]                    # fits the empirical score
    assert r.test_loss[-1] > r.train_loss[-1]                          # but not the test targets
    assert np.isfinite(r.tau_mem) and 0 < r.tau_mem < 400
    again = train_score_network(8, 0.1, 8, width=256, m=4, max_time=400, eval_every=10,
                                alpha=100.0, seed=0)
    assert np.array_equal(r.train_loss, again.train_loss)


def test_mean_field_memorizes():
    """Mean-field parametrisation with its default learning rate (0.0125 h): the train loss
    falls below 1/2 while the test loss rises (memorization)."""
    r = train_score_network(8, 0.1, 8, width=256, m=4, parametrisation="mf", max_time=6e4,
                            eval_every=20, seed=1)
    assert np.isfinite(r.tau_mem)
    assert r.train_loss[-1] < 0.5 and r.test_loss[-1] > 1.0


def test_validation():
    with pytest.raises(ValueError, match="parametrisation must be 'ntk' or 'mf'"):
        train_score_network(8, 0.1, 8, parametrisation="xx")
    with pytest.raises(ValueError, match="sigma must be > 0.0"):
        train_score_network(8, 0.0, 8)


@pytest.mark.slow
def test_tau_mem_proportional_to_P():
    """Lazy (NTK) training, width 4096, d = 16, sigma = 0.1: slope of tau_mem in P within 0.25
    of 1 (seed 000 Fig. 16; measured 0.87 between P = 8 and 32)."""
    Ps = [8, 16, 32, 64]
    taus = [train_score_network(P, 0.1, 16, width=4096, m=8, max_time=6000, eval_every=20,
                                alpha=100.0, seed=P).tau_mem for P in Ps]
    fit = fit_power_law(Ps, taus)
    assert abs(fit.exponent - 1.0) < 0.25, (taus, fit)


@pytest.mark.slow
def test_tau_mem_batch_size_independent():
    """Seed 000 Fig. 18: mini-batch SGD (B = 16) and full-batch GD memorize at the same time
    (time = learning rate x steps), within 25%."""
    full = train_score_network(16, 0.1, 16, width=1024, m=8, max_time=2500, eval_every=20,
                               alpha=100.0, seed=3)
    mini = train_score_network(16, 0.1, 16, width=1024, m=8, max_time=2500, eval_every=20,
                               alpha=100.0, batch_size=16, seed=3)
    assert abs(mini.tau_mem / full.tau_mem - 1) < 0.25, (mini.tau_mem, full.tau_mem)
