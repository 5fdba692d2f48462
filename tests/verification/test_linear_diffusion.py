"""Figures of seed 003 (verification/linear_diffusion.py)."""

from memlab.theory.linear_diffusion import expected_hellinger, p_delta_curve
from memlab.verification import linear_diffusion as vl
from memlab.verification.mixing import collapse_times


def test_plots(check_figure):
    hel = {8: ([4, 16], [expected_hellinger(n, 8, trials=20, seed=0) for n in (4, 16)])}
    check_figure(vl.plot_hellinger_vs_n(hel))
    check_figure(vl.plot_p_delta_vs_n([p_delta_curve([8, 40], 8, n_original=300, trials=20, seed=0)]))
    check_figure(vl.plot_bandwidths_vs_d(1.0, 1e4, dims=[1, 4, 16, 64]))
    check_figure(vl.plot_collapse_times({0.3: [collapse_times(8, 11, n_paths=4, n_datasets=2, seed=0)]}))


import numpy as np
import pytest


@pytest.mark.parametrize("dims, exc", [(3, ValueError), ([], ValueError), ([0, 2], ValueError),
                                       ([1.5], ValueError), (np.ones((2, 2)), ValueError),
                                       ("3", TypeError), ([10**7], ValueError)])
def test_bandwidths_dims_checked(dims, exc):
    with pytest.raises(exc, match="dims"):
        vl.plot_bandwidths_vs_d(dims=dims)


@pytest.mark.parametrize("bad, exc", [(None, TypeError), ([], TypeError), ({}, ValueError),
                                      ({0.3: [1]}, TypeError), ({0.3: []}, ValueError)])
def test_collapse_plot_scans_checked(bad, exc):
    with pytest.raises(exc, match="scans"):
        vl.plot_collapse_times(bad)


@pytest.mark.parametrize("bad, exc", [(3, TypeError), ({}, ValueError), ({0: ([4], [])}, ValueError),
                                      ({2: 5}, TypeError), ({2: ([4], [1])}, TypeError),
                                      ({"2": ([4], [])}, TypeError)])
def test_hellinger_plot_results_checked(bad, exc):
    with pytest.raises(exc, match="results"):
        vl.plot_hellinger_vs_n(bad)


def test_hellinger_plot_length_mismatch():
    est = expected_hellinger(4, 2, trials=4, seed=0)
    with pytest.raises(ValueError, match="results"):
        vl.plot_hellinger_vs_n({2: ([4, 8], [est])})


@pytest.mark.parametrize("bad, exc", [(None, TypeError), ([], ValueError), ("3", TypeError),
                                      ([1, 2], TypeError), (np.ones(3), TypeError)])
def test_p_delta_plot_curves_checked(bad, exc):
    with pytest.raises(exc, match="curves"):
        vl.plot_p_delta_vs_n(bad)
