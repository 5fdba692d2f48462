"""Argument validation shared by every memlab module.

Every public function checks its inputs with these helpers, so that bad input
raises an exception whose message starts with the argument's name and shows
the value received, e.g. ``"N must be a positive integer, got -3"``; nothing is
checked with ``assert`` and no NaN leaks out of a bad argument.

The rule is the same everywhere:

* an object of the wrong *type* raises `TypeError`: ``True``/``False``
  (also ``numpy.bool_``) where a number is expected, a ``str`` (also a numeric
  string such as ``"3"``), ``bytes``, a ``complex``, ``None``, a ``dict``, an
  arbitrary object, or an array of bool, string, complex or (non-numeric)
  object dtype;
* a number of the right type but the wrong *value* raises `ValueError`:
  NaN, infinity, a non-integral float where an integer is expected, or a value
  outside the allowed range.

Integral floats such as ``200.0`` (and numpy integer and float scalars) are
accepted where an integer is expected. The integer checkers accept integers up
to `MAX_INT` (``2**53``, the largest range in which every integer is
exactly a float) unless the caller passes a tighter ``maximum=``; the real
checkers reject integers too large for a float with a ``ValueError``
(``"must be finite"``) rather than an ``OverflowError``.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = [
    "check_positive_int",
    "check_nonnegative_int",
    "check_real",
    "check_positive_real",
    "check_array",
    "check_rng",
    "check_tokens",
    "check_choice",
    "check_bool",
    "MAX_SAMPLES",
    "MAX_INT",
    "MAX_ARRAY_BYTES",
    "check_allocation",
]

#: Upper bound on sample-count arguments (``trials``, ``n_samples``, ``n_projections``, ...):
#: one billion, far beyond what fits in memory or time, so that a mistyped count fails at once.
MAX_SAMPLES = 10**9

#: Default upper bound of the integer checkers: ``2**53``, beyond which integers are no longer
#: exact as floats (and sizes this large could not be computed with anyway).
MAX_INT = 2**53

#: Upper bound on the memory a single array built from user-given sizes may take (8 GiB);
#: see `check_allocation`.
MAX_ARRAY_BYTES = 8 * 2**30


def _show(value) -> str:
    """repr of a value for messages, with numpy scalars shown as plain Python numbers.

    Long reprs (huge integers, big arrays) are shortened so that a message stays readable
    and building it never takes long.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer with {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _scalar(value):
    """A 0-d numeric numpy array as its Python scalar; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return value.item()
    return value


def _integer(name: str, value, what: str) -> int:
    """``value`` as ``int``: TypeError for a non-number, ValueError for a non-integral number."""
    value = _scalar(value)
    if _is_bool(value):
        raise TypeError(f"{name} must be {what}, got {_show(value)}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        try:
            v = float(value)
        except OverflowError:
            raise ValueError(f"{name} must be {what}, got {_show(value)}") from None
        if math.isfinite(v) and v.is_integer():
            return int(v)
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    raise TypeError(f"{name} must be {what}, got {_show(value)}")


def check_positive_int(name: str, value, *, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """Return ``value`` as ``int`` if it is an integer in ``[minimum, maximum]``.

    Integral floats (``200.0``), numpy integers and 0-d numeric arrays are
    accepted. ``maximum`` defaults to `MAX_INT`; callers that need a tighter
    bound pass it.

    Raises
    ------
    TypeError
        If ``value`` is not a real number: ``True``/``False``, a string (also
        ``"3"``), bytes, a complex number, ``None``, a list, any other object.
    ValueError
        If ``value`` is a non-integral or non-finite number (``2.5``, NaN,
        inf), is smaller than ``minimum`` or larger than ``maximum``.

    Examples
    --------
    >>> check_positive_int("N", 200.0)
    200
    >>> check_positive_int("N", "3")
    Traceback (most recent call last):
        ...
    TypeError: N must be a positive integer, got '3'
    >>> check_positive_int("trials", 10**10, maximum=10**9)
    Traceback (most recent call last):
        ...
    ValueError: trials must be <= 1000000000, got 10000000000
    """
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    ivalue = _integer(name, value, what)
    if ivalue < minimum:
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    if ivalue > maximum:
        raise ValueError(f"{name} must be <= {_show(maximum)}, got {_show(value)}")
    return ivalue


def check_nonnegative_int(name: str, value, *, maximum: int = MAX_INT) -> int:
    """Return ``value`` as ``int`` if it is an integer in ``[0, maximum]``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (see `check_positive_int`).
    ValueError
        If ``value`` is non-integral, non-finite, negative or above ``maximum``.
    """
    what = "a non-negative integer"
    ivalue = _integer(name, value, what)
    if ivalue < 0:
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    if ivalue > maximum:
        raise ValueError(f"{name} must be <= {_show(maximum)}, got {_show(value)}")
    return ivalue


def check_real(name: str, value, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False) -> float:
    """Return ``value`` as a finite ``float`` inside the given interval.

    ``lo``/``hi`` are the bounds (``None`` for unbounded); ``lo_open``/``hi_open``
    make them strict. Python ints, floats, fractions, numpy integer and float
    scalars and 0-d numeric arrays are accepted.

    Raises
    ------
    TypeError
        If ``value`` is not a real number: ``True``/``False``, a string (also
        ``"3"``), bytes, a complex number, ``None``, any other object.
    ValueError
        If ``value`` is NaN, infinite, too large for a float (``10**400``) or
        outside the interval.
    """
    value = _scalar(value)
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_show(value)}")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got {_show(value)}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {_show(value)}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {_show(value)}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi}, got {_show(value)}")
    return v


def check_positive_real(name: str, value) -> float:
    """Return ``value`` as a finite ``float > 0``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (see `check_real`).
    ValueError
        If ``value`` is NaN, infinite, too large for a float, or ``<= 0``.
    """
    return check_real(name, value, lo=0.0, lo_open=True)


def _real_array(name: str, value, what: str, copy: bool = True) -> np.ndarray:
    """``value`` as a float64 array (not yet checked for finiteness); a new array unless
    ``copy`` is False and ``value`` already is a float64 array.

    TypeError for a wrong kind of object or dtype; an object array of real numbers (e.g. a
    Python int beyond int64) is converted, with overflow reported as "must be finite".
    """
    if value is None or isinstance(value, (str, bytes, dict, set, frozenset)) or _is_bool(value):
        raise TypeError(f"{name} must be {what}, got {_show(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting and the like
        raise ValueError(f"{name} must be {what}, got {_show(value)}") from None
    kind = arr.dtype.kind
    if kind in "iuf":
        with np.errstate(over="ignore"):
            return arr.astype(np.float64, copy=copy)
    if kind == "O":
        flat = arr.ravel()
        if all(isinstance(e, numbers.Real) and not _is_bool(e) for e in flat):
            out = np.empty(flat.shape, dtype=np.float64)
            for i, e in enumerate(flat):
                try:
                    out[i] = float(e)
                except OverflowError:
                    raise ValueError(f"{name} must be finite, got a value {_show(e)}") from None
            return out.reshape(arr.shape)
    raise TypeError(f"{name} must be {what}, got {_show(value)} (dtype {arr.dtype})")


def check_array(name: str, value, *, ndim: int | tuple[int, ...] | None = None,
                lo: float | None = None, hi: float | None = None,
                lo_open: bool = False, hi_open: bool = False,
                allow_empty: bool = False, copy: bool = True) -> np.ndarray:
    """Return ``value`` as a finite float64 array, checking shape and range.

    The result is a new array (the caller may change it) unless ``copy=False``, which a
    caller that only reads the array passes to skip the copy of a float64 input.

    Integer and float arrays, scalars and (nested) lists of numbers are
    accepted; so is an object array whose elements are all real numbers
    (a list holding a Python int beyond int64).

    Raises
    ------
    TypeError
        If ``value`` is not numeric: ``None``, a string (also ``"3"``), bytes,
        a dict, ``True``/``False``, or an array of bool, string, complex,
        datetime or object (other than real numbers) dtype.
    ValueError
        If the array is ragged, has the wrong number of dimensions, is empty,
        contains NaN/inf (or a number too large for a float), or leaves
        ``[lo, hi]``.
    """
    arr = _real_array(name, value, "an array of real numbers", copy)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), "
                f"got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise ValueError(f"{name} must be finite, got a value {_show(bad)}")
    if arr.size:
        amin, amax = float(arr.min()), float(arr.max())
        if lo is not None and (amin < lo or (lo_open and amin == lo)):
            raise ValueError(
                f"{name} must be {'>' if lo_open else '>='} {lo} everywhere, got {_show(amin)}")
        if hi is not None and (amax > hi or (hi_open and amax == hi)):
            raise ValueError(
                f"{name} must be {'<' if hi_open else '<='} {hi} everywhere, got {_show(amax)}")
    return arr


def check_rng(seed, name: str = "seed") -> np.random.Generator:
    """Turn ``seed`` (int, ``numpy.random.Generator`` or None) into a Generator.

    A fixed integer seed gives bit-for-bit reproducible draws on one machine.
    Integral floats are accepted; Python integers of any size are valid seeds.

    Raises
    ------
    TypeError
        If ``seed`` is neither an integer, a Generator nor ``None``
        (``True``, ``"3"``, ``1+2j``, a ``RandomState``, ...).
    ValueError
        If ``seed`` is a negative, non-integral or non-finite number.
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    what = "a non-negative integer, a numpy.random.Generator or None"
    value = _scalar(seed)
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}, got {_show(seed)}")
    try:
        ivalue = _integer(name, value, what)
    except ValueError:
        raise ValueError(f"{name} must be {what}, got {_show(seed)}") from None
    if ivalue < 0:
        raise ValueError(f"{name} must be {what}, got {_show(seed)}")
    return np.random.default_rng(ivalue)


def check_likelihood(name: str, value, d: int, v: int) -> tuple[np.ndarray, bool]:
    """Leaf likelihoods as a finite, non-negative float64 array (batch, d, v) and whether one
    string (a (d, v) array) was given. Not copied when already float64: the callers (the
    belief propagations) only read it."""
    lik = check_array(name, value, ndim=(2, 3), lo=0.0, copy=False)
    if lik.shape[-2:] != (d, v):
        raise ValueError(f"{name} must have shape (batch, {d}, {v}) or ({d}, {v}), "
                         f"got shape {lik.shape}")
    return lik.reshape(-1, d, v), lik.ndim == 2


def check_tokens(name: str, value, *, length: int | None = None,
                 n_tokens: int | None = None) -> tuple[np.ndarray, bool]:
    """Integer token strings as an int64 array (batch, length) and whether one string was given.

    ``value`` has shape (batch, length) or (length,); integral floats are
    accepted. ``length`` (if given) is the required string length and
    ``n_tokens`` (if given) bounds the tokens to [0, n_tokens); otherwise
    tokens must be non-negative (and below 2**63).

    Raises
    ------
    TypeError
        If ``value`` is ``None``, a string or bytes, or an array of bool,
        string, complex or object dtype.
    ValueError
        If the shape is wrong, the array is empty, a float token is not an
        integer, or a token is out of range.
    """
    if value is None or isinstance(value, (str, bytes, dict)) or _is_bool(value):
        raise TypeError(f"{name} must be an array of integer tokens, got {_show(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of integer tokens, got {_show(value)}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integer tokens, got dtype {arr.dtype}")
    if length is None:
        if arr.ndim not in (1, 2) or arr.size == 0:
            raise ValueError(f"{name} must be a non-empty array of token strings (batch, d), "
                             f"got shape {arr.shape}")
    else:
        if arr.ndim not in (1, 2) or arr.shape[-1] != length:
            raise ValueError(f"{name} must have shape (batch, {length}) or ({length},), "
                             f"got shape {arr.shape}")
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            raise ValueError(f"{name} must hold integer tokens, got dtype {arr.dtype}")
    # range checks in the input's own dtype, so that nothing wraps when cast to int64
    amin, amax = arr.min(), arr.max()
    if n_tokens is None:
        if amin < 0:
            raise ValueError(f"{name} must hold non-negative tokens, got {_show(amin)}")
        if amax >= 2.0**63:
            raise ValueError(f"{name} must hold tokens below 2**63, got {_show(amax)}")
    elif amin < 0 or amax >= n_tokens:
        bad = arr[(arr < 0) | (arr >= n_tokens)].ravel()[0]
        raise ValueError(f"{name} must hold tokens in [0, {n_tokens}), got {_show(bad)}")
    arr = arr.astype(np.int64)
    return arr.reshape(-1, arr.shape[-1]), arr.ndim == 1


def check_choice(name: str, value, choices: tuple):
    """Return ``value`` if it is one of the strings ``choices``.

    Raises
    ------
    TypeError
        If ``value`` is not a ``str`` (``None``, bytes, a number, a list, ...).
    ValueError
        If ``value`` is a string that is not one of ``choices``; the message is
        ``"{name} must be one of {choices}, got {value!r}"``.

    Examples
    --------
    >>> check_choice("process", "vp", ("vp", "ou"))
    'vp'
    >>> check_choice("process", b"vp", ("vp", "ou"))
    Traceback (most recent call last):
        ...
    TypeError: process must be one of ('vp', 'ou'), got b'vp'
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(choices)}, got {_show(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    """Return ``value`` as ``bool`` if it is ``True``/``False`` (or a ``numpy.bool_``).

    Raises
    ------
    TypeError
        If ``value`` is anything else (``0``, ``1``, ``"yes"``, ``None``, ...).
    """
    if not _is_bool(value):
        raise TypeError(f"{name} must be True or False, got {_show(value)}")
    return bool(value)


def check_sequence(name: str, value, what: str, *, array_ndim: int | None = None) -> list:
    """Return ``value`` as a list if it is a sequence (any iterable but a string or a mapping).

    A numpy array counts only if ``array_ndim`` is given and it has that many dimensions
    (its rows are then the items). The items themselves are not checked.

    Raises
    ------
    TypeError
        If ``value`` is a ``str``, ``bytes``, a mapping, ``None``, a number or another
        non-iterable, or an array of another number of dimensions:
        ``"{name} must be {what}, got {value!r}"``.

    Examples
    --------
    >>> check_sequence("M_values", (2, 5), "a sequence of integers")
    [2, 5]
    >>> check_sequence("M_values", "25", "a sequence of integers")
    Traceback (most recent call last):
        ...
    TypeError: M_values must be a sequence of integers, got '25'
    """
    if (isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable)
            or (isinstance(value, np.ndarray) and value.ndim != array_ndim)):
        raise TypeError(f"{name} must be {what}, got {_show(value)}")
    return list(value)


def check_instances(name: str, values, cls) -> list:
    """Return ``values`` as a non-empty list whose items are all instances of ``cls``.

    Raises
    ------
    ValueError
        If ``values`` is empty: ``"{name} must contain at least one {cls}, got none"``.
    TypeError
        If an item is not a ``cls``, naming it as ``name[i]`` (see `check_instance`).

    Examples
    --------
    >>> check_instances("runs", (1, 2), int)
    [1, 2]
    """
    values = check_sequence(name, values, f"a sequence of {cls.__name__}")
    if not values:
        raise ValueError(f"{name} must contain at least one {cls.__name__}, got none")
    for i, v in enumerate(values):
        check_instance(f"{name}[{i}]", v, cls)
    return values


def check_NdK(N, d, K) -> tuple[int, int, int]:
    """Return the Gaussian-mixture problem size ``(N, d, K)`` as ints.

    ``N`` (training-set size), ``d`` (dimension) and ``K`` (number of mixture
    components) must be positive integers, checked in that order, and
    ``K <= N``.

    Raises
    ------
    TypeError
        If one is not a real number (``"3"``, ``True``, ``None``, ...).
    ValueError
        If one is not a positive integer, or ``K > N``.
    """
    N = check_positive_int("N", N)
    d = check_positive_int("d", d)
    K = check_positive_int("K", K)
    if K > N:
        raise ValueError(f"K must be <= N = {N}, got {K}")
    return N, d, K


__all__ += ["check_NdK"]


def check_instance(name: str, value, cls):
    """Return ``value`` if it is an instance of ``cls`` (a class or a tuple of classes).

    Raises
    ------
    TypeError
        Naming the argument, e.g. ``"grammar must be a Grammar, got int"``.

    Examples
    --------
    >>> check_instance("n", 3, int)
    3
    >>> check_instance("grammar", 3, str)
    Traceback (most recent call last):
        ...
    TypeError: grammar must be a str, got int
    """
    if not isinstance(value, cls):
        want = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise TypeError(f"{name} must be a {want}, got {type(value).__name__}")
    return value


__all__ += ["check_instance", "check_instances"]


def check_allocation(name: str, shape, itemsize: int = 8, *, budget: int = MAX_ARRAY_BYTES):
    """Raise ValueError naming ``name`` if an array of ``shape`` would exceed ``budget`` bytes.

    Called before allocating an array whose size follows from user arguments, so that a
    mistyped size fails at once with a clear message instead of a ``MemoryError`` (or an
    allocation that takes the machine's memory). ``name`` is the argument (or arguments)
    that set the size.

    Examples
    --------
    >>> check_allocation("d", (10, 10**6))
    >>> check_allocation("d", (10**6, 10**6))
    Traceback (most recent call last):
        ...
    ValueError: d: this call needs an array of shape (1000000, 1000000) (7450.6 GiB), more than the 8 GiB memory budget
    """
    nbytes = int(itemsize)
    for n in shape:
        nbytes *= int(n)
    if nbytes > budget:
        raise ValueError(f"{name}: this call needs an array of shape {tuple(int(n) for n in shape)} "
                         f"({nbytes / 2**30:.1f} GiB), more than the {budget / 2**30:g} GiB "
                         f"memory budget")


def check_path(name: str, value):
    """Return ``value`` if it is a path: a ``str`` or an ``os.PathLike`` (e.g. ``pathlib.Path``).

    Raises
    ------
    TypeError
        If ``value`` is anything else (``None``, a number, bytes, a list, ...).
    ValueError
        If ``value`` is the empty string.

    Examples
    --------
    >>> check_path("out", "memlab-report")
    'memlab-report'
    >>> check_path("out", 3)
    Traceback (most recent call last):
        ...
    TypeError: out must be a path (str or os.PathLike), got 3
    """
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {_show(value)}")
    if isinstance(value, str) and not value:
        raise ValueError(f"{name} must be a non-empty path, got ''")
    return value


def check_mapping(name: str, value) -> Mapping:
    """Return ``value`` if it is a mapping (a ``dict`` or another ``collections.abc.Mapping``).

    Raises
    ------
    TypeError
        If ``value`` is not a mapping.
    ValueError
        If it is empty.

    Examples
    --------
    >>> check_mapping("scans", {0.3: []})
    {0.3: []}
    """
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict, got {_show(value)}")
    if not value:
        raise ValueError(f"{name} must not be empty, got {{}}")
    return value


__all__ += ["check_path", "check_mapping", "check_sequence"]
