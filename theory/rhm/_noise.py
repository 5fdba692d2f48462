"""Token corruption (uniform or masked) and its leaf likelihoods (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

import numpy as np

from ..._validation import check_choice, check_positive_int, check_real, check_rng, check_tokens
from ._grammar import MAX_VOCABULARY

PROCESSES = ("uniform", "masked")


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


def leaf_likelihood(x_t, abar, v, *, process="uniform") -> np.ndarray:
    r"""Leaf likelihoods $\ell_i(a) = q(x_{t,i} | x_{0,i} = a)$, array (batch, d, v).

    Uniform: $\bar\alpha [a = x_{t,i}] + (1-\bar\alpha)/v$. Masked (mask
    token = v): $\bar\alpha [a = x_{t,i}]$ for a visible token and the
    constant $1 - \bar\alpha$ for a masked one.

    Examples
    --------
    >>> leaf_likelihood([0, 2], 0.5, 2, process="masked").tolist()
    [[0.5, 0.0], [0.5, 0.5]]
    """
    process, v, abar = _check_noise(process, v, abar)
    x = np.asarray(x_t)
    d = x.shape[-1] if x.ndim else 0
    tokens, single = check_tokens("x_t", x, length=d, n_tokens=v + (process == "masked"))
    lik = _leaf_likelihood(tokens, abar, v, process)
    return lik[0] if single else lik


def add_noise(x0, abar, v, *, process="uniform", seed=None) -> np.ndarray:
    """Corrupt tokens independently with keep probability ``abar`` (uniform resampling or masking)."""
    process, v, abar = _check_noise(process, v, abar)
    x = np.asarray(x0)
    tokens, single = check_tokens("x0", x, length=x.shape[-1] if x.ndim else 0, n_tokens=v)
    rng = check_rng(seed)
    replace = rng.random(tokens.shape) >= abar
    new = rng.integers(0, v, size=tokens.shape) if process == "uniform" else np.full_like(tokens, v)
    out = np.where(replace, new, tokens)
    return out[0] if single else out
