"""Parsing RHM strings and their statistics: validity per layer, copies, rule usage
(part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

from dataclasses import dataclass

from memlab._results import Result
import numpy as np

from ..._validation import check_tokens
from ..metrics import hamming_copy_fraction
from ._grammar import _check_grammar, _tuple_codes


@dataclass(frozen=True)
class ParseResult(Result):
    """Bottom-up parse of strings: per tree level l = 0..L-1, the symbol and the rule
    index of every node (arrays (batch, s^l)), -1 where the parse failed."""

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


def parse(grammar, x) -> ParseResult:
    """Parse strings bottom-up with the (unambiguous) rules.

    A node gets a symbol when its s children have symbols and form a
    right-hand side of the node's level; otherwise it and its ancestors get -1.

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


def layer_validity(grammar, x) -> np.ndarray:
    r"""Whether each string is valid up to each layer, shape (batch, L), bool.

    Column $\ell - 1$ (seed 000's layer $\ell = 1..L$, counted
    from the tokens) is True when every node of the bottom $\ell$ rule
    layers parses, i.e. the string is compatible with the rules up to layer
    $\ell$. Validity is cumulative: column L - 1 is full validity.
    """
    return _layer_validity(*_check_strings(grammar, x))


def layer_error_fractions(grammar, x) -> np.ndarray:
    r"""Fraction of strings not valid up to layer $\ell$, for $\ell = 1..L$ (seed 000 Fig. 5a)."""
    return 1.0 - _layer_validity(*_check_strings(grammar, x)).mean(axis=0)


def copy_fraction(x, train) -> float:
    """Fraction of strings of ``x`` that are exact copies of a string of ``train``
    ([`memlab.theory.metrics.hamming_copy_fraction`][memlab.theory.metrics.hamming_copy_fraction])."""
    return hamming_copy_fraction(x, train)


def rule_usage(grammar, x):
    r"""Rule-usage statistics of strings (seed 000 App. F, Fig. 14).

    For each valid string, the count of every rule (a, k) at every level is
    divided by the number of nodes of that level, giving a vector of length
    $L v m$ per string (level-major). Invalid strings are dropped.

    Returns
    -------
    mean : array (L, v, m)
        Mean occurrence per node of each rule (compare [`expected_rule_usage`][memlab.theory.rhm.expected_rule_usage]).
    cov : array (L v m, L v m)
        Centred covariance of the per-string occurrence vectors.
    n_valid : int
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


def expected_rule_usage(grammar) -> np.ndarray:
    r"""Exact mean occurrence per node of every rule, array (L, v, m).

    The symbol law of each node is propagated down the tree from the uniform
    root, $p_{\rm child\,j}(c) = \sum_{a,k} p(a)/m\,[r_{a k j} = c]$, and
    rule (a, k) at level l occurs with probability $p_n(a)/m$ at node n.
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
