"""Argument checks of memlab.verification.training: bad calls raise before any training."""

import numpy as np
import pytest

pytest.importorskip("torch")

from memlab.theory import rhm  # noqa: E402
from memlab.verification.training import gmm_denoiser as tg  # noqa: E402
from memlab.verification.training import rhm_d3pm as td  # noqa: E402
from memlab.verification.training import score_net as ts  # noqa: E402

G = rhm.sample_grammar(3, 2, 2, 2, seed=7)
TRAIN = np.random.default_rng(0).standard_normal((10, 3))

BAD = [
    ("train not finite", lambda: tg.train_gmm_denoiser(np.full((4, 2), np.nan), 2), ValueError,
     "train"),
    ("M_values not a sequence", lambda: tg.train_gmm_denoisers(TRAIN, 3), TypeError, "M_values"),
    ("n_noise too large", lambda: tg.train_gmm_denoiser(TRAIN, 2, n_noise=10**9), ValueError,
     "n_noise"),
    ("beta2 1", lambda: tg.train_gmm_denoiser(TRAIN, 2, beta2=1.0), ValueError, "beta2"),
    ("init_variance 0", lambda: tg.train_gmm_denoiser(TRAIN, 2, init_variance=0.0), ValueError,
     "init_variance"),
    ("progress not bool", lambda: tg.train_gmm_denoiser(TRAIN, 2, progress="no"), TypeError,
     "progress"),
    ("lr 0", lambda: tg.train_gmm_denoiser(TRAIN, 2, lr=0.0), ValueError, "lr"),
    ("ddim n_samples", lambda: tg.ddim_sample(np.zeros((2, 3)), 1.0, 10**9), ValueError,
     "n_samples"),
    ("ddim sigma2", lambda: tg.ddim_sample(np.zeros((2, 3)), -1.0, 4), ValueError, "sigma2"),
    ("ddim means", lambda: tg.ddim_sample(np.zeros(3), 1.0, 4), ValueError, "means"),
    ("sweep K > N", lambda: tg.memorization_sweep(4, 2, 5), ValueError, "K"),
    ("unet channels", lambda: td.make_unet(3, 2, 2, channels=0), ValueError, "channels"),
    ("unet v", lambda: td.make_unet(1, 2, 2), ValueError, "v"),
    ("d3pm grammar", lambda: td.train_d3pm("g", 8), TypeError, "grammar"),
    ("d3pm batch_size", lambda: td.train_d3pm(G, 8, batch_size=10**9), ValueError, "batch_size"),
    ("d3pm progress", lambda: td.train_d3pm(G, 8, progress=None), TypeError, "progress"),
    ("score width", lambda: ts.train_score_network(4, 0.1, 2, width=10**9), ValueError, "width"),
    ("score eval_every", lambda: ts.train_score_network(4, 0.1, 2, eval_every=0), ValueError,
     "eval_every"),
    ("score device type", lambda: ts.train_score_network(4, 0.1, 2, device=3), TypeError,
     "device"),
    ("score device name", lambda: ts.train_score_network(4, 0.1, 2, device="gpu0"), ValueError,
     "device"),
    ("score parametrisation", lambda: ts.train_score_network(4, 0.1, 2, parametrisation="sp"),
     ValueError, "parametrisation"),
    ("score batch_size", lambda: ts.train_score_network(4, 0.1, 2, m=2, batch_size=9), ValueError,
     "batch_size"),
]


@pytest.mark.parametrize("call, exc, name", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_call_names_its_argument(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith(name + " "), str(info.value)


# ------------------------------------------------------------------ bad-input suite checks
def _sweeps():
    return [tg.SweepResult(N, 4, 2, np.array([1, 2, 4, 8]), np.zeros(4), np.zeros(4),
                           np.array([0.0, 0.1, 0.6, 1.0]), 2.0, 3.0, 4.0, 10, 1, 0)
            for N in (8, 16)]


def _planted(P, n=50):
    steps = np.geomspace(10, 1e5, n)
    copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    return td.D3PMRun(P, steps, np.ones(n), 1 + copies, copies, np.zeros((n, 2)),
                      20.0 * P, 20.0 * P, 0.2, 32, 1e-3, 8, 0)


def _short_run(P=4, n_eval=1):
    """A run with ``n_eval`` evaluations and nothing reached (tau_mem NaN)."""
    steps = np.arange(1.0, n_eval + 1) * 10
    return td.D3PMRun(P, steps, np.ones(n_eval), np.ones(n_eval), np.zeros(n_eval),
                      np.zeros((n_eval, 2)), float("nan"), 10.0, 0.2, 4, 1e-3, 4, 0)


SWEEP = dict(M_values=[1, 8], epochs=2, n_noise=1, n_eval=4, progress=False)
D3PM = dict(steps=4, batch_size=4, channels=4, n_val=4, n_generate=4, gen_steps=2, n_eval=2,
            progress=False)
G4 = rhm.sample_grammar(4, 2, 2, 2, seed=0)

SUITE = [
    ("calibrate measured scalar", lambda: tg.calibrate_weighting(3.0), TypeError, "measured"),
    ("calibrate measured None", lambda: tg.calibrate_weighting(None), TypeError, "measured"),
    ("calibrate measured row", lambda: tg.calibrate_weighting([3]), TypeError, "measured[0]"),
    ("calibrate M_mem nan", lambda: tg.calibrate_weighting([(20, 10, 2, np.nan)],
                                                           source="closed_form"),
     ValueError, "measured[0] M_mem"),
    ("calibrate N huge", lambda: tg.calibrate_weighting([(2**50, 10, 2, 5.0)],
                                                        source="closed_form"),
     ValueError, "measured[0] N"),
    ("calibrate source array", lambda: tg.calibrate_weighting([(20, 10, 2, 15.0)],
                                                              source=np.ones(3)),
     TypeError, "source"),
    ("calibrate smoothness", lambda: tg.calibrate_weighting([(20, 10, 2, 15.0)],
                                                            smoothness=-1.0),
     ValueError, "smoothness"),
    ("linear_law str", lambda: tg.linear_law("3"), TypeError, "results"),
    ("linear_law None", lambda: tg.linear_law(None), TypeError, "results"),
    ("plot ratio empty", lambda: tg.plot_memorization_ratio([]), ValueError, "results"),
    ("plot ratio array", lambda: tg.plot_memorization_ratio(np.ones(3)), TypeError, "results"),
    ("plot ratio predicted", lambda: tg.plot_memorization_ratio(_sweeps(), predicted=3),
     TypeError, "predicted"),
    ("gmm summary predicted", lambda: tg.save_summary(_sweeps(), {}, None, 3), ValueError,
     "predicted"),
    ("gmm summary out_dir", lambda: tg.save_summary(
        _sweeps(), {(r.N, r.d, r.K): {} for r in _sweeps()}, None, 3), TypeError, "out_dir"),
    ("sweep M_values scalar", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, M_values=3)),
     ValueError, "M_values"),
    ("sweep M_values empty", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, M_values=[])),
     ValueError, "M_values"),
    ("sweep M_values str", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, M_values="3")),
     TypeError, "M_values"),
    ("sweep M_values 2-d", lambda: tg.memorization_sweep(8, 2, 2,
                                                         **dict(SWEEP, M_values=np.ones((3, 3)))),
     ValueError, "M_values"),
    ("sweep M_values 2.5", lambda: tg.memorization_sweep(8, 2, 2,
                                                         **dict(SWEEP, M_values=[2.5])),
     ValueError, "M_values[0]"),
    ("sweep epochs huge", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, epochs=10**12)),
     ValueError, "epochs"),
    ("sweep d huge", lambda: tg.memorization_sweep(8, 10**12, 2, **SWEEP), ValueError, "N and d"),
    ("sweep seed None", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, seed=None)),
     TypeError, "seed"),
    ("sweep seed 10**400", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, seed=10**400)),
     ValueError, "seed"),
    ("sweep out_dir", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, out_dir=3)),
     TypeError, "out_dir"),
    ("sweep lr inf", lambda: tg.memorization_sweep(8, 2, 2, **dict(SWEEP, lr=np.inf)),
     ValueError, "lr"),
    ("train epochs huge", lambda: tg.train_gmm_denoiser(TRAIN, 2, epochs=10**12), ValueError,
     "epochs"),
    ("trains epochs huge", lambda: tg.train_gmm_denoisers(TRAIN, [1, 2], epochs=10**12),
     ValueError, "epochs"),
    ("trains M_values 2-d", lambda: tg.train_gmm_denoisers(TRAIN, np.ones((2, 2))), TypeError,
     "M_values"),
    ("trains M_values > N", lambda: tg.train_gmm_denoisers(TRAIN, [2, 11]), ValueError,
     "M_values"),
    ("trains M_values item", lambda: tg.train_gmm_denoisers(TRAIN, [2, "3"]), TypeError,
     "M_values[1]"),
    ("train lr diverges", lambda: tg.train_gmm_denoiser(TRAIN, 2, epochs=3, lr=1e300,
                                                        n_noise=1), ValueError, "lr"),
    ("transition ratios scalar", lambda: tg.transition_points([1, 2], 0.5), ValueError,
     "ratios"),
    ("transition lengths", lambda: tg.transition_points([1, 2, 3], [0.1, 0.2]), ValueError,
     "ratios"),
    ("transition ratio > 1", lambda: tg.transition_points([1, 2], [0.1, 2.0]), ValueError,
     "ratios"),
    ("transition M complex", lambda: tg.transition_points([1 + 2j, 2], [0.1, 0.2]), TypeError,
     "M_values"),
    ("transition M huge", lambda: tg.transition_points([10**400, 2], [0.1, 0.2]), ValueError,
     "M_values"),
    ("transition M 0", lambda: tg.transition_points([0, 2], [0.1, 0.2]), ValueError,
     "M_values"),
    ("crossovers simulate", lambda: tg.predicted_crossovers(12, 3, 2, simulate=np.ones(3)),
     TypeError, "simulate"),
    ("crossovers N huge", lambda: tg.predicted_crossovers(10**400, 3, 2, simulate=False),
     ValueError, "N"),
    ("tau_gap one evaluation", lambda: _short_run().tau_gap(0.5), ValueError, "tau_gap"),
    ("tau_gap threshold", lambda: _planted(8).tau_gap("3"), TypeError, "threshold"),
    ("tau_copy level > 1", lambda: _planted(8).tau_copy(2.0), ValueError, "level"),
    ("tau_copy level huge", lambda: _planted(8).tau_copy(10**400), ValueError, "level"),
    ("scaling runs", lambda: td.tau_mem_scaling(3), TypeError, "runs"),
    ("scaling which", lambda: td.tau_mem_scaling([_planted(8)] * 3, which=3), TypeError,
     "which"),
    ("curves runs str", lambda: td.plot_training_curves("3"), TypeError, "runs"),
    ("curves runs None", lambda: td.plot_training_curves(None), TypeError, "runs"),
    ("tau_vs_P runs", lambda: td.plot_tau_vs_P(np.ones(3)), TypeError, "runs"),
    ("tau_vs_P fits", lambda: td.plot_tau_vs_P([_planted(8)], fits=3), TypeError, "fits"),
    ("d3pm summary out_dir", lambda: td.save_summary([_planted(8)], None, 3), TypeError,
     "out_dir"),
    ("unet L huge", lambda: td.make_unet(3, 2, 10**12), ValueError, "L"),
    ("d3pm steps huge", lambda: td.train_d3pm(G4, 4, **dict(D3PM, steps=10**12)), ValueError,
     "steps"),
    ("d3pm n_eval huge", lambda: td.train_d3pm(G4, 4, **dict(D3PM, n_eval=10**12)), ValueError,
     "n_eval"),
    ("d3pm gen_steps huge", lambda: td.train_d3pm(G4, 4, **dict(D3PM, gen_steps=10**12)),
     ValueError, "gen_steps"),
    ("d3pm n_levels huge", lambda: td.train_d3pm(G4, 4, **dict(D3PM, n_levels=10**12)),
     ValueError, "n_levels"),
    ("d3pm out_dir", lambda: td.train_d3pm(G4, 4, **dict(D3PM, out_dir=3)), TypeError,
     "out_dir"),
    ("d3pm lr diverges", lambda: td.train_d3pm(G4, 4, **dict(D3PM, lr=1e30)), ValueError, "lr"),
    ("score P huge", lambda: ts.train_score_network(10**12, 0.1, 2), ValueError, "P"),
    ("score d huge", lambda: ts.train_score_network(4, 0.1, 10**12, width=8), ValueError, "P, m and d"),
    ("score max_time huge", lambda: ts.train_score_network(4, 0.1, 2, width=8, max_time=1e13),
     ValueError, "max_time"),
    ("score sigma huge", lambda: ts.train_score_network(4, 1e30, 2, width=8), ValueError,
     "sigma"),
    ("score sigma tiny", lambda: ts.train_score_network(4, 1e-300, 2, width=8), ValueError,
     "sigma"),
    ("score lr diverges", lambda: ts.train_score_network(4, 0.1, 2, width=8, m=2, max_time=20,
                                                         lr=1e12), ValueError, "lr"),
]


@pytest.mark.parametrize("call, exc, name", [b[1:] for b in SUITE], ids=[b[0] for b in SUITE])
def test_bad_input_suite_call_names_its_argument(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith((name + " ", name + ":")), str(info.value)


def test_d3pm_run_json_encodes_not_reached_as_null():
    import json

    run = _short_run()
    out = run.to_saved_dict()
    assert out["tau_mem"] is None and out["tau_val_min"] == 10.0
    text = json.dumps(out, allow_nan=False)                  # valid JSON: no NaN
    again = td.D3PMRun.from_saved_dict(json.loads(text))
    assert np.isnan(again.tau_mem) and np.array_equal(again.steps, run.steps)
    assert td.D3PMRun.from_saved_dict(_planted(8).to_saved_dict()).tau_mem == 160.0


def test_d3pm_not_reached_is_nan_and_documented():
    run = _short_run(n_eval=3)
    assert np.isnan(run.tau_gap(0.5)) and np.isnan(run.tau_copy(0.5))
    assert np.isnan(_short_run(n_eval=0).tau_copy())
    for fn in (td.D3PMRun.tau_gap, td.D3PMRun.tau_copy, td.train_d3pm, ts.train_score_network):
        assert "nan" in fn.__doc__.lower()


def test_d3pm_save_summary_accepts_no_fits(tmp_path):
    import json

    paths = td.save_summary([_planted(8), _planted(16)], None, tmp_path)
    assert json.loads(paths[0].read_text())["fits"] == {}


def test_training_ignores_a_disabled_grad_mode():
    import torch

    with torch.no_grad():
        r = ts.train_score_network(4, 0.1, 2, width=8, m=2, max_time=2, lr=0.1, eval_every=5)
        g = tg.train_gmm_denoiser(TRAIN, 2, epochs=3, n_noise=1)
    assert np.all(np.isfinite(r.train_loss)) and np.all(np.isfinite(g.loss))


def test_gmm_training_run_states_whether_it_converged():
    from memlab.verification.training.gmm_denoiser import GMMTrainingRun

    def run(loss):
        return GMMTrainingRun(np.zeros((1, 2)), 1.0, np.asarray(loss, float), 1, len(loss),
                              1e-2, 1, 0)

    flat = np.r_[np.linspace(5, 1, 80), np.full(20, 1.0)]
    falling = np.linspace(5, 1, 100)                       # still dropping 4% per tenth
    assert run(flat).converged and not run(falling).converged
    assert not run(np.ones(10)).converged                  # too short to tell
    assert not run(np.r_[np.ones(99), np.nan]).converged
