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
    resumed = rd.train_d3pm(g, 8, steps=40, **kw)              # resumes: nothing left to train
    assert np.array_equal(resumed.train_loss, r.train_loss)
    longer = rd.train_d3pm(g, 8, steps=80, **kw)               # other settings: its own files
    assert len(list(tmp_path.glob("d3pm_P8_s0_*.pt"))) == 2
    (path,) = [p for p in tmp_path.glob("d3pm_P8_s0_*.json")
               if json.loads(p.read_text())["settings"]["steps"] == 80]
    again = rd.D3PMRun.from_saved_dict(json.loads(path.read_text()))
    assert np.array_equal(again.val_loss, longer.val_loss)
    with pytest.raises(ValueError, match="^P \\+ n_val must be <="):
        rd.train_d3pm(g, 30, steps=5, **kw)


def _planted(P):
    n = 400
    steps = np.geomspace(10, 1e5, n)
    copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    return rd.D3PMRun(P, steps, np.ones(n), np.ones(n) + copies, copies, np.zeros((n, 2)),
                      float(20 * P), float(20 * P), 0.2, 32, 1e-3, 8, 0)


def test_save_summary_writes_the_three_files_in_the_cli_format(tmp_path):
    from memlab.theory.metrics import PowerLawFit

    runs = [_planted(P) for P in (16, 32, 64, 128)]
    fits = {w: rd.tau_mem_scaling(runs, which=w) for w in ("tau_mem", "tau_copy_half")}
    out = tmp_path / "new" / "dir"
    paths = rd.save_summary(runs, fits, out)
    assert paths == [out / "d3pm_summary.json", out / "d3pm_curves.png", out / "d3pm_tau_vs_P.png"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths[1:])
    text = paths[0].read_text()
    # the format memlab train rhm has always written: these keys, indent=1
    assert text == json.dumps({"runs": [r.to_saved_dict() for r in runs],
                               "fits": {k: vars(f) for k, f in fits.items()}}, indent=1)
    data = json.loads(text)
    assert set(data) == {"runs", "fits"} and set(data["fits"]) == set(fits)
    for saved, run in zip(data["runs"], runs):
        again = rd.D3PMRun.from_saved_dict(saved)
        assert again.P == run.P and again.tau_mem == run.tau_mem
        assert np.array_equal(again.steps, run.steps)
        assert np.array_equal(again.copy_fraction, run.copy_fraction)
        assert np.array_equal(again.layer_errors, run.layer_errors)
    assert PowerLawFit(**data["fits"]["tau_mem"]) == fits["tau_mem"]
    assert rd.save_summary(runs[:1], {}, out)[0].exists()        # no fit: still three files


@pytest.mark.parametrize("runs, fits, error, match", [
    ([], {}, ValueError, "^runs must contain"),
    ([1], {}, TypeError, r"^runs\[0\] must be a D3PMRun"),
    (None, [], TypeError, "^fits must be a dict"),
    (None, {"tau": None}, ValueError, "^fits keys must be in"),
    (None, {"tau_mem": 1.0}, TypeError, r"^fits\['tau_mem'\] must be a PowerLawFit"),
])
def test_save_summary_rejects_bad_input(tmp_path, runs, fits, error, match):
    with pytest.raises(error, match=match):
        rd.save_summary([_planted(16)] if runs is None else runs, fits, tmp_path)
    assert not list(tmp_path.iterdir())


def test_train_d3pm_rejects_a_non_grammar():
    with pytest.raises(TypeError, match="^grammar must be a Grammar, got int$"):
        rd.train_d3pm(5, 8, steps=1, progress=False)


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
    assert (tmp_path / "d3pm_curves.png").exists() and (tmp_path / "d3pm_tau_vs_P.png").exists()
    assert f"wrote {tmp_path}/d3pm_summary.json, d3pm_curves.png and d3pm_tau_vs_P.png" in out
    summary = json.loads((tmp_path / "d3pm_summary.json").read_text())
    assert [r["P"] for r in summary["runs"]] == [6, 8, 10]


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


def test_d3pm_plots_draw_on_the_callers_axes_without_pyplot(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    runs = [_planted(P) for P in (16, 32, 64)]
    fits = {"tau_mem": rd.tau_mem_scaling(runs)}
    target = Figure()
    assert rd.plot_training_curves(runs, fig=target) is target
    assert len(target.axes) == 2 and all(a.lines for a in target.axes)
    ax = Figure().add_subplot()
    fig = rd.plot_tau_vs_P(runs, fits, ax=ax)
    assert fig is ax.figure and fig.axes == [ax] and ax.lines and fig.get_suptitle() == ""
    with pytest.raises(TypeError, match="^fig must be a matplotlib Figure"):
        rd.plot_training_curves(runs, fig="x")
    with pytest.raises(TypeError, match="^ax must be a matplotlib Axes"):
        rd.plot_tau_vs_P(runs, ax="x")
    before = plt.get_fignums()
    figs = [rd.plot_training_curves(runs), rd.plot_tau_vs_P(runs, fits)]
    assert all(isinstance(f, Figure) for f in figs) and plt.get_fignums() == before
    rd.save_summary(runs, fits, tmp_path)
    assert plt.get_fignums() == before
    # the setting and the predicted slope 1 (tau proportional to P)
    assert "batch 32, lr 0.001, 8 channels, seed 0" in figs[0].get_suptitle()
    ax = figs[1].axes[0]
    ref = next(ln for ln in ax.lines if "slope 1" in ln.get_label())
    x, y = ref.get_data()
    assert np.log(y[-1] / y[0]) / np.log(x[-1] / x[0]) == pytest.approx(1.0)
    assert any("fit" in t.get_text() for t in ax.get_legend().get_texts())


# ------------------------------------------------ sliced Wasserstein to the train / held-out sets
def test_one_hot_embedding_squared_distance_is_the_normalised_hamming_distance():
    x = np.array([[0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 3, 2, 1, 0], [3, 2, 1, 0, 3, 2, 1, 0]])
    e = rd.one_hot_embedding(x, 4)
    assert e.shape == (3, 32) and np.allclose(e.sum(axis=1), 8 / np.sqrt(16))
    ham = (x[:, None, :] != x[None, :, :]).mean(axis=2)
    assert np.allclose(((e[:, None, :] - e[None, :, :]) ** 2).sum(axis=2), ham)
    assert rd.one_hot_embedding([1, 0], 2).shape == (1, 4)
    with pytest.raises(ValueError, match=r"^x must hold tokens in \[0, 4\)"):
        rd.one_hot_embedding([[0, 4]], 4)
    with pytest.raises(TypeError, match="^v must be an integer >= 2"):
        rd.one_hot_embedding([[0, 1]], "4")


def test_train_d3pm_records_sw_curves_without_changing_the_run():
    from memlab.theory.metrics import sliced_wasserstein

    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)                # 32 strings
    kw = dict(batch_size=8, channels=8, n_val=6, n_generate=16, gen_steps=3, n_eval=3,
              n_levels=2, seed=0, progress=False)
    r = rd.train_d3pm(g, 8, steps=30, **kw)
    assert r.sw_train.shape == r.sw_val.shape == r.steps.shape
    assert np.all(r.sw_train > 0) and np.all(r.sw_val > 0)
    # the reference sets: 6 training and 6 held-out strings (equal sizes), seed SW_SEED
    rng = np.random.default_rng(0)
    rng.integers(2**62)                                    # train_d3pm's torch seed
    both = rhm.generate(g, 14, distinct=True, seed=rng)
    ref = sliced_wasserstein(rd.one_hot_embedding(both[:6], 4),
                             rd.one_hot_embedding(both[8:], 4), seed=rd.SW_SEED)
    assert r.sw_train_val == pytest.approx(ref)
    for cal in (r.sw_fresh, r.sw_copies):
        assert isinstance(cal, tuple) and len(cal) == 2 and min(cal) > 0
    fresh, copies = r.sw_fresh[1] - r.sw_fresh[0], r.sw_copies[1] - r.sw_copies[0]
    if copies > fresh:
        assert np.allclose(r.sw_gap(), (r.sw_val - r.sw_train - fresh) / (copies - fresh))
    else:                                       # too few strings to tell copies apart
        assert np.isnan(r.sw_gap()).all()
    # no draw from the run's stream: every other field is the same without the curves
    plain = rd.train_d3pm(g, 8, steps=30, sw_projections=None, **kw)
    assert plain.sw_train is None and plain.sw_val is None and plain.sw_train_val is None
    assert plain.sw_fresh is None and plain.sw_copies is None
    for f in ("train_loss", "val_loss", "copy_fraction", "layer_errors"):
        assert np.array_equal(getattr(plain, f), getattr(r, f))
    with pytest.raises(ValueError, match="^sw_projections must be a positive integer"):
        rd.train_d3pm(g, 8, steps=30, sw_projections=0, **kw)


def test_sw_fields_round_trip_and_old_runs_load(tmp_path):
    import dataclasses
    from pathlib import Path

    run = _planted(16)
    n = run.steps.size
    sw_train = np.linspace(0.3, 0.1, n)
    sw_train[0] = np.nan                                   # an evaluation before the curves
    run = dataclasses.replace(run, sw_train=sw_train, sw_val=np.full(n, 0.3), sw_train_val=0.2,
                              sw_fresh=(0.31, 0.31), sw_copies=(0.11, 0.31))
    saved = json.loads(json.dumps(run.to_saved_dict(), allow_nan=False))   # standard JSON
    assert saved["sw_train"][0] is None
    back = rd.D3PMRun.from_saved_dict(saved)
    assert np.array_equal(back.sw_train, sw_train, equal_nan=True)
    assert back.sw_train_val == 0.2 and back.sw_copies == (0.11, 0.31)
    gap = back.sw_gap()
    assert np.isnan(gap[0]) and gap[-1] == pytest.approx(1.0)
    # the gap (0.3 - sw_train) / 0.2 is linear in the index, so in log step: 1/2 halfway
    assert back.tau_sw_gap(0.5) == pytest.approx(np.sqrt(run.steps[0] * run.steps[-1]))
    assert np.isnan(dataclasses.replace(back, sw_val=np.full(n, 0.1)).tau_sw_gap())
    # an early excursion above the level does not count: the last upward crossing does
    spiky = sw_train.copy()
    spiky[5] = 0.1                                          # gap 1 at evaluation 5
    r2 = dataclasses.replace(back, sw_train=spiky)
    assert r2.sw_gap()[5] == pytest.approx(1.0)
    assert r2.tau_sw_gap(0.5) == pytest.approx(back.tau_sw_gap(0.5))
    assert dataclasses.replace(back, sw_train=np.full(n, 0.1)).tau_sw_gap() == run.steps[0]
    assert np.isnan(dataclasses.replace(back, sw_copies=(0.3, 0.3)).sw_gap()).all()
    again = rd.D3PMRun.from_json(back.to_json())
    assert again.sw_train_val == 0.2 and again.sw_fresh == (0.31, 0.31)
    # runs saved before the curves existed load, with the fields None
    results = Path(__file__).resolve().parents[3] / "docs" / "results" / "rhm_training"
    old = rd.D3PMRun.from_saved_dict(json.loads((results / "d3pm_P64_s0.json").read_text()))
    assert old.P == 64 and old.sw_train is None and old.sw_train_val is None
    summary = json.loads((results / "d3pm_summary.json").read_text())
    assert [rd.D3PMRun.from_saved_dict(s).sw_val for s in summary["runs"]] == [None] * 5
    with pytest.raises(ValueError, match="no sliced Wasserstein curves"):
        old.sw_gap()
    with pytest.raises(ValueError, match=r"^runs\[1\] has no sliced Wasserstein curves"):
        rd.plot_sw_curves([run, old])
    with pytest.raises(ValueError, match="^level must be"):
        back.tau_sw_gap(1.5)


def test_resuming_a_checkpoint_saved_before_the_sw_curves(tmp_path):
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    kw = dict(steps=20, batch_size=4, channels=4, n_val=4, n_generate=4, gen_steps=2,
              n_eval=2, n_levels=2, seed=0, out_dir=tmp_path, progress=False)
    r = rd.train_d3pm(g, 4, **kw)
    (ckpt,) = tmp_path.glob("d3pm_P4_s0_*.pt")
    state = torch.load(ckpt, weights_only=True)
    for k in ("sw_train", "sw_val"):
        del state["hist"][k]
    torch.save(state, ckpt)
    again = rd.train_d3pm(g, 4, **kw)                      # nothing left to train
    assert np.array_equal(again.val_loss, r.val_loss)
    assert np.isnan(again.sw_train).all() and again.sw_train.shape == r.steps.shape
    assert again.sw_train_val == r.sw_train_val and again.sw_copies == r.sw_copies


def test_plot_sw_curves_draws_on_the_callers_figure():
    import dataclasses

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    def with_sw(P):
        r = _planted(P)
        copies = r.copy_fraction
        return dataclasses.replace(r, sw_train=0.3 - 0.2 * copies,
                                   sw_val=np.full(copies.size, 0.3), sw_train_val=0.2,
                                   sw_fresh=(0.3, 0.3), sw_copies=(0.1, 0.3))

    runs = [with_sw(P) for P in (16, 32)]
    target = Figure()
    assert rd.plot_sw_curves(runs, fig=target) is target
    assert len(target.axes) == 2 and all(ax.lines for ax in target.axes)
    before = plt.get_fignums()
    fig = rd.plot_sw_curves(runs)
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert "batch 32, lr 0.001, 8 channels, seed 0" in fig.get_suptitle()
    gap_line = fig.axes[1].lines[0]
    assert np.allclose(gap_line.get_ydata(), runs[0].sw_gap())
    with pytest.raises(TypeError, match="^fig must be a matplotlib Figure"):
        rd.plot_sw_curves(runs, fig="x")
    with pytest.raises(ValueError, match="^runs must contain"):
        rd.plot_sw_curves([])


# ------------------------------------- process, schedule, optimizer, disjoint blocks, probe, rules
_TINY = dict(steps=30, batch_size=8, channels=8, n_val=6, n_generate=16, gen_steps=3, n_eval=3,
             n_levels=2, seed=0, progress=False)
_FAST = dict(steps=12, batch_size=4, channels=4, n_val=6, n_generate=8, gen_steps=2, n_eval=2,
             n_levels=1, seed=0, progress=False)


@pytest.fixture(scope="module")
def tiny_default():
    """The tiny default run of _TINY (trained once for the tests of this section)."""
    return rd.train_d3pm(rhm.sample_grammar(4, 2, 2, 2, seed=0), 8, **_TINY)


@pytest.fixture(scope="module")
def fast_default():
    return rd.train_d3pm(rhm.sample_grammar(4, 2, 2, 2, seed=0), 8, **_FAST)


def test_default_run_trains_bit_for_bit_as_before_the_new_options(tiny_default):
    """The numbers of this tiny default run, recorded with the code before process, schedule,
    optimizer, train_block, the probe and the rule statistics existed."""
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    r = tiny_default
    assert r.steps.tolist() == [10.0, 17.0, 30.0]
    assert r.train_loss.tolist() == [1.3611595630645752, 1.331329345703125, 1.292791724205017]
    assert r.val_loss.tolist() == [1.5054815610249836, 1.4637393951416016, 1.4086058934529622]
    assert r.copy_fraction.tolist() == [0.0, 0.0, 0.125]
    assert r.layer_errors.tolist() == [[0.6875, 0.9375], [0.9375, 1.0], [0.6875, 0.75]]
    assert r.sw_train.tolist() == [0.10910853349600567, 0.10444310547508179, 0.0982262903813707]
    assert (r.process, r.schedule, r.optimizer, r.train_block) == ("uniform", "cosine", "adam",
                                                                  None)
    # the new records are there, and switching them off changes nothing else
    assert r.probe_hellinger.shape == (3, len(rd.PROBE_ABAR)) and r.probe_abar == rd.PROBE_ABAR
    assert r.probe_probs.shape == (3, 3, 6, 4, 4) and r.probe_tokens.shape == (3, 6, 4)
    bare = rd.train_d3pm(g, 8, n_probe=None, rule_stats=False, **_TINY)
    assert bare.probe_probs is None and bare.rule_mean_error is None and bare.rule_fresh is None
    for f in ("train_loss", "val_loss", "copy_fraction", "layer_errors", "sw_train"):
        assert np.array_equal(getattr(bare, f), getattr(r, f))


def test_make_unet_takes_the_mask_token_as_an_extra_input():
    net = rd.make_unet(4, 2, 2, channels=4, n_inputs=5)
    assert net(torch.full((2, 4), 4, dtype=torch.long), torch.zeros(2)).shape == (2, 4, 4)
    torch.manual_seed(0)
    a = rd.make_unet(4, 2, 2, channels=4)
    torch.manual_seed(0)
    b = rd.make_unet(4, 2, 2, channels=4, n_inputs=4)            # the default, same init
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))
    with pytest.raises(ValueError, match="^n_inputs must be"):
        rd.make_unet(4, 2, 2, channels=4, n_inputs=3)


def test_masked_d3pm_masks_probes_and_generates_strings_of_the_vocabulary(fast_default):
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    r = rd.train_d3pm(g, 8, process="masked", **_FAST)
    assert r.process == "masked" and np.all(np.isfinite(r.train_loss))
    assert (r.probe_tokens == 4).any() and (r.probe_tokens < 4).any()   # mask token v = 4
    assert np.all((r.probe_hellinger >= 0) & (r.probe_hellinger <= 1))
    # unmasked probe tokens are copied: probability 1 on the observed token
    known = r.probe_tokens < 4
    last = r.probe_probs[-1]
    assert np.allclose(np.take_along_axis(last, np.where(known, r.probe_tokens, 0)[..., None],
                                          -1)[..., 0][known], 1.0)
    # the exact BP reference of the same process: the most masked level is the hardest
    ex = [rhm.exact_denoiser(g, xt, a, process="masked")
          for xt, a in zip(r.probe_tokens, rd.PROBE_ABAR)]
    assert np.allclose(r.probe_hellinger[-1], [np.mean(rhm.denoiser_hellinger(p, q))
                                               for p, q in zip(last, ex)], atol=1e-6)
    assert not np.array_equal(r.train_loss, fast_default.train_loss)


def test_linear_schedule_is_the_product_of_the_transition_matrices(fast_default):
    from memlab.theory.schedules import (cumulative_transition, d3pm_betas, d3pm_keep,
                                         transition_matrix)

    betas = d3pm_betas(1000, "linear")
    keep = d3pm_keep(betas)
    Q = np.eye(4)
    for t, b in enumerate(betas, start=1):
        Q = Q @ transition_matrix(b, 4)
        if t in (1, 10, 500, 1000):
            assert np.allclose(Q, cumulative_transition(keep[t], 4), atol=1e-12)
    assert keep[-1] == pytest.approx(4.04e-5, rel=1e-2)
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    r = rd.train_d3pm(g, 8, schedule="linear", **_FAST)
    assert r.schedule == "linear"
    assert not np.array_equal(r.val_loss, fast_default.val_loss)


def test_sgd_optimizer_and_disjoint_training_blocks(tmp_path):
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    sgd = rd.train_d3pm(g, 8, optimizer="sgd", lr=0.05, **_FAST)
    assert sgd.optimizer == "sgd" and sgd.train_loss[-1] < sgd.train_loss[0]
    kw = dict(_FAST, out_dir=tmp_path)
    a = rd.train_d3pm(g, 8, train_block=0, **kw)
    b = rd.train_d3pm(g, 8, train_block=1, **kw)
    assert (a.train_block, b.train_block) == (0, 1)
    assert np.array_equal(a.probe_tokens, b.probe_tokens)         # same held-out probe
    # the pool: blocks [0, 8) and [8, 16), validation after both
    rng = np.random.default_rng(0)
    rng.integers(2**62)
    pool = rhm.generate(g, 22, distinct=True, seed=rng)
    assert not {tuple(x) for x in pool[:8]} & {tuple(x) for x in pool[8:16]}
    assert rhm.copy_fraction(a.probe_tokens[-1], pool[16:]) > 0    # probe = noisy validation
    d = rd.denoiser_distance(a, b)
    assert d.shape == (2, 3) and np.all((d >= 0) & (d < 1))
    assert np.allclose(rd.denoiser_distance(a, a), 0.0)
    # saved and read back with the probe predictions
    (path,) = [p for p in tmp_path.glob("d3pm_P8_s0_*.json")
               if json.loads(p.read_text())["settings"].get("train_block") == 1]
    back = rd.load_run(path)
    assert np.array_equal(back.probe_probs, b.probe_probs) and back.train_block == 1
    assert np.array_equal(rd.denoiser_distance(a, back), d)
    assert "probe_probs" not in json.loads(path.read_text())
    with pytest.raises(ValueError, match="^run_b has no probe predictions"):
        rd.denoiser_distance(a, rd.D3PMRun.from_saved_dict(json.loads(path.read_text())))
    import dataclasses
    with pytest.raises(ValueError, match="same steps"):
        rd.denoiser_distance(a, dataclasses.replace(b, steps=b.steps + 1))
    with pytest.raises(ValueError, match="same probe strings"):
        rd.denoiser_distance(a, dataclasses.replace(b, probe_tokens=b.probe_tokens[::-1]))
    with pytest.raises(TypeError, match="^run_a must be a D3PMRun"):
        rd.denoiser_distance(1, b)
    with pytest.raises(ValueError, match=r"^2 P \+ n_val \(train_block given\) must be <="):
        rd.train_d3pm(g, 14, train_block=0, **_FAST)


def test_init_seed_changes_the_network_and_nothing_else():
    """init_seed draws the initialisation and the mini-batch stream from its own seed: the
    same init_seed gives the same run, another gives other losses, and the strings, the
    probe (evaluation noise of seed) stay the same; a disjoint pair with different
    init_seed is an independent pair on disjoint data."""
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    base = rd.train_d3pm(g, 8, train_block=0, **_FAST)
    a1 = rd.train_d3pm(g, 8, train_block=0, init_seed=1, **_FAST)
    a1_again = rd.train_d3pm(g, 8, train_block=0, init_seed=1, **_FAST)
    a2 = rd.train_d3pm(g, 8, train_block=0, init_seed=2, **_FAST)
    assert np.array_equal(a1.train_loss, a1_again.train_loss)
    assert not np.array_equal(a1.train_loss, a2.train_loss)
    assert not np.array_equal(a1.train_loss, base.train_loss)
    assert np.array_equal(a1.probe_tokens, base.probe_tokens)        # same strings, same probe


@pytest.mark.parametrize("kw, error, match", [
    ({"process": "absorbing"}, ValueError, "^process must be one of"),
    ({"process": 1}, TypeError, "^process must be"),
    ({"schedule": "jsd"}, ValueError, "^schedule must be one of"),
    ({"optimizer": "rmsprop"}, ValueError, "^optimizer must be one of"),
    ({"train_block": 2}, ValueError, "^train_block must be in"),
    ({"train_block": "0"}, TypeError, "^train_block must be an integer"),
    ({"n_probe": 0}, ValueError, "^n_probe must be"),
    ({"rule_stats": "yes"}, TypeError, "^rule_stats must be"),
    ({"init_seed": -1}, ValueError, "^init_seed must be"),
    ({"init_seed": "1"}, TypeError, "^init_seed must be"),
])
def test_train_d3pm_rejects_bad_new_options(kw, error, match):
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    with pytest.raises(error, match=match):
        rd.train_d3pm(g, 8, **dict(_FAST, **kw))


def test_rule_statistics_error_fresh_strings_against_copies():
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)                 # 32 strings: exact reference
    fresh = rd.rule_statistics_error(g, rhm.generate(g, 4000, seed=1))
    few = rhm.generate(g, 4, distinct=True, seed=1)
    copies = rd.rule_statistics_error(g, few[np.random.default_rng(0).integers(0, 4, 4000)])
    assert fresh[0] < 0.08 and fresh[1] < 0.2                  # sampling floor, n = 4000
    assert copies[0] > 3 * fresh[0] and copies[1] > 3 * fresh[1]
    # every string once: the exact law, both errors 0 up to rounding
    everything = rhm.generate(g, 32, distinct=True, seed=2)
    e_mu, e_c = rd.rule_statistics_error(g, everything)
    assert e_mu < 1e-12 and e_c == pytest.approx(1 / 31, rel=1e-9)   # (n - 1) vs n
    bad = everything.copy()
    bad[:, :] = 0                                               # 0000 is not a string
    with pytest.raises(ValueError, match="^x must contain at least 2 valid strings"):
        rd.rule_statistics_error(g, bad)
    with pytest.raises(TypeError, match="^grammar must be a Grammar"):
        rd.rule_statistics_error(1, everything)


def test_new_fields_round_trip_and_resume_an_older_checkpoint(tmp_path):
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    kw = dict(_FAST, out_dir=tmp_path, process="masked")
    r = rd.train_d3pm(g, 4, **kw)
    saved = json.loads(json.dumps(r.to_saved_dict(), allow_nan=False))
    back = rd.D3PMRun.from_saved_dict(saved)
    assert back.process == "masked" and back.probe_probs is None
    assert np.array_equal(back.probe_hellinger, r.probe_hellinger)
    assert np.array_equal(back.rule_cov_error, r.rule_cov_error, equal_nan=True)
    assert back.rule_fresh == r.rule_fresh and back.probe_abar == rd.PROBE_ABAR
    # a checkpoint saved before the probe and rule records: resumes with NaN there
    (ckpt,) = tmp_path.glob("d3pm_P4_s0_*.pt")
    state = torch.load(ckpt, weights_only=True)
    for k in ("probe_hellinger", "probe_probs", "rule_mean_error", "rule_cov_error"):
        del state["hist"][k]
    torch.save(state, ckpt)
    again = rd.train_d3pm(g, 4, **kw)
    assert np.array_equal(again.val_loss, r.val_loss)
    assert np.isnan(again.probe_hellinger).all() and np.isnan(again.probe_probs).all()
    assert np.isnan(again.rule_mean_error).all() and again.rule_copies == r.rule_copies
    # the saved runs of docs/results/rhm_training load, with the new fields absent
    from pathlib import Path
    results = Path(__file__).resolve().parents[3] / "docs" / "results" / "rhm_training"
    old = rd.load_run(results / "d3pm_P64_s0.json")
    assert old.process == "uniform" and old.probe_hellinger is None and old.probe_probs is None


def test_cli_train_rhm_passes_the_new_options(tmp_path, capsys):
    assert main(["train", "rhm", "--v", "4", "--m", "2", "--L", "2", "--P", "4",
                 "--steps-per-P", "3", "--channels", "4", "--n-val", "4", "--n-generate", "4",
                 "--process", "masked", "--schedule", "linear", "--optimizer", "sgd",
                 "--train-block", "1", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "masked noise, linear schedule, sgd, training block 1" in out
    runs = json.loads((tmp_path / "d3pm_summary.json").read_text())["runs"]
    assert [(r["process"], r["schedule"], r["optimizer"], r["train_block"]) for r in runs] == \
        [("masked", "linear", "sgd", 1)]


_SMALL = dict(channels=64, n_generate=64, gen_steps=25, n_eval=14, sw_projections=None,
              progress=False)


@pytest.mark.slow
def test_two_models_on_disjoint_sets_agree_then_differ_as_they_memorize():
    """The experiment of docs/training.md at P = 64 (2 runs of 3,840 steps; 12 minutes each
    on the shared machine): the Hellinger distance between the two denoisers (abar = 0.8)
    grows by more than 1.8x from the validation minimum to the end, once both copy
    (measured: 0.18 -> 0.45), and ends above the smaller of the two models' distances to
    the exact BP denoiser (measured 0.36 and 0.41)."""
    g = rhm.sample_grammar(8, 3, 2, 3, seed=0)
    a, b = (rd.train_d3pm(g, 64, steps=60 * 64, train_block=k, **_SMALL) for k in (0, 1))
    assert a.copy_fraction[-1] > 0.5 and b.copy_fraction[-1] > 0.5
    d = rd.denoiser_distance(a, b)[:, -1]
    best = int(np.argmin(a.val_loss))
    assert d[-1] > 1.8 * d[best]
    # each memorizing model leaves the exact denoiser too, but by less than they part
    assert a.probe_hellinger[-1, -1] > a.probe_hellinger[best, -1]
    assert d[-1] > min(a.probe_hellinger[-1, -1], b.probe_hellinger[-1, -1])
    # the rule statistics move towards those of the training set as copies appear
    ok = np.isfinite(a.rule_mean_error)
    assert a.rule_mean_error[ok][-1] < a.rule_mean_error[ok][0]


@pytest.mark.slow
def test_masked_d3pm_copy_onset_grows_with_P():
    """The masked series of docs/training.md (P = 16, 32, 64, 60 steps per string; 18 minutes
    on the shared machine): the copy onset grows with P (measured: 529, 736, 1,190 steps,
    exponent 0.59)."""
    g = rhm.sample_grammar(8, 3, 2, 3, seed=0)
    runs = [rd.train_d3pm(g, P, steps=60 * P, process="masked", **_SMALL) for P in (16, 32, 64)]
    onset = [r.tau_copy(0.1) for r in runs]
    assert np.all(np.isfinite(onset)) and onset[0] < onset[1] < onset[2]
    fit = rd.tau_mem_scaling(runs, which="tau_copy_onset")
    assert 0.2 < fit.exponent < 1.6


@pytest.mark.slow
def test_sgd_and_adam_memorize_with_a_copy_onset_growing_with_P():
    """Adam (lr 1e-3) and SGD with momentum 0.9 (lr 0.2) at P = 16, 32, 64 (about 25 minutes
    on a free core): both copy, with an onset growing with P."""
    g = rhm.sample_grammar(8, 3, 2, 3, seed=0)
    for kw in ({}, {"optimizer": "sgd", "lr": 0.2}):
        runs = [rd.train_d3pm(g, P, steps=60 * P, **_SMALL, **kw) for P in (16, 32, 64)]
        onset = [r.tau_copy(0.1) for r in runs]
        assert np.all(np.isfinite(onset)) and onset[0] < onset[2]
