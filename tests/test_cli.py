"""The memlab command line."""

import subprocess
import sys

import pytest

from verification.cli import main


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
    out = subprocess.run([sys.executable, "-m", "verification.cli", "crossover", "--N", "24",
                          "--d", "10", "--K", "2"], capture_output=True, text=True, check=True).stdout
    assert "M* =" in out
