"""Sampling strings of an RHM grammar (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

import numpy as np

from ..._validation import MAX_SAMPLES, _show, check_bool, check_positive_int, check_rng
from ._grammar import _check_grammar, _num_strings


def _expand(grammar, roots, choices):
    """Strings (and latent symbols per level) from root classes and rule choices (BFS order)."""
    s = grammar.s
    sym = roots[:, None]
    latents, start = [sym], 0
    for l in range(grammar.L):
        n_l = s ** l
        k = choices[:, start:start + n_l]
        start += n_l
        sym = grammar.rules[l][sym, k].reshape(len(roots), n_l * s)
        latents.append(sym)
    return sym, latents[:-1]


def generate(grammar, P, *, distinct=False, seed=None, return_latents=False):
    r"""Sample P strings of the grammar (uniform over the [`num_strings`][memlab.theory.rhm.num_strings] strings).

    Parameters
    ----------
    grammar : Grammar
    P : int
        Number of strings.
    distinct : bool
        False: independent draws (with replacement). True: exactly P distinct
        strings, uniformly among all sets of P strings; ``P > num_strings``
        raises ValueError. Distinct integers are drawn and decoded in mixed
        radix (index -> root class, then one rule per internal node in
        breadth-first order); beyond int64 range, repeated draws are rejected.
    seed : int, Generator or None
    return_latents : bool
        Also return the latent symbols, a list of L arrays (P, s^l), l = 0..L-1.

    Returns
    -------
    x : int64 array (P, d), and the latents if asked.

    Examples
    --------
    >>> from memlab.theory.rhm import sample_grammar
    >>> g = sample_grammar(4, 2, 2, 2, seed=1)
    >>> x = generate(g, 32, distinct=True, seed=0)   # all 4 * 2^3 strings
    >>> len({tuple(r) for r in x})
    32
    """
    grammar = _check_grammar(grammar)
    P = check_positive_int("P", P, maximum=MAX_SAMPLES)
    distinct = check_bool("distinct", distinct)
    rng = check_rng(seed)
    return_latents = check_bool("return_latents", return_latents)
    v, m, s, L = grammar.v, grammar.m, grammar.s, grammar.L
    n_int = (s ** L - 1) // (s - 1)
    total = _num_strings(v, m, s, L)
    if not distinct:
        roots = rng.integers(0, v, size=P)
        choices = rng.integers(0, m, size=(P, n_int))
    elif P > total:
        raise ValueError(f"P must be <= num_strings = {total} for distinct strings, got {_show(P)}")
    elif total < 2 ** 62:
        idx = rng.choice(total, size=P, replace=False).astype(np.int64)
        roots = idx % v
        idx //= v
        choices = np.empty((P, n_int), dtype=np.int64)
        for i in range(n_int):
            choices[:, i] = idx % m
            idx //= m
    else:
        roots = rng.integers(0, v, size=P)
        choices = rng.integers(0, m, size=(P, n_int))
        while True:
            keys = np.concatenate([roots[:, None], choices], axis=1)
            _, first = np.unique(keys, axis=0, return_index=True)
            if first.size == P:
                break
            keep = np.sort(first)
            extra = P - keep.size
            roots = np.concatenate([roots[keep], rng.integers(0, v, size=extra)])
            choices = np.concatenate([choices[keep], rng.integers(0, m, size=(extra, n_int))])
    x, latents = _expand(grammar, roots.astype(np.int64), choices.astype(np.int64))
    return (x, latents) if return_latents else x
