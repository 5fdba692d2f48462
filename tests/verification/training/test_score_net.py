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
    of 1 (Favero et al. 2025, Fig. 16; measured 0.87 between P = 8 and 32)."""
    Ps = [8, 16, 32, 64]
    taus = [train_score_network(P, 0.1, 16, width=4096, m=8, max_time=6000, eval_every=20,
                                alpha=100.0, seed=P).tau_mem for P in Ps]
    fit = fit_power_law(Ps, taus)
    assert abs(fit.exponent - 1.0) < 0.25, (taus, fit)


@pytest.mark.slow
def test_tau_mem_batch_size_independent():
    """Favero et al. (2025), Fig. 18: mini-batch SGD (B = 16) and full-batch GD memorize at
    the same time (time = learning rate x steps), within 25%."""
    full = train_score_network(16, 0.1, 16, width=1024, m=8, max_time=2500, eval_every=20,
                               alpha=100.0, seed=3)
    mini = train_score_network(16, 0.1, 16, width=1024, m=8, max_time=2500, eval_every=20,
                               alpha=100.0, batch_size=16, seed=3)
    assert abs(mini.tau_mem / full.tau_mem - 1) < 0.25, (mini.tau_mem, full.tau_mem)


# ----------------------------------------------------------------- the batch-size experiment
from memlab.theory.metrics import normalised_step  # noqa: E402
from memlab.verification.training import score_net as sn  # noqa: E402

_TINY = dict(d=4, width=16, m=4, sigma=0.2, time_per_P=20, n_evals=20)


def _tiny(**kw):
    return sn.batch_size_experiment(**{**dict(Ps=[4], batch_fractions=[2, 1], lrs=[0.25]),
                                       **_TINY, **kw})


@pytest.fixture(scope="module")
def tiny():
    """8 runs of a tiny network (about 2 s): P in (2, 4), B in (n/2, n), lr in (0.4, 0.2),
    two seeds."""
    return _tiny(Ps=[2, 4], lrs=[0.4, 0.2], seeds=[3, 1])


def test_batch_size_experiment_bookkeeping(tiny):
    r = tiny
    # order: P, seed, lr (as given), batch size (as given)
    assert r.P.tolist() == [2] * 8 + [4] * 8
    assert r.run_seed.tolist() == ([3] * 4 + [1] * 4) * 2
    assert r.lr.tolist() == [0.4, 0.4, 0.2, 0.2] * 4
    assert r.n_samples.tolist() == [8] * 8 + [16] * 8
    assert r.batch_size.tolist() == [4, 8] * 4 + [8, 16] * 4
    assert r.full_batch.tolist() == [False, True] * 8
    assert r.lrs.tolist() == [0.2, 0.4] and not r.diverged.any()
    finite = np.isfinite(r.tau_mem)
    assert finite.sum() >= 12
    for i, run in enumerate(r.runs):
        assert run.batch_size == (None if r.full_batch[i] else r.batch_size[i])
        assert run.P == r.P[i] and run.seed == r.run_seed[i]
        assert run.times[-1] == pytest.approx(20 * r.P[i], abs=r.lr[i])
        assert np.array_equal(run.tau_mem, r.tau_mem[i], equal_nan=True)
        if finite[i]:          # theory.metrics.normalised_step with the n = P m samples
            assert r.steps_mem[i] == pytest.approx(r.tau_mem[i] / r.lr[i])
            assert r.tau_normalised[i] == pytest.approx(normalised_step(
                r.steps_mem[i], batch_size=r.batch_size[i], lr=r.lr[i], P=r.n_samples[i]))
    # full batch: the normalised step is eta x steps; B = n/2: half of it
    f = finite & r.full_batch
    assert np.allclose(r.tau_normalised[f], r.tau_mem[f])
    h = finite & ~r.full_batch
    assert np.allclose(r.tau_normalised[h], r.tau_mem[h] / 2)
    # spreads and exponents: per (P, seed) group with both times, across B, mean per lr
    for j, eta in enumerate(r.lrs):
        st, sn_, sl = [], [], []
        for P in (2, 4):
            for s in (3, 1):
                sel = (r.P == P) & (r.run_seed == s) & (r.lr == eta)
                if finite[sel].all():
                    st.append(np.std(np.log(r.tau_mem[sel])))
                    sn_.append(np.std(np.log(r.tau_normalised[sel])))
                    sl.append(np.diff(np.log(r.tau_mem[sel]))[0] / np.log(2))
        assert r.spread_time[j] == pytest.approx(np.mean(st))
        assert r.spread_normalised[j] == pytest.approx(np.mean(sn_))
        assert r.batch_exponent[j] == pytest.approx(np.mean(sl))
    back = sn.BatchSizeResult.from_json(r.to_json())
    assert np.array_equal(back.tau_normalised, r.tau_normalised, equal_nan=True)
    assert np.array_equal(back.runs[3].train_loss, r.runs[3].train_loss)
    assert len(r.to_records()) == 16


def test_batch_size_experiment_is_paired_and_records_divergence(tiny):
    # the same seed gives the same data, initialisation and batches at any grid
    one = _tiny(Ps=[4], lrs=[0.4, 8.0], seeds=[1])
    ref = (tiny.P == 4) & (tiny.run_seed == 1) & (tiny.lr == 0.4)
    assert np.array_equal(one.tau_mem[:2], tiny.tau_mem[ref], equal_nan=True)
    assert one.diverged.tolist() == [False, False, True, True]
    assert one.runs[2] is None and np.isnan(one.tau_mem[2:]).all()


@pytest.mark.parametrize("kw, error, match", [
    (dict(Ps=[]), ValueError, "^Ps must contain"),
    (dict(Ps=[4, 4]), ValueError, "^Ps must not repeat"),
    (dict(Ps="4"), TypeError, "^Ps must be a sequence"),
    (dict(Ps=[0]), ValueError, r"^Ps\[0\] must be a positive integer"),
    (dict(batch_fractions=[32]), ValueError, "^batch_fractions must be at most"),
    (dict(lrs=[0.1, -1.0]), ValueError, r"^lrs\[1\] must be > 0"),
    (dict(lrs=[]), ValueError, "^lrs must contain"),
    (dict(sigma=20.0), ValueError, "^sigma must be <= 10"),
    (dict(alpha=1e5), ValueError, "^alpha must be <= 10000"),
    (dict(parametrisation="x"), ValueError, "^parametrisation must be"),
    (dict(time_per_P=1e12), ValueError, "^time_per_P"),
    (dict(n_evals=1), ValueError, "^n_evals"),
    (dict(seeds=[-1]), ValueError, r"^seeds\[0\]"),
    (dict(seeds=None), TypeError, "^seeds must be a sequence"),
    (dict(progress=1), TypeError, "^progress must be True or False"),
])
def test_batch_size_experiment_validation(kw, error, match):
    with pytest.raises(error, match=match):
        _tiny(**kw)


def test_plot_batch_size_collapse_draws_on_the_callers_figure(tiny):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    target = Figure()
    assert sn.plot_batch_size_collapse(tiny, fig=target) is target
    assert len(target.axes) == 4 and all(ax.lines for ax in target.axes)
    # the two predictions of panel (c): 1 (eta x steps) and n/B (the normalised step)
    (_, y1), (x2, y2) = (ln.get_data() for ln in target.axes[2].lines[-2:])
    assert np.allclose(y1, 1.0) and np.allclose(y2, 1.0 / np.asarray(x2))
    before = plt.get_fignums()
    fig = sn.plot_batch_size_collapse(tiny, P=2)
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert "seeds [1, 3]" in fig.get_suptitle()
    with pytest.raises(TypeError, match="^fig must be a matplotlib Figure"):
        sn.plot_batch_size_collapse(tiny, fig="x")
    with pytest.raises(TypeError, match="^result must be a BatchSizeResult"):
        sn.plot_batch_size_collapse("x")
    with pytest.raises(ValueError, match="^P must be one of"):
        sn.plot_batch_size_collapse(tiny, P=8)


@pytest.mark.slow
def test_batch_size_collapse_regimes():
    """P = 16, d = 16, width 256 (the docs setting), B = n/8 against full batch: at
    eta = 0.125 only eta x steps matters (std of ln tau across B below 0.05; about 0.03 in
    the docs run) while the normalised step spreads by ln(8)/2 = 1.04; at eta = 1 the small
    batch memorizes later by a factor between 1.4 and 4 (docs run: 1.9-2.05), short of the
    n/B = 8 of the normalised-step collapse. About 2 minutes on one loaded thread."""
    r = sn.batch_size_experiment([16], batch_fractions=[8, 1], lrs=[0.125, 1.0],
                                 time_per_P=40, seeds=[0])
    assert r.spread_time[0] < 0.05 and r.spread_normalised[0] > 0.9
    small = r.tau_mem[(r.lr == 1.0) & (r.batch_size == 16)][0]
    full = r.tau_mem[(r.lr == 1.0) & r.full_batch][0]
    assert 1.4 < small / full < 4.0
