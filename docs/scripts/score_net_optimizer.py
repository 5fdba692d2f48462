"""Memorization time against P with gradient descent, momentum and Adam: the optimizer question
of Favero et al. (2025), Fig. 19, on the score network of their App. G.

``python docs/scripts/score_net_optimizer.py [OUT_DIR]`` runs
`memlab.verification.training.score_net.optimizer_experiment` at its defaults (P = 8..64,
d = 16, width 1024, sigma = 0.1, lazy scale 100, seeds 0 and 1; one CPU thread, 12
minutes on a shared core), writes ``optimizer_P.json`` (a manifest and the result) and
``optimizer_P.png`` into OUT_DIR (default docs/results/score_net_optimizer) and prints the
table of docs/kernel_scaling.md. ``--plot-only`` re-reads the JSON and redraws without
training. ``--scan`` instead runs the learning-rate scan behind the chosen rates (P = 16,
seed 0, about a minute) and writes ``lr_scan.json``. ``--large OUT_DIR [NAME ...]`` runs the series
of ``LARGE`` (all by default; about 14 minutes): Adam (lr 1) at P = 128 and 256 (width 1024)
and at P = 32-128 (width 4096), and gradient descent with momentum 0.9 at P = 128 (width
1024), each into ``optimizer_P_large_{NAME}.json``.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

SCAN = {("sgd", 0.0): (1.0, 2.0, 4.0, 8.0, 16.0), ("sgd", 0.9): (0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
        ("adam", 0.0): (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)}
SCAN_STEPS = {("sgd", 0.0): 600, ("sgd", 0.9): 400, ("adam", 0.0): 1500}


def table(r):
    """Markdown table: steps_mem per (setting, P), mean over seeds, and the fits."""
    Ps = sorted({int(p) for p in r.P})
    lines = ["| optimizer | " + " | ".join(f"$P = {P}$" for P in Ps)
             + " | exponent $\\beta$ [95% interval] | $\\tau_{\\rm mem}$ at $P = "
             f"{Ps[-1]}$ ($\\eta\\times$steps) |", "|---" * (len(Ps) + 3) + "|"]
    for k, label in enumerate(r.labels):
        cells = []
        for P in Ps:
            s = r.steps_mem[(r.setting == k) & (r.P == P)]
            fin = s[np.isfinite(s)]
            cells.append("n.r." if not fin.size else f"{np.mean(fin):.4g}"
                         + (f" ± {np.std(fin):.2g}" if fin.size > 1 else "")
                         + ("" if fin.size == s.size else f" ({s.size - fin.size} n.r.)"))
        t = r.tau_mem[(r.setting == k) & (r.P == Ps[-1])]
        lines.append(f"| {label} | " + " | ".join(cells)
                     + f" | {r.exponent[k]:.3f} [{r.ci_low[k]:.3f}, {r.ci_high[k]:.3f}] | "
                     f"{np.nanmean(t):.4g} |")
    return "\n".join(lines)


def scan(out):
    """Train loss at P = 16 (seed 0) for a grid of rates per optimizer."""
    from memlab.verification.training._common import manifest
    from memlab.verification.training.score_net import train_score_network

    rows = []
    for (opt, mom), lrs in SCAN.items():
        for lr in lrs:
            steps = SCAN_STEPS[(opt, mom)]
            try:
                r = train_score_network(16, 0.1, 16, width=1024, m=8, alpha=100.0, lr=lr,
                                        max_time=lr * steps, eval_every=5, seed=0,
                                        optimizer=opt, momentum=mom)
                tr = r.train_loss
                row = dict(optimizer=opt, momentum=mom, lr=lr, steps=steps, diverged=False,
                           tau_mem=r.tau_mem, steps_mem=r.tau_mem / lr,
                           max_over_start=float(tr.max() / tr[0]),
                           final_over_start=float(tr[-1] / tr[0]))
            except ValueError as exc:
                if "makes the training diverge" not in str(exc):
                    raise
                row = dict(optimizer=opt, momentum=mom, lr=lr, steps=steps, diverged=True)
            rows.append(row)
            print(row, flush=True)
    settings = dict(P=16, sigma=0.1, d=16, width=1024, m=8, alpha=100.0, seed=0,
                    eval_every=5, grid={f"{o}, momentum {mo}": v for (o, mo), v in SCAN.items()})
    (out / "lr_scan.json").write_text(json.dumps(
        {"manifest": manifest(settings), "rows": rows}, indent=1,
        default=lambda v: None if v != v else v).replace("NaN", "null"))


LARGE = {"w1024": dict(Ps=(128, 256), seeds=(0, 1), width=1024,
                       optimizers=(("adam", 1.0, 0.0, 4.0),)),
         "w4096": dict(Ps=(32, 64, 128), seeds=(0,), width=4096,
                       optimizers=(("adam", 1.0, 0.0, 4.0),)),
         "w1024_momentum": dict(Ps=(128,), seeds=(0,), width=1024,
                                optimizers=(("sgd", 1.0, 0.9, 25.0),))}


def large(out, names):
    """Adam (lr 1) at larger P and wider, and gradient descent with momentum (the control
    with the dynamics of gradient descent, ten times fewer steps) at larger P."""
    from memlab.verification.training._common import manifest
    from memlab.verification.training.score_net import optimizer_experiment

    for name in names:
        kw = LARGE[name]
        t0 = time.time()
        r = optimizer_experiment(kw["Ps"], optimizers=kw["optimizers"], width=kw["width"],
                                 seeds=kw["seeds"], progress=True)
        settings = dict(function="optimizer_experiment", Ps=list(kw["Ps"]),
                        optimizers=[list(o) for o in kw["optimizers"]], sigma=0.1, d=16,
                        width=kw["width"], m=8, parametrisation="ntk", alpha=100.0,
                        n_evals=200, seeds=list(kw["seeds"]), device="cpu",
                        wall_seconds=round(time.time() - t0, 1))
        (out / f"optimizer_P_large_{name}.json").write_text(
            json.dumps({"manifest": manifest(settings), "result": r.to_dict()}))
        print(f"{name}: {time.time() - t0:.0f} s", flush=True)


def main(argv):
    import torch

    from memlab.verification.training._common import manifest
    from memlab.verification.training.score_net import (OPTIMIZERS, OptimizerResult,
                                                        optimizer_experiment,
                                                        plot_optimizer_comparison)

    torch.set_num_threads(1)
    flags = {a for a in argv if a.startswith("--")}
    args = [a for a in argv if not a.startswith("--")]
    out = Path(args[0] if args else "docs/results/score_net_optimizer")
    out.mkdir(parents=True, exist_ok=True)
    if "--scan" in flags:
        scan(out)
        return
    if "--large" in flags:
        large(out, [a for a in args[1:]] or list(LARGE))
        return
    path = out / "optimizer_P.json"
    if "--plot-only" in flags:
        r = OptimizerResult.from_dict(json.loads(path.read_text())["result"])
    else:
        t0 = time.time()
        r = optimizer_experiment(progress=True)
        seconds = time.time() - t0
        print(f"{seconds:.0f} s", flush=True)
        settings = dict(function="optimizer_experiment", Ps=[8, 16, 32, 64],
                        optimizers=[list(s) for s in OPTIMIZERS], sigma=0.1, d=16, width=1024,
                        m=8, parametrisation="ntk", alpha=100.0, n_evals=200, seeds=[0, 1],
                        device="cpu", wall_seconds=round(seconds, 1))
        path.write_text(json.dumps({"manifest": manifest(settings), "result": r.to_dict()}))
    plot_optimizer_comparison(r).savefig(out / "optimizer_P.png", dpi=110)
    print(table(r))


if __name__ == "__main__":
    main(sys.argv[1:])
