"""memlab verification: numba simulations, trained networks, figures and the CLI.

It imports :mod:`theory`; :mod:`theory` never imports it.

* :mod:`verification.gmm` -- Monte Carlo of the exact training losses of the
  GMM laboratory (seed 001), the simulated crossover point, and its plots.
* :mod:`verification.cli` -- the ``memlab`` command.
"""
