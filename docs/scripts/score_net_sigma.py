"""tau_mem against sigma for the trained network, next to the exact NTK kernel flow on the same data.

Run on a GPU: ``python docs/scripts/score_net_sigma.py cuda [OUT_JSON]`` (CPU: pass cpu,
with smaller widths). Prints one line per (width, sigma) and writes the results as JSON.
"""

import json
import sys
import time

from memlab.theory.metrics import fit_power_law
from memlab.verification.kernel_scaling import kernel_gradient_flow
from memlab.verification.training.score_net import train_score_network


def main(device="cuda", out=None, widths=(16384, 65536), sigmas=(0.005, 0.01, 0.02, 0.04)):
    P, d, m, seed = 16, 16, 8, 5
    rows = []
    kern = {s: kernel_gradient_flow("ntk", P, s, d, m=m, seed=seed).tau_mem for s in sigmas}
    print("exact NTK flow:", {s: round(t, 1) for s, t in kern.items()},
          fit_power_law(list(sigmas), [kern[s] for s in sigmas]), flush=True)
    for w in widths:
        taus = []
        for s in sigmas:
            t0 = time.time()
            r = train_score_network(P, s, d, width=w, m=m, alpha=100.0, lr=1.0,
                                    max_time=3.0 * 16052.0 * 0.01 / s, eval_every=50,
                                    device=device, seed=seed)
            taus.append(r.tau_mem)
            rows.append({"width": w, "sigma": s, "tau_mem": r.tau_mem, "tau_kernel": kern[s],
                         "seconds": time.time() - t0})
            print(rows[-1], flush=True)
        ok = [(s, t) for s, t in zip(sigmas, taus) if t == t]
        if len(ok) >= 3:
            f = fit_power_law(*zip(*ok))
            print(f"width {w}: exponent {f.exponent:.3f} +- {f.stderr:.3f} "
                  f"[{f.ci_low:.3f}, {f.ci_high:.3f}]", flush=True)
        else:
            print(f"width {w}: memorization not reached within 3x the kernel time for "
                  f"{len(sigmas) - len(ok)} of {len(sigmas)} sigmas; no fit", flush=True)
    if out:
        with open(out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cuda", sys.argv[2] if len(sys.argv) > 2 else None)
