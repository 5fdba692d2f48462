"""memlab: memorization versus generalization in diffusion models, exact and tested.

Two subpackages:

* [`memlab.theory`][memlab.theory] -- closed forms and exact algorithms (numpy, scipy,
  sympy, mpmath only); importing it is fast and loads neither numba nor torch.
* [`memlab.verification`][memlab.verification] -- independent numerical checks (numba
  Monte Carlo, small torch networks), figures, the report and the ``memlab`` command. It
  imports ``memlab.theory``, never the reverse.

The most used theory functions are importable from the top level and are loaded on
first use (the functions that ``memlab.theory`` re-exports).

Examples
--------
>>> import memlab
>>> round(memlab.crossover_point(200, 50, 12), 1)
153.8
"""

__version__ = "0.1.0"

_SUBPACKAGES = ("theory", "verification")


def __getattr__(name):
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    theory = importlib.import_module(f"{__name__}.theory")
    if name in theory._EXPORTS:
        return getattr(theory, name)
    raise AttributeError(f"module 'memlab' has no attribute {name!r}")


def __dir__():
    from memlab.theory import _EXPORTS

    return sorted(set(globals()) | set(_SUBPACKAGES) | set(_EXPORTS))
