"""The train-versus-held-out sliced Wasserstein gap of the RHM D3PM along training (the
position paper (2026), Sec. 3.2).

``python docs/scripts/position_rhm_sw.py CKPT_DIR [OUT_DIR]`` trains
`memlab.verification.training.rhm_d3pm.train_d3pm` with the settings of the committed
``memlab train rhm`` runs (grammar (v, m, s, L) = (8, 3, 2, 3), grammar seed 0, 60 steps per
string, 20 evaluations, seed 0) for P = 64, 128 and 256, one CPU thread (about 12 minutes on
an idle core, 17 under load), keeps the checkpoints in CKPT_DIR (a second call resumes or
re-reads them), writes ``sw_summary.json`` (the runs, as ``D3PMRun.to_saved_dict``, and the
times of the table) and ``sw_curves.png`` into OUT_DIR (default docs/results/rhm_sw) and
prints the table of docs/position_paper.md. ``--P 64,128`` trains other sizes.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

PS = (64, 128, 256)


def rows(runs):
    out = []
    for r in runs:
        gap = r.sw_gap()
        early = r.steps < r.tau_copy(0.1)
        out.append({"P": r.P, "tau_mem": r.tau_mem, "tau_val_min": r.tau_val_min,
                    "tau_copy_0.1": r.tau_copy(0.1), "tau_copy_0.5": r.tau_copy(0.5),
                    "tau_sw_gap_0.25": r.tau_sw_gap(0.25), "tau_sw_gap_0.5": r.tau_sw_gap(0.5),
                    "sw_train_val": r.sw_train_val,
                    "delta_fresh": r.sw_fresh[1] - r.sw_fresh[0],
                    "delta_copies": r.sw_copies[1] - r.sw_copies[0],
                    "final_delta": float(r.sw_val[-1] - r.sw_train[-1]),
                    "final_gap": float(gap[-1]), "final_copies": float(r.copy_fraction[-1]),
                    "gap_before_copies_mean": float(np.mean(gap[early])) if early.any() else None,
                    "gap_before_copies_std": float(np.std(gap[early])) if early.any() else None,
                    "gap_before_copies_max": float(np.max(gap[early])) if early.any() else None})
    return out


def marginal_references(grammar, runs, draws=8):
    """Calibrated gap of strings that are not from the model: tokens drawn independently at
    each position from the training set's (or the held-out set's) per-position frequencies,
    uniform random tokens, and fresh grammar strings and copies drawn again; mean and std
    over ``draws`` draws of 256 strings (seeds 1000 + i, not the run's)."""
    from memlab.theory import rhm
    from memlab.theory.metrics import sliced_wasserstein
    from memlab.verification.training.rhm_d3pm import SW_SEED, one_hot_embedding

    out = {}
    for r in runs:
        rng = np.random.default_rng(0)               # the draws of train_d3pm(seed=0)
        rng.integers(2**62)
        both = rhm.generate(grammar, r.P + 512, distinct=True, seed=rng)
        train, val = both[:r.P], both[r.P:]
        n_ref = min(r.P, 512)
        refs = [one_hot_embedding(x[:n_ref], grammar.v) for x in (train, val)]
        fresh = r.sw_fresh[1] - r.sw_fresh[0]
        scale = r.sw_copies[1] - r.sw_copies[0] - fresh

        def gap(x, refs=refs, fresh=fresh, scale=scale):
            e = one_hot_embedding(x, grammar.v)
            a, b = (sliced_wasserstein(e, ref, seed=SW_SEED) for ref in refs)
            return (b - a - fresh) / scale

        def marginals(c, src):
            return np.stack([src[c.integers(0, len(src), 256), j]
                             for j in range(src.shape[1])], axis=1)

        kinds = {
            "training-set marginals": lambda c, t=train: marginals(c, t),
            "held-out marginals": lambda c, h=val: marginals(c, h),
            "uniform tokens": lambda c, d=train.shape[1]: c.integers(0, grammar.v, (256, d)),
            "fresh grammar strings": lambda c: rhm.generate(grammar, 256, seed=c),
            "copies of the training set": lambda c, t=train: t[c.integers(0, len(t), 256)],
        }
        out[r.P] = {}
        for name, make in kinds.items():
            g = [gap(make(np.random.default_rng(1000 + i))) for i in range(draws)]
            out[r.P][name] = (float(np.mean(g)), float(np.std(g)))
    return out


def table(rs):
    def f(x):
        return "not reached" if x is None or not np.isfinite(x) else f"{x:,.0f}"
    lines = ["| $P$ | loss-gap onset $\\tau_{\\rm mem}$ | copies ≥ 0.1 | copies ≥ 0.5 | "
             "gap ≥ 0.25 from then on | gap ≥ 0.5 from then on | gap before copies ≥ 0.1 "
             "(mean ± std, max) | final gap | final copies |", "|---" * 9 + "|"]
    for r in rs:
        lines.append(f"| {r['P']} | {f(r['tau_mem'])} | {f(r['tau_copy_0.1'])} | "
                     f"{f(r['tau_copy_0.5'])} | {f(r['tau_sw_gap_0.25'])} | "
                     f"{f(r['tau_sw_gap_0.5'])} | {r['gap_before_copies_mean']:.2f} ± "
                     f"{r['gap_before_copies_std']:.2f}, {r['gap_before_copies_max']:.2f} | "
                     f"{r['final_gap']:.2f} | {r['final_copies']:.2f} |")
    lines += ["", "| $P$ | $SW$(train, held-out) | $\\Delta_{\\rm fresh}$ | "
              "$\\Delta_{\\rm copies}$ | final $\\Delta$ |", "|---" * 5 + "|"]
    for r in rs:
        lines.append(f"| {r['P']} | {r['sw_train_val']:.4f} | {r['delta_fresh']:+.4f} | "
                     f"{r['delta_copies']:.4f} | {r['final_delta']:.4f} |")
    return "\n".join(lines)


def main(argv):
    import torch

    from memlab.theory import rhm
    from memlab.verification.training.rhm_d3pm import plot_sw_curves, train_d3pm

    torch.set_num_threads(1)
    Ps = PS
    if "--P" in argv:
        i = argv.index("--P")
        Ps = tuple(int(p) for p in argv[i + 1].split(","))
        argv = argv[:i] + argv[i + 2:]
    ckpt = Path(argv[0])
    out = Path(argv[1] if len(argv) > 1 else "docs/results/rhm_sw")
    out.mkdir(parents=True, exist_ok=True)
    g = rhm.sample_grammar(8, 3, 2, 3, seed=0)
    runs = []
    for P in Ps:
        t0 = time.time()
        runs.append(train_d3pm(g, P, steps=60 * P, seed=0, out_dir=ckpt, progress=False))
        print(f"P = {P}: {time.time() - t0:.0f} s", flush=True)
    rs = rows(runs)
    refs = marginal_references(g, runs)
    with open(out / "sw_summary.json", "w") as fh:
        json.dump({"runs": [r.to_saved_dict() for r in runs], "times": rs,
                   "references": {str(P): v for P, v in refs.items()}}, fh, indent=1)
    plot_sw_curves(runs).savefig(out / "sw_curves.png", dpi=120)
    print(table(rs))
    print("\n| strings | " + " | ".join(f"gap, P = {P}" for P in refs) + " |")
    print("|---" * (1 + len(refs)) + "|")
    for name in next(iter(refs.values())):
        print(f"| {name} | " + " | ".join(f"{refs[P][name][0]:+.2f} ± {refs[P][name][1]:.2f}"
                                         for P in refs) + " |")
    for r in runs:
        print(f"P = {r.P}: steps {r.steps.astype(int).tolist()}")
        print("  sw_train", np.round(r.sw_train, 4).tolist())
        print("  sw_val  ", np.round(r.sw_val, 4).tolist())
        print("  gap     ", np.round(r.sw_gap(), 3).tolist())
        print("  copies  ", np.round(r.copy_fraction, 3).tolist())
        print("  val-train loss", np.round(r.val_loss - r.train_loss, 3).tolist())


if __name__ == "__main__":
    main(sys.argv[1:])
