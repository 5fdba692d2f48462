"""The setting of Favero et al. (2025), Fig. 16 (d = 64, P = 128, width 8192): tau_mem against
sigma, the network next to the exact NTK flow.

Run on a GPU: ``python docs/scripts/score_net_paper_setting.py cuda``. Prints, per sigma, the
train-loss half time and the gap-threshold onset (0.5) of the network, and the exact NTK flow's.
"""

import sys

import numpy as np

from memlab.theory.metrics import fit_power_law, memorization_onset
from memlab.verification.kernel_scaling import kernel_gradient_flow
from memlab.verification.training.score_net import train_score_network


def main(device="cuda"):
    P, d, m, seed, width = 128, 64, 8, 5, 8192
    sigmas = [float(np.sqrt(v)) for v in (0.008, 0.016, 0.032, 0.064)]
    half, gap, khalf, kgap = [], [], [], []
    for s in sigmas:
        k = kernel_gradient_flow("ntk", P, s, d, m=m, seed=seed)
        r = train_score_network(P, s, d, width=width, m=m, alpha=100.0, lr=1.0,
                                max_time=4.0 * k.tau_mem, eval_every=25, device=device, seed=seed)
        pos = r.times > 0
        g = memorization_onset(r.times[pos], r.train_loss[pos], r.test_loss[pos], 0.5)
        half.append(r.tau_mem), gap.append(g), khalf.append(k.tau_mem), kgap.append(k.tau_gap)
        print(f"sigma={s:.4f}: network half {r.tau_mem:.1f} gap {g:.1f} | NTK flow half "
              f"{k.tau_mem:.1f} gap {k.tau_gap:.1f}", flush=True)
    for name, v in (("network half", half), ("network gap", gap), ("NTK half", khalf),
                    ("NTK gap", kgap)):
        if all(np.isfinite(v)):
            f = fit_power_law(sigmas, v)
            print(f"{name}: exponent {f.exponent:.3f} [{f.ci_low:.3f}, {f.ci_high:.3f}]", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cuda")
