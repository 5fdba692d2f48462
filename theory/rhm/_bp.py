"""Exact belief propagation on the RHM tree and the exact denoiser (part of [`memlab.theory.rhm`][memlab.theory.rhm])."""

from __future__ import annotations

from dataclasses import dataclass

from memlab._results import Result
import numpy as np
from numpy.typing import ArrayLike

from ..._validation import (MAX_SAMPLES, check_likelihood, check_positive_int,
                             check_real, check_tokens)
from ._grammar import Grammar, _check_grammar
from ._noise import _check_process, _leaf_likelihood


@dataclass(frozen=True)
class BPResult(Result):
    r"""Exact posterior marginals from [`belief_propagation`][memlab.theory.rhm.belief_propagation] (Favero et al. 2025, Sec. 4.2).

    For a single string (likelihood of shape (d, v)) the batch axis is dropped
    and ``log_likelihood`` is a float.

    Attributes
    ----------
    leaves : numpy.ndarray
        $p(x_{0,i} = a | x_t)$ per token, shape (batch, d, v): the exact
        denoiser.
    levels : tuple of numpy.ndarray
        Posterior marginals of the latent symbols at tree levels l = 0..L-1,
        one array of shape (batch, s^l, v) per level.
    log_likelihood : numpy.ndarray or float
        $\log \sum_{x_0} p(x_0) \prod_i \ell_i(x_{0,i})$, shape (batch,);
        -inf when the evidence is inconsistent with the grammar, in which case
        all marginals of that string are 0 (probability zero, never NaN).
    """

    leaves: np.ndarray
    levels: tuple
    log_likelihood: np.ndarray


def belief_propagation(grammar: Grammar, likelihood: ArrayLike, *, chunk: int = 64) -> BPResult:
    r"""Exact posterior marginals of the RHM given independent leaf evidence.

    Upward pass (leaves to root), per node n of level l with children
    $n_1..n_s$:

    $$
    \nu^{\uparrow}_n(a) \propto \frac1m \sum_{k=1}^m
    \prod_{j=1}^s \nu^{\uparrow}_{n_j}(r^{(l)}_{a k j}),
    $$

    starting from $\nu^\uparrow_i = \ell_i$ at the leaves. Downward pass
    from the uniform root prior, with leave-one-out products over siblings:

    $$
    \nu^{\downarrow}_{n_j}(c) \propto \sum_{a, k:\ r_{akj} = c}
    \nu^\downarrow_n(a)\, \frac1m \prod_{j' \ne j} \nu^\uparrow_{n_{j'}}(r_{a k j'}),
    $$

    and marginals $\propto \nu^\downarrow_n \nu^\uparrow_n$. Every
    message is normalised per node; the log normalisers sum to the log
    likelihood of the evidence. The sibling products use prefix/suffix
    products (no division, so zeros are exact) and the sum over (a, k) with
    $r_{akj} = c$ is a gather through a table padded to the largest
    multiplicity K of a child symbol (K is about m plus a few; at most
    $v^{s-1}$): $O(v m s)$ per node for the upward pass,
    $O(v K s)$ for the downward pass, and no $v^2$ intermediate.

    The exact score of the RHM that Favero et al. (2025), Sec. 4.2, compute
    "using the Belief Propagation (BP) algorithm" (Mezard & Montanari 2009):
    exact on the tree, with no approximation, for any leaf evidence that
    factorises over tokens.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    likelihood : array_like
        Non-negative, finite leaf likelihoods of shape (batch, d, v) or (d, v)
        (e.g. from [`leaf_likelihood`][memlab.theory.rhm.leaf_likelihood]); rows need not be normalised.
    chunk : int, default 64
        Strings per vectorised block (64 keeps the blocks in cache; the
        result does not depend on it).

    Returns
    -------
    BPResult
        The token and latent marginals and the log likelihood of the evidence.

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar], ``likelihood`` not a real
        array or ``chunk`` not an integer.
    ValueError
        If ``likelihood`` has the wrong shape, a negative or non-finite entry,
        or ``chunk`` < 1.

    References
    ----------
    Favero et al. (2025), Sec. 4.2; Mezard & Montanari (2009).

    Examples
    --------
    >>> from memlab.theory.rhm import generate, leaf_likelihood, sample_grammar
    >>> g = sample_grammar(4, 2, 2, 2, seed=0)             # 32 strings
    >>> res = belief_propagation(g, leaf_likelihood(generate(g, 3, seed=0), 1.0, 4))
    >>> bool(np.allclose(res.log_likelihood, -np.log(32)))  # clean strings: 1/32 each
    True
    """
    grammar = _check_grammar(grammar)
    v, d = grammar.v, grammar.d
    lik, single = check_likelihood("likelihood", likelihood, d, v)
    chunk = check_positive_int("chunk", chunk, maximum=MAX_SAMPLES)
    res, _ = _belief_propagation(grammar, lik, chunk, False)
    if single:
        return BPResult(res.leaves[0], tuple(x[0] for x in res.levels),
                        float(res.log_likelihood[0]))
    return res


def _belief_propagation(grammar, lik, chunk, keep_weights):
    """BP on checked leaf likelihoods lik (B, d, v) float64: (BPResult, weights).

    ``weights`` is, if ``keep_weights``, the tuple over levels l of the
    upward rule products (B, s^l, m, v) that [`sample_posterior`][memlab.theory.rhm.sample_posterior] draws
    rules from, and () otherwise.
    """
    v, m, s, L, d = grammar.v, grammar.m, grammar.s, grammar.L, grammar.d
    B = lik.shape[0]
    leaves = np.empty((B, d, v))
    levels = tuple(np.empty((B, s ** l, v)) for l in range(L))
    loglik = np.empty(B)
    weights = tuple(np.empty((B, s ** l, m, v)) for l in range(L)) if keep_weights else ()
    ws = _Workspace(grammar, min(chunk, B))
    for i in range(0, B, chunk):
        sl = slice(i, i + chunk)
        _bp_chunk(grammar, ws, lik[sl], leaves[sl], [x[sl] for x in levels], loglik[sl],
                  [w[sl] for w in weights] if keep_weights else None)
    return BPResult(leaves, levels, loglik), weights


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


def exact_denoiser(grammar: Grammar, x_t: ArrayLike, abar: float, *,
                   process: str = "uniform") -> np.ndarray:
    r"""The exact denoiser $E[x_0 | x_t]$ (one-hot tokens): per-token posterior marginals.

    [`belief_propagation`][memlab.theory.rhm.belief_propagation] on the leaf likelihoods of
    [`leaf_likelihood`][memlab.theory.rhm.leaf_likelihood]: the population denoiser (exact score) of the RHM that
    Favero et al. (2025), Sec. 4.2, compare trained networks with (their
    Fig. 5b). It is what a network that generalizes perfectly would output; a
    memorizing network departs from it.

    Parameters
    ----------
    grammar : Grammar
        The RHM instance.
    x_t : array_like of int
        Noisy tokens, shape (batch, d) or (d,): 0..v-1, and the mask token v
        for ``process="masked"``.
    abar : float
        Keep probability $\bar\alpha_t$, in [0, 1] (see the module docstring).
    process : str, default "uniform"
        The corruption that produced ``x_t``, ``"uniform"`` or ``"masked"``.

    Returns
    -------
    numpy.ndarray
        $p(x_{0,i} = a | x_t)$, shape (batch, d, v), or (d, v) for a single
        string. Rows are all zero where ``x_t`` has probability zero under the
        grammar (possible only for masked noise or abar = 1).

    Raises
    ------
    TypeError
        If ``grammar`` is not a [`Grammar`][memlab.theory.rhm.Grammar], ``x_t`` not an integer array or
        ``process`` not a string.
    ValueError
        If ``process`` is unknown, ``x_t`` has the wrong length or a token out
        of range, or ``abar`` is outside [0, 1].

    References
    ----------
    Favero et al. (2025), Sec. 4.2 and Fig. 5b; App. B.3, eq. 4.

    Examples
    --------
    >>> from memlab.theory.rhm import generate, sample_grammar
    >>> g = sample_grammar(4, 2, 2, 2, seed=0)
    >>> x0 = generate(g, 1, seed=0)[0]
    >>> p = exact_denoiser(g, x0, 1.0)          # noiseless: the string itself
    >>> bool((p.argmax(-1) == x0).all()), float(p.sum(-1).min())
    (True, 1.0)
    >>> exact_denoiser(g, x0, 0.0)[0].round(12).tolist()   # pure noise: the prior of token 0
    [0.0, 0.125, 0.625, 0.25]
    """
    grammar = _check_grammar(grammar)
    process = _check_process(process)
    tokens, single = check_tokens("x_t", x_t, length=grammar.d,
                                  n_tokens=grammar.v + (process == "masked"))
    abar = check_real("abar", abar, lo=0.0, hi=1.0)
    leaves = _exact_denoiser(grammar, tokens, abar, process)
    return leaves[0] if single else leaves


def _exact_denoiser(grammar, tokens, abar, process):
    """Posterior marginals (B, d, v) of checked tokens (B, d) and a checked abar."""
    lik = _leaf_likelihood(tokens, abar, grammar.v, process)
    return _belief_propagation(grammar, lik, 64, False)[0].leaves
