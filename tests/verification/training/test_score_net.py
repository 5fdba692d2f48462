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


# ----------------------------------------------------------------- the optimizer option
_PIN = dict(P=4, sigma=0.2, d=4, width=16, m=2, max_time=40, eval_every=5, seed=2)


def test_default_optimizer_is_the_old_update_bit_for_bit():
    """Losses pinned from the code before the optimizer option existed (same update rule):
    full batch with alpha = 10, and a mini-batch run; the explicit sgd / momentum 0 call is
    identical to the default."""
    r = train_score_network(**_PIN, alpha=10.0)
    assert r.tau_mem == pytest.approx(15.623079918877544, rel=1e-6)
    assert r.train_loss.tolist() == pytest.approx(
        [0.9123380184173584, 0.5651899576187134, 0.49666380882263184, 0.4597545564174652,
         0.4309817850589752, 0.4061494767665863, 0.38407230377197266, 0.3640497624874115,
         0.345554918050766], rel=1e-6)
    assert r.test_loss[-1] == pytest.approx(1.2076022624969482, rel=1e-6)
    explicit = train_score_network(**_PIN, alpha=10.0, optimizer="sgd", momentum=0.0)
    assert np.array_equal(explicit.train_loss, r.train_loss)
    assert np.array_equal(explicit.test_loss, r.test_loss)
    mini = train_score_network(**_PIN, batch_size=3)
    assert mini.train_loss.tolist() == pytest.approx(
        [0.8830245137214661, 0.7521782517433167, 0.5883854627609253, 0.5926361083984375,
         0.5147132277488708, 0.5511158108711243, 0.6190909743309021, 0.5687255263328552,
         0.8317174315452576], rel=1e-6)
    assert (r.optimizer, r.momentum, r.lr) == ("sgd", 0.0, 1.0)


def _reference(kind, lr, alpha, steps, momentum=0.0, P=4, sigma=0.2, d=4, width=16, m=2, seed=2):
    """The same training written out separately (heavy-ball SGD at lr / alpha**2 as in
    torch.optim.SGD, or Adam at lr / alpha with bias correction as in Kingma & Ba 2015): the
    train loss after each step."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    x = rng.standard_normal((P, d))
    z = rng.standard_normal((P, m, d))
    X = torch.tensor((x[:, None, :] + sigma * z).reshape(-1, d), dtype=torch.float32)
    Y = torch.tensor((-z / sigma).reshape(-1, d), dtype=torch.float32)
    W = torch.randn(width, d, requires_grad=True)
    A = torch.randn(d, width, requires_grad=True)
    W0, A0 = W.detach().clone(), A.detach().clone()

    def f(inp):
        def net(Wm, Am):
            return torch.relu(inp @ Wm.T / np.sqrt(d)) @ Am.T / np.sqrt(width)
        return alpha * (net(W, A) - net(W0, A0)) if alpha != 1.0 else net(W, A)

    state = {id(p): [torch.zeros_like(p), torch.zeros_like(p)] for p in (W, A)}
    out = []
    for t in range(1, steps + 1):
        grads = torch.autograd.grad(((f(X) - Y) ** 2).sum() / X.shape[0] / 2.0, (W, A))
        with torch.no_grad():
            for p, g in zip((W, A), grads):
                s1, s2 = state[id(p)]
                if kind == "sgd":
                    s1.copy_(momentum * s1 + g)
                    p.copy_(p - lr / alpha**2 * s1)
                else:
                    s1.copy_(0.9 * s1 + 0.1 * g)
                    s2.copy_(0.999 * s2 + 0.001 * g * g)
                    m_hat, v_hat = s1 / (1 - 0.9**t), s2 / (1 - 0.999**t)
                    p.copy_(p - lr / alpha * m_hat / (torch.sqrt(v_hat) + 1e-8))
        with torch.no_grad():
            out.append(float(((f(X) - Y) ** 2).sum() / X.shape[0] / (d / sigma**2)))
    return np.array(out)


@pytest.mark.parametrize("kind, lr, alpha, momentum", [
    ("sgd", 0.5, 1.0, 0.9), ("sgd", 1.0, 10.0, 0.5), ("adam", 0.0625, 1.0, 0.0),
    ("adam", 0.5, 10.0, 0.0)])
def test_momentum_and_adam_match_the_textbook_updates(kind, lr, alpha, momentum):
    r = train_score_network(**{**_PIN, "max_time": 12 * lr, "eval_every": 1}, lr=lr,
                            alpha=alpha, optimizer=kind, momentum=momentum)
    ref = _reference(kind, lr, alpha, 12, momentum)
    assert r.train_loss[1:] == pytest.approx(ref, rel=1e-4)
    assert not np.allclose(r.train_loss, train_score_network(
        **{**_PIN, "max_time": 12 * lr, "eval_every": 1}, lr=lr, alpha=alpha).train_loss)
    assert (r.optimizer, r.momentum, r.lr) == (kind, momentum, lr)


def test_adam_default_rate_and_old_results_load():
    r = train_score_network(4, 0.1, 4, width=32, optimizer="adam", max_time=2.0, seed=1)
    assert r.lr == sn.ADAM_LR and r.times[-1] == pytest.approx(2.0)
    data = r.to_dict()
    for key in ("optimizer", "momentum", "lr"):      # saved before the option existed
        del data["fields"][key]
    old = sn.TrainingRun.from_dict(data)
    assert (old.optimizer, old.momentum, old.lr) == ("sgd", 0.0, None)


@pytest.mark.parametrize("kw, error, match", [
    (dict(optimizer=3), TypeError, "^optimizer must be a str"),
    (dict(optimizer="rmsprop"), ValueError, "^optimizer must be 'sgd' or 'adam'"),
    (dict(momentum="0.9"), TypeError, "^momentum must be a real number"),
    (dict(momentum=1.0), ValueError, "^momentum must be < 1.0"),
    (dict(momentum=-0.1), ValueError, "^momentum must be >= 0.0"),
    (dict(momentum=float("nan")), ValueError, "^momentum must be finite"),
    (dict(optimizer="adam", momentum=0.9), ValueError, "^momentum must be 0 for optimizer='adam'"),
])
def test_optimizer_validation(kw, error, match):
    with pytest.raises(error, match=match):
        train_score_network(4, 0.1, 4, width=8, **kw)


# ----------------------------------------------------------------- the optimizer experiment
_OPT_TINY = dict(d=4, width=16, m=2, sigma=0.2, alpha=10.0, n_evals=30)
_OPT_SETTINGS = [("sgd", 1.0, 0.0, 15.0), ("sgd", 0.5, 0.9, 6.0), ("adam", 0.125, 0.0, 30.0)]


@pytest.fixture(scope="module")
def opt_tiny():
    """12 runs of a tiny network (well under a second): P in (2, 4), two seeds, three settings."""
    return sn.optimizer_experiment([2, 4], optimizers=_OPT_SETTINGS, seeds=[3, 1], **_OPT_TINY)


def test_optimizer_experiment_bookkeeping(opt_tiny):
    r = opt_tiny
    assert r.setting.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert r.P.tolist() == [2, 2, 4, 4] * 3 and r.run_seed.tolist() == [3, 1] * 6
    assert r.optimizers == ("sgd", "sgd", "adam")
    assert r.labels == ("GD, lr 1", "GD + momentum 0.9, lr 0.5", "Adam, lr 0.125")
    assert r.lrs.tolist() == [1.0, 0.5, 0.125] and r.momenta.tolist() == [0.0, 0.9, 0.0]
    assert not r.diverged.any() and np.isfinite(r.steps_mem).all()
    for i, run in enumerate(r.runs):
        k = r.setting[i]
        assert (run.optimizer, run.momentum, run.lr) == (r.optimizers[k], r.momenta[k], r.lrs[k])
        assert (r.optimizer[i], r.label[i], r.lr[i]) == (r.optimizers[k], r.labels[k], r.lrs[k])
        assert run.P == r.P[i] and run.seed == r.run_seed[i]
        assert run.times[-1] / run.lr == pytest.approx(np.ceil(r.steps_per_P[k] * r.P[i]))
        assert r.steps_mem[i] == pytest.approx(run.tau_mem / run.lr)
    for k in range(3):          # the fit is theory.metrics.fit_power_law over every run
        sel = r.setting == k
        f = fit_power_law(r.P[sel].astype(float), r.steps_mem[sel])
        assert (r.exponent[k], r.ci_low[k], r.ci_high[k]) == pytest.approx(
            (f.exponent, f.ci_low, f.ci_high))
        assert r.prefactor[k] == pytest.approx(np.exp(np.mean(np.log(r.steps_mem[sel] / r.P[sel]))))
    back = sn.OptimizerResult.from_json(r.to_json())
    assert back.labels == r.labels and np.array_equal(back.exponent, r.exponent, equal_nan=True)
    assert back.runs[5].optimizer == "sgd" and back.runs[5].momentum == 0.9
    assert len(r.to_records()) == 12
    # a seed gives the same data and initialisation in every experiment (paired)
    one = sn.optimizer_experiment([4], optimizers=_OPT_SETTINGS[2:], seeds=[1], **_OPT_TINY)
    assert one.tau_mem[0] == r.tau_mem[-1] and np.isnan(one.exponent[0])


def test_optimizer_experiment_records_divergence():
    r = sn.optimizer_experiment([2, 4], optimizers=[("sgd", 400.0, 0.0, 10.0)], seeds=[0],
                                **_OPT_TINY)
    assert r.diverged.all() and r.runs == (None, None) and np.isnan(r.exponent).all()


@pytest.mark.parametrize("kw, error, match", [
    (dict(Ps=[]), ValueError, "^Ps must contain"),
    (dict(Ps=[4, 4]), ValueError, "^Ps must not repeat"),
    (dict(optimizers=[]), ValueError, "^optimizers must contain"),
    (dict(optimizers="sgd"), TypeError, "^optimizers must be a sequence"),
    (dict(optimizers=[("sgd", 1.0, 0.0)]), ValueError, r"^optimizers\[0\] must have 4 entries"),
    (dict(optimizers=[(1, 1.0, 0.0, 4)]), TypeError, r"^optimizers\[0\]\[0\] must be a str"),
    (dict(optimizers=[("lbfgs", 1.0, 0.0, 4)]), ValueError, r"^optimizers\[0\]\[0\] must be"),
    (dict(optimizers=[("sgd", -1.0, 0.0, 4)]), ValueError, r"^optimizers\[0\]\[1\] \(lr\)"),
    (dict(optimizers=[("sgd", 1.0, 1.0, 4)]), ValueError, r"^optimizers\[0\]\[2\] \(momentum\)"),
    (dict(optimizers=[("adam", 1.0, 0.5, 4)]), ValueError, r"^optimizers\[0\]\[2\] \(momentum\) must be 0"),
    (dict(optimizers=[("sgd", 1.0, 0.0, 0)]), ValueError, r"^optimizers\[0\]\[3\] \(steps_per_P\)"),
    (dict(optimizers=[("sgd", 1.0, 0.0, 1e12)]), ValueError, r"^optimizers\[0\]\[3\] \(steps_per_P\) \* P"),
    (dict(optimizers=[("sgd", 1.0, 0.0, 4)] * 2), ValueError, "^optimizers must not repeat"),
    (dict(sigma=20.0), ValueError, "^sigma must be <= 10"),
    (dict(alpha=0.0), ValueError, "^alpha must be > 0"),
    (dict(parametrisation="x"), ValueError, "^parametrisation must be"),
    (dict(n_evals=1), ValueError, "^n_evals"),
    (dict(seeds=[-1]), ValueError, r"^seeds\[0\]"),
    (dict(seeds=[]), ValueError, "^seeds must contain"),
    (dict(progress="yes"), TypeError, "^progress must be True or False"),
])
def test_optimizer_experiment_validation(kw, error, match):
    with pytest.raises(error, match=match):
        sn.optimizer_experiment(**{**dict(Ps=[2], optimizers=_OPT_SETTINGS[:1], seeds=[0]),
                                   **_OPT_TINY, **kw})


def test_plot_optimizer_comparison_draws_on_the_callers_figure(opt_tiny):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    target = Figure()
    assert sn.plot_optimizer_comparison(opt_tiny, fig=target) is target
    assert len(target.axes) == 4 and all(ax.lines for ax in target.axes)
    # panel (d): the two references, proportional to P and to sqrt(P)
    (x1, y1), (x2, y2) = (ln.get_data() for ln in target.axes[3].lines[-2:])
    assert y1[1] / y1[0] == pytest.approx(x1[1] / x1[0])
    assert y2[1] / y2[0] == pytest.approx(np.sqrt(x2[1] / x2[0]))
    before = plt.get_fignums()
    fig = sn.plot_optimizer_comparison(opt_tiny)
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert "seeds [1, 3]" in fig.get_suptitle()
    with pytest.raises(TypeError, match="^fig must be a matplotlib Figure"):
        sn.plot_optimizer_comparison(opt_tiny, fig="x")
    with pytest.raises(TypeError, match="^result must be a OptimizerResult"):
        sn.plot_optimizer_comparison("x")


@pytest.mark.slow
def test_adam_memorizes_sublinearly_in_P():
    """Favero et al. (2025), Fig. 19, report steps_mem proportional to P for Adam and SGD alike.
    At d = 16, sigma = 0.1, width 512, lazy scale 100, P = 8, 16, 32 (seed 0), gradient descent
    at lr 4 gives an exponent near 1 (0.95 when written) but Adam at lr 1 about 1/2 (0.54), as
    the sign-descent heuristic predicts; the docs run (width 1024, P up to 64, two seeds)
    agrees. About 20 s on an idle core, up to 5 minutes on a crowded machine."""
    r = sn.optimizer_experiment([8, 16, 32], optimizers=[("sgd", 4.0, 0.0, 40.0),
                                                         ("adam", 1.0, 0.0, 8.0)],
                                width=512, seeds=[0])
    assert np.isfinite(r.steps_mem).all()
    gd, adam = r.exponent
    assert 0.75 < gd < 1.2 and 0.3 < adam < 0.75 and adam < gd - 0.25, r.exponent
