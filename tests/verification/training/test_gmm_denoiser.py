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
