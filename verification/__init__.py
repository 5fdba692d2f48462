r"""memlab verification: numba simulations, trained networks, figures and the CLI.

It imports [`memlab.theory`][memlab.theory]; [`memlab.theory`][memlab.theory] never imports it.

* [`memlab.verification.gmm`][memlab.verification.gmm] -- Monte Carlo of the exact training losses of the
  GMM laboratory of Buchanan et al. (2025), the simulated crossover point, and its plots.
* [`memlab.verification.mixing`][memlab.verification.mixing] -- numba simulation of the collapse time of the
  empirical OU mixture, against $t_M$ (the onset paper, Sec. 2.2).
* [`memlab.verification.linear_diffusion`][memlab.verification.linear_diffusion] -- grid and Monte Carlo checks of the
  linear diffusion model's distances, and the figures of the onset paper (Figs. 2 and 3).
* [`memlab.verification.kernel_scaling`][memlab.verification.kernel_scaling] -- Monte Carlo of the kernel constants,
  Rayleigh quotients and exact kernel gradient flow (Favero et al. 2025, App. G).
* [`memlab.verification.rhm`][memlab.verification.rhm] -- brute-force and dense checks of the Random
  Hierarchy Model's belief propagation, level accuracies and generation
  errors of the exact-denoiser sampler (Favero et al. 2025, Sec. 4).
* [`memlab.verification.metrics`][memlab.verification.metrics] -- the phase-diagram figure (Favero et al. 2025, Fig. 6).
* [`memlab.verification.training`][memlab.verification.training] -- torch: the score network of Favero et al. (2025),
  App. G, the trained GMM denoisers of Buchanan et al. (2025) and the D3PM U-Net on the
  RHM of Favero et al. (2025).
* [`memlab.verification.cli`][memlab.verification.cli] -- the ``memlab`` command.

Every plot function takes ``ax=None`` (one panel) or ``fig=None`` (several panels),
keyword-only, and returns the `matplotlib.figure.Figure` it drew on; a new figure is
not registered with pyplot (nothing to close).

The papers: Favero et al. (2025), "Bigger isn't always memorizing: early stopping
overparameterized diffusion models"; Buchanan et al. (2025), "On the edge of memorization
in diffusion models" (NeurIPS 2025); "On the onset of memorization to generalization
transition in diffusion models" (the onset paper; anonymous, under review).

A check in one line: the Monte Carlo kernel constant against its closed form.

>>> from memlab.theory.kernel_scaling import beta_d
>>> from memlab.verification.kernel_scaling import monte_carlo_constants
>>> mc = monte_carlo_constants(64, 1, n_samples=100_000, seed=0)
>>> bool(abs(mc.beta - beta_d(64, 1)) < 3 * mc.beta_stderr)
True
"""
