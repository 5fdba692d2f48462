"""verification/_bp_kernel.py through fast_belief_propagation: the numba BP against the numpy reference.

Tolerance 1e-12 (max abs difference of marginals; relative for the log-likelihood): both
sides compute the same normalised messages in float64 in a different order, so they
differ by rounding, about (operations along a root-to-leaf path) x 1.1e-16 ~ 1e-14; a
wrong index, factor or normalisation shows up at 1e-3 or more.
"""

import numba
import numpy as np
import pytest

from memlab.theory import rhm
from memlab.verification import _bp_kernel
from memlab.verification import rhm as vr

TOL = 1e-12


def _assert_matches_reference(g, lik, res=None):
    ref = rhm.belief_propagation(g, lik)
    res = vr.fast_belief_propagation(g, lik) if res is None else res
    assert res.leaves.shape == ref.leaves.shape
    assert np.abs(res.leaves - ref.leaves).max() <= TOL
    assert len(res.levels) == g.L
    for l in range(g.L):
        assert res.levels[l].shape == ref.levels[l].shape
        assert np.abs(res.levels[l] - ref.levels[l]).max() <= TOL
    ll, rl = np.atleast_1d(res.log_likelihood), np.atleast_1d(ref.log_likelihood)
    fin = np.isfinite(rl)
    assert np.array_equal(np.isfinite(ll), fin) and np.all(ll[~fin] == -np.inf)
    assert np.all(np.abs(ll[fin] - rl[fin]) <= TOL * np.maximum(1.0, np.abs(rl[fin])))
    return res


def _noisy(g, n, abar, process, seed):
    rng = np.random.default_rng(seed)
    x = rhm.add_noise(rhm.generate(g, n, seed=rng), abar, g.v, process=process, seed=rng)
    return rhm.leaf_likelihood(x, abar, g.v, process=process)


def test_target_setting_matches_reference_batch_not_a_multiple_of_the_tile():
    g = rhm.sample_grammar(16, 4, 2, 5, seed=0)
    lik = _noisy(g, 3 * _bp_kernel.DEFAULT_CHUNK + 5, 0.5, "uniform", 1)
    res = _assert_matches_reference(g, lik)
    assert np.all(np.isfinite(res.log_likelihood))
    assert np.abs(res.leaves.sum(-1) - 1).max() < 1e-12


@pytest.mark.parametrize("vmsl", [(3, 2, 3, 2), (4, 1, 2, 3), (8, 3, 3, 3), (5, 2, 2, 4),
                                  (3, 3, 4, 1), (6, 2, 2, 6)])
@pytest.mark.parametrize("process", ["uniform", "masked"])
def test_grammars_and_noise_match_reference(vmsl, process):
    g = rhm.sample_grammar(*vmsl, seed=sum(vmsl))
    abar = 0.35 if process == "masked" else 0.6
    _assert_matches_reference(g, _noisy(g, 37, abar, process, 2))


def test_zero_likelihood_strings_give_minus_inf_and_zero_marginals():
    g = rhm.sample_grammar(8, 2, 2, 3, seed=3)
    rng = np.random.default_rng(4)
    valid = rhm.generate(g, 20, seed=rng)
    noisy = rng.integers(0, 8, size=(20, g.d))              # almost all invalid strings
    x = np.concatenate([valid, noisy])
    lik = rhm.leaf_likelihood(x, 1.0, 8)                    # noiseless: invalid => p = 0
    res = _assert_matches_reference(g, lik)
    dead = ~np.isfinite(res.log_likelihood)
    assert 5 <= dead.sum() <= 20 and not dead[:20].any()
    assert np.all(res.leaves[dead] == 0) and all(np.all(lv[dead] == 0) for lv in res.levels)
    assert not np.isnan(res.leaves).any()
    # masked noise: a visible token pattern no grammar string has
    m = rhm.leaf_likelihood(np.full((2, g.d), 8), 0.0, 8, process="masked")  # all masked
    m[1, 0] = 0.0                                           # forbid every symbol at token 0
    res = _assert_matches_reference(g, m)
    assert np.isfinite(res.log_likelihood[0]) and res.log_likelihood[1] == -np.inf


def test_tiny_and_arbitrary_evidence_is_normalised_without_underflow():
    g = rhm.sample_grammar(6, 2, 2, 4, seed=5)
    lik = np.random.default_rng(6).random((11, g.d, 6)) * 1e-300
    res = _assert_matches_reference(g, lik)
    assert np.all(res.log_likelihood < -g.d * 690)          # about d log(1e-300)


def test_matches_brute_force_s3():
    g = rhm.sample_grammar(3, 2, 3, 2, seed=7)
    lik = _noisy(g, 9, 0.5, "uniform", 8)
    leaves, levels, loglik = vr.brute_force_posterior(g, lik)
    res = vr.fast_belief_propagation(g, lik)
    assert np.abs(res.leaves - leaves).max() <= TOL
    assert max(np.abs(res.levels[l] - levels[l]).max() for l in range(g.L)) <= TOL
    assert np.abs(res.log_likelihood - loglik).max() <= TOL * np.abs(loglik).max()


def test_single_string_mirrors_reference():
    g = rhm.sample_grammar(4, 2, 2, 3, seed=9)
    lik = _noisy(g, 1, 0.5, "uniform", 10)[0]
    res = vr.fast_belief_propagation(g, lik)
    assert isinstance(res, rhm.BPResult) and isinstance(res.log_likelihood, float)
    assert res.leaves.shape == (g.d, g.v) and [x.shape for x in res.levels] == [(1, 4), (2, 4), (4, 4)]
    _assert_matches_reference(g, lik, res)


def test_result_does_not_depend_on_tile_or_threads():
    g = rhm.sample_grammar(16, 4, 2, 3, seed=11)
    lik = _noisy(g, 45, 0.5, "uniform", 12)
    base = vr.fast_belief_propagation(g, lik)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = vr.fast_belief_propagation(g, lik, chunk=7)
    finally:
        numba.set_num_threads(threads)
    for chunk_result in (one, vr.fast_belief_propagation(g, lik, chunk=1),
                         vr.fast_belief_propagation(g, lik, chunk=1000)):
        assert np.array_equal(chunk_result.leaves, base.leaves)        # same operations per string
        assert all(np.array_equal(a, b) for a, b in zip(chunk_result.levels, base.levels))
        assert np.array_equal(chunk_result.log_likelihood, base.log_likelihood)


def test_flop_count_of_the_target_setting():
    assert _bp_kernel.flops_per_string(16, 4, 2, 5) == (20218, 63)


def test_bad_arguments_name_them():
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    with pytest.raises(TypeError, match="^grammar must be a Grammar"):
        vr.fast_belief_propagation("g", np.ones((4, 4)))
    with pytest.raises(ValueError, match=r"^likelihood must have shape \(batch, 4, 4\)"):
        vr.fast_belief_propagation(g, np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match="^likelihood"):
        vr.fast_belief_propagation(g, -np.ones((4, 4)))
    with pytest.raises(ValueError, match="^chunk"):
        vr.fast_belief_propagation(g, np.ones((4, 4)), chunk=0)
    with pytest.raises(ValueError, match="^method"):
        vr.bp_throughput(g, batch=8, repeat=1, method="torch")


def test_throughput_of_both_methods_is_positive():
    g = rhm.sample_grammar(4, 2, 2, 2, seed=0)
    assert vr.bp_throughput(g, batch=16, repeat=1, method="numpy") > 0
    assert vr.bp_throughput(g, batch=16, repeat=1, method="numba") > 0


fast_belief_propagation = vr.fast_belief_propagation


def test_out_reuses_the_arrays_of_an_earlier_result():
    """out=: the same arrays are overwritten and returned, with the values of a fresh call."""
    g = rhm.sample_grammar(6, 2, 2, 3, seed=1)
    rng = np.random.default_rng(5)
    liks = [rhm.leaf_likelihood(rhm.add_noise(rhm.generate(g, 37, seed=rng), 0.4, 6, seed=rng),
                                0.4, 6) for _ in range(2)]
    first = fast_belief_propagation(g, liks[0])
    leaves = first.leaves
    again = fast_belief_propagation(g, liks[1], out=first)
    fresh = fast_belief_propagation(g, liks[1])
    assert again is first and again.leaves is leaves
    assert np.array_equal(again.leaves, fresh.leaves)
    assert np.array_equal(again.log_likelihood, fresh.log_likelihood)
    assert all(np.array_equal(a, b) for a, b in zip(again.levels, fresh.levels))
    assert not np.array_equal(fresh.leaves, fast_belief_propagation(g, liks[0]).leaves)


def test_out_is_checked():
    g = rhm.sample_grammar(6, 2, 2, 3, seed=1)
    lik = rhm.leaf_likelihood(rhm.generate(g, 5, seed=0), 1.0, 6)
    res = fast_belief_propagation(g, lik)
    with pytest.raises(TypeError, match="out"):
        fast_belief_propagation(g, lik, out=(res.leaves, res.levels, res.log_likelihood))
    with pytest.raises(ValueError, match="out must be the result"):
        fast_belief_propagation(g, lik, out=rhm.belief_propagation(g, lik))   # separate arrays
    with pytest.raises(ValueError, match="out must be the result"):
        fast_belief_propagation(g, lik[:4], out=res)                          # another batch
    with pytest.raises(ValueError, match="single string"):
        fast_belief_propagation(g, lik[0], out=res)
    with pytest.raises(ValueError, match="share memory"):
        fast_belief_propagation(g, res.leaves, out=res)
