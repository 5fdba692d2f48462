"""Trained M-component GMM denoisers (memlab.verification.training.gmm_denoiser; Buchanan et al.
2025, sec. 4).

Smoke tests run in seconds; the sweep is a slow test (results of the full CLI runs are
committed under docs/results/). The calibration and summary tests need no torch.
"""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from memlab.theory.gmm import crossover_point, partial_memorization_excess_loss, sample_gmm
from memlab.theory.metrics import first_crossing, memorization_ratio
from memlab.theory.schedules import reference_timesteps, snr
from memlab.verification.cli import main
from memlab.verification.training import gmm_denoiser as gd
from memlab.verification.training.gmm_denoiser import calibrate_weighting

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="torch is not installed")


@needs_torch
def test_gmm_training_learns_and_the_full_memorizer_copies():
    data = sample_gmm(12, 3, 2, seed=0)
    small, full = gd.train_gmm_denoisers(data.x, [2, 12], epochs=150, seed=1)
    assert small.means.shape == (2, 3) and full.means.shape == (12, 3)
    assert small.loss[-1] < 0.1 * small.loss[0]              # the partial memorizer unlearns
    assert small.sigma2 > 10 * 1e-6                          # its variance grows from 1e-6
    # M = N starting at the training points is the memorizer: every DDIM sample is a copy
    xs = gd.ddim_sample(full.means, full.sigma2, 100, seed=2)
    assert memorization_ratio(xs, data.x) == 1.0
    assert memorization_ratio(gd.ddim_sample(data.means, 1.0, 100, seed=3), data.x) < 0.1
    with pytest.raises(ValueError, match="^M must be <= N"):
        gd.train_gmm_denoiser(data.x, 13)


@needs_torch
def test_batched_training_keeps_models_independent():
    data = sample_gmm(10, 2, 2, seed=0)
    a = gd.train_gmm_denoisers(data.x, [3, 10], epochs=40, seed=5)
    b = gd.train_gmm_denoisers(data.x, [3, 7], epochs=40, seed=5)
    # same seed: same init of the first model and same noise; the partner does not matter
    assert np.allclose(a[0].means, b[0].means, atol=1e-12) and a[0].sigma2 == b[0].sigma2


@needs_torch
def test_sweep_resumes_from_its_json(tmp_path, monkeypatch):
    with pytest.warns(gd.TransitionOutsideGridWarning):    # 2 points: M_mem below M = 4
        r1 = gd.memorization_sweep(12, 3, 2, M_values=[4, 12], epochs=30, n_eval=20,
                                   out_dir=tmp_path, progress=False)
    (saved_path,) = tmp_path.glob("gmm_N12_d3_K2_s0_*.json")     # keyed on the settings
    saved = json.loads(saved_path.read_text())
    assert sorted(saved["runs"]) == ["12", "4"] and r1.ratio[-1] == 1.0

    def boom(*a, **k):
        raise AssertionError("should not retrain")

    monkeypatch.setattr(gd, "train_gmm_denoisers", boom)
    with pytest.warns(gd.TransitionOutsideGridWarning):
        r2 = gd.memorization_sweep(12, 3, 2, M_values=[4, 12], epochs=30, n_eval=20,
                                   out_dir=tmp_path, progress=False)
    assert np.array_equal(r1.ratio, r2.ratio)


@needs_torch
def test_default_sweep_resumes_without_training(tmp_path, monkeypatch):
    with pytest.warns(gd.TransitionOutsideGridWarning):    # 15 epochs: M = 1 already copies
        r1 = gd.memorization_sweep(10, 2, 2, epochs=15, n_eval=10, out_dir=tmp_path,
                                   progress=False)
    assert r1.M.size >= 10

    def boom(*a, **k):
        raise AssertionError("should not retrain")

    monkeypatch.setattr(gd, "train_gmm_denoisers", boom)
    with pytest.warns(gd.TransitionOutsideGridWarning):
        r2 = gd.memorization_sweep(10, 2, 2, epochs=15, n_eval=10, out_dir=tmp_path,
                                   progress=False)
    assert np.array_equal(r1.M, r2.M) and np.array_equal(r1.ratio, r2.ratio)


def test_transition_points_and_linear_law():
    M = np.array([2, 4, 6, 8, 10])
    start, middle, end = gd.transition_points(M, [0.0, 0.1, 0.3, 0.7, 0.95])
    assert (start, middle, end) == pytest.approx((4.0, 7.0, 9.6))
    assert np.isnan(gd.transition_points(M, [0, 0, 0, 0, 0.2])[1])

    def fake(N, mid):
        return gd.SweepResult(N, 10, 2, M, np.zeros(5), np.zeros(5), np.zeros(5), 0.0, mid, 0.0,
                              10, 1, 0)

    a, se, n = gd.linear_law([fake(20, 16.0), fake(40, 32.0), fake(60, 48.0)])
    assert a == pytest.approx(0.8) and se == pytest.approx(0.0, abs=1e-12) and n == 3


def test_calibrate_weighting_recovers_known_crossovers():
    settings = [(20, 10, 2), (40, 20, 4), (60, 10, 4)]
    x0 = [(N, d, K, crossover_point(N, d, K)) for N, d, K in settings]
    c = calibrate_weighting(x0, source="closed_form")
    assert c.rms_error < 1e-12 and np.allclose(c.weights, 1.0)     # x0 weighting is the start
    # measured transitions at 0.8 N: with the closed forms only g(lambda) matters, so the
    # 26 fitted weights must do as well as the best single g found by a scan
    target = [(N, d, K, 0.8 * N) for N, d, K in settings]
    c = calibrate_weighting(target, source="closed_form")
    assert c.weights.shape == (26,) and np.all(c.weights >= 0)
    inv = 1 / (snr(reference_timesteps()) + 1)
    best = np.inf
    for g in np.linspace(inv.min(), inv.max(), 4001):
        err = [(first_crossing(np.arange(1, N + 1), partial_memorization_excess_loss(
            np.arange(1, N + 1), N, d, K) - g * d, 0.0, above=False) - 0.8 * N) / N
            for N, d, K in settings]
        best = min(best, float(np.sqrt(np.mean(np.square(err)))))
    assert c.rms_error <= best + 1e-3 and c.rms_error < 0.05
    g_lam = np.sum(c.weights * inv) / np.sum(c.weights)
    assert g_lam == pytest.approx(c.g_closed_form, abs=0.01)


def test_calibration_needs_no_torch():
    code = ("import sys; from memlab.verification.training.gmm_denoiser import calibrate_weighting; "
            "c = calibrate_weighting([(20, 10, 2, 15.0), (40, 20, 4, 30.0)], source='closed_form'); "
            "print('torch' in sys.modules, c.source)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "closed_form"]


def test_calibration_to_json_and_validation():
    c = calibrate_weighting([(20, 10, 2, 15.0), (40, 20, 4, 30.0)], source="closed_form")
    out = c.to_saved_dict()
    assert list(out) == ["source", "weights", "timesteps", "predicted", "rms_error",
                         "g_closed_form", "t_effective"]
    assert out["source"] == "closed_form" and out["weights"] == c.weights.tolist()
    assert out["timesteps"] == reference_timesteps().tolist()
    assert out["predicted"] == c.predicted.tolist() and out["rms_error"] == c.rms_error
    assert json.loads(json.dumps(out)) == out
    assert c.settings == [(20, 10, 2), (40, 20, 4)] and np.array_equal(c.measured, [15.0, 30.0])
    with pytest.raises(ValueError, match="measured must be a non-empty sequence"):
        calibrate_weighting([])
    with pytest.raises(ValueError, match="source must be 'simulated' or 'closed_form'"):
        calibrate_weighting([(20, 10, 2, 15.0)], source="trained")
    with pytest.raises(ValueError, match="K must be <= N = 20, got 30"):
        calibrate_weighting([(20, 10, 30, 15.0)], source="closed_form")


def _fake_sweep(N, d, K, middle):
    M = np.array([N // 2, N])
    return gd.SweepResult(N, d, K, M, np.array([0.0, 1.0]), np.array([0.1, 1e-6]),
                          np.array([2.0, 0.5]), 0.55 * N, middle, 0.95 * N, 10, 30, 0)


@pytest.mark.parametrize("with_calibration", [True, False])
def test_save_summary_writes_the_json_and_the_figure(tmp_path, with_calibration):
    results = [_fake_sweep(20, 10, 2, 16.0), _fake_sweep(40, 20, 4, 31.0)]
    predicted = {(r.N, r.d, r.K): {"closed form x0": 0.7 * r.N, "closed form eps": float(r.N)}
                 for r in results}
    cal = (calibrate_weighting([(r.N, r.d, r.K, r.middle) for r in results], source="closed_form")
           if with_calibration else None)
    out_dir = tmp_path / "new"
    paths = gd.save_summary(results, predicted, cal, out_dir)
    assert paths == [out_dir / "gmm_summary.json", out_dir / "gmm_memorization_ratio.png"]
    text = paths[0].read_text()
    summary = json.loads(text)
    assert list(summary) == ["settings", "calibration"]
    assert summary["calibration"] == (cal.to_saved_dict() if with_calibration else None)
    assert [s["N"] for s in summary["settings"]] == [20, 40]
    assert summary["settings"][1] == dict(results[1].to_saved_dict(), predicted=predicted[(40, 20, 4)])
    assert text == json.dumps(summary, indent=1)                   # indent 1, no trailing newline
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].stat().st_size > 1000
    with pytest.raises(ValueError, match="^results must contain at least one SweepResult"):
        gd.save_summary([], predicted, cal, out_dir)
    with pytest.raises(TypeError, match="^results\\[0\\] must be a SweepResult, got dict"):
        gd.save_summary([{}], predicted, cal, out_dir)
    with pytest.raises(ValueError, match="^predicted must have an entry .* missing \\[\\(40, 20, 4\\)\\]"):
        gd.save_summary(results, {(20, 10, 2): {}}, cal, out_dir)
    with pytest.raises(TypeError, match="^calibration must be a CalibratedWeighting, got str"):
        gd.save_summary(results, predicted, "cal", out_dir)


@needs_torch
def test_cli_train_gmm_smoke(tmp_path, capsys):
    with pytest.warns(gd.TransitionOutsideGridWarning):    # 30 epochs: M = 1 already copies
        assert main(["train", "gmm", "--N", "12", "--d", "3", "--K", "2", "--epochs", "30",
                     "--n-eval", "20", "--no-simulate", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "M_mem/N" in out and (tmp_path / "gmm_memorization_ratio.png").stat().st_size > 1000
    summary = json.loads((tmp_path / "gmm_summary.json").read_text())
    assert summary["calibration"] is None and summary["settings"][0]["N"] == 12
    assert summary["settings"][0]["predicted"] == {"closed form x0": crossover_point(12, 3, 2),
                                                   "closed form eps": crossover_point(
                                                       12, 3, 2, weighting="eps")}
    assert main(["train", "gmm", "--N", "x"]) == 2
    assert "expected comma-separated integers" in capsys.readouterr().err


@needs_torch
@pytest.mark.slow
def test_gmm_transition_is_near_0_8_N():
    """(N, d, K) = (20, 10, 2), 4000 epochs: M_mem / N in [0.65, 0.95] (measured 0.8)."""
    r = gd.memorization_sweep(20, 10, 2, progress=False)
    assert 0.65 * 20 <= r.middle <= 0.95 * 20
    assert r.ratio[0] < 0.1 and r.ratio[-1] == 1.0


def test_memorization_plot_draws_on_the_callers_axes_without_pyplot():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    results = [_fake_sweep(20, 10, 2, 16.0), _fake_sweep(40, 20, 4, 31.0)]
    ax = Figure().add_subplot()
    fig = gd.plot_memorization_ratio(results, {(20, 10, 2): {"closed form x0": 14.0}}, ax=ax)
    assert fig is ax.figure and fig.axes == [ax] and ax.lines
    assert fig.get_suptitle() == ""
    with pytest.raises(TypeError, match="^ax must be a matplotlib Axes"):
        gd.plot_memorization_ratio(results, ax="x")
    before = plt.get_fignums()
    fig = gd.plot_memorization_ratio(results)
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    # the default prediction is the closed-form x0 crossover of every sweep, at M*/N
    ax = fig.axes[0]
    assert any("closed form x0" in t.get_text() for t in ax.get_legend().get_texts())
    xs = sorted(ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--")
    assert xs == pytest.approx(sorted(crossover_point(r.N, r.d, r.K) / r.N for r in results))
    assert "30 epochs" in ax.get_title() and "seed 0" in ax.get_title()
    assert not [ln for ln in gd.plot_memorization_ratio(results, {}).axes[0].lines
                if ln.get_linestyle() == "--"]                   # {}: no prediction


def test_save_summary_leaves_pyplot_alone(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    gd.save_summary([_fake_sweep(20, 10, 2, 16.0)], {(20, 10, 2): {}}, None, tmp_path)
    assert plt.get_fignums() == before


# ----------------------------------------------------------------------------------------
# held-out loss, learned parameters, sliced Wasserstein curves, seeds (Buchanan et al. 2025,
# Fig. 2, App. H.5, Figs. 6-7; the position paper (2026), Sec. 3)
# ----------------------------------------------------------------------------------------

def _direct_loss(means, sigma2, x, n_noise, seed):
    """The eps-weighted loss written out point by point, with the noise drawn in the order
    the loss draws it (one (n_noise, n, d) block per grid time)."""
    from memlab.theory.schedules import alpha, sigma

    rng = np.random.default_rng(seed)
    n, d = x.shape
    total = []
    for t in reference_timesteps():
        a, s = float(alpha(t)), float(sigma(t))
        z = rng.standard_normal((n_noise, n, d))
        errs = []
        for j in range(n_noise):
            for i in range(n):
                y = a * x[i] + s * z[j, i]
                if sigma2 > 0:
                    var = a * a * sigma2 + s * s
                    logw = np.array([-np.sum((y - a * m) ** 2) / (2 * var) for m in means])
                    w = np.exp(logw - logw.max())
                    w /= w.sum()
                    xhat = sum(wk * (a * sigma2 * y + s * s * m) / var for wk, m in zip(w, means))
                else:
                    logw = np.array([-np.sum((y - a * m) ** 2) / (2 * s * s) for m in means])
                    w = np.exp(logw - logw.max())
                    w /= w.sum()
                    xhat = w @ means
                errs.append(np.sum((xhat - x[i]) ** 2))
        total.append(a * a / (s * s) * np.mean(errs))
    return np.array(total)


@needs_torch
def test_held_out_loss_equals_a_direct_computation_with_the_same_noise():
    data = sample_gmm(10, 3, 2, seed=0)
    test = gd.sample_held_out(data, 6, seed=1)
    assert test.shape == (6, 3)
    run = gd.train_gmm_denoiser(data.x, 4, epochs=30, seed=2, test=test, n_noise_eval=3,
                                eval_seed=5)
    direct_test = _direct_loss(run.means, run.sigma2, test, 3, 5)
    direct_train = _direct_loss(run.means, run.sigma2, data.x, 3, 5)
    assert run.test_loss == pytest.approx(direct_test.mean(), rel=1e-10)
    assert run.train_loss_eval == pytest.approx(direct_train.mean(), rel=1e-10)
    assert np.allclose(run.loss_t["test"], direct_test, rtol=1e-10)
    assert run.loss_t["train"].shape == (26,)
    # the memorizer limit sigma2 = 0 and the public function agree with the direct sums
    assert gd.denoising_loss(data.x[:4], 0.0, test, n_noise=2, seed=3) == pytest.approx(
        _direct_loss(data.x[:4], 0.0, test, 2, 3).mean(), rel=1e-10)
    # fixed noise: the same seed, the same number; another seed, another number
    a = gd.denoising_loss(data.means, 1.0, test, seed=4)
    assert a == gd.denoising_loss(data.means, 1.0, test, seed=4)
    assert a != gd.denoising_loss(data.means, 1.0, test, seed=6)
    with pytest.raises(ValueError, match="^x must have dimension 3"):
        gd.denoising_loss(data.means, 1.0, test[:, :2])
    with pytest.raises(ValueError, match="^sigma2 must be >= 0"):
        gd.denoising_loss(data.means, -1.0, test)
    with pytest.raises(TypeError, match="^data must be a GMMData"):
        gd.sample_held_out(data.x)


@needs_torch
def test_evaluation_does_not_change_the_training():
    data = sample_gmm(10, 2, 2, seed=0)
    plain = gd.train_gmm_denoisers(data.x, [3, 10], epochs=25, seed=7)
    full = gd.train_gmm_denoisers(data.x, [3, 10], epochs=25, seed=7,
                                  test=gd.sample_held_out(data, seed=1), true_means=data.means,
                                  checkpoints=[0, 10, 25], n_sw=50)
    for p, f in zip(plain, full):
        assert np.array_equal(p.means, f.means) and p.sigma2 == f.sigma2
        assert np.array_equal(p.loss, f.loss)
        assert p.test_loss is None and p.sw_curve is None and p.distances is None
    with pytest.raises(ValueError, match="^checkpoints need a held-out set"):
        gd.train_gmm_denoisers(data.x, [3], epochs=5, checkpoints=[5])
    with pytest.raises(ValueError, match=r"^checkpoints must be epochs in \[0, epochs = 5\]"):
        gd.train_gmm_denoisers(data.x, [3], epochs=5, test=data.x, checkpoints=[6])
    with pytest.raises(ValueError, match="^test must have dimension d = 2"):
        gd.train_gmm_denoisers(data.x, [3], epochs=5, test=np.ones((4, 3)))
    with pytest.raises(ValueError, match="^true_means must have dimension d = 2"):
        gd.train_gmm_denoisers(data.x, [3], epochs=5, true_means=np.ones((4, 3)))


def test_mean_distances_against_brute_force():
    rng = np.random.default_rng(0)
    means, train, true = rng.normal(size=(7, 5)), rng.normal(size=(11, 5)), rng.normal(size=(3, 5))
    means[2] = train[4]                                          # a mean on a training point
    to_train, to_true = gd.mean_distances(means, train, true)
    brute_train = [min(np.sqrt(np.sum((m - x) ** 2)) for x in train) for m in means]
    brute_true = [min(np.sqrt(np.sum((m - mu) ** 2)) for mu in true) for m in means]
    assert np.allclose(to_train, brute_train, rtol=1e-12) and to_train[2] == 0.0
    assert np.allclose(to_true, brute_true, rtol=1e-12)
    with pytest.raises(ValueError, match="^true_means must have dimension 5"):
        gd.mean_distances(means, train, true[:, :2])


@needs_torch
def test_sliced_wasserstein_curve_shape_and_the_memorizer():
    from memlab.theory.metrics import sliced_wasserstein

    data = sample_gmm(16, 3, 2, seed=0)
    test = gd.sample_held_out(data, seed=1)
    assert sliced_wasserstein(data.x, data.x, seed=0) == 0.0     # a set against itself
    (run,) = gd.train_gmm_denoisers(data.x, [16], epochs=12, seed=0, test=test,
                                    checkpoints=[12, 0, 6], n_sw=400)
    c = run.sw_curve
    assert c["epoch"].tolist() == [0, 6, 12]
    assert all(c[k].shape == (3,) for k in ("train", "test", "ratio"))
    # M = N from the partial memorization init: the samples are copies of the training
    # points, much closer to the training set than to the held-out one
    assert np.all(c["ratio"] == 1.0)
    assert np.all(c["train"] < 0.7 * c["test"])
    floor = sliced_wasserstein(data.x, test, seed=0)
    assert np.all(c["test"] < 1.5 * floor)


@pytest.fixture(scope="module")
def small_sweep():
    pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gd.memorization_sweep(10, 2, 2, M_values=[2, 5, 10], epochs=40, n_eval=40,
                                     n_sw=100, progress=False)


def test_sweep_records_held_out_losses_distances_and_curves(small_sweep, tmp_path):
    r = small_sweep
    assert r.n_test == 10 and r.test_loss.shape == (3,) and r.train_loss_eval.shape == (3,)
    assert r.loss_t["train"].shape == (3, 26)
    assert np.allclose(r.loss_t["test"].mean(axis=1), r.test_loss)
    assert r.dist_train.shape == (3, 4) and r.dist_true.shape == (3, 4)
    q = r.dist_train
    assert np.all(q[:, 0] <= q[:, 1]) and np.all(q[:, 1] <= q[:, 2])
    assert r.sw_epochs.tolist() == [0, 2, 4, 10, 20, 40]
    assert r.sw_train.shape == r.sw_test.shape == r.sw_ratio.shape == (3, 6)
    refs = r.references
    assert refs["generalizing"].shape == (2, 26) and refs["partial"].shape == (2, 3, 26)
    # the memorizer of every training point: (near) zero loss on them, large on new points
    assert refs["memorizing"][1].mean() > 100 * refs["memorizing"][0].mean()
    # the partial memorizer of all N points is the memorizer
    assert np.allclose(refs["partial"][:, -1], refs["memorizing"])
    assert r.sw_floor > 0
    rows = r.to_records()
    assert len(rows) == 3 and {"M", "ratio", "test_loss", "train_loss_eval"} <= set(rows[0])
    again = gd.SweepResult.from_json(r.to_json())
    assert np.array_equal(again.test_loss, r.test_loss)
    assert np.array_equal(again.references["partial"], refs["partial"])
    assert json.loads(json.dumps(r.to_saved_dict()))["test_loss"] == r.test_loss.tolist()
    # n_test = 0: no evaluation at all, as before
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare = gd.memorization_sweep(10, 2, 2, M_values=[2, 10], epochs=5, n_eval=10,
                                     n_test=0, progress=False)
    assert bare.test_loss is None and bare.sw_train is None and bare.references is None
    assert bare.dist_train.shape == (2, 4)
    with pytest.raises(ValueError, match=r"^checkpoints must be epochs in \[0, epochs = 5\]"):
        gd.memorization_sweep(10, 2, 2, M_values=[2], epochs=5, checkpoints=[9])


@needs_torch
def test_training_seed_sweeps_resume_from_their_own_files(tmp_path, monkeypatch):
    import warnings

    kw = dict(M_values=[2, 8], epochs=10, n_eval=10, checkpoints=(), out_dir=tmp_path,
              progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = gd.memorization_sweep(8, 2, 2, train_seed=1, **kw)
        b = gd.memorization_sweep(8, 2, 2, train_seed=2, **kw)
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert [n.split("_")[5] for n in names] == ["t1", "t2"]
    assert not np.array_equal(a.sigma2, b.sigma2)           # other models, same data
    assert np.array_equal(a.references["generalizing"], b.references["generalizing"])

    def boom(*args, **kwargs):
        raise AssertionError("should not retrain")

    monkeypatch.setattr(gd, "train_gmm_denoisers", boom)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = gd.memorization_sweep(8, 2, 2, train_seed=1, **kw)
    assert np.array_equal(again.test_loss, a.test_loss) and again.train_seed == 1


def test_old_results_still_load():
    """The sweep files and the summary committed before the held-out fields existed."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "docs" / "results" / "gmm_training"
    (summary_path,) = [root / "gmm_summary.json"]
    summary = gd.load_sweeps(summary_path)
    assert len(summary) == 10 and all(s.test_loss is None for s in summary)
    by_setting = {(s.N, s.d, s.K): s for s in summary}
    legacy = sorted(root.glob("gmm_N*_d*_K*_s0.json"))
    assert len(legacy) == 10
    for path in legacy:
        (s,) = gd.load_sweeps(path)
        ref = by_setting[(s.N, s.d, s.K)]
        assert np.array_equal(s.M, ref.M) and np.allclose(s.ratio, ref.ratio)
        assert s.middle == pytest.approx(ref.middle) and s.test_loss is None
        assert s.references is None and s.sw_train is None
    old_run = {"format": "memlab-result-v1",
               "type": "memlab.verification.training.gmm_denoiser.GMMTrainingRun",
               "fields": {"means": [[0.0, 1.0]], "sigma2": 0.5, "loss": [2.0, 1.0], "M": 1,
                          "epochs": 2, "lr": 0.01, "n_noise": 4, "seed": 0}}
    run = gd.GMMTrainingRun.from_dict(old_run)
    assert run.test_loss is None and run.sw_curve is None


def test_load_sweeps_rejects_other_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="holds neither a GMM sweep"):
        gd.load_sweeps(p)
    with pytest.raises(ValueError, match="must be an existing JSON file"):
        gd.load_sweeps(tmp_path / "missing.json")


def _seed_fakes():
    import dataclasses

    one = gd.SweepResult(20, 10, 2, np.array([10, 16, 20]), np.array([0.0, 0.5, 1.0]),
                         np.array([0.3, 0.1, 1e-9]), np.ones(3), 11.0, 16.0, 19.0, 200, 4000, 0,
                         train_loss_eval=np.array([5.0, 4.0, 0.5]),
                         test_loss=np.array([6.0, 9.0, 1e5]))
    two = dataclasses.replace(one, ratio=np.array([0.0, 0.3, 1.0]), middle=17.0, seed=1,
                              test_loss=np.array([6.5, 8.0, 2e5]))
    three = dataclasses.replace(one, ratio=np.array([0.0, 0.6, 1.0]), middle=float("nan"),
                                seed=2, train_seed=3, test_loss=np.array([5.5, 10.0, 3e5]))
    return [one, two, three]


def test_summarize_seeds_against_numpy():
    sweeps = _seed_fakes()
    s = gd.summarize_seeds(sweeps)
    tl = np.array([x.test_loss for x in sweeps])
    assert np.allclose(s.stats["test_loss"]["mean"], tl.mean(0))
    assert np.allclose(s.stats["test_loss"]["std"], tl.std(0, ddof=1))
    assert np.array_equal(s.stats["ratio"]["min"], [0.0, 0.3, 1.0])
    assert s.stats["M_mem"] == {"mean": 16.5, "std": pytest.approx(np.std([16, 17], ddof=1)),
                                "min": 16.0, "max": 17.0, "n": 2}
    assert s.stats["M_mem/N"]["mean"] == pytest.approx(16.5 / 20)
    assert s.pairs == ((0, None), (1, None), (2, 3)) and s.transitions[2][1] is None
    assert s.train_loss_t is None                                # the fakes have no per-t terms
    with pytest.raises(ValueError, match=r"^sweeps\[1\] has the M grid"):
        import dataclasses
        gd.summarize_seeds([sweeps[0], dataclasses.replace(sweeps[1], M=np.array([1, 2, 3]))])
    with pytest.raises(ValueError, match=r"^sweeps\[1\] has \(N, d, K\)"):
        import dataclasses
        gd.summarize_seeds([sweeps[0], dataclasses.replace(sweeps[1], N=40)])


@needs_torch
def test_seed_spread_runs_every_pair(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = gd.seed_spread(8, 2, 2, data_seeds=[0, 1], train_seeds=[0, 1], M_values=[2, 8],
                           epochs=10, n_eval=10, out_dir=tmp_path, n_sw=50)
    assert s.pairs == ((0, 0), (0, 1), (1, 0), (1, 1))
    assert s.ratio.shape == s.test_loss.shape == (4, 2) and s.test_loss_t.shape == (4, 2, 26)
    assert s.stats["test_loss"]["max"].tolist() == s.test_loss.max(0).tolist()
    assert len(list(tmp_path.glob("gmm_N8_d2_K2_s*_t*_*.json"))) == 4
    with pytest.raises(ValueError, match="^train_seeds must not be empty"):
        gd.seed_spread(8, 2, 2, train_seeds=[])


def _figure_checks(plot, arg, **kw):
    from matplotlib.figure import Figure

    fig = Figure()
    out = plot(arg, fig=fig, **kw)
    assert out is fig and fig.axes
    assert all(ax.lines or ax.collections for ax in fig.axes)
    with pytest.raises(TypeError, match="^fig must be a matplotlib Figure"):
        plot(arg, fig="x")
    return fig


def test_loss_plot(small_sweep, tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = _figure_checks(gd.plot_losses_vs_M, small_sweep)
    left, right = fig.axes
    assert left.get_yscale() == "log" and "t = 0.360" in left.get_ylabel()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "trained model on the held-out set" in labels
    assert any("generalizing" in x for x in labels) and right.lines
    fig = _figure_checks(gd.plot_losses_vs_M, small_sweep, t=None)
    assert "grid average" in fig.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="^t must be < 1"):
        gd.plot_losses_vs_M(small_sweep, t=1.0)
    with pytest.raises(TypeError, match="^sweep must be a SweepResult"):
        gd.plot_losses_vs_M("x")
    assert plt.get_fignums() == before


def test_learned_parameter_and_sw_plots(small_sweep):
    fig = _figure_checks(gd.plot_learned_parameters, small_sweep)
    assert len(fig.axes) == 3 and fig.axes[0].get_yscale() == "log"
    fig = _figure_checks(gd.plot_sw_curves, small_sweep)
    assert fig.axes[0].get_xlabel() == "training epoch"
    # sweeps without the new fields (the earlier format) still plot, saying what is missing
    fake = _fake_sweep(20, 10, 2, 16.0)
    texts = [t.get_text() for ax in gd.plot_sw_curves(fake).axes for t in ax.texts]
    assert "no sliced Wasserstein checkpoints recorded" in texts
    assert gd.plot_learned_parameters(fake).axes[0].lines


def test_seed_spread_plot():
    spread = gd.summarize_seeds(_seed_fakes())
    fig = _figure_checks(gd.plot_seed_spread, spread)
    assert fig.axes[0].get_ylim() == (-0.03, 1.03)
    assert any("M_{mem}" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    with pytest.raises(TypeError, match="^spread must be a SeedSpread"):
        gd.plot_seed_spread(_seed_fakes()[0])


@needs_torch
@pytest.mark.slow
def test_held_out_loss_crosses_above_the_training_loss_near_the_transition():
    """(N, d, K) = (10, 5, 2), 4000 epochs (minutes on one core): the held-out loss
    at t ~ 0.36 (the time of Buchanan et al. 2025, Fig. 2) is within 25% of the training
    loss for the smallest model, rises above it by more than half only from 0.3 N on, no
    later than the end of the transition, and is over 5 times the training loss past the
    end. (Measured with data seed 0, training seed 0: 1.13, 1.62 at M = 4 = 0.4 N, the
    transition running from 4.7 to 9.7.)"""
    import warnings

    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)                  # small tensors: one thread is faster
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = gd.memorization_sweep(10, 5, 2, M_values=[2, 4, 6, 8, 10], n_sw=100,
                                      checkpoints=(), progress=False)
    finally:
        torch.set_num_threads(threads)
    assert np.isfinite(r.start) and np.isfinite(r.end)
    k = gd.PAPER_T_INDEX
    ratio = r.loss_t["test"][:, k] / r.loss_t["train"][:, k]
    assert ratio[0] < 1.25
    assert np.any(ratio > 1.5)
    first = r.M[np.argmax(ratio > 1.5)]
    assert 0.3 * r.N <= first <= r.end
    assert np.all(ratio[r.M >= r.end] > 5)
    # the generalizing denoiser has no such gap
    gen = r.references["generalizing"][:, k]
    assert abs(gen[1] / gen[0] - 1) < 0.15
