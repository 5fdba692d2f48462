"""memlab theory: closed forms and exact algorithms (numpy, scipy, sympy, mpmath only).

Submodules, one per concept:

* :mod:`theory.schedules` -- VP and OU noise processes, SNR, seed 001's time grid.
* :mod:`theory.gmm` -- the Gaussian-mixture memorization laboratory of seed 001:
  denoisers, closed-form excess losses and the crossover point ``M*(N, d, K)``.

The most used names are importable from the package itself and are loaded on
first use, so ``import theory`` stays fast::

    >>> from theory import crossover_point
    >>> round(crossover_point(200, 50, 12), 1)
    153.8
"""

import importlib

__all__ = ["schedules", "gmm", "crossover_point", "loss_gap", "gmm_denoiser",
           "empirical_denoiser", "nearest_neighbour_constant", "snr", "reference_timesteps"]

_SUBMODULES = {"schedules", "gmm"}
_EXPORTS = {
    "crossover_point": "gmm",
    "loss_gap": "gmm",
    "gmm_denoiser": "gmm",
    "empirical_denoiser": "gmm",
    "nearest_neighbour_constant": "gmm",
    "snr": "schedules",
    "reference_timesteps": "schedules",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'theory' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
