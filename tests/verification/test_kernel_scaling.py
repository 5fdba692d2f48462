"""Monte Carlo Rayleigh quotients, exact kernel gradient flow and figures
(memlab.verification.kernel_scaling; Favero et al. App. G)."""

import numpy as np
import pytest

from memlab.verification import kernel_scaling as vk


@pytest.mark.parametrize("kernel,d,P,tol", [("laplace", 16, 16, 0.03), ("gaussian", 16, 16, 0.01),
                                          ("nngp", 16, 16, 0.01), ("nngp", 64, 128, 0.01),
                                          ("ntk", 16, 16, 0.10), ("ntk", 64, 128, 0.07)])
def test_rayleigh_quotient_matches_prediction_small_sigma(kernel, d, P, tol):
    """sigma = 0.003 (far inside the regime): the Monte Carlo eigenvalue of the local function,
    from samples of the whole mixture, equals -C beta_d(R)/gamma_d(R) sigma^nu / P.
    Measured ratios: Laplace 0.977 (its O(sigma sqrt(2d)/ell) correction), Gaussian 0.994,
    NNGP 0.993 / 1.001, NTK 0.909 (d = 16) / 0.935 (d = 64): the ReLU kernels only see the
    angle between inputs, while the prediction uses |x - y| (an O(1/d) effect)."""
    q = vk.rayleigh_quotient(kernel, P, 0.003, d, n_centre=4000, seed=0)
    pred = vk.predicted_eigenvalue(kernel, P, 0.003, d)
    assert abs(q.estimate / pred - 1) < tol + 3 * q.stderr / pred


@pytest.mark.parametrize("kernel,nu,ell", [("laplace", 1, 10.0), ("gaussian", 2, 1.0),
                                           ("nngp", 2, 1.0)])
def test_fitted_exponents(kernel, nu, ell):
    """Exponents sigma^nu at fixed P and P^-1 at fixed sigma, within their 95% intervals,
    in the regime sigma << inter-point distance and sigma sqrt(2d) << ell."""
    fit = vk.fit_eigenvalue_scaling(kernel, 16, sigmas=[0.001, 0.002, 0.004, 0.008], P_fixed=16,
                                    P_values=[8, 16, 32, 64], sigma_fixed=0.004, ell=ell,
                                    n_centre=3000, seed=1)
    assert fit.sigma_fit.ci_low <= nu <= fit.sigma_fit.ci_high, fit.sigma_fit
    assert fit.P_fit.ci_low <= -1 <= fit.P_fit.ci_high, fit.P_fit


def test_regime_ends_when_sigma_reaches_kernel_scale():
    """Laplace, ell = 1, d = 16: the ratio to the prediction falls from 0.977 (sigma = 0.003) to
    0.57 (0.1) and 0.37 (0.18), as sigma sqrt(2d) approaches ell."""
    ratios = [vk.rayleigh_quotient("laplace", 16, s, 16, n_centre=2000, seed=0).estimate
              / vk.predicted_eigenvalue("laplace", 16, s, 16) for s in (0.003, 0.1, 0.18)]
    assert ratios[0] > 0.95 and ratios[1] < 0.7 and ratios[2] < 0.5


def test_gradient_flow_exact_against_time_stepping():
    """The eigenbasis solution equals explicit Euler integration of f' = -(1/n) G (f - y)."""
    r = vk.kernel_gradient_flow("laplace", 4, 0.05, 3, ell=2.0, m=5, seed=0,
                                times=np.array([0.0, 50.0]))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    z = rng.standard_normal((4, 5, 3))
    X, Y = (x[:, None] + 0.05 * z).reshape(-1, 3), (-z / 0.05).reshape(-1, 3)
    G = vk._gram("laplace", X, X, 3, 2.0)
    f = np.zeros_like(Y)
    dt = 0.01
    for _ in range(5000):
        f -= dt / 20 * G @ (f - Y)
    loss = ((f - Y) ** 2).sum() / 20 / (3 / 0.05**2)
    assert r.train_loss[0] == pytest.approx(((Y ** 2).sum() / 20) / (3 / 0.05**2))
    assert r.train_loss[1] == pytest.approx(loss, rel=1e-3)


def test_gradient_flow_memorization_time_scaling():
    """tau_mem ~ P / sigma^nu (Laplace, nu = 1): fitted exponents 1 in P and -1 in sigma."""
    Ps = [8, 16, 32, 64]
    taus = [vk.kernel_gradient_flow("laplace", P, 0.01, 16, ell=10.0, m=16, seed=P).tau_mem
            for P in Ps]
    fp = metrics_fit(Ps, taus)
    assert fp.ci_low <= 1.0 <= fp.ci_high, fp
    ss = [0.0025, 0.005, 0.01, 0.02]
    runs = [vk.kernel_gradient_flow("laplace", 32, s, 16, ell=10.0, m=16, seed=1) for s in ss]
    fs = metrics_fit(ss, [r.tau_mem for r in runs])
    assert abs(fs.exponent + 1.0) < 0.05, fs
    # a constant fraction of the predicted 1/lambda_i
    ratios = [r.tau_mem / r.tau_predicted for r in runs]
    assert max(ratios) / min(ratios) < 1.1
    # separation: when the train loss is at 1/2 the test loss is above its start
    for r in runs:
        assert np.interp(np.log(r.tau_mem), np.log(r.times), r.test_loss) > 0.9


def metrics_fit(x, y):
    from memlab.theory.metrics import fit_power_law
    return fit_power_law(x, y)


def test_kernel_plots(check_figure):
    fit = vk.fit_eigenvalue_scaling("gaussian", 8, sigmas=[0.002, 0.004, 0.008], P_fixed=8,
                                    P_values=[4, 8, 16], sigma_fixed=0.004, n_centre=400, seed=0)
    check_figure(vk.plot_eigenvalue_scaling(fit, "gaussian", 8))
    runs = [vk.kernel_gradient_flow("laplace", P, 0.01, 8, ell=10.0, m=8, seed=P) for P in (4, 8)]
    check_figure(vk.plot_gradient_flow(runs))
    check_figure(vk.plot_tau_scaling([4, 8, 16], [1.0, 2.1, 3.9], [0.01, 0.02, 0.04], [4.0, 2.1, 1.0]))


# ----------------------------------------------------------------------------
# Blocked sums (memory linear in P) against the dense reference implementations
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["laplace", "gaussian", "ntk", "nngp"])
@pytest.mark.parametrize("cutoff,sigma", [("one", 0.3), ("exp", 0.3), ("gauss", 0.3),
                                          ("gauss", 0.003)])
def test_rayleigh_quotient_blocked_equals_dense(monkeypatch, kernel, cutoff, sigma):
    """The blocked pair sum draws the same random numbers and forms every pair term with
    the same floating-point operations as the dense S x S version it replaced; only the
    order of the additions differs. Blocks of 2 rows (S = 45 samples per batch) make that
    order as different as it gets. Measured: relative differences of the estimate <= 5e-13,
    of the standard error (a difference of batch values) <= 1.5e-13 of the estimate; the
    tolerance 1e-11 is above that and far below the Monte Carlo error (about 1e-2).
    sigma = 0.3 keeps samples of every component (all strata), 0.003 only the centre's."""
    monkeypatch.setattr(vk, "_BLOCK", 90)              # 2 rows per block at S = 45
    P, d, n0, n1 = 6, 4, 160, 40
    data = np.random.default_rng(5).standard_normal((P, d))
    new = vk.rayleigh_quotient(kernel, P, sigma, d, cutoff=cutoff, n_centre=n0, n_other=n1,
                               data=data, seed=3)
    R = vk.cutoff_function(cutoff, np.sqrt(d))
    old = vk._rayleigh_quotient(kernel, P, sigma, d, 1.0, R, n0, n1, data,
                                np.random.default_rng(3), 3, pair_sums=vk._pair_sums_dense)
    assert new.n_kept == old.n_kept and new.n_samples == old.n_samples
    assert new.estimate == pytest.approx(old.estimate, rel=1e-11)
    assert abs(new.stderr - old.stderr) <= 1e-11 * abs(old.estimate)
    if sigma > 0.1:
        assert new.n_kept == new.n_samples              # pairs across strata were summed


def test_rayleigh_quotient_memory_linear(monkeypatch):
    """Peak traced memory of a call with S = 1600 samples per batch, all kept, stays below
    one S x S float64 matrix (20 MB), which the dense version needed seven of at once; with
    blocks of 2^14 elements the rest is the O(S d) samples. Measured: 1.3 MB (dense: 105 MB)."""
    import tracemalloc
    monkeypatch.setattr(vk, "_BLOCK", 2**14)
    P, S = 800, 2 + 799 * 2
    tracemalloc.start()
    try:
        vk.rayleigh_quotient("laplace", P, 0.3, 4, n_centre=16, n_other=16, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * S * S / 4, peak


def _flow_data(P, m, d, sigma, seed=0):
    rng = np.random.default_rng(seed)
    X, Xt = rng.standard_normal((P * m, d)), rng.standard_normal((P * m, d))
    return X, rng.standard_normal((P * m, d)) / sigma, Xt, rng.standard_normal((P * m, d)) / sigma


@pytest.mark.parametrize("kernel,ell", [("laplace", 2.0), ("gaussian", 1.5), ("ntk", 1.0),
                                        ("nngp", 1.0)])
def test_flow_losses_blocked_equals_dense(monkeypatch, kernel, ell):
    """Blocked losses (Gram filled in row blocks, scipy dsyevr in place, dual coefficients per
    block of times, cross-Gram rows never stored) against the dense reference (numpy eigh,
    whole cross-Gram matrix in the eigenbasis), with blocks of 3 rows and 1 time. The two
    eigensolvers differ at rounding, and late train losses are sums of e^{-2tg/n} over the
    smallest modes, so they are compared to the initial loss: measured <= 1.3e-14 of it (test
    losses <= 2e-13 relative); tolerance 1e-10."""
    monkeypatch.setattr(vk, "_BLOCK", 100)             # n = 30: 3 rows per block
    monkeypatch.setattr(vk, "_ALPHA_BLOCK", 100)       # and 1 time per block
    P, m, d, sigma = 6, 5, 3, 0.1
    X, Y, Xt, Yt = _flow_data(P, m, d, sigma)
    times = np.concatenate([[0.0], np.logspace(-1, 5, 13)])
    new = vk._flow_losses(kernel, X, Y, Xt, Yt, times, d, ell, d / sigma**2)
    old = vk._flow_losses_dense(kernel, X, Y, Xt, Yt, times, d, ell, d / sigma**2)
    assert np.max(np.abs(new[0] - old[0])) <= 1e-10 * old[0][0]
    assert new[0][-1] < 0.05 * new[0][0]                # the comparison covers the decay
    np.testing.assert_allclose(new[1], old[1], rtol=1e-10)


def test_flow_losses_memory(monkeypatch):
    """n = 400 samples, 121 times: the peak traced memory of the losses is the Gram matrix and
    its eigenvectors (2 n^2 floats, 2.6 MB) plus blocks of 2^14 elements and O(n (T + d));
    the dense version held 4.0 n^2 traced (and more in numpy's untraced LAPACK buffers).
    Measured: 2.1 n^2. Bound: 2.5 n^2 floats."""
    import tracemalloc
    monkeypatch.setattr(vk, "_BLOCK", 2**14)
    monkeypatch.setattr(vk, "_ALPHA_BLOCK", 2**15)
    P, m, d, sigma = 25, 16, 16, 0.01
    X, Y, Xt, Yt = _flow_data(P, m, d, sigma)
    n = P * m
    times = np.logspace(1, 6, 121)
    tracemalloc.start()
    try:
        vk._flow_losses("laplace", X, Y, Xt, Yt, times, d, 10.0, d / sigma**2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * 8 * n * n, peak / (8 * n * n)


# ----------------------------------------------------------------------------
# Plot functions: the caller's Axes or Figure, no pyplot state, the setting recorded
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plot_inputs():
    fit = vk.fit_eigenvalue_scaling("gaussian", 8, sigmas=[0.002, 0.004, 0.008], P_fixed=4,
                                    P_values=[2, 4, 8], sigma_fixed=0.004, n_centre=200, seed=0)
    runs = [vk.kernel_gradient_flow("laplace", P, 0.01, 8, ell=10.0, m=4, seed=P) for P in (4, 8)]
    return fit, runs


PLOTS = {
    "plot_eigenvalue_scaling": ("fig", lambda fit, runs, **kw:
                                vk.plot_eigenvalue_scaling(fit, "gaussian", 8, **kw)),
    "plot_gradient_flow": ("ax", lambda fit, runs, **kw: vk.plot_gradient_flow(runs, **kw)),
    "plot_tau_scaling": ("fig", lambda fit, runs, **kw: vk.plot_tau_scaling(
        [4, 8, 16], [1.0, 2.1, 3.9], [0.01, 0.02, 0.04], [4.0, 2.1, 1.0], **kw)),
}


@pytest.mark.parametrize("name", PLOTS)
def test_plot_draws_on_the_callers_axes_or_figure(name, plot_inputs):
    from matplotlib.figure import Figure

    kind, call = PLOTS[name]
    if kind == "ax":
        ax = Figure().add_subplot()
        fig = call(*plot_inputs, ax=ax)
        assert fig is ax.figure
        assert ax.lines or ax.collections
        assert fig.get_suptitle() == "" and fig.axes == [ax]
    else:
        target = Figure()
        assert call(*plot_inputs, fig=target) is target
        assert len(target.axes) == 2 and all(a.lines or a.collections for a in target.axes)
        sub = Figure().subfigures(1, 2)[1]                  # a panel of a larger figure
        assert call(*plot_inputs, fig=sub) is sub and len(sub.axes) == 2


@pytest.mark.parametrize("name", PLOTS)
def test_plot_rejects_a_non_axes_and_leaves_pyplot_alone(name, plot_inputs):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    kind, call = PLOTS[name]
    with pytest.raises(TypeError, match=f"^{kind} must be a matplotlib"):
        call(*plot_inputs, **{kind: "x"})
    before = plt.get_fignums()
    fig = call(*plot_inputs)
    assert isinstance(fig, Figure) and plt.get_fignums() == before


def test_eigenvalue_plot_draws_the_prediction_and_checks_the_setting(plot_inputs):
    fit, _ = plot_inputs
    fig = vk.plot_eigenvalue_scaling(fit, "gaussian", 8)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert sum("eq. 22" in t for t in labels) == 2
    assert "d = 8" in fig.get_suptitle() and "seed 0" in fig.get_suptitle()
    # the theory line is the absolute prediction at P_fixed, not a line through the points
    theory = next(ln for ln in fig.axes[0].lines if "eq. 22" in ln.get_label())
    x, y = theory.get_data()
    assert y[0] == pytest.approx(vk.predicted_eigenvalue("gaussian", 4, x[0], 8))
    with pytest.raises(ValueError, match="^kernel must be the kernel of the fit"):
        vk.plot_eigenvalue_scaling(fit, "laplace", 8)
    with pytest.raises(ValueError, match="^d must be the dimension of the fit"):
        vk.plot_eigenvalue_scaling(fit, "gaussian", 16)
    with pytest.raises(ValueError, match="^ell must be the ell of the fit"):
        vk.plot_eigenvalue_scaling(fit, "gaussian", 8, ell=2.0)
    # a fit without its setting (built by hand) gets the predicted slope through its points
    bare = vk.ScalingFit(fit.sigma_fit, fit.P_fit, fit.sigmas, fit.eig_sigma, fit.P_values,
                         fit.eig_P)
    labels = [t.get_text() for t in vk.plot_eigenvalue_scaling(bare, "gaussian", 8).axes[0]
              .get_legend().get_texts()]
    assert any("theory slope 2" in t for t in labels)


def test_flow_and_tau_plots_mark_the_prediction(plot_inputs):
    _, runs = plot_inputs
    ax = vk.plot_gradient_flow(runs).axes[0]
    assert "laplace kernel, d = 8, ell = 10, m = 4" in ax.get_title()
    assert any("eq. 24" in t.get_text() for t in ax.get_legend().get_texts())
    fig = vk.plot_tau_scaling([4, 8, 16], [1.0, 2.1, 3.9], [0.01, 0.02, 0.04], [16, 4.1, 1.0],
                              nu=2.0, note="my setting")
    assert fig.get_suptitle() == "my setting"
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert any("theory slope 1" in t for t in labels) and any("theory slope -2" in t for t in labels)
    with pytest.raises(ValueError, match="^tau_P must have the length of P_values"):
        vk.plot_tau_scaling([4, 8, 16], [1.0, 2.0], [0.01, 0.02, 0.04], [4.0, 2.1, 1.0])
    with pytest.raises(ValueError, match="^sigmas must hold at least 3 values"):
        vk.plot_tau_scaling([4, 8, 16], [1.0, 2.1, 3.9], [0.01, 0.02], [4.0, 2.1])
    with pytest.raises(TypeError, match="^runs"):
        vk.plot_gradient_flow([1])
