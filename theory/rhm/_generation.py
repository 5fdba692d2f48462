"""Sampling strings of an RHM grammar (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

import numpy as np
from numpy.random import Generator

from ..._validation import MAX_SAMPLES, _show, check_bool, check_positive_int, check_rng
from ._grammar import Grammar, _check_grammar, _num_strings


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


def generate(grammar: Grammar, P: int, *, distinct: bool = False,
             seed: Generator | int | None = None, return_latents: bool = False,
             ) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
    r"""Sample P strings of the grammar (uniform over the [`num_strings`][memlab.theory.rhm.num_strings] strings).

    Ancestral sampling down the tree (Favero et al. 2025, Sec. 4.1): a uniform
    root class, then at every internal node one of the m rules of its symbol
    with probability 1/m. Unambiguity makes the strings uniform over the
    $v\,m^{(d-1)/(s-1)}$ possible ones; a training set of the paper is P such
    strings.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    P : int
        Number of strings, >= 1.
    distinct : bool, default False
        False: independent draws (with replacement). True: exactly P distinct
        strings, uniformly among all sets of P strings; ``P > num_strings``
        raises ValueError. Distinct integers are drawn and decoded in mixed
        radix (index -> root class, then one rule per internal node in
        breadth-first order); beyond int64 range, repeated draws are rejected.
    seed : Generator | int | None, default None
        Random seed or generator.
    return_latents : bool, default False
        Also return the latent symbols.

    Returns
    -------
    x : numpy.ndarray
        The strings, int64 array of shape (P, d).
    latents : list of numpy.ndarray
        Only if ``return_latents``: the symbols of tree levels l = 0..L-1, one
        int64 array of shape (P, s^l) per level.

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar] or another argument has the
        wrong type.
    ValueError
        If P < 1, or ``distinct`` is true and P exceeds the number of strings.

    References
    ----------
    Favero et al. (2025), Sec. 4.1; Cagnetta et al. (2024).

    Examples
    --------
    >>> from memlab.theory.rhm import sample_grammar
    >>> g = sample_grammar(4, 2, 2, 2, seed=1)
    >>> x = generate(g, 32, distinct=True, seed=0)   # all 4 * 2^3 strings
    >>> len({tuple(r) for r in x})
    32
    >>> x, latents = generate(g, 5, seed=0, return_latents=True)
    >>> x.shape, [a.shape for a in latents]
    ((5, 4), [(5, 1), (5, 2)])
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
