"""Torch training of seed 001's GMM denoisers and seed 000's D3PM on the RHM (issue 6).

Smoke tests run in seconds; the sweeps are slow tests (results of the full CLI runs are
committed under docs/results/).
"""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from memlab.theory import rhm  # noqa: E402
from memlab.theory.gmm import crossover_point, partial_memorization_excess_loss, sample_gmm  # noqa: E402
from memlab.theory.metrics import first_crossing, memorization_ratio  # noqa: E402
from memlab.theory.schedules import reference_timesteps, snr  # noqa: E402
from memlab.verification.cli import main  # noqa: E402
from memlab.verification.gmm import calibrate_weighting  # noqa: E402
from memlab.verification.training import gmm_denoiser as gd  # noqa: E402
from memlab.verification.training import rhm_d3pm as rd  # noqa: E402


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


def test_batched_training_keeps_models_independent():
    data = sample_gmm(10, 2, 2, seed=0)
    a = gd.train_gmm_denoisers(data.x, [3, 10], epochs=40, seed=5)
    b = gd.train_gmm_denoisers(data.x, [3, 7], epochs=40, seed=5)
    # same seed: same init of the first model and same noise; the partner does not matter
    assert np.allclose(a[0].means, b[0].means, atol=1e-12) and a[0].sigma2 == b[0].sigma2


def test_sweep_resumes_from_its_json(tmp_path, monkeypatch):
    r1 = gd.memorization_sweep(12, 3, 2, M_values=[4, 12], epochs=30, n_eval=20,
                               out_dir=tmp_path, progress=False)
    saved = json.loads((tmp_path / "gmm_N12_d3_K2_s0.json").read_text())
    assert sorted(saved["runs"]) == ["12", "4"] and r1.ratio[-1] == 1.0

    def boom(*a, **k):
        raise AssertionError("should not retrain")

    monkeypatch.setattr(gd, "train_gmm_denoisers", boom)
    r2 = gd.memorization_sweep(12, 3, 2, M_values=[4, 12], epochs=30, n_eval=20,
                               out_dir=tmp_path, progress=False)
    assert np.array_equal(r1.ratio, r2.ratio)


def test_default_sweep_resumes_without_training(tmp_path, monkeypatch):
    r1 = gd.memorization_sweep(10, 2, 2, epochs=15, n_eval=10, out_dir=tmp_path, progress=False)
    assert r1.M.size >= 10

    def boom(*a, **k):
        raise AssertionError("should not retrain")

    monkeypatch.setattr(gd, "train_gmm_denoisers", boom)
    r2 = gd.memorization_sweep(10, 2, 2, epochs=15, n_eval=10, out_dir=tmp_path, progress=False)
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


def test_unet_shapes_and_d3pm_smoke_with_resume(tmp_path):
    net = rd.make_unet(5, 2, 3, channels=8)
    out = net(torch.zeros((4, 8), dtype=torch.long), torch.rand(4))
    assert out.shape == (4, 8, 5)
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)                # 32 strings
    kw = dict(batch_size=8, channels=8, n_val=8, n_generate=16, gen_steps=5, n_eval=4, seed=0,
              out_dir=tmp_path, progress=False)
    r = rd.train_d3pm(g, 8, steps=40, **kw)
    assert r.steps.size == r.train_loss.size == r.copy_fraction.size >= 3
    assert r.layer_errors.shape == (r.steps.size, 2)
    assert r.train_loss[-1] < r.train_loss[0]
    longer = rd.train_d3pm(g, 8, steps=80, **kw)               # resumes at step 40
    assert np.array_equal(longer.train_loss[:r.steps.size], r.train_loss)
    again = rd.D3PMRun.from_json(json.loads((tmp_path / "d3pm_P8_s0.json").read_text()))
    assert np.array_equal(again.val_loss, longer.val_loss)
    with pytest.raises(ValueError, match="^P \\+ n_val must be <="):
        rd.train_d3pm(g, 30, steps=5, **kw)


def test_tau_scaling_on_planted_runs():
    def run(P):
        n = 400
        steps = np.geomspace(10, 1e5, n)
        copies = np.clip(np.log(steps / (20 * P)), 0, 1)        # copies reach 1/2 at 20 P e^0.5
        return rd.D3PMRun(P, steps, np.ones(n), np.ones(n) + copies, copies,
                          np.zeros((n, 2)), float(20 * P), float(20 * P), 0.2, 32, 1e-3, 8, 0)

    runs = [run(P) for P in (16, 32, 64, 128)]
    fit = rd.tau_mem_scaling(runs, which="tau_copy_half")
    assert fit.exponent == pytest.approx(1.0, abs=0.02)
    assert rd.tau_mem_scaling(runs, which="tau_copy_onset").exponent == pytest.approx(1.0, abs=0.02)
    assert rd.tau_mem_scaling(runs).exponent == pytest.approx(1.0)
    with pytest.raises(ValueError, match="^which"):
        rd.tau_mem_scaling(runs, which="nope")


def test_cli_train_smoke(tmp_path, capsys):
    assert main(["train", "gmm", "--N", "12", "--d", "3", "--K", "2", "--epochs", "30",
                 "--n-eval", "20", "--no-simulate", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "M_mem/N" in out and (tmp_path / "gmm_memorization_ratio.png").stat().st_size > 1000
    assert main(["train", "rhm", "--v", "4", "--m", "2", "--L", "2", "--P", "6,8,10",
                 "--steps-per-P", "3", "--channels", "8", "--n-val", "8", "--n-generate", "8",
                 "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "P=    8:" in out and (tmp_path / "d3pm_summary.json").exists()
    assert main(["train", "gmm", "--N", "x"]) == 2
    assert "expected comma-separated integers" in capsys.readouterr().err


@pytest.mark.slow
def test_gmm_transition_is_near_0_8_N():
    """(N, d, K) = (20, 10, 2), 4000 epochs: M_mem / N in [0.65, 0.95] (measured 0.8)."""
    r = gd.memorization_sweep(20, 10, 2, progress=False)
    assert 0.65 * 20 <= r.middle <= 0.95 * 20
    assert r.ratio[0] < 0.1 and r.ratio[-1] == 1.0


@pytest.mark.slow
def test_d3pm_copy_time_grows_linearly_with_P():
    """v=8, m=3, L=3, 60 steps per string, P = 64, 128, 256: the copy onset ~ P^beta,
    beta in [0.6, 1.4] (measured 0.86 over P = 64..1024)."""
    g = rhm.sample_grammar(8, 3, 2, 3, seed=0)
    runs = [rd.train_d3pm(g, P, steps=60 * P, progress=False) for P in (64, 128, 256)]
    for r in runs:
        assert r.copy_fraction[-1] > 0.5 and r.val_loss[-1] > min(r.val_loss) + 0.1
    fit = rd.tau_mem_scaling(runs, which="tau_copy_onset")
    assert 0.6 < fit.exponent < 1.4
