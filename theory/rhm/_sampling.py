"""Exact posterior samples and reverse diffusion with the exact denoiser (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

import numpy as np

from ..._validation import (MAX_SAMPLES, check_array, check_choice, check_positive_int, check_real,
                           check_rng, check_tokens)
from ._bp import _belief_propagation, _exact_denoiser
from ._grammar import _check_grammar
from ._noise import _check_process, _leaf_likelihood


def _categorical(rng, p):
    """One draw per row from the (unnormalised, non-negative) weights p[..., K]."""
    c = np.cumsum(p, axis=-1)
    u = rng.random(p.shape[:-1] + (1,)) * c[..., -1:]
    return np.minimum((c <= u).sum(axis=-1), p.shape[-1] - 1)


def sample_posterior(grammar, x_t, abar, *, process="uniform", seed=None) -> np.ndarray:
    r"""Exact joint samples $x_0 \sim p(x_0 | x_t)$, one per noisy string.

    Downward sampling after the upward BP pass: the root class from
    $\propto \nu^\uparrow_{\rm root}$, then at each node with symbol a the
    rule k with probability $\propto \prod_j \nu^\uparrow_{n_j}(r_{akj})$,
    whose right-hand side fixes the children. Unlike sampling each token from
    its marginal, the result is always a valid string.

    Raises ValueError if some ``x_t`` has probability zero under the grammar.

    Examples
    --------
    >>> from memlab.theory.rhm import add_noise, generate, layer_validity, sample_grammar
    >>> g = sample_grammar(8, 2, 2, 3, seed=0)
    >>> x_t = add_noise(generate(g, 100, seed=0), 0.3, 8, seed=1)
    >>> bool(layer_validity(g, sample_posterior(g, x_t, 0.3, seed=2)).all())
    True
    """
    grammar = _check_grammar(grammar)
    rng = check_rng(seed)
    process = _check_process(process)
    tokens, single = check_tokens("x_t", x_t, length=grammar.d,
                                  n_tokens=grammar.v + (process == "masked"))
    abar = check_real("abar", abar, lo=0.0, hi=1.0)
    x0 = _sample_posterior(grammar, tokens, abar, process, rng)
    return x0[0] if single else x0


def _sample_posterior(grammar, tokens, abar, process, rng):
    """Joint posterior samples (B, d) for checked tokens (B, d), abar, process and Generator."""
    lik = _leaf_likelihood(tokens, abar, grammar.v, process)
    res, weights = _belief_propagation(grammar, lik, 64, True)
    bad = np.flatnonzero(~np.isfinite(res.log_likelihood))
    if bad.size:
        raise ValueError(f"x_t has probability zero under the grammar for rows {bad[:10].tolist()}")
    B = res.log_likelihood.shape[0]
    sym = _categorical(rng, res.levels[0][:, 0, :])[:, None]
    for l in range(grammar.L):
        w = weights[l]                             # (B, n_l, m, v)
        wk = np.take_along_axis(w, sym[:, :, None, None], axis=3)[:, :, :, 0]
        k = _categorical(rng, wk)
        sym = grammar.rules[l][sym, k].reshape(B, -1)
    return sym


def keep_schedule(n_steps) -> np.ndarray:
    r"""Cosine keep-probability schedule $\bar\alpha_t = \cos^2(\pi t / (2T))$, t = 0..T.

    $\bar\alpha_0 = 1$ (clean data) and $\bar\alpha_T = 0$ (uniform
    tokens, or all masked). Returns an array of length T + 1.

    >>> keep_schedule(4)[[0, 2, 4]].round(12).tolist()
    [1.0, 0.5, 0.0]
    """
    T = check_positive_int("n_steps", n_steps, maximum=MAX_SAMPLES)
    t = np.arange(T + 1)
    a = np.cos(0.5 * np.pi * t / T) ** 2
    a[0], a[-1] = 1.0, 0.0
    return a


def reverse_sample(grammar, n_samples, n_steps, *, process="uniform", method="marginal",
                   denoiser=None, seed=None) -> np.ndarray:
    r"""Generate strings by reverse discrete diffusion driven by the exact denoiser.

    At step t (keep probabilities from [`keep_schedule`][memlab.theory.rhm.keep_schedule]) the exact
    denoiser gives $p(x_0 | x_t)$ and every token is drawn from

    $$
    p(x_{t-1} = c | x_t) = \sum_a p(x_{0} = a | x_t)\,
    \frac{q(x_t | x_{t-1} = c)\, q(x_{t-1} = c | x_0 = a)}{q(x_t | x_0 = a)}
    $$

    (D3PM, Austin et al. 2021): the "perfect score" generator.

    Parameters
    ----------
    method : {"marginal", "joint"}
        ``"marginal"``: each token uses its own posterior marginal, as a
        trained D3PM does (tokens of one step are drawn independently, so
        a finite number of steps can produce invalid strings; their rate
        falls with n_steps). ``"joint"``: $x_0$ is drawn jointly by
        [`sample_posterior`][memlab.theory.rhm.sample_posterior] and then $x_{t-1} \sim q(x_{t-1} | x_t,
        x_0)$, which is exact ancestral sampling at any n_steps (always valid).
    process : {"uniform", "masked"}
    denoiser : callable, optional
        ``denoiser(x_t, abar) -> (n, d, v)`` per-token probabilities replacing
        the exact denoiser (e.g. a trained network), with ``method="marginal"``.

    Returns
    -------
    int64 array (n_samples, d).

    Examples
    --------
    >>> from memlab.theory.rhm import layer_validity, sample_grammar
    >>> g = sample_grammar(8, 2, 2, 3, seed=0)
    >>> x = reverse_sample(g, 64, 20, method="joint", seed=0)
    >>> float(layer_validity(g, x)[:, -1].mean())
    1.0
    """
    grammar = _check_grammar(grammar)
    n = check_positive_int("n_samples", n_samples, maximum=MAX_SAMPLES)
    abars = keep_schedule(n_steps)
    process = _check_process(process)
    if not isinstance(method, str):
        check_choice("method", method, ("marginal", "joint"))
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
            p0 = eye[_sample_posterior(grammar, x, float(a_t), process, rng)]
        else:
            p0 = (_exact_denoiser(grammar, x, float(a_t), process) if denoiser is None
                  else _checked_output(denoiser(x, a_t), (n, d, v)))
            dead = p0.sum(axis=-1) == 0              # zero-probability evidence (masked only)
            p0[dead] = 1.0 / v
        if process == "uniform":
            # q(x_{t-1} = c | x_t, x_0 = a) = q(x_t | c) q(c | a) / q(x_t | a): weight p0 by 1/q(x_t | a)
            p0 = p0 / _leaf_likelihood(x, float(a_t), v, "uniform")
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


def _checked_output(p0, shape):
    """A user denoiser's output as a float64 array of ``shape`` with non-negative entries.

    Rows need not be normalised (the sampler normalises them); an all-zero row is treated
    as uniform, as for the exact denoiser.
    """
    try:
        p0 = check_array("denoiser output", p0, ndim=len(shape), lo=0.0)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"denoiser returned a bad value: {exc}") from None
    if p0.shape != shape:
        raise ValueError(f"denoiser must return per-token probabilities of shape {shape}, "
                         f"got shape {p0.shape}")
    return p0.copy()


def denoiser_hellinger(p, q) -> np.ndarray:
    r"""Hellinger distance between two denoisers' per-token outputs, averaged over tokens.

    $$
    H = \frac1d \sum_{i=1}^d \sqrt{1 - \sum_a \sqrt{p_i(a) q_i(a)}}
    $$

    for probability vectors $p_i, q_i$ (last axis), e.g. two networks'
    outputs or a network against [`exact_denoiser`][memlab.theory.rhm.exact_denoiser] (seed 000 Fig. 5b).
    Returns an array over the leading batch axes (a float for a single string).
    """
    p = check_array("p", p, lo=0.0)
    q = check_array("q", q, lo=0.0)
    if p.ndim < 2:
        raise ValueError(f"p must have at least 2 dimensions (..., d, v), got shape {p.shape}")
    if p.shape != q.shape:
        raise ValueError(f"q must have the shape of p {p.shape}, got shape {q.shape}")
    for name, a in (("p", p), ("q", q)):
        if not np.allclose(a.sum(axis=-1), 1.0, atol=1e-6):
            raise ValueError(f"{name} must sum to 1 over its last axis, got sums in "
                             f"[{a.sum(-1).min():.6g}, {a.sum(-1).max():.6g}]")
    bc = np.sqrt(p * q).sum(axis=-1)
    h = np.sqrt(np.clip(1.0 - bc, 0.0, None)).mean(axis=-1)
    return float(h) if h.ndim == 0 else h
