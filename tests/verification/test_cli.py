"""The memlab command line."""

import subprocess
import sys

import pytest

from memlab.verification.cli import main


def test_crossover_closed_form(capsys):
    assert main(["crossover", "--N", "200", "--d", "50", "--K", "12"]) == 0
    out = capsys.readouterr().out
    assert "closed form, finite-d C   : M* =   153.8" in out
    assert "C = 2         : M* =   166.04" in out


def test_crossover_simulate_and_plot(capsys, tmp_path):
    argv = ["crossover", "--N", "60", "--d", "20", "--K", "3", "--n-noise", "2",
            "--n-datasets", "3", "--quiet", "--plot", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "simulated (3 datasets x 2 noise draws, seed 0): M* =" in out
    assert "95% CI [" in out
    assert (tmp_path / "gmm_crossover.png").stat().st_size > 1000
    assert (tmp_path / "gmm_excess_per_t.png").stat().st_size > 1000


@pytest.mark.parametrize("argv,msg", [
    (["--N", "0"], "N must be a positive integer, got 0"),
    (["--N", "10", "--K", "12"], "K must be <= N = 10, got 12"),
    (["--simulate", "--n-datasets", "1", "--quiet"], "n_datasets must be an integer >= 2, got 1"),
])
def test_crossover_bad_input(capsys, argv, msg):
    assert main(["crossover", *argv]) == 2
    assert msg in capsys.readouterr().err


def test_console_script_installed():
    out = subprocess.run([sys.executable, "-m", "memlab.verification.cli", "crossover", "--N", "24",
                          "--d", "10", "--K", "2"], capture_output=True, text=True, check=True).stdout
    assert "M* =" in out


def test_mixing_time_command(capsys):
    assert main(["mixing-time", "--sigma", "1", "--d", "16", "--n", "10000"]) == 0
    out = capsys.readouterr().out
    assert "collapse time t_M               : 0.190065" in out
    assert "exact MISE-optimal            : 0.67302" in out
    assert "L2-optimal here" in out
    assert main(["mixing-time", "--d", "100"]) == 0
    assert "high-dimensional regime" in capsys.readouterr().out


def test_linear_command(capsys, tmp_path):
    argv = ["linear", "--d", "16", "--n", "8,32,64", "--trials", "60", "--n-original", "2000",
            "--quiet", "--hellinger", "--plot", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "P(Delta>0)" in out and "E[H^2]" in out
    assert "transition (P = 1/2, interpolated in log n): n =" in out
    assert (tmp_path / "p_delta_d16.png").stat().st_size > 1000


@pytest.mark.parametrize("argv,msg", [
    (["mixing-time", "--sigma", "-1"], "sigma must be > 0.0"),
    (["mixing-time", "--n", "1"], "n must be > 1.0"),
    (["linear", "--d", "16", "--n", "1,8", "--quiet"], "n must be an integer >= 2, got 1"),
    (["linear", "--trials", "0", "--quiet"], "trials must be a positive integer, got 0"),
])
def test_seed003_bad_input(capsys, argv, msg):
    assert main(argv) == 2
    assert msg in capsys.readouterr().err


def test_kernel_command(capsys):
    assert main(["kernel", "--kernel", "laplace", "--d", "16", "--P", "16", "--sigma2", "0.0001",
                 "--rayleigh", "--n-centre", "800"]) == 0
    out = capsys.readouterr().out
    assert "C = 1, nu = 1 (derived with sympy)" in out
    assert "verdict: inside" in out and "Monte Carlo Rayleigh quotient" in out
    assert main(["kernel", "--kernel", "ntk", "--d", "64", "--P", "128", "--sigma2", "0.032"]) == 0
    out = capsys.readouterr().out
    assert "C = 0.0198944, nu = 1" in out and "verdict: OUTSIDE" in out
    assert main(["kernel", "--sigma2", "-1"]) == 2
    assert "sigma2 must be > 0" in capsys.readouterr().err
