"""Saved training results cannot lie: keyed on their settings, with a manifest, atomic,
torch checkpoints read with weights_only=True, and out-of-grid transitions flagged."""

import json

import numpy as np
import pytest

from memlab.verification.training import gmm_denoiser as gd

MANIFEST = {"settings", "memlab_version", "git_revision", "date", "python", "numpy", "torch",
            "torch_threads"}


@pytest.fixture
def fake_training(monkeypatch):
    """No torch: each 'trained' model of M components has a memorization ratio
    (M - 2) / (N - 2), clipped at 0."""
    calls = []

    def train(x, Ms, *, epochs, lr, n_noise, seed, progress, **evaluation):
        calls.append(list(Ms))
        return [gd.GMMTrainingRun(np.zeros((M, x.shape[1])), 1.0, np.zeros(epochs), M, epochs,
                                  lr, n_noise, 0) for M in Ms]

    monkeypatch.setattr(gd, "train_gmm_denoisers", train)
    monkeypatch.setattr(gd, "ddim_sample", lambda means, s2, n, seed: means)
    monkeypatch.setattr(gd, "memorization_ratio", lambda xs, train: max(0.0, (len(xs) - 2) / (len(train) - 2)))
    return calls


def test_gmm_sweep_is_keyed_on_its_settings_with_a_manifest(tmp_path, fake_training):
    kw = dict(M_values=[2, 5, 8, 10], epochs=20, n_eval=10, out_dir=tmp_path, progress=False)
    r1 = gd.memorization_sweep(10, 2, 2, **kw)
    assert r1.flags == {"start": "ok", "middle": "ok", "end": "ok"} and abs(r1.middle - 6.0) < 1e-9
    (path,) = tmp_path.glob("gmm_N10_d2_K2_s0_*.json")
    saved = json.loads(path.read_text())
    assert MANIFEST <= set(saved["manifest"]) and saved["key"] in path.stem
    assert saved["settings"]["epochs"] == 20 and saved["settings"]["M_values"] == [2, 5, 8, 10]
    gd.memorization_sweep(10, 2, 2, **kw)                          # same settings: re-used
    assert len(fake_training) == 1
    gd.memorization_sweep(10, 2, 2, **dict(kw, epochs=21))         # other settings: new entry
    with pytest.warns(gd.TransitionOutsideGridWarning):      # ratio 0.75 at M = 8
        gd.memorization_sweep(10, 2, 2, **dict(kw, M_values=[2, 5, 8]))
    assert len(fake_training) == 3 and len(list(tmp_path.glob("gmm_N10_d2_K2_s0_*.json"))) == 3
    assert not list(tmp_path.glob("*.tmp"))


def test_gmm_sweep_refuses_a_foreign_or_corrupt_entry(tmp_path, fake_training):
    kw = dict(M_values=[2, 10], epochs=20, n_eval=10, out_dir=tmp_path, progress=False)
    gd.memorization_sweep(10, 2, 2, **kw)
    (path,) = tmp_path.glob("gmm_N10_d2_K2_s0_*.json")
    saved = json.loads(path.read_text())
    path.write_text(json.dumps(dict(saved, settings=dict(saved["settings"], epochs=99))))
    with pytest.raises(ValueError, match="does not hold a sweep with these settings"):
        gd.memorization_sweep(10, 2, 2, **kw)
    path.write_text(path.read_text()[:40])
    with pytest.raises(ValueError, match="is not a valid GMM sweep file"):
        gd.memorization_sweep(10, 2, 2, **kw)


def test_gmm_sweep_reads_the_earlier_format_only_when_its_settings_match(tmp_path,
                                                                        fake_training):
    legacy = {"N": 10, "d": 2, "K": 2, "seed": 0, "epochs": 20, "lr": 0.01, "n_noise": 4,
              "n_eval": 10, "runs": {str(M): {"ratio": 0.0 if M < 6 else 1.0, "sigma2": 1.0,
                                              "final_loss": 0.0} for M in (2, 4, 6, 10)}}
    old = tmp_path / "gmm_N10_d2_K2_s0.json"
    old.write_text(json.dumps(legacy))
    before = old.read_bytes()
    r = gd.memorization_sweep(10, 2, 2, M_values=[2, 4, 6, 10], epochs=20, n_eval=10,
                              out_dir=tmp_path, progress=False)
    assert fake_training == [] and abs(r.middle - 5.0) < 1e-9 and old.read_bytes() == before
    gd.memorization_sweep(10, 2, 2, M_values=[2, 4, 6, 10], epochs=30, n_eval=10,
                          out_dir=tmp_path, progress=False)
    assert fake_training == [[2, 4, 6, 10]] and old.read_bytes() == before


def test_committed_gmm_results_still_load_without_training(monkeypatch):
    from pathlib import Path

    def boom(*a, **k):
        raise AssertionError("should not retrain")

    monkeypatch.setattr(gd, "train_gmm_denoisers", boom)
    out = Path(__file__).resolve().parents[3] / "docs" / "results" / "gmm_training"
    r = gd.memorization_sweep(20, 10, 2, out_dir=out, progress=False)
    assert r.flags["middle"] == "ok" and 0.5 < r.middle / 20 < 1.0


def test_out_of_grid_transition_is_nan_with_a_flag_and_a_warning(tmp_path, fake_training):
    with pytest.warns(gd.TransitionOutsideGridWarning, match="middle below grid"):
        r = gd.memorization_sweep(10, 2, 2, M_values=[6, 8, 10], epochs=20, n_eval=10,
                                  progress=False)
    assert np.isnan(r.start) and np.isnan(r.middle) and r.flags["middle"] == "below_grid"
    assert r.flags["end"] == "ok" and r.to_saved_dict()["flags"] == r.flags
    with pytest.warns(gd.TransitionOutsideGridWarning, match="end not reached"):
        r = gd.memorization_sweep(10, 2, 2, M_values=[1, 3, 8], epochs=20, n_eval=10,
                                  progress=False)
    assert np.isnan(r.end) and r.flags == {"start": "ok", "middle": "ok", "end": "not_reached"}


def test_d3pm_checkpoint_is_weights_only_and_keyed_on_settings(tmp_path):
    torch = pytest.importorskip("torch")
    from memlab.theory import rhm
    from memlab.verification.training import rhm_d3pm as rd

    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    kw = dict(steps=20, batch_size=4, channels=4, n_val=4, n_generate=4, gen_steps=2, n_eval=2,
              seed=0, out_dir=tmp_path, progress=False)
    r = rd.train_d3pm(g, 4, **kw)
    (ckpt,) = tmp_path.glob("d3pm_P4_s0_*.pt")
    state = torch.load(ckpt, weights_only=True)
    assert state["step"] == 20 and state["key"] in ckpt.stem
    saved = json.loads(ckpt.with_suffix(".json").read_text())
    assert MANIFEST <= set(saved["manifest"]) and saved["manifest"]["torch_threads"] >= 1
    assert saved["settings"]["grammar"]["seed"] == 0 and saved["settings"]["lr"] == 1e-3
    assert np.array_equal(rd.D3PMRun.from_saved_dict(saved).val_loss, r.val_loss)
    rd.train_d3pm(g, 4, **dict(kw, lr=2e-3))                      # other settings: own files
    ckpts = sorted(tmp_path.glob("d3pm_P4_s0_*.pt"))
    assert len(ckpts) == 2 and not list(tmp_path.glob("*.tmp"))
    other = next(p for p in ckpts if p != ckpt)
    other.write_bytes(ckpt.read_bytes())                          # a checkpoint of other settings
    with pytest.raises(ValueError, match="checkpoint of other settings"):
        rd.train_d3pm(g, 4, **dict(kw, lr=2e-3))
    other.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        rd.train_d3pm(g, 4, **dict(kw, lr=2e-3))


def test_ctrl_c_during_a_training_sweep_exits_130_in_one_line_and_keeps_finished_sweeps(
        tmp_path, fake_training, monkeypatch, capsys):
    """The first sweep finishes and is saved; Ctrl-C in the second ends the command with
    one line on stderr (no traceback) and status 130; the rerun reuses the first sweep."""
    from memlab.verification.cli import main

    real = gd.memorization_sweep
    state = {"calls": 0}

    def interrupted_second(*args, **kwargs):
        state["calls"] += 1
        if state["calls"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(gd, "memorization_sweep", interrupted_second)
    argv = ["train", "gmm", "--N", "10,12", "--d", "2", "--K", "2", "--epochs", "20",
            "--n-eval", "10", "--out", str(tmp_path), "--no-simulate", "--quiet"]
    assert main(argv) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted" in err[0] and str(tmp_path) in err[0]
    assert len(list(tmp_path.glob("gmm_N10_*.json"))) == 1
    assert not list(tmp_path.glob("gmm_N12_*.json"))
    assert not [p for p in tmp_path.rglob("*") if p.suffix == ".tmp"]
    monkeypatch.setattr(gd, "memorization_sweep", real)
    fake = gd.train_gmm_denoisers
    trained_N = []

    def recording(x, Ms, **kw):
        trained_N.append(x.shape[0])
        return fake(x, Ms, **kw)

    monkeypatch.setattr(gd, "train_gmm_denoisers", recording)
    assert main(argv) == 0
    # N = 10 came from its saved entry: only N = 12's models were trained again
    assert trained_N and set(trained_N) == {12}
    assert len(list(tmp_path.glob("gmm_N12_*.json"))) == 1
