"""Token corruption (uniform or masked) and its leaf likelihoods (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

import numpy as np
from numpy.random import Generator
from numpy.typing import ArrayLike

from ..._validation import check_choice, check_positive_int, check_real, check_rng, check_tokens
from ._grammar import MAX_VOCABULARY

PROCESSES = ("uniform", "masked")
"""Token corruptions: uniform resampling (D3PM) or masking (absorbing state, mask token v)."""


def _check_process(process):
    return check_choice("process", process, PROCESSES)


def _check_noise(process, v, abar):
    """Checked (process, v, abar), in that order."""
    process = _check_process(process)
    v = check_positive_int("v", v, minimum=2, maximum=MAX_VOCABULARY)
    abar = check_real("abar", abar, lo=0.0, hi=1.0)
    return process, v, abar


def _leaf_likelihood(tokens, abar, v, process):
    """Leaf likelihoods (batch, d, v) of checked tokens (batch, d) and a checked abar."""
    if process == "uniform":
        lik = np.full(tokens.shape + (v,), (1.0 - abar) / v)
        np.put_along_axis(lik, tokens[..., None], abar + (1.0 - abar) / v, axis=-1)
    else:
        masked = tokens == v
        lik = np.zeros(tokens.shape + (v,))
        np.put_along_axis(lik, np.minimum(tokens, v - 1)[..., None], abar, axis=-1)
        lik[masked] = 1.0 - abar
    return lik


def leaf_likelihood(x_t: ArrayLike, abar: float, v: int, *,
                    process: str = "uniform") -> np.ndarray:
    r"""Leaf likelihoods $\ell_i(a) = q(x_{t,i} | x_{0,i} = a)$, array (batch, d, v).

    The evidence that belief propagation starts from. Uniform (D3PM, Favero et
    al. 2025, App. B.3, eq. 4): $\bar\alpha [a = x_{t,i}] + (1-\bar\alpha)/v$.
    Masked (mask token = v): $\bar\alpha [a = x_{t,i}]$ for a visible token and
    the constant $1 - \bar\alpha$ for a masked one.

    Parameters
    ----------
    x_t : array_like of int
        Noisy tokens, shape (batch, d) or (d,), in [0, v) (and the mask token v
        for ``process="masked"``).
    abar : float
        Keep probability $\bar\alpha$, in [0, 1].
    v : int
        Vocabulary size, 2 <= v <= 65536.
    process : str, default "uniform"
        The corruption, ``"uniform"`` or ``"masked"`` (one of
        [`PROCESSES`][memlab.theory.rhm.PROCESSES]).

    Returns
    -------
    numpy.ndarray
        Likelihoods of shape (batch, d, v), or (d, v) for a single string.

    Raises
    ------
    TypeError
        If ``x_t`` is not an integer array, ``process`` not a string, or
        ``abar``, ``v`` not numbers.
    ValueError
        If ``process`` is unknown, ``abar`` is outside [0, 1], v is out of range,
        or a token is out of range.

    References
    ----------
    Favero et al. (2025), App. B.3, eq. 4 (uniform); App. B.2, eq. 3 (masked).

    Examples
    --------
    >>> leaf_likelihood([0, 2], 0.5, 2, process="masked").tolist()
    [[0.5, 0.0], [0.5, 0.5]]
    >>> leaf_likelihood([1], 0.5, 2).tolist()          # 0.5 [a = 1] + 0.25
    [[0.25, 0.75]]
    """
    process, v, abar = _check_noise(process, v, abar)
    x = np.asarray(x_t)
    d = x.shape[-1] if x.ndim else 0
    tokens, single = check_tokens("x_t", x, length=d, n_tokens=v + (process == "masked"))
    lik = _leaf_likelihood(tokens, abar, v, process)
    return lik[0] if single else lik


def add_noise(x0: ArrayLike, abar: float, v: int, *, process: str = "uniform",
              seed: Generator | int | None = None) -> np.ndarray:
    r"""Corrupt tokens independently with keep probability ``abar`` (uniform resampling or masking).

    Each token is kept with probability $\bar\alpha$ and otherwise replaced
    by a uniform token of [0, v) (``"uniform"``, so that
    $q(x_t = b | x_0 = a) = \bar\alpha [a = b] + (1 - \bar\alpha)/v$; the
    D3PM of Favero et al. 2025, App. B.3, eq. 4, after t steps) or by the mask
    token v (``"masked"``).

    Parameters
    ----------
    x0 : array_like of int
        Clean tokens, shape (batch, d) or (d,), in [0, v).
    abar : float
        Keep probability $\bar\alpha$, in [0, 1].
    v : int
        Vocabulary size, 2 <= v <= 65536.
    process : str, default "uniform"
        The corruption, ``"uniform"`` or ``"masked"`` (one of
        [`PROCESSES`][memlab.theory.rhm.PROCESSES]).
    seed : Generator | int | None, default None
        Random seed or generator.

    Returns
    -------
    numpy.ndarray
        Noisy int64 tokens of the shape of ``x0``, in [0, v) (uniform) or
        [0, v] (masked).

    Raises
    ------
    TypeError
        If ``x0`` is not an integer array, ``process`` not a string, or
        ``seed`` of the wrong type.
    ValueError
        If ``process`` is unknown, ``abar`` is outside [0, 1], v is out of range,
        or a token is out of range.

    References
    ----------
    Favero et al. (2025), App. B.3, eq. 4 (uniform); App. B.2, eq. 3 (masked).

    Examples
    --------
    >>> add_noise([0, 1, 2, 3], 1.0, 4, seed=0).tolist()                  # abar = 1: unchanged
    [0, 1, 2, 3]
    >>> add_noise([0, 1, 2, 3], 0.0, 4, process="masked", seed=0).tolist() # abar = 0: all masked
    [4, 4, 4, 4]
    """
    process, v, abar = _check_noise(process, v, abar)
    x = np.asarray(x0)
    tokens, single = check_tokens("x0", x, length=x.shape[-1] if x.ndim else 0, n_tokens=v)
    rng = check_rng(seed)
    replace = rng.random(tokens.shape) >= abar
    new = rng.integers(0, v, size=tokens.shape) if process == "uniform" else np.full_like(tokens, v)
    out = np.where(replace, new, tokens)
    return out[0] if single else out
