"""The built-in sweep experiments: one task each is one call of a memlab function.

| name | one task | outputs |
|---|---|---|
| ``gmm_crossover`` | `simulated_crossover_point(N, d, K)` and the closed form | M*, its bootstrap interval, closed-form M* |
| ``p_delta`` | `p_delta_positive(n, d)` (onset paper) | P(Delta > 0) and its Wilson interval |
| ``collapse_time`` | `collapse_times(d, n)` (onset paper, t_M) | median collapse time, its standard error, t_M |
| ``kernel_flow`` | `kernel_gradient_flow(kernel, P, sigma, d)` (Favero et al. 2025) | tau_mem |
| ``gmm_training`` | one trained M-component GMM denoiser (Buchanan et al. 2025, sec. 4; torch) | memorization ratio, learned sigma^2, final loss, train and held-out losses, median distances of the learned means to the training points and to the true means, sliced Wasserstein to the training and held-out sets |
| ``d3pm_rhm`` | one D3PM trained on P RHM strings (Favero et al. 2025, sec. 4; torch) | tau_mem, step of the smallest validation loss, final losses |
"""

from __future__ import annotations

import json

import numpy as np

from memlab.verification.sweep._registry import REQUIRED, register_experiment


def _gmm_crossover_figure(ds):
    """M*/N against N: simulated (points with their 95% interval) and closed form (dashed),
    colours by the first other grid axis (d), one panel per value of the second (K); the
    thin line is the least-squares M* = a N through the origin of each curve."""
    import matplotlib

    from memlab.verification._plotting import figure_for

    if "N" not in ds["M_star"].dims:
        return {}
    others = [dim for dim in ds["M_star"].dims if dim != "N"]
    colour_dim = others[0] if others else None
    panel_dim = others[1] if len(others) > 1 else None
    panels = list(ds[panel_dim].values) if panel_dim else [None]
    ncols = min(2, len(panels))
    nrows = -(-len(panels) // ncols)
    fig = figure_for(None, figsize=(5.2 * ncols, 3.6 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    N = ds["N"].values.astype(float)
    cmap = matplotlib.colormaps["viridis"]
    colours = list(ds[colour_dim].values) if colour_dim else [None]
    for ax, pv in zip(axes, panels):
        sub = ds.sel({panel_dim: pv}) if panel_dim else ds
        for c, cv in enumerate(colours):
            cur = sub.sel({colour_dim: cv}) if colour_dim else sub
            colour = cmap(0.9 * c / max(1, len(colours) - 1))
            m, lo, hi = (cur[v].values / N for v in ("M_star", "M_star_low", "M_star_high"))
            label = f"{colour_dim} = {cv}" if colour_dim else "simulated"
            ax.errorbar(N, m, yerr=[m - lo, hi - m], fmt="o", ms=4, color=colour, capsize=2,
                        label=label)
            ax.plot(N, cur["M_star_closed"].values / N, "--", color=colour, lw=1)
            ok = np.isfinite(cur["M_star"].values)
            if ok.sum() >= 2:
                a = float(np.sum(N[ok] * cur["M_star"].values[ok]) / np.sum(N[ok] ** 2))
                ax.plot(N[[0, -1]], [a, a], "-", color=colour, lw=0.6, alpha=0.7)
        ax.set_title(f"{panel_dim} = {pv}" if panel_dim else "", fontsize=9)
        ax.set_xticks(N, [f"{n:g}" for n in N])
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-ncols:]:
        ax.set_xlabel("N (training points)")
    for ax in axes[::ncols]:
        ax.set_ylabel("$M^*/N$")
    axes[0].legend(fontsize=7, title="points: simulated (95% CI)\ndashed: closed form, finite-d C",
                   title_fontsize=7)
    fixed = json.loads(ds.attrs.get("fixed_settings", "{}"))
    note = ", ".join(f"{k} = {v}" for k, v in fixed.items())
    fig.suptitle("Crossover $M^*/N$ of the Gaussian-mixture laboratory (Buchanan et al. "
                 f"2025); thin lines: fit $M^* = aN$\n{note}", fontsize=9)
    return {"gmm_crossover_vs_N.png": fig}


@register_experiment(
    "gmm_crossover",
    {"N": (int, REQUIRED), "d": (int, REQUIRED), "K": (int, REQUIRED), "sigma2": (float, 1.0),
     "weighting": (str, "x0"), "n_noise": (int, 10), "n_datasets": (int, 8),
     "seed": (int, 0)},
    {"M_star": (), "M_star_low": (), "M_star_high": (), "M_star_closed": ()},
    description="simulated crossover M* of the GMM laboratory (Buchanan et al. 2025) with "
                "the closed form",
    figure=_gmm_crossover_figure)
def gmm_crossover(N, d, K, sigma2, weighting, n_noise, n_datasets, seed):
    from memlab.theory.gmm import crossover_point
    from memlab.verification.gmm import simulated_crossover_point

    est = simulated_crossover_point(N, d, K, weighting=weighting, n_noise=n_noise,
                                    n_datasets=n_datasets, sigma2=sigma2, seed=seed)
    closed = crossover_point(N, d, K, sigma2=sigma2, weighting=weighting)
    return {"M_star": est.estimate, "M_star_low": est.ci_low, "M_star_high": est.ci_high,
            "M_star_closed": float(closed)}


@register_experiment(
    "p_delta",
    {"n": (int, REQUIRED), "d": (int, REQUIRED), "mu": (float, 10.0), "sigma": (float, 1.0),
     "n_original": (int, 10_000), "trials": (int, 1000), "seed": (int, 0)},
    {"probability": (), "ci_low": (), "ci_high": ()},
    description="P(Delta > 0) of the linear diffusion model (onset paper, Fig. 3)")
def p_delta(n, d, mu, sigma, n_original, trials, seed):
    from memlab.theory.linear_diffusion import p_delta_positive

    est = p_delta_positive(n, d, mu=mu, sigma=sigma, n_original=n_original, trials=trials,
                           seed=seed)
    return {"probability": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high}


@register_experiment(
    "collapse_time",
    {"d": (int, REQUIRED), "n": (int, REQUIRED), "sigma": (float, 1.0), "n_paths": (int, 64),
     "n_datasets": (int, 4), "n_steps": (int, 400), "seed": (int, 0)},
    {"estimate": (), "stderr": (), "theory": ()},
    description="median OU collapse time against the mixing time t_M (onset paper, eq. 9)")
def collapse_time(d, n, sigma, n_paths, n_datasets, n_steps, seed):
    from memlab.verification.mixing import collapse_times

    r = collapse_times(d, n, sigma=sigma, n_paths=n_paths, n_datasets=n_datasets,
                       n_steps=n_steps, seed=seed)
    return {"estimate": r.estimate, "stderr": r.stderr, "theory": r.theory}


@register_experiment(
    "kernel_flow",
    {"kernel": (str, "laplace"), "P": (int, REQUIRED), "sigma": (float, REQUIRED),
     "d": (int, REQUIRED), "ell": (float, 10.0), "seed": (int, 0)},
    {"tau_mem": ()},
    description="memorization time of the exact kernel gradient flow (Favero et al. 2025, "
                "App. G)")
def kernel_flow(kernel, P, sigma, d, ell, seed):
    from memlab.verification.kernel_scaling import kernel_gradient_flow

    return {"tau_mem": kernel_gradient_flow(kernel, P, sigma, d, ell=ell, seed=seed).tau_mem}


def _gmm_training_figure(ds):
    """Memorization ratio against M/N for every other grid point (left), and the transition
    M_mem (ratio 1/2) over N with the least-squares line M_mem = a N (right)."""
    import matplotlib

    from memlab.verification._plotting import figure_for
    from memlab.verification.training.gmm_denoiser import transition_points

    if "M" not in ds["ratio"].dims:
        return {}
    fixed = json.loads(ds.attrs.get("fixed_settings", "{}"))
    others = [dim for dim in ds["ratio"].dims if dim != "M"]
    ratio = ds["ratio"].transpose(*others, "M") if others else ds["ratio"]
    curves = ratio.stack(_curve=others) if others else ratio.expand_dims(_curve=[0])
    fig = figure_for(None, figsize=(10.5, 4.0))
    left, right = fig.subplots(1, 2)
    cmap = matplotlib.colormaps["viridis"]
    n = curves.sizes["_curve"]
    Ns, mids = [], []
    for c in range(n):
        cur = curves.isel(_curve=c)
        setting = {k: cur[k].item() for k in others}
        N = int(setting.get("N", fixed.get("N")))
        M = ds["M"].values.astype(float)
        r = cur.values
        ok = np.isfinite(r)
        colour = cmap(0.9 * c / max(1, n - 1))
        label = ", ".join(f"{k} = {v}" for k, v in setting.items()) or None
        left.plot(M[ok] / N, r[ok], "o-", ms=3, color=colour, label=label)
        if ok.sum() >= 2:
            mid = transition_points(M[ok], np.clip(r[ok], 0.0, 1.0))[1]
            if np.isfinite(mid):
                Ns.append(N)
                mids.append(mid)
                right.plot(N, mid / N, "o", color=colour)
    left.axhline(0.5, color="0.5", lw=0.8, ls=":")
    left.set_xlabel("M / N (mixture components per training point)")
    left.set_ylabel("memorization ratio of generated samples")
    left.set_ylim(-0.03, 1.03)
    if n <= 12:
        left.legend(fontsize=7)
    if len(Ns) >= 1:
        Ns, mids = np.array(Ns, float), np.array(mids)
        a = float(np.sum(Ns * mids) / np.sum(Ns ** 2))
        right.axhline(a, color="k", lw=0.8, label=f"fit $M_{{mem}} = aN$: a = {a:.3f}")
        right.legend(fontsize=8)
    right.set_xlabel("N (training points)")
    right.set_ylabel("$M_{mem}/N$ (ratio 1/2)")
    right.set_ylim(0.0, 1.05)
    if len(Ns):
        right.set_xlim(0.0, 1.1 * max(Ns))
    setting = ", ".join(f"{k} = {v}" for k, v in fixed.items())
    fig.suptitle("Trained M-component GMM denoisers (Buchanan et al. 2025, sec. 4)\n"
                 + setting, fontsize=9)
    return {"gmm_training_memorization.png": fig}


@register_experiment(
    "gmm_training",
    {"N": (int, REQUIRED), "d": (int, REQUIRED), "K": (int, REQUIRED), "M": (int, REQUIRED),
     "epochs": (int, 4000), "lr": (float, 1e-2), "n_noise": (int, 4), "n_eval": (int, 200),
     "seed": (int, 0)},
    {"ratio": (), "sigma2": (), "final_loss": (), "train_loss_eval": (), "test_loss": (),
     "dist_train_median": (), "dist_true_median": (), "sw_train": (), "sw_test": ()},
    description="one trained M-component GMM denoiser: memorization ratio, held-out loss, "
                "learned parameters (Buchanan et al. 2025, sec. 4, App. H.5; needs torch)",
    figure=_gmm_training_figure)
def gmm_training(N, d, K, M, epochs, lr, n_noise, n_eval, seed):
    import numpy as np

    from memlab.theory.gmm import sample_gmm
    from memlab.theory.metrics import memorization_ratio
    from memlab.verification.training.gmm_denoiser import (ddim_sample, sample_held_out,
                                                           train_gmm_denoisers)

    if M > N:
        raise ValueError(f"M must be <= N = {N}, got {M}")
    data = sample_gmm(N, d, K, seed=seed)
    # the held-out set, evaluation noise and seeds memorization_sweep uses for a batch made
    # of this M alone (held-out set of N points; sliced Wasserstein at the last epoch only)
    test = sample_held_out(data, N, seed=np.random.default_rng([seed, 29]))
    run = train_gmm_denoisers(data.x, [M], epochs=epochs, lr=lr, n_noise=n_noise,
                              seed=seed * 100003 + M, progress=False, test=test,
                              true_means=data.means, checkpoints=[epochs], eval_seed=seed)[0]
    xs = ddim_sample(run.means, run.sigma2, n_eval, seed=seed * 7 + M)
    return {"ratio": memorization_ratio(xs, data.x), "sigma2": float(run.sigma2),
            "final_loss": float(run.loss[-20:].mean()),
            "train_loss_eval": run.train_loss_eval, "test_loss": run.test_loss,
            "dist_train_median": float(np.median(run.distances["train"])),
            "dist_true_median": float(np.median(run.distances["true"])),
            "sw_train": float(run.sw_curve["train"][-1]),
            "sw_test": float(run.sw_curve["test"][-1])}


@register_experiment(
    "d3pm_rhm",
    {"v": (int, 16), "m": (int, 4), "s": (int, 2), "L": (int, 3), "grammar_seed": (int, 0),
     "P": (int, REQUIRED), "steps": (int, 20000), "batch_size": (int, 32), "lr": (float, 1e-3),
     "channels": (int, 128), "seed": (int, 0)},
    {"tau_mem": (), "tau_val_min": (), "final_train_loss": (), "final_val_loss": ()},
    description="one D3PM trained on P strings of a Random Hierarchy Model (Favero et al. "
                "2025, sec. 4; needs torch)")
def d3pm_rhm(v, m, s, L, grammar_seed, P, steps, batch_size, lr, channels, seed):
    from memlab.theory.rhm import sample_grammar
    from memlab.verification.training.rhm_d3pm import train_d3pm

    g = sample_grammar(v, m, s, L, seed=grammar_seed)
    run = train_d3pm(g, P, steps=steps, batch_size=batch_size, lr=lr, channels=channels,
                     seed=seed, progress=False)
    return {"tau_mem": run.tau_mem, "tau_val_min": run.tau_val_min,
            "final_train_loss": float(run.train_loss[-1]),
            "final_val_loss": float(run.val_loss[-1])}
