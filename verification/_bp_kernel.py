r"""Belief propagation on the RHM tree as one numba kernel (private part of [`memlab.verification.rhm`][memlab.verification.rhm]).

The messages are those of [`memlab.theory.rhm.belief_propagation`][memlab.theory.rhm.belief_propagation], the
numpy reference (exact score of the Random Hierarchy Model, Favero et al.
2025; BP on trees, Mezard & Montanari 2009), computed with another memory
layout: a tile of ``chunk`` strings is held as arrays ``up[node, a, t]`` and
``down[node, a, t]`` with the string index t innermost, so that every inner
loop of the pass runs over t with unit stride (vectorised by the compiler)
and the rule symbols $r_{akj}$ are scalar row indices. Tiles are
independent; the numba threads take them in turn (``numba.prange`` over
workers, one set of buffers per worker).

Nodes are numbered level by level (heap order): level l starts at node
$(s^l - 1)/(s - 1)$, and child j of node n of level l is node n s + j of
level l + 1. The d leaves follow the $(d - 1)/(s - 1)$ internal nodes.

Normalisation and zeros are those of the reference: every message is
normalised over its symbol, a zero message stays zero (it is divided by 1),
the log normalisers sum to the log-likelihood, a string whose log-likelihood
is not finite gets -inf and a zero root prior, hence all-zero marginals, and
the leave-one-out products are prefix x suffix products (no division).

The public entry point, with argument checks, is
[`memlab.verification.rhm.fast_belief_propagation`][memlab.verification.rhm.fast_belief_propagation]; `bp_arrays`
here takes checked values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

if TYPE_CHECKING:
    from memlab.theory.rhm import Grammar

#: Strings per tile by default. The two buffers of a tile hold 2 x 63 x 16 x 32
#: doubles (504 KiB) at (v, m, s, L) = (16, 4, 2, 5), inside the 2 MiB L2 cache of a
#: core; tiles of 16, 64 and 128 strings were 13-37% slower there (CPU time, one
#: thread, timed alternately in one process).
DEFAULT_CHUNK = 32


def flops_per_string(v: int, m: int, s: int, L: int) -> tuple[int, int]:
    """Floating-point operations per string of the kernel, and its logarithms: (flops, logs).

    Counted as the kernel does them (an add, a multiply and a division are one
    flop each), with N = (d - 1)/(s - 1) internal nodes and d = s^L leaves:

    * internal node: upward rule products and sum v m s; normalisation 2v + 1
      (sum, reciprocal, scale) and 2 to add its log normaliser; downward
      scatter 2 s v m for s = 2 (product and add into each child) and
      (4 s - 1) v m otherwise (suffix, prefix and their product, add); the s
      child normalisations s (2v + 1); the marginal 4v + 1;
    * leaf: normalisation 2v + 1, 1 add of its log, marginal 4v + 1;
    * one log per node (N + d).

    At (16, 4, 2, 5): 550 flops x 31 nodes + 99 x 32 leaves = 20,218 flops and 63 logs.
    """
    d = s ** L
    n_int = (d - 1) // (s - 1)
    scatter = 2 * s * v * m if s == 2 else (4 * s - 1) * v * m
    per_node = v * m * s + (2 * v + 1) + 2 + scatter + s * (2 * v + 1) + (4 * v + 1)
    per_leaf = (2 * v + 1) + 1 + (4 * v + 1)
    return n_int * per_node + d * per_leaf, n_int + d


def rule_array(grammar: Grammar) -> np.ndarray:
    """The rules of a grammar as one contiguous int64 array (L, v, m, s), from ``grammar.rules``."""
    return np.ascontiguousarray(np.stack(grammar.rules), dtype=np.int64)


def bp_arrays(rules: np.ndarray, lik: np.ndarray, chunk: int,
              out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the kernel on checked inputs: ``rules`` (L, v, m, s) int64, ``lik`` (B, d, v) float64.

    Returns ``(leaves (B, d, v), levels (B, (d - 1)/(s - 1), v), log_likelihood (B,))``,
    the internal nodes of ``levels`` in heap order (level l is the slice
    $[(s^l - 1)/(s - 1), (s^{l+1} - 1)/(s - 1))$). ``out``, if given, is a
    checked triple of such arrays, written into and returned: reusing the outputs
    saves the page faults of fresh ones (about a third of the time at batch 1024).
    """
    v, s = rules.shape[1], rules.shape[3]
    B, d, _ = lik.shape
    n_internal = (d - 1) // (s - 1)
    if out is None:
        out = (np.empty((B, d, v)), np.empty((B, n_internal, v)), np.empty(B))
    leaves, levels, loglik = out
    chunk = min(chunk, B)
    _bp_kernel(rules, np.ascontiguousarray(lik), chunk, min(numba.get_num_threads(), -(-B // chunk)),
               leaves, levels, loglik)
    return leaves, levels, loglik


@numba.njit(cache=True)
def _sum_nodes(buf, node, v, nt, z):
    """z[t] = sum_a buf[node, a, t] for t < nt."""
    for t in range(nt):
        z[t] = 0.0
    for a in range(v):
        for t in range(nt):
            z[t] += buf[node, a, t]


@numba.njit(cache=True)
def _scale_node(buf, node, v, nt, z, inv):
    """Divide buf[node, :, t] by z[t] where z[t] > 0 (a zero row stays zero: divided by 1)."""
    for t in range(nt):
        inv[t] = 1.0 / z[t] if z[t] > 0.0 else 1.0
    for a in range(v):
        for t in range(nt):
            buf[node, a, t] *= inv[t]


@numba.njit(cache=True)
def _marginal_out(down, up, node, v, nt, z, inv, out, b0, row):
    """out[b0 + t, row, a] = down[node, a, t] up[node, a, t], normalised over a (zeros stay zero)."""
    for t in range(nt):
        z[t] = 0.0
    for a in range(v):
        for t in range(nt):
            z[t] += down[node, a, t] * up[node, a, t]
    for t in range(nt):
        inv[t] = 1.0 / z[t] if z[t] > 0.0 else 1.0
    for t in range(nt):
        for a in range(v):
            out[b0 + t, row, a] = down[node, a, t] * up[node, a, t] * inv[t]


@numba.njit(cache=True)
def _tile(rules, lik, b0, nt, up, down, z, inv, acc, pre, suf, leaves, levels, loglik):
    """Upward and downward pass of strings b0 .. b0 + nt - 1 (buffers up, down: (nodes, v, chunk))."""
    L, v, m, s = rules.shape
    d = lik.shape[1]
    n_internal = levels.shape[1]
    logv, logm = np.log(v), np.log(m)

    # leaves: nu_up = lik, normalised; the log normalisers start the log-likelihood
    for i in range(d):
        node = n_internal + i
        for t in range(nt):
            for a in range(v):
                up[node, a, t] = lik[b0 + t, i, a]
    for t in range(nt):
        loglik[b0 + t] = -logv                              # the uniform root prior 1/v
    for i in range(d):
        node = n_internal + i
        _sum_nodes(up, node, v, nt, z)
        for t in range(nt):
            loglik[b0 + t] += np.log(z[t])
        _scale_node(up, node, v, nt, z, inv)

    # upward: nu_up(n)(a) = (1/m) sum_k prod_j nu_up(n_j)(r_akj), normalised
    start = n_internal
    n_l = d
    for l in range(L - 1, -1, -1):
        n_l //= s
        start -= n_l
        for n in range(n_l):
            node = start + n
            c0 = start + n_l + s * n                        # first child
            for a in range(v):
                for t in range(nt):
                    acc[t] = 0.0
                for k in range(m):
                    if s == 2:
                        r0, r1 = rules[l, a, k, 0], rules[l, a, k, 1]
                        for t in range(nt):
                            acc[t] += up[c0, r0, t] * up[c0 + 1, r1, t]
                    else:
                        r0 = rules[l, a, k, 0]
                        for t in range(nt):
                            pre[t] = up[c0, r0, t]
                        for j in range(1, s):
                            rj = rules[l, a, k, j]
                            for t in range(nt):
                                pre[t] *= up[c0 + j, rj, t]
                        for t in range(nt):
                            acc[t] += pre[t]
                for t in range(nt):
                    up[node, a, t] = acc[t]
            _sum_nodes(up, node, v, nt, z)
            for t in range(nt):
                loglik[b0 + t] += np.log(z[t]) - logm
            _scale_node(up, node, v, nt, z, inv)

    # root prior: uniform, or zero for a string of zero likelihood (all marginals 0)
    for t in range(nt):
        if np.isfinite(loglik[b0 + t]):
            for a in range(v):
                down[0, a, t] = 1.0 / v
        else:
            loglik[b0 + t] = -np.inf
            for a in range(v):
                down[0, a, t] = 0.0

    # downward: nu_down(n_j)(c) = sum_{a,k: r_akj = c} nu_down(n)(a) prod_{j' != j} nu_up(n_j')(r_akj'),
    # normalised; the leave-one-out products are prefix x suffix products (no division)
    start = 0
    n_l = 1
    for l in range(L):
        for n in range(n_l):
            node = start + n
            _marginal_out(down, up, node, v, nt, z, inv, levels, b0, node)
            c0 = start + n_l + s * n
            for j in range(s):
                for c in range(v):
                    for t in range(nt):
                        down[c0 + j, c, t] = 0.0
            for a in range(v):
                for k in range(m):
                    if s == 2:
                        r0, r1 = rules[l, a, k, 0], rules[l, a, k, 1]
                        for t in range(nt):
                            x = down[node, a, t]
                            down[c0, r0, t] += x * up[c0 + 1, r1, t]
                            down[c0 + 1, r1, t] += x * up[c0, r0, t]
                    else:
                        # suf[j, t] = prod_{j' > j} nu_up(n_j')(r_akj')
                        for t in range(nt):
                            suf[s - 1, t] = 1.0
                        for j in range(s - 2, -1, -1):
                            rj = rules[l, a, k, j + 1]
                            for t in range(nt):
                                suf[j, t] = suf[j + 1, t] * up[c0 + j + 1, rj, t]
                        for t in range(nt):
                            pre[t] = down[node, a, t]
                        for j in range(s):
                            rj = rules[l, a, k, j]
                            for t in range(nt):
                                down[c0 + j, rj, t] += pre[t] * suf[j, t]
                            for t in range(nt):
                                pre[t] *= up[c0 + j, rj, t]
            for j in range(s):
                _sum_nodes(down, c0 + j, v, nt, z)
                _scale_node(down, c0 + j, v, nt, z, inv)
        start += n_l
        n_l *= s

    # leaves: p(x_0,i = a | x_t) = nu_down nu_up, normalised
    for i in range(d):
        _marginal_out(down, up, n_internal + i, v, nt, z, inv, leaves, b0, i)


@numba.njit(cache=True, parallel=True)
def _bp_kernel(rules, lik, chunk, n_workers, leaves, levels, loglik):
    """Tiles of ``chunk`` strings, spread over the numba threads (one set of buffers per worker)."""
    v, s = rules.shape[1], rules.shape[3]
    B, d, _ = lik.shape
    n_nodes = levels.shape[1] + d
    n_tiles = (B + chunk - 1) // chunk
    for w in numba.prange(n_workers):
        up = np.empty((n_nodes, v, chunk))
        down = np.empty((n_nodes, v, chunk))
        z = np.empty(chunk)
        inv = np.empty(chunk)
        acc = np.empty(chunk)
        pre = np.empty(chunk)
        suf = np.empty((s, chunk))
        for it in range(w, n_tiles, n_workers):
            b0 = it * chunk
            nt = min(chunk, B - b0)
            _tile(rules, lik, b0, nt, up, down, z, inv, acc, pre, suf, leaves, levels, loglik)
