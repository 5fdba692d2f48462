"""Figures and tables of docs/rhm.md (Favero et al. 2025, sec. 4: the Random Hierarchy Model).

Run: ``python docs/scripts/rhm_figures.py`` (about a minute on 2 cores).
Writes docs/figures/{rhm_level_accuracy,rhm_root_vs_depth,rhm_generation_errors}.png
and prints the numbers quoted in the docs.
"""

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from memlab.theory import rhm
from memlab.verification.rhm import (
    denoiser_accuracy_by_level,
    generation_errors,
    plot_denoiser_accuracy,
    plot_generation_errors,
)

FIG = Path(__file__).resolve().parents[1] / "figures"
NOISE = np.linspace(0.0, 1.0, 21)


def main():
    FIG.mkdir(exist_ok=True)
    # accuracy of the exact posterior per tree level, the grammar of Favero et al.'s Fig. 14
    # with L = 5
    g = rhm.sample_grammar(16, 4, 2, 5, seed=0)
    acc = denoiser_accuracy_by_level(g, NOISE, n_strings=1000, seed=0)
    print("BP argmax accuracy, v=16 m=4 s=2 L=5, uniform noise (rows: 1 - abar; cols: root..tokens)")
    for q, row in zip(acc.noise, acc.accuracy):
        print(f"  {q:.2f}: " + " ".join(f"{a:.3f}" for a in row))
    plot_denoiser_accuracy(acc, g).savefig(FIG / "rhm_level_accuracy.png", dpi=120)

    # the root's accuracy sharpens with depth: the phase transition of the hierarchy
    fig = Figure(figsize=(6.5, 4.4), layout="constrained")
    ax = fig.add_subplot()
    depths = (2, 3, 5, 7, 9)
    colors = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, len(depths)))
    for L, color in zip(depths, colors):
        gl = rhm.sample_grammar(16, 4, 2, L, seed=0)
        r = denoiser_accuracy_by_level(gl, NOISE, n_strings=1000, seed=1)
        half = NOISE[np.argmax(r.accuracy[:, 0] < 0.5 * (1 + 1 / 16))]
        print(f"root accuracy, L={L}: " + " ".join(f"{a:.3f}" for a in r.accuracy[:, 0])
              + f"; first noise below halfway to chance: {half:.2f}")
        ax.errorbar(r.noise, r.accuracy[:, 0], yerr=r.stderr[:, 0], marker="o", ms=3,
                    capsize=2, color=color, label=f"L = {L} (d = {2 ** L})")
    ax.axhline(1 / 16, color="gray", ls=":", label="chance 1/v = 0.0625")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0.0, 1.03)
    ax.set_xlabel(r"noise level $1 - \bar\alpha$ (uniform noise)")
    ax.set_ylabel("root-class accuracy of the BP posterior argmax")
    ax.set_title("RHM v = 16, m = 4, s = 2 (grammar seed 0; 1000 strings per noise level,\n"
                 "seed 1): the root is lost more sharply as L grows", fontsize=10)
    ax.legend(fontsize=8)
    fig.savefig(FIG / "rhm_root_vs_depth.png", dpi=120)

    # per-layer errors of the exact-denoiser sampler against the number of steps
    g3 = rhm.sample_grammar(16, 4, 2, 3, seed=0)
    train = rhm.generate(g3, 1024, distinct=True, seed=2)
    steps = [2, 5, 10, 20, 50, 100, 200]
    for method in ("marginal", "joint"):
        res = generation_errors(g3, steps, n_samples=2000, method=method, train=train, seed=3)
        print(f"generation errors, v=16 m=4 s=2 L=3, {method}: "
              + "; ".join(f"T={T}: " + " ".join(f"{e:.3f}" for e in row) + f" copies {c:.4f}"
                          for T, row, c in zip(res.n_steps, res.errors, res.copies)))
        if method == "marginal":
            plot_generation_errors(res, grammar=g3).savefig(FIG / "rhm_generation_errors.png",
                                                            dpi=120)
    print(f"  copy rate expected for fresh strings: {1024 / rhm.num_strings(16, 4, 2, 3):.4f}")


if __name__ == "__main__":
    main()
