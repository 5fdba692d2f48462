"""memlab theory: closed forms and exact algorithms (numpy, scipy, sympy, mpmath only).

Submodules, one per concept:

* [`memlab.theory.schedules`][memlab.theory.schedules] -- VP and OU noise processes, SNR, seed 001's time grid.
* [`memlab.theory.gmm`][memlab.theory.gmm] -- the Gaussian-mixture memorization laboratory of seed 001:
  denoisers, closed-form excess losses and the crossover point ``M*(N, d, K)``.
* [`memlab.theory.mixing`][memlab.theory.mixing] -- seed 003's collapse (mixing) time t_M and the Gaussian
  KDE bandwidths it is compared with.
* [`memlab.theory.linear_diffusion`][memlab.theory.linear_diffusion] -- seed 003's linear diffusion model, the
  Hellinger distance and the memorization metric P(Delta > 0).
* [`memlab.theory.kernel_scaling`][memlab.theory.kernel_scaling] -- seed 000 App. G: local kernel eigenvalues
  and the memorization time tau_mem ~ P / sigma^nu.
* [`memlab.theory.metrics`][memlab.theory.metrics] -- copy criteria, memorization onset, power-law fits,
  sliced Wasserstein distance and the phase diagram of seed 000.
* [`memlab.theory.rhm`][memlab.theory.rhm] -- seed 000's Random Hierarchy Model: grammars, exact
  belief propagation, the exact denoiser and samplers.

The most used names are importable from the package itself and are loaded on
first use, so ``import memlab.theory`` stays fast::

    >>> from memlab.theory import crossover_point
    >>> round(crossover_point(200, 50, 12), 1)
    153.8

``memlab.theory.__all__`` lists the submodules (every public module of this
package, found on disk) and the re-exported functions.
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


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
