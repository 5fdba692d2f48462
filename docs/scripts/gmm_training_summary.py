"""Collect the trained-GMM sweeps of docs/results/gmm_training into one summary.

Run after ``memlab train gmm ... --out docs/results/gmm_training`` (any grids):
it reloads every saved sweep (no training), adds the predicted crossovers, the
linear law M_mem = a N and the calibrated weighting (Buchanan et al. 2025, sec. 4 and
App. H.3), writes ``gmm_summary.json`` and ``gmm_memorization_ratio.png`` there, and
prints the markdown table of docs/training.md.

``python docs/scripts/gmm_training_summary.py --figure-only`` redraws only the figure
from the saved ``gmm_summary.json`` (seconds; no simulation, no calibration).
"""

import json
import re
import sys
from pathlib import Path

import numpy as np

from memlab.verification.training.gmm_denoiser import (
    SweepResult,
    calibrate_weighting,
    linear_law,
    memorization_sweep,
    plot_memorization_ratio,
    predicted_crossovers,
)

OUT = Path(__file__).resolve().parents[1] / "results" / "gmm_training"


def main():
    settings = set()       # files gmm_N*_d*_K*_s0.json (earlier format) or ..._s0_{key}.json
    for f in sorted(OUT.glob("gmm_N*_d*_K*_s0*.json")):
        m = re.fullmatch(r"gmm_N(\d+)_d(\d+)_K(\d+)_s0(_[0-9a-f]+)?", f.stem)
        if m:
            settings.add(tuple(map(int, m.groups()[:3])))
    settings = sorted(settings)
    results, predicted = [], {}
    for N, d, K in settings:
        results.append(memorization_sweep(N, d, K, out_dir=OUT, progress=False))
        predicted[(N, d, K)] = predicted_crossovers(N, d, K, seed=0)
    a, se, n = linear_law(results)
    measured = [(r.N, r.d, r.K, r.middle) for r in results]
    cal = {src: calibrate_weighting(measured, source=src) for src in ("simulated", "closed_form")}
    print("| N | d | K | start/N | **M_mem/N** | end/N | closed x0 | closed eps | simulated x0 |")
    for r in results:
        p = predicted[(r.N, r.d, r.K)]
        print(f"| {r.N} | {r.d} | {r.K} | {r.start / r.N:.3f} | **{r.middle / r.N:.3f}** | "
              f"{r.end / r.N:.3f} | {p['closed form x0'] / r.N:.3f} | "
              f"{p['closed form eps'] / r.N:.3f} | {p['simulated x0'] / r.N:.3f} |")
    mm = np.array([r.middle / r.N for r in results])
    sim = np.array([predicted[(r.N, r.d, r.K)]["simulated x0"] / r.N for r in results])
    closed = np.array([predicted[(r.N, r.d, r.K)]["closed form x0"] / r.N for r in results])
    print(f"\nlinear law: a = {a:.4f} +- {se:.4f} ({n} settings); M_mem/N mean {mm.mean():.3f}, "
          f"range [{mm.min():.3f}, {mm.max():.3f}]")
    print(f"M_mem/N - simulated x0: mean {np.mean(mm - sim):+.3f}, rms {np.sqrt(np.mean((mm - sim)**2)):.3f}")
    print(f"M_mem/N - closed x0: mean {np.mean(mm - closed):+.3f}, rms {np.sqrt(np.mean((mm - closed)**2)):.3f}")
    for src, c in cal.items():
        print(f"calibrated ({src}): rms {c.rms_error:.4f}; weights t=0.999 {c.weights[0]:.2f}, "
              f"t~0.5 {c.weights[12]:.2f}, t=0.001 {c.weights[-1]:.2f}; g {c.g_closed_form:.4f}, "
              f"t_eff {c.t_effective:.3f}")
    summary = {"settings": [dict(r.to_saved_dict(), predicted=predicted[(r.N, r.d, r.K)])
                            for r in results],
               "linear_law": {"a": a, "stderr": se, "n": n},
               "calibration": {src: {"weights": c.weights.tolist(), "rms_error": c.rms_error,
                                     "predicted": c.predicted.tolist(),
                                     "g_closed_form": c.g_closed_form,
                                     "t_effective": c.t_effective} for src, c in cal.items()}}
    (OUT / "gmm_summary.json").write_text(json.dumps(summary, indent=1))
    plot_memorization_ratio(results, predicted).savefig(OUT / "gmm_memorization_ratio.png",
                                                        dpi=120)


def figure_only():
    """Redraw gmm_memorization_ratio.png from the saved gmm_summary.json."""
    saved = json.loads((OUT / "gmm_summary.json").read_text())
    results, predicted = [], {}
    for entry in saved["settings"]:
        fields = {k: v for k, v in entry.items() if k != "predicted"}
        for k in ("M", "ratio", "sigma2", "final_loss"):
            fields[k] = np.asarray(fields[k])
        r = SweepResult(**fields)
        results.append(r)
        predicted[(r.N, r.d, r.K)] = entry["predicted"]
    plot_memorization_ratio(results, predicted).savefig(OUT / "gmm_memorization_ratio.png",
                                                        dpi=120)


if __name__ == "__main__":
    figure_only() if "--figure-only" in sys.argv[1:] else main()
