"""RHM grammars: the [`Grammar`][memlab.theory.rhm.Grammar] object, sampling and counting (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from memlab._results import Result
import numpy as np

from ..._validation import (_show, check_instance, check_nonnegative_int, check_positive_int,
                            check_rng)


#: Largest vocabulary (tables of v x v x m floats are built per layer).
MAX_VOCABULARY = 2**16
#: Largest string length d = s**L (strings are stored as int64 arrays of d tokens).
MAX_LENGTH = 2**24


def _check_shape_params(v, m, s, L):
    v = check_positive_int("v", v, minimum=2, maximum=MAX_VOCABULARY)
    m = check_positive_int("m", m)
    s = check_positive_int("s", s, minimum=2, maximum=MAX_LENGTH)
    L = check_positive_int("L", L, maximum=MAX_LENGTH.bit_length())
    if s ** L > MAX_LENGTH:
        raise ValueError(f"L must keep the string length s**L <= {MAX_LENGTH} (s={s}), "
                         f"got {_show(L)}")
    if v ** s > 2**62:
        raise ValueError(f"s must keep v**s < 2**62 (s-tuples are coded as int64; v={v}), "
                         f"got {_show(s)}")
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


def _rule_arrays(rules):
    """``rules`` as a list of int64 arrays of 3 dimensions (copies), at least one."""
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Iterable):
        raise TypeError(f"rules must be a sequence of integer arrays of shape (v, m, s), got "
                        f"{type(rules).__name__}")
    arrs = []
    for l, r in enumerate(rules):
        a = np.asarray(r)
        if a.ndim != 3 or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"rules[{l}] must be an integer array of shape (v, m, s), "
                             f"got dtype {a.dtype} and shape {a.shape}")
        arrs.append(np.array(a, dtype=np.int64))
    if not arrs:
        raise ValueError("rules must contain at least one level, got an empty sequence")
    return arrs


def _check_rules(rules, v, m, s, L):
    """Validated rules of a (v, m, s, L) grammar: a tuple of L read-only int64 arrays (v, m, s)."""
    arrs = _rule_arrays(rules)
    if len(arrs) != L:
        raise ValueError(f"rules must have L = {L} levels, got {len(arrs)}")
    for l, a in enumerate(arrs):
        if a.shape != (v, m, s):
            raise ValueError(f"rules[{l}] must have shape (v, m, s) = {(v, m, s)}, got {a.shape}")
        if a.min() < 0 or a.max() >= v:
            raise ValueError(f"rules[{l}] must contain symbols in [0, {v}), got range "
                             f"[{a.min()}, {a.max()}]")
        if np.unique(_tuple_codes(a, v)).size != v * m:
            raise ValueError(f"rules[{l}] must be unambiguous (all v*m right-hand sides "
                             f"distinct), got repeated s-tuples")
    for a in arrs:
        a.setflags(write=False)
    return tuple(arrs)


def _parse_tables(rules, v, m):
    """Per level: sorted tuple codes and the (symbol, rule) of each, for bottom-up parsing."""
    tables = []
    for a in rules:
        codes = _tuple_codes(a, v).ravel()
        order = np.argsort(codes)
        tables.append((codes[order], order // m, order % m))
    return tuple(tables)


def _bp_tables(rules, v, m, s):
    """Per level and child j: BP gather indices and the padded scatter table with its K.

    BP gathers in rule-major order p = k v + a; for the downward pass, the
    positions p with child symbol c are listed in column c of a (K, v) table
    padded with the index v m of an all-zero block (K = max count).
    """
    tables = []
    for a in rules:
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
        tables.append((tuple(gather), tuple(scatter)))
    return tuple(tables)


@dataclass(frozen=True, eq=False)
class Grammar(Result):
    """A frozen RHM instance (use [`sample_grammar`][memlab.theory.rhm.sample_grammar], `from_rules` or the constructor).

    The constructor checks the rules against (v, m, s, L) and builds the
    parsing and belief-propagation tables, so every Grammar is valid.

    Attributes
    ----------
    v, m, s, L : int
        Vocabulary size per level, rules per symbol, branching factor, depth.
    rules : tuple of L read-only int64 arrays of shape (v, m, s)
        ``rules[l][a, k]`` is the k-th right-hand side of symbol a at tree level
        l (level 0 = root, ``rules[L-1]`` produces the tokens). Any sequence of
        integer arrays is accepted and copied.
    seed : int or None
        Seed the grammar was sampled with (None if built from rules).

    Raises
    ------
    ValueError
        Naming the argument, if (v, m, s, L) are out of range, or ``rules``
        has the wrong number of levels or shapes, symbols out of [0, v), or
        two equal right-hand sides in one level.
    TypeError
        If ``rules`` is not a sequence of arrays (a 4-d array (L, v, m, s) is one).

    Examples
    --------
    >>> g = Grammar(2, 1, 2, 1, [[[[0, 1]], [[1, 1]]]])    # 0 -> (0, 1), 1 -> (1, 1)
    >>> g.d, g.rules[0][1].tolist()
    (2, [[1, 1]])
    >>> Grammar(2, 1, 2, 2, g.rules)
    Traceback (most recent call last):
        ...
    ValueError: rules must have L = 2 levels, got 1
    """

    v: int
    m: int
    s: int
    L: int
    rules: tuple
    seed: int | None = None
    # Derived from the rules in __post_init__: per level the sorted tuple codes ->
    # (symbol, rule) for parsing, and per (level, child j) the tables of BP.
    _parse_tables: tuple = field(init=False, repr=False)
    _bp_tables: tuple = field(init=False, repr=False)

    def __post_init__(self):
        v, m, s, L = _check_shape_params(self.v, self.m, self.s, self.L)
        rules = _check_rules(self.rules, v, m, s, L)
        seed = None if self.seed is None else check_nonnegative_int("seed", self.seed)
        for name, value in (("v", v), ("m", m), ("s", s), ("L", L), ("rules", rules),
                            ("seed", seed), ("_parse_tables", _parse_tables(rules, v, m)),
                            ("_bp_tables", _bp_tables(rules, v, m, s))):
            object.__setattr__(self, name, value)

    @property
    def d(self) -> int:
        """Number of visible tokens, s^L."""
        return self.s ** self.L

    @classmethod
    def from_rules(cls, rules, *, seed=None) -> "Grammar":
        """Build a grammar from L arrays of shape (v, m, s), checking unambiguity.

        (v, m, s) are read from ``rules[0]`` and L is ``len(rules)``; the
        constructor does the checks. Raises ``ValueError`` naming ``rules`` if
        shapes differ between levels, a symbol is out of range, or two
        right-hand sides of one level coincide.

        >>> g = Grammar.from_rules([[[[0, 1]], [[1, 1]]]])
        >>> (g.v, g.m, g.s, g.L)
        (2, 1, 2, 1)
        """
        arrs = _rule_arrays(rules)
        v, m, s = arrs[0].shape
        return cls(v, m, s, len(arrs), arrs, seed)


def _check_grammar(grammar):
    return check_instance("grammar", grammar, Grammar)


def sample_grammar(v, m, s, L, *, seed=None) -> Grammar:
    r"""Sample an unambiguous RHM grammar.

    For each of the L levels, $v m$ distinct s-tuples are drawn without
    replacement from the $v^s$ possible ones and assigned in order:
    symbol a gets tuples $a m, \dots, a m + m - 1$ (seed 000 sec. 4.1).

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
    return Grammar(v, m, s, L, rules, seed if isinstance(seed, int) else None)


def _num_strings(v, m, s, L):
    return v * m ** ((s ** L - 1) // (s - 1))


def num_strings(v, m, s, L) -> int:
    r"""Number of distinct RHM strings, $v\, m^{(d-1)/(s-1)}$ with $d = s^L$, exactly.

    One root class times one rule choice at each of the $(d-1)/(s-1)$
    internal nodes; unambiguity makes distinct choices give distinct strings
    (seed 000 sec. 4.1). Returned as a Python int (it overflows int64 quickly).

    Cost: the result has D = (d - 1)/(s - 1) log2(m) + log2(v) bits; computing it
    by repeated squaring takes O(D^1.59) time (Karatsuba products) and O(D)
    memory; about 12 ms for v = 16, m = 4, s = 2, L = 20 (D = 2^21 bits).

    >>> num_strings(16, 4, 2, 5)
    73786976294838206464
    """
    return _num_strings(*_check_shape_params(v, m, s, L))


def sample_complexity(v, m, L) -> tuple:
    r"""Sample complexities $P^*_\ell \sim v m^{\ell+1}$ for layers $\ell = 1..L$.

    Order-of-magnitude law of Favero et al. (2025), quoted in seed 000 sec. 4.2:
    a deep network needs about $P^*_\ell$ training strings to learn the
    rules of layer $\ell$ (counted from the bottom), and
    $P^* = P^*_L = v m^{L+1}$ to generate valid strings. It is a scaling
    law without a prefactor: treat it as valid up to a constant of order one.

    >>> sample_complexity(16, 4, 3)
    (256, 1024, 4096)
    """
    v = check_positive_int("v", v, minimum=2, maximum=MAX_VOCABULARY)
    m = check_positive_int("m", m)
    L = check_positive_int("L", L, maximum=MAX_LENGTH.bit_length())
    return tuple(v * m ** (ell + 1) for ell in range(1, L + 1))
