r"""The Random Hierarchy Model and its exact score by belief propagation (seed 000, sec. 4).

The Random Hierarchy Model (RHM, Cagnetta et al. 2024; seed 000 sec. 4.1) is a
probabilistic context-free grammar on a regular tree of depth L and branching
factor s. Every level has a vocabulary of v symbols; each symbol has m
production rules ("synonyms"), each an s-tuple of symbols of the level below,
chosen with probability 1/m. Rules are unambiguous: per level the v m
right-hand sides are distinct s-tuples drawn without replacement from the
:math:`v^s` possible ones, so m must not exceed :math:`v^{s-1}`. Strings have
:math:`d = s^L` visible tokens; the root class is uniform over v.

Indexing. ``grammar.rules[l]`` (shape (v, m, s)) expands the symbols of tree
level l (level 0 is the root, level l has :math:`s^l` nodes) into level l + 1;
``rules[L-1]`` produces the visible tokens. Seed 000 counts *layers* from the
bottom: its layer :math:`\ell = 1` are the rules ``rules[L-1]`` and its layer
:math:`\ell = L` the root rules ``rules[0]``. Per-layer quantities in this
module (:func:`layer_validity`, :func:`sample_complexity`) use the seed's
:math:`\ell = 1..L`, stored at index :math:`\ell - 1`.

Diffusion. A token is corrupted independently of the others:

* uniform (D3PM, seed 000 eq. 4): :math:`q(x_t = b | x_0 = a) = \bar\alpha\,
  [a = b] + (1 - \bar\alpha)/v`;
* masked: the token is kept with probability :math:`\bar\alpha` and otherwise
  replaced by the mask token, the integer v.

Because the data distribution factorises on the tree, the exact posterior
:math:`p(x_0 | x_t)`, its per-token marginals (the exact denoiser
:math:`E[x_0 | x_t]` of one-hot tokens, hence the exact score) and exact
joint posterior samples are computed by belief propagation (BP) on the tree
(Mezard & Montanari 2009), in :math:`O(v m s)` operations per node, vectorised
over a batch of strings with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import _show, check_positive_int, check_real, check_rng, check_tokens
from .metrics import hamming_copy_fraction, nearest_hamming

__all__ = [
    "Grammar", "sample_grammar", "num_strings", "sample_complexity", "generate",
    "parse", "layer_validity", "layer_error_fractions", "nearest_hamming",
    "copy_fraction", "rule_usage", "expected_rule_usage", "leaf_likelihood", "add_noise",
    "BPResult", "belief_propagation", "exact_denoiser", "sample_posterior",
    "keep_schedule", "reverse_sample", "denoiser_hellinger",
]

PROCESSES = ("uniform", "masked")


# --------------------------------------------------------------------------------------
# Grammar
# --------------------------------------------------------------------------------------

def _check_shape_params(v, m, s, L):
    v = check_positive_int("v", v, minimum=2)
    m = check_positive_int("m", m)
    s = check_positive_int("s", s, minimum=2)
    L = check_positive_int("L", L)
    if m > v ** (s - 1):
        raise ValueError(f"m must be <= v^(s-1) = {v ** (s - 1)} for unambiguous rules "
                         f"(v={v}, s={s}), got {_show(m)}")
    return v, m, s, L


def _tuple_codes(rhs, v):
    """Integer code (base v, first child most significant) of s-tuples, last axis."""
    code = np.zeros(rhs.shape[:-1], dtype=np.int64)
    for j in range(rhs.shape[-1]):
        code = code * v + rhs[..., j]
    return code


@dataclass(frozen=True, eq=False)
class Grammar:
    """A frozen RHM instance (use :func:`sample_grammar` or :meth:`from_rules`).

    Attributes
    ----------
    v, m, s, L : int
        Vocabulary size per level, rules per symbol, branching factor, depth.
    rules : tuple of L read-only int64 arrays of shape (v, m, s)
        ``rules[l][a, k]`` is the k-th right-hand side of symbol a at tree level
        l (level 0 = root, ``rules[L-1]`` produces the tokens).
    seed : int or None
        Seed the grammar was sampled with (None if built from rules).
    """

    v: int
    m: int
    s: int
    L: int
    rules: tuple
    seed: int | None = None
    # Precomputed per level: sorted tuple codes -> (symbol, rule) for parsing, and
    # per (level, child j) the gather indices and padded scatter tables of BP.
    _parse_tables: tuple = field(default=(), repr=False)
    _bp_tables: tuple = field(default=(), repr=False)

    @property
    def d(self) -> int:
        """Number of visible tokens, s^L."""
        return self.s ** self.L

    @classmethod
    def from_rules(cls, rules, *, seed=None) -> "Grammar":
        """Build a grammar from L arrays of shape (v, m, s), checking unambiguity.

        Raises ``ValueError`` naming ``rules`` if shapes differ between levels,
        a symbol is out of range, or two right-hand sides of one level coincide.
        """
        arrs = []
        for l, r in enumerate(rules):
            a = np.asarray(r)
            if a.ndim != 3 or not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"rules[{l}] must be an integer array of shape (v, m, s), "
                                 f"got dtype {a.dtype} and shape {a.shape}")
            arrs.append(np.array(a, dtype=np.int64))
        if not arrs:
            raise ValueError("rules must contain at least one level, got an empty sequence")
        v, m, s = arrs[0].shape
        for l, a in enumerate(arrs):
            if a.shape != (v, m, s):
                raise ValueError(f"rules[{l}] must have shape {(v, m, s)} like rules[0], "
                                 f"got {a.shape}")
            if a.min() < 0 or a.max() >= v:
                raise ValueError(f"rules[{l}] must contain symbols in [0, {v}), got range "
                                 f"[{a.min()}, {a.max()}]")
            if np.unique(_tuple_codes(a, v)).size != v * m:
                raise ValueError(f"rules[{l}] must be unambiguous (all v*m right-hand sides "
                                 f"distinct), got repeated s-tuples")
        v, m, s, L = _check_shape_params(v, m, s, len(arrs))
        for a in arrs:
            a.setflags(write=False)
        parse_tables, bp_tables = [], []
        for a in arrs:
            codes = _tuple_codes(a, v).ravel()
            order = np.argsort(codes)
            parse_tables.append((codes[order], order // m, order % m))
            # BP gathers in rule-major order p = k v + a; for the downward pass, the
            # positions p with child symbol c are listed in column c of a (K, v)
            # table padded with the index v m of an all-zero block (K = max count).
            gather, scatter = [], []
            for j in range(s):
                child = np.ascontiguousarray(a[:, :, j].T).ravel()
                groups = [np.flatnonzero(child == c) for c in range(v)]
                K = max(len(gr) for gr in groups)
                table = np.full((K, v), v * m, dtype=np.int64)
                for c, gr in enumerate(groups):
                    table[:len(gr), c] = gr
                gather.append(child)
                scatter.append((table.ravel(), K))
            bp_tables.append((tuple(gather), tuple(scatter)))
        return cls(v, m, s, L, tuple(arrs), seed, tuple(parse_tables), tuple(bp_tables))


def sample_grammar(v, m, s, L, *, seed=None) -> Grammar:
    r"""Sample an unambiguous RHM grammar.

    For each of the L levels, :math:`v m` distinct s-tuples are drawn without
    replacement from the :math:`v^s` possible ones and assigned in order:
    symbol a gets tuples :math:`a m, \dots, a m + m - 1` (seed 000 sec. 4.1).

    Parameters
    ----------
    v : int >= 2
        Vocabulary size per level (also the number of root classes).
    m : int, 1 <= m <= v^(s-1)
        Rules (synonyms) per symbol.
    s : int >= 2
        Branching factor.
    L : int >= 1
        Depth; strings have d = s^L tokens.
    seed : int, Generator or None

    Examples
    --------
    >>> g = sample_grammar(16, 4, 2, 3, seed=0)
    >>> g.d, g.rules[0].shape
    (8, (16, 4, 2))
    """
    v, m, s, L = _check_shape_params(v, m, s, L)
    rng = check_rng(seed)
    rules = []
    for _ in range(L):
        codes = rng.choice(v ** s, size=v * m, replace=False)
        digits = np.empty((v * m, s), dtype=np.int64)
        for j in range(s - 1, -1, -1):
            digits[:, j] = codes % v
            codes = codes // v
        rules.append(digits.reshape(v, m, s))
    return Grammar.from_rules(rules, seed=seed if isinstance(seed, int) else None)


def num_strings(v, m, s, L) -> int:
    r"""Number of distinct RHM strings, :math:`v\, m^{(d-1)/(s-1)}` with :math:`d = s^L`, exactly.

    One root class times one rule choice at each of the :math:`(d-1)/(s-1)`
    internal nodes; unambiguity makes distinct choices give distinct strings
    (seed 000 sec. 4.1). Returned as a Python int (it overflows int64 quickly).

    >>> num_strings(16, 4, 2, 5)
    73786976294838206464
    """
    v, m, s, L = _check_shape_params(v, m, s, L)
    return v * m ** ((s ** L - 1) // (s - 1))


def sample_complexity(v, m, L) -> tuple:
    r"""Sample complexities :math:`P^*_\ell \sim v m^{\ell+1}` for layers :math:`\ell = 1..L`.

    Order-of-magnitude law of Favero et al. (2025), quoted in seed 000 sec. 4.2:
    a deep network needs about :math:`P^*_\ell` training strings to learn the
    rules of layer :math:`\ell` (counted from the bottom), and
    :math:`P^* = P^*_L = v m^{L+1}` to generate valid strings. It is a scaling
    law without a prefactor: treat it as valid up to a constant of order one.

    >>> sample_complexity(16, 4, 3)
    (256, 1024, 4096)
    """
    v = check_positive_int("v", v, minimum=2)
    m = check_positive_int("m", m)
    L = check_positive_int("L", L)
    return tuple(v * m ** (ell + 1) for ell in range(1, L + 1))


# --------------------------------------------------------------------------------------
# Generation and parsing
# --------------------------------------------------------------------------------------

def _check_grammar(grammar):
    if not isinstance(grammar, Grammar):
        raise ValueError(f"grammar must be a memlab.theory.rhm.Grammar, got {type(grammar).__name__}")
    return grammar


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
    r"""Sample P strings of the grammar (uniform over the :func:`num_strings` strings).

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
    >>> g = sample_grammar(4, 2, 2, 2, seed=1)
    >>> x = generate(g, 32, distinct=True, seed=0)   # all 4 * 2^3 strings
    >>> len({tuple(r) for r in x})
    32
    """
    grammar = _check_grammar(grammar)
    P = check_positive_int("P", P)
    rng = check_rng(seed)
    v, m, s, L = grammar.v, grammar.m, grammar.s, grammar.L
    n_int = (s ** L - 1) // (s - 1)
    total = num_strings(v, m, s, L)
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


@dataclass(frozen=True)
class ParseResult:
    """Bottom-up parse of strings: per tree level l = 0..L-1, the symbol and the rule
    index of every node (arrays (batch, s^l)), -1 where the parse failed."""

    symbols: tuple
    rule_index: tuple


def parse(grammar, x) -> ParseResult:
    """Parse strings bottom-up with the (unambiguous) rules.

    A node gets a symbol when its s children have symbols and form a
    right-hand side of the node's level; otherwise it and its ancestors get -1.
    """
    grammar = _check_grammar(grammar)
    tokens, _ = check_tokens("x", x, length=grammar.d, n_tokens=grammar.v)
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


def layer_validity(grammar, x) -> np.ndarray:
    r"""Whether each string is valid up to each layer, shape (batch, L), bool.

    Column :math:`\ell - 1` (seed 000's layer :math:`\ell = 1..L`, counted
    from the tokens) is True when every node of the bottom :math:`\ell` rule
    layers parses, i.e. the string is compatible with the rules up to layer
    :math:`\ell`. Validity is cumulative: column L - 1 is full validity.
    """
    res = parse(grammar, x)
    L = grammar.L
    out = np.empty((res.symbols[0].shape[0], L), dtype=bool)
    for ell in range(1, L + 1):
        out[:, ell - 1] = np.all(res.symbols[L - ell] >= 0, axis=1)
    return out


def layer_error_fractions(grammar, x) -> np.ndarray:
    r"""Fraction of strings not valid up to layer :math:`\ell`, for :math:`\ell = 1..L` (seed 000 Fig. 5a)."""
    return 1.0 - layer_validity(grammar, x).mean(axis=0)


def copy_fraction(x, train) -> float:
    """Fraction of strings of ``x`` that are exact copies of a string of ``train``
    (:func:`memlab.theory.metrics.hamming_copy_fraction`)."""
    return hamming_copy_fraction(x, train)


def rule_usage(grammar, x):
    r"""Rule-usage statistics of strings (seed 000 App. F, Fig. 14).

    For each valid string, the count of every rule (a, k) at every level is
    divided by the number of nodes of that level, giving a vector of length
    :math:`L v m` per string (level-major). Invalid strings are dropped.

    Returns
    -------
    mean : array (L, v, m)
        Mean occurrence per node of each rule (compare :func:`expected_rule_usage`).
    cov : array (L v m, L v m)
        Centred covariance of the per-string occurrence vectors.
    n_valid : int
    """
    grammar = _check_grammar(grammar)
    res = parse(grammar, x)
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
    root, :math:`p_{\rm child\,j}(c) = \sum_{a,k} p(a)/m\,[r_{a k j} = c]`, and
    rule (a, k) at level l occurs with probability :math:`p_n(a)/m` at node n.
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


# --------------------------------------------------------------------------------------
# Noise
# --------------------------------------------------------------------------------------

def _check_process(process):
    if process not in PROCESSES:
        raise ValueError(f"process must be one of {PROCESSES}, got {process!r}")
    return process


def leaf_likelihood(x_t, abar, v, *, process="uniform") -> np.ndarray:
    r"""Leaf likelihoods :math:`\ell_i(a) = q(x_{t,i} | x_{0,i} = a)`, array (batch, d, v).

    Uniform: :math:`\bar\alpha [a = x_{t,i}] + (1-\bar\alpha)/v`. Masked (mask
    token = v): :math:`\bar\alpha [a = x_{t,i}]` for a visible token and the
    constant :math:`1 - \bar\alpha` for a masked one.
    """
    process = _check_process(process)
    v = check_positive_int("v", v, minimum=2)
    abar = check_real("abar", abar, lo=0.0, hi=1.0)
    x = np.asarray(x_t)
    d = x.shape[-1] if x.ndim else 0
    tokens, single = check_tokens("x_t", x, length=d, n_tokens=v + (process == "masked"))
    if process == "uniform":
        lik = np.full(tokens.shape + (v,), (1.0 - abar) / v)
        np.put_along_axis(lik, tokens[..., None], abar + (1.0 - abar) / v, axis=-1)
    else:
        masked = tokens == v
        lik = np.zeros(tokens.shape + (v,))
        np.put_along_axis(lik, np.minimum(tokens, v - 1)[..., None], abar, axis=-1)
        lik[masked] = 1.0 - abar
    return lik[0] if single else lik


def add_noise(x0, abar, v, *, process="uniform", seed=None) -> np.ndarray:
    """Corrupt tokens independently with keep probability ``abar`` (uniform resampling or masking)."""
    process = _check_process(process)
    v = check_positive_int("v", v, minimum=2)
    abar = check_real("abar", abar, lo=0.0, hi=1.0)
    x = np.asarray(x0)
    tokens, single = check_tokens("x0", x, length=x.shape[-1] if x.ndim else 0, n_tokens=v)
    rng = check_rng(seed)
    replace = rng.random(tokens.shape) >= abar
    new = rng.integers(0, v, size=tokens.shape) if process == "uniform" else np.full_like(tokens, v)
    out = np.where(replace, new, tokens)
    return out[0] if single else out


# --------------------------------------------------------------------------------------
# Belief propagation
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BPResult:
    r"""Exact posterior marginals from :func:`belief_propagation`.

    Attributes
    ----------
    leaves : array (batch, d, v)
        :math:`p(x_{0,i} = a | x_t)` per token: the exact denoiser.
    levels : tuple of L arrays (batch, s^l, v)
        Posterior marginals of the latent symbols at tree levels l = 0..L-1.
    log_likelihood : array (batch,)
        :math:`\log \sum_{x_0} p(x_0) \prod_i \ell_i(x_{0,i})`; -inf when the
        evidence is inconsistent with the grammar, in which case all
        marginals of that string are 0 (probability zero, never NaN).
    """

    leaves: np.ndarray
    levels: tuple
    log_likelihood: np.ndarray
    _weights: tuple = field(default=(), repr=False)


def belief_propagation(grammar, likelihood, *, chunk=64, _keep_weights=False) -> BPResult:
    r"""Exact posterior marginals of the RHM given independent leaf evidence.

    Upward pass (leaves to root), per node n of level l with children
    :math:`n_1..n_s`:

    .. math:: \nu^{\uparrow}_n(a) \propto \frac1m \sum_{k=1}^m
              \prod_{j=1}^s \nu^{\uparrow}_{n_j}(r^{(l)}_{a k j}),

    starting from :math:`\nu^\uparrow_i = \ell_i` at the leaves. Downward pass
    from the uniform root prior, with leave-one-out products over siblings:

    .. math:: \nu^{\downarrow}_{n_j}(c) \propto \sum_{a, k:\ r_{akj} = c}
              \nu^\downarrow_n(a)\, \frac1m \prod_{j' \ne j} \nu^\uparrow_{n_{j'}}(r_{a k j'}),

    and marginals :math:`\propto \nu^\downarrow_n \nu^\uparrow_n`. Every
    message is normalised per node; the log normalisers sum to the log
    likelihood of the evidence. The sibling products use prefix/suffix
    products (no division, so zeros are exact) and the sum over (a, k) with
    :math:`r_{akj} = c` is a gather through a table padded to the largest
    multiplicity K of a child symbol (K is about m plus a few; at most
    :math:`v^{s-1}`): :math:`O(v m s)` per node for the upward pass,
    :math:`O(v K s)` for the downward pass, and no :math:`v^2` intermediate.

    Parameters
    ----------
    grammar : Grammar
    likelihood : array (batch, d, v) or (d, v)
        Non-negative leaf likelihoods (e.g. from :func:`leaf_likelihood`).
    chunk : int
        Strings per vectorised block (64 keeps the blocks in cache; the
        result does not depend on it).
    """
    grammar = _check_grammar(grammar)
    v, m, s, L, d = grammar.v, grammar.m, grammar.s, grammar.L, grammar.d
    lik = np.asarray(likelihood, dtype=np.float64)
    single = lik.ndim == 2
    if lik.ndim not in (2, 3) or lik.shape[-2:] != (d, v):
        raise ValueError(f"likelihood must have shape (batch, {d}, {v}) or ({d}, {v}), "
                         f"got shape {lik.shape}")
    if lik.size == 0:
        raise ValueError(f"likelihood must not be empty, got shape {lik.shape}")
    if not np.all(np.isfinite(lik)) or lik.min() < 0:
        raise ValueError("likelihood must be finite and non-negative, got "
                         f"{_show(lik[~(np.isfinite(lik) & (lik >= 0))].ravel()[0])}")
    lik = lik.reshape(-1, d, v)
    chunk = check_positive_int("chunk", chunk)
    B = lik.shape[0]
    leaves = np.empty((B, d, v))
    levels = tuple(np.empty((B, s ** l, v)) for l in range(L))
    loglik = np.empty(B)
    weights = tuple(np.empty((B, s ** l, m, v)) for l in range(L)) if _keep_weights else ()
    ws = _Workspace(grammar, min(chunk, B))
    for i in range(0, B, chunk):
        sl = slice(i, i + chunk)
        _bp_chunk(grammar, ws, lik[sl], leaves[sl], [x[sl] for x in levels], loglik[sl],
                  [w[sl] for w in weights] if _keep_weights else None)
    if single:
        return BPResult(leaves[0], tuple(x[0] for x in levels), float(loglik[0]), weights)
    return BPResult(leaves, levels, loglik, weights)


def _normalise_(u):
    """Normalise u in place over its last axis; return log of the sums (-inf for zero rows).

    A zero row (evidence impossible) stays zero: it is divided by 1, not by 0.
    """
    z = u.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        logz = np.log(z[..., 0])
    u /= np.where(z > 0, z, 1.0)
    return logz


class _Workspace:
    """Buffers of one BP chunk, allocated once per call and reused across chunks.

    Re-allocating these arrays for every chunk made the allocator return them to
    the system and fault them in again, which halved the speed.
    """

    def __init__(self, grammar, C):
        v, m, s, L = grammar.v, grammar.m, grammar.s, grammar.L
        self.up = [np.empty((C, s ** l, v)) for l in range(L + 1)]
        self.g = [np.empty((s, C, s ** l, m * v)) for l in range(L)]
        self.w = [np.empty((C, s ** l, m * v)) for l in range(L)]
        self.t = [np.zeros((C, s ** l, m * v + 1)) for l in range(L)]
        self.D = [np.empty((C, s ** l, m, v)) for l in range(L)]
        self.grouped = [[np.empty((C, s ** l, K * v)) for _, K in grammar._bp_tables[l][1]]
                        for l in range(L)]
        self.down = [np.empty((C, s ** l, v)) for l in range(L + 1)]
        self.acc = [np.empty((C, s ** l, v)) for l in range(L)]


def _bp_chunk(grammar, ws, lik, leaves_out, levels_out, loglik_out, weights_out):
    """Upward and downward passes on a chunk of strings, written into the *_out arrays."""
    v, m, s, L = grammar.v, grammar.m, grammar.s, grammar.L
    B = lik.shape[0]
    mv = m * v
    up = [buf[:B] for buf in ws.up]
    up[L][...] = lik
    loglik = _normalise_(up[L]).sum(axis=1)
    for l in range(L - 1, -1, -1):
        n_l = s ** l
        child = up[l + 1].reshape(B, n_l, s, v)
        gather = grammar._bp_tables[l][0]
        # g[j][b, n, k v + a] = nu_up(child j of n)(r_{a k j})
        g = ws.g[l][:, :B]
        for j in range(s):
            np.take(child[:, :, j, :], gather[j], axis=-1, out=g[j], mode="clip")
        w = np.multiply(g[0], g[1], out=ws.w[l][:B])
        for j in range(2, s):
            w *= g[j]
        w4 = w.reshape(B, n_l, m, v)
        u = up[l]
        np.copyto(u, w4[:, :, 0])
        for k in range(1, m):
            u += w4[:, :, k]
        loglik += _normalise_(u).sum(axis=1) - n_l * np.log(m)   # the 1/m rule probabilities
        if weights_out is not None:
            weights_out[l][...] = w4
    loglik -= np.log(v)                                           # uniform root prior
    loglik[~np.isfinite(loglik)] = -np.inf
    loglik_out[...] = loglik

    down = ws.down[0][:B]
    down[...] = np.where(np.isfinite(loglik), 1.0 / v, 0.0)[:, None, None]
    for l in range(L):
        n_l = s ** l
        g = ws.g[l][:, :B]
        np.multiply(down, up[l], out=levels_out[l])
        _normalise_(levels_out[l])
        # t[b, n, k v + a] = nu_down(n)(a) prod_{j' != j} g[j'] (then one zero entry)
        D = ws.D[l][:B]
        D[...] = down[:, :, None, :]
        D = D.reshape(B, n_l, mv)
        t = ws.t[l][:B]
        child_down = ws.down[l + 1][:B].reshape(B, n_l, s, v)
        loo = _leave_one_out(g)
        for j in range(s):
            np.multiply(D, loo[j], out=t[:, :, :mv])
            table, K = grammar._bp_tables[l][1][j]
            grouped = np.take(t, table, axis=-1, out=ws.grouped[l][j][:B], mode="clip").reshape(B, n_l, K, v)
            acc = ws.acc[l][:B]                   # contiguous: strided sums are slow
            np.copyto(acc, grouped[:, :, 0])
            for k in range(1, K):
                acc += grouped[:, :, k]
            child_down[:, :, j, :] = acc
        down = ws.down[l + 1][:B]
        _normalise_(down)
    np.multiply(down, lik, out=leaves_out)
    _normalise_(leaves_out)


def _leave_one_out(g):
    """[prod_{j' != j} g[j'] for j = 0..s-1] from prefix and suffix products.

    O(s) products and no division, so zeros stay exact; for s = 2 the result
    is just [g[1], g[0]] (views, no copy).
    """
    s = g.shape[0]
    prefix, suffix = [None] * s, [None] * s      # prod over j' < j and over j' > j
    prefix[1], suffix[s - 2] = g[0], g[s - 1]
    for j in range(2, s):
        prefix[j] = prefix[j - 1] * g[j - 1]
    for j in range(s - 3, -1, -1):
        suffix[j] = suffix[j + 1] * g[j + 1]
    return [suffix[0]] + [prefix[j] * suffix[j] for j in range(1, s - 1)] + [prefix[s - 1]]


def exact_denoiser(grammar, x_t, abar, *, process="uniform") -> np.ndarray:
    r"""The exact denoiser :math:`E[x_0 | x_t]` (one-hot tokens): per-token posterior marginals.

    Parameters
    ----------
    grammar : Grammar
    x_t : int array (batch, d) or (d,)
        Noisy tokens (0..v-1; the mask token v for ``process="masked"``).
    abar : float in [0, 1]
        Keep probability :math:`\bar\alpha_t` (see the module docstring).
    process : {"uniform", "masked"}

    Returns
    -------
    array (batch, d, v) (or (d, v)): :math:`p(x_{0,i} = a | x_t)`. Rows are all
    zero where ``x_t`` has probability zero under the grammar (possible only
    for masked noise or abar = 1).

    Examples
    --------
    >>> g = sample_grammar(4, 2, 2, 2, seed=0)
    >>> x0 = generate(g, 1, seed=0)[0]
    >>> p = exact_denoiser(g, x0, 1.0)          # noiseless: the string itself
    >>> bool((p.argmax(-1) == x0).all()), float(p.sum(-1).min())
    (True, 1.0)
    """
    grammar = _check_grammar(grammar)
    check_tokens("x_t", x_t, length=grammar.d,
                 n_tokens=grammar.v + (_check_process(process) == "masked"))
    lik = leaf_likelihood(x_t, abar, grammar.v, process=process)
    if lik.ndim == 2:
        lik = lik[None]
        return belief_propagation(grammar, lik).leaves[0]
    return belief_propagation(grammar, lik).leaves


def _categorical(rng, p):
    """One draw per row from the (unnormalised, non-negative) weights p[..., K]."""
    c = np.cumsum(p, axis=-1)
    u = rng.random(p.shape[:-1] + (1,)) * c[..., -1:]
    return np.minimum((c <= u).sum(axis=-1), p.shape[-1] - 1)


def sample_posterior(grammar, x_t, abar, *, process="uniform", seed=None) -> np.ndarray:
    r"""Exact joint samples :math:`x_0 \sim p(x_0 | x_t)`, one per noisy string.

    Downward sampling after the upward BP pass: the root class from
    :math:`\propto \nu^\uparrow_{\rm root}`, then at each node with symbol a the
    rule k with probability :math:`\propto \prod_j \nu^\uparrow_{n_j}(r_{akj})`,
    whose right-hand side fixes the children. Unlike sampling each token from
    its marginal, the result is always a valid string.

    Raises ValueError if some ``x_t`` has probability zero under the grammar.
    """
    grammar = _check_grammar(grammar)
    rng = check_rng(seed)
    check_tokens("x_t", x_t, length=grammar.d,
                 n_tokens=grammar.v + (_check_process(process) == "masked"))
    lik = leaf_likelihood(x_t, abar, grammar.v, process=process)
    single = lik.ndim == 2
    res = belief_propagation(grammar, lik[None] if single else lik, _keep_weights=True)
    bad = np.flatnonzero(~np.isfinite(res.log_likelihood))
    if bad.size:
        raise ValueError(f"x_t has probability zero under the grammar for rows {bad[:10].tolist()}")
    B = res.log_likelihood.shape[0]
    sym = _categorical(rng, res.levels[0][:, 0, :])[:, None]
    for l in range(grammar.L):
        w = res._weights[l]                        # (B, n_l, m, v)
        wk = np.take_along_axis(w, sym[:, :, None, None], axis=3)[:, :, :, 0]
        k = _categorical(rng, wk)
        sym = grammar.rules[l][sym, k].reshape(B, -1)
    return sym[0] if single else sym


# --------------------------------------------------------------------------------------
# Reverse diffusion with the exact denoiser
# --------------------------------------------------------------------------------------

def keep_schedule(n_steps) -> np.ndarray:
    r"""Cosine keep-probability schedule :math:`\bar\alpha_t = \cos^2(\pi t / (2T))`, t = 0..T.

    :math:`\bar\alpha_0 = 1` (clean data) and :math:`\bar\alpha_T = 0` (uniform
    tokens, or all masked). Returns an array of length T + 1.
    """
    T = check_positive_int("n_steps", n_steps)
    t = np.arange(T + 1)
    a = np.cos(0.5 * np.pi * t / T) ** 2
    a[0], a[-1] = 1.0, 0.0
    return a


def reverse_sample(grammar, n_samples, n_steps, *, process="uniform", method="marginal",
                   denoiser=None, seed=None) -> np.ndarray:
    r"""Generate strings by reverse discrete diffusion driven by the exact denoiser.

    At step t (keep probabilities from :func:`keep_schedule`) the exact
    denoiser gives :math:`p(x_0 | x_t)` and every token is drawn from

    .. math:: p(x_{t-1} = c | x_t) = \sum_a p(x_{0} = a | x_t)\,
              \frac{q(x_t | x_{t-1} = c)\, q(x_{t-1} = c | x_0 = a)}{q(x_t | x_0 = a)}

    (D3PM, Austin et al. 2021): the "perfect score" generator.

    Parameters
    ----------
    method : {"marginal", "joint"}
        ``"marginal"``: each token uses its own posterior marginal, as a
        trained D3PM does (tokens of one step are drawn independently, so
        a finite number of steps can produce invalid strings; their rate
        falls with n_steps). ``"joint"``: :math:`x_0` is drawn jointly by
        :func:`sample_posterior` and then :math:`x_{t-1} \sim q(x_{t-1} | x_t,
        x_0)`, which is exact ancestral sampling at any n_steps (always valid).
    process : {"uniform", "masked"}
    denoiser : callable, optional
        ``denoiser(x_t, abar) -> (n, d, v)`` per-token probabilities replacing
        the exact denoiser (e.g. a trained network), with ``method="marginal"``.

    Returns
    -------
    int64 array (n_samples, d).

    Examples
    --------
    >>> g = sample_grammar(8, 2, 2, 3, seed=0)
    >>> x = reverse_sample(g, 64, 20, method="joint", seed=0)
    >>> float(layer_validity(g, x)[:, -1].mean())
    1.0
    """
    grammar = _check_grammar(grammar)
    n = check_positive_int("n_samples", n_samples)
    abars = keep_schedule(n_steps)
    process = _check_process(process)
    if method not in ("marginal", "joint"):
        raise ValueError(f"method must be 'marginal' or 'joint', got {method!r}")
    if denoiser is not None and (method != "marginal" or not callable(denoiser)):
        raise ValueError(f"denoiser must be a callable used with method='marginal', got "
                         f"{denoiser!r} with method={method!r}")
    rng = check_rng(seed)
    v, d = grammar.v, grammar.d
    x = rng.integers(0, v, size=(n, d)) if process == "uniform" else np.full((n, d), v)
    eye = np.eye(v)
    for t in range(len(abars) - 1, 0, -1):
        a_t, a_prev = abars[t], abars[t - 1]
        if method == "joint":
            p0 = eye[sample_posterior(grammar, x, a_t, process=process, seed=rng)]
        else:
            p0 = (exact_denoiser(grammar, x, a_t, process=process) if denoiser is None
                  else np.array(denoiser(x, a_t), dtype=np.float64))
            dead = p0.sum(axis=-1) == 0              # zero-probability evidence (masked only)
            p0[dead] = 1.0 / v
        if process == "uniform":
            # q(x_{t-1} = c | x_t, x_0 = a) = q(x_t | c) q(c | a) / q(x_t | a): weight p0 by 1/q(x_t | a)
            p0 = p0 / leaf_likelihood(x, a_t, v)
            alpha = a_t / a_prev
            fwd = np.full((n, d, v), (1.0 - alpha) / v)
            np.put_along_axis(fwd, x[..., None], alpha + (1.0 - alpha) / v, axis=-1)
            prior = a_prev * p0 + (1.0 - a_prev) / v * p0.sum(axis=-1, keepdims=True)
            x = _categorical(rng, fwd * prior)
        else:
            masked = x == v
            unmask = masked & (rng.random((n, d)) < (a_prev - a_t) / (1.0 - a_t))
            x = np.where(unmask, _categorical(rng, p0), x)
    return x


def denoiser_hellinger(p, q) -> np.ndarray:
    r"""Hellinger distance between two denoisers' per-token outputs, averaged over tokens.

    .. math:: H = \frac1d \sum_{i=1}^d \sqrt{1 - \sum_a \sqrt{p_i(a) q_i(a)}}

    for probability vectors :math:`p_i, q_i` (last axis), e.g. two networks'
    outputs or a network against :func:`exact_denoiser` (seed 000 Fig. 5b).
    Returns an array over the leading batch axes (a float for a single string).
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or p.ndim < 2:
        raise ValueError(f"p and q must have the same shape (..., d, v), got {p.shape} and {q.shape}")
    for name, a in (("p", p), ("q", q)):
        if not np.all(np.isfinite(a)) or a.min() < 0:
            raise ValueError(f"{name} must hold finite non-negative probabilities")
        if not np.allclose(a.sum(axis=-1), 1.0, atol=1e-6):
            raise ValueError(f"{name} must sum to 1 over its last axis, got sums in "
                             f"[{a.sum(-1).min():.6g}, {a.sum(-1).max():.6g}]")
    bc = np.sqrt(p * q).sum(axis=-1)
    h = np.sqrt(np.clip(1.0 - bc, 0.0, None)).mean(axis=-1)
    return float(h) if h.ndim == 0 else h
