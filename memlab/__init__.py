"""memlab: memorization versus generalization in diffusion models, exact and tested.

Two subpackages:

* [`memlab.theory`][memlab.theory] -- closed forms and exact algorithms (numpy, scipy,
  sympy, mpmath only); importing it is fast and loads neither numba nor torch.
* [`memlab.verification`][memlab.verification] -- independent numerical checks (numba
  Monte Carlo, small torch networks), figures, the report and the ``memlab`` command. It
  imports ``memlab.theory``, never the reverse.

The most used theory functions are importable from the top level and are loaded on
first use (the names are those of ``memlab.theory.__all__``)::

    >>> import memlab
    >>> round(memlab.crossover_point(200, 50, 12), 1)
    153.8
"""

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = ("theory", "verification")


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    theory = importlib.import_module(f"{__name__}.theory")
    if name in theory.__all__:
        return getattr(theory, name)
    raise AttributeError(f"module 'memlab' has no attribute {name!r}")


def __dir__():
    theory = importlib.import_module(f"{__name__}.theory")
    return sorted(set(globals()) | set(_SUBPACKAGES) | set(theory.__all__))
