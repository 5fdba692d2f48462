"""Benchmark: the linear diffusion model of the onset paper ("On the onset of memorization to
generalization transition in diffusion models", anonymous authors, 2024).

Three parts, each timing both sides alternately in one process (best of several calls):

1. **P(Delta > 0), per trial** (d = 16, n = 32, N_O = 1e4). Both sides compute the
   trial-independent integral int rho_O^2 **once**, outside the per-trial time (it is
   timed separately, for each side), and then, per training set, the fit, int rho_T^2,
   int rho_T rho_G and int rho_O rho_G:

   * memlab: ``delta_statistic(Y, X, original, log_original_overlap=...)`` on a batch of
     trials (the way ``p_delta_curve`` calls it), and on one trial at a time;
   * baseline: a straightforward per-trial implementation with standard tools
     (``lstsq`` fit, ``scipy.spatial.distance.cdist`` pair sums,
     ``scipy.stats.multivariate_normal.logpdf`` on the dense covariance).

   The whole curve of the paper's Fig. 3 (10 values of n, 1000 trials, N_O = 1e4) is
   also run with memlab. An earlier version of this benchmark let the baseline
   recompute int rho_O^2 on every trial and reported that as a 2,332x speed-up; with
   the same work on both sides the ratio is the one below.

2. **One trial at n = 100 against today's dense code** (kept below as
   ``dense_fit`` / ``dense_hellinger`` / ``dense_delta``: the pseudo-inverse of the
   centred design, the d x d slope theta1 and its SVD, O(d^3) time, O(d^2) memory):

   * ``expected_hellinger(100, d, trials=1)``: new: for n <= d rho_G is degenerate and
     H^2 = 1 without any computation; dense: sample, fit, SVD, H^2 (the same value, 1);
   * the fitted rho_G itself (mean and the eigenpairs of its covariance), which every
     non-degenerate quantity needs: new ``_fit_low_rank`` (thin SVDs in the
     n-dimensional span: n x n Gram matrices, or thin SVDs when those are ill
     conditioned; O(n^2 d)), dense ``dense_fit``; agreement of the covariances'
     eigenvalues and of the means;
   * ``delta_statistic`` for one trial with N_O = 1000 and int rho_O^2 given: new
     (Woodbury and the determinant lemma in the span) against ``dense_delta``.

   Time (best of 3; one call, with tracemalloc on, for the dense code at d = 2000) and
   peak memory (tracemalloc, a separate call).

3. **Against the previous overlap kernels** (this revision): ``_log_self_overlap`` (upper
   triangle, no log-sum-exp shift, exponents from one (d + 2)-vector product) against
   ``_log_self_overlap_reference`` (the previous full double sum) on N_O = 1e4 points
   in d = 16; ``_log_cross_overlap`` with the quadratic features of the shared original
   points (one product per batch) against the previous low-rank form on a batch of 12
   trials (the batch ``p_delta_curve`` uses); and the report's whole curve
   ``p_delta_curve([8, ..., 64], 16, trials=200)`` against the same call with both
   previous kernels swapped in. Same inputs, same outputs (largest differences
   reported).

4. **Scaling** of the new per-trial costs: the low-rank fit against n and d (best of 7),
   and ``expected_hellinger`` for n = 2d > d (no low-rank structure: O(n d^2 + d^3)),
   with exponents fitted by least squares in log-log.

Run: ``python benchmarks/bench_linear.py`` (writes ``benchmarks/results/linear.json``
and ``.md``; about 5 minutes on 2 cores).
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

from _common import best_of, float64_peak, machine, machine_line, save_results
from memlab.theory import linear_diffusion as ld

T, LAM, MU, SIGMA = 2.0, float(np.exp(-4.0)), 10.0, 1.0
D16, N_ORIG, TRIALS = 16, 10_000, 1000
N_VALUES = [8, 12, 16, 20, 24, 28, 32, 40, 48, 64]


# ----------------------------------------------------------------------------- part 1 baseline

def baseline_self_overlap(P, eps2):
    """log int rho^2 of (1/m) sum N(P_k, eps2 I): pair distances with cdist in row blocks."""
    d = P.shape[1]
    logs = [special.logsumexp(-distance.cdist(P[i:i + 1000], P, "sqeuclidean") / (4 * eps2))
            for i in range(0, len(P), 1000)]
    return special.logsumexp(logs) - 2 * np.log(len(P)) - 0.5 * d * np.log(2 * np.pi * 2 * eps2)


def baseline_delta(Y, X, original, log_oo):
    """sign(Delta) for one training set; int rho_O^2 (``log_oo``) is given, as for memlab."""
    n, d = Y.shape
    A = np.column_stack([np.ones(n), X])
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]
    theta0, theta1 = coef[0], coef[1:].T
    mu_X = np.exp(-T) * Y.mean(0)
    sX2 = np.exp(-2 * T) * ((Y - Y.mean(0)) ** 2).sum() / (n * d) + LAM * (1 - np.exp(-2 * T))
    mG, SG = theta0 + theta1 @ mu_X, sX2 * theta1 @ theta1.T

    def cross(P, eps2):
        lp = stats.multivariate_normal(mean=mG, cov=SG + eps2 * np.eye(d)).logpdf(P)
        return special.logsumexp(lp) - np.log(len(P))

    e_n, e_O = SIGMA**2 * n ** (-2 / d), SIGMA**2 * len(original) ** (-2 / d)
    terms = [baseline_self_overlap(Y, e_n), np.log(2) + cross(Y, e_n), log_oo,
             np.log(2) + cross(original, e_O)]
    return special.logsumexp(terms, b=[1, -1, -1, 1], return_sign=True)[1]


# ----------------------------------------------------------------------------- today's dense code

def dense_fit(Y, X):
    """The fit as memlab computed it before the low-rank path (batched over a leading axis):
    theta1 from numpy's pinv, then the SVD of the d x d theta1. Returns (mean, eigenvalues
    (d,), eigenvectors (d, d), rank). (It also inherited pinv's 1e-15 cutoff, which can invert
    the centring null direction; see ``_centred_pinv``.)"""
    n, d = Y.shape[-2:]
    Ybar, Xbar = Y.mean(axis=-2), X.mean(axis=-2)
    yc, xc = Y - Ybar[..., None, :], X - Xbar[..., None, :]
    theta1 = np.swapaxes(np.linalg.pinv(xc) @ yc, -1, -2)
    theta0 = Ybar - np.einsum("...ij,...j->...i", theta1, Xbar)
    sigma_X2 = np.exp(-2 * T) * (yc**2).sum(axis=(-2, -1)) / (n * d) + LAM * -np.expm1(-2 * T)
    mean = theta0 + np.einsum("...ij,...j->...i", theta1, np.exp(-T) * Ybar)
    U, s, _ = np.linalg.svd(theta1)
    keep = (s > 1e-10 * s[..., :1]) & (np.arange(d) < min(n - 1, d))
    s = np.where(keep, s, 0.0)
    return mean, sigma_X2[..., None] * s * s, U, keep.sum(axis=-1)


def dense_hellinger(fit, mu, sigma):
    mean, g, U, rank = fit
    d = g.shape[-1]
    s2 = sigma * sigma
    c = np.einsum("...ji,...j->...i", U, mean - mu)
    with np.errstate(divide="ignore"):
        log_bc = (0.25 * np.log(g).sum(axis=-1) + 0.25 * d * np.log(s2)
                  - 0.5 * np.log(0.5 * (g + s2)).sum(axis=-1)
                  - 0.25 * (c * c / (g + s2)).sum(axis=-1))
    return np.where(rank < d, 1.0, -np.expm1(log_bc))


def dense_expected_hellinger_trial(n, d, seed):
    """One trial of today's expected_hellinger: sample, dense fit, H^2."""
    Y, X = ld.sample_training_set(n, d, trials=1, seed=seed)
    return float(dense_hellinger(dense_fit(Y, X), MU, SIGMA)[0])


def dense_cross(P, fit, eps2, centre):
    mean, g, U, rank = fit
    r = max(int(rank.max()), 1)
    U = U[..., :r]
    shrink = g[..., :r] / (g[..., :r] + eps2)
    mean = mean - centre
    Pc = P - centre
    mu_proj = np.einsum("bd,bdr->br", mean, U)
    if Pc.ndim == 2:
        psq = (Pc * Pc).sum(axis=1)[None, :]
        pm = mean @ Pc.T
        proj = np.einsum("md,bdr->bmr", Pc, U, optimize=True)
    else:
        psq = (Pc * Pc).sum(axis=2)
        pm = np.einsum("bmd,bd->bm", Pc, mean)
        proj = Pc @ U
    proj -= mu_proj[:, None, :]
    q = (psq - 2 * pm + (mean * mean).sum(axis=1)[:, None]
         - (proj * proj * shrink[:, None, :]).sum(axis=2)) / eps2
    m, d = P.shape[-2:]
    return special.logsumexp(-0.5 * q, axis=-1) - np.log(m) - 0.5 * (
        d * np.log(2 * np.pi) + np.log(g + eps2).sum(axis=-1))


def dense_delta(Y, X, original, log_oo):
    """Today's delta_statistic (batched, int rho_O^2 given): dense fit, eigenbasis overlaps."""
    n, d = Y.shape[-2:]
    fit = dense_fit(Y, X)
    e_n, e_O = ld._kde_width2(SIGMA, n, d), ld._kde_width2(SIGMA, len(original), d)
    centre = original.mean(axis=0)
    log_tt = ld._log_self_overlap(Y, e_n)
    terms = np.stack(np.broadcast_arrays(log_tt, np.log(2) + dense_cross(Y, fit, e_n, centre),
                                         log_oo,
                                         np.log(2) + dense_cross(original, fit, e_O, centre)))
    return special.logsumexp(terms, axis=0, b=np.array([1., -1, -1, 1])[:, None],
                             return_sign=True)[1]


# ----------------------------------------------------------------------------- helpers

def peak_mb(fn, with_result=False):
    """Peak traced memory of one call of ``fn`` (MB), and its result if ``with_result``."""
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak / 1e6, out) if with_result else peak / 1e6


def alternate(fns, repeat):
    """Best time of each function in ``fns``, calling them in turn ``repeat`` times."""
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], best_of(fn, 1))
    return best


def fit_exponent(x, t):
    return float(np.polyfit(np.log(x), np.log(t), 1)[0])


# ----------------------------------------------------------------------------- parts

def part_delta_curve():
    rng = np.random.default_rng(1)
    original = MU + SIGMA * rng.standard_normal((N_ORIG, D16))
    e_O = ld._kde_width2(SIGMA, N_ORIG, D16)
    Y, X = ld.sample_training_set(32, D16, trials=64, seed=rng)
    once_memlab, once_base = alternate(
        [lambda: ld._log_self_overlap(original, e_O), lambda: baseline_self_overlap(original, e_O)], 2)
    log_oo = float(ld._log_self_overlap(original, e_O))
    nb = 4
    t_batch, t_single, t_base = alternate([
        lambda: ld.delta_statistic(Y, X, original, log_original_overlap=log_oo),
        lambda: [ld.delta_statistic(Y[b], X[b], original, log_original_overlap=log_oo)
                 for b in range(nb)],
        lambda: [baseline_delta(Y[b], X[b], original, log_oo) for b in range(nb)]], 3)
    per_batch, per_single, per_base = t_batch / 64, t_single / nb, t_base / nb
    signs_fast, _ = ld.delta_statistic(Y, X, original, log_original_overlap=log_oo)
    signs_base = [baseline_delta(Y[b], X[b], original, log_oo) for b in range(16)]
    agree = bool(np.all(np.array(signs_base) == signs_fast[:16]))
    t0 = time.perf_counter()
    curve = ld.p_delta_curve(N_VALUES, D16, n_original=N_ORIG, trials=TRIALS, seed=0)
    t_curve = time.perf_counter() - t0
    return {"d": D16, "n": 32, "n_original": N_ORIG,
            "once_int_rho_O2_s": {"memlab": once_memlab, "baseline_cdist": once_base},
            "per_trial_s": {"memlab_batched_64": per_batch, "memlab_single": per_single,
                            "baseline": per_base},
            "ratio_per_trial": {"batched": per_base / per_batch, "single": per_base / per_single},
            "signs_agree_16_trials": agree,
            "curve": {"n": N_VALUES, "trials": TRIALS, "seconds": t_curve,
                      "p": curve.probability.tolist(), "transition": curve.transition,
                      "baseline_estimate_s": once_base + per_base * TRIALS * len(N_VALUES)}}


def part_one_trial():
    n = 100
    rows = []
    for d in (500, 1000, 2000, 10_000, 30_000):
        Y, X = ld.sample_training_set(n, d, trials=1, seed=d)
        dense = d <= 2000
        fns = [lambda: ld.expected_hellinger(n, d, trials=1, seed=0),
               lambda: ld._fit_low_rank(Y, X, T, LAM)]
        if d < 2000:
            fns.append(lambda: dense_expected_hellinger_trial(n, d, 0))
        times = alternate(fns, 3)
        if d == 2000:
            # one dense call only (tens of seconds): its time is taken with tracemalloc on
            t0 = time.perf_counter()
            mem, h2 = peak_mb(lambda: dense_expected_hellinger_trial(n, d, 0), with_result=True)
            times.append(time.perf_counter() - t0)
        row = {"d": d, "n": n, "new_expected_hellinger_s": times[0], "new_fit_s": times[1],
               "new_fit_peak_mb": peak_mb(fns[1]),
               "new_expected_hellinger_peak_mb": peak_mb(fns[0]),
               "h2_new": ld.expected_hellinger(n, d, trials=1, seed=0).estimate}
        if d < 2000:
            mem, h2 = peak_mb(fns[2], with_result=True)
        if dense:
            row.update(dense_trial_s=times[2], dense_trial_peak_mb=mem, h2_dense=h2)
        if d <= 1000:
            # agreement of the fitted rho_G with the current dense fit (fit_linear_model)
            low = ld._fit_low_rank(Y, X, T, LAM)
            ref = ld.fit_linear_model(Y, X, T=T, lam=LAM)
            r = n - 1
            row["max_rel_diff_eigvals"] = float(np.abs(low.eigvals[0] - ref.eigvals[0, :r]).max()
                                                / ref.eigvals[0, 0])
            row["max_rel_diff_mean"] = float(np.abs(low.mean - ref.mean).max() / np.abs(ref.mean).max())
        rows.append(row)
        print(row, flush=True)
    return rows


def part_delta_one_trial():
    n, N_O = 100, 1000
    rows = []
    for d in (500, 1000, 10_000):
        rng = np.random.default_rng(d)
        Y, X = ld.sample_training_set(n, d, trials=1, seed=rng)
        original = MU + SIGMA * rng.standard_normal((N_O, d))
        log_oo = float(ld._log_self_overlap(original, ld._kde_width2(SIGMA, N_O, d)))
        fns = [lambda: ld.delta_statistic(Y, X, original, log_original_overlap=log_oo)]
        if d <= 1000:
            fns.append(lambda: dense_delta(Y, X, original, log_oo))
        times = alternate(fns, 3 if d <= 1000 else 2)
        row = {"d": d, "n": n, "n_original": N_O, "new_s": times[0], "new_peak_mb": peak_mb(fns[0])}
        if d <= 1000:
            row.update(dense_s=times[1], dense_peak_mb=peak_mb(fns[1]),
                       signs_agree=bool(np.all(fns[0]()[0] == fns[1]())))
        # fraction of peak of the dominant product: (N_O, d) x (d, n - 1) plus the mean
        # products, 2 N_O d n flops, timed alone
        low = ld._fit_low_rank(Y, X, T, LAM)
        O = ld._prepare_original(original, SIGMA, log_oo)
        t_cross = best_of(lambda: ld._log_cross_overlap(O.points, O.sqnorm, low, O.eps2, O.centre), 3)
        row["cross_overlap_s"] = t_cross
        row["cross_overlap_flops"] = 2.0 * N_O * d * n
        rows.append(row)
        print(row, flush=True)
    return rows


def part_previous():
    """New overlap kernels against the previous ones, and the report's curve with each."""
    rng = np.random.default_rng(4)
    original = MU + SIGMA * rng.standard_normal((N_ORIG, D16))
    e_O = ld._kde_width2(SIGMA, N_ORIG, D16)
    t_self, t_self_prev = alternate([lambda: ld._log_self_overlap(original, e_O),
                                     lambda: ld._log_self_overlap_reference(original, e_O)], 3)
    self_diff = abs(ld._log_self_overlap(original, e_O) / ld._log_self_overlap_reference(original, e_O) - 1)
    O = ld._prepare_original(original, SIGMA)
    Y, X = ld.sample_training_set(32, D16, trials=12, seed=rng)
    model = ld._fit_low_rank(Y, X, T, LAM)
    new = lambda: ld._log_cross_overlap(O.points, O.sqnorm, model, O.eps2, O.centre, O.features)
    prev = lambda: ld._log_cross_overlap(O.points, O.sqnorm, model, O.eps2, O.centre)
    t_cross, t_cross_prev = alternate([new, prev], 5)
    cross_diff = float(np.max(np.abs(new() - prev()) / np.abs(prev())))
    n_feat = D16 * (D16 + 1) // 2 + D16 + 1
    cross_flops = 2.0 * 12 * N_ORIG * n_feat

    def previous_curve():
        saved = ld._log_self_overlap, ld._quadratic_features
        ld._log_self_overlap, ld._quadratic_features = (ld._log_self_overlap_reference,
                                                        lambda points: None)
        try:
            return ld.p_delta_curve(N_VALUES, D16, trials=200, seed=0)
        finally:
            ld._log_self_overlap, ld._quadratic_features = saved

    curves = {}
    t_curve, t_curve_prev = alternate(
        [lambda: curves.__setitem__("new", ld.p_delta_curve(N_VALUES, D16, trials=200, seed=0)),
         lambda: curves.__setitem__("previous", previous_curve())], 2)
    same = bool(np.array_equal(curves["new"].probability, curves["previous"].probability))
    return {"self_overlap_s": {"new": t_self, "previous": t_self_prev},
            "self_overlap_max_rel_diff": float(self_diff),
            "cross_overlap_s": {"new": t_cross, "previous": t_cross_prev},
            "cross_overlap_max_rel_diff": cross_diff, "cross_overlap_flops": cross_flops,
            "report_curve_s": {"new": t_curve, "previous": t_curve_prev},
            "report_curve_same_probabilities": same,
            "report_curve_transition": float(curves["new"].transition)}


def part_scaling():
    out = {"fit_vs_d": [], "fit_vs_n": [], "hellinger_n_2d": []}
    n = 100
    for d in (1000, 3000, 10_000, 30_000):
        Y, X = ld.sample_training_set(n, d, trials=1, seed=d)
        out["fit_vs_d"].append({"n": n, "d": d, "s": best_of(lambda: ld._fit_low_rank(Y, X, T, LAM), 7)})
    d = 5000
    for n in (50, 100, 200, 400):
        Y, X = ld.sample_training_set(n, d, trials=1, seed=n)
        out["fit_vs_n"].append({"n": n, "d": d, "s": best_of(lambda: ld._fit_low_rank(Y, X, T, LAM), 7)})
    for d in (100, 200, 400, 800):
        out["hellinger_n_2d"].append({"n": 2 * d, "d": d, "s": best_of(
            lambda: ld.expected_hellinger(2 * d, d, trials=1, seed=0), 5 if d < 800 else 3)})
    for key, var in (("fit_vs_d", "d"), ("fit_vs_n", "n"), ("hellinger_n_2d", "d")):
        rows = out[key]
        out[key + "_exponent"] = fit_exponent([r[var] for r in rows], [r["s"] for r in rows])
    print(out, flush=True)
    return out


def main():
    info = machine()
    peak = float64_peak()
    curve = part_delta_curve()
    one = part_one_trial()
    delta = part_delta_one_trial()
    previous = part_previous()
    scaling = part_scaling()
    result = {"machine": info, "float64_peak_flops": peak, "delta_per_trial": curve,
              "one_trial_n100": one, "delta_one_trial": delta, "previous_kernels": previous,
              "scaling": scaling}

    save_results("linear", result, render(result))
    return result


def _f(row, key, fmt, scale=1.0):
    """A formatted entry of ``row``, or '-' where that side was not run."""
    return format(row[key] * scale, fmt) if key in row else "-"


def render(result):
    """The markdown report of a result dictionary (also from a saved JSON)."""
    info, peak = result["machine"], result["float64_peak_flops"]
    curve, one, delta, scaling = (result["delta_per_trial"], result["one_trial_n100"],
                                  result["delta_one_trial"], result["scaling"])
    c = curve
    one_rows = "\n".join(
        f"| {r['d']} | {_f(r, 'dense_trial_s', '.3g')} s / {_f(r, 'dense_trial_peak_mb', '.0f')} MB | "
        f"{r['new_expected_hellinger_s'] * 1e6:.0f} us / "
        f"{r['new_expected_hellinger_peak_mb'] * 1e6:.0f} bytes | "
        f"{r['new_fit_s'] * 1e3:.1f} ms / {r['new_fit_peak_mb']:.1f} MB | "
        + (f"{r['dense_trial_s'] / r['new_fit_s']:.0f}x" if "dense_trial_s" in r else "-")
        + f" | {_f(r, 'max_rel_diff_eigvals', '.1e')}, {_f(r, 'max_rel_diff_mean', '.1e')} |"
        for r in one)
    delta_rows = "\n".join(
        f"| {r['d']} | {_f(r, 'dense_s', '.3g')} s / {_f(r, 'dense_peak_mb', '.0f')} MB | "
        f"{r['new_s']:.3g} s / {r['new_peak_mb']:.0f} MB | "
        + (f"{r['dense_s'] / r['new_s']:.1f}x" if "dense_s" in r else "-")
        + f" | {r.get('signs_agree', '-')} | "
        f"{r['cross_overlap_flops'] / r['cross_overlap_s'] / peak:.0%} |"
        for r in delta)
    pv = result.get("previous_kernels")
    if pv:
        ratio = lambda key: pv[key]["previous"] / pv[key]["new"]
        previous_md = f"""## 3. Against the previous overlap kernels

| kernel | new | previous | ratio | largest difference |
|---|---|---|---|---|
| int rho_O^2, N_O = {N_ORIG}, d = {D16} (upper triangle, unshifted) | {pv['self_overlap_s']['new'] * 1e3:.0f} ms | {pv['self_overlap_s']['previous'] * 1e3:.0f} ms | {ratio('self_overlap_s'):.1f}x | {pv['self_overlap_max_rel_diff']:.1e} relative |
| int rho_O rho_G, 12 trials, n = 32 (quadratic features, one product) | {pv['cross_overlap_s']['new'] * 1e3:.1f} ms | {pv['cross_overlap_s']['previous'] * 1e3:.1f} ms | {ratio('cross_overlap_s'):.1f}x | {pv['cross_overlap_max_rel_diff']:.1e} relative |
| the report's curve, 10 n x 200 trials, N_O = {N_ORIG} | {pv['report_curve_s']['new']:.2f} s | {pv['report_curve_s']['previous']:.2f} s | {ratio('report_curve_s'):.1f}x | same P(Delta > 0): {pv['report_curve_same_probabilities']} |

The cross overlap's product does {pv['cross_overlap_flops'] / 1e6:.0f} Mflop per batch:
{pv['cross_overlap_flops'] / pv['cross_overlap_s']['new'] / peak:.0%} of the float64 peak
measured in this run.

"""
    else:
        previous_md = ""
    s = scaling
    fmt = lambda rows, var: ", ".join(f"{var} = {r[var]}: {r['s'] * 1e3:.1f} ms" for r in rows)
    md = f"""# Linear diffusion model (onset paper): P(Delta > 0) and the low-rank path

{machine_line(info)} float64 dgemm peak measured in this run: {peak / 1e9:.1f} Gflop/s.
Both sides of every ratio were timed alternately in the same process (best of several
calls). On a shared machine single timings vary several-fold from run to run (four runs
on 2 busy cores gave 0.54-3.3 s for the fit at d = 3e4 and 1.1-10 s for n = 2d at d = 800),
so read the ratios, and the exponents only roughly.

## 1. P(Delta > 0), per trial (d = {c['d']}, n = {c['n']}, N_O = {c['n_original']})

Both sides compute int rho_O^2 once (outside the per-trial time) and, per trial, the fit,
int rho_T^2, int rho_T rho_G and int rho_O rho_G. Baseline: lstsq, cdist, dense
`multivariate_normal.logpdf`.

| measurement | memlab | baseline | ratio |
|---|---|---|---|
| int rho_O^2, once per original set | {c['once_int_rho_O2_s']['memlab']:.2f} s | {c['once_int_rho_O2_s']['baseline_cdist']:.2f} s | {c['once_int_rho_O2_s']['baseline_cdist'] / c['once_int_rho_O2_s']['memlab']:.1f}x |
| per trial, memlab batched (64 trials per call) | {c['per_trial_s']['memlab_batched_64'] * 1e3:.2f} ms | {c['per_trial_s']['baseline'] * 1e3:.2f} ms | {c['ratio_per_trial']['batched']:.1f}x |
| per trial, memlab one trial per call | {c['per_trial_s']['memlab_single'] * 1e3:.2f} ms | {c['per_trial_s']['baseline'] * 1e3:.2f} ms | {c['ratio_per_trial']['single']:.1f}x |

Sign of Delta identical on 16 trials: {c['signs_agree_16_trials']}. Whole curve (10 n,
{TRIALS} trials each): memlab {c['curve']['seconds']:.1f} s; baseline estimated
{c['curve']['baseline_estimate_s']:.0f} s (once + per trial x trials). (The earlier 2,332x
came from letting only the baseline recompute int rho_O^2 on every trial.)
P(Delta > 0): {', '.join(f'n={n}: {p:.3f}' for n, p in zip(N_VALUES, c['curve']['p']))};
transition n = {c['curve']['transition']:.1f}.

## 2. One trial at n = 100 against today's dense code

Dense = sample + pinv + SVD of the d x d slope + H^2 (today's `expected_hellinger`
trial; O(d^3) time, O(d^2) memory). New `expected_hellinger`: for n <= d, H^2 = 1 without
computation (rank(S_G) <= n - 1 < d). New fit = `_fit_low_rank`, the fitted rho_G (mean and
n - 1 eigenpairs) from n x n Gram matrices in the n-dimensional span, O(n^2 d): the work any
non-degenerate quantity (Delta) needs. Ratio = dense trial / new fit. Agreement: largest
difference of the covariance eigenvalues (relative to the largest) and of the mean
(relative to its largest entry) against the current dense `fit_linear_model`.
Time / tracemalloc peak.

| d | dense trial | new expected_hellinger | new fit | ratio | agreement (eigvals, mean) |
|---|---|---|---|---|---|
{one_rows}

`delta_statistic`, one trial, n = 100, N_O = 1000, int rho_O^2 given (new: overlaps by
Woodbury and the determinant lemma in the span; dense: today's code). Fraction of peak:
the product of the N_O centred original points with the trial's n - 1 eigenvectors and
its mean, 2 N_O d n flops, timed alone.

| d | dense | new | ratio | signs agree | cross-overlap fraction of peak |
|---|---|---|---|---|---|
{delta_rows}

{previous_md}## 4. Scaling of the new per-trial cost

- low-rank fit against d (n = 100): {fmt(s['fit_vs_d'], 'd')}; exponent {s['fit_vs_d_exponent']:.2f} (expected 1).
- low-rank fit against n (d = 5000): {fmt(s['fit_vs_n'], 'n')}; exponent {s['fit_vs_n_exponent']:.2f} (expected 2).
- `expected_hellinger`, one trial at n = 2d (no low-rank structure: O(n d^2 + d^3)): {fmt(s['hellinger_n_2d'], 'd')}; exponent {s['hellinger_n_2d_exponent']:.2f} (expected 3).

Reproduce: `python benchmarks/bench_linear.py`.
"""
    return md


if __name__ == "__main__":
    main()
