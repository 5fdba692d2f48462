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
    (["linear", "--d", "16", "--n", "1,8", "--quiet"], "n_values[0] must be an integer >= 2, got 1"),
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


# Full output of the mixing-time and kernel commands, recorded before their verdicts moved
# into memlab.theory (BandwidthComparison.regime/verdict, memorization_time_prediction):
# the CLI only formats, and its text must not change.
GOLDEN_OUTPUT = {
    "mixing-time --sigma 1 --d 16 --n 10000": (
        "memlab mixing-time: data N(mu, sigma^2 I_d), OU process, sigma=1, d=16, n=10000 (alpha = log(n)/d = 0.5756)\n"
        "  collapse time t_M               : 0.190065\n"
        "  leading order sigma^2/(2n^(2/d)): 0.158114  (relative error -16.81%)\n"
        "  bandwidths of a Gaussian KDE of the n points:\n"
        "    mixing width h_M              : 0.680055\n"
        "    sqrt(2 t_M) (seed eq. 10)     : 0.616547\n"
        "    sigma n^(-1/d) (seed Fig. 3)  : 0.562341\n"
        "    exact MISE-optimal            : 0.67302\n"
        "    AMISE (Silverman, seed eq. 11): 0.585247\n"
        "  h_M / optimal = 1.01; MISE(h_M)/MISE(opt) - 1 = 0.000985; best KDE's L2 gain over 0: exp(-1.259)\n"
        "  verdict: the mixing width is L2-optimal here (within 5%)\n"
    ),
    "mixing-time --sigma 1 --d 2 --n 1000": (
        "memlab mixing-time: data N(mu, sigma^2 I_d), OU process, sigma=1, d=2, n=1000 (alpha = log(n)/d = 3.454)\n"
        "  collapse time t_M               : 0.00050025\n"
        "  leading order sigma^2/(2n^(2/d)): 0.0005  (relative error -0.05%)\n"
        "  bandwidths of a Gaussian KDE of the n points:\n"
        "    mixing width h_M              : 0.0316386\n"
        "    sqrt(2 t_M) (seed eq. 10)     : 0.0316307\n"
        "    sigma n^(-1/d) (seed Fig. 3)  : 0.0316228\n"
        "    exact MISE-optimal            : 0.328163\n"
        "    AMISE (Silverman, seed eq. 11): 0.316228\n"
        "  h_M / optimal = 0.09641; MISE(h_M)/MISE(opt) - 1 = 73.8; best KDE's L2 gain over 0: exp(-0.01344)\n"
        "  verdict: the mixing width is 0.0964 times the L2-optimal bandwidth\n"
    ),
    "mixing-time --sigma 1 --d 200 --n 1e6": (
        "memlab mixing-time: data N(mu, sigma^2 I_d), OU process, sigma=1, d=200, n=1e+06 (alpha = log(n)/d = 0.06908)\n"
        "  collapse time t_M               : 1.02383\n"
        "  leading order sigma^2/(2n^(2/d)): 0.435482  (relative error -57.47%)\n"
        "  bandwidths of a Gaussian KDE of the n points:\n"
        "    mixing width h_M              : 2.59803\n"
        "    sqrt(2 t_M) (seed eq. 10)     : 1.43096\n"
        "    sigma n^(-1/d) (seed Fig. 3)  : 0.933254\n"
        "    exact MISE-optimal            : 1.24362\n"
        "    AMISE (Silverman, seed eq. 11): 0.916724\n"
        "  h_M / optimal = 2.089; MISE(h_M)/MISE(opt) - 1 = 0; best KDE's L2 gain over 0: exp(-57.16)\n"
        "  verdict: high-dimensional regime: no bandwidth beats the zero estimator by more than "
        "exp(-10) in L2; the mixing width is not the optimum\n"
    ),
    "kernel --kernel ntk --d 64 --P 128 --sigma2 0.032": (
        "memlab kernel: seed 000 App. G, kernel=ntk, d=64, P=128, sigma^2=0.032 (sigma=0.1789)\n"
        "  small-distance expansion K = 1 - C r^nu: C = 0.0198944, nu = 1 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -0.0880438 (large-d form: relative error +3.91e-03)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 2.4479e-06\n"
        "  memorization time tau_mem = 1/lambda_i = 408513  (large-d form 406921); tau_mem grows like P / sigma^1\n"
        "  regime: sigma/dist between training points = 0.179 (needs << 1; components overlap near 1)\n"
        "  verdict: OUTSIDE the small-sigma regime of the prediction (inter-point distance ~ 11.3)\n"
    ),
    "kernel --kernel laplace --d 16 --P 16 --sigma2 0.0001": (
        "memlab kernel: seed 000 App. G, kernel=laplace, d=16, P=16, sigma^2=0.0001 (sigma=0.01), ell=1\n"
        "  small-distance expansion K = 1 - C r^nu: C = 1, nu = 1 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -0.174038 (large-d form: relative error +1.57e-02)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 0.000108774\n"
        "  memorization time tau_mem = 1/lambda_i = 9193.41  (large-d form 9050.97); tau_mem grows like P / sigma^1\n"
        "  regime: sigma/dist between training points = 0.01 (needs << 1; components overlap near 1)\n"
        "          sigma sqrt(2d)/ell = 0.0566 (the expansion needs << 1)\n"
        "  verdict: inside the small-sigma regime of the prediction (inter-point distance ~ 5.66)\n"
    ),
    "kernel --kernel gaussian --d 16 --P 16 --sigma2 0.5": (
        "memlab kernel: seed 000 App. G, kernel=gaussian, d=16, P=16, sigma^2=0.5 (sigma=0.7071), ell=1\n"
        "  small-distance expansion K = 1 - C r^nu: C = 0.5, nu = 2 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -2 (large-d form: relative error +3.33e-16)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 0.03125\n"
        "  memorization time tau_mem = 1/lambda_i = 32  (large-d form 32); tau_mem grows like P / sigma^2\n"
        "  regime: sigma/dist between training points = 0.707 (needs << 1; components overlap near 1)\n"
        "          sigma sqrt(2d)/ell = 4 (the expansion needs << 1)\n"
        "  verdict: OUTSIDE the small-sigma regime of the prediction (inter-point distance ~ 5.66)\n"
    ),
    "kernel --kernel laplace --d 16 --P 16 --sigma2 0.0001 --ell 0.1": (
        "memlab kernel: seed 000 App. G, kernel=laplace, d=16, P=16, sigma^2=0.0001 (sigma=0.01), ell=0.1\n"
        "  small-distance expansion K = 1 - C r^nu: C = 10, nu = 1 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -0.174038 (large-d form: relative error +1.57e-02)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 0.00108774\n"
        "  memorization time tau_mem = 1/lambda_i = 919.341  (large-d form 905.097); tau_mem grows like P / sigma^1\n"
        "  regime: sigma/dist between training points = 0.01 (needs << 1; components overlap near 1)\n"
        "          sigma sqrt(2d)/ell = 0.566 (the expansion needs << 1)\n"
        "  verdict: OUTSIDE the small-sigma regime of the prediction (inter-point distance ~ 5.66)\n"
    ),
    "kernel --kernel nngp --d 32 --P 64 --sigma2 0.001": (
        "memlab kernel: seed 000 App. G, kernel=nngp, d=32, P=64, sigma^2=0.001 (sigma=0.03162)\n"
        "  small-distance expansion K = 1 - C r^nu: C = 0.015625, nu = 2 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -2 (large-d form: relative error +3.33e-16)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 4.88281e-07\n"
        "  memorization time tau_mem = 1/lambda_i = 2.048e+06  (large-d form 2.048e+06); tau_mem grows like P / sigma^2\n"
        "  regime: sigma/dist between training points = 0.0316 (needs << 1; components overlap near 1)\n"
        "  verdict: inside the small-sigma regime of the prediction (inter-point distance ~ 8)\n"
    ),
}

GOLDEN_ERRORS = {
    "kernel --kernel ntk --d 64 --P 128 --sigma2 -1": "memlab kernel: error: sigma2 must be > 0, got -1.0\n",
    "kernel --kernel ntk --d 0 --P 128 --sigma2 0.01": "memlab kernel: error: d must be a positive integer, got 0\n",
    "kernel --kernel gaussian --d 16 --P 0 --sigma2 0.01": "memlab kernel: error: P must be >= 1.0 everywhere, got 0.0\n",
    "kernel --kernel laplace --d 16 --P 16 --sigma2 0.01 --ell -1": "memlab kernel: error: ell must be > 0.0, got -1.0\n",
}


@pytest.mark.parametrize("command", sorted(GOLDEN_OUTPUT))
def test_mixing_time_and_kernel_output_unchanged(capsys, command):
    assert main(command.split()) == 0
    assert capsys.readouterr().out == GOLDEN_OUTPUT[command]


@pytest.mark.parametrize("command", sorted(GOLDEN_ERRORS))
def test_kernel_errors_unchanged(capsys, command):
    assert main(command.split()) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == GOLDEN_ERRORS[command]


def test_plot_figures_are_saved_and_reported(capsys, tmp_path):
    argv = ["linear", "--d", "16", "--n", "8,32", "--trials", "20", "--n-original", "500",
            "--quiet", "--plot", str(tmp_path / "figs")]
    assert main(argv) == 0
    path = tmp_path / "figs" / "p_delta_d16.png"
    assert capsys.readouterr().out.endswith(f"  wrote {path}\n") and path.stat().st_size > 1000


def test_report_workers_option_is_checked(capsys, tmp_path):
    assert main(["report", "--workers", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "workers must be a positive integer, got 0" in err and len(err.strip().splitlines()) == 1
