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
