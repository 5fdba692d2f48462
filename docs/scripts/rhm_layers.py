"""Measure the saved layer-by-layer series and redraw its figures (docs/rhm_layers.md).

The runs are the histories in docs/results/rhm_layers (written by
``memlab train rhm-layers --out docs/results/rhm_layers`` or by
``train_layer_series(..., out_dir=...)``); this script needs no torch:

    python docs/scripts/rhm_layers.py [--n-boot 1000]

It writes rhm_layers_summary.json and the three figures next to the runs and prints the
numbers quoted on the page.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from memlab.theory import rhm
from memlab.verification.training import rhm_layers as rl

RESULTS = Path(__file__).resolve().parents[1] / "results" / "rhm_layers"


def _stopped_runs(finished, settings, directory):
    """Runs stopped before their last step: their history up to the last evaluation, read
    from the checkpoint ``d3pm_P{P}_s{seed}_{key}.pt`` that has no ``.json`` yet."""
    import torch

    from memlab.verification.training.rhm_d3pm import D3PMRun

    done = {(r.P, r.seed) for r in finished}
    out = []
    for path in sorted(directory.glob("d3pm_P*_s*.pt")):
        if path.with_suffix(".json").exists():
            continue
        state = torch.load(path, weights_only=True)
        h = state["hist"]
        P, seed = int(path.name.split("_")[1][1:]), int(path.name.split("_")[2][1:])
        if (P, seed) in done or not h["steps"]:
            continue
        print(f"stopped run P={P}, seed {seed}: {state['step']:,} steps done, last "
              f"evaluation at {h['steps'][-1]:,}")
        out.append(D3PMRun(P, np.asarray(h["steps"], float), np.asarray(h["train_loss"]),
                           np.asarray(h["val_loss"]), np.asarray(h["copy_fraction"]),
                           np.asarray(h["layer_errors"], float), float("nan"),
                           float(h["steps"][int(np.argmin(h["val_loss"]))]), 0.2,
                           settings["batch_size"], settings["lr"], settings["channels"], seed))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--level", type=float, default=0.15)
    parser.add_argument("--mem-definition", default="tau_copy_onset")
    parser.add_argument("--dir", type=Path, default=RESULTS,
                        help=f"directory of the runs (default {RESULTS})")
    parser.add_argument("--checkpoints", action="store_true",
                        help="also measure the runs that were stopped before their last "
                             "step, from their checkpoints (needs torch)")
    args = parser.parse_args()
    runs, settings = rl.load_layer_runs(args.dir)
    if args.checkpoints:
        runs = sorted(runs + _stopped_runs(runs, settings, args.dir),
                      key=lambda r: (r.P, r.seed))
    g = settings["grammar"]
    pstar = rhm.sample_complexity(g["v"], g["m"], g["L"])
    m = rl.measure_layers(runs, P_star=pstar, level=args.level,
                          mem_definition=args.mem_definition,
                          n_generate=settings["n_generate"], n_boot=args.n_boot)
    files = rl.save_layer_summary(runs, m, args.dir)
    print(f"grammar {g}; P*_l = {pstar}; {len(runs)} runs; settings "
          + ", ".join(f"{k}={settings[k]}" for k in ("channels", "batch_size", "lr",
                                                     "n_generate", "gen_steps", "n_eval")
                      if k in settings))
    print("| P | seeds | steps | " + " | ".join(f"tau*_{ell + 1}" for ell in range(len(pstar)))
          + " | tau_mem |")
    for i, P in enumerate(m.P):
        steps = max(int(r.steps[-1]) for r in runs if r.P == P)
        cells = []
        for ell in range(len(pstar)):
            t, lo, hi = m.tau_star[i, ell], m.tau_star_low[i, ell], m.tau_star_high[i, ell]
            text = "not reached" if np.isnan(t) else f"{t:,.0f} [{lo:,.0f}, {hi:,.0f}]"
            cells.append(text if m.learned[i, ell] or np.isnan(t) else f"({text})")
        mem = ("not reached" if np.isnan(m.tau_mem[i]) else
               f"{m.tau_mem[i]:,.0f} [{m.tau_mem_low[i]:,.0f}, {m.tau_mem_high[i]:,.0f}]")
        print(f"| {P:g} | {m.n_runs[i]} | {steps:,} | " + " | ".join(cells) + f" | {mem} |")
    print("learned fraction of bootstrap replicates:\n", np.round(m.learned_fraction, 2))
    for ell in range(len(pstar)):
        print(f"layer {ell + 1}: P* = {pstar[ell]}, measured {m.P_learned[ell]:.3g} "
              f"(learned from {m.P_learned_high[ell]:g}, not at {m.P_learned_low[ell]:g})")
    for name, fit in (("tau*_l vs P*_l at the largest P", m.tau_fit),
                      ("P_learned vs P*_l", m.P_fit), ("tau_mem vs P", m.tau_mem_fit)):
        if fit is None:
            print(f"{name}: fewer than 3 points")
        else:
            print(f"{name}: exponent {fit.exponent:.3f} +- {fit.stderr:.3f}, CI "
                  f"[{fit.ci_low:.3f}, {fit.ci_high:.3f}], n = {fit.n_samples}")
    print("tau_fit bootstrap:", m.tau_fit_boot)
    print(f"c = tau_mem / P = {m.tau_mem_per_P:.3g} [{m.tau_mem_per_P_low:.3g}, "
          f"{m.tau_mem_per_P_high:.3g}]")
    try:
        print("phase diagram arguments:", {k: np.round(v, 1).tolist()
                                           for k, v in rl.phase_diagram_arguments(m).items()})
    except ValueError as exc:
        print("no phase diagram:", exc)
    print("wrote", ", ".join(f.name for f in files))


if __name__ == "__main__":
    main()
