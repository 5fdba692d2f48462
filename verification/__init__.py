"""memlab verification: numba simulations, trained networks, figures and the CLI.

It imports :mod:`theory`; :mod:`theory` never imports it.

* :mod:`verification.gmm` -- Monte Carlo of the exact training losses of the
  GMM laboratory (seed 001), the simulated crossover point, and its plots.
* :mod:`verification.mixing` -- numba simulation of the collapse time of the
  empirical OU mixture, against t_M (seed 003).
* :mod:`verification.linear_diffusion` -- grid and Monte Carlo checks of the
  linear diffusion model's distances, and the seed-003 figures.
* :mod:`verification.kernel_scaling` -- Monte Carlo of the kernel constants,
  Rayleigh quotients and exact kernel gradient flow (seed 000 App. G).
* :mod:`verification.rhm` -- brute-force and dense checks of the Random
  Hierarchy Model's belief propagation, level accuracies and generation
  errors of the exact-denoiser sampler (seed 000 sec. 4).
* :mod:`verification.metrics` -- the phase-diagram figure.
* :mod:`verification.training` -- torch: the score network of seed 000 App. G,
  seed 001's trained GMM denoisers and seed 000's D3PM U-Net on the RHM.
* :mod:`verification.cli` -- the ``memlab`` command.
"""
