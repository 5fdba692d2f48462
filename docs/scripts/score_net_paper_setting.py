"""The setting of Favero et al. (2025), Fig. 16 (d = 64, P = 128, width 8192): tau_mem against
sigma, the network next to the exact NTK flow.

Needs a GPU: the width-8192 network on P m = 1024 samples trains for up to about 37,000
full-batch steps (4 x the kernel time 9221 at the smallest sigma), far beyond a shared CPU. It has not been run: no GPU was available to the sessions that
wrote it. Run ``python docs/scripts/score_net_paper_setting.py cuda [OUT_JSON]``.

What it records, per noise level sigma^2 in (0.008, 0.016, 0.032, 0.064) (seed 5, m = 8,
lazy scale alpha = 100, full-batch gradient descent at lr 1, trained up to 4 x the kernel
flow's tau_mem): the network's half time of the train loss (``tau_mem`` of
`memlab.verification.training.score_net.train_score_network`) and its gap-threshold onset
(`memlab.theory.metrics.memorization_onset` at 0.5), next to the exact NTK gradient flow's
``tau_mem`` and ``tau_gap`` on the same data
(`memlab.verification.kernel_scaling.kernel_gradient_flow`), and the wall time of each
run; then the fitted exponent of each of the four times against sigma with its 95%
interval (Fig. 16 claims -1 for the network). It prints one line per sigma and the fits,
and with OUT_JSON writes them with a manifest (settings, versions, date).
"""

import json
import sys
import time

import numpy as np

from memlab.theory.metrics import fit_power_law, memorization_onset
from memlab.verification.kernel_scaling import kernel_gradient_flow
from memlab.verification.training.score_net import train_score_network


def main(device="cuda", out=None):
    P, d, m, seed, width = 128, 64, 8, 5, 8192
    sigmas = [float(np.sqrt(v)) for v in (0.008, 0.016, 0.032, 0.064)]
    half, gap, khalf, kgap, rows = [], [], [], [], []
    for s in sigmas:
        t0 = time.time()
        k = kernel_gradient_flow("ntk", P, s, d, m=m, seed=seed)
        r = train_score_network(P, s, d, width=width, m=m, alpha=100.0, lr=1.0,
                                max_time=4.0 * k.tau_mem, eval_every=25, device=device, seed=seed)
        pos = r.times > 0
        g = memorization_onset(r.times[pos], r.train_loss[pos], r.test_loss[pos], 0.5)
        half.append(r.tau_mem), gap.append(g), khalf.append(k.tau_mem), kgap.append(k.tau_gap)
        rows.append({"sigma": s, "network_half": r.tau_mem, "network_gap": g,
                     "ntk_half": k.tau_mem, "ntk_gap": k.tau_gap, "seconds": time.time() - t0})
        print(f"sigma={s:.4f}: network half {r.tau_mem:.1f} gap {g:.1f} | NTK flow half "
              f"{k.tau_mem:.1f} gap {k.tau_gap:.1f}", flush=True)
    fits = {}
    for name, v in (("network half", half), ("network gap", gap), ("NTK half", khalf),
                    ("NTK gap", kgap)):
        if all(np.isfinite(v)):
            f = fit_power_law(sigmas, v)
            fits[name] = {"exponent": f.exponent, "ci_low": f.ci_low, "ci_high": f.ci_high}
            print(f"{name}: exponent {f.exponent:.3f} [{f.ci_low:.3f}, {f.ci_high:.3f}]", flush=True)
    if out:
        import torch

        from memlab.verification.training._common import manifest

        settings = dict(P=P, d=d, m=m, seed=seed, width=width, alpha=100.0, lr=1.0,
                        sigma2=[0.008, 0.016, 0.032, 0.064], device=str(device),
                        gpu=torch.cuda.get_device_name() if torch.cuda.is_available() else None)
        with open(out, "w") as fh:
            json.dump({"manifest": manifest(settings), "rows": rows, "fits": fits}, fh, indent=1,
                      default=lambda v: None)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cuda", sys.argv[2] if len(sys.argv) > 2 else None)
