"""D3PM U-Net on RHM strings (memlab.verification.training.rhm_d3pm; Favero et al. sec. 4.3).

Smoke tests run in seconds; the scaling run is a slow test."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from memlab.theory import rhm  # noqa: E402
from memlab.verification.cli import main  # noqa: E402
from memlab.verification.training import rhm_d3pm as rd  # noqa: E402


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


def test_cli_train_rhm_smoke(tmp_path, capsys):
    assert main(["train", "rhm", "--v", "4", "--m", "2", "--L", "2", "--P", "6,8,10",
                 "--steps-per-P", "3", "--channels", "8", "--n-val", "8", "--n-generate", "8",
                 "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "P=    8:" in out and (tmp_path / "d3pm_summary.json").exists()


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
