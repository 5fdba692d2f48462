"""Argument validation shared by every memlab module.

Every public function checks its inputs with these helpers, so that bad input
raises a ``ValueError`` (or ``TypeError``) whose message names the argument and
the value received, e.g. ``"N must be a positive integer, got -3"``; nothing is
checked with ``assert`` and no NaN leaks out of a bad argument.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "check_positive_int",
    "check_nonnegative_int",
    "check_real",
    "check_positive_real",
    "check_array",
    "check_rng",
    "check_tokens",
]


def _show(value) -> str:
    """repr of a value for messages, with numpy scalars shown as plain Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _is_integral(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Integral):
        return True
    # Accept floats that are exactly integers (e.g. 200.0), reject 2.5 and NaN.
    if isinstance(value, numbers.Real):
        v = float(value)
        return math.isfinite(v) and v.is_integer()
    return False


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as ``int`` if it is an integer ``>= minimum``.

    Raises
    ------
    ValueError
        If ``value`` is not an integer (``2.5``, NaN, a string, ``True``) or is
        smaller than ``minimum``.
    """
    if not _is_integral(value):
        raise ValueError(f"{name} must be a positive integer, got {_show(value)}")
    ivalue = int(value)
    if ivalue < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    return ivalue


def check_nonnegative_int(name: str, value) -> int:
    """Return ``value`` as ``int`` if it is an integer ``>= 0``."""
    if not _is_integral(value) or int(value) < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {_show(value)}")
    return int(value)


def check_real(name: str, value, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False) -> float:
    """Return ``value`` as a finite ``float`` inside the given interval.

    ``lo``/``hi`` are the bounds (``None`` for unbounded); ``lo_open``/``hi_open``
    make them strict.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {_show(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {_show(value)}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {_show(value)}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi}, got {_show(value)}")
    return v


def check_positive_real(name: str, value) -> float:
    """Return ``value`` as a finite ``float > 0``."""
    return check_real(name, value, lo=0.0, lo_open=True)


def check_array(name: str, value, *, ndim: int | tuple[int, ...] | None = None,
                lo: float | None = None, hi: float | None = None,
                lo_open: bool = False, hi_open: bool = False,
                allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a finite float64 array, checking shape and range.

    Raises
    ------
    ValueError
        If the array cannot be converted to float, has the wrong number of
        dimensions, is empty, contains NaN/inf, or leaves ``[lo, hi]``.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of real numbers, got {_show(value)}") from None
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


def check_rng(seed) -> np.random.Generator:
    """Turn ``seed`` (int, ``numpy.random.Generator`` or None) into a Generator.

    A fixed integer seed gives bit-for-bit reproducible draws on one machine.
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if _is_integral(seed) and int(seed) >= 0:
        return np.random.default_rng(int(seed))
    raise ValueError(
        f"seed must be a non-negative integer, a numpy.random.Generator or None, got {_show(seed)}")


def check_tokens(name: str, value, *, length: int | None = None,
                 n_tokens: int | None = None) -> tuple[np.ndarray, bool]:
    """Integer token strings as an int64 array (batch, length) and whether one string was given.

    ``value`` has shape (batch, length) or (length,); integral floats are
    accepted. ``length`` (if given) is the required string length and
    ``n_tokens`` (if given) bounds the tokens to [0, n_tokens); otherwise
    tokens must be non-negative.
    """
    arr = np.asarray(value)
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
    if not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr))
                and np.all(arr == np.round(arr))):
            raise ValueError(f"{name} must hold integer tokens, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if n_tokens is None:
        if arr.min() < 0:
            raise ValueError(f"{name} must hold non-negative tokens, got {_show(arr.min())}")
    elif arr.min() < 0 or arr.max() >= n_tokens:
        bad = arr[(arr < 0) | (arr >= n_tokens)].ravel()[0]
        raise ValueError(f"{name} must hold tokens in [0, {n_tokens}), got {_show(bad)}")
    return arr.reshape(-1, arr.shape[-1]), arr.ndim == 1


def check_NdK(N, d, K) -> tuple[int, int, int]:
    """Return the Gaussian-mixture problem size ``(N, d, K)`` as ints.

    ``N`` (training-set size), ``d`` (dimension) and ``K`` (number of mixture
    components) must be positive integers, checked in that order, and
    ``K <= N``.

    Raises
    ------
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


__all__ += ["check_instance"]
