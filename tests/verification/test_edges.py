"""Argument checks at the edges of memlab.verification: bad calls raise, naming the argument."""

import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest

from memlab.theory import rhm
from memlab.theory.gmm import sample_gmm
from memlab.verification import gmm as vg
from memlab.verification import kernel_scaling as vk
from memlab.verification import linear_diffusion as vl
from memlab.verification import metrics as vm
from memlab.verification import mixing as vx
from memlab.verification import report
from memlab.verification import rhm as vr

DATA = sample_gmm(20, 5, 3, seed=0)
Y = np.zeros(5)
G = rhm.sample_grammar(3, 2, 2, 2, seed=7)


def test_huge_index_raises_instead_of_crashing():
    """The issue's example, in a subprocess: a segfault fails the test instead of killing pytest."""
    code = textwrap.dedent("""
        import numpy as np
        from memlab.theory.gmm import sample_gmm
        from memlab.verification.gmm import noisy_point_losses
        data = sample_gmm(20, 5, 3, seed=0)
        try:
            noisy_point_losses(data, 0.5, np.zeros(5), 10**6)
        except ValueError as e:
            assert str(e).startswith("i "), e
            print("raised")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "raised"


def test_index_N_is_out_of_range_and_N_minus_1_is_not():
    with pytest.raises(ValueError, match=r"^i must be in \[0, 20\), got 20"):
        vg.noisy_point_losses(DATA, 0.5, Y, 20)
    lg, pm = vg.noisy_point_losses(DATA, 0.5, Y, 19)
    assert np.isfinite(lg) and pm.shape == (20,)


BAD = [
    # (name, call, exception, argument named first)
    ("i negative", lambda: vg.noisy_point_losses(DATA, 0.5, Y, -1), ValueError, "i"),
    ("i float", lambda: vg.noisy_point_losses(DATA, 0.5, Y, 1.5), TypeError, "i"),
    ("data wrong class", lambda: vg.noisy_point_losses("x", 0.5, Y, 0), TypeError, "data"),
    ("t out of (0,1)", lambda: vg.noisy_point_losses(DATA, 1.0, Y, 0), ValueError, "t"),
    ("y wrong shape", lambda: vg.noisy_point_losses(DATA, 0.5, np.zeros(4), 0), ValueError, "y"),
    ("y not finite", lambda: vg.noisy_point_losses(DATA, 0.5, np.full(5, np.nan), 0),
     ValueError, "y"),
    ("Zn wrong shape", lambda: vg.baseline_point_losses(DATA, 0.5, np.zeros((2, 19, 5))),
     ValueError, "Zn"),
    ("M_values 0", lambda: vg.baseline_point_losses(DATA, 0.5, np.zeros((1, 20, 5)), [0]),
     ValueError, "M_values"),
    ("M_values > N", lambda: vg.baseline_point_losses(DATA, 0.5, np.zeros((1, 20, 5)), [21]),
     ValueError, "M_values"),
    ("n_noise too large", lambda: vg.simulate_loss_curves(40, 10, 4, n_noise=10**9),
     ValueError, "n_noise"),
    ("n_datasets too large", lambda: vg.simulate_loss_curves(40, 10, 4, n_datasets=10**7),
     ValueError, "n_datasets"),
    ("progress not bool", lambda: vg.simulate_loss_curves(40, 10, 4, progress="yes"),
     TypeError, "progress"),
    ("confidence 1", lambda: vg.simulated_crossover_point(40, 10, 4, confidence=1.0),
     ValueError, "confidence"),
    ("n_boot too large", lambda: vg.simulated_crossover_point(40, 10, 4, n_boot=10**7),
     ValueError, "n_boot"),
    ("curves wrong class", lambda: vg.simulated_crossover_point(40, 10, 4, curves=3),
     TypeError, "curves"),
    ("closed_form curves", lambda: vg.closed_form_agreement({"N": 3}), TypeError, "curves"),
    ("plot curves", lambda: vg.plot_excess_per_t(None), TypeError, "curves"),
    ("plot weighted curves", lambda: vg.plot_weighted_loss_vs_M([1]), TypeError, "curves"),
    ("chunk 0", lambda: vk.monte_carlo_constants(8, 1, n_samples=100, chunk=0), ValueError, "chunk"),
    ("chunk too large", lambda: vk.monte_carlo_constants(8, 1, n_samples=100, chunk=10**9),
     ValueError, "chunk"),
    ("n_samples too large", lambda: vk.monte_carlo_constants(8, 1, n_samples=10**11),
     ValueError, "n_samples"),
    ("cutoff unknown", lambda: vk.monte_carlo_constants(8, 1, cutoff="box"), ValueError, "cutoff"),
    ("cutoff not str", lambda: vk.monte_carlo_constants(8, 1, cutoff=1), TypeError, "cutoff"),
    ("kernel unknown", lambda: vk.rayleigh_quotient("rbf", 8, 0.1, 4), ValueError, "kernel"),
    ("n_centre too large", lambda: vk.rayleigh_quotient("laplace", 8, 0.1, 4, n_centre=10**6),
     ValueError, "n_centre"),
    ("n_other too many samples", lambda: vk.rayleigh_quotient("laplace", 5000, 0.1, 4, n_other=64),
     ValueError, "n_other"),
    ("data not finite", lambda: vk.rayleigh_quotient("laplace", 2, 0.1, 2,
                                                     data=[[0, np.inf], [0, 0]]),
     ValueError, "data"),
    ("cutoff_scale 0", lambda: vk.rayleigh_quotient("laplace", 8, 0.1, 4, cutoff_scale=0.0),
     ValueError, "cutoff_scale"),
    ("gradient flow m", lambda: vk.kernel_gradient_flow("laplace", 1000, 0.1, 4, m=100),
     ValueError, "m"),
    ("gradient flow threshold", lambda: vk.kernel_gradient_flow("laplace", 4, 0.1, 4, threshold=-1),
     ValueError, "threshold"),
    ("fit sigmas", lambda: vk.fit_eigenvalue_scaling("laplace", 4, sigmas=[-1, 1], P_fixed=4,
                                                     P_values=[2, 4], sigma_fixed=0.1),
     ValueError, "sigmas"),
    ("plot fit", lambda: vk.plot_eigenvalue_scaling(None, "laplace", 4), TypeError, "fit"),
    ("n_paths too large", lambda: vx.collapse_times(20, 55, n_paths=10**8), ValueError, "n_paths"),
    ("n_steps too large", lambda: vx.collapse_times(20, 55, n_steps=10**8), ValueError, "n_steps"),
    ("n too large", lambda: vx.collapse_times(20, 10**8), ValueError, "n"),
    ("scan progress", lambda: vx.collapse_time_scan(0.1, [4], progress=1), TypeError, "progress"),
    ("scan dims", lambda: vx.collapse_time_scan(0.1, [0]), ValueError, "dims"),
    ("scan dims huge n", lambda: vx.collapse_time_scan(1.0, [100]), ValueError, "dims"),
    ("n_grid 1", lambda: vl.grid_distances(np.ones((5, 1)), np.ones((5, 1)), np.ones((5, 1)),
                                           n_grid=1), ValueError, "n_grid"),
    ("X rows", lambda: vl.grid_distances(np.ones((5, 1)), np.ones((4, 1)), np.ones((5, 1))),
     ValueError, "X"),
    ("half_width", lambda: vl.grid_distances(np.ones((5, 1)), np.ones((5, 1)), np.ones((5, 1)),
                                             half_width=0), ValueError, "half_width"),
    ("hellinger S1 shape", lambda: vl.monte_carlo_hellinger(np.zeros(2), np.eye(3), np.zeros(2),
                                                            np.eye(2)), ValueError, "S1"),
    ("hellinger n_samples", lambda: vl.monte_carlo_hellinger(np.zeros(2), np.eye(2), np.zeros(2),
                                                             np.eye(2), n_samples=10**9),
     ValueError, "n_samples"),
    ("phase n_grid", lambda: vm.plot_phase_diagram([10, 100], n_grid=10**6), ValueError, "n_grid"),
    ("phase P_star", lambda: vm.plot_phase_diagram([-1, 100]), ValueError, "P_star"),
    ("phase P_range", lambda: vm.plot_phase_diagram([10, 100], P_range=(10, 1)),
     ValueError, "P_range"),
    ("rhm grammar", lambda: vr.denoiser_accuracy_by_level("g", [0.1]), TypeError, "grammar"),
    ("rhm process", lambda: vr.denoiser_accuracy_by_level(G, [0.1], process="gauss"),
     ValueError, "process"),
    ("rhm noise", lambda: vr.denoiser_accuracy_by_level(G, [1.5]), ValueError, "noise"),
    ("rhm n_strings", lambda: vr.denoiser_accuracy_by_level(G, [0.1], n_strings=10**9),
     ValueError, "n_strings"),
    ("rhm method", lambda: vr.generation_errors(G, [2], method="greedy"), ValueError, "method"),
    ("rhm likelihood shape", lambda: vr.brute_force_posterior(G, np.ones((2, 3, 3))),
     ValueError, "likelihood"),
    ("rhm dense likelihood", lambda: vr.dense_belief_propagation(G, -np.ones((1, 4, 3))),
     ValueError, "likelihood"),
    ("rhm chunk", lambda: vr.bp_throughput(G, chunk=0), ValueError, "chunk"),
    ("rhm plot result", lambda: vr.plot_generation_errors(3), TypeError, "result"),
    # sizes that set an allocation, checked before it is made
    ("gmm N * d too large", lambda: vg.simulate_loss_curves(40, 10**8, 4), ValueError, "N"),
    ("rayleigh d huge", lambda: vk.rayleigh_quotient("laplace", 8, 0.1, 10**12, n_centre=50,
                                                     n_other=8), ValueError, "d"),
    ("gradient flow d huge", lambda: vk.kernel_gradient_flow("laplace", 4, 0.1, 10**12, m=4),
     ValueError, "P, m and d"),
    ("fit d huge", lambda: vk.fit_eigenvalue_scaling("laplace", 10**12, sigmas=[0.05, 0.1, 0.2],
                                                     P_fixed=8, P_values=[8, 16, 32],
                                                     sigma_fixed=0.1, n_centre=50),
     ValueError, "d"),
    ("fit P_fixed huge", lambda: vk.fit_eigenvalue_scaling("laplace", 2, sigmas=[0.05, 0.1, 0.2],
                                                           P_fixed=10**12, P_values=[8, 16, 32],
                                                           sigma_fixed=0.1, n_centre=50),
     ValueError, "P_fixed"),
    ("fit P_values huge", lambda: vk.fit_eigenvalue_scaling("laplace", 2, sigmas=[0.05, 0.1, 0.2],
                                                            P_fixed=8, P_values=[8, 16, 10**6],
                                                            sigma_fixed=0.1, n_centre=50),
     ValueError, "P_values"),
    ("fit two sigmas", lambda: vk.fit_eigenvalue_scaling("laplace", 2, sigmas=[0.05, 0.1],
                                                         P_fixed=8, P_values=[8, 16, 32],
                                                         sigma_fixed=0.1, n_centre=50),
     ValueError, "sigmas"),
    ("fit equal P_values", lambda: vk.fit_eigenvalue_scaling("laplace", 2, sigmas=[0.05, 0.1, 0.2],
                                                             P_fixed=8, P_values=[8, 8, 8],
                                                             sigma_fixed=0.1, n_centre=50),
     ValueError, "P_values"),
    ("fit sigma_fixed huge", lambda: vk.fit_eigenvalue_scaling("laplace", 2, sigmas=[0.05, 0.1, 0.2],
                                                               P_fixed=8, P_values=[8, 16, 32],
                                                               sigma_fixed=1e6, n_centre=50,
                                                               seed=0),
     ValueError, "sigma_fixed"),
    ("mc nu overflows", lambda: vk.monte_carlo_constants(2, 1e4, n_samples=100, seed=0),
     ValueError, "nu"),
    ("rhm train not integer", lambda: vr.generation_errors(G, [2], n_samples=4,
                                                           train=np.full((2, 4), 0.5)),
     ValueError, "train"),
    ("rhm train length", lambda: vr.generation_errors(G, [2], n_samples=4,
                                                      train=np.zeros((2, 3), dtype=int)),
     ValueError, "train"),
    ("report dir not a path", lambda: report.ensure_writable_dir(3), TypeError, "out"),
    ("report out None", lambda: report.run_report(None, checks=["metrics"], progress=False),
     TypeError, "out"),
    ("report mode", lambda: report.run_report(tempfile.mkdtemp(), mode="fast", progress=False),
     ValueError, "mode"),
    ("report checks str", lambda: report.run_report(tempfile.mkdtemp(), checks="metrics",
                                                    progress=False), TypeError, "checks"),
    ("report checks int", lambda: report.run_report(tempfile.mkdtemp(), checks=3, progress=False),
     TypeError, "checks"),
    ("report checks items", lambda: report.run_report(tempfile.mkdtemp(), checks=[1.0],
                                                      progress=False), TypeError, "checks"),
    ("report checks unknown", lambda: report.run_report(tempfile.mkdtemp(), checks=["nope"],
                                                        progress=False), ValueError, "checks"),
    ("report progress", lambda: report.run_report(tempfile.mkdtemp(), checks=["metrics"],
                                                  progress="yes"), TypeError, "progress"),
]


@pytest.mark.parametrize("call, exc, name", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_call_names_its_argument(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    # "name must be ..." or, from check_allocation, "name: this call needs an array ..."
    assert str(info.value).startswith((name + " ", name + ":")), str(info.value)


def test_generation_errors_copies_nan_without_train_and_1d_train():
    """copies is NaN without a train set (documented); one training string may be 1-d."""
    no_train = vr.generation_errors(G, [2], n_samples=8, seed=0)
    assert np.all(np.isnan(no_train.copies))
    x, _ = vr.enumerate_strings(G)
    one = vr.generation_errors(G, [2], n_samples=8, train=x[0], seed=0)
    assert one.copies.shape == (1,) and 0.0 <= one.copies[0] <= 1.0


def test_kernel_gradient_flow_not_reached_is_nan():
    """Far outside the local regime the train loss never halves: tau_mem is NaN (documented)."""
    r = vk.kernel_gradient_flow("laplace", 4, 1e6, 2, m=4, seed=0)
    assert np.isnan(r.tau_mem) and np.all(np.isfinite(r.train_loss))
    assert "NaN" in vk.kernel_gradient_flow.__doc__
