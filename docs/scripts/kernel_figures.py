"""Figures of docs/kernel_scaling.md (Favero et al. 2025, App. G).

Run: ``python docs/scripts/kernel_figures.py`` (about 30 s on 2 cores). Writes
docs/figures/{kernel_eigenvalue_scaling,kernel_gradient_flow,kernel_tau_scaling}.png and
prints the numbers quoted in the docs.
"""

from pathlib import Path

from memlab.verification import kernel_scaling as vk

FIG = Path(__file__).resolve().parents[1] / "figures"


def main():
    FIG.mkdir(exist_ok=True)
    fit = vk.fit_eigenvalue_scaling("laplace", 16, sigmas=[0.001, 0.002, 0.004, 0.008], P_fixed=16,
                                    P_values=[8, 16, 32, 64], sigma_fixed=0.004, ell=10.0,
                                    n_centre=3000, seed=1)
    vk.plot_eigenvalue_scaling(fit, "laplace", 16, ell=10.0).savefig(
        FIG / "kernel_eigenvalue_scaling.png", dpi=120)
    print("Laplace eigenvalue exponents:", fit.sigma_fit, fit.P_fit)
    Ps, sig = [8, 16, 32, 64], [0.0025, 0.005, 0.01, 0.02]
    runs_P = [vk.kernel_gradient_flow("laplace", P, 0.01, 16, ell=10.0, m=16, seed=P) for P in Ps]
    runs_s = [vk.kernel_gradient_flow("laplace", 32, s, 16, ell=10.0, m=16, seed=1) for s in sig]
    vk.plot_gradient_flow(runs_P).savefig(FIG / "kernel_gradient_flow.png", dpi=120)
    note = ("Memorization time of exact kernel gradient flow: Laplace kernel, d = 16, ell = 10, "
            "m = 16 copies per point\nP scan at $\\sigma$ = 0.01 (seed P), $\\sigma$ scan at "
            "P = 32 (seed 1); theory: Favero et al. (2025), eq. 24")
    vk.plot_tau_scaling(Ps, [r.tau_mem for r in runs_P], sig, [r.tau_mem for r in runs_s],
                        nu=1.0, note=note).savefig(FIG / "kernel_tau_scaling.png", dpi=120)
    for r in runs_P + runs_s:
        print(f"P={r.P} sigma={r.sigma}: tau_mem={r.tau_mem:.4g} tau_gap={r.tau_gap:.4g} "
              f"1/lambda={r.tau_predicted:.4g} ratio={r.tau_mem / r.tau_predicted:.3f}")


if __name__ == "__main__":
    main()
