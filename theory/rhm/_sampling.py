"""Exact posterior samples and reverse diffusion with the exact denoiser (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.random import Generator
from numpy.typing import ArrayLike

from ..._validation import (MAX_SAMPLES, check_array, check_choice, check_positive_int, check_real,
                           check_rng, check_tokens)
from ._bp import _belief_propagation, _exact_denoiser
from ._grammar import Grammar, _check_grammar
from ._noise import _check_process, _leaf_likelihood


def _categorical(rng, p):
    """One draw per row from the (unnormalised, non-negative) weights p[..., K]."""
    c = np.cumsum(p, axis=-1)
    u = rng.random(p.shape[:-1] + (1,)) * c[..., -1:]
    return np.minimum((c <= u).sum(axis=-1), p.shape[-1] - 1)


def sample_posterior(grammar: Grammar, x_t: ArrayLike, abar: float, *, process: str = "uniform",
                     seed: Generator | int | None = None) -> np.ndarray:
    r"""Exact joint samples $x_0 \sim p(x_0 | x_t)$, one per noisy string.

    Downward sampling after the upward BP pass: the root class from
    $\propto \nu^\uparrow_{\rm root}$, then at each node with symbol a the
    rule k with probability $\propto \prod_j \nu^\uparrow_{n_j}(r_{akj})$,
    whose right-hand side fixes the children. Unlike sampling each token from
    its marginal, the result is always a valid string. Exact for the RHM's
    tree-structured law (Favero et al. 2025, Sec. 4.2; Mezard & Montanari
    2009).

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    x_t : array_like of int
        Noisy tokens, shape (batch, d) or (d,): 0..v-1, and the mask token v
        for ``process="masked"``.
    abar : float
        Keep probability $\bar\alpha$ of the noise, in [0, 1].
    process : str, default "uniform"
        The corruption that produced ``x_t``, ``"uniform"`` or ``"masked"``.
    seed : Generator | int | None, default None
        Random seed or generator.

    Returns
    -------
    numpy.ndarray
        One int64 sample of shape (d,) per noisy string: shape (batch, d), or
        (d,) for a single string.

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar], ``x_t`` not an integer array,
        ``process`` not a string or ``seed`` of the wrong type.
    ValueError
        If some ``x_t`` has probability zero under the grammar (possible for
        masked noise or abar = 1), a token is out of range, ``process`` is
        unknown or ``abar`` is outside [0, 1].

    References
    ----------
    Favero et al. (2025), Sec. 4.2; Mezard & Montanari (2009).

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


def keep_schedule(n_steps: int) -> np.ndarray:
    r"""Cosine keep-probability schedule $\bar\alpha_t = \cos^2(\pi t / (2T))$, t = 0..T.

    $\bar\alpha_0 = 1$ (clean data) and $\bar\alpha_T = 0$ (uniform
    tokens, or all masked), both set exactly. This is memlab's choice for the
    exact-denoiser samplers; Favero et al. (2025), App. B.3, train their D3PM
    with a linear schedule of 1,000 noise levels.

    Parameters
    ----------
    n_steps : int
        Number of steps T, >= 1.

    Returns
    -------
    numpy.ndarray
        Float array of length T + 1, decreasing from 1 to 0.

    Raises
    ------
    TypeError
        If ``n_steps`` is not an integer.
    ValueError
        If ``n_steps`` < 1.

    References
    ----------
    Favero et al. (2025), App. B.3 (the paper's own schedule is linear).

    Examples
    --------
    >>> keep_schedule(4)[[0, 2, 4]].round(12).tolist()
    [1.0, 0.5, 0.0]
    """
    T = check_positive_int("n_steps", n_steps, maximum=MAX_SAMPLES)
    t = np.arange(T + 1)
    a = np.cos(0.5 * np.pi * t / T) ** 2
    a[0], a[-1] = 1.0, 0.0
    return a


def reverse_sample(grammar: Grammar, n_samples: int, n_steps: int, *, process: str = "uniform",
                   method: str = "marginal",
                   denoiser: Callable[[np.ndarray, float], ArrayLike] | None = None,
                   seed: Generator | int | None = None) -> np.ndarray:
    r"""Generate strings by reverse discrete diffusion driven by the exact denoiser.

    At step t (keep probabilities from [`keep_schedule`][memlab.theory.rhm.keep_schedule]) the exact
    denoiser gives $p(x_0 | x_t)$ and every token is drawn from

    $$
    p(x_{t-1} = c | x_t) = \sum_a p(x_{0} = a | x_t)\,
    \frac{q(x_t | x_{t-1} = c)\, q(x_{t-1} = c | x_0 = a)}{q(x_t | x_0 = a)}
    $$

    (D3PM, Austin et al. 2021): the "perfect score" generator, i.e. what a
    diffusion model that learned the population score would sample (Favero et
    al. 2025, Sec. 4.2). For masked noise a masked token is unmasked with
    probability $(\bar\alpha_{t-1} - \bar\alpha_t)/(1 - \bar\alpha_t)$ and
    then drawn from $p(x_0 | x_t)$.

    Where it stops being exact: with ``method="marginal"`` the tokens of one
    step are drawn independently, so with few steps the strings can be
    invalid (their rate falls with ``n_steps``); ``method="joint"`` is exact
    at any number of steps.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    n_samples : int
        Number of strings to generate, >= 1.
    n_steps : int
        Number of reverse steps T, >= 1 (the schedule of
        [`keep_schedule`][memlab.theory.rhm.keep_schedule] ``(n_steps)``).
    process : str, default "uniform"
        The corruption, ``"uniform"`` or ``"masked"``; the chain starts from
        uniform tokens or all masked.
    method : str, default "marginal"
        ``"marginal"`` or ``"joint"``. ``"marginal"``: each token uses its own posterior marginal, as a
        trained D3PM does (tokens of one step are drawn independently, so
        a finite number of steps can produce invalid strings; their rate
        falls with n_steps). ``"joint"``: $x_0$ is drawn jointly by
        [`sample_posterior`][memlab.theory.rhm.sample_posterior] and then
        $x_{t-1} \sim q(x_{t-1} | x_t, x_0)$, which is exact ancestral
        sampling at any n_steps (always valid).
    denoiser : callable, optional
        ``denoiser(x_t, abar)`` returning per-token probabilities of shape
        (n_samples, d, v), non-negative (rows need not be normalised; an
        all-zero row counts as uniform), replacing the exact denoiser (e.g. a
        trained network); only with ``method="marginal"``.
    seed : Generator | int | None, default None
        Random seed or generator.

    Returns
    -------
    numpy.ndarray
        Generated int64 strings of shape (n_samples, d).

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar], ``method`` or ``process`` not a
        string, a count not an integer or ``seed`` of the wrong type.
    ValueError
        If ``method`` or ``process`` is unknown, a count is < 1, ``denoiser`` is
        given but not callable or with ``method="joint"``, or it returns an
        array of the wrong shape or with negative or non-finite entries.

    References
    ----------
    Favero et al. (2025), Sec. 4.2 and App. B.3; Austin et al. (2021) for
    the D3PM reverse step.

    Examples
    --------
    >>> from memlab.theory.rhm import layer_validity, sample_grammar
    >>> g = sample_grammar(8, 2, 2, 3, seed=0)
    >>> x = reverse_sample(g, 64, 20, method="joint", seed=0)
    >>> x.shape, float(layer_validity(g, x)[:, -1].mean())
    ((64, 8), 1.0)
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


def denoiser_hellinger(p: ArrayLike, q: ArrayLike) -> float | np.ndarray:
    r"""Hellinger distance between two denoisers' per-token outputs, averaged over tokens.

    $$
    H = \frac1d \sum_{i=1}^d \sqrt{1 - \sum_a \sqrt{p_i(a) q_i(a)}}
    $$

    for probability vectors $p_i, q_i$ (last axis), e.g. two networks'
    outputs or a network against [`exact_denoiser`][memlab.theory.rhm.exact_denoiser]: the measure of
    Favero et al. (2025), Fig. 5b, showing that two models trained on
    disjoint training sets learn the same score before they memorize.

    Parameters
    ----------
    p : array_like
        Per-token probabilities, shape (..., d, v), each row summing to 1
        (within 1e-6), non-negative.
    q : array_like
        The other denoiser's probabilities, same shape as ``p``.

    Returns
    -------
    float or numpy.ndarray
        The token-averaged distance in [0, 1], an array over the leading batch
        axes (a float for a single string, shape (d, v)).

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a real array.
    ValueError
        If ``p`` has fewer than 2 dimensions, the shapes differ, an entry is
        negative or not finite, or a row does not sum to 1.

    References
    ----------
    Favero et al. (2025), Sec. 4.4 and Fig. 5b.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> denoiser_hellinger(p, p)
    0.0
    >>> round(denoiser_hellinger(p, np.array([[0.0, 1.0], [0.5, 0.5]])), 12)   # (1 + 0) / 2
    0.5
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
