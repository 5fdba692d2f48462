"""The ``memlab`` command line.

Subcommands (one per concept, plus the report):

* ``memlab report [--out DIR] [--quick|--full]``: every theory prediction of
  the package next to its numerical check, with figures and ``summary.md``
  ([`memlab.verification.report`][memlab.verification.report]).

* ``memlab crossover --N 200 --d 50 --K 12 [--weighting x0|eps] [--simulate]``:
  the crossover point M* of seed 001 (closed form with the finite-d constant,
  and the paper's C = 1 and C = 2 bounds); with ``--simulate``, the Monte Carlo
  crossover with its bootstrap interval, and with ``--plot DIR`` the figures.
* ``memlab mixing-time --sigma 1 --d 16 --n 10000``: the collapse time t_M of
  seed 003 and the KDE bandwidths it is compared with.
* ``memlab linear --d 16 [--trials 1000]``: the linear diffusion model's
  P(Delta > 0) curve and its transition n (seed 003 Fig. 3).
* ``memlab kernel --kernel ntk --d 64 --P 128 --sigma2 0.032``: the local
  eigenvalue and memorization time of a kernel (seed 000 App. G), with the
  regime check.
* ``memlab train gmm --N 20,40,60 --d 10,20 --K 2,4 --out DIR``: trained
  M-component GMM denoisers, their memorization ratio against M and the
  transition M_mem next to the predicted crossovers (seed 001 sec. 4);
  ``memlab train rhm --P 32,64,128 --out DIR``: a D3PM U-Net on RHM strings,
  its memorization time against P (seed 000 sec. 4.3). Both resume from DIR.
* ``memlab rhm --v 16 --m 4 --s 2 --L 3``: the Random Hierarchy Model's
  counts, sample complexities P*_l and a belief-propagation timing (seed 000
  sec. 4); ``--generate`` adds the exact-denoiser sampler's per-layer errors.

Each subcommand only parses its options and formats results computed by
[`memlab.theory`][memlab.theory] and [`memlab.verification`][memlab.verification]. `main` runs one
command line and returns its exit status (2 for invalid input):

Examples
--------
>>> from memlab.verification.cli import main
>>> main(["crossover", "--N", "200", "--d", "50", "--K", "12"])
memlab crossover: seed 001 Gaussian-mixture laboratory, N=200, d=50, K=12, sigma2=1.0, weighting=x0, 26-point VP grid
  closed form, finite-d C   : M* =   153.80  (0.769 N)
  closed form, C = 1         : M* =   132.07  (0.660 N)
  closed form, C = 2         : M* =   166.04  (0.830 N)
0
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from memlab import __version__


def _crossover(args) -> int:
    from memlab.theory.gmm import crossover_point

    N, d, K = args.N, args.d, args.K
    kw = dict(weighting=args.weighting, sigma2=args.sigma2)
    m_fin = crossover_point(N, d, K, **kw)
    print(f"memlab crossover: seed 001 Gaussian-mixture laboratory, N={N}, d={d}, K={K}, "
          f"sigma2={args.sigma2}, weighting={args.weighting}, 26-point VP grid")
    print(f"  closed form, finite-d C   : M* = {m_fin:8.2f}  ({m_fin / N:.3f} N)")
    for C in (1.0, 2.0):
        m = crossover_point(N, d, K, C=C, **kw)
        print(f"  closed form, C = {C:.0f}         : M* = {m:8.2f}  ({m / N:.3f} N)")
    if not (args.simulate or args.plot):
        return 0
    from memlab.verification.gmm import (plot_excess_per_t, plot_weighted_loss_vs_M,
                                  simulated_crossover_point)

    est = simulated_crossover_point(N, d, K, weighting=args.weighting, sigma2=args.sigma2,
                                    n_noise=args.n_noise, n_datasets=args.n_datasets,
                                    seed=args.seed, progress=not args.quiet)
    level = int(round(100 * est.confidence))
    print(f"  simulated ({args.n_datasets} datasets x {args.n_noise} noise draws, seed {args.seed}): "
          f"M* = {est.estimate:8.2f}  ({est.estimate / N:.3f} N), "
          f"{level}% CI [{est.ci_low:.2f}, {est.ci_high:.2f}]")
    print(f"  closed form - simulated   : {(m_fin - est.estimate) / N:+.3f} N")
    if args.plot:
        _save_figures(args.plot, {
            "gmm_excess_per_t.png": plot_excess_per_t(est.curves),
            "gmm_crossover.png": plot_weighted_loss_vs_M(est.curves, args.weighting, crossover=est)})
    return 0


def _save_figures(directory, figures) -> None:
    """Save each {file name: figure} into ``directory`` (created) at 120 dpi and print its path."""
    import os

    os.makedirs(directory, exist_ok=True)
    for name, fig in figures.items():
        path = os.path.join(directory, name)
        fig.savefig(path, dpi=120)
        print(f"  wrote {path}")


def _mixing_time(args) -> int:
    from memlab.theory.mixing import compare_bandwidths, mixing_time_leading

    c = compare_bandwidths(args.sigma, args.d, args.n)
    lead = mixing_time_leading(args.sigma, args.d, args.n)
    print(f"memlab mixing-time: data N(mu, sigma^2 I_d), OU process, sigma={args.sigma:g}, "
          f"d={args.d}, n={args.n:g} (alpha = log(n)/d = {float(np.log(args.n)) / args.d:.4g})")
    print(f"  collapse time t_M               : {c.t_M:.6g}")
    print(f"  leading order sigma^2/(2n^(2/d)): {lead:.6g}  (relative error "
          f"{lead / c.t_M - 1:+.2%})")
    print("  bandwidths of a Gaussian KDE of the n points:")
    print(f"    mixing width h_M              : {c.h_mixing:.6g}")
    print(f"    sqrt(2 t_M) (seed eq. 10)     : {c.h_sqrt_2tM:.6g}")
    print(f"    sigma n^(-1/d) (seed Fig. 3)  : {c.h_leading:.6g}")
    print(f"    exact MISE-optimal            : {c.h_optimal:.6g}")
    print(f"    AMISE (Silverman, seed eq. 11): {c.h_amise:.6g}")
    print(f"  h_M / optimal = {c.ratio:.4g}; MISE(h_M)/MISE(opt) - 1 = {c.mise_excess:.3g}; "
          f"best KDE's L2 gain over 0: exp({c.log_gain_optimal:.4g})")
    print(f"  verdict: {c.verdict}")
    return 0


def _linear(args) -> int:
    from memlab.theory.linear_diffusion import expected_hellinger, p_delta_curve

    n_values = (_int_list(args.n) if args.n else
                sorted({max(2, int(round(args.d * f))) for f in
                        (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)}))
    print(f"memlab linear: seed 003 linear diffusion, d={args.d}, mu={args.mu:g}, "
          f"sigma={args.sigma:g}, T={args.T:g}, lam={args.lam:.4g}, N_O={args.n_original}, "
          f"{args.trials} trials, seed {args.seed}")
    curve = p_delta_curve(n_values, args.d, mu=args.mu, sigma=args.sigma, T=args.T, lam=args.lam,
                          n_original=args.n_original, trials=args.trials, seed=args.seed,
                          progress=not args.quiet)
    header = "       n   P(Delta>0)   95% CI"
    if args.hellinger:
        header += "            E[H^2]"
    print(header)
    for n, e in zip(curve.n, curve.estimates):
        line = f"  {n:6d}   {e.estimate:10.3f}   [{e.ci_low:.3f}, {e.ci_high:.3f}]"
        if args.hellinger:
            h = expected_hellinger(int(n), args.d, mu=args.mu, sigma=args.sigma, T=args.T,
                                   lam=args.lam, trials=args.trials, seed=args.seed)
            line += f"   {h.estimate:.4f} +- {h.stderr:.4f}"
        print(line)
    if np.isfinite(curve.transition):
        print(f"  transition (P = 1/2, interpolated in log n): n = {curve.transition:.1f}")
    else:
        print("  transition: P does not cross 1/2 inside this range of n")
    if args.plot:
        from memlab.verification.linear_diffusion import plot_p_delta_vs_n
        _save_figures(args.plot, {f"p_delta_d{args.d}.png": plot_p_delta_vs_n([curve])})
    return 0


def _kernel(args) -> int:
    from memlab.theory.kernel_scaling import memorization_time_prediction

    if args.sigma2 <= 0:
        raise ValueError(f"sigma2 must be > 0, got {args.sigma2!r}")
    sigma = float(np.sqrt(args.sigma2))
    p = memorization_time_prediction(args.kernel, args.P, sigma, args.d, ell=args.ell)
    print(f"memlab kernel: seed 000 App. G, kernel={args.kernel}, d={args.d}, P={args.P}, "
          f"sigma^2={args.sigma2:g} (sigma={sigma:.4g})"
          + (f", ell={p.ell:g}" if p.ell is not None else ""))
    print(f"  small-distance expansion K = 1 - C r^nu: C = {p.C:.6g}, nu = {p.nu} (derived with sympy)")
    print(f"  beta_d(1,nu)/gamma_d(1) = {p.ratio:.6g} (large-d form: relative error "
          f"{p.relative_error:+.2e})")
    print(f"  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = {p.eigenvalue:.6g}")
    print(f"  memorization time tau_mem = 1/lambda_i = {p.tau_mem:.6g}  (large-d form "
          f"{p.tau_mem_asymptotic:.6g}); tau_mem grows like P / sigma^{p.nu}")
    print(f"  regime: sigma/dist between training points = {p.sigma_over_distance:.3g} "
          f"(needs << 1; components overlap near 1)")
    if p.spread_over_ell is not None:
        print(f"          sigma sqrt(2d)/ell = {p.spread_over_ell:.3g} (the expansion needs << 1)")
    print(f"  verdict: {'inside' if p.inside_regime else 'OUTSIDE'} the small-sigma regime of the "
          f"prediction (inter-point distance ~ {p.interpoint_distance:.3g})")
    if args.rayleigh:
        from memlab.verification.kernel_scaling import predicted_eigenvalue, rayleigh_quotient
        pred = predicted_eigenvalue(args.kernel, args.P, sigma, args.d, ell=args.ell)
        q = rayleigh_quotient(args.kernel, args.P, sigma, args.d, ell=args.ell,
                              n_centre=args.n_centre, seed=args.seed)
        print(f"  Monte Carlo Rayleigh quotient (cutoff exp(-|u|^2/(2d)), {q.n_samples} samples): "
              f"{q.estimate:.5g} +- {q.stderr:.2g}; prediction {pred:.5g} "
              f"(ratio {q.estimate / pred:.3f})")
    return 0


def _rhm(args) -> int:
    from memlab.theory import rhm
    from memlab.verification.rhm import bp_throughput

    g = rhm.sample_grammar(args.v, args.m, args.s, args.L, seed=args.seed)
    total = rhm.num_strings(args.v, args.m, args.s, args.L)
    print(f"memlab rhm: Random Hierarchy Model v={args.v}, m={args.m}, s={args.s}, L={args.L} "
          f"(d = s^L = {g.d} tokens), grammar seed {args.seed}")
    print(f"  distinct strings v m^((d-1)/(s-1)) = {total} ({float(total):.3e})")
    pstar = rhm.sample_complexity(args.v, args.m, args.L)
    print("  sample complexity P*_l ~ v m^(l+1) (order of magnitude, Favero et al. 2025):")
    for ell, p in enumerate(pstar, start=1):
        print(f"    layer {ell}: P*_{ell} = {p}")
    rate = bp_throughput(g, batch=args.batch, noise=args.noise, seed=args.seed)
    print(f"  belief propagation (upward + downward, all marginals, float64; numba kernel "
          f"fast_belief_propagation), batch {args.batch}, uniform noise 1 - abar = "
          f"{args.noise}: {rate:,.0f} strings/s")
    if args.generate:
        x = rhm.reverse_sample(g, args.n_samples, args.steps, seed=args.seed)
        errs = rhm.layer_error_fractions(g, x)
        print(f"  exact-denoiser reverse diffusion, {args.steps} steps, {args.n_samples} strings: "
              "fraction not valid up to layer " +
              ", ".join(f"{ell}: {e:.3f}" for ell, e in enumerate(errs, start=1)))
    return 0


def _report(args) -> int:
    from memlab.verification.report import run_report

    mode = "full" if args.full else "quick"
    try:
        rows = run_report(args.out, mode=mode,
                          checks=args.checks.split(",") if args.checks else None,
                          progress=not args.quiet, workers=args.workers)
    except KeyboardInterrupt:
        print(f"memlab report: interrupted; completed checks are kept in {args.out}/.cache "
              "and re-used by the next run", file=sys.stderr)
        return 130
    width = max(len(r.prediction) for r in rows)
    print(f"memlab report ({mode}): {len(rows)} predictions, written to {args.out}/summary.md")
    for r in rows:
        print(f"  {r.status:>22}  {r.prediction:<{width}}  {r.agreement}")
    return 1 if any(r.status == "FAIL" for r in rows) else 0


def _int_list(text):
    try:
        values = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise ValueError(f"expected comma-separated integers, got {text!r}")
    return values


def _train_gmm(args) -> int:
    import itertools

    from memlab.verification.training.gmm_denoiser import (calibrate_weighting, linear_law,
                                                           memorization_sweep,
                                                           predicted_crossovers, save_summary)

    _set_threads(args.threads)
    Ns, ds, Ks = _int_list(args.N), _int_list(args.d), _int_list(args.K)
    _check_out(args.out)
    results, predicted = [], {}
    print(f"memlab train gmm: M-component GMM denoisers (seed 001 sec. 4), {args.epochs} epochs, "
          f"{args.n_eval} DDIM samples per model, dataset seed {args.seed}")
    print("      N    d    K   start/N  M_mem/N   end/N   closed x0  closed eps  simulated x0")
    for N, d, K in itertools.product(Ns, ds, Ks):
        M_values = None
        if args.M_fractions:
            M_values = [max(1, round(float(f) * N)) for f in args.M_fractions.split(",")]
        r = memorization_sweep(N, d, K, M_values=M_values, epochs=args.epochs,
                               n_noise=args.n_noise, n_eval=args.n_eval, seed=args.seed,
                               out_dir=args.out, progress=not args.quiet)
        pred = predicted_crossovers(N, d, K, simulate=not args.no_simulate, seed=args.seed)
        results.append(r)
        predicted[(N, d, K)] = pred
        sim = pred.get("simulated x0", float("nan"))
        print(f"  {N:5d} {d:4d} {K:4d}   {r.start / N:6.3f}   {r.middle / N:6.3f}   {r.end / N:6.3f}"
              f"    {pred['closed form x0'] / N:6.3f}     {pred['closed form eps'] / N:6.3f}"
              f"       {sim / N:6.3f}")
    cal = None
    if len(results) >= 2:
        try:
            a, se, n = linear_law(results)
            print(f"  linear law M_mem = a N: a = {a:.3f} +- {se:.3f} ({n} settings)")
        except ValueError as exc:
            print(f"  linear law: {exc}")
        measured = [(r.N, r.d, r.K, r.middle) for r in results if np.isfinite(r.middle)]
        if measured:
            src = "closed_form" if args.no_simulate else "simulated"
            cal = calibrate_weighting(measured, source=src, seed=args.seed)
            print(f"  calibrated weighting ({src} losses, seed 001 App. H.3): rms error of M*/N "
                  f"{cal.rms_error:.3f}; weights at t = 0.999, 0.5, 0.001: {cal.weights[0]:.2f}, "
                  f"{cal.weights[len(cal.weights) // 2]:.2f}, {cal.weights[-1]:.2f}")
            print(f"  closed forms: the best single g = mean 1/(psi+1) is {cal.g_closed_form:.4f} "
                  f"(the value at t = {cal.t_effective:.3f})")
    if args.out:
        save_summary(results, predicted, cal, args.out)
        print(f"  wrote {args.out}/gmm_summary.json and gmm_memorization_ratio.png")
    return 0


def _train_rhm(args) -> int:
    from memlab.theory import rhm
    from memlab.verification.training.rhm_d3pm import (TAU_DEFINITIONS, save_summary,
                                                       tau_mem_scaling, train_d3pm)

    _set_threads(args.threads)
    _check_out(args.out)
    g = rhm.sample_grammar(args.v, args.m, args.s, args.L, seed=args.grammar_seed)
    Ps = _int_list(args.P)
    print(f"memlab train rhm: D3PM U-Net on RHM v={args.v}, m={args.m}, s={args.s}, L={args.L} "
          f"({rhm.num_strings(args.v, args.m, args.s, args.L)} strings; P* = "
          f"{rhm.sample_complexity(args.v, args.m, args.L)[-1]}), {args.channels} channels, "
          f"batch {args.batch_size}, lr {args.lr}, {args.steps_per_P} steps per training string")
    runs = []
    for P in Ps:
        r = train_d3pm(g, P, steps=args.steps_per_P * P, batch_size=args.batch_size, lr=args.lr,
                       channels=args.channels, threshold=args.threshold, n_val=args.n_val,
                       n_generate=args.n_generate, seed=args.seed, out_dir=args.out,
                       progress=not args.quiet)
        runs.append(r)
        best = int(np.argmin(r.val_loss))
        print(f"  P={P:5d}: tau_mem (gap > {args.threshold}) = {r.tau_mem:9.1f}, validation minimum "
              f"at {r.tau_val_min:8.0f}, copies reach 0.1 / 0.5 at {r.tau_copy(0.1):8.1f} / "
              f"{r.tau_copy(0.5):8.1f}; "
              f"final copies {r.copy_fraction[-1]:.3f}, invalid "
              f"{r.layer_errors[-1, -1]:.3f}; at the validation minimum copies "
              f"{r.copy_fraction[best]:.3f}, invalid {r.layer_errors[best, -1]:.3f}")
    fits = {}
    for which in TAU_DEFINITIONS:
        try:
            f = tau_mem_scaling(runs, which=which)
        except ValueError as exc:
            print(f"  {which} ~ P^beta: {exc}")
            continue
        fits[which] = f
        print(f"  {which} ~ P^beta: beta = {f.exponent:.3f} +- {f.stderr:.3f}, 95% CI "
              f"[{f.ci_low:.3f}, {f.ci_high:.3f}] ({f.n_samples} values of P)")
    if args.out:
        save_summary(runs, fits, args.out)
        print(f"  wrote {args.out}/d3pm_summary.json, d3pm_curves.png and d3pm_tau_vs_P.png")
    return 0


def _set_threads(n):
    if n:
        import torch
        torch.set_num_threads(int(n))


def _check_out(out):
    if out is not None:
        from memlab.verification.report import ensure_writable_dir
        ensure_writable_dir(out)


def _grammar_args(p, *, v, m, s=2, L=3):
    """The RHM grammar options --v --m --s --L with the given defaults."""
    p.add_argument("--v", type=int, default=v, help=f"vocabulary size per level (default {v})")
    p.add_argument("--m", type=int, default=m, help=f"rules per symbol (default {m})")
    p.add_argument("--s", type=int, default=s, help=f"branching factor (default {s})")
    p.add_argument("--L", type=int, default=L, help=f"depth (default {L})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memlab",
        description="memlab: theory of memorization versus generalization in diffusion models")
    parser.add_argument("--version", action="version", version=f"memlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("report", help="every prediction next to its numerical check (main job)")
    p.add_argument("--out", default="memlab-report", help="output directory (default memlab-report)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="CPU-sized checks (default; < 1 min)")
    size.add_argument("--full", action="store_true",
                      help="larger samples and the trained GMM denoisers (tens of minutes)")
    p.add_argument("--checks", help="comma-separated subset of: gmm, mixing, linear, kernel, "
                   "rhm, metrics, training")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=int, default=None,
                   help="processes running the checks, one thread each (default: one per "
                        "CPU; 1 runs them in this process)")
    p.set_defaults(func=_report)

    p = sub.add_parser("crossover", help="crossover point M*(N, d, K) of the GMM laboratory (seed 001)")
    p.add_argument("--N", type=int, default=200, help="training-set size (default 200)")
    p.add_argument("--d", type=int, default=50, help="dimension (default 50)")
    p.add_argument("--K", type=int, default=12, help="mixture components (default 12)")
    p.add_argument("--sigma2", type=float, default=1.0, help="component variance (default 1)")
    p.add_argument("--weighting", choices=["x0", "eps"], default="x0",
                   help="loss weighting over the time grid (default x0)")
    p.add_argument("--simulate", action="store_true",
                   help="also estimate M* by Monte Carlo of the exact training losses")
    p.add_argument("--n-noise", type=int, default=10, help="noise draws per point and time")
    p.add_argument("--n-datasets", type=int, default=8, help="independent datasets (>= 2)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--plot", metavar="DIR", help="write the figures to DIR (implies --simulate)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_crossover)

    p = sub.add_parser("mixing-time", help="collapse time t_M and KDE bandwidths (seed 003)")
    p.add_argument("--sigma", type=float, default=1.0, help="data standard deviation (default 1)")
    p.add_argument("--d", type=int, default=16, help="dimension (default 16)")
    p.add_argument("--n", type=float, default=1e4, help="number of training points (default 1e4)")
    p.set_defaults(func=_mixing_time)

    p = sub.add_parser("linear", help="linear diffusion model: P(Delta > 0) against n (seed 003)")
    p.add_argument("--d", type=int, default=16, help="dimension (default 16)")
    p.add_argument("--n", help="comma-separated training-set sizes (default: 0.5d .. 4d)")
    p.add_argument("--trials", type=int, default=1000, help="training sets per n (default 1000)")
    p.add_argument("--n-original", type=int, default=10_000, help="size N_O of the original set")
    p.add_argument("--mu", type=float, default=10.0, help="data mean (default 10)")
    p.add_argument("--sigma", type=float, default=1.0, help="data standard deviation (default 1)")
    p.add_argument("--T", type=float, default=2.0, help="noising time (default 2)")
    p.add_argument("--lam", type=float, default=float(np.exp(-4.0)), help="noise scale (default e^-4)")
    p.add_argument("--hellinger", action="store_true", help="also print E[H^2(rho, rho_G)]")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--plot", metavar="DIR", help="write the P(Delta > 0) figure to DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_linear)

    p = sub.add_parser("kernel", help="kernel eigenvalue and memorization time (seed 000 App. G)")
    p.add_argument("--kernel", choices=["ntk", "nngp", "laplace", "gaussian"], default="ntk")
    p.add_argument("--d", type=int, default=64, help="dimension (default 64)")
    p.add_argument("--P", type=int, default=128, help="training-set size (default 128)")
    p.add_argument("--sigma2", type=float, default=0.032, help="noise variance (default 0.032)")
    p.add_argument("--ell", type=float, default=1.0, help="length scale of laplace/gaussian kernels")
    p.add_argument("--rayleigh", action="store_true",
                   help="also estimate the eigenvalue by Monte Carlo from samples of p_sigma")
    p.add_argument("--n-centre", type=int, default=4000, help="Monte Carlo samples near x_0")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_kernel)

    p = sub.add_parser("rhm", help="Random Hierarchy Model: counts, P*_l, BP timing (seed 000)")
    _grammar_args(p, v=16, m=4)
    p.add_argument("--batch", type=int, default=1024, help="strings in the BP timing (default 1024)")
    p.add_argument("--noise", type=float, default=0.5, help="1 - abar of the timed strings")
    p.add_argument("--generate", action="store_true",
                   help="also sample with the exact denoiser and print per-layer errors")
    p.add_argument("--steps", type=int, default=100, help="reverse diffusion steps (default 100)")
    p.add_argument("--n-samples", type=int, default=1000, help="strings to generate (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_rhm)

    p = sub.add_parser("train", help="train diffusion models: GMM denoisers or a D3PM on the RHM")
    tsub = p.add_subparsers(dest="model", required=True)
    q = tsub.add_parser("gmm", help="GMM denoisers: memorization transition M_mem (seed 001)")
    q.add_argument("--N", default="20,40,60", help="training-set sizes, comma-separated")
    q.add_argument("--d", default="10,20", help="dimensions, comma-separated")
    q.add_argument("--K", default="2,4", help="mixture components, comma-separated")
    q.add_argument("--epochs", type=int, default=4000, help="Adam epochs per model (default 4000)")
    q.add_argument("--n-eval", type=int, default=200, help="DDIM samples per model (default 200)")
    q.add_argument("--n-noise", type=int, default=4,
                   help="noise draws per point and time per epoch (default 4)")
    q.add_argument("--M-fractions", metavar="F1,F2,..",
                   help="train M = round(F N) components only (default: N/10, ..., N, then 6 "
                        "values inside the transition)")
    q.add_argument("--no-simulate", action="store_true",
                   help="skip the simulated crossover (closed forms only)")
    q.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    q.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    q.add_argument("--out", metavar="DIR", help="save and resume results in DIR")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.set_defaults(func=_train_gmm)
    q = tsub.add_parser("rhm", help="D3PM U-Net on RHM strings: tau_mem against P (seed 000)")
    _grammar_args(q, v=8, m=3)
    q.add_argument("--P", default="64,128,256,512,1024", help="training-set sizes, comma-separated")
    q.add_argument("--steps-per-P", type=int, default=60, help="training steps per string (default 60)")
    q.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    q.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    q.add_argument("--channels", type=int, default=128, help="U-Net channels (default 128)")
    q.add_argument("--threshold", type=float, default=0.2,
                   help="validation - train loss gap defining tau_mem (nats, default 0.2)")
    q.add_argument("--n-val", type=int, default=512, help="validation strings (default 512)")
    q.add_argument("--n-generate", type=int, default=256,
                   help="strings generated at each evaluation (default 256)")
    q.add_argument("--grammar-seed", type=int, default=0, help="grammar seed (default 0)")
    q.add_argument("--seed", type=int, default=0, help="data and training seed (default 0)")
    q.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    q.add_argument("--out", metavar="DIR", help="save checkpoints and results in DIR; resume")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.set_defaults(func=_train_rhm)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"memlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # the report has its own message; training saves each finished sweep or run as its
        # own entry (atomically), so an interrupted command resumes from those
        out = getattr(args, "out", None)
        where = f" in {out}" if out else ""
        print(f"memlab {args.command}: interrupted; finished entries are kept{where} and "
              "re-used by the next run", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
