"""Benchmark: the kernel-scaling code of memlab.verification against plain numpy, in one run.

1. Monte Carlo of beta_d(R, nu) and gamma_d(R) (d = 64, nu = 1, Gaussian cutoff of
   scale 8, 1e6 samples). Both sides take the same samples (drawn once, outside the
   timing) and compute, for every pair (u, v): u.v, |u|, |v|, |u - v|, R(|u|), R(|v|),
   b = (u.v) R(|u|) R(|v|) |u - v|^nu and g = |u|^2 R(|u|)^2, then the four sums of b,
   b^2, g, g^2. memlab: the numba reduction ``_constants_kernel`` (parallel, on all numba
   threads, and again on one thread); baseline: the same formulas in vectorized numpy
   (elementwise, one thread). Fraction of peak: 8 d flops per sample (the multiply-adds of
   u.v, |u|^2, |v|^2 and |u - v|^2; the square roots, exponentials and power not counted)
   against the dgemm rate measured in the same run. Then the public call
   ``monte_carlo_constants`` (drawing included), which draws each pair from its three
   rotation invariants |u|^2 ~ chi2_d, v1 ~ N(0, 1), |v|^2 - v1^2 ~ chi2_(d-1), against
   the previous public path (2d normals per pair, the kernel above), same sample count;
   the two estimates come from independent samples and must agree within their errors.
2. Kernel gradient flow (Laplace, ell = 10, d = 16, P = 4, m = 8, so n = 32 training
   samples, sigma = 0.3 (sigma sqrt(2d)/ell = 0.17, inside the regime); the default 121 log-spaced times, from 1e-3 to 1e3 times the
   predicted 1/lambda_i: the whole range, no extrapolation). Both sides build the Gram matrix and
   the test/train cross-Gram matrix and return the train and test losses at the 121
   times. memlab: ``kernel_gradient_flow`` (eigenbasis, exact at every time); baseline:
   explicit Euler of f' = -(1/n) G (f - y) in numpy over the *whole* time range, with the
   largest stable step 1.9 n / g_max (shortened to land on each requested time), the dual
   coefficients integrated alongside for the test predictions. Both sides warmed up,
   then 2 alternating rounds (Euler 1 call, eigenbasis best of 3 per round), best kept; the losses of the two sides are compared (train losses
   relative to the initial one, since both go to 0).
3. Scaling in P of the blocked implementations against the dense ones they replaced
   (``_pair_sums_dense``, ``_flow_losses_dense``, kept in the module as references):
   time (best of 2) and peak memory (tracemalloc; for the flow also the peak resident
   set, which sees numpy's LAPACK buffers), with fitted power laws.
   ``rayleigh_quotient``: Laplace, d = 16, sigma = 0.25 (every sample is kept, so each
   batch sums all S^2 pairs), n_centre = 4000, n_other = 16: S = 500 + 2 (P - 1) samples
   per batch, P = 100, 300, 1000, 3000 (the dense version is run up to P = 1000).
   Kernel flow: Laplace, ell = 10, d = 16, m = 16, sigma = 0.01, default 121 times,
   P = 16, 32, 64, 128 (n = 256 to 2048).

Run: ``python benchmarks/bench_kernel.py``.
"""

from __future__ import annotations

import time
import tracemalloc

import numba
import numpy as np

from _common import best_of, compile_time, float64_peak, machine, machine_line, save_results
from memlab.theory.metrics import fit_power_law
from memlab.verification import kernel_scaling as vk


def numpy_constants(U, V, nu, scale):
    """The four sums of ``_constants_kernel`` (Gaussian cutoff) in vectorized numpy."""
    uv = (U * V).sum(1)
    ru, rv = np.linalg.norm(U, axis=1), np.linalg.norm(V, axis=1)
    Ru, Rv = np.exp(-0.5 * (ru / scale) ** 2), np.exp(-0.5 * (rv / scale) ** 2)
    b = uv * Ru * Rv * np.linalg.norm(U - V, axis=1) ** nu
    g = ru**2 * Ru**2
    return b.sum(), (b * b).sum(), g.sum(), (g * g).sum()


def bench_mc(peak):
    rng = np.random.default_rng(0)
    d, n = 64, 1_000_000
    U, V = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    code = vk.CUTOFFS.index("gauss")
    vk._constants_kernel(U[:100], V[:100], 1.0, code, 8.0)          # compile
    numpy_constants(U[:100], V[:100], 1.0, 8.0)
    threads = numba.get_num_threads()
    t_nb, t_nb1, t_np = [], [], []
    for _ in range(3):                                   # alternate the sides: same load
        t_nb.append(best_of(lambda: vk._constants_kernel(U, V, 1.0, code, 8.0), 1))
        numba.set_num_threads(1)
        t_nb1.append(best_of(lambda: vk._constants_kernel(U, V, 1.0, code, 8.0), 1))
        numba.set_num_threads(threads)
        t_np.append(best_of(lambda: numpy_constants(U, V, 1.0, 8.0), 1))
    t_nb, t_nb1, t_np = min(t_nb), min(t_nb1), min(t_np)
    a = vk._constants_kernel(U, V, 1.0, code, 8.0).sum(0)
    b = np.array(numpy_constants(U, V, 1.0, 8.0))
    t_compile = compile_time("import numpy as np; from memlab.verification import kernel_scaling "
                             "as vk; r = np.random.default_rng(0)",
                             "vk._constants_kernel(r.standard_normal((4, 3)), "
                             "r.standard_normal((4, 3)), 1.0, 0, 8.0)")
    flops = 8.0 * d * n

    # The whole public call, drawing included: three rotation invariants per pair (now)
    # against the previous path (2d normals per pair, chunks of 1e5, the same kernel).
    def previous_public(seed):
        r = np.random.default_rng(seed)
        tot = np.zeros(4)
        for _ in range(n // 100_000):
            tot += vk._constants_kernel(r.standard_normal((100_000, d)),
                                        r.standard_normal((100_000, d)), 1.0, code, 8.0).sum(0)
        return tot

    vk.monte_carlo_constants(d, 1.0, cutoff="gauss", scale=8.0, n_samples=1000, seed=0)
    t_pub, t_prev = [], []
    for _ in range(3):
        t_pub.append(best_of(lambda: vk.monte_carlo_constants(d, 1.0, cutoff="gauss", scale=8.0,
                                                              n_samples=n, seed=1), 1))
        t_prev.append(best_of(lambda: previous_public(2), 1))
    new = vk.monte_carlo_constants(d, 1.0, cutoff="gauss", scale=8.0, n_samples=n, seed=1)
    tot = previous_public(2)
    prev_beta = tot[0] / n
    prev_se = np.sqrt((tot[1] / n - prev_beta**2) / (n - 1))
    z = (new.beta - prev_beta) / np.hypot(new.beta_stderr, prev_se)
    return {"d": d, "n_samples": n, "numba_s": t_nb,
            "public_radial_s": min(t_pub), "public_previous_s": min(t_prev),
            "public_speedup": min(t_prev) / min(t_pub), "public_beta_z": float(z), "numba_threads": threads,
            "numba_1thread_s": t_nb1, "numpy_s": t_np, "speedup": t_np / t_nb,
            "speedup_1thread": t_np / t_nb1,
            "max_rel_diff": float(np.max(np.abs(a - b) / np.abs(b))),
            "numba_compile_s": t_compile, "flops": flops,
            "fraction_of_peak": flops / t_nb / peak}


def euler_flow(kernel, X, Y, Xt, Yt, times, d, ell, scale):
    """Explicit Euler of f' = -(1/n) G (f - y) from f = 0 with the dual coefficients alpha
    (f = G alpha on the training set, f = K_t alpha on the test set): train and test losses
    at ``times``, divided by ``scale``; also the number of steps."""
    n = X.shape[0]
    G = vk._gram(kernel, X, X, d, ell)
    Kt = vk._gram(kernel, Xt, X, d, ell)
    h_max = 1.9 * n / np.linalg.eigvalsh(G)[-1]           # stability limit 2 n / g_max
    f, alpha = np.zeros_like(Y), np.zeros_like(Y)
    train, test, now, steps = [], [], 0.0, 0
    for t in times:
        k = int(np.ceil((t - now) / h_max))
        if k > 0:
            h = (t - now) / k
            for _ in range(k):
                r = f - Y
                alpha -= (h / n) * r
                f -= (h / n) * (G @ r)
            steps += k
        now = t
        train.append(((f - Y) ** 2).sum() / n / scale)
        test.append(((Kt @ alpha - Yt) ** 2).sum() / n / scale)
    return np.array(train), np.array(test), steps


def flow_data(P, m, d, sigma, seed):
    """The training and test sets ``kernel_gradient_flow`` draws for ``seed``."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        x = rng.standard_normal((P, d))
        z = rng.standard_normal((P, m, d))
        out += [(x[:, None, :] + sigma * z).reshape(-1, d), (-z / sigma).reshape(-1, d)]
    return out


def bench_flow():
    from memlab.theory.kernel_scaling import kernel_expansion, memorization_time
    kernel, P, m, d, sigma, ell = "laplace", 4, 8, 16, 0.3, 10.0
    C, nu = kernel_expansion(kernel, d, ell=ell)
    tau = float(memorization_time(P, sigma, d, nu, C))
    times = np.logspace(np.log10(tau) - 3, np.log10(tau) + 3, 121)     # the default times
    X, Y, Xt, Yt = flow_data(P, m, d, sigma, 0)
    scale = d / sigma**2

    def ours():
        return vk.kernel_gradient_flow(kernel, P, sigma, d, ell=ell, m=m, times=times, seed=0)

    def euler():
        return euler_flow(kernel, X, Y, Xt, Yt, times, d, ell, scale)

    r, (e_train, e_test, steps) = ours(), euler()          # warm-up of both sides
    t_ours, t_euler = [], []
    for _ in range(2):
        t_ours.append(best_of(ours, 3))
        t_euler.append(best_of(euler, 1))
    t_ours, t_euler = min(t_ours), min(t_euler)
    return {"kernel": kernel, "P": P, "m": m, "n": P * m, "d": d, "sigma": sigma, "ell": ell,
            "times": len(times), "t_end_over_tau_pred": 1000.0, "euler_steps": steps,
            "eigenbasis_s_121_times": t_ours, "euler_s": t_euler, "speedup": t_euler / t_ours,
            "tau_mem": r.tau_mem, "tau_mem_over_tau_pred": r.tau_mem / tau,
            "train_loss_end": float(r.train_loss[-1]),
            "max_diff_train_over_initial": float(np.max(np.abs(e_train - r.train_loss))
                                                 / r.train_loss[0]),
            "max_rel_diff_test": float(np.max(np.abs(e_test / r.test_loss - 1)))}


def _reset_rss_peak():
    """Give freed heap memory back to the system and reset the peak resident set of this
    process (glibc, Linux >= 4.0), so that the next peak is this call's; False if not
    possible."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except (OSError, AttributeError):
        return False


def _status_bytes(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return None


def measure(fn, repeat=2, rss=False):
    """Best-of time, tracemalloc peak and (``rss``) peak resident set growth of ``fn()``."""
    t = best_of(fn, repeat)
    out = {"s": t}
    if rss and _reset_rss_peak():
        base = _status_bytes("VmRSS")
        fn()
        out["rss_peak_MB"] = (_status_bytes("VmHWM") - base) / 1e6
    tracemalloc.start()
    try:
        fn()
        out["traced_peak_MB"] = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return out


def fit(x, y):
    f = fit_power_law(x, y)
    return {"exponent": f.exponent, "ci_low": f.ci_low, "ci_high": f.ci_high}


def bench_scaling_rayleigh(P_values=(100, 300, 1000, 3000), dense_max=1000):
    kernel, d, sigma, n0, n1 = "laplace", 16, 0.25, 4000, 16
    R = vk.cutoff_function("gauss", np.sqrt(d))
    rows = []
    for P in P_values:
        def call(pair_sums, P=P):
            rng = np.random.default_rng(0)
            X = rng.standard_normal((P, d))
            return vk._rayleigh_quotient(kernel, P, sigma, d, 1.0, R, n0, n1, X, rng, 0,
                                         pair_sums=pair_sums)
        row = {"P": P, "S": vk._batch_size("n_other", P, n0, n1)}
        new = call(vk._pair_sums)
        row["kept_fraction"] = new.n_kept / new.n_samples
        row["blocked"] = measure(lambda: call(vk._pair_sums))
        if P <= dense_max:
            row["dense"] = measure(lambda: call(vk._pair_sums_dense))
            old = call(vk._pair_sums_dense)
            row["rel_diff"] = abs(new.estimate / old.estimate - 1)
        rows.append(row)
    return {"setting": {"kernel": kernel, "d": d, "sigma": sigma, "n_centre": n0,
                        "n_other": n1}, "rows": rows, "fits": _fits(rows, "P"),
            "fits_in_S": _fits(rows, "S")}


def bench_scaling_flow(P_values=(16, 32, 64, 128)):
    kernel, m, d, sigma, ell = "laplace", 16, 16, 0.01, 10.0
    from memlab.theory.kernel_scaling import kernel_expansion, memorization_time
    C, nu = kernel_expansion(kernel, d, ell=ell)
    rows = []
    for P in P_values:
        X, Y, Xt, Yt = flow_data(P, m, d, sigma, P)
        tau = float(memorization_time(P, sigma, d, nu, C))
        times = np.logspace(np.log10(tau) - 3, np.log10(tau) + 3, 121)
        args = (kernel, X, Y, Xt, Yt, times, d, ell, d / sigma**2)
        row = {"P": P, "n": P * m,
               "blocked": measure(lambda args=args: vk._flow_losses(*args), rss=True),
               "dense": measure(lambda args=args: vk._flow_losses_dense(*args), rss=True)}
        a, b = vk._flow_losses(*args), vk._flow_losses_dense(*args)
        row["diff_train_over_initial"] = float(np.max(np.abs(a[0] - b[0])) / b[0][0])
        row["rel_diff_test"] = float(np.max(np.abs(a[1] / b[1] - 1)))
        rows.append(row)
    return {"setting": {"kernel": kernel, "m": m, "d": d, "sigma": sigma, "ell": ell,
                        "times": 121}, "rows": rows, "fits": _fits(rows, "P")}


def _fits(rows, key):
    out = {}
    for side in ("blocked", "dense"):
        sel = [r for r in rows if side in r]
        if len(sel) < 3:
            continue
        x = [r[key] for r in sel]
        for q in ("s", "traced_peak_MB", "rss_peak_MB"):
            y = [r[side].get(q, 0.0) for r in sel]
            if min(y) > 0:
                out[f"{side}_{q}"] = fit(x, y)
    return out


def _exp(fits, name):
    f = fits.get(name)
    return "-" if f is None else f"{f['exponent']:.2f} [{f['ci_low']:.2f}, {f['ci_high']:.2f}]"


def _cell(row, side, q, fmt):
    return fmt.format(row[side][q]) if side in row and q in row[side] else "not run"


def markdown(result):
    mc, gf, rq, fl = (result[k] for k in ("mc", "gradient_flow", "scaling_rayleigh",
                                          "scaling_flow"))
    lines = [
        "# Kernel scaling: numba Monte Carlo, exact gradient flow, blocked memory-linear sums",
        "", machine_line(result["machine"]) + f" Measured dgemm peak "
        f"{result['float64_peak_flops'] / 1e9:.1f} Gflop/s.", "",
        "Every ratio is the best of several calls of each side, timed alternately in the same "
        "process after a warm-up (numba compile excluded, reported apart).", "",
        "## Monte Carlo of beta_d, gamma_d and exact gradient flow", "",
        "| measurement | value |", "|---|---|",
        f"| MC of beta_d, gamma_d (d = {mc['d']}, {mc['n_samples']:.0e} samples, the four sums "
        f"of b, b^2, g, g^2 from the same samples on both sides), numba, {mc['numba_threads']} "
        f"threads | {mc['numba_s'] * 1e3:.1f} ms |",
        f"| same, numba on 1 thread | {mc['numba_1thread_s'] * 1e3:.1f} ms |",
        f"| same formulas in vectorized numpy (1 thread) | {mc['numpy_s'] * 1e3:.1f} ms |",
        f"| **speed-up** | **{mc['speedup']:.1f}x** ({mc['speedup_1thread']:.1f}x per thread); "
        f"max relative difference of the sums {mc['max_rel_diff']:.1e} |",
        f"| numba kernel, fraction of dgemm peak (8 d flops per sample) | "
        f"{mc['fraction_of_peak'] * 100:.1f}% |",
        f"| numba compile of the reduction (fresh cache) | {mc['numba_compile_s']:.2f} s |",
        f"| `monte_carlo_constants` at the same setting, drawing included: three rotation "
        f"invariants per pair (chi2_d, N(0, 1), chi2_(d-1)) | {mc['public_radial_s'] * 1e3:.0f} ms |",
        f"| previous public path: 2d normals per pair, same kernel | "
        f"{mc['public_previous_s'] * 1e3:.0f} ms |",
        f"| **speed-up of the public call** | **{mc['public_speedup']:.0f}x**; the two beta "
        f"estimates (independent samples) differ by {mc['public_beta_z']:+.1f} combined s.e. |",
        f"| kernel gradient flow, eigenbasis: Gram, cross-Gram, train and test losses at "
        f"{gf['times']} times up to {gf['t_end_over_tau_pred']:g}/lambda_i (n = {gf['n']}) | "
        f"{gf['eigenbasis_s_121_times'] * 1e3:.1f} ms |",
        f"| explicit Euler in numpy, same losses at the same times, whole range "
        f"({gf['euler_steps']} steps, no extrapolation) | {gf['euler_s']:.2f} s |",
        f"| **speed-up** | **{gf['speedup']:.0f}x**; losses agree to "
        f"{gf['max_diff_train_over_initial']:.1e} of the initial train loss and "
        f"{gf['max_rel_diff_test']:.1e} relative (test): Euler's first-order step error |",
        "",
        f"tau_mem = {gf['tau_mem']:.4g} = {gf['tau_mem_over_tau_pred']:.3f}/lambda_i, inside the "
        f"range; the train loss ends at {gf['train_loss_end']:.1e} of its start.",
        "", "## Scaling in P: blocked (memory linear in P) against the dense versions", "",
        f"`rayleigh_quotient`, {rq['setting']['kernel']}, d = {rq['setting']['d']}, sigma = "
        f"{rq['setting']['sigma']} (all samples kept), n_centre = {rq['setting']['n_centre']}, "
        f"n_other = {rq['setting']['n_other']}; S samples per batch, 8 batches of S^2 pairs:",
        "", "| P | S | blocked time | dense time | blocked peak (traced) | dense peak (traced) "
        "| relative difference |", "|---|---|---|---|---|---|---|"]
    for r in rq["rows"]:
        lines.append(f"| {r['P']} | {r['S']} | {r['blocked']['s']:.2f} s | "
                     f"{_cell(r, 'dense', 's', '{:.2f} s')} | "
                     f"{r['blocked']['traced_peak_MB']:.1f} MB | "
                     f"{_cell(r, 'dense', 'traced_peak_MB', '{:.0f} MB')} | "
                     f"{r.get('rel_diff', float('nan')):.1e} |")
    f = rq["fits"]
    lines += ["", f"Fitted exponents in P (95% intervals): blocked time "
              f"{_exp(f, 'blocked_s')}, dense time {_exp(f, 'dense_s')}; blocked memory "
              f"{_exp(f, 'blocked_traced_peak_MB')}, dense memory "
              f"{_exp(f, 'dense_traced_peak_MB')}. In S, the samples per batch: blocked time "
              f"{_exp(rq['fits_in_S'], 'blocked_s')} (S^2/2 pairs), dense time "
              f"{_exp(rq['fits_in_S'], 'dense_s')}, dense memory "
              f"{_exp(rq['fits_in_S'], 'dense_traced_peak_MB')} (S x S arrays). S = 500 + 2 (P - 1) "
              "is not proportional to P here, so the exponents in P are below those in S. "
              "The blocked memory is the O(S d) samples and fixed 2 MB blocks.", "",
              f"Kernel gradient flow (`_flow_losses`), {fl['setting']['kernel']}, m = "
              f"{fl['setting']['m']}, d = {fl['setting']['d']}, {fl['setting']['times']} times; "
              "n = P m:", "",
              "| P | n | blocked time | dense time | blocked peak traced / RSS | dense peak "
              "traced / RSS | 2 n^2 floats | RSS peak - 2 n^2: blocked, dense | losses: train, "
              "test difference |", "|---|---|---|---|---|---|---|---|---|"]
    nan = float("nan")
    for r in fl["rows"]:
        b, d_ = r["blocked"], r["dense"]
        gram = 16 * r["n"] ** 2 / 1e6
        lines.append(f"| {r['P']} | {r['n']} | {b['s']:.2f} s | {d_['s']:.2f} s | "
                     f"{b['traced_peak_MB']:.0f} / {b.get('rss_peak_MB', nan):.0f} MB"
                     f" | {d_['traced_peak_MB']:.0f} / {d_.get('rss_peak_MB', nan):.0f}"
                     f" MB | {gram:.0f} MB | {b.get('rss_peak_MB', nan) - gram:.0f}, "
                     f"{d_.get('rss_peak_MB', nan) - gram:.0f} MB | "
                     f"{r['diff_train_over_initial']:.0e}, {r['rel_diff_test']:.0e} |")
    f = fl["fits"]
    lines += ["", f"Fitted exponents in P: blocked time {_exp(f, 'blocked_s')}, dense time "
              f"{_exp(f, 'dense_s')}; blocked memory (RSS) {_exp(f, 'blocked_rss_peak_MB')}, "
              f"dense memory (RSS) {_exp(f, 'dense_rss_peak_MB')}. The quadratic term left is "
              "the Gram matrix and its eigenvectors (2 n^2 floats), which the dense "
              "eigensolver needs; the dense version also held the cross-Gram matrix, its "
              "product with the eigenvectors and numpy's eigh buffers (untraced by "
              "tracemalloc, seen in the RSS). Train losses are compared to the initial loss "
              "(late ones are sums over the smallest modes, where the two eigensolvers differ "
              "at rounding). The blocked version's fixed blocks (about 20 MB: the dual "
              "coefficients for a block of times and a block of predictions) dominate its "
              "memory at small n; the time is the eigendecomposition's on both sides.", "", "Reproduce: `python benchmarks/bench_kernel.py`.", ""]
    return "\n".join(lines)


def main():
    info = machine()
    peak = float64_peak()
    result = {"machine": info, "float64_peak_flops": peak}
    result["mc"] = bench_mc(peak)
    result["gradient_flow"] = bench_flow()
    result["scaling_rayleigh"] = bench_scaling_rayleigh()
    result["scaling_flow"] = bench_scaling_flow()
    result["cpus"], result["date"] = info["cpus"], time.strftime("%Y-%m-%d")
    save_results("kernel", result, markdown(result))
    return result


if __name__ == "__main__":
    main()
