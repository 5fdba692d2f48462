"""The memlab command line: text output, --json, --out, logging and progress bars."""

import argparse
import json
import logging
import os
import subprocess
import sys

import pytest

from memlab import __version__
from memlab.verification.cli import build_parser, main


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path, monkeypatch):
    """Every test runs in its own directory, so the default --out directories land there."""
    monkeypatch.chdir(tmp_path)


def test_crossover_closed_form(capsys):
    assert main(["crossover", "--N", "200", "--d", "50", "--K", "12", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "closed form, finite-d C   : M* =   153.8" in out
    assert "C = 2         : M* =   166.04" in out
    assert "Buchanan et al. (2025)" in out


def test_crossover_simulate_and_plot(capsys, tmp_path):
    argv = ["crossover", "--N", "60", "--d", "20", "--K", "3", "--n-noise", "2",
            "--n-datasets", "3", "--quiet", "--plot", str(tmp_path / "figs"),
            "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "simulated (3 datasets x 2 noise draws, seed 0): M* =" in out
    assert "95% CI [" in out
    assert (tmp_path / "figs" / "gmm_crossover.png").stat().st_size > 1000
    assert (tmp_path / "figs" / "gmm_excess_per_t.png").stat().st_size > 1000
    saved = json.loads((tmp_path / "out" / "crossover.json").read_text())
    sim = saved["results"]["simulated"]
    assert sim["estimate"]["type"] == "memlab.verification.gmm.CrossoverEstimate"
    assert sim["M_star"] == sim["estimate"]["fields"]["estimate"]
    assert f"  wrote {tmp_path / 'out' / 'crossover.json'}" in out
    assert sorted(saved["files"]) == sorted([str(tmp_path / "figs" / "gmm_excess_per_t.png"),
                                             str(tmp_path / "figs" / "gmm_crossover.png"),
                                             str(tmp_path / "out" / "crossover.json")])


@pytest.mark.parametrize("argv,msg", [
    (["--N", "0"], "N must be a positive integer, got 0"),
    (["--N", "10", "--K", "12"], "K must be <= N = 10, got 12"),
    (["--simulate", "--n-datasets", "1", "--quiet"], "n_datasets must be an integer >= 2, got 1"),
])
def test_crossover_bad_input(capsys, argv, msg, tmp_path):
    assert main(["crossover", *argv]) == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "memlab-out").exists()           # a failed command saves nothing


def test_console_script_installed():
    out = subprocess.run([sys.executable, "-m", "memlab.verification.cli", "crossover", "--N", "24",
                          "--d", "10", "--K", "2", "--no-save"], capture_output=True, text=True,
                         check=True).stdout
    assert "M* =" in out


def test_mixing_time_command(capsys):
    assert main(["mixing-time", "--sigma", "1", "--d", "16", "--n", "10000"]) == 0
    out = capsys.readouterr().out
    assert "collapse time t_M                       : 0.190065" in out
    assert "exact MISE-optimal                    : 0.67302" in out
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
    saved = json.loads((tmp_path / "memlab-out" / "linear" / "linear.json").read_text())
    assert [row["n"] for row in saved["results"]["table"]] == [8, 32, 64]
    assert {"p_delta", "ci_low", "ci_high", "hellinger", "hellinger_stderr"} <= set(
        saved["results"]["table"][0])


@pytest.mark.parametrize("argv,msg", [
    (["mixing-time", "--sigma", "-1"], "sigma must be > 0.0"),
    (["mixing-time", "--n", "1"], "n must be > 1.0"),
    (["linear", "--d", "16", "--n", "1,8", "--quiet"], "n_values[0] must be an integer >= 2, got 1"),
    (["linear", "--trials", "0", "--quiet"], "trials must be a positive integer, got 0"),
])
def test_onset_paper_bad_input(capsys, argv, msg):
    assert main(argv) == 2
    assert msg in capsys.readouterr().err


def test_kernel_command(capsys):
    assert main(["kernel", "--kernel", "laplace", "--d", "16", "--P", "16", "--sigma2", "0.0001",
                 "--rayleigh", "--n-centre", "800", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "C = 1, nu = 1 (derived with sympy)" in out
    assert "verdict: inside" in out and "Monte Carlo Rayleigh quotient" in out
    assert main(["kernel", "--kernel", "ntk", "--d", "64", "--P", "128", "--sigma2", "0.032",
                 "--no-save"]) == 0
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
        "  collapse time t_M                       : 0.190065\n"
        "  leading order sigma^2/(2n^(2/d))        : 0.158114  (relative error -16.81%)\n"
        "  bandwidths of a Gaussian KDE of the n points:\n"
        "    mixing width h_M                      : 0.680055\n"
        "    sqrt(2 t_M) (onset paper, eq. 10)     : 0.616547\n"
        "    sigma n^(-1/d) (onset paper, Fig. 3)  : 0.562341\n"
        "    exact MISE-optimal                    : 0.67302\n"
        "    AMISE (Silverman; onset paper, eq. 11): 0.585247\n"
        "  h_M / optimal = 1.01; MISE(h_M)/MISE(opt) - 1 = 0.000985; best KDE's L2 gain over 0: exp(-1.259)\n"
        "  verdict: the mixing width is L2-optimal here (within 5%)\n"
    ),
    "mixing-time --sigma 1 --d 2 --n 1000": (
        "memlab mixing-time: data N(mu, sigma^2 I_d), OU process, sigma=1, d=2, n=1000 (alpha = log(n)/d = 3.454)\n"
        "  collapse time t_M                       : 0.00050025\n"
        "  leading order sigma^2/(2n^(2/d))        : 0.0005  (relative error -0.05%)\n"
        "  bandwidths of a Gaussian KDE of the n points:\n"
        "    mixing width h_M                      : 0.0316386\n"
        "    sqrt(2 t_M) (onset paper, eq. 10)     : 0.0316307\n"
        "    sigma n^(-1/d) (onset paper, Fig. 3)  : 0.0316228\n"
        "    exact MISE-optimal                    : 0.328163\n"
        "    AMISE (Silverman; onset paper, eq. 11): 0.316228\n"
        "  h_M / optimal = 0.09641; MISE(h_M)/MISE(opt) - 1 = 73.8; best KDE's L2 gain over 0: exp(-0.01344)\n"
        "  verdict: the mixing width is 0.0964 times the L2-optimal bandwidth\n"
    ),
    "mixing-time --sigma 1 --d 200 --n 1e6": (
        "memlab mixing-time: data N(mu, sigma^2 I_d), OU process, sigma=1, d=200, n=1e+06 (alpha = log(n)/d = 0.06908)\n"
        "  collapse time t_M                       : 1.02383\n"
        "  leading order sigma^2/(2n^(2/d))        : 0.435482  (relative error -57.47%)\n"
        "  bandwidths of a Gaussian KDE of the n points:\n"
        "    mixing width h_M                      : 2.59803\n"
        "    sqrt(2 t_M) (onset paper, eq. 10)     : 1.43096\n"
        "    sigma n^(-1/d) (onset paper, Fig. 3)  : 0.933254\n"
        "    exact MISE-optimal                    : 1.24362\n"
        "    AMISE (Silverman; onset paper, eq. 11): 0.916724\n"
        "  h_M / optimal = 2.089; MISE(h_M)/MISE(opt) - 1 = 0; best KDE's L2 gain over 0: exp(-57.16)\n"
        "  verdict: high-dimensional regime: no bandwidth beats the zero estimator by more than "
        "exp(-10) in L2; the mixing width is not the optimum\n"
    ),
    "kernel --kernel ntk --d 64 --P 128 --sigma2 0.032 --no-save": (
        "memlab kernel: Favero et al. 2025, App. G, kernel=ntk, d=64, P=128, sigma^2=0.032 (sigma=0.1789)\n"
        "  small-distance expansion K = 1 - C r^nu: C = 0.0198944, nu = 1 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -0.0880438 (large-d form: relative error +3.91e-03)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 2.4479e-06\n"
        "  memorization time tau_mem = 1/lambda_i = 408513  (large-d form 406921); tau_mem grows like P / sigma^1\n"
        "  regime: sigma/dist between training points = 0.179 (needs << 1; components overlap near 1)\n"
        "  verdict: OUTSIDE the small-sigma regime of the prediction (inter-point distance ~ 11.3)\n"
    ),
    "kernel --kernel laplace --d 16 --P 16 --sigma2 0.0001 --no-save": (
        "memlab kernel: Favero et al. 2025, App. G, kernel=laplace, d=16, P=16, sigma^2=0.0001 (sigma=0.01), ell=1\n"
        "  small-distance expansion K = 1 - C r^nu: C = 1, nu = 1 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -0.174038 (large-d form: relative error +1.57e-02)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 0.000108774\n"
        "  memorization time tau_mem = 1/lambda_i = 9193.41  (large-d form 9050.97); tau_mem grows like P / sigma^1\n"
        "  regime: sigma/dist between training points = 0.01 (needs << 1; components overlap near 1)\n"
        "          sigma sqrt(2d)/ell = 0.0566 (the expansion needs << 1)\n"
        "  verdict: inside the small-sigma regime of the prediction (inter-point distance ~ 5.66)\n"
    ),
    "kernel --kernel gaussian --d 16 --P 16 --sigma2 0.5 --no-save": (
        "memlab kernel: Favero et al. 2025, App. G, kernel=gaussian, d=16, P=16, sigma^2=0.5 (sigma=0.7071), ell=1\n"
        "  small-distance expansion K = 1 - C r^nu: C = 0.5, nu = 2 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -2 (large-d form: relative error +3.33e-16)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 0.03125\n"
        "  memorization time tau_mem = 1/lambda_i = 32  (large-d form 32); tau_mem grows like P / sigma^2\n"
        "  regime: sigma/dist between training points = 0.707 (needs << 1; components overlap near 1)\n"
        "          sigma sqrt(2d)/ell = 4 (the expansion needs << 1)\n"
        "  verdict: OUTSIDE the small-sigma regime of the prediction (inter-point distance ~ 5.66)\n"
    ),
    "kernel --kernel laplace --d 16 --P 16 --sigma2 0.0001 --ell 0.1 --no-save": (
        "memlab kernel: Favero et al. 2025, App. G, kernel=laplace, d=16, P=16, sigma^2=0.0001 (sigma=0.01), ell=0.1\n"
        "  small-distance expansion K = 1 - C r^nu: C = 10, nu = 1 (derived with sympy)\n"
        "  beta_d(1,nu)/gamma_d(1) = -0.174038 (large-d form: relative error +1.57e-02)\n"
        "  eigenvalue lambda_i = -C (beta/gamma) sigma^nu / P = 0.00108774\n"
        "  memorization time tau_mem = 1/lambda_i = 919.341  (large-d form 905.097); tau_mem grows like P / sigma^1\n"
        "  regime: sigma/dist between training points = 0.01 (needs << 1; components overlap near 1)\n"
        "          sigma sqrt(2d)/ell = 0.566 (the expansion needs << 1)\n"
        "  verdict: OUTSIDE the small-sigma regime of the prediction (inter-point distance ~ 5.66)\n"
    ),
    "kernel --kernel nngp --d 32 --P 64 --sigma2 0.001 --no-save": (
        "memlab kernel: Favero et al. 2025, App. G, kernel=nngp, d=32, P=64, sigma^2=0.001 (sigma=0.03162)\n"
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
            "--quiet", "--plot", str(tmp_path / "figs"), "--no-save"]
    assert main(argv) == 0
    path = tmp_path / "figs" / "p_delta_d16.png"
    assert capsys.readouterr().out.endswith(f"  wrote {path}\n") and path.stat().st_size > 1000


def test_report_workers_option_is_checked(capsys, tmp_path):
    assert main(["report", "--workers", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "workers must be a positive integer, got 0" in err and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------
# --json, --out, logging and progress bars
# --------------------------------------------------------------------------------------

def _strict_json(text):
    """Parse ``text`` as one standard JSON document: NaN, Infinity and -Infinity rejected."""
    def reject(constant):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(text, parse_constant=reject)


def _torch():
    return pytest.importorskip("torch", reason="the train commands need torch")


# one cheap command line per subcommand (the train ones need torch)
JSON_COMMANDS = {
    "report": ["report", "--checks", "metrics", "--workers", "1", "--out", "rep"],
    "crossover": ["crossover", "--N", "40", "--d", "10", "--K", "2", "--simulate", "--n-noise",
                  "2", "--n-datasets", "2"],
    "mixing-time": ["mixing-time", "--d", "8", "--n", "100"],
    "linear": ["linear", "--d", "4", "--n", "2,4,8", "--trials", "20", "--n-original", "200"],
    "kernel": ["kernel", "--kernel", "laplace", "--d", "16", "--P", "16", "--sigma2", "0.0001",
               "--rayleigh", "--n-centre", "200"],
    "rhm": ["rhm", "--v", "4", "--m", "2", "--L", "2", "--batch", "16", "--generate", "--steps",
            "5", "--n-samples", "20"],
    "train gmm": ["train", "gmm", "--N", "12", "--d", "3", "--K", "2", "--epochs", "30",
                  "--n-eval", "20", "--no-simulate"],
    "train rhm": ["train", "rhm", "--v", "4", "--m", "2", "--L", "2", "--P", "6,8,10",
                  "--steps-per-P", "3", "--channels", "8", "--n-val", "8", "--n-generate", "8"],
}


@pytest.mark.parametrize("command", sorted(JSON_COMMANDS))
def test_every_subcommand_prints_one_standard_json_document(command, capsys, tmp_path):
    """--json: stdout is exactly one standard JSON document (settings, results, files,
    version); nothing else on stdout, no progress bar on stderr; the saved copy in --out
    is the same document."""
    argv = JSON_COMMANDS[command]
    if command.startswith("train"):
        _torch()
        import warnings
        with warnings.catch_warnings():      # 30 epochs: the transition is outside the M grid
            warnings.simplefilter("ignore")
            status = main([*argv, "--json"])
    else:
        status = main([*argv, "--json"])
    assert status == 0
    captured = capsys.readouterr()
    doc = _strict_json(captured.out)
    assert doc["schema"] == "memlab-cli-v1" and doc["memlab_version"] == __version__
    assert doc["command"] == command and doc["argv"] == [*argv, "--json"]
    assert doc["exit_status"] == 0 and doc["results"] and isinstance(doc["settings"], dict)
    assert "%|" not in captured.err                          # no tqdm bar
    for path in doc["files"]:
        assert os.path.exists(path)
    if command != "mixing-time":
        assert doc["settings"]["out"]
    if command not in ("report", "mixing-time"):
        name = command.replace(" ", "-")
        saved = tmp_path / "memlab-out" / name / f"{name}.json"
        assert str(saved.relative_to(tmp_path)) in doc["files"]
        assert _strict_json(saved.read_text()) == doc


def test_json_uses_the_result_objects_to_dict(capsys):
    from memlab.theory.mixing import BandwidthComparison, compare_bandwidths

    assert main(["mixing-time", "--d", "16", "--n", "10000", "--json"]) == 0
    doc = _strict_json(capsys.readouterr().out)
    comparison = BandwidthComparison.from_dict(doc["results"]["comparison"])
    assert comparison == compare_bandwidths(1.0, 16, 1e4)
    assert doc["results"]["t_M"] == pytest.approx(0.190065, rel=1e-5)
    assert doc["settings"] == {"sigma": 1.0, "d": 16, "n": 10000.0}


def test_json_writes_nan_as_null(capsys):
    """P(Delta > 0) never reaches 1/2 at n = 2, 3: the transition is NaN, written null."""
    assert main(["linear", "--d", "16", "--n", "2,3", "--trials", "20", "--n-original", "200",
                 "--json", "--no-save"]) == 0
    text = capsys.readouterr().out
    doc = _strict_json(text)
    assert doc["results"]["transition"] is None and "NaN" not in text
    assert doc["files"] == [] and doc["settings"]["out"] is None


def test_json_error_leaves_stdout_empty(capsys):
    assert main(["kernel", "--sigma2", "-1", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "memlab kernel: error: sigma2 must be > 0, got -1.0\n"


def test_default_out_saves_and_no_save_does_not(capsys, tmp_path):
    assert main(["kernel", "--kernel", "gaussian", "--d", "16", "--P", "16",
                 "--sigma2", "0.5"]) == 0
    out = capsys.readouterr().out
    saved = tmp_path / "memlab-out" / "kernel" / "kernel.json"
    assert out.endswith("  wrote memlab-out/kernel/kernel.json\n")
    doc = _strict_json(saved.read_text())
    assert doc["results"]["prediction"]["fields"]["tau_mem"] == pytest.approx(32.0)
    saved.unlink()
    assert main(["kernel", "--kernel", "gaussian", "--no-save"]) == 0
    assert "wrote" not in capsys.readouterr().out and not saved.exists()


def test_every_long_subcommand_has_out_with_a_default():
    parser = build_parser()
    defaults = {"report": "memlab-report", "crossover": "memlab-out/crossover",
                "linear": "memlab-out/linear", "kernel": "memlab-out/kernel",
                "rhm": "memlab-out/rhm", "train gmm": "memlab-out/train-gmm",
                "train rhm": "memlab-out/train-rhm"}
    for command, default in defaults.items():
        args = parser.parse_args(command.split() + (["--N", "12"] if command == "train gmm"
                                                    else []))
        assert args.out == default, command


def test_unwritable_out_is_an_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["crossover", "--out", str(blocker / "sub")]) == 2
    assert "out must be a writable directory" in capsys.readouterr().err


SIM = ["crossover", "--N", "40", "--d", "10", "--K", "2", "--simulate", "--n-noise", "2",
       "--n-datasets", "2", "--no-save"]


def test_progress_bar_on_stderr_by_default_off_with_quiet(capsys):
    assert main(SIM) == 0
    captured = capsys.readouterr()
    assert "GMM losses" in captured.err and "GMM losses" not in captured.out
    assert main([*SIM, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["--quiet", *SIM]) == 0                   # before the subcommand too
    assert capsys.readouterr().err == ""


def test_verbose_logs_the_steps_on_stderr_and_restores_the_logger(capsys):
    logger = logging.getLogger("memlab")
    before = (list(logger.handlers), logger.level, logger.propagate)
    assert main([*SIM, "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "memlab crossover: simulating the exact training losses: 2 datasets" in err
    assert main(SIM) == 0
    assert "simulating" not in capsys.readouterr().err      # default level: WARNING
    assert (list(logger.handlers), logger.level, logger.propagate) == before
    with pytest.raises(SystemExit):
        main(["crossover", "--verbose", "--quiet"])
    with pytest.raises(SystemExit):
        main(["--verbose", "crossover", "--quiet"])


def test_help_and_output_name_papers_by_author_and_year(capsys):
    parser = build_parser()
    texts = [parser.format_help()]
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    while actions:
        for sub in actions.pop().choices.values():
            texts.append(sub.format_help())
            actions += [a for a in sub._actions
                        if isinstance(a, argparse._SubParsersAction)]
    for argv in (["crossover", "--no-save"], ["mixing-time"],
                 ["kernel", "--no-save"], ["linear", "--d", "4", "--n", "4,8", "--trials", "10",
                                           "--n-original", "100", "--quiet", "--no-save"]):
        assert main(argv) == 0
        texts.append(capsys.readouterr().out)
    text = "\n".join(texts)
    assert len(texts) > 10
    for word in ("seed 00", "seed00", "DESIGN", "design document"):
        assert word not in text
    assert "Buchanan et al." in text and "Favero et al." in text and "onset paper" in text
