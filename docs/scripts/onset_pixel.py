"""The onset paper's Fig. 4 on a CPU: a small DDPM on per-pixel Gaussian data, with the
per-pixel Delta of its eqs. 23-24 computed exactly and on the paper's 16-point grid.

The paper: "On the onset of memorization to generalization transition in diffusion
models" (anonymous, under review), Sec. 4 and Fig. 4. Quoted in docs/linear_diffusion.md.

Run: ``python docs/scripts/onset_pixel.py`` (about 10 min on 2 cores; torch on one
thread). d = 64, mu = 0.5, sigma = 0.1, MLP width 128, 10 diffusion steps, batch size
128, 10 generated images against 100 original (and up to 100 training) images, N_O = 1e4,
24 trained models per n, 20 epochs (the paper's recipe) and 200 epochs, seed 600. Writes
docs/results/onset/pixel_onset.png and pixel_onset_{20,200}.json; ``... onset_pixel.py figure``
redraws the figure from them, and ``... onset_pixel.py controls`` prints the per-pixel Delta
of a perfect generator and of a copier (seed 601, 200 draws per n; about 1 min).
``... onset_pixel.py gpu`` runs the paper's own dimension, d = 256 (16 x 16 pixels), on a
CUDA device with the same recipe (20 epochs, 24 models per n, seed 602) and writes
pixel_onset_d256.json; it has not been run (no GPU was available), and it stops with a
message when no CUDA device is present.
"""

from pathlib import Path

import numpy as np
import torch

from memlab.verification.training.pixel_diffusion import plot_pixel_onset, pixel_onset_curve

OUT = Path(__file__).resolve().parents[1] / "results" / "onset"


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    curves = []
    for epochs in (20, 200):
        c = pixel_onset_curve([10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000], trials=24,
                              epochs=epochs, seed=600)
        c.to_json(OUT / f"pixel_onset_{epochs}.json")
        curves.append(c)
        print(f"epochs = {epochs}: n = {c.n.tolist()}")
        for name in ("p_delta", "p_delta_grid", "scaled_E_OG", "scaled_E_TG", "gen_mean_error",
                     "gen_std"):
            print(f"  {name}: {np.round(getattr(c, name), 3).tolist()}")
        print("  median E_OG:", np.round(np.median(c.E_OG, axis=1), 2).tolist())
        print("  median E_TG - E_OG:", np.round(np.median(c.E_TG - c.E_OG, axis=1), 2).tolist())
        print("  binomial s.e. of P:", np.round(np.sqrt(c.p_delta * (1 - c.p_delta) / c.trials),
                                                 3).tolist(), flush=True)
    plot_pixel_onset(curves).savefig(OUT / "pixel_onset.png", dpi=120)


def controls(trials=200):
    """The same per-pixel Delta for two generators that need no training: a perfect one
    (fresh draws from the data law) and a perfect memorizer (copies of training images)."""
    from memlab.verification.training.pixel_diffusion import pixel_distances

    rng = np.random.default_rng(601)
    d, mu, sigma = 64, 0.5, 0.1
    original = mu + sigma * rng.standard_normal((10_000, d))
    print("| n | perfect generator: P(Delta > 0) | median Delta | copier: P(Delta > 0) | median Delta |")
    print("|---|---|---|---|---|")
    for n in (10, 20, 30, 50, 100, 200, 1000):
        rows = {"fresh": [], "copy": []}
        for _ in range(trials):
            train = mu + sigma * rng.standard_normal((n, d))
            t_sub = train[rng.choice(n, size=min(n, 100), replace=False)]
            o_sub = original[rng.choice(10_000, size=100, replace=False)]
            for kind, g in (("fresh", mu + sigma * rng.standard_normal((10, d))),
                            ("copy", train[rng.choice(n, size=10, replace=n < 10)])):
                r = pixel_distances(g, t_sub, o_sub, sigma=sigma)
                rows[kind].append(r.E_TG - r.E_OG)
        f, c = np.array(rows["fresh"]), np.array(rows["copy"])
        print(f"| {n} | {np.mean(f > 0):.3f} | {np.median(f):.2f} | {np.mean(c > 0):.3f} | "
              f"{np.median(c):.2f} |", flush=True)


def gpu():
    """The paper's d = 256 setting on a CUDA device (not run so far: no GPU was lent)."""
    if not torch.cuda.is_available():
        raise SystemExit("onset_pixel.py gpu: no CUDA device; the d = 256 run needs a GPU")
    OUT.mkdir(parents=True, exist_ok=True)
    c = pixel_onset_curve([10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000], d=256, trials=24,
                          epochs=20, seed=602, device="cuda")
    c.to_json(OUT / "pixel_onset_d256.json")
    print("d = 256: P(Delta > 0) =", np.round(c.p_delta, 3).tolist())


def figure():
    """Redraw docs/results/onset/pixel_onset.png from the saved results."""
    from memlab.verification.training.pixel_diffusion import PixelOnsetCurve

    curves = [PixelOnsetCurve.from_json(OUT / f"pixel_onset_{e}.json") for e in (20, 200)]
    plot_pixel_onset(curves).savefig(OUT / "pixel_onset.png", dpi=120)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["figure"]:
        figure()
    elif sys.argv[1:] == ["controls"]:
        controls()
    elif sys.argv[1:] == ["gpu"]:
        gpu()
    else:
        main()
