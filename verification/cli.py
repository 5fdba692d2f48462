r"""The ``memlab`` command line.

Subcommands (one per concept, plus the report):

* ``memlab report [--out DIR] [--quick|--full]``: every theory prediction of
  the package next to its numerical check, with figures, ``summary.md`` and
  ``summary.json`` ([`memlab.verification.report`][memlab.verification.report]).
* ``memlab crossover --N 200 --d 50 --K 12 [--weighting x0|eps] [--simulate]``:
  the crossover point $M^*$ of the Gaussian-mixture laboratory of Buchanan et al.
  (2025) (closed form with the finite-$d$ constant, and the paper's $C = 1$ and
  $C = 2$ bounds); with ``--simulate``, the Monte Carlo crossover with its bootstrap
  interval, and with ``--plot DIR`` the figures.
* ``memlab mixing-time --sigma 1 --d 16 --n 10000``: the collapse time $t_M$ of the
  onset paper (anonymous, under review) and the KDE bandwidths it is compared with.
* ``memlab linear --d 16 [--trials 1000]``: the linear diffusion model's
  $P(\Delta > 0)$ curve and its transition $n$ (onset paper, Fig. 3).
* ``memlab kernel --kernel ntk --d 64 --P 128 --sigma2 0.032``: the local
  eigenvalue and memorization time of a kernel (Favero et al. 2025, App. G), with
  the regime check.
* ``memlab rhm --v 16 --m 4 --s 2 --L 3``: the Random Hierarchy Model's counts,
  sample complexities $P^*_\ell$ and a belief-propagation timing (Favero et al.
  2025, Sec. 4); ``--generate`` adds the exact-denoiser sampler's per-layer errors.
* ``memlab train gmm --N 20,40,60 --d 10,20 --K 2,4``: trained $M$-component GMM
  denoisers, their memorization ratio against $M$ and the transition
  $M_{\mathrm{mem}}$ next to the predicted crossovers (Buchanan et al. 2025,
  Sec. 4); ``memlab train rhm --P 32,64,128``: a D3PM U-Net on RHM strings, its
  memorization time against $P$ (Favero et al. 2025, Sec. 4.3). Both resume from
  their ``--out`` directory. They need torch (the ``train`` extra).
* ``memlab train rhm-layers --P 16,32,64,128,256,512``: the same D3PM on a deeper
  grammar, layer by layer: the learning time of each layer against $P$, the measured
  sample complexities against $P^*_\ell$ and the phase diagram drawn from them
  (Favero et al. 2025, Sec. 4.4, Figs. 5a and 6;
  [`memlab.verification.training.rhm_layers`][memlab.verification.training.rhm_layers]).
* ``memlab sweep SPEC [--store DIR] [--workers N | --scheduler ADDRESS |
  --scheduler-file FILE] [--status] [--list]``: an experiment over a grid of settings on
  Dask (an embedded LocalCluster by default), one stored result per task (a rerun
  computes only the missing ones), then one labelled dataset (netCDF and CSV) and the
  experiment's figures in ``--out``
  ([`memlab.verification.sweep`][memlab.verification.sweep]; the ``sweep`` extra).

Options every subcommand takes:

* ``--json``: print one JSON document on stdout instead of the text: the command,
  its settings, the numbers the text shows, the result objects' ``to_dict()``, the
  files written, the exit status and the memlab version. It is standard JSON
  (``json.dumps(..., allow_nan=False)``): a non-finite number of the command's own
  fields is ``null``, one inside a ``to_dict()`` is the string ``"nan"``, ``"inf"``
  or ``"-inf"`` (what ``from_dict`` reads back).
* ``--verbose`` / ``--quiet`` (also accepted before the subcommand): log messages
  (logger ``"memlab"``) on stderr at DEBUG (``--verbose``), WARNING (default) or
  ERROR (``--quiet``). Progress bars (tqdm) go to stderr and are off with
  ``--quiet`` or ``--json``.
* ``--out DIR`` (every subcommand except ``mixing-time``, which is instant): where
  the results are saved. The default is ``memlab-report`` for the report and
  ``memlab-out/<command>`` for the others (``memlab-out/train-gmm`` for
  ``train gmm``); ``--no-save`` writes nothing (not for the report). Each
  subcommand other than the report saves its JSON document there as
  ``<command>.json``; the report writes ``summary.md`` and ``summary.json``.

Nothing but the results goes to stdout. Exit status: 0 on success, 1 when a report
check FAILs, 2 for invalid input (one line ``memlab <command>: error: ...`` on
stderr), 130 when interrupted (finished work is kept in ``--out``).

Each subcommand only parses its options and formats results computed by
[`memlab.theory`][memlab.theory] and [`memlab.verification`][memlab.verification].
[`main`][memlab.verification.cli.main] runs one command line and returns its exit
status; [`build_parser`][memlab.verification.cli.build_parser] builds the argument
parser.

Examples
--------
>>> from memlab.verification.cli import main
>>> main(["crossover", "--N", "200", "--d", "50", "--K", "12", "--no-save"])
memlab crossover: Gaussian-mixture laboratory of Buchanan et al. (2025), N=200, d=50, K=12, sigma2=1.0, weighting=x0, 26-point VP grid
  closed form, finite-d C   : M* =   153.80  (0.769 N)
  closed form, C = 1         : M* =   132.07  (0.660 N)
  closed form, C = 2         : M* =   166.04  (0.830 N)
0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
from pathlib import Path

import numpy as np

from memlab import __version__

__all__ = ["build_parser", "main"]

_LOG = logging.getLogger("memlab")
#: Format tag of the JSON documents of ``--json`` (and of the saved ``<command>.json``).
JSON_SCHEMA = "memlab-cli-v1"
#: Settings that only steer the output, left out of the JSON document's ``settings``.
_OUTPUT_ONLY = {"func", "json", "verbose", "quiet", "command", "model", "no_save", "save_as"}


class _Output:
    """What one subcommand reports: text lines (printed unless ``--json``), the numbers
    and result objects of the JSON document, and the files written."""

    def __init__(self, json_mode: bool):
        self.json = json_mode
        self.results = {}
        self.files = []

    def line(self, text: str = "") -> None:
        if not self.json:
            print(text)

    def wrote(self, path, text: str | bool | None = None) -> None:
        """Record a written file; print ``text`` (default ``  wrote PATH``; False: nothing)
        unless --json."""
        self.files.append(str(path))
        if text is not False:
            self.line(f"  wrote {path}" if text is None else text)


def _progress(args) -> bool:
    """Progress bars: on, except with --quiet or --json."""
    return not (args.quiet or args.json)


def _jsonable(value):
    """``value`` as plain JSON data: results through ``to_dict()``, numpy scalars and
    arrays as Python numbers and lists, tuples as lists, non-finite floats as None."""
    from memlab._results import Result

    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"cannot write a value of type {type(value).__name__} as JSON")


def _check_out(out) -> None:
    """A ValueError unless ``out`` is a directory that can be created or written to
    (nothing is created: the directory appears when the results are saved)."""
    path = Path(out)
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f"out must be a writable directory, got {str(out)!r}")


def _make_out(out) -> None:
    """Create ``out`` (and check that it is writable) before a command writes into it."""
    from memlab.verification.report import ensure_writable_dir

    ensure_writable_dir(out)


def _save_figures(out: _Output, directory, figures) -> None:
    """Save each {file name: figure} into ``directory`` (created) at 120 dpi."""
    os.makedirs(directory, exist_ok=True)
    for name, fig in figures.items():
        path = os.path.join(directory, name)
        fig.savefig(path, dpi=120)
        out.wrote(path)


# --------------------------------------------------------------------------------------
# Subcommands: each takes (args, out), prints through out.line, fills out.results and
# returns the exit status.
# --------------------------------------------------------------------------------------

def _crossover(args, out: _Output) -> int:
    from memlab.theory.gmm import crossover_point

    N, d, K = args.N, args.d, args.K
    kw = dict(weighting=args.weighting, sigma2=args.sigma2)
    m_fin = crossover_point(N, d, K, **kw)
    out.line(f"memlab crossover: Gaussian-mixture laboratory of Buchanan et al. (2025), "
             f"N={N}, d={d}, K={K}, sigma2={args.sigma2}, weighting={args.weighting}, "
             "26-point VP grid")
    out.line(f"  closed form, finite-d C   : M* = {m_fin:8.2f}  ({m_fin / N:.3f} N)")
    closed = {"finite_d": {"M_star": m_fin, "M_star_over_N": m_fin / N}}
    for C in (1.0, 2.0):
        m = crossover_point(N, d, K, C=C, **kw)
        closed[f"C_{C:.0f}"] = {"M_star": m, "M_star_over_N": m / N}
        out.line(f"  closed form, C = {C:.0f}         : M* = {m:8.2f}  ({m / N:.3f} N)")
    out.results["closed_form"] = closed
    if args.out is not None:
        _check_out(args.out)
    if not (args.simulate or args.plot):
        return 0
    from memlab.verification.gmm import (plot_excess_per_t, plot_weighted_loss_vs_M,
                                         simulated_crossover_point)

    _LOG.info("simulating the exact training losses: %d datasets x %d noise draws, seed %d",
              args.n_datasets, args.n_noise, args.seed)
    est = simulated_crossover_point(N, d, K, weighting=args.weighting, sigma2=args.sigma2,
                                    n_noise=args.n_noise, n_datasets=args.n_datasets,
                                    seed=args.seed, progress=_progress(args))
    level = int(round(100 * est.confidence))
    out.line(f"  simulated ({args.n_datasets} datasets x {args.n_noise} noise draws, seed "
             f"{args.seed}): M* = {est.estimate:8.2f}  ({est.estimate / N:.3f} N), "
             f"{level}% CI [{est.ci_low:.2f}, {est.ci_high:.2f}]")
    out.line(f"  closed form - simulated   : {(m_fin - est.estimate) / N:+.3f} N")
    out.results["simulated"] = {"M_star": est.estimate, "M_star_over_N": est.estimate / N,
                                "ci_low": est.ci_low, "ci_high": est.ci_high,
                                "confidence": est.confidence, "estimate": est}
    out.results["closed_minus_simulated_over_N"] = (m_fin - est.estimate) / N
    if args.plot:
        _save_figures(out, args.plot, {
            "gmm_excess_per_t.png": plot_excess_per_t(est.curves),
            "gmm_crossover.png": plot_weighted_loss_vs_M(est.curves, args.weighting,
                                                         crossover=est)})
    return 0


def _mixing_time(args, out: _Output) -> int:
    from memlab.theory.mixing import compare_bandwidths, mixing_time_leading

    c = compare_bandwidths(args.sigma, args.d, args.n)
    lead = mixing_time_leading(args.sigma, args.d, args.n)
    alpha = float(np.log(args.n)) / args.d
    out.line(f"memlab mixing-time: data N(mu, sigma^2 I_d), OU process, sigma={args.sigma:g}, "
             f"d={args.d}, n={args.n:g} (alpha = log(n)/d = {alpha:.4g})")
    for indent, label, value in (
            ("  ", "collapse time t_M", f"{c.t_M:.6g}"),
            ("  ", "leading order sigma^2/(2n^(2/d))",
             f"{lead:.6g}  (relative error {lead / c.t_M - 1:+.2%})"),
            ("  ", "bandwidths of a Gaussian KDE of the n points:", None),
            ("    ", "mixing width h_M", f"{c.h_mixing:.6g}"),
            ("    ", "sqrt(2 t_M) (onset paper, eq. 10)", f"{c.h_sqrt_2tM:.6g}"),
            ("    ", "sigma n^(-1/d) (onset paper, Fig. 3)", f"{c.h_leading:.6g}"),
            ("    ", "exact MISE-optimal", f"{c.h_optimal:.6g}"),
            ("    ", "AMISE (Silverman; onset paper, eq. 11)", f"{c.h_amise:.6g}")):
        out.line(f"{indent}{label}" if value is None else
                 f"{indent}{label:<{42 - len(indent)}}: {value}")
    out.line(f"  h_M / optimal = {c.ratio:.4g}; MISE(h_M)/MISE(opt) - 1 = {c.mise_excess:.3g}; "
             f"best KDE's L2 gain over 0: exp({c.log_gain_optimal:.4g})")
    out.line(f"  verdict: {c.verdict}")
    out.results.update(alpha=alpha, t_M=c.t_M, t_M_leading_order=lead,
                       leading_order_relative_error=lead / c.t_M - 1, comparison=c)
    return 0


def _linear(args, out: _Output) -> int:
    from memlab.theory.linear_diffusion import expected_hellinger, p_delta_curve

    n_values = (_int_list(args.n) if args.n else
                sorted({max(2, int(round(args.d * f))) for f in
                        (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)}))
    if args.out is not None:
        _check_out(args.out)
    out.line(f"memlab linear: linear diffusion model of the onset paper, d={args.d}, "
             f"mu={args.mu:g}, sigma={args.sigma:g}, T={args.T:g}, lam={args.lam:.4g}, "
             f"N_O={args.n_original}, {args.trials} trials, seed {args.seed}")
    _LOG.info("estimating P(Delta > 0) at %d values of n, %d trials each", len(n_values),
              args.trials)
    curve = p_delta_curve(n_values, args.d, mu=args.mu, sigma=args.sigma, T=args.T, lam=args.lam,
                          n_original=args.n_original, trials=args.trials, seed=args.seed,
                          progress=_progress(args))
    header = "       n   P(Delta>0)   95% CI"
    if args.hellinger:
        header += "            E[H^2]"
    out.line(header)
    table = []
    for n, e in zip(curve.n, curve.estimates):
        line = f"  {n:6d}   {e.estimate:10.3f}   [{e.ci_low:.3f}, {e.ci_high:.3f}]"
        entry = {"n": int(n), "p_delta": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high}
        if args.hellinger:
            h = expected_hellinger(int(n), args.d, mu=args.mu, sigma=args.sigma, T=args.T,
                                   lam=args.lam, trials=args.trials, seed=args.seed)
            line += f"   {h.estimate:.4f} +- {h.stderr:.4f}"
            entry.update(hellinger=h.estimate, hellinger_stderr=h.stderr)
        table.append(entry)
        out.line(line)
    if np.isfinite(curve.transition):
        out.line(f"  transition (P = 1/2, interpolated in log n): n = {curve.transition:.1f}")
    else:
        out.line("  transition: P does not cross 1/2 inside this range of n")
    out.results.update(table=table, transition=curve.transition, curve=curve)
    if args.plot:
        from memlab.verification.linear_diffusion import plot_p_delta_vs_n
        _save_figures(out, args.plot, {f"p_delta_d{args.d}.png": plot_p_delta_vs_n([curve])})
    return 0


def _kernel(args, out: _Output) -> int:
    from memlab.theory.kernel_scaling import memorization_time_prediction

    if args.sigma2 <= 0:
        raise ValueError(f"sigma2 must be > 0, got {args.sigma2!r}")
    sigma = float(np.sqrt(args.sigma2))
    p = memorization_time_prediction(args.kernel, args.P, sigma, args.d, ell=args.ell)
    if args.out is not None:
        _check_out(args.out)
    out.line(f"memlab kernel: Favero et al. 2025, App. G, kernel={args.kernel}, d={args.d}, "
             f"P={args.P}, sigma^2={args.sigma2:g} (sigma={sigma:.4g})"
             + (f", ell={p.ell:g}" if p.ell is not None else ""))
    out.line(f"  small-distance expansion K = 1 - C r^nu: C = {p.C:.6g}, nu = {p.nu} "
             "(derived with sympy)")
    out.line(f"  beta_d(1,nu)/gamma_d(1) = {p.ratio:.6g} (large-d form: relative error "
             f"{p.relative_error:+.2e})")
    out.line(f"  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = {p.eigenvalue:.6g}")
    out.line(f"  memorization time tau_mem = 1/lambda_i = {p.tau_mem:.6g}  (large-d form "
             f"{p.tau_mem_asymptotic:.6g}); tau_mem grows like P / sigma^{p.nu}")
    out.line(f"  regime: sigma/dist between training points = {p.sigma_over_distance:.3g} "
             f"(needs << 1; components overlap near 1)")
    if p.spread_over_ell is not None:
        out.line(f"          sigma sqrt(2d)/ell = {p.spread_over_ell:.3g} "
                 "(the expansion needs << 1)")
    out.line(f"  verdict: {'inside' if p.inside_regime else 'OUTSIDE'} the small-sigma regime "
             f"of the prediction (inter-point distance ~ {p.interpoint_distance:.3g})")
    out.results.update(sigma=sigma, prediction=p)
    if args.rayleigh:
        from memlab.verification.kernel_scaling import predicted_eigenvalue, rayleigh_quotient
        pred = predicted_eigenvalue(args.kernel, args.P, sigma, args.d, ell=args.ell)
        _LOG.info("Monte Carlo Rayleigh quotient from %d samples near x_0", args.n_centre)
        q = rayleigh_quotient(args.kernel, args.P, sigma, args.d, ell=args.ell,
                              n_centre=args.n_centre, seed=args.seed)
        out.line(f"  Monte Carlo Rayleigh quotient (cutoff exp(-|u|^2/(2d)), {q.n_samples} "
                 f"samples): {q.estimate:.5g} +- {q.stderr:.2g}; prediction {pred:.5g} "
                 f"(ratio {q.estimate / pred:.3f})")
        out.results["rayleigh"] = {"estimate": q.estimate, "stderr": q.stderr,
                                   "predicted_eigenvalue": pred, "ratio": q.estimate / pred,
                                   "quotient": q}
    return 0


def _rhm(args, out: _Output) -> int:
    from memlab.theory import rhm
    from memlab.verification.rhm import bp_throughput

    g = rhm.sample_grammar(args.v, args.m, args.s, args.L, seed=args.seed)
    if args.out is not None:
        _check_out(args.out)
    total = rhm.num_strings(args.v, args.m, args.s, args.L)
    out.line(f"memlab rhm: Random Hierarchy Model v={args.v}, m={args.m}, s={args.s}, "
             f"L={args.L} (d = s^L = {g.d} tokens), grammar seed {args.seed}")
    out.line(f"  distinct strings v m^((d-1)/(s-1)) = {total} ({float(total):.3e})")
    pstar = rhm.sample_complexity(args.v, args.m, args.L)
    out.line("  sample complexity P*_l ~ v m^(l+1) (order of magnitude, Favero et al. 2025):")
    for ell, p in enumerate(pstar, start=1):
        out.line(f"    layer {ell}: P*_{ell} = {p}")
    _LOG.info("timing belief propagation on %d strings", args.batch)
    rate = bp_throughput(g, batch=args.batch, noise=args.noise, seed=args.seed)
    out.line(f"  belief propagation (upward + downward, all marginals, float64; numba kernel "
             f"fast_belief_propagation), batch {args.batch}, uniform noise 1 - abar = "
             f"{args.noise}: {rate:,.0f} strings/s")
    out.results.update(d=g.d, num_strings=int(total), sample_complexity=[int(p) for p in pstar],
                       bp_strings_per_second=rate)
    if args.generate:
        _LOG.info("sampling %d strings with the exact denoiser, %d steps", args.n_samples,
                  args.steps)
        x = rhm.reverse_sample(g, args.n_samples, args.steps, seed=args.seed)
        errs = rhm.layer_error_fractions(g, x)
        out.line(f"  exact-denoiser reverse diffusion, {args.steps} steps, {args.n_samples} "
                 "strings: fraction not valid up to layer " +
                 ", ".join(f"{ell}: {e:.3f}" for ell, e in enumerate(errs, start=1)))
        out.results["generation"] = {"steps": args.steps, "n_samples": args.n_samples,
                                     "layer_error_fractions": errs}
    return 0


def _report(args, out: _Output) -> int:
    from memlab.verification.report import run_report

    mode = "full" if args.full else "quick"
    try:
        rows = run_report(args.out, mode=mode,
                          checks=args.checks.split(",") if args.checks else None,
                          progress=_progress(args), workers=args.workers)
    except KeyboardInterrupt:
        print(f"memlab report: interrupted; completed checks are kept in {args.out}/.cache "
              "and re-used by the next run", file=sys.stderr)
        return 130
    summary = Path(args.out) / "summary.md"
    out.wrote(summary, text=False)
    out.wrote(summary.with_suffix(".json"), text=False)
    counts = {s: sum(r.status == s for r in rows)
              for s in ("pass", "deviation (documented)", "FAIL")}
    out.results.update(mode=mode, n_predictions=len(rows), counts=counts, rows=rows)
    width = max((len(r.prediction) for r in rows), default=0)
    out.line(f"memlab report ({mode}): {len(rows)} predictions, written to {summary}")
    for r in rows:
        out.line(f"  {r.status:>22}  {r.prediction:<{width}}  {r.agreement}")
    return 1 if counts["FAIL"] else 0


def _int_list(text):
    try:
        values = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise ValueError(f"expected comma-separated integers, got {text!r}")
    return values


def _train_gmm(args, out: _Output) -> int:
    import itertools

    from memlab.verification.training.gmm_denoiser import (calibrate_weighting, linear_law,
                                                           memorization_sweep,
                                                           predicted_crossovers, save_summary)

    _set_threads(args.threads)
    Ns, ds, Ks = _int_list(args.N), _int_list(args.d), _int_list(args.K)
    if args.out is not None:
        _make_out(args.out)
    results, predicted, table = [], {}, []
    out.line(f"memlab train gmm: M-component GMM denoisers (Buchanan et al. 2025, Sec. 4), "
             f"{args.epochs} epochs, {args.n_eval} DDIM samples per model, dataset seed "
             f"{args.seed}")
    out.line("      N    d    K   start/N  M_mem/N   end/N   closed x0  closed eps  simulated x0")
    for N, d, K in itertools.product(Ns, ds, Ks):
        M_values = None
        if args.M_fractions:
            M_values = [max(1, round(float(f) * N)) for f in args.M_fractions.split(",")]
        _LOG.info("training the GMM denoisers at (N, d, K) = (%d, %d, %d)", N, d, K)
        r = memorization_sweep(N, d, K, M_values=M_values, epochs=args.epochs,
                               n_noise=args.n_noise, n_eval=args.n_eval, seed=args.seed,
                               out_dir=args.out, progress=_progress(args), n_test=args.n_test)
        pred = predicted_crossovers(N, d, K, simulate=not args.no_simulate, seed=args.seed)
        results.append(r)
        predicted[(N, d, K)] = pred
        sim = pred.get("simulated x0", float("nan"))
        out.line(f"  {N:5d} {d:4d} {K:4d}   {r.start / N:6.3f}   {r.middle / N:6.3f}   "
                 f"{r.end / N:6.3f}    {pred['closed form x0'] / N:6.3f}     "
                 f"{pred['closed form eps'] / N:6.3f}       {sim / N:6.3f}")
        table.append({"N": N, "d": d, "K": K, "start": r.start, "M_mem": r.middle,
                      "end": r.end, "predicted": pred, "sweep": r})
    out.results["settings"] = table
    cal = None
    if len(results) >= 2:
        try:
            a, se, n = linear_law(results)
            out.line(f"  linear law M_mem = a N: a = {a:.3f} +- {se:.3f} ({n} settings)")
            out.results["linear_law"] = {"a": a, "stderr": se, "n_settings": n}
        except ValueError as exc:
            out.line(f"  linear law: {exc}")
            out.results["linear_law"] = {"error": str(exc)}
        measured = [(r.N, r.d, r.K, r.middle) for r in results if np.isfinite(r.middle)]
        if measured:
            src = "closed_form" if args.no_simulate else "simulated"
            cal = calibrate_weighting(measured, source=src, seed=args.seed)
            out.line(f"  calibrated weighting ({src} losses, Buchanan et al. 2025, App. H.3): "
                     f"rms error of M*/N {cal.rms_error:.3f}; weights at t = 0.999, 0.5, "
                     f"0.001: {cal.weights[0]:.2f}, {cal.weights[len(cal.weights) // 2]:.2f}, "
                     f"{cal.weights[-1]:.2f}")
            out.line(f"  closed forms: the best single g = mean 1/(psi+1) is "
                     f"{cal.g_closed_form:.4f} (the value at t = {cal.t_effective:.3f})")
    out.results["calibration"] = cal
    if args.out is not None:
        save_summary(results, predicted, cal, args.out)
        for name in ("gmm_summary.json", "gmm_memorization_ratio.png"):
            out.wrote(Path(args.out) / name, text=False)
        out.line(f"  wrote {args.out}/gmm_summary.json and gmm_memorization_ratio.png")
    return 0


def _train_rhm(args, out: _Output) -> int:
    from memlab.theory import rhm
    from memlab.verification.training.rhm_d3pm import (TAU_DEFINITIONS, save_summary,
                                                       tau_mem_scaling, train_d3pm)

    _set_threads(args.threads)
    if args.out is not None:
        _make_out(args.out)
    g = rhm.sample_grammar(args.v, args.m, args.s, args.L, seed=args.grammar_seed)
    Ps = _int_list(args.P)
    out.line(f"memlab train rhm: D3PM U-Net on RHM v={args.v}, m={args.m}, s={args.s}, "
             f"L={args.L} ({rhm.num_strings(args.v, args.m, args.s, args.L)} strings; P* = "
             f"{rhm.sample_complexity(args.v, args.m, args.L)[-1]}), {args.channels} channels, "
             f"batch {args.batch_size}, lr {args.lr}, {args.steps_per_P} steps per training "
             f"string; {args.process} noise, {args.schedule} schedule, {args.optimizer}"
             + ("" if args.train_block is None else f", training block {args.train_block}"))
    runs, table = [], []
    for P in Ps:
        _LOG.info("training the D3PM on P = %d strings, %d steps", P, args.steps_per_P * P)
        r = train_d3pm(g, P, steps=args.steps_per_P * P, batch_size=args.batch_size, lr=args.lr,
                       channels=args.channels, threshold=args.threshold, n_val=args.n_val,
                       n_generate=args.n_generate, seed=args.seed, out_dir=args.out,
                       progress=_progress(args), process=args.process,
                       schedule=args.schedule, optimizer=args.optimizer,
                       train_block=args.train_block)
        runs.append(r)
        best = int(np.argmin(r.val_loss))
        out.line(f"  P={P:5d}: tau_mem (gap > {args.threshold}) = {r.tau_mem:9.1f}, validation "
                 f"minimum at {r.tau_val_min:8.0f}, copies reach 0.1 / 0.5 at "
                 f"{r.tau_copy(0.1):8.1f} / {r.tau_copy(0.5):8.1f}; "
                 f"final copies {r.copy_fraction[-1]:.3f}, invalid "
                 f"{r.layer_errors[-1, -1]:.3f}; at the validation minimum copies "
                 f"{r.copy_fraction[best]:.3f}, invalid {r.layer_errors[best, -1]:.3f}")
        table.append({"P": P, "tau_mem": r.tau_mem, "tau_val_min": r.tau_val_min,
                      "tau_copy_0.1": r.tau_copy(0.1), "tau_copy_0.5": r.tau_copy(0.5),
                      "final_copy_fraction": r.copy_fraction[-1],
                      "final_invalid_fraction": r.layer_errors[-1, -1],
                      "copy_fraction_at_validation_minimum": r.copy_fraction[best],
                      "invalid_fraction_at_validation_minimum": r.layer_errors[best, -1],
                      "run": r})
    fits = {}
    out.results["runs"] = table
    out.results["fits"] = {}
    for which in TAU_DEFINITIONS:
        try:
            f = tau_mem_scaling(runs, which=which)
        except ValueError as exc:
            out.line(f"  {which} ~ P^beta: {exc}")
            out.results["fits"][which] = {"error": str(exc)}
            continue
        fits[which] = f
        out.line(f"  {which} ~ P^beta: beta = {f.exponent:.3f} +- {f.stderr:.3f}, 95% CI "
                 f"[{f.ci_low:.3f}, {f.ci_high:.3f}] ({f.n_samples} values of P)")
        out.results["fits"][which] = f
    if args.out is not None:
        save_summary(runs, fits, args.out)
        for name in ("d3pm_summary.json", "d3pm_curves.png", "d3pm_tau_vs_P.png"):
            out.wrote(Path(args.out) / name, text=False)
        out.line(f"  wrote {args.out}/d3pm_summary.json, d3pm_curves.png and d3pm_tau_vs_P.png")
    return 0


def _train_rhm_layers(args, out: _Output) -> int:
    from memlab.theory import rhm
    from memlab.verification.training import rhm_layers as rl

    _set_threads(args.threads)
    if args.out is not None:
        _make_out(args.out)
    g = rhm.sample_grammar(args.v, args.m, args.s, args.L, seed=args.grammar_seed)
    Ps, seeds = _int_list(args.P), _int_list(args.seeds)
    pstar = rhm.sample_complexity(args.v, args.m, args.L)
    out.line(f"memlab train rhm-layers: D3PM U-Net on RHM v={args.v}, m={args.m}, s={args.s}, "
             f"L={args.L}; P*_l = {', '.join(map(str, pstar))}; {args.channels} channels, "
             f"max({args.min_steps}, {args.steps_per_P} P) steps, seeds "
             f"{','.join(map(str, seeds))}")
    runs = rl.train_layer_series(g, Ps, seeds=seeds, steps_per_P=args.steps_per_P,
                                 min_steps=args.min_steps, batch_size=args.batch_size,
                                 lr=args.lr, channels=args.channels, n_val=args.n_val,
                                 n_generate=args.n_generate, out_dir=args.out,
                                 progress=_progress(args))
    m = rl.measure_layers(runs, P_star=pstar, level=args.level,
                          mem_definition=args.mem_definition, n_generate=args.n_generate,
                          n_boot=args.n_boot)
    table = []
    for i, P in enumerate(m.P):
        cells = ", ".join(
            f"tau*_{ell + 1} = {m.tau_star[i, ell]:.0f} [{m.tau_star_low[i, ell]:.0f}, "
            f"{m.tau_star_high[i, ell]:.0f}]"
            + ("" if m.learned[i, ell] else " (not reached)" if np.isnan(m.tau_star[i, ell])
               else " (after tau_mem)")
            for ell in range(m.P_star.size))
        out.line(f"  P={int(P):5d}: tau_mem = {m.tau_mem[i]:.0f} [{m.tau_mem_low[i]:.0f}, "
                 f"{m.tau_mem_high[i]:.0f}]; {cells}")
        table.append({"P": int(P), "tau_mem": m.tau_mem[i], "tau_star": m.tau_star[i].tolist(),
                      "learned": m.learned[i].tolist()})
    for ell in range(m.P_star.size):
        out.line(f"  layer {ell + 1}: predicted P* = {m.P_star[ell]:g}, learned from P = "
                 f"{m.P_learned_high[ell]:g} (not at {m.P_learned_low[ell]:g})")
    for name, fit in (("tau*_l ~ (P*_l)^beta at the largest P", m.tau_fit),
                      ("measured P_l ~ (P*_l)^beta", m.P_fit),
                      ("tau_mem ~ P^beta", m.tau_mem_fit)):
        out.line(f"  {name}: " + ("fewer than 3 points" if fit is None else
                                  f"beta = {fit.exponent:.3f}, 95% CI [{fit.ci_low:.3f}, "
                                  f"{fit.ci_high:.3f}] ({fit.n_samples} points)"))
    out.results["runs"] = table
    out.results["measurement"] = m
    if args.out is not None:
        for path in rl.save_layer_summary(runs, m, args.out):
            out.wrote(path, text=False)
        out.line(f"  wrote {args.out}/rhm_layers_summary.json and its figures")
    return 0


def _sweep(args, out: _Output) -> int:
    from memlab.verification import sweep as sw

    if args.list:
        out.line("memlab sweep: registered experiments (settings: type = default; "
                 "REQUIRED must be given)")
        listing = {}
        for name, description in sw.experiments().items():
            exp = sw.get_experiment(name)
            settings = {k: (t.__name__, "REQUIRED" if d is sw.REQUIRED else d)
                        for k, (t, d) in exp.settings.items()}
            listing[name] = {"description": description, "settings": settings,
                             "outputs": {k: list(v) for k, v in exp.outputs.items()}}
            out.line(f"  {name}: {description}")
            out.line("      " + ", ".join(f"{k}: {t} = {d}" for k, (t, d) in settings.items()))
            out.line("      outputs: " + ", ".join(exp.outputs))
        out.results["experiments"] = listing
        return 0
    if args.spec is None:
        raise ValueError("spec is required (a .toml or .yaml sweep file), or use --list")
    sweep = sw.load_sweep_spec(args.spec)
    n_tasks = len(sweep.tasks())
    axes = " x ".join(f"{k} ({len(v)})" for k, v in sweep.grid.items())
    out.line(f"memlab sweep: {sweep.experiment} over {axes} = {n_tasks} tasks, store "
             f"{args.store}")
    out.results["sweep"] = sweep
    if args.status:
        status = sw.sweep_status(sweep, args.store)
    else:
        if args.workers is not None and args.workers < 1:
            raise ValueError(f"workers must be >= 1, got {args.workers}")
        _LOG.info("running %d tasks of %s", n_tasks, sweep.experiment)
        status = sw.run_sweep(sweep, args.store, scheduler=args.scheduler,
                              scheduler_file=args.scheduler_file, n_workers=args.workers,
                              threads_per_worker=args.threads_per_worker,
                              progress=_progress(args))
    out.results["status"] = status
    out.line(f"  done {status.done}, running {status.running}, failed {status.failed}, "
             f"missing {status.missing} (of {status.total})")
    from memlab.verification.sweep._store import Store
    store = Store(args.store)
    failed = [t for t in sweep.tasks() if t.key in status.failed_keys]
    for task in failed[:10]:
        path = store.path(task, "failed")
        try:
            last = json.loads(path.read_text())["error"].strip().splitlines()[-1]
        except (OSError, ValueError, KeyError, IndexError):
            last = "(traceback unreadable)"
        out.line(f"  failed: {task.settings} -> {last} (traceback in {path})")
    if not args.status and args.out is not None and status.done:
        ds = sw.sweep_dataset(sweep, args.store)
        _make_out(args.out)
        for path in sw.save_sweep(ds, args.out).values():
            out.wrote(path)
    return 0


def _set_threads(n):
    if n:
        import torch
        torch.set_num_threads(int(n))


# --------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------

def _grammar_args(p, *, v, m, s=2, L=3):
    """The RHM grammar options --v --m --s --L with the given defaults."""
    p.add_argument("--v", type=int, default=v, help=f"vocabulary size per level (default {v})")
    p.add_argument("--m", type=int, default=m, help=f"rules per symbol (default {m})")
    p.add_argument("--s", type=int, default=s, help=f"branching factor (default {s})")
    p.add_argument("--L", type=int, default=L, help=f"depth (default {L})")


def _output_args(parser, default):
    """--json, --verbose and --quiet; ``default`` False on the top-level parser, SUPPRESS
    on a subcommand (so that an option given before the subcommand is kept)."""
    parser.add_argument("--json", action="store_true", default=default,
                   help="print one JSON document on stdout (settings, results, files written, "
                        "memlab version) instead of the text; no progress bars")
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("-v", "--verbose", action="store_true", default=default,
                      help="log every step on stderr (logging level DEBUG)")
    loud.add_argument("-q", "--quiet", action="store_true", default=default,
                      help="no progress bars; only errors on stderr")


def _save_args(p, name, what):
    """--out DIR (default memlab-out/NAME) and --no-save; the results go to DIR/NAME.json."""
    default = f"memlab-out/{name}"
    p.add_argument("--out", metavar="DIR", default=default,
                   help=f"save {what} in DIR (default {default}); the JSON document goes to "
                        f"DIR/{name}.json")
    p.add_argument("--no-save", action="store_true", help="save nothing")
    p.set_defaults(save_as=f"{name}.json")


_EPILOG = ("Results go to stdout (text, or one JSON document with --json); progress bars and "
           "log messages go to stderr. Every subcommand but mixing-time saves its results in "
           "--out. Exit status: 0 success, 1 a report check failed, 2 invalid input, "
           "130 interrupted.")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``memlab`` command, with one subparser per subcommand.

    Each subparser stores its function as ``func``; every subcommand takes the output
    options ``--json``, ``--verbose`` and ``--quiet`` (also accepted before the
    subcommand name), and every one but ``mixing-time`` takes ``--out DIR`` and
    ``--no-save``. The module docstring of
    [`memlab.verification.cli`][memlab.verification.cli] describes what each
    subcommand computes.

    Returns
    -------
    argparse.ArgumentParser
        The parser; ``parse_args`` gives a namespace that
        [`main`][memlab.verification.cli.main] runs.

    References
    ----------
    The subcommands implement Buchanan et al. (2025) (``crossover``, ``train gmm``),
    Favero et al. (2025) (``kernel``, ``rhm``, ``train rhm``) and the onset paper
    (anonymous, under review) (``mixing-time``, ``linear``).

    Examples
    --------
    >>> from memlab.verification.cli import build_parser
    >>> args = build_parser().parse_args(["crossover", "--N", "100", "--json"])
    >>> args.N, args.d, args.json, args.out
    (100, 50, True, 'memlab-out/crossover')
    >>> build_parser().parse_args(["--quiet", "report"]).quiet
    True
    """
    parser = argparse.ArgumentParser(
        prog="memlab",
        description="memlab: theory of memorization versus generalization in diffusion models",
        epilog=_EPILOG, allow_abbrev=False)      # no prefixes: `rhm --v 16` is not --verbose
    parser.add_argument("--version", action="version", version=f"memlab {__version__}")
    _output_args(parser, False)
    common = argparse.ArgumentParser(add_help=False)
    _output_args(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(parent, name, **kw):
        return parent.add_parser(name, parents=[common], epilog=_EPILOG, **kw)

    p = add(sub, "report", help="every prediction next to its numerical check (main job)")
    p.add_argument("--out", default="memlab-report",
                   help="output directory: figures, summary.md, summary.json and the cache "
                        "(default memlab-report)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="CPU-sized checks (default; < 1 min)")
    size.add_argument("--full", action="store_true",
                      help="larger samples and the trained GMM denoisers (tens of minutes)")
    p.add_argument("--checks", help="comma-separated subset of: gmm, mixing, linear, kernel, "
                   "rhm, metrics, training")
    p.add_argument("--workers", type=int, default=None,
                   help="processes running the checks, one thread each (default: one per "
                        "CPU; 1 runs them in this process)")
    p.set_defaults(func=_report, save_as=None)

    p = add(sub, "crossover",
            help="crossover point M*(N, d, K) of the GMM laboratory (Buchanan et al. 2025)")
    p.add_argument("--N", type=int, default=200, help="training-set size (default 200)")
    p.add_argument("--d", type=int, default=50, help="dimension (default 50)")
    p.add_argument("--K", type=int, default=12, help="mixture components (default 12)")
    p.add_argument("--sigma2", type=float, default=1.0, help="component variance (default 1)")
    p.add_argument("--weighting", choices=["x0", "eps"], default="x0",
                   help="loss weighting over the time grid (default x0)")
    p.add_argument("--simulate", action="store_true",
                   help="also estimate M* by Monte Carlo of the exact training losses")
    p.add_argument("--n-noise", type=int, default=10,
                   help="noise draws per point and time (default 10)")
    p.add_argument("--n-datasets", type=int, default=8,
                   help="independent datasets (>= 2, default 8)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--plot", metavar="DIR", help="write the figures to DIR (implies --simulate)")
    _save_args(p, "crossover", "the closed forms and the simulated crossover")
    p.set_defaults(func=_crossover)

    p = add(sub, "mixing-time",
            help="collapse time t_M and KDE bandwidths (onset paper, anonymous, under review)")
    p.add_argument("--sigma", type=float, default=1.0, help="data standard deviation (default 1)")
    p.add_argument("--d", type=int, default=16, help="dimension (default 16)")
    p.add_argument("--n", type=float, default=1e4, help="number of training points (default 1e4)")
    p.set_defaults(func=_mixing_time, save_as=None)

    p = add(sub, "linear",
            help="linear diffusion model: P(Delta > 0) against n (onset paper, Fig. 3)")
    p.add_argument("--d", type=int, default=16, help="dimension (default 16)")
    p.add_argument("--n", help="comma-separated training-set sizes (default: 0.5d .. 4d)")
    p.add_argument("--trials", type=int, default=1000, help="training sets per n (default 1000)")
    p.add_argument("--n-original", type=int, default=10_000,
                   help="size N_O of the original set (default 10000)")
    p.add_argument("--mu", type=float, default=10.0, help="data mean (default 10)")
    p.add_argument("--sigma", type=float, default=1.0, help="data standard deviation (default 1)")
    p.add_argument("--T", type=float, default=2.0, help="noising time (default 2)")
    p.add_argument("--lam", type=float, default=float(np.exp(-4.0)),
                   help="noise scale (default e^-4)")
    p.add_argument("--hellinger", action="store_true", help="also print E[H^2(rho, rho_G)]")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--plot", metavar="DIR", help="write the P(Delta > 0) figure to DIR")
    _save_args(p, "linear", "the P(Delta > 0) table and transition")
    p.set_defaults(func=_linear)

    p = add(sub, "kernel",
            help="kernel eigenvalue and memorization time (Favero et al. 2025, App. G)")
    p.add_argument("--kernel", choices=["ntk", "nngp", "laplace", "gaussian"], default="ntk",
                   help="kernel (default ntk)")
    p.add_argument("--d", type=int, default=64, help="dimension (default 64)")
    p.add_argument("--P", type=int, default=128, help="training-set size (default 128)")
    p.add_argument("--sigma2", type=float, default=0.032, help="noise variance (default 0.032)")
    p.add_argument("--ell", type=float, default=1.0,
                   help="length scale of laplace/gaussian kernels (default 1)")
    p.add_argument("--rayleigh", action="store_true",
                   help="also estimate the eigenvalue by Monte Carlo from samples of p_sigma")
    p.add_argument("--n-centre", type=int, default=4000,
                   help="Monte Carlo samples near x_0 (default 4000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _save_args(p, "kernel", "the prediction and the Rayleigh quotient")
    p.set_defaults(func=_kernel)

    p = add(sub, "rhm",
            help="Random Hierarchy Model: counts, P*_l, BP timing (Favero et al. 2025, Sec. 4)")
    _grammar_args(p, v=16, m=4)
    p.add_argument("--batch", type=int, default=1024, help="strings in the BP timing (default 1024)")
    p.add_argument("--noise", type=float, default=0.5,
                   help="1 - abar of the timed strings (default 0.5)")
    p.add_argument("--generate", action="store_true",
                   help="also sample with the exact denoiser and print per-layer errors")
    p.add_argument("--steps", type=int, default=100, help="reverse diffusion steps (default 100)")
    p.add_argument("--n-samples", type=int, default=1000, help="strings to generate (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _save_args(p, "rhm", "the counts, the timing and the generation errors")
    p.set_defaults(func=_rhm)

    p = add(sub, "sweep", help="an experiment over a grid of settings on Dask, resumable, one "
                               "labelled dataset (needs the sweep extra)")
    p.add_argument("spec", nargs="?", help="sweep file (.toml or .yaml): experiment, [grid], "
                                           "[fixed]")
    p.add_argument("--store", default="memlab-sweeps",
                   help="result directory, one file per task (default memlab-sweeps); a "
                        "rerun computes only the missing tasks")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the embedded LocalCluster (default: one per CPU)")
    p.add_argument("--threads-per-worker", type=int, default=1,
                   help="BLAS/OpenMP/numba threads per embedded worker (default 1)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="use a running Dask scheduler (tcp://host:8786), or 'serial' to "
                            "run in this process")
    where.add_argument("--scheduler-file", metavar="FILE",
                       help="use the running Dask cluster of this scheduler file")
    p.add_argument("--status", action="store_true",
                   help="only count done / running / failed / missing tasks")
    p.add_argument("--list", action="store_true",
                   help="list the registered experiments with their settings")
    _save_args(p, "sweep", "the dataset (.nc, .csv) and the experiment's figures")
    p.set_defaults(func=_sweep)

    p = sub.add_parser("train", help="train diffusion models: GMM denoisers or a D3PM on the RHM "
                                     "(needs torch)")
    tsub = p.add_subparsers(dest="model", required=True)
    q = add(tsub, "gmm",
            help="GMM denoisers: memorization transition M_mem (Buchanan et al. 2025, Sec. 4)")
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
    q.add_argument("--n-test", type=int, default=None,
                   help="held-out points per setting for the test loss, learned parameters "
                        "and sliced Wasserstein curves (default N; 0: none)")
    q.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    q.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    _save_args(q, "train-gmm", "every trained sweep (re-used by the next run), the summary and "
                               "its figure")
    q.set_defaults(func=_train_gmm)
    q = add(tsub, "rhm",
            help="D3PM U-Net on RHM strings: tau_mem against P (Favero et al. 2025, Sec. 4.3)")
    _grammar_args(q, v=8, m=3)
    q.add_argument("--P", default="64,128,256,512,1024", help="training-set sizes, comma-separated")
    q.add_argument("--steps-per-P", type=int, default=60,
                   help="training steps per string (default 60)")
    q.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    q.add_argument("--lr", type=float, default=1e-3,
                   help="learning rate of the optimizer (default 1e-3)")
    q.add_argument("--channels", type=int, default=128, help="U-Net channels (default 128)")
    q.add_argument("--process", choices=("uniform", "masked"), default="uniform",
                   help="corruption: uniform D3PM or masked (absorbing state, MD4) "
                        "(default uniform)")
    q.add_argument("--schedule", choices=("cosine", "linear"), default="cosine",
                   help="training keep schedule over 1000 levels: cosine, or the linear "
                        "beta schedule of Favero et al. 2025, App. B.3 (default cosine)")
    q.add_argument("--optimizer", choices=("adam", "sgd"), default="adam",
                   help="Adam, or SGD with momentum 0.9, at --lr (default adam)")
    q.add_argument("--train-block", type=int, choices=(0, 1), default=None,
                   help="train on block 0 or 1 of 2P distinct strings (disjoint training "
                        "sets, same validation strings; default: the first P strings)")
    q.add_argument("--threshold", type=float, default=0.2,
                   help="validation - train loss gap defining tau_mem (nats, default 0.2)")
    q.add_argument("--n-val", type=int, default=512, help="validation strings (default 512)")
    q.add_argument("--n-generate", type=int, default=256,
                   help="strings generated at each evaluation (default 256)")
    q.add_argument("--grammar-seed", type=int, default=0, help="grammar seed (default 0)")
    q.add_argument("--seed", type=int, default=0, help="data and training seed (default 0)")
    q.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    _save_args(q, "train-rhm", "checkpoints and histories (re-used by the next run), the "
                               "summary and its figures")
    q.set_defaults(func=_train_rhm)
    q = add(tsub, "rhm-layers",
            help="D3PM U-Net on RHM strings: layer-by-layer learning times, sample "
                 "complexities and the measured phase diagram (Favero et al. 2025, Sec. 4.4)")
    _grammar_args(q, v=8, m=2, L=4)
    q.add_argument("--P", default="16,32,64,128,256,512",
                   help="training-set sizes, comma-separated")
    q.add_argument("--seeds", default="0", help="training seeds, comma-separated (default 0)")
    q.add_argument("--steps-per-P", type=int, default=30,
                   help="training steps per string (default 30)")
    q.add_argument("--min-steps", type=int, default=3000,
                   help="fewest training steps of a run (default 3000)")
    q.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    q.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    q.add_argument("--channels", type=int, default=64, help="U-Net channels (default 64)")
    q.add_argument("--n-val", type=int, default=256, help="validation strings (default 256)")
    q.add_argument("--n-generate", type=int, default=256,
                   help="strings generated at each evaluation (default 256)")
    q.add_argument("--level", type=float, default=0.15,
                   help="error fraction defining a layer's learning time (default 0.15)")
    q.add_argument("--mem-definition", default="tau_copy_onset",
                   choices=["tau_copy_onset", "tau_copy_half", "tau_mem", "tau_val_min"],
                   help="definition of tau_mem (default tau_copy_onset: copies reach 0.1)")
    q.add_argument("--n-boot", type=int, default=200,
                   help="bootstrap replicates of the intervals (default 200)")
    q.add_argument("--grammar-seed", type=int, default=0, help="grammar seed (default 0)")
    q.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    _save_args(q, "train-rhm-layers", "checkpoints and histories (re-used by the next run), "
                                      "the measurement and its figures")
    q.set_defaults(func=_train_rhm_layers)
    return parser


# --------------------------------------------------------------------------------------
# Logging and the JSON document
# --------------------------------------------------------------------------------------

class _StderrHandler(logging.Handler):
    """Log records as ``memlab COMMAND: [level: ]message`` on the current ``sys.stderr``,
    written through ``tqdm.write`` so that they do not break a progress bar."""

    def __init__(self, command: str, level: int):
        super().__init__(level)
        self.command = command

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
            text = f"memlab {self.command}: {level}{record.getMessage()}"
            from tqdm import tqdm
            tqdm.write(text, file=sys.stderr)
        except Exception:                       # pragma: no cover - logging must not raise
            self.handleError(record)


@contextlib.contextmanager
def _logging_to_stderr(command: str, verbose: bool, quiet: bool):
    """Route the ``memlab`` logger to stderr for one command, at DEBUG (verbose), ERROR
    (quiet) or WARNING; the logger's level, handlers and propagation are restored after."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handler = _StderrHandler(command, level)
    saved = (_LOG.level, _LOG.propagate)
    _LOG.addHandler(handler)
    _LOG.setLevel(level)
    _LOG.propagate = False
    try:
        yield
    finally:
        _LOG.removeHandler(handler)
        _LOG.setLevel(saved[0])
        _LOG.propagate = saved[1]


def _document(args, argv, name, out: _Output, status: int) -> dict:
    """The JSON document of one command (see the module docstring)."""
    settings = {k: v for k, v in vars(args).items() if k not in _OUTPUT_ONLY}
    return {"schema": JSON_SCHEMA, "memlab_version": __version__, "command": name,
            "argv": list(argv), "settings": _jsonable(settings),
            "results": _jsonable(out.results), "files": list(out.files), "exit_status": status}


def main(argv: list[str] | None = None) -> int:
    """Run one ``memlab`` command line and return its exit status.

    Parses ``argv`` with [`build_parser`][memlab.verification.cli.build_parser], runs the
    subcommand and prints its results on stdout: the text, or with ``--json`` one JSON
    document (``schema`` ``"memlab-cli-v1"``, ``memlab_version``, ``command``, ``argv``,
    ``settings``, ``results``, ``files``, ``exit_status``; standard JSON, no NaN
    literals). A subcommand with ``--out`` saves that document as
    ``DIR/<command>.json`` unless ``--no-save`` is given. Log messages of the
    ``memlab`` logger go to stderr while the command runs (level DEBUG with
    ``--verbose``, ERROR with ``--quiet``, else WARNING); the logger is left as it was
    found.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``None``, ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when a ``report`` check FAILs, 2 for invalid
        input (a ValueError of the computation, named in one line
        ``memlab <command>: error: ...`` on stderr; nothing on stdout), 130 when
        interrupted by Ctrl-C (finished work is kept in ``--out``).

    Raises
    ------
    SystemExit
        From argparse, for ``--help``, ``--version`` and options it rejects (status 2,
        usage on stderr).

    References
    ----------
    The subcommands implement Buchanan et al. (2025), Favero et al. (2025) and the
    onset paper (anonymous, under review); see
    [`memlab.verification.cli`][memlab.verification.cli].

    Examples
    --------
    >>> import contextlib, io, json
    >>> from memlab.verification.cli import main
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     status = main(["crossover", "--N", "200", "--d", "50", "--K", "12", "--json",
    ...                    "--no-save"])
    >>> doc = json.loads(buf.getvalue())
    >>> status, doc["command"], doc["settings"]["N"]
    (0, 'crossover', 200)
    >>> round(doc["results"]["closed_form"]["finite_d"]["M_star"], 2)
    153.8
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.verbose and args.quiet:
        parser.error("--verbose and --quiet exclude each other")
    if getattr(args, "no_save", False):
        args.out = None
    name = args.command + (f" {args.model}" if getattr(args, "model", None) else "")
    out = _Output(args.json)
    with _logging_to_stderr(name, args.verbose, args.quiet):
        try:
            status = args.func(args, out)
        except ValueError as exc:
            print(f"memlab {name}: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            # training saves each finished sweep or run as its own entry (atomically), so
            # an interrupted command resumes from those
            where = f" in {args.out}" if getattr(args, "out", None) else ""
            print(f"memlab {name}: interrupted; finished entries are kept{where} and "
                  "re-used by the next run", file=sys.stderr)
            return 130
        if status == 130:                       # the report's own interrupt message
            return status
        out_dir = getattr(args, "out", None)
        save = Path(out_dir) / args.save_as if out_dir is not None and args.save_as else None
        if save is not None:
            out.wrote(save)
        text = json.dumps(_document(args, argv, name, out, status), indent=1, allow_nan=False)
        if save is not None:
            from memlab.verification._io import atomic_write

            save.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(save, text + "\n")
        if args.json:
            print(text)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
