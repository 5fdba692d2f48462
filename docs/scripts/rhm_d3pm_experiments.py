"""The D3PM experiments of docs/training.md beyond the tau_mem(P) series (Favero et al. 2025).

Three experiments on the grammar (v, m, s, L) = (8, 3, 2, 3) of docs/results/rhm_training,
with its settings (128 channels, batch 32, 512 validation strings, 60 steps per training
string) but 16 evaluations of 128 generated strings and no sliced Wasserstein curves:

* ``disjoint``: two models on disjoint training sets (``train_block=0`` and ``1``, P = 64),
  the Hellinger distance between their denoisers and of each to the exact BP denoiser, and
  the rule statistics of their samples (Figs. 2, 5b and 14);
* ``masked``: the absorbing-state (masked) D3PM, tau_mem against P (the MD4 setting of
  sec. 3, on RHM strings);
* ``adam`` and ``sgd``: Adam (lr 1e-3) and SGD with momentum 0.9 (lr 0.2), tau_mem
  against P for P = 16, 32, 64 (Figs. 15 and 19).

Run: ``python docs/scripts/rhm_d3pm_experiments.py run disjoint masked`` (and ``run adam
sgd`` in a second process; ``run masked:0,2`` runs entries 0 and 2 of a list only), then
``python docs/scripts/rhm_d3pm_experiments.py figures``.
Checkpoints go to ``$RHM_D3PM_CKPT`` (default /tmp/rhm_d3pm_ckpt); the histories (JSON,
with manifests), the probe predictions of the two disjoint runs (npz), the summaries and
figures to docs/results/rhm_d3pm_{disjoint,masked,adam,sgd}/.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "results"
CKPT = Path(os.environ.get("RHM_D3PM_CKPT", "/tmp/rhm_d3pm_ckpt"))
COMMON = dict(batch_size=32, lr=1e-3, channels=64, n_val=512, n_generate=64, gen_steps=25,
              n_eval=14, sw_projections=None, seed=0, progress=False)
STEPS_PER_P = 60
EXPERIMENTS = {
    "disjoint": [dict(P=64, train_block=b) for b in (0, 1)],
    # the same pair with independent initialisations and mini-batch streams
    "disjoint_init": [dict(P=64, train_block=b, init_seed=b + 1) for b in (0, 1)],
    "masked": [dict(P=P, process="masked") for P in (16, 32, 64, 128)],
    "sgd": [dict(P=P, optimizer="sgd", lr=0.2) for P in (16, 32, 64, 128)],
    "adam": [dict(P=P) for P in (16, 32, 64, 128)],
}


def _grammar():
    from memlab.theory import rhm

    return rhm.sample_grammar(8, 3, 2, 3, seed=0)


def run(name: str) -> None:
    import torch

    name, _, which = name.partition(":")     # "masked:0,2" runs entries 0 and 2 only

    from memlab.verification.training.rhm_d3pm import train_d3pm

    torch.set_num_threads(1)
    out = RESULTS / f"rhm_d3pm_{name}"
    out.mkdir(parents=True, exist_ok=True)
    ckpt = CKPT / name
    specs = EXPERIMENTS[name]
    if which:
        specs = [specs[int(i)] for i in which.split(",")]
    for spec in specs:
        spec = dict(spec)
        P = spec.pop("P")
        kw = dict(COMMON, **spec)
        t0 = time.time()
        try:
            r = train_d3pm(_grammar(), P, steps=STEPS_PER_P * P, out_dir=ckpt, **kw)
        except ValueError as exc:
            print(f"{name} P={P} {spec}: failed: {exc}", flush=True)
            continue
        print(f"{name} P={P} {spec}: {time.time() - t0:.0f} s, tau_mem {r.tau_mem:.0f}, "
              f"copies 0.1 / 0.5 at {r.tau_copy(0.1):.0f} / {r.tau_copy(0.5):.0f}, final "
              f"copies {r.copy_fraction[-1]:.2f}", flush=True)
        for f in ckpt.glob("*.json"):
            shutil.copy(f, out / f.name)
        if name.startswith("disjoint"):
            for f in ckpt.glob("*_probe.npz"):
                shutil.copy(f, out / f.name)


def _load(name):
    from memlab.verification.training.rhm_d3pm import load_run

    runs = [load_run(p) for p in sorted((RESULTS / f"rhm_d3pm_{name}").glob("d3pm_P*.json"))]
    return sorted(runs, key=lambda r: (r.P, -1 if r.train_block is None else r.train_block))


def _fits(runs):
    from memlab.verification.training.rhm_d3pm import TAU_DEFINITIONS, tau_mem_scaling

    fits = {}
    for which in TAU_DEFINITIONS:
        try:
            fits[which] = tau_mem_scaling(runs, which=which)
        except ValueError as exc:
            print(f"  {which}: {exc}")
    return fits


def _fit_text(fits):
    return {k: f"beta = {f.exponent:.3f} +- {f.stderr:.3f}, 95% CI [{f.ci_low:.3f}, "
               f"{f.ci_high:.3f}] ({f.n_samples} P)" for k, f in fits.items()}


def _table(runs):
    return [{"P": r.P, "tau_mem": r.tau_mem, "tau_val_min": r.tau_val_min,
             "tau_copy_0.1": r.tau_copy(0.1), "tau_copy_0.5": r.tau_copy(0.5),
             "final_copies": float(r.copy_fraction[-1]),
             "final_invalid": float(r.layer_errors[-1, -1]),
             "max_gap": float(np.max(r.val_loss - r.train_loss))} for r in runs]


def _write(name, payload):
    from memlab.verification.training._common import manifest

    payload["manifest"] = manifest({"experiment": name, "common": COMMON,
                                    "steps_per_P": STEPS_PER_P,
                                    "runs": EXPERIMENTS[name], "grammar": [8, 3, 2, 3, 0]})
    path = RESULTS / f"rhm_d3pm_{name}" / f"{name}_summary.json"
    path.write_text(json.dumps(payload, indent=1, default=lambda o: vars(o)))
    print("wrote", path)


def figure_disjoint(name="disjoint"):
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from memlab.verification.training.rhm_d3pm import PROBE_ABAR, denoiser_distance

    a, b = _load(name)
    dist = denoiser_distance(a, b)
    fig = Figure(figsize=(12.5, 4.6), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    cmap = matplotlib.colormaps["viridis"]
    for j, abar in enumerate(PROBE_ABAR):
        c = cmap(0.85 * j / max(1, len(PROBE_ABAR) - 1))
        ax1.plot(a.steps, dist[:, j], "-", color=c, lw=2)
        ax1.plot(a.steps, a.probe_hellinger[:, j], "--", color=c)
        ax1.plot(b.steps, b.probe_hellinger[:, j], ":", color=c)
    handles = [Line2D([], [], color=cmap(0.85 * j / 2), lw=2, label=rf"$\bar\alpha$ = {x:g}")
               for j, x in enumerate(PROBE_ABAR)]
    handles += [Line2D([], [], color="k", ls="-", lw=2, label="model A vs model B"),
                Line2D([], [], color="k", ls="--", label="model A vs exact BP denoiser"),
                Line2D([], [], color="k", ls=":", label="model B vs exact BP denoiser")]
    ax1.legend(handles=handles, fontsize=7)
    ax1.set_ylabel("Hellinger distance of $p(x_0 | x_t)$ (mean over probe strings)")
    ax1.set_title("denoisers on 32 noisy held-out strings", fontsize=10)
    for r, ls, lab in ((a, "-", "A (block 0)"), (b, "--", "B (block 1)")):
        ax2.plot(r.steps, r.copy_fraction, ls, color="C3", label=f"copies, {lab}")
        ax2.plot(r.steps, r.layer_errors[:, -1], ls, color="C0", label=f"invalid, {lab}")
        ax2.plot(r.steps, r.val_loss - r.train_loss, ls, color="C2",
                 label=f"val - train loss (nats), {lab}")
    ax2.set_ylabel("fraction of generated strings / loss gap")
    ax2.set_title("copies, invalid strings and loss gap", fontsize=10)
    ax2.legend(fontsize=7)
    for r, ls in ((a, "-"), (b, "--")):
        ax3.plot(r.steps, r.rule_mean_error, ls, color="C1")
        ax3.plot(r.steps, r.rule_cov_error, ls, color="C4")
    ax3.axhline(a.rule_fresh[0], color="C1", lw=0.9, ls="-.")
    ax3.axhline(a.rule_fresh[1], color="C4", lw=0.9, ls="-.")
    ax3.axhline(a.rule_copies[0], color="C1", lw=0.9, ls=(0, (1, 1)))
    ax3.axhline(a.rule_copies[1], color="C4", lw=0.9, ls=(0, (1, 1)))
    ax3.legend(handles=[Line2D([], [], color="C1", label=r"mean, $e_\mu$"),
                        Line2D([], [], color="C4", label=r"covariance, $e_C$"),
                        Line2D([], [], color="k", label="model A"),
                        Line2D([], [], color="k", ls="--", label="model B"),
                        Line2D([], [], color="k", ls="-.", lw=0.9,
                               label=f"{COMMON['n_generate']} fresh grammar strings"),
                        Line2D([], [], color="k", ls=(0, (1, 1)), lw=0.9,
                               label=f"{COMMON['n_generate']} draws from training set A")],
               fontsize=7)
    ax3.set_ylim(0, None)
    ax3.set_ylabel("relative error of the rule statistics (valid strings)")
    ax3.set_title("rule statistics of generated strings (Fig. 14)", fontsize=10)
    for ax in (ax1, ax2, ax3):
        ax.set_xscale("log")
        ax.set_xlabel("training step")
    fig.suptitle("Two D3PMs on disjoint training sets of P = 64 strings (Favero et al. 2025, "
                 "Figs. 2, 5b, 14)\nRHM (v, m, s, L) = (8, 3, 2, 3), uniform noise, "
                 f"{COMMON['channels']} channels, Adam 1e-3, batch 32, seed 0 ("
                 + ("same initialisation" if name == "disjoint" else
                    "initialisations of seeds 1 and 2") + "), "
                 f"{COMMON['n_generate']} strings generated with "
                 f"{COMMON['gen_steps']} steps per evaluation", fontsize=10)
    fig.savefig(RESULTS / f"rhm_d3pm_{name}" / f"{name}.png", dpi=120)
    best = int(np.argmin(a.val_loss))
    payload = {"steps": a.steps, "hellinger_A_B": dist, "hellinger_A_exact": a.probe_hellinger,
               "hellinger_B_exact": b.probe_hellinger, "probe_abar": PROBE_ABAR,
               "copies_A": a.copy_fraction, "copies_B": b.copy_fraction,
               "rule_mean_error_A": a.rule_mean_error, "rule_cov_error_A": a.rule_cov_error,
               "rule_mean_error_B": b.rule_mean_error, "rule_cov_error_B": b.rule_cov_error,
               "rule_fresh": a.rule_fresh, "rule_copies_A": a.rule_copies,
               "rule_copies_B": b.rule_copies, "validation_minimum_A": a.steps[best]}
    payload = {k: np.asarray(v).tolist() if isinstance(v, np.ndarray) else v
               for k, v in payload.items()}
    print(json.dumps({k: np.round(np.asarray(v, dtype=float), 3).tolist()
                      for k, v in payload.items()}, indent=None)[:6000])
    _write(name, payload)


def figure_series(name):
    from matplotlib.figure import Figure

    from memlab.verification.training.rhm_d3pm import (plot_tau_vs_P, plot_training_curves)

    runs = _load(name)
    fits = _fits(runs)
    print(name, _fit_text(fits))
    for row in _table(runs):
        print("  ", {k: round(v, 3) for k, v in row.items()})
    out = RESULTS / f"rhm_d3pm_{name}"
    plot_training_curves(runs).savefig(out / f"{name}_curves.png", dpi=120)
    payload = {"runs": _table(runs), "fits": {k: vars(f) for k, f in fits.items()},
               "fit_text": _fit_text(fits)}
    if name == "sgd":                         # against the Adam runs of the same P
        adam = _load("adam")
        fits_adam = _fits(adam)
        for row in _table(adam):
            print("   adam", {k: round(v, 3) for k, v in row.items()})
        print("adam", _fit_text(fits_adam))
        payload["adam_runs"] = _table(adam)
        payload["adam_fits"] = {k: vars(f) for k, f in fits_adam.items()}
        payload["adam_fit_text"] = _fit_text(fits_adam)
        fig = Figure(figsize=(11.0, 4.6), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        for rs, fs, marker, lab in ((adam, fits_adam, "o", "Adam, lr 1e-3"),
                                    (runs, fits, "s", "SGD + momentum 0.9, lr 0.2")):
            for ax, which, what in ((ax1, "tau_mem", "loss-gap onset (0.2 nats)"),
                                    (ax2, "tau_copy_onset", "copies reach 0.1")):
                def tau(r):
                    return r.tau_mem if which == "tau_mem" else r.tau_copy(0.1)

                ok = [r for r in rs if np.isfinite(tau(r))]
                P = np.array([r.P for r in ok], dtype=float)
                ax.loglog(P, [tau(r) for r in ok], marker, label=lab, ms=7)
                f = fs.get(which)
                if f is not None:
                    xs = np.geomspace(P.min(), P.max(), 20)
                    ax.loglog(xs, f.prefactor * xs ** f.exponent, "-", color=ax.lines[-1]
                              .get_color(), label=f"  fit: $\\beta$ = {f.exponent:.2f} "
                                                  f"[{f.ci_low:.2f}, {f.ci_high:.2f}]")
                ax.set_title(what, fontsize=10)
        Ps = np.array(sorted({r.P for r in runs}), dtype=float)
        from matplotlib.ticker import FuncFormatter, LogLocator

        for ax in (ax1, ax2):
            pts = [(x, y) for ln in ax.lines if ln.get_marker() in ("o", "s")
                   for x, y in zip(ln.get_xdata(), ln.get_ydata())]
            x0 = np.exp(np.mean(np.log([p[0] for p in pts])))
            y0 = np.exp(np.mean(np.log([p[1] for p in pts])))
            ax.loglog(Ps, y0 * Ps / x0, "-", color="0.5", lw=2, alpha=0.5, zorder=0,
                      label="slope 1 through the mean (reference)")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: ""))
            ax.set_xlabel("training strings P")
            ax.set_ylabel("memorization time (training steps)")
            ax.set_xticks(Ps, [f"{p:g}" for p in Ps])
            ax.minorticks_off()
            ax.legend(fontsize=7)
        fig.suptitle("D3PM on the RHM (8, 3, 2, 3): Adam against SGD (Favero et al. 2025, "
                     f"Figs. 15, 19)\nuniform noise, {COMMON['channels']} channels, batch 32, "
                     f"{STEPS_PER_P} steps per string, seed 0", fontsize=10)
        fig.savefig(out / "sgd_vs_adam_tau.png", dpi=120)
    else:
        plot_tau_vs_P(runs, fits).savefig(out / f"{name}_tau_vs_P.png", dpi=120)
    _write(name, payload)


if __name__ == "__main__":
    cmd, names = sys.argv[1], sys.argv[2:]
    if cmd == "run":
        for n in names:
            run(n)
    elif cmd == "figures":
        for n in names or ("disjoint", "disjoint_init", "masked", "adam", "sgd"):
            if not list((RESULTS / f"rhm_d3pm_{n}").glob("d3pm_P*.json")):
                print("no runs for", n)
                continue
            figure_disjoint(n) if n.startswith("disjoint") else figure_series(n)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} run|figures [disjoint masked sgd]")
