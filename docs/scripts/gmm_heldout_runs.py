"""Runs behind the held-out, learned-parameter, sliced Wasserstein and seed results of the
GMM section of docs/training.md (Buchanan et al. 2025, Sec. 4.1, Fig. 2, App. H.5, Figs. 6-7;
the position paper (2026), Sec. 3).

    python docs/scripts/gmm_heldout_runs.py timing          # seconds per epoch at (200, 50, 12)
    python docs/scripts/gmm_heldout_runs.py transition200   # M = 0.7, 0.8, 0.9 N at (200, 50, 12)
    python docs/scripts/gmm_heldout_runs.py convergence200  # M = 0.8 N, twice the epochs
    python docs/scripts/gmm_heldout_runs.py small           # (20, 10, 2), 7 models: Figs. 2, 6, SW
    python docs/scripts/gmm_heldout_runs.py seeds           # (10, 5, 2), 3 data x 2 training seeds
    python docs/scripts/gmm_heldout_runs.py figures         # redraw every figure (no training)

Every sweep is saved (and resumed) under docs/results/gmm_training/<subdirectory>; a rerun
retrains nothing. Run under ``nice -n 15`` on a shared machine; torch uses one thread.
The committed results: ``timing`` (gmm_timing_N200_d50_K12.json is not written by the
measurement quoted in docs/training.md, which ran before this script), ``transition200``,
``small`` and the first four (data seed, training seed) sweeps of ``seeds`` (the run was
stopped there for time; ``figures`` summarises the sweeps present). ``convergence200`` was
not run.
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "results" / "gmm_training"
T200 = {"N": 200, "d": 50, "K": 12, "M_values": [140, 160, 180], "epochs": 1000, "n_noise": 1}
CONV200 = {"N": 200, "d": 50, "K": 12, "M_values": [160], "epochs": 2000, "n_noise": 1}
SMALL = {"N": 20, "d": 10, "K": 2, "M_values": [4, 8, 12, 14, 16, 18, 20], "epochs": 4000,
         "n_noise": 4, "train_seed": 0}
SEEDS = {"N": 10, "d": 5, "K": 2, "M_values": [2, 4, 6, 7, 8, 9, 10], "epochs": 4000,
         "n_noise": 4, "data_seeds": [0, 1, 2], "train_seeds": [0, 1]}


def _torch():
    import torch
    torch.set_num_threads(1)


def _sweep(spec, sub):
    from memlab.verification.training.gmm_denoiser import memorization_sweep

    spec = dict(spec)
    N, d, K = spec.pop("N"), spec.pop("d"), spec.pop("K")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = memorization_sweep(N, d, K, out_dir=OUT / sub, progress=False, **spec)
    wall = time.perf_counter() - t0
    print(f"({N}, {d}, {K}) M = {r.M.tolist()}: ratio {np.round(r.ratio, 3).tolist()}, "
          f"M_mem = {r.middle:.2f} (M_mem/N = {r.middle / N:.3f}), s2 "
          f"{np.round(r.sigma2, 4).tolist()}; wall {wall:.0f} s", flush=True)
    print("  train loss (fixed noise)", np.round(r.train_loss_eval, 3).tolist(),
          "\n  held-out loss           ", np.round(r.test_loss, 3).tolist(), flush=True)
    return r, wall


def timing():
    _torch()
    from memlab.theory.gmm import sample_gmm
    from memlab.verification.training.gmm_denoiser import train_gmm_denoisers

    data = sample_gmm(200, 50, 12, seed=0)
    rows = []
    for Ms, n_noise in (([140], 4), ([160], 4), ([180], 4), ([160], 1), ([140, 160, 180], 1)):
        t0 = time.perf_counter()
        train_gmm_denoisers(data.x, Ms, epochs=20, n_noise=n_noise, seed=0)
        per = (time.perf_counter() - t0) / 20
        rows.append({"M_values": Ms, "n_noise": n_noise, "s_per_epoch": per})
        print(rows[-1], flush=True)
    (OUT / "gmm_timing_N200_d50_K12.json").write_text(json.dumps(rows, indent=1))


def transition200():
    _torch()
    r, wall = _sweep(T200, "N200_d50_K12")
    (OUT / "N200_d50_K12" / "wall_s.json").write_text(json.dumps({"transition": wall}))


def convergence200():
    _torch()
    r, wall = _sweep(CONV200, "N200_d50_K12")
    (OUT / "N200_d50_K12" / "wall_s_convergence.json").write_text(
        json.dumps({"convergence": wall}))


def small():
    _torch()
    _sweep(SMALL, "seeds_N20_d10_K2")


def seeds():
    _torch()
    from memlab.verification.training.gmm_denoiser import seed_spread

    spec = dict(SEEDS)
    N, d, K = spec.pop("N"), spec.pop("d"), spec.pop("K")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = seed_spread(N, d, K, out_dir=OUT / f"seeds_N{N}_d{d}_K{K}", **spec)
    print(f"seed spread ({N}, {d}, {K}): wall {time.perf_counter() - t0:.0f} s")
    print(json.dumps({k: v for k, v in s.stats.items() if k in ("start", "M_mem", "end",
                                                                 "M_mem/N")}, indent=1))
    s.to_json(OUT / f"gmm_seed_spread_N{N}_d{d}_K{K}.json", indent=1)


def _draw(sweep, tag):
    from memlab.verification.training.gmm_denoiser import (plot_learned_parameters,
                                                           plot_losses_vs_M, plot_sw_curves)

    paths = {f"gmm_losses_vs_M_{tag}.png": plot_losses_vs_M(sweep),
             f"gmm_losses_vs_M_{tag}_grid_average.png": plot_losses_vs_M(sweep, t=None),
             f"gmm_learned_parameters_{tag}.png": plot_learned_parameters(sweep),
             f"gmm_sw_{tag}.png": plot_sw_curves(sweep)}
    for name, fig in paths.items():
        fig.savefig(OUT / name, dpi=110)
        print("wrote", OUT / name)


def _table(sweep):
    k = 16                                          # t = 0.360, psi = 6.704 (Fig. 2)
    lt = sweep.loss_t
    refs = sweep.references
    print(f"({sweep.N}, {sweep.d}, {sweep.K}), {sweep.epochs} epochs: start {sweep.start:.2f}, "
          f"M_mem {sweep.middle:.2f} ({sweep.middle / sweep.N:.3f} N), end {sweep.end:.2f}; "
          f"SW floor {sweep.sw_floor:.4f}")
    print("gen train/test grid", np.round(refs["generalizing"].mean(-1), 3).tolist(),
          "t=0.36", np.round(refs["generalizing"][:, k] / 6.704, 3).tolist())
    print("mem train/test grid", np.round(refs["memorizing"].mean(-1), 3).tolist(),
          "t=0.36", np.round(refs["memorizing"][:, k] / 6.704, 3).tolist())
    print("refs distances", {key: round(v, 3) for key, v in refs.items() if key.endswith("true")
                             or key.endswith("train")})
    print("| M | ratio | s^2 | train loss | held-out loss | test/train | MSE t=0.36 train | "
          "held-out | med. dist. to train point | to true mean | SW train | SW held-out |")
    for i, M in enumerate(sweep.M):
        print(f"| {M} | {sweep.ratio[i]:.3f} | {sweep.sigma2[i]:.3g} | "
              f"{sweep.train_loss_eval[i]:.3f} | {sweep.test_loss[i]:.4g} | "
              f"{sweep.test_loss[i] / sweep.train_loss_eval[i]:.3g} | "
              f"{lt['train'][i, k] / 6.704:.3f} | {lt['test'][i, k] / 6.704:.3f} | "
              f"{sweep.dist_train[i, 1]:.3f} | {sweep.dist_true[i, 1]:.3f} | "
              f"{sweep.sw_train[i, -1]:.4f} | {sweep.sw_test[i, -1]:.4f} |")


def figures():
    from memlab.verification.training.gmm_denoiser import (SweepResult, linear_law,
                                                           load_sweeps, plot_seed_spread,
                                                           summarize_seeds)

    found = {}
    for sub, tag in (("N200_d50_K12", "N200_d50_K12"), ("seeds_N20_d10_K2", "N20_d10_K2")):
        # seeds_N20_d10_K2 holds the one (20, 10, 2) sweep of the first, 7-model seed run
        for path in sorted((OUT / sub).glob("gmm_N*.json")):
            (sweep,) = load_sweeps(path)
            if sweep.M.size > 1:                    # the transition sweep (not M = 160 alone)
                found[tag] = sweep
                _table(sweep)
                _draw(sweep, tag)
            else:
                print(f"single-M sweep {path.name}: M = {sweep.M.tolist()}, {sweep.epochs} "
                      f"epochs: ratio {sweep.ratio.tolist()}, s2 {sweep.sigma2.tolist()}, "
                      f"train {sweep.train_loss_eval.tolist()}, test {sweep.test_loss.tolist()}")
    spread_path = OUT / "gmm_seed_spread_N10_d5_K2.json"
    files = sorted((OUT / "seeds_N10_d5_K2").glob("gmm_N10_d5_K2_s*_t*_*.json"))
    if files:                          # the sweeps saved so far (the full run writes the same)
        spread = summarize_seeds([load_sweeps(f)[0] for f in files])
        spread.to_json(spread_path, indent=1)
        print("seed pairs (data seed, training seed):", spread.pairs)
        print("per-sweep (start, M_mem, end):", spread.transitions)
        plot_seed_spread(spread).savefig(OUT / "gmm_seed_spread_N10_d5_K2.png", dpi=110)
        plot_seed_spread(spread, t=0.36028).savefig(OUT / "gmm_seed_spread_N10_d5_K2_t036.png",
                                                    dpi=110)
        print("seed spread", {k: spread.stats[k] for k in ("start", "M_mem", "end", "M_mem/N")})
        for name in ("ratio", "train_loss", "test_loss"):
            st = spread.stats[name]
            print(name, "max rel. spread (max-min)/mean:",
                  np.round(np.max((st["max"] - st["min"]) / np.abs(st["mean"])), 3),
                  "std/mean per M", np.round(st["std"] / np.abs(st["mean"]), 3).tolist())
    # the linear law over the 10 earlier settings and the new (200, 50, 12) one
    old = load_sweeps(OUT / "gmm_summary.json")
    new = [found["N200_d50_K12"]] if "N200_d50_K12" in found else []
    from scipy import stats
    for label, sweeps in (("earlier 10", old), ("earlier 10 + (200, 50, 12)", old + new)):
        if not all(isinstance(s, SweepResult) for s in sweeps):
            continue
        a, se, n = linear_law(sweeps)
        q = stats.t.ppf(0.975, n - 1)
        print(f"linear law, {label}: a = {a:.4f} +- {se:.4f} (n = {n}); 95% interval "
              f"[{a - q * se:.4f}, {a + q * se:.4f}]")


if __name__ == "__main__":
    {"timing": timing, "transition200": transition200, "convergence200": convergence200,
     "small": small, "seeds": seeds, "figures": figures}[sys.argv[1]]()
