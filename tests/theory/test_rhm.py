"""theory/rhm/ (memlab.theory.rhm): grammar, generation, parsing, exact belief propagation and samplers.

Belief propagation is checked against brute-force enumeration
(verification/rhm.py) and against the dense-tensor implementation.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from memlab.theory import rhm
from memlab.verification import rhm as vr

SMALL = [(3, 2, 2, 3), (4, 2, 2, 3), (3, 2, 3, 2), (4, 2, 3, 2), (4, 3, 2, 2), (2, 2, 2, 3)]


def _bp_vs_brute(g, lik):
    res = rhm.belief_propagation(g, lik)
    leaves, levels, loglik = vr.brute_force_posterior(g, lik)
    err = np.abs(res.leaves - leaves).max()
    err = max(err, *(np.abs(res.levels[l] - levels[l]).max() for l in range(g.L)))
    finite = np.isfinite(loglik)
    assert np.array_equal(finite, np.isfinite(res.log_likelihood))
    return err, np.abs(res.log_likelihood[finite] - loglik[finite]).max(initial=0.0)


def test_bp_equals_brute_force_on_24_random_grammars_and_noise_levels():
    rng = np.random.default_rng(2026)
    worst = 0.0
    for case in range(24):
        v, m, s, L = SMALL[case % len(SMALL)]
        g = rhm.sample_grammar(v, m, s, L, seed=100 + case)
        process = "uniform" if case % 2 == 0 else "masked"
        abar = rng.uniform(0.05, 0.95)
        x0 = rhm.generate(g, 6, seed=rng)
        xt = rhm.add_noise(x0, abar, v, process=process, seed=rng)
        err_marg, err_ll = _bp_vs_brute(g, rhm.leaf_likelihood(xt, abar, v, process=process))
        worst = max(worst, err_marg, err_ll)
    assert worst < 1e-12


def test_bp_equals_brute_force_with_arbitrary_leaf_evidence():
    rng = np.random.default_rng(5)
    g = rhm.sample_grammar(3, 3, 2, 3, seed=9)
    lik = rng.random((4, g.d, g.v)) ** 3           # not a noise model: any non-negative evidence
    err_marg, err_ll = _bp_vs_brute(g, lik)
    assert err_marg < 1e-12 and err_ll < 1e-12


def test_inconsistent_evidence_is_probability_zero_not_nan():
    g = rhm.sample_grammar(4, 2, 2, 2, seed=3)
    all_x, _ = vr.enumerate_strings(g)
    valid = {tuple(r) for r in all_x}
    bad = next(x for x in np.ndindex(*(4,) * 4) if x not in valid)   # an invalid string
    x = np.array([bad, all_x[0]])
    for lik in (rhm.leaf_likelihood(x, 1.0, 4),                       # noiseless uniform
                rhm.leaf_likelihood(x, 0.7, 4, process="masked")):    # no token masked
        res = rhm.belief_propagation(g, lik)
        assert res.log_likelihood[0] == -np.inf and np.isfinite(res.log_likelihood[1])
        assert not np.isnan(res.leaves).any()
        assert np.all(res.leaves[0] == 0) and np.allclose(res.leaves[1].sum(-1), 1)
        assert all(np.all(lv[0] == 0) for lv in res.levels)
    with pytest.raises(ValueError, match="probability zero"):
        rhm.sample_posterior(g, x, 1.0)


def test_bp_matches_dense_implementation_on_a_seed_sized_grammar():
    g = rhm.sample_grammar(16, 4, 2, 3, seed=0)
    x = rhm.add_noise(rhm.generate(g, 40, seed=1), 0.3, 16, seed=2)
    lik = rhm.leaf_likelihood(x, 0.3, 16)
    res = rhm.belief_propagation(g, lik, chunk=7)          # chunking must not matter
    leaves, levels, loglik = vr.dense_belief_propagation(g, lik)
    assert np.abs(res.leaves - leaves).max() < 1e-12
    assert max(np.abs(res.levels[l] - levels[l]).max() for l in range(3)) < 1e-12
    assert np.abs(res.log_likelihood - loglik).max() < 1e-10


def test_exact_denoiser_limits():
    g = rhm.sample_grammar(8, 3, 2, 3, seed=4)
    x0 = rhm.generate(g, 20, seed=0)
    clean = rhm.exact_denoiser(g, x0, 1.0)
    assert np.array_equal(clean.argmax(-1), x0) and np.allclose(clean.max(-1), 1.0)
    masked = np.full_like(x0, g.v)                         # everything masked = the prior
    prior = rhm.exact_denoiser(g, masked, 0.2, process="masked")
    uniform = rhm.exact_denoiser(g, x0, 0.0)               # abar = 0: tokens carry nothing
    allx, _ = vr.enumerate_strings(g)
    freq = np.eye(g.v)[allx].mean(0)
    assert np.abs(prior - freq).max() < 1e-12 and np.abs(uniform - freq).max() < 1e-12
    single = rhm.exact_denoiser(g, x0[0], 0.5)
    assert single.shape == (g.d, g.v)
    assert np.allclose(single, rhm.exact_denoiser(g, x0[:1], 0.5)[0])


def test_log_likelihood_of_clean_strings_is_minus_log_num_strings():
    g = rhm.sample_grammar(16, 4, 2, 5, seed=1)
    x = rhm.generate(g, 8, seed=0)
    res = rhm.belief_propagation(g, rhm.leaf_likelihood(x, 1.0, 16))
    assert np.allclose(res.log_likelihood, -np.log(float(rhm.num_strings(16, 4, 2, 5))),
                       rtol=0, atol=1e-9)


def test_posterior_samples_follow_the_exact_joint_posterior():
    g = rhm.sample_grammar(3, 2, 2, 2, seed=7)          # 24 strings
    allx, _ = vr.enumerate_strings(g)
    xt = rhm.add_noise(allx[5], 0.3, 3, seed=1)
    lik = rhm.leaf_likelihood(xt, 0.3, 3)
    w = np.prod(lik[np.arange(g.d), allx], axis=1)
    p = w / w.sum()
    n = 20000
    draws = rhm.sample_posterior(g, np.repeat(xt[None], n, 0), 0.3, seed=3)
    index = {tuple(r): i for i, r in enumerate(allx)}
    counts = np.bincount([index[tuple(r)] for r in draws], minlength=len(allx))
    assert counts.sum() == n                             # every draw is a valid string
    keep = p * n >= 5
    chi2 = np.sum((counts[keep] - n * p[keep]) ** 2 / (n * p[keep]))
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_reverse_sampling_joint_is_always_valid_and_marginal_converges():
    g = rhm.sample_grammar(8, 2, 2, 3, seed=0)
    joint = rhm.reverse_sample(g, 300, 5, method="joint", seed=0)
    assert rhm.layer_validity(g, joint).all()
    few = rhm.layer_validity(g, rhm.reverse_sample(g, 1000, 5, seed=1))[:, -1].mean()
    many = rhm.layer_validity(g, rhm.reverse_sample(g, 1000, 100, seed=1))[:, -1].mean()
    assert many > 0.97 and many > few + 0.2
    masked = rhm.reverse_sample(g, 500, 200, process="masked", seed=2)
    assert rhm.layer_validity(g, masked)[:, -1].mean() > 0.9


def test_reverse_samples_are_not_copies_of_a_training_set():
    g = rhm.sample_grammar(8, 2, 2, 3, seed=0)
    total = rhm.num_strings(8, 2, 2, 3)                  # 1024
    train = rhm.generate(g, 64, distinct=True, seed=5)
    x = rhm.reverse_sample(g, 2000, 10, method="joint", seed=6)
    # fresh strings hit the training set with probability P / num_strings = 1/16
    frac = rhm.copy_fraction(x, train)
    assert abs(frac - 64 / total) < 4 * np.sqrt(64 / total * (1 - 64 / total) / 2000)


@given(st.sampled_from([(4, 2, 2, 2), (8, 3, 2, 3), (5, 5, 3, 2), (16, 4, 2, 4)]),
       st.integers(1, 60), st.integers(0, 10_000))
def test_generated_strings_are_valid_and_distinct_when_asked(params, P, seed):
    g = rhm.sample_grammar(*params, seed=seed)
    x, latents = rhm.generate(g, P, seed=seed, return_latents=True)
    assert x.shape == (P, g.d) and rhm.layer_validity(g, x).all()
    parsed = rhm.parse(g, x)
    assert all(np.array_equal(parsed.symbols[l], latents[l]) for l in range(g.L))
    P = min(P, rhm.num_strings(*params))
    xd = rhm.generate(g, P, distinct=True, seed=seed)
    assert len({tuple(r) for r in xd}) == P and rhm.layer_validity(g, xd).all()


def test_distinct_generation_of_every_string_and_beyond_int64():
    g = rhm.sample_grammar(4, 2, 2, 2, seed=2)
    allx, _ = vr.enumerate_strings(g)
    xd = rhm.generate(g, len(allx), distinct=True, seed=0)
    assert {tuple(r) for r in xd} == {tuple(r) for r in allx}
    big = rhm.sample_grammar(16, 4, 2, 6, seed=0)        # 16 * 4^63 strings
    assert rhm.num_strings(16, 4, 2, 6) > 2 ** 63
    xb = rhm.generate(big, 500, distinct=True, seed=1)
    assert len({tuple(r) for r in xb}) == 500 and rhm.layer_validity(big, xb).all()


@given(st.sampled_from(SMALL + [(2, 1, 2, 2), (3, 1, 3, 2)]))
def test_num_strings_matches_enumeration(params):
    g = rhm.sample_grammar(*params, seed=0)
    allx, _ = vr.enumerate_strings(g)
    assert rhm.num_strings(*params) == len(allx) == len({tuple(r) for r in allx})


@given(st.integers(0, 1000), st.floats(0.0, 1.0), st.sampled_from(["uniform", "masked"]))
def test_marginals_sum_to_one(seed, abar, process):
    g = rhm.sample_grammar(6, 3, 2, 3, seed=seed)
    xt = rhm.add_noise(rhm.generate(g, 5, seed=seed), abar, 6, process=process, seed=seed)
    res = rhm.belief_propagation(g, rhm.leaf_likelihood(xt, abar, 6, process=process))
    assert np.all(np.isfinite(res.log_likelihood))        # noise of a valid string is consistent
    assert np.allclose(res.leaves.sum(-1), 1, atol=1e-12)
    assert all(np.allclose(lv.sum(-1), 1, atol=1e-12) for lv in res.levels)
    assert np.all(res.leaves >= 0)


def test_layer_validity_is_cumulative_and_locates_the_broken_layer():
    g = rhm.sample_grammar(8, 2, 2, 3, seed=1)
    x = rhm.generate(g, 1, seed=0)[0]
    allowed_bottom = {tuple(r) for r in g.rules[2].reshape(-1, 2)}
    # change the first token pair to another bottom rule's RHS: layer 1 stays valid
    y = x.copy()
    for rhs in allowed_bottom:
        y[:2] = rhs
        val = rhm.layer_validity(g, y[None])[0]
        if not val[-1]:
            break
    assert val[0] and not val[-1]
    z = x.copy()
    z[0] = next(c for c in range(8) if (c, z[1]) not in allowed_bottom)
    assert not rhm.layer_validity(g, z[None])[0].any()
    errs = rhm.layer_error_fractions(g, np.array([x, y, z]))
    assert np.all(np.diff(errs) >= 0) and errs[0] == pytest.approx(1 / 3)


def test_rule_usage_matches_exact_expectation():
    g = rhm.sample_grammar(8, 3, 2, 3, seed=2)
    n = 20000
    mean, cov, n_valid = rhm.rule_usage(g, rhm.generate(g, n, seed=1))
    exact = rhm.expected_rule_usage(g)
    assert n_valid == n and np.allclose(exact.sum(axis=(1, 2)), 1.0)
    se = np.sqrt(np.diag(cov) / n).reshape(exact.shape)
    z = (mean - exact) / np.where(se > 0, se, 1.0)
    assert np.abs(z).max() < 4.5                         # 72 comparisons
    assert cov.shape == (3 * 8 * 3,) * 2 and np.allclose(cov, cov.T)


def test_nearest_hamming_against_a_loop():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 5, (30, 12))
    x = np.vstack([train[:3], rng.integers(0, 5, (10, 12))])
    ref = np.array([min(np.mean(a != b) for b in train) for a in x])
    got = rhm.nearest_hamming(x, train, chunk=4)
    assert np.allclose(got, ref) and np.all(got[:3] == 0)
    assert rhm.copy_fraction(x, train) == pytest.approx(np.mean(ref == 0))


def test_denoiser_hellinger_bounds():
    p = np.full((3, 4, 5), 0.2)
    assert np.allclose(rhm.denoiser_hellinger(p, p), 0.0)
    a, b = np.eye(5)[[0, 1, 2, 3]], np.eye(5)[[1, 2, 3, 4]]
    assert rhm.denoiser_hellinger(a, b) == pytest.approx(1.0)
    q = np.random.default_rng(1).dirichlet(np.ones(5), size=(3, 4))
    h = rhm.denoiser_hellinger(p, q)
    assert h.shape == (3,) and np.all((h > 0) & (h < 1))


def test_add_noise_keep_rates():
    x = np.zeros((2000, 16), dtype=int)
    y = rhm.add_noise(x, 0.3, 8, seed=0)
    # kept with abar, plus resampled to the same token with (1 - abar)/v
    p = 0.3 + 0.7 / 8
    assert abs(np.mean(y == 0) - p) < 4 * np.sqrt(p * (1 - p) / x.size)
    ym = rhm.add_noise(x, 0.3, 8, process="masked", seed=0)
    assert set(np.unique(ym)) <= {0, 8} and abs(np.mean(ym == 0) - 0.3) < 0.01


def test_sample_complexity_and_counts():
    assert rhm.sample_complexity(16, 4, 3) == (256, 1024, 4096)     # Favero et al. 2025: P* ~ 4096
    assert rhm.sample_complexity(16, 3, 5)[-1] == 11664              # Favero et al. 2025: P* ~ 1e4
    assert rhm.num_strings(16, 4, 2, 5) == 16 * 4 ** 31


def test_grammar_is_unambiguous_and_reproducible():
    g1, g2 = rhm.sample_grammar(5, 4, 2, 3, seed=3), rhm.sample_grammar(5, 4, 2, 3, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(g1.rules, g2.rules))
    for r in g1.rules:
        assert len({tuple(t) for t in r.reshape(-1, 2)}) == 20
    with pytest.raises(ValueError, match="read-only"):
        g1.rules[0][0, 0, 0] = 1
    with pytest.raises(ValueError, match="unambiguous"):
        rhm.Grammar.from_rules([np.array([[[0, 1]], [[0, 1]]])])


@pytest.mark.parametrize("call, name", [
    (lambda: rhm.sample_grammar(4, 5, 2, 2), "m"),          # m > v^(s-1)
    (lambda: rhm.sample_grammar(1, 1, 2, 2), "v"),
    (lambda: rhm.sample_grammar(4, 2, 1, 2), "s"),
    (lambda: rhm.sample_grammar(4, 2, 2, 0), "L"),
    (lambda: rhm.sample_grammar(4, 0, 2, 2), "m"),
    (lambda: rhm.num_strings(4, 2.5, 2, 2), "m"),
    (lambda: rhm.generate(rhm.sample_grammar(2, 1, 2, 2), 3, distinct=True), "P"),
    (lambda: rhm.generate(rhm.sample_grammar(2, 1, 2, 2), 0), "P"),
    (lambda: rhm.exact_denoiser(rhm.sample_grammar(4, 2, 2, 2), [0, 1, 2, 4], 0.5), "x_t"),
    (lambda: rhm.exact_denoiser(rhm.sample_grammar(4, 2, 2, 2), [0, 1, 2], 0.5), "x_t"),
    (lambda: rhm.exact_denoiser(rhm.sample_grammar(4, 2, 2, 2), [0, 1, 2, 3], 1.5), "abar"),
    (lambda: rhm.exact_denoiser(rhm.sample_grammar(4, 2, 2, 2), [0, 1, 2, 3], float("nan")),
     "abar"),
    (lambda: rhm.exact_denoiser(rhm.sample_grammar(4, 2, 2, 2), [0, 1, 2, 3], 0.5,
                                process="gauss"), "process"),
    (lambda: rhm.belief_propagation(rhm.sample_grammar(4, 2, 2, 2), -np.ones((4, 4))),
     "likelihood"),
    (lambda: rhm.reverse_sample(rhm.sample_grammar(4, 2, 2, 2), 3, 0), "n_steps"),
    (lambda: rhm.reverse_sample(rhm.sample_grammar(4, 2, 2, 2), 3, 4, method="x"), "method"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


def _bp_and_parse(g, seed=0):
    x = rhm.add_noise(rhm.generate(g, 30, seed=seed), 0.6, g.v, seed=seed + 1)
    res = rhm.belief_propagation(g, rhm.leaf_likelihood(x, 0.6, g.v))
    return res, rhm.parse(g, x), rhm.sample_posterior(g, x, 0.6, seed=seed + 2)


@pytest.mark.parametrize("params", [(4, 2, 2, 3), (3, 2, 3, 2), (16, 4, 2, 3)])
def test_grammar_built_directly_equals_from_rules(params):
    sampled = rhm.sample_grammar(*params, seed=11)
    rules = [r.tolist() for r in sampled.rules]              # plain nested lists
    direct = rhm.Grammar(*params, rules)
    via = rhm.Grammar.from_rules(rules)
    stacked = rhm.Grammar(*params, np.stack(sampled.rules))  # one (L, v, m, s) array
    for g in (direct, via, stacked):
        assert (g.v, g.m, g.s, g.L, g.d, g.seed) == params + (params[2] ** params[3], None)
        assert all(np.array_equal(a, b) and not a.flags.writeable
                   for a, b in zip(g.rules, sampled.rules))
        res, parsed, post = _bp_and_parse(g)
        ref_res, ref_parsed, ref_post = _bp_and_parse(sampled)
        assert np.array_equal(res.leaves, ref_res.leaves)
        assert np.array_equal(res.log_likelihood, ref_res.log_likelihood)
        assert all(np.array_equal(a, b) for a, b in zip(res.levels, ref_res.levels))
        assert all(np.array_equal(a, b) for a, b in zip(parsed.symbols, ref_parsed.symbols))
        assert all(np.array_equal(a, b) for a, b in zip(parsed.rule_index, ref_parsed.rule_index))
        assert np.array_equal(post, ref_post)
    assert sampled.seed == 11 and rhm.Grammar(*params, rules, seed=3).seed == 3
    assert "_bp_tables" not in repr(direct) and "_parse_tables" not in repr(direct)
    # the rules are copied: changing the caller's arrays later does not change the grammar
    mine = [np.array(r) for r in sampled.rules]
    g = rhm.Grammar(*params, mine)
    mine[0][0, 0, 0] = (mine[0][0, 0, 0] + 1) % params[0]
    assert np.array_equal(g.rules[0], sampled.rules[0])


@pytest.mark.parametrize("args, error, match", [
    ((4, 2, 2, 2, [np.zeros((4, 2, 2), int)] * 1), ValueError, r"^rules must have L = 2 levels"),
    ((4, 2, 2, 1, [np.zeros((3, 2, 2), int)]), ValueError, r"^rules\[0\] must have shape"),
    ((4, 2, 2, 1, [np.zeros((4, 2, 2))]), ValueError, r"^rules\[0\] must be an integer array"),
    ((2, 1, 2, 1, [[[[0, 1]], [[0, 1]]]]), ValueError, r"^rules\[0\] must be unambiguous"),
    ((2, 1, 2, 1, [[[[0, 1]], [[1, 2]]]]), ValueError, r"^rules\[0\] must contain symbols"),
    ((2, 1, 2, 1, []), ValueError, r"^rules must contain at least one level"),
    ((2, 1, 2, 1, 5), TypeError, r"^rules must be a sequence"),
    ((2, 1, 2, 1, "rules"), TypeError, r"^rules must be a sequence"),
    ((1, 1, 2, 1, [[[[0, 0]]]]), ValueError, r"^v must be"),
    ((2, 3, 2, 1, [[[[0, 1]], [[1, 1]]]]), ValueError, r"^m must be <="),
    ((2, 1, 2, 1.5, [[[[0, 1]], [[1, 1]]]]), ValueError, r"^L must be"),
])
def test_invalid_direct_grammar_raises_naming_the_argument(args, error, match):
    with pytest.raises(error, match=match):
        rhm.Grammar(*args)


def test_invalid_grammar_seed_and_fields_cannot_be_set():
    with pytest.raises(ValueError, match="^seed"):
        rhm.Grammar(2, 1, 2, 1, [[[[0, 1]], [[1, 1]]]], seed=-1)
    with pytest.raises(TypeError):
        rhm.Grammar(2, 1, 2, 1, [[[[0, 1]], [[1, 1]]]], _bp_tables=())
    g = rhm.Grammar(2, 1, 2, 1, [[[[0, 1]], [[1, 1]]]])
    with pytest.raises(AttributeError):
        g.v = 3


def test_a_non_grammar_is_a_type_error():
    for call in (lambda: rhm.parse(5, [0, 1]), lambda: rhm.generate(5, 3),
                 lambda: rhm.parse("grammar", [0]),
                 lambda: rhm.belief_propagation(None, np.ones((2, 2)))):
        with pytest.raises(TypeError, match=r"^grammar must be a Grammar, got (int|NoneType|str)$"):
            call()


def test_public_api_is_the_old_one_without_private_parameters():
    import inspect

    old = {"BPResult", "Grammar", "PROCESSES", "ParseResult", "add_noise", "belief_propagation",
           "copy_fraction", "denoiser_hellinger", "exact_denoiser", "expected_rule_usage",
           "generate", "keep_schedule", "layer_error_fractions", "layer_validity",
           "leaf_likelihood", "nearest_hamming", "num_strings", "parse", "reverse_sample",
           "rule_usage", "sample_complexity", "sample_grammar", "sample_posterior"}
    assert set(rhm.__all__) == old and len(rhm.__all__) == len(old)
    for name in rhm.__all__:
        obj = getattr(rhm, name)
        if name == "nearest_hamming":
            assert obj.__module__ == "memlab.theory.metrics"
        elif callable(obj):
            assert obj.__module__.startswith("memlab.theory.rhm._"), name
            params = inspect.signature(obj).parameters
            assert not [p for p in params if p.startswith("_")], name
    assert [f.name for f in __import__("dataclasses").fields(rhm.BPResult)] == [
        "leaves", "levels", "log_likelihood"]
    single = rhm.belief_propagation(rhm.sample_grammar(4, 2, 2, 2, seed=0), np.ones((4, 4)))
    assert single.leaves.shape == (4, 4) and isinstance(single.log_likelihood, float)
