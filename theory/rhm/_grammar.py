"""RHM grammars: the [`Grammar`][memlab.theory.rhm.Grammar] object, sampling and counting (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from memlab._results import Result
import numpy as np
from numpy.random import Generator
from numpy.typing import ArrayLike

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
    """A frozen RHM instance (use [`sample_grammar`][memlab.theory.rhm.sample_grammar], [`from_rules`][memlab.theory.rhm.Grammar.from_rules] or the constructor).

    The Random Hierarchy Model of Cagnetta et al. (2024) as used by Favero et
    al. (2025), Sec. 4.1. The constructor checks the rules against
    (v, m, s, L) and builds the parsing and belief-propagation tables, so
    every Grammar is valid.

    Attributes
    ----------
    v : int
        Vocabulary size per level (also the number of root classes).
    m : int
        Rules (synonyms) per symbol.
    s : int
        Branching factor.
    L : int
        Depth; strings have $d = s^L$ tokens.
    rules : tuple of numpy.ndarray
        L read-only int64 arrays of shape (v, m, s): ``rules[l][a, k]`` is the
        k-th right-hand side of symbol a at tree level l (level 0 = root,
        ``rules[L-1]`` produces the tokens). Any sequence of integer arrays is
        accepted and copied.
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

    References
    ----------
    Favero et al. (2025), Sec. 4.1; Cagnetta et al. (2024).

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
        r"""Number of visible tokens, $d = s^L$."""
        return self.s ** self.L

    @classmethod
    def from_rules(cls, rules: Iterable[ArrayLike], *, seed: int | None = None) -> Grammar:
        """Build a grammar from L arrays of shape (v, m, s), checking unambiguity.

        (v, m, s) are read from ``rules[0]`` and L is ``len(rules)``; the
        constructor does the checks.

        Parameters
        ----------
        rules : sequence of array_like of int
            L integer arrays of shape (v, m, s): ``rules[l][a, k]`` is the k-th
            right-hand side of symbol a at tree level l (level 0 = root). Copied.
        seed : int or None, default None
            Seed to record as the grammar's ``seed`` (a non-negative integer), or
            None.

        Returns
        -------
        Grammar
            The checked, frozen grammar.

        Raises
        ------
        TypeError
            If ``rules`` is not a sequence of arrays, or ``seed`` not an integer.
        ValueError
            Naming ``rules``, if a level is not an integer array of 3 dimensions,
            shapes differ between levels, a symbol is out of range, or two
            right-hand sides of one level coincide; naming ``seed`` if it is
            negative.

        Examples
        --------
        >>> g = Grammar.from_rules([[[[0, 1]], [[1, 1]]]])
        >>> (g.v, g.m, g.s, g.L)
        (2, 1, 2, 1)
        """
        arrs = _rule_arrays(rules)
        v, m, s = arrs[0].shape
        return cls(v, m, s, len(arrs), arrs, seed)


def _check_grammar(grammar):
    return check_instance("grammar", grammar, Grammar)


def sample_grammar(v: int, m: int, s: int, L: int, *,
                   seed: Generator | int | None = None) -> Grammar:
    r"""Sample an unambiguous RHM grammar.

    For each of the L levels, $v m$ distinct s-tuples are drawn without
    replacement from the $v^s$ possible ones and assigned in order: symbol a
    gets tuples $a m, \dots, a m + m - 1$ (Favero et al. 2025, Sec. 4.1: rules
    "sampled randomly without replacement and frozen"). The paper's settings
    are v = 16, m = 4, s = 2, L = 3 (Fig. 4) and v = 16, m = 3, s = 2, L = 5
    (Fig. 5).

    Parameters
    ----------
    v : int
        Vocabulary size per level (also the number of root classes),
        2 <= v <= 65536.
    m : int
        Rules (synonyms) per symbol, $1 \le m \le v^{s-1}$.
    s : int
        Branching factor, >= 2.
    L : int
        Depth, >= 1; strings have $d = s^L \le 2^{24}$ tokens.
    seed : Generator | int | None, default None
        Random seed or generator; an int is recorded as the grammar's ``seed``.

    Returns
    -------
    Grammar
        The sampled grammar.

    Raises
    ------
    TypeError
        If an argument has the wrong type (a float ``v``, a string ``seed``).
    ValueError
        If an argument is out of the ranges above, or $v^s \ge 2^{62}$.

    References
    ----------
    Favero et al. (2025), Sec. 4.1; Cagnetta et al. (2024).

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


def num_strings(v: int, m: int, s: int, L: int) -> int:
    r"""Number of distinct RHM strings, $v\, m^{(d-1)/(s-1)}$ with $d = s^L$, exactly.

    One root class times one rule choice at each of the $(d-1)/(s-1)$
    internal nodes; unambiguity makes distinct choices give distinct strings
    (Favero et al. 2025, Sec. 4.1). Returned as a Python int (it overflows
    int64 quickly).

    Cost: the result has $D = \frac{d - 1}{s - 1}\log_2 m + \log_2 v$ bits;
    computing it by repeated squaring takes $O(D^{1.59})$ time (Karatsuba
    products) and O(D) memory; about 12 ms for v = 16, m = 4, s = 2, L = 20
    ($D = 2^{21}$ bits).

    Parameters
    ----------
    v : int
        Vocabulary size per level, 2 <= v <= 65536.
    m : int
        Rules per symbol, $1 \le m \le v^{s-1}$.
    s : int
        Branching factor, >= 2.
    L : int
        Depth, >= 1, with $s^L \le 2^{24}$.

    Returns
    -------
    int
        The exact number of strings (a Python int of any size).

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If an argument is out of the ranges above.

    References
    ----------
    Favero et al. (2025), Sec. 4.1.

    Examples
    --------
    >>> num_strings(16, 4, 2, 5)
    73786976294838206464
    >>> num_strings(4, 2, 2, 2) == 4 * 2**3
    True
    """
    return _num_strings(*_check_shape_params(v, m, s, L))


def sample_complexity(v: int, m: int, L: int) -> tuple[int, ...]:
    r"""Sample complexities $P^*_\ell \sim v m^{\ell+1}$ for layers $\ell = 1..L$.

    Order-of-magnitude law of Favero, Sclocchi, Cagnetta, Frossard & Wyart
    (2025), "How compositional generalization and creativity improve as
    diffusion models are trained" (arXiv:2502.12089), quoted in Favero et al.
    (2025), Sec. 4.2: a deep network needs about $P^*_\ell$ training strings
    to learn the rules of layer $\ell$ (counted from the bottom), and
    $P^* = P^*_L = v m^{L+1}$ to generate valid strings. It is a scaling law
    without a prefactor: treat it as valid up to a constant of order one
    (the paper reads $P^* \approx 4096$ for v = 16, m = 4, L = 3 and
    $P^*_L \simeq 10^4$ for v = 16, m = 3, L = 5).

    Parameters
    ----------
    v : int
        Vocabulary size per level, 2 <= v <= 65536.
    m : int
        Rules per symbol, >= 1.
    L : int
        Depth, >= 1.

    Returns
    -------
    tuple of int
        $(P^*_1, \dots, P^*_L)$, increasing.

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If an argument is out of the ranges above.

    References
    ----------
    Favero et al. (2025), Sec. 4.2 (citing Favero, Sclocchi, Cagnetta et al.
    2025, arXiv:2502.12089).

    Examples
    --------
    >>> sample_complexity(16, 4, 3)
    (256, 1024, 4096)
    >>> sample_complexity(16, 3, 5)[-1]        # the paper's Fig. 5: about 1e4
    11664
    """
    v = check_positive_int("v", v, minimum=2, maximum=MAX_VOCABULARY)
    m = check_positive_int("m", m)
    L = check_positive_int("L", L, maximum=MAX_LENGTH.bit_length())
    return tuple(v * m ** (ell + 1) for ell in range(1, L + 1))
