"""Parsing RHM strings and their statistics: validity per layer, copies, rule usage
(part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

from dataclasses import dataclass

from memlab._results import Result
import numpy as np
from numpy.typing import ArrayLike

from ..._validation import check_tokens
from ..metrics import hamming_copy_fraction
from ._grammar import Grammar, _check_grammar, _tuple_codes


@dataclass(frozen=True)
class ParseResult(Result):
    """Bottom-up parse of strings by [`parse`][memlab.theory.rhm.parse].

    Attributes
    ----------
    symbols : tuple of numpy.ndarray
        Per tree level l = 0..L-1 (level 0 = root), the symbol of every node,
        an int64 array of shape (batch, s^l); -1 where the parse failed.
    rule_index : tuple of numpy.ndarray
        Per tree level, the index k in [0, m) of the rule that produced the
        node's children, same shapes; -1 where the parse failed.
    """

    symbols: tuple
    rule_index: tuple


def _check_strings(grammar, x):
    """(grammar, tokens (batch, d)) after checking both."""
    grammar = _check_grammar(grammar)
    tokens, _ = check_tokens("x", x, length=grammar.d, n_tokens=grammar.v)
    return grammar, tokens


def _parse(grammar, tokens):
    B, s, v = tokens.shape[0], grammar.s, grammar.v
    symbols, rule_index = [None] * grammar.L, [None] * grammar.L
    child = tokens
    for l in range(grammar.L - 1, -1, -1):
        ch = child.reshape(B, s ** l, s)
        ok = np.all(ch >= 0, axis=-1)
        code = _tuple_codes(np.maximum(ch, 0), v)
        codes, sym_of, rule_of = grammar._parse_tables[l]
        pos = np.minimum(np.searchsorted(codes, code), codes.size - 1)
        ok &= codes[pos] == code
        symbols[l] = np.where(ok, sym_of[pos], -1)
        rule_index[l] = np.where(ok, rule_of[pos], -1)
        child = symbols[l]
    return ParseResult(tuple(symbols), tuple(rule_index))


def parse(grammar: Grammar, x: ArrayLike) -> ParseResult:
    """Parse strings bottom-up with the (unambiguous) rules.

    A node gets a symbol when its s children have symbols and form a
    right-hand side of the node's level; otherwise it and its ancestors get -1.
    Unambiguity (Favero et al. 2025, Sec. 4.1: two distinct symbols cannot
    generate the same s-string) makes the parse unique, so a string is valid
    exactly when its root gets a symbol.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    x : array_like of int
        Token strings, shape (batch, d) or (d,), tokens in [0, v).

    Returns
    -------
    ParseResult
        Symbols and rule indices of every node, -1 where the parse failed.

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar] or ``x`` not an integer array.
    ValueError
        If ``x`` does not have d columns, is empty, or has a token out of
        [0, v).

    References
    ----------
    Favero et al. (2025), Sec. 4.1.

    Examples
    --------
    >>> from memlab.theory.rhm import Grammar
    >>> g = Grammar(2, 1, 2, 1, [[[[0, 1]], [[1, 1]]]])    # 0 -> (0, 1), 1 -> (1, 1)
    >>> parse(g, [[1, 1], [0, 1], [0, 0]]).symbols[0].ravel().tolist()
    [1, 0, -1]
    """
    return _parse(*_check_strings(grammar, x))


def _layer_validity(grammar, tokens):
    res = _parse(grammar, tokens)
    L = grammar.L
    out = np.empty((res.symbols[0].shape[0], L), dtype=bool)
    for ell in range(1, L + 1):
        out[:, ell - 1] = np.all(res.symbols[L - ell] >= 0, axis=1)
    return out


def layer_validity(grammar: Grammar, x: ArrayLike) -> np.ndarray:
    r"""Whether each string is valid up to each layer, shape (batch, L), bool.

    Column $\ell - 1$ (layer $\ell = 1..L$ of Favero et al. 2025, counted
    from the tokens) is True when every node of the bottom $\ell$ rule
    layers parses, i.e. the string is compatible with the rules up to layer
    $\ell$: the paper's criterion of partial generalization (Sec. 4.4).
    Validity is cumulative: column L - 1 is full validity.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    x : array_like of int
        Token strings, shape (batch, d) or (d,), tokens in [0, v).

    Returns
    -------
    numpy.ndarray
        Boolean array of shape (batch, L).

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar] or ``x`` not an integer array.
    ValueError
        If ``x`` does not have d columns, is empty, or has a token out of
        [0, v).

    References
    ----------
    Favero et al. (2025), Secs. 4.3-4.4 and Fig. 5a.

    Examples
    --------
    >>> from memlab.theory.rhm import Grammar
    >>> g = Grammar(2, 1, 2, 2, [[[[0, 1]], [[1, 1]]], [[[0, 1]], [[1, 1]]]])
    >>> layer_validity(g, [[0, 1, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1]]).tolist()
    [[True, True], [True, False], [False, False]]
    """
    return _layer_validity(*_check_strings(grammar, x))


def layer_error_fractions(grammar: Grammar, x: ArrayLike) -> np.ndarray:
    r"""Fraction of strings not valid up to layer $\ell$, for $\ell = 1..L$ (Favero et al. 2025, Fig. 5a).

    One minus the column means of [`layer_validity`][memlab.theory.rhm.layer_validity]: the "fraction of
    errors" at layer $\ell$ that the paper tracks during training to see which
    levels of the rules a diffusion model has learned (Sec. 4.4).
    Non-decreasing in $\ell$.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    x : array_like of int
        Token strings, shape (batch, d) or (d,), tokens in [0, v).

    Returns
    -------
    numpy.ndarray
        Float array of shape (L,), entries in [0, 1].

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar] or ``x`` not an integer array.
    ValueError
        If ``x`` does not have d columns, is empty, or has a token out of
        [0, v).

    References
    ----------
    Favero et al. (2025), Sec. 4.4 and Fig. 5a.

    Examples
    --------
    >>> from memlab.theory.rhm import Grammar
    >>> g = Grammar(2, 1, 2, 2, [[[[0, 1]], [[1, 1]]], [[[0, 1]], [[1, 1]]]])
    >>> layer_error_fractions(g, [[0, 1, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1]]).tolist()
    [0.25, 0.5]
    """
    return 1.0 - _layer_validity(*_check_strings(grammar, x)).mean(axis=0)


def copy_fraction(x: ArrayLike, train: ArrayLike) -> float:
    """Fraction of strings of ``x`` that are exact copies of a string of ``train``.

    The memorization measure of Favero et al. (2025), Sec. 4.3, for RHM data:
    a generated string is a copy when it equals a training string (normalised
    Hamming distance 0); the same as
    [`memlab.theory.metrics.hamming_copy_fraction`][memlab.theory.metrics.hamming_copy_fraction].

    Parameters
    ----------
    x : array_like of int
        Strings, shape (B, d) or (d,).
    train : array_like of int
        Training strings, shape (N, d).

    Returns
    -------
    float
        Fraction of exact copies, in [0, 1].

    Raises
    ------
    TypeError
        If the tokens are not integers.
    ValueError
        If the lengths differ or an array is empty (as
        [`nearest_hamming`][memlab.theory.metrics.nearest_hamming]).

    References
    ----------
    Favero et al. (2025), Sec. 4.3 and Fig. 4.

    Examples
    --------
    >>> copy_fraction([[0, 1], [1, 1], [2, 0], [0, 1]], [[0, 1], [2, 2]])
    0.5
    """
    return hamming_copy_fraction(x, train)


def rule_usage(grammar: Grammar, x: ArrayLike) -> tuple[np.ndarray, np.ndarray, int]:
    r"""Rule-usage statistics of strings (Favero et al. 2025, App. F, Fig. 14).

    For each valid string, the count of every rule (a, k) at every level is
    divided by the number of nodes of that level, giving a vector of length
    $L v m$ per string (level-major). Invalid strings are dropped. The paper
    uses the mean and covariance of these vectors over generated strings to
    check that a generalizing model samples the rules with the right
    frequencies and independently.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    x : array_like of int
        Token strings, shape (batch, d) or (d,), tokens in [0, v).

    Returns
    -------
    mean : numpy.ndarray
        Mean occurrence per node of each rule, shape (L, v, m) (compare
        [`expected_rule_usage`][memlab.theory.rhm.expected_rule_usage]).
    cov : numpy.ndarray
        Centred covariance of the per-string occurrence vectors, shape
        (L v m, L v m); zeros for a single valid string.
    n_valid : int
        Number of valid strings used.

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar] or ``x`` not an integer array.
    ValueError
        If ``x`` does not have d columns, has a token out of [0, v), or
        contains no valid string.

    References
    ----------
    Favero et al. (2025), App. F and Fig. 14.

    Examples
    --------
    >>> from memlab.theory.rhm import generate, sample_grammar
    >>> g = sample_grammar(4, 2, 2, 2, seed=0)
    >>> mean, cov, n_valid = rule_usage(g, generate(g, 2000, seed=0))
    >>> mean.shape, cov.shape, n_valid
    ((2, 4, 2), (16, 16), 2000)
    >>> bool(abs(mean - expected_rule_usage(g)).max() < 0.02)
    True
    """
    grammar, tokens = _check_strings(grammar, x)
    res = _parse(grammar, tokens)
    v, m, L = grammar.v, grammar.m, grammar.L
    valid = np.all(res.symbols[0] >= 0, axis=1)
    if not np.any(valid):
        raise ValueError("x must contain at least one valid string, got none")
    feats = []
    for l in range(L):
        flat = res.symbols[l][valid] * m + res.rule_index[l][valid]
        counts = np.zeros((flat.shape[0], v * m))
        np.add.at(counts, (np.arange(flat.shape[0])[:, None], flat), 1.0)
        feats.append(counts / flat.shape[1])
    F = np.concatenate(feats, axis=1)
    cov = np.cov(F, rowvar=False) if F.shape[0] > 1 else np.zeros((F.shape[1],) * 2)
    return F.mean(axis=0).reshape(L, v, m), cov, int(valid.sum())


def expected_rule_usage(grammar: Grammar) -> np.ndarray:
    r"""Exact mean occurrence per node of every rule, array (L, v, m).

    The symbol law of each node is propagated down the tree from the uniform
    root, $p_{\rm child\,j}(c) = \sum_{a,k} p(a)/m\,[r_{a k j} = c]$, and
    rule (a, k) at level l occurs with probability $p_n(a)/m$ at node n; the
    result is averaged over the nodes of each level. This is the reference for
    the mean of [`rule_usage`][memlab.theory.rhm.rule_usage] (Favero et al. 2025, App. F): it is uniform,
    1/(v m), at the root level, and not in general below it.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.

    Returns
    -------
    numpy.ndarray
        Float array of shape (L, v, m); each level sums to 1.

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar].

    References
    ----------
    Favero et al. (2025), App. F and Fig. 14.

    Examples
    --------
    >>> from memlab.theory.rhm import sample_grammar
    >>> u = expected_rule_usage(sample_grammar(4, 2, 2, 2, seed=0))
    >>> u.shape, u[0].tolist() == [[0.125, 0.125]] * 4, u.sum(axis=(1, 2)).tolist()
    ((2, 4, 2), True, [1.0, 1.0])
    """
    grammar = _check_grammar(grammar)
    v, m, s, L = grammar.v, grammar.m, grammar.s, grammar.L
    p = np.full((1, v), 1.0 / v)
    out = np.empty((L, v, m))
    for l in range(L):
        out[l] = np.repeat(p.mean(axis=0)[:, None] / m, m, axis=1)
        child = np.zeros((p.shape[0], s, v))
        for j in range(s):
            idx = grammar.rules[l][:, :, j].ravel()
            for n in range(p.shape[0]):
                child[n, j] = np.bincount(idx, weights=np.repeat(p[n] / m, m), minlength=v)
        p = child.reshape(-1, v)
    return out
