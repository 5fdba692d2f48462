r"""memlab theory: closed forms and exact algorithms (numpy, scipy, sympy, mpmath only).

Submodules, one per concept, each naming the paper, section and equations it
implements and where its approximations stop holding:

* [`memlab.theory.schedules`][memlab.theory.schedules] -- VP and OU noise processes, the
  SNR and the time grid of Buchanan et al. (2025).
* [`memlab.theory.gmm`][memlab.theory.gmm] -- the Gaussian-mixture memorization
  laboratory of Buchanan et al. (2025): denoisers, closed-form excess losses and the
  crossover point $M^*(N, d, K)$ (their eq. 14).
* [`memlab.theory.mixing`][memlab.theory.mixing] -- the collapse (mixing) time $t_M$
  of the onset paper (eq. 9, after Biroli et al. 2024) and the Gaussian KDE bandwidths
  it is compared with.
* [`memlab.theory.linear_diffusion`][memlab.theory.linear_diffusion] -- the linear
  diffusion model of the onset paper, the Hellinger distance and the memorization
  metric $P(\Delta > 0)$.
* [`memlab.theory.kernel_scaling`][memlab.theory.kernel_scaling] -- Favero et al.
  (2025), App. G: local kernel eigenvalues and the memorization time
  $\tau_{\rm mem} \sim P / \sigma^\nu$.
* [`memlab.theory.metrics`][memlab.theory.metrics] -- copy criteria, memorization
  onset, power-law fits, the sliced Wasserstein distance (the position paper, 2026)
  and the phase diagram of Favero et al. (2025).
* [`memlab.theory.rhm`][memlab.theory.rhm] -- the Random Hierarchy Model of Favero et
  al. (2025), Sec. 4: grammars, exact belief propagation, the exact denoiser and
  samplers.

The most used names are importable from the package itself and are loaded on
first use, so `import memlab.theory` stays fast (see Examples).
`memlab.theory.__all__` lists the submodules (every public module of this
package, found on disk) and the re-exported functions.

References
----------
- A. Favero, A. Sclocchi, M. Wyart (2025), "Bigger isn't always memorizing: early
  stopping overparameterized diffusion models", arXiv:2505.16959.
- S. Buchanan, D. Pai, Y. Ma, V. De Bortoli (2025), "On the edge of memorization in
  diffusion models", NeurIPS 2025.
- "Understanding diffusion models requires rethinking (again) generalization"
  (the position paper, 2026).
- "On the onset of memorization to generalization transition in diffusion models"
  (the onset paper, anonymous, under review).

Examples
--------
>>> from memlab.theory import crossover_point
>>> round(crossover_point(200, 50, 12), 1)
153.8
>>> import memlab.theory
>>> "gmm" in memlab.theory.__all__, "crossover_point" in memlab.theory.__all__
(True, True)
"""

import importlib
import pkgutil

# name -> submodule that defines it: the one list of re-exported functions.
_EXPORTS = {
    "crossover_point": "gmm",
    "loss_gap": "gmm",
    "gmm_denoiser": "gmm",
    "empirical_denoiser": "gmm",
    "nearest_neighbour_constant": "gmm",
    "snr": "schedules",
    "reference_timesteps": "schedules",
    "mixing_time": "mixing",
    "compare_bandwidths": "mixing",
    "p_delta_positive": "linear_diffusion",
    "p_delta_curve": "linear_diffusion",
    "memorization_time": "kernel_scaling",
    "kernel_expansion": "kernel_scaling",
    "fit_power_law": "metrics",
    "memorization_onset": "metrics",
    "memorization_ratio": "metrics",
    "copy_mask": "metrics",
    "sample_grammar": "rhm",
    "exact_denoiser": "rhm",
    "belief_propagation": "rhm",
}
_SUBMODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                           if not m.name.startswith("_")))
__all__ = list(_SUBMODULES) + list(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
