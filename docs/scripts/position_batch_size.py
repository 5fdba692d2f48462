"""The batch-size question of the position paper (2026): which time variable collapses the
memorization times of the score network of Favero et al. (2025), App. G.

``python docs/scripts/position_batch_size.py [OUT_DIR]`` runs
`memlab.verification.training.score_net.batch_size_experiment` on the grid below (one CPU
thread, about 7 minutes on an idle core, 13 under load), writes ``batch_size.json`` (the
result) and ``batch_size_collapse.png`` into OUT_DIR (default docs/results/batch_size) and
prints the table of docs/position_paper.md. With ``--plot-only`` it re-reads the JSON and
redraws the figure and the table without training.
"""

import sys
import time
from pathlib import Path

import numpy as np

GRID = dict(Ps=(8, 16, 32), batch_fractions=(8, 4, 2, 1), lrs=(0.125, 0.5, 1.0, 2.0),
            sigma=0.1, d=16, width=256, m=8, parametrisation="ntk", alpha=1.0,
            time_per_P=100.0, n_evals=200, seeds=(0, 1))


def table(r):
    """Markdown tables: tau_mem per (P, B, eta) (mean over seeds) and the spreads."""
    lines = ["| $P$ | $\\eta$ | " + " | ".join(f"$B = n/{k}$" if k > 1 else "full batch"
                                               for k in GRID["batch_fractions"])
             + " | exponent in $B$ |", "|---" * (3 + len(GRID["batch_fractions"])) + "|"]
    for P in np.unique(r.P):
        for eta in r.lrs:
            cells, lb, lt = [], [], []
            for k in GRID["batch_fractions"]:
                B = P * r.m // k
                sel = (r.P == P) & (r.lr == eta) & (r.batch_size == B)
                t = r.tau_mem[sel]
                if np.all(r.diverged[sel]):
                    cells.append("diverged")
                    continue
                fin = t[np.isfinite(t)]
                if fin.size < t.size:
                    n_div = int(r.diverged[sel].sum())
                    n_nr = t.size - fin.size - n_div
                    why = ", ".join(w for w in (f"{n_div} diverged" if n_div else "",
                                                f"{n_nr} n.r." if n_nr else "") if w)
                    cells.append(f"{np.mean(fin):.0f} ({why})" if fin.size
                                 else "not reached" if not n_div else f"none ({why})")
                else:
                    cells.append(f"{np.mean(t):.0f}" + (f" ± {np.std(t):.0f}" if t.size > 1
                                                        else ""))
                if fin.size == t.size:
                    lb.append(np.log(B))
                    lt.append(np.mean(np.log(t)))
            slope = f"{np.polyfit(lb, lt, 1)[0]:+.2f}" if len(lb) >= 2 else "–"
            lines.append(f"| {P} | {eta:g} | " + " | ".join(cells) + f" | {slope} |")
    lines += ["", "| $\\eta$ | std of $\\ln\\tau$ across $B$: $\\eta\\times$steps | "
              "normalised step | exponent in $B$ |", "|---|---|---|---|"]
    for eta, a, b, c in zip(r.lrs, r.spread_time, r.spread_normalised, r.batch_exponent):
        lines.append(f"| {eta:g} | {a:.3f} | {b:.3f} | {c:+.2f} |")
    return "\n".join(lines)


def main(argv):
    import torch

    from memlab.verification.training.score_net import (BatchSizeResult,
                                                        batch_size_experiment,
                                                        plot_batch_size_collapse)

    torch.set_num_threads(1)
    plot_only = "--plot-only" in argv
    args = [a for a in argv if a != "--plot-only"]
    out = Path(args[0] if args else "docs/results/batch_size")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "batch_size.json"
    if plot_only:
        r = BatchSizeResult.from_json(path)
    else:
        t0 = time.time()
        r = batch_size_experiment(**GRID, progress=True)
        print(f"{time.time() - t0:.0f} s", flush=True)
        r.to_json(path)
    plot_batch_size_collapse(r).savefig(out / "batch_size_collapse.png", dpi=120)
    print(table(r))


if __name__ == "__main__":
    main(sys.argv[1:])
