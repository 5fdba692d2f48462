"""Layer-by-layer generalization and the measured phase diagram
(memlab.verification.training.rhm_layers; Favero et al. 2025, Sec. 4.4, Figs. 5a and 6).

The measurement tests use planted runs (no torch); one smoke test and the slow test train."""

import json

import numpy as np
import pytest
from matplotlib.figure import Figure

from memlab.theory.metrics import PHASES, first_crossing, phase_diagram
from memlab.verification.training import rhm_layers as rl
from memlab.verification.training.rhm_d3pm import D3PMRun

P_STAR = (8, 16, 32)


def planted(P, seed=0, P_star=P_STAR, n=60, delay=1.0):
    """Layer l of a run with P >= 2 P*_l reaches 15% errors at step 10 delay P*_l (one
    decade per unit of error, so the log interpolation is exact); the other layers fall
    with the copies, which reach 0.1 at step 20 P (one decade per unit too)."""
    steps = np.geomspace(10, 1e5, n)
    copies = np.clip(0.1 + np.log10(steps / (20 * P)), 0, 1)
    ramps = [np.clip(0.15 - np.log10(steps / (10 * delay * p)), 0, 1) if P >= 2 * p
             else 1 - copies for p in P_star]
    errors = np.maximum.accumulate(np.array(ramps).T, axis=1)
    return D3PMRun(P, steps, np.ones(n), 1 + copies, copies, errors, 20.0 * P, 20.0 * P,
                   0.2, 32, 1e-3, 8, seed)


def series(seeds=(0,)):
    return [planted(P, s, delay=1.0 + 0.1 * s) for P in (8, 16, 32, 64, 128) for s in seeds]


@pytest.fixture(scope="module")
def measurement():
    return rl.measure_layers(series(), P_star=P_STAR, n_boot=40)


def test_learning_times_are_first_crossings():
    r = planted(64)
    tau = rl.layer_learning_times(r)
    assert np.allclose(tau, [80, 160, 320])
    for ell in range(3):
        assert tau[ell] == pytest.approx(first_crossing(r.steps, r.layer_errors[:, ell], 0.15,
                                                        above=False, log_x=True))
    # a layer below 2 P*: reached only with the copies, after tau_mem
    tau16 = rl.layer_learning_times(planted(16))
    assert tau16[0] == pytest.approx(80) and tau16[1] > 20 * 16
    empty = D3PMRun(8, np.array([]), np.array([]), np.array([]), np.array([]),
                    np.zeros((0, 3)), np.nan, np.nan, 0.2, 32, 1e-3, 8, 0)
    assert np.isnan(rl.layer_learning_times(empty)).all()


def test_measurement_recovers_planted_laws(measurement):
    m = measurement
    assert m.P.tolist() == [8, 16, 32, 64, 128] and m.n_runs.tolist() == [1] * 5
    assert m.learned.astype(int).tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1],
                                              [1, 1, 1]]
    assert np.allclose(m.P_learned, np.sqrt([8 * 16, 16 * 32, 32 * 64]))
    assert m.P_learned_low.tolist() == [8, 16, 32] and m.P_learned_high.tolist() == [16, 32, 64]
    assert m.tau_fit.exponent == pytest.approx(1.0, abs=1e-9)
    assert m.P_fit.exponent == pytest.approx(1.0, abs=1e-9)
    assert m.tau_mem_fit.exponent == pytest.approx(1.0, abs=1e-9)
    assert m.tau_mem_per_P == pytest.approx(20)                    # copies reach 0.1
    # intervals bracket the estimates; learned layers are learned in every replicate
    ok = np.isfinite(m.tau_star)
    assert np.all(m.tau_star_low[ok] <= m.tau_star[ok] + 1e-9)
    assert np.all(m.tau_star[ok] <= m.tau_star_high[ok] + 1e-9)
    assert m.tau_mem_per_P_low <= m.tau_mem_per_P <= m.tau_mem_per_P_high
    assert np.all(m.learned_fraction[m.learned] > 0.9)
    assert m.tau_fit_boot[0] <= 1.0 <= m.tau_fit_boot[1]
    again = rl.LayerMeasurement.from_dict(json.loads(json.dumps(m.to_dict())))
    assert np.array_equal(again.learned, m.learned) and again.tau_fit == m.tau_fit


def test_runs_too_short_to_decide_are_left_out_of_the_sample_complexity():
    runs = series()
    short = planted(32)
    keep = short.steps <= 100                       # stopped before layer 2 and the copies
    runs[2] = D3PMRun(32, short.steps[keep], short.train_loss[keep], short.val_loss[keep],
                      short.copy_fraction[keep], short.layer_errors[keep], np.nan, np.nan,
                      0.2, 32, 1e-3, 8, 0)
    m = rl.measure_layers(runs, P_star=P_STAR, n_boot=10)
    assert m.determined[2].tolist() == [True, False, False] and not m.learned[2, 1]
    assert m.P_learned_low.tolist() == [8, 16, 16] and m.P_learned_high.tolist() == [16, 64, 64]


def test_seeds_are_grouped_and_the_bootstrap_is_seeded():
    runs = series(seeds=(0, 1, 2))
    m = rl.measure_layers(runs, P_star=P_STAR, n_boot=20, seed=1)
    assert m.n_runs.tolist() == [3] * 5
    assert m.tau_star[-1, 0] == pytest.approx(80 * 1.1)            # median of the delays
    assert m.tau_star_low[-1, 0] < m.tau_star_high[-1, 0]          # the seed spread
    m2 = rl.measure_layers(runs, P_star=P_STAR, n_boot=20, seed=1)
    assert np.array_equal(m.tau_star_low, m2.tau_star_low, equal_nan=True)
    narrow = rl.measure_layers(series(), P_star=P_STAR, n_boot=40, n_generate=10**5)
    wide = rl.measure_layers(series(), P_star=P_STAR, n_boot=40, n_generate=20)
    def width(x):
        return np.nanmax(np.log(x.tau_star_high / x.tau_star_low))
    assert width(narrow) < width(wide)


def test_memorization_definitions():
    runs = series()
    loss = rl.measure_layers(runs, P_star=P_STAR, n_boot=10, mem_definition="tau_mem")
    assert np.allclose(loss.tau_mem, [20.0 * P for P in (8, 16, 32, 64, 128)])
    half = rl.measure_layers(runs, P_star=P_STAR, n_boot=10, mem_definition="tau_copy_half")
    assert half.tau_mem_per_P == pytest.approx(20 * 10**0.4)


def test_phase_diagram_arguments_from_the_measurement(measurement):
    args = rl.phase_diagram_arguments(measurement)
    assert np.allclose(args["P_star"], measurement.P_learned)
    assert np.allclose(args["tau_star"], [80, 160, 320])
    # below P_learned_1 only copying; between the layers partial generalization
    regime, layers = phase_diagram([100, 20, 100, 100], [5000, 100, 200, 1000], **args)
    assert [PHASES[r] for r in regime] == ["memorization", "partial generalization",
                                           "partial generalization", "generalization"]
    assert layers.tolist() == [3, 1, 2, 3]
    # a layer learned nowhere: its lower bound and a non-decreasing tau*
    runs = [planted(P, P_star=(8, 16, 1000)) for P in (8, 16, 32, 64)]
    m = rl.measure_layers(runs, P_star=(8, 16, 1000), n_boot=10)
    args = rl.phase_diagram_arguments(m)
    assert args["P_star"][-1] == 64 and np.isnan(m.P_learned[-1])
    assert np.all(np.diff(args["tau_star"]) >= 0)


@pytest.mark.parametrize("call, exc, name", [
    (lambda: rl.layer_learning_times("run"), TypeError, "run"),
    (lambda: rl.layer_learning_times(planted(8), level=1.0), ValueError, "level"),
    (lambda: rl.measure_layers([], P_star=P_STAR), ValueError, "runs"),
    (lambda: rl.measure_layers([planted(8), 3], P_star=P_STAR), TypeError, "runs"),
    (lambda: rl.measure_layers(series(), P_star=(8, 16)), ValueError, "P_star"),
    (lambda: rl.measure_layers(series(), P_star=(8, 32, 16)), ValueError, "P_star"),
    (lambda: rl.measure_layers(series(), P_star="abc"), TypeError, "P_star"),
    (lambda: rl.measure_layers(series(), P_star=P_STAR, mem_definition="x"), ValueError,
     "mem_definition"),
    (lambda: rl.measure_layers(series(), P_star=P_STAR, n_boot=5), ValueError, "n_boot"),
    (lambda: rl.measure_layers(series(), P_star=P_STAR, n_generate=0), ValueError,
     "n_generate"),
    (lambda: rl.measure_layers(series(), P_star=P_STAR, confidence=1.0), ValueError,
     "confidence"),
    (lambda: rl.measure_layers(series(), P_star=P_STAR, level="0.1"), TypeError, "level"),
    (lambda: rl.measure_layers([planted(8), planted(8, P_star=(8, 16))], P_star=P_STAR),
     ValueError, "runs"),
    (lambda: rl.phase_diagram_arguments({}), TypeError, "measurement"),
    (lambda: rl.plot_layer_errors(series(), P_star=(1, 2)), ValueError, "P_star"),
    (lambda: rl.plot_layer_errors(series() * 3), ValueError, "runs"),
    (lambda: rl.plot_measured_phase_diagram(rl.measure_layers(series(), P_star=P_STAR,
                                                              n_boot=10), n_grid=1),
     ValueError, "n_grid"),
    (lambda: rl.train_layer_series(None, [8]), TypeError, "grammar"),
    (lambda: rl.load_layer_runs(3), TypeError, "directory"),
])
def test_bad_inputs_name_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_no_memorization_means_no_phase_diagram():
    runs = [D3PMRun(P, r.steps, r.train_loss, r.val_loss, np.zeros_like(r.copy_fraction),
                    r.layer_errors, np.nan, r.tau_val_min, 0.2, 32, 1e-3, 8, 0)
            for P, r in ((P, planted(P)) for P in (8, 16, 32))]
    m = rl.measure_layers(runs, P_star=P_STAR, n_boot=10)
    assert np.isnan(m.tau_mem).all() and np.isnan(m.tau_mem_per_P)
    assert m.learned[:, 0].all()                 # never memorizing: reached means learned
    with pytest.raises(ValueError, match="tau_mem_per_P"):
        rl.phase_diagram_arguments(m)


def _assert_drawn(fig, axes):
    for ax in axes:
        assert ax.lines or ax.collections


def test_plots_draw_on_the_given_figure_or_axes(measurement):
    fig = Figure()
    assert rl.plot_layer_errors(series()[:3], P_star=P_STAR, fig=fig) is fig
    _assert_drawn(fig, fig.axes[:3])
    fig = Figure()
    assert rl.plot_layer_times(measurement, fig=fig) is fig
    _assert_drawn(fig, fig.axes)
    ax = Figure().add_subplot()
    assert rl.plot_measured_phase_diagram(measurement, ax=ax, n_grid=30) is ax.figure
    assert ax.lines and ax.collections
    assert len(ax.figure.axes) == 1
    with pytest.raises(TypeError, match="ax"):
        rl.plot_measured_phase_diagram(measurement, ax="x")
    with pytest.raises(TypeError, match="fig"):
        rl.plot_layer_times(measurement, fig="x")
    with pytest.raises(TypeError, match="fig"):
        rl.plot_layer_errors(series(), fig="x")


def test_summary_files_and_loading(tmp_path, measurement):
    runs = series()
    files = rl.save_layer_summary(runs, measurement, tmp_path)
    assert [f.name for f in files] == ["rhm_layers_summary.json", "rhm_layers_curves.png",
                                       "rhm_layers_times.png", "rhm_layers_phase.png"]
    data = json.loads(files[0].read_text())
    assert rl.LayerMeasurement.from_dict(data["measurement"]).learned.tolist() == \
        measurement.learned.tolist()
    assert np.allclose(data["phase_diagram"]["P_star"], measurement.P_learned)
    # histories as train_d3pm writes them
    for r in runs[:2]:
        (tmp_path / f"d3pm_P{r.P}_s0_abc.json").write_text(json.dumps(
            dict(r.to_saved_dict(), settings={"grammar": {"v": 8}, "n_generate": 256,
                                              "P": r.P, "channels": 8})))
    loaded, settings = rl.load_layer_runs(tmp_path)
    assert [r.P for r in loaded] == [8, 16]
    assert settings == {"grammar": {"v": 8}, "n_generate": 256, "channels": 8}
    (tmp_path / "d3pm_P99_s0_abc.json").write_text(json.dumps(
        dict(runs[0].to_saved_dict(), settings={"grammar": {"v": 4}, "n_generate": 256})))
    with pytest.raises(ValueError, match="grammar"):
        rl.load_layer_runs(tmp_path)
    with pytest.raises(ValueError, match="directory"):
        rl.load_layer_runs(tmp_path / "empty")


def test_train_layer_series_smoke(tmp_path):
    pytest.importorskip("torch")
    from memlab.theory import rhm

    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    kw = {"steps_per_P": 2, "min_steps": 12, "batch_size": 4, "channels": 4, "n_val": 4,
          "n_generate": 4, "gen_steps": 2, "n_eval": 2, "out_dir": tmp_path, "progress": False}
    runs = rl.train_layer_series(g, [8], seeds=[1, 0], **kw)
    assert [(r.P, r.seed, r.steps[-1]) for r in runs] == [(8, 1, 16), (8, 0, 16)]
    loaded, settings = rl.load_layer_runs(tmp_path)
    assert [(r.P, r.seed) for r in loaded] == [(8, 0), (8, 1)]
    assert settings["grammar"]["v"] == 4 and settings["P"] == 8 and "seed" not in settings
    with pytest.raises(ValueError, match="seeds"):
        rl.train_layer_series(g, [4], seeds=[-1], **kw)
    with pytest.raises(ValueError, match="P_values"):
        rl.train_layer_series(g, [], **kw)


def test_cli_prints_the_measurement_as_json(capsys):
    pytest.importorskip("torch")
    from memlab.verification.cli import main

    argv = ["train", "rhm-layers", "--v", "4", "--m", "2", "--L", "2", "--P", "4,8",
            "--min-steps", "12", "--steps-per-P", "1", "--channels", "4", "--n-val", "4",
            "--n-generate", "8", "--n-boot", "10", "--no-save", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "train rhm-layers"
    assert [row["P"] for row in doc["results"]["runs"]] == [4, 8]
    assert doc["results"]["measurement"]["type"].endswith("LayerMeasurement")


@pytest.mark.slow
def test_lower_layers_are_learned_first_and_at_smaller_P():
    """Two runs of the page's series (a few CPU-minutes): the grammar (8, 2, 2, 4) with
    P*_l = 32, 64, 128, 256. At P = 128 layer 1 reaches 15% errors before the model copies
    and before layer 2; at P = 16 < P*_1 it does so only after the copies."""
    pytest.importorskip("torch")
    import torch

    from memlab.theory import rhm

    torch.set_num_threads(1)
    g = rhm.sample_grammar(8, 2, 2, 4, seed=0)
    runs = rl.train_layer_series(g, [16, 128], progress=False)
    m = rl.measure_layers(runs, P_star=rhm.sample_complexity(8, 2, 4), n_boot=50)
    small, big = m.tau_star
    assert np.isfinite(big[0]) and not big[1] <= big[0]          # NaN: layer 2 later
    assert m.learned[1, 0] and not m.learned[0, 0]
    assert np.isfinite(m.tau_mem[0]) and small[0] > m.tau_mem[0]
