"""The ``memlab`` command line.

Subcommands (one per concept):

* ``memlab crossover --N 200 --d 50 --K 12 [--weighting x0|eps] [--simulate]``:
  the crossover point M* of seed 001 (closed form with the finite-d constant,
  and the paper's C = 1 and C = 2 bounds); with ``--simulate``, the Monte Carlo
  crossover with its bootstrap interval, and with ``--plot DIR`` the figures.
"""

from __future__ import annotations

import argparse
import sys


def _crossover(args) -> int:
    from theory.gmm import crossover_point

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
    from verification.gmm import (plot_excess_per_t, plot_weighted_loss_vs_M,
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
        import os
        os.makedirs(args.plot, exist_ok=True)
        figs = {"gmm_excess_per_t.png": plot_excess_per_t(est.curves),
                "gmm_crossover.png": plot_weighted_loss_vs_M(est.curves, args.weighting,
                                                             crossover=est)}
        for name, fig in figs.items():
            path = os.path.join(args.plot, name)
            fig.savefig(path, dpi=120)
            print(f"  wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memlab",
        description="memlab: theory of memorization versus generalization in diffusion models")
    sub = parser.add_subparsers(dest="command", required=True)
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
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"memlab {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
