"""E_TG, E_OG and the alignment claim of the onset paper (docs/linear_diffusion.md).

The paper: "On the onset of memorization to generalization transition in diffusion
models" (anonymous, under review), contribution 4 / Fig. 1: the transition of
P(Delta > 0) happens where E_OG starts to fall fast. For the linear model of its Sec. 3
this script measures, for one dimension d per call, where P(Delta > 0) crosses 1/2
against where E_OG (and E[H^2]) fall fastest, with bootstrap intervals, for the exact
generated law (the paper's) and for rho_G smoothed by the original KDE width.

Run: ``python docs/scripts/onset_alignment.py D [TRIALS]`` for D = 8, 16, 32 (300 trials,
about 3 min each on 2 busy cores) and 100 (150 trials, about 15 min), then
``python docs/scripts/onset_alignment.py figures``. Writes
docs/results/onset/alignment_d{D}_{exact,smoothed}.json.gz (the OnsetAlignment results, their
DistanceCurve included), alignment_{exact,smoothed}.png and scaled_distances_d16.png, and
prints the table rows quoted in the docs. Seeds: 100 + d (curves), 200 + d (bootstrap of
the other summaries).
"""

import gzip
import sys
from pathlib import Path

import numpy as np

from memlab.theory.linear_diffusion import _alignment, onset_alignment

OUT = Path(__file__).resolve().parents[1] / "results" / "onset"


def grid(d):
    """Log-spaced sizes: 28 from 2 to 10 d rounded (24-26 distinct; d <= 32; below d the
    smoothed E_OG falls), 22 from d / 10 to 8 d for d = 100."""
    lo, hi, k = (d // 10, 8 * d, 22) if d >= 100 else (2, 10 * d, 28)
    return np.unique(np.round(np.geomspace(lo, hi, k)).astype(int))


def row(a, label):
    edge = " (grid edge)" if a.fall_at_edge else ""
    return (f"| {a.d} | {label} | {a.summary}, {a.fall} | {a.n_half:.1f} [{a.n_half_ci[0]:.1f}, {a.n_half_ci[1]:.1f}] | "
            f"{a.n_quarter:.1f}-{a.n_three_quarters:.1f} | {a.n_fall:.1f}{edge} [{a.n_fall_ci[0]:.1f}, "
            f"{a.n_fall_ci[1]:.1f}] | {a.ratio:.2f} [{a.ratio_ci[0]:.2f}, {a.ratio_ci[1]:.2f}] | "
            f"{a.n_fall_hellinger:.1f} (onset {a.n_fall_hellinger_onset:.1f}) | {a.ratio_hellinger:.2f} [{a.ratio_hellinger_ci[0]:.2f}, "
            f"{a.ratio_hellinger_ci[1]:.2f}] | {a.n_boot_undefined} |")


def main(d, trials):
    OUT.mkdir(parents=True, exist_ok=True)
    for label, width in (("exact", None), ("smoothed", "original")):
        rng = np.random.default_rng(100 + d)
        a = onset_alignment(d, grid(d), trials=trials, seed=rng, generated_width=width,
                            n_boot=400)
        with gzip.open(OUT / f"alignment_d{d}_{label}.json.gz", "wt") as f:
            f.write(a.to_json())
        print(row(a, label), flush=True)
        for k, (summary, fall) in enumerate((("median", "log"), ("mean", "linear"))):
            b = _alignment(a.curve, fall, summary, 400, 0.95, np.random.default_rng(200 + d + k),
                           a.seed)
            print(row(b, label), flush=True)
        c = a.curve
        print(f"d={d} {label}: n: {c.n.tolist()}")
        print("  P:", np.round(c.p_delta, 3).tolist())
        print("  log mean E_OG:", np.round(c.log_mean_E_OG, 3).tolist())
        print("  log median E_OG:", np.round(c.log_median_E_OG, 3).tolist())
        print("  log median E_TG:", np.round(c.log_median_E_TG, 3).tolist())
        print("  log mean E_TG:", np.round(c.log_mean_E_TG, 3).tolist())
        print("  rel s.e. E_OG:", np.round(c.rel_stderr_E_OG, 3).tolist())
        print("  E[H^2]:", np.round(c.hellinger2_mean, 4).tolist(), flush=True)


def figures():
    """The figures of docs/linear_diffusion.md from the saved results (run main first)."""
    from memlab.theory.linear_diffusion import OnsetAlignment
    from memlab.verification.linear_diffusion import plot_onset_alignment, plot_scaled_distances

    def load(d, label):
        with gzip.open(OUT / f"alignment_d{d}_{label}.json.gz", "rt") as f:
            return OnsetAlignment.from_json(f.read())

    for label in ("exact", "smoothed"):
        found = [load(d, label) for d in (8, 16, 32, 100)
                 if (OUT / f"alignment_d{d}_{label}.json.gz").exists()]
        plot_onset_alignment(found).savefig(OUT / f"alignment_{label}.png", dpi=110)
    curves = [load(16, label).curve for label in ("exact", "smoothed")]
    plot_scaled_distances(curves, summary="median").savefig(OUT / "scaled_distances_d16.png",
                                                         dpi=120)


if __name__ == "__main__":
    if sys.argv[1:] == ["figures"]:
        figures()
    else:
        main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 300)
