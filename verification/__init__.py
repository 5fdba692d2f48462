"""memlab verification: numba simulations, trained networks, figures and the CLI.

It imports [`memlab.theory`][memlab.theory]; [`memlab.theory`][memlab.theory] never imports it.

* [`memlab.verification.gmm`][memlab.verification.gmm] -- Monte Carlo of the exact training losses of the
  GMM laboratory (seed 001), the simulated crossover point, and its plots.
* [`memlab.verification.mixing`][memlab.verification.mixing] -- numba simulation of the collapse time of the
  empirical OU mixture, against t_M (seed 003).
* [`memlab.verification.linear_diffusion`][memlab.verification.linear_diffusion] -- grid and Monte Carlo checks of the
  linear diffusion model's distances, and the seed-003 figures.
* [`memlab.verification.kernel_scaling`][memlab.verification.kernel_scaling] -- Monte Carlo of the kernel constants,
  Rayleigh quotients and exact kernel gradient flow (seed 000 App. G).
* [`memlab.verification.rhm`][memlab.verification.rhm] -- brute-force and dense checks of the Random
  Hierarchy Model's belief propagation, level accuracies and generation
  errors of the exact-denoiser sampler (seed 000 sec. 4).
* [`memlab.verification.metrics`][memlab.verification.metrics] -- the phase-diagram figure.
* [`memlab.verification.training`][memlab.verification.training] -- torch: the score network of seed 000 App. G,
  seed 001's trained GMM denoisers and seed 000's D3PM U-Net on the RHM.
* [`memlab.verification.cli`][memlab.verification.cli] -- the ``memlab`` command.

A check in one line: the Monte Carlo kernel constant against its closed form.

>>> from memlab.theory.kernel_scaling import beta_d
>>> from memlab.verification.kernel_scaling import monte_carlo_constants
>>> mc = monte_carlo_constants(64, 1, n_samples=100_000, seed=0)
>>> bool(abs(mc.beta - beta_d(64, 1)) < 3 * mc.beta_stderr)
True
"""
