r"""The Random Hierarchy Model and its exact score by belief propagation (Favero et al. 2025, Sec. 4).

Implements the grammar and the exact score of Favero et al. (2025), "Bigger
isn't always memorizing", Sec. 4 (4.1: the model; 4.2: its exact score by
belief propagation and the sample complexities; App. B.3, eq. 4: the uniform
diffusion; App. F: rule statistics).

The Random Hierarchy Model (RHM, Cagnetta et al. 2024; Favero et al. 2025,
Sec. 4.1) is a probabilistic context-free grammar on a regular tree of depth L
and branching factor s. Every level has a vocabulary of v symbols; each symbol
has m production rules ("synonyms"), each an s-tuple of symbols of the level
below, chosen with probability 1/m. Rules are unambiguous: per level the v m
right-hand sides are distinct s-tuples drawn without replacement from the
$v^s$ possible ones, so m must not exceed $v^{s-1}$. Strings have
$d = s^L$ visible tokens; the root class is uniform over v.

Indexing. ``grammar.rules[l]`` (shape (v, m, s)) expands the symbols of tree
level l (level 0 is the root, level l has $s^l$ nodes) into level l + 1;
``rules[L-1]`` produces the visible tokens. Favero et al. (2025) count
*layers* from the bottom (the tokens are their layer 0): their layer
$\ell = 1$ are the rules ``rules[L-1]`` and their layer $\ell = L$ the root
rules ``rules[0]``. Per-layer quantities in this module
([`layer_validity`][memlab.theory.rhm.layer_validity], [`sample_complexity`][memlab.theory.rhm.sample_complexity]) use the paper's
$\ell = 1..L$, stored at index $\ell - 1$.

Diffusion. A token is corrupted independently of the others:

* uniform (D3PM, Austin et al. 2021; Favero et al. 2025, App. B.3, eq. 4):
  $q(x_t = b | x_0 = a) = \bar\alpha\,[a = b] + (1 - \bar\alpha)/v$;
* masked (absorbing state, as MD4 in the paper's App. B.2, eq. 3): the token
  is kept with probability $\bar\alpha$ and otherwise replaced by the mask
  token, the integer v.

Because the data distribution factorises on the tree, the exact posterior
$p(x_0 | x_t)$, its per-token marginals (the exact denoiser
$E[x_0 | x_t]$ of one-hot tokens, hence the exact score) and exact
joint posterior samples are computed by belief propagation (BP) on the tree
(Mezard & Montanari 2009), in $O(v m s)$ operations per node, vectorised
over a batch of strings with numpy.

What is exact and what is not: everything computed here is exact for a known
grammar (no approximation), but it is the score of the *population*
distribution, the "perfect" denoiser a network would reach by generalizing. The
sample complexities of [`sample_complexity`][memlab.theory.rhm.sample_complexity] are order-of-magnitude laws
without a prefactor. A trained network learns this score while it generalizes
and departs from it when it starts to memorize (Favero et al. 2025,
Secs. 4.3-4.4).

The module is a package of private parts, one concept each, behind these
names: ``_grammar`` ([`Grammar`][memlab.theory.rhm.Grammar], [`sample_grammar`][memlab.theory.rhm.sample_grammar], counting),
``_generation`` ([`generate`][memlab.theory.rhm.generate]), ``_parsing`` ([`parse`][memlab.theory.rhm.parse] and string
statistics), ``_noise`` (corruption and leaf likelihoods), ``_bp`` (belief
propagation and [`exact_denoiser`][memlab.theory.rhm.exact_denoiser]) and ``_sampling`` (posterior and
reverse-diffusion samplers). Public functions check their arguments; the
parts call each other's unchecked internals.

References
----------
* Favero et al. (2025), "Bigger isn't always memorizing: early stopping
  overparameterized diffusion models", Sec. 4 and Apps. B.3, F.
* Cagnetta et al. (2024), "How deep neural networks learn compositional data:
  the random hierarchy model", Phys. Rev. X 14, 031001.
* Mezard & Montanari (2009), "Information, physics, and computation",
  Oxford University Press.

Examples
--------
A small grammar, noisy strings, their exact posterior and a reverse-diffusion
sample:

>>> from memlab.theory import rhm
>>> g = rhm.sample_grammar(8, 2, 2, 3, seed=0)
>>> x0 = rhm.generate(g, 4, seed=0)
>>> x_t = rhm.add_noise(x0, 0.5, g.v, seed=1)
>>> p = rhm.exact_denoiser(g, x_t, 0.5)
>>> p.shape, bool(abs(p.sum(-1) - 1).max() < 1e-12)
((4, 8, 8), True)
>>> bool(rhm.layer_validity(g, rhm.reverse_sample(g, 16, 10, method="joint", seed=2)).all())
True
"""

from __future__ import annotations

from ..metrics import nearest_hamming
from ._bp import BPResult, belief_propagation, exact_denoiser
from ._generation import generate
from ._grammar import Grammar, num_strings, sample_complexity, sample_grammar
from ._noise import PROCESSES, add_noise, leaf_likelihood
from ._parsing import (ParseResult, copy_fraction, expected_rule_usage, layer_error_fractions,
                       layer_validity, parse, rule_usage)
from ._sampling import denoiser_hellinger, keep_schedule, reverse_sample, sample_posterior

__all__ = [
    "Grammar", "sample_grammar", "num_strings", "sample_complexity", "generate",
    "ParseResult", "parse", "layer_validity", "layer_error_fractions", "nearest_hamming",
    "copy_fraction", "rule_usage", "expected_rule_usage", "PROCESSES", "leaf_likelihood",
    "add_noise", "BPResult", "belief_propagation", "exact_denoiser", "sample_posterior",
    "keep_schedule", "reverse_sample", "denoiser_hellinger",
]
