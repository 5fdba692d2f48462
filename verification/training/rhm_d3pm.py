r"""A D3PM with a convolutional U-Net trained on Random Hierarchy Model strings (seed 000 sec. 4.3, App. B.3).

Data: P distinct strings of a grammar from [`memlab.theory.rhm`][memlab.theory.rhm] (training set)
and held-out strings not in it (validation set). Noise: uniform D3PM
corruption with keep probability $\bar\alpha_t$ from the cosine
schedule [`memlab.theory.rhm.keep_schedule`][memlab.theory.rhm.keep_schedule] (T = 1000 training levels).

Network (App. B.3): one-hot tokens -> 1x1 convolution to C channels (plus a
learned embedding of $\bar\alpha$) -> L encoder blocks (convolution with
filter size = stride = s, GELU) down to length 1 -> L decoder blocks
(transposed convolution, filter = stride = s, GELU) with skip connections
from the encoder block of the same resolution -> 1x1 convolution to v logits.
It predicts $p(x_0 | x_t)$ per token and is trained with Adam on the
cross-entropy of the clean tokens (the x_0-prediction loss of D3PM), in
mini-batches.

At log-spaced steps the run records the train and validation losses (on
fixed noise draws, so that curves are smooth), and generates strings with the
network as the denoiser of [`memlab.theory.rhm.reverse_sample`][memlab.theory.rhm.reverse_sample] to measure the
fraction of exact copies of the training set and the per-layer error
fractions ([`memlab.theory.rhm.layer_error_fractions`][memlab.theory.rhm.layer_error_fractions]). tau_mem is the onset
of the gap between validation and train loss
([`memlab.theory.metrics.memorization_onset`][memlab.theory.metrics.memorization_onset]).

Deviations from the paper, for a CPU: standard (not muP) parametrisation,
Adam at 1e-3 instead of 0.1, C = 128 channels instead of 8192, the cosine
instead of the linear schedule. Runs save a checkpoint at every evaluation
and resume from it; [`save_summary`][memlab.verification.training.rhm_d3pm.save_summary] writes the summary of a series of
runs (``memlab train rhm``).

Example: the scaling fit on planted runs whose copies start at step 20 P
(no training, no torch)::

    >>> import numpy as np
    >>> def planted(P, n=200):
    ...     steps = np.geomspace(10, 1e5, n)
    ...     copies = np.clip(np.log(steps / (20 * P)), 0, 1)
    ...     return D3PMRun(P, steps, np.ones(n), 1 + copies, copies, np.zeros((n, 2)),
    ...                    20.0 * P, 20.0 * P, 0.2, 32, 1e-3, 8, 0)
    >>> runs = [planted(P) for P in (16, 32, 64, 128)]
    >>> round(tau_mem_scaling(runs).exponent, 6)
    1.0
    >>> D3PMRun.from_saved_dict(runs[0].to_saved_dict()).tau_mem
    320.0
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memlab._results import Result
from memlab._validation import (
    MAX_SAMPLES,
    check_allocation,
    check_choice,
    check_instance,
    check_instances,
    check_path,
    check_positive_int,
    check_positive_real,
    check_real,
    check_rng,
)
from memlab.theory import rhm
from memlab.theory.metrics import (
    PowerLawFit,
    first_crossing,
    fit_power_law,
    memorization_onset,
)
from memlab.verification._checks import check_bool, check_count
from memlab.verification.training._common import (
    atomic_write,
    dataclass_to_json,
    manifest,
    settings_key,
)

#: Upper bound on ``channels`` of [`make_unet`][memlab.verification.training.rhm_d3pm.make_unet] and on ``batch_size``, ``n_val``,
#: ``n_generate``, ``gen_steps`` and ``n_eval`` of [`train_d3pm`][memlab.verification.training.rhm_d3pm.train_d3pm].
MAX_SIZE = 10**5

#: Scalar fields of [`D3PMRun`][memlab.verification.training.rhm_d3pm.D3PMRun] that are NaN when not reached (``null`` in JSON).
_NOT_REACHED_FIELDS = ("tau_mem", "tau_val_min")

__all__ = ["make_unet", "D3PMRun", "train_d3pm", "TAU_DEFINITIONS", "tau_mem_scaling",
           "plot_training_curves", "plot_tau_vs_P", "save_summary"]


def make_unet(v, s, L, channels=128):
    """The U-Net of seed 000 App. B.3 (see the module docstring); returns a torch module
    mapping (tokens (B, d) long, abar (B,) float) to logits (B, d, v), d = s**L.

    ``v`` and ``s`` are integers in [2, MAX_SIZE], ``channels`` in [1, MAX_SIZE], and ``L``
    a positive integer with s**L at most ``memlab._validation.MAX_SAMPLES``."""
    from torch import nn

    v = check_count("v", v, MAX_SIZE, minimum=2)
    s = check_count("s", s, MAX_SIZE, minimum=2)
    L_max = 1                                  # strings of length s**L <= MAX_SAMPLES
    while s ** (L_max + 1) <= MAX_SAMPLES:
        L_max += 1
    L = check_positive_int("L", L, maximum=L_max)
    channels = check_count("channels", channels, MAX_SIZE)

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.v = v
            self.embed = nn.Conv1d(v, channels, 1)
            self.time = nn.Sequential(nn.Linear(1, channels), nn.GELU(), nn.Linear(channels, channels))
            self.down = nn.ModuleList(nn.Conv1d(channels, channels, s, stride=s) for _ in range(L))
            self.up = nn.ModuleList(nn.ConvTranspose1d(channels, channels, s, stride=s)
                                    for _ in range(L))
            self.readout = nn.Conv1d(channels, v, 1)
            self.act = nn.GELU()

        def forward(self, tokens, abar):
            h = self.embed(nn.functional.one_hot(tokens, self.v).float().transpose(1, 2))
            h = h + self.time(abar[:, None].float())[:, :, None]
            skips = []
            for conv in self.down:
                skips.append(h)
                h = self.act(conv(h))
            for conv in self.up:
                h = self.act(conv(h)) + skips.pop()
            return self.readout(h).transpose(1, 2)             # (B, d, v)

    return UNet()


@dataclass(frozen=True)
class D3PMRun(Result):
    """History of one training run.

    ``steps``, ``train_loss``, ``val_loss`` (cross-entropy per token, nats),
    ``copy_fraction`` and ``layer_errors`` (len(steps), L) of generated strings,
    ``tau_mem`` (onset of val - train > ``threshold``; NaN if not reached, and for a
    run with fewer than 2 evaluations), ``tau_val_min`` (step of the smallest
    validation loss; NaN for a run without evaluations), and the settings.
    """

    P: int
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    copy_fraction: np.ndarray
    layer_errors: np.ndarray
    tau_mem: float
    tau_val_min: float
    threshold: float
    batch_size: int
    lr: float
    channels: int
    seed: int

    def to_saved_dict(self) -> dict:
        """The run as a JSON-ready dict (arrays as lists); ``tau_mem`` and ``tau_val_min``
        are ``None`` (JSON ``null``) where they are NaN (not reached), since NaN is not
        valid JSON. `from_saved_dict` turns them back into NaN."""
        out = dataclass_to_json(self)
        for k in _NOT_REACHED_FIELDS:
            if not np.isfinite(out[k]):
                out[k] = None
        return out

    @classmethod
    def from_saved_dict(cls, data: dict) -> "D3PMRun":
        """Rebuild a run from `to_saved_dict` output (e.g. a saved ``d3pm_P*.json``; its
        ``format``, ``key``, ``settings`` and ``manifest`` entries are not fields)."""
        kw = {k: v for k, v in data.items()
              if k not in ("format", "key", "settings", "manifest")}
        for k in ("steps", "train_loss", "val_loss", "copy_fraction", "layer_errors"):
            kw[k] = np.asarray(kw[k], dtype=float)
        for k in _NOT_REACHED_FIELDS:
            if k in kw and kw[k] is None:
                kw[k] = float("nan")
        return cls(**kw)

    def tau_gap(self, threshold) -> float:
        """Onset of validation - train loss > ``threshold`` (memlab.theory.metrics.memorization_onset).

        ``threshold`` is a positive loss gap (nats per token). Returns NaN when the gap
        never exceeds it (not reached). Raises ValueError for a run with fewer than 2
        evaluations, where no onset can be located.
        """
        threshold = check_positive_real("threshold", threshold)
        n = int(np.size(self.steps))
        if n < 2:
            raise ValueError(f"tau_gap needs a run with at least 2 evaluations, this run has "
                             f"{n} (n_eval and steps of train_d3pm set them)")
        return memorization_onset(self.steps, self.train_loss, self.val_loss, threshold)

    def tau_copy(self, level=0.5) -> float:
        """First step (interpolated in log step) where the copy fraction reaches ``level``.

        ``level`` is a fraction in (0, 1]. Returns NaN when the copy fraction never
        reaches it (not reached), also for a run without evaluations.
        """
        level = check_real("level", level, lo=0.0, hi=1.0, lo_open=True)
        if np.size(self.steps) == 0:
            return float("nan")
        return first_crossing(self.steps, self.copy_fraction, level - 1e-12, above=True,
                              log_x=True)


def train_d3pm(grammar, P, *, steps=20000, batch_size=32, lr=1e-3, channels=128, n_val=512,
               n_generate=256, gen_steps=50, n_eval=20, threshold=0.2, n_levels=None, seed=0,
               out_dir=None, progress=True) -> D3PMRun:
    """Train the U-Net D3PM on P distinct strings of ``grammar`` and record its history.

    Parameters
    ----------
    grammar : memlab.theory.rhm.Grammar
    P : int
        Training strings (distinct; the validation strings are distinct from them).
    steps, batch_size, lr, channels : training settings (Adam, mini-batches drawn
        with replacement).
    n_val : int
        Validation strings.
    n_generate, gen_steps : strings generated at each evaluation and reverse steps.
    n_eval : int
        Evaluations at log-spaced steps between 10 and ``steps``.
    threshold : float
        Loss gap (nats per token) defining tau_mem. 0.2: with P = 64 training
        strings, the train loss of the particular strings differs from the
        validation loss by up to 0.15 nats before any copy appears.
    n_levels : int, optional
        Fixed noise levels per string in the loss evaluations (default: at
        least 8 and at least 4096 noisy strings per set, which keeps the
        evaluation noise of the losses near 0.01 nats).
    out_dir : path, optional
        Checkpoint ``d3pm_P{P}_s{seed}_{key}.pt`` (at every evaluation) and history
        ``d3pm_P{P}_s{seed}_{key}.json`` there, both written atomically; a second
        call with the same settings resumes from the checkpoint. ``key`` hashes every
        setting that changes the result (the grammar's rules and seed, P, steps,
        batch_size, lr, channels, n_val, n_generate, gen_steps, n_eval, threshold,
        n_levels, the schedule, seed, the memlab version), so other settings train
        into their own files. The checkpoint holds tensors, the history and the
        random states only and is read with ``torch.load(weights_only=True)``; a
        checkpoint with another key raises ValueError. The JSON adds ``settings``,
        ``key`` and a ``manifest`` (versions, torch threads, git revision, date) to
        [`D3PMRun.to_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.to_saved_dict]. Needs an integer ``seed``.

    Returns
    -------
    D3PMRun
        Its ``tau_mem`` is NaN when the loss gap never exceeds ``threshold`` (not
        reached), and for a run with fewer than 2 evaluations.
    """
    import torch

    grammar = check_instance("grammar", grammar, rhm.Grammar)
    P = check_positive_int("P", P)
    steps = check_count("steps", steps, MAX_SAMPLES)
    batch_size = check_count("batch_size", batch_size, MAX_SIZE)
    lr = check_positive_real("lr", lr)
    n_val = check_count("n_val", n_val, MAX_SIZE)
    channels = check_count("channels", channels, MAX_SIZE)
    n_generate = check_count("n_generate", n_generate, MAX_SIZE)
    gen_steps = check_count("gen_steps", gen_steps, MAX_SIZE)
    n_eval = check_count("n_eval", n_eval, MAX_SIZE)
    threshold = check_positive_real("threshold", threshold)
    if n_levels is not None:
        n_levels = check_positive_int("n_levels", n_levels)
        check_allocation("n_levels", (max(P, n_val) * n_levels, grammar.s ** grammar.L))
    if out_dir is not None:
        out_dir = check_path("out_dir", out_dir)
    progress = check_bool("progress", progress)
    rng = check_rng(seed)
    torch.manual_seed(int(rng.integers(2**62)))
    v, L = grammar.v, grammar.L
    total = rhm.num_strings(v, grammar.m, grammar.s, L)
    if P + n_val > total:
        raise ValueError(f"P + n_val must be <= num_strings = {total}, got {P + n_val}")
    both = rhm.generate(grammar, P + n_val, distinct=True, seed=rng)
    train, val = both[:P], both[P:]
    schedule = rhm.keep_schedule(1000)

    def noisy_set(x):
        n_lev = n_levels or max(8, -(-4096 // x.shape[0]))
        t = rng.integers(1, len(schedule), size=(x.shape[0], n_lev))
        abar = schedule[t].ravel()
        clean = np.repeat(x, n_lev, axis=0)
        keep = rng.random(clean.shape) < abar[:, None]
        return (torch.tensor(np.where(keep, clean, rng.integers(0, v, clean.shape))),
                torch.tensor(abar), torch.tensor(clean))

    eval_train, eval_val = noisy_set(train), noisy_set(val)
    net = make_unet(v, grammar.s, L, channels)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    X = torch.tensor(train)
    sched_t = torch.tensor(schedule)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    eval_steps = np.unique(np.round(np.logspace(1, np.log10(steps), n_eval)).astype(int))
    hist = {"steps": [], "train_loss": [], "val_loss": [], "copy_fraction": [], "layer_errors": []}
    start = 0
    ckpt = None
    if out_dir is not None:
        import hashlib
        import io

        from memlab import __version__

        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer when out_dir is given (results are "
                             f"keyed on it), got {seed!r}")
        rules = hashlib.sha256(b"".join(np.ascontiguousarray(r, dtype=np.int64).tobytes()
                                        for r in grammar.rules)).hexdigest()[:16]
        settings = {"format": D3PM_FORMAT,
                    "grammar": {"v": v, "m": grammar.m, "s": grammar.s, "L": L,
                                "seed": grammar.seed, "rules_sha256": rules},
                    "P": P, "steps": steps, "batch_size": batch_size, "lr": float(lr),
                    "channels": channels, "n_val": n_val, "n_generate": n_generate,
                    "gen_steps": gen_steps, "n_eval": n_eval, "threshold": float(threshold),
                    "n_levels": n_levels, "schedule": "cosine, T = 1000", "seed": int(seed),
                    "memlab_version": __version__}
        key = settings_key(settings)
        stem = f"d3pm_P{P}_s{seed}_{key}"
        ckpt = Path(out_dir) / f"{stem}.pt"
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        if ckpt.exists():
            try:
                state = torch.load(ckpt, weights_only=True)
            except Exception as exc:               # unpickling errors of any kind
                raise ValueError(f"{ckpt} is not a readable checkpoint ({exc}); delete it or "
                                 "use another out_dir") from None
            if not isinstance(state, dict) or state.get("key") != key:
                raise ValueError(f"{ckpt} holds a checkpoint of other settings (key "
                                 f"{state.get('key') if isinstance(state, dict) else None!r}, "
                                 f"expected {key}); delete it or use another out_dir")
            net.load_state_dict(state["net"])
            opt.load_state_dict(state["opt"])
            gen.set_state(state["gen"])
            rng.bit_generator.state = json.loads(state["rng"])
            hist, start = state["hist"], state["step"]

    def loss_on(tokens, abar, clean):
        with torch.no_grad():
            out = []
            for i in range(0, tokens.shape[0], 4096):
                logits = net(tokens[i:i + 4096], abar[i:i + 4096])
                out.append(torch.nn.functional.cross_entropy(
                    logits.reshape(-1, v), clean[i:i + 4096].reshape(-1), reduction="sum"))
            return float(sum(out)) / clean.numel()

    def denoiser(x_t, abar):
        with torch.no_grad():
            logits = net(torch.tensor(x_t), torch.full((x_t.shape[0],), float(abar)))
            return torch.softmax(logits.double(), dim=-1).numpy()

    iterator = range(start, steps)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=f"D3PM P={P}", initial=start, total=steps)
    for step in iterator:
        idx = torch.randint(0, P, (batch_size,), generator=gen)
        x0 = X[idx]
        t = torch.randint(1, len(schedule), (batch_size,), generator=gen)
        abar = sched_t[t]
        keep = torch.rand(x0.shape, generator=gen, dtype=torch.float64) < abar[:, None]
        xt = torch.where(keep, x0, torch.randint(0, v, x0.shape, generator=gen))
        logits = net(xt, abar)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, v), x0.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step + 1 in eval_steps:
            net.eval()
            hist["steps"].append(step + 1)
            hist["train_loss"].append(loss_on(*eval_train))
            hist["val_loss"].append(loss_on(*eval_val))
            if not (np.isfinite(hist["train_loss"][-1]) and np.isfinite(hist["val_loss"][-1])):
                raise ValueError(f"lr = {lr!r} makes the training diverge (non-finite loss at "
                                 f"step {step + 1}); use a smaller lr")
            xs = rhm.reverse_sample(grammar, n_generate, gen_steps, denoiser=denoiser,
                                    seed=int(rng.integers(2**62)))
            hist["copy_fraction"].append(rhm.copy_fraction(xs, train))
            hist["layer_errors"].append(rhm.layer_error_fractions(grammar, xs).tolist())
            net.train()
            if ckpt is not None:
                buf = io.BytesIO()
                torch.save({"key": key, "net": net.state_dict(), "opt": opt.state_dict(),
                            "gen": gen.get_state(), "rng": json.dumps(rng.bit_generator.state),
                            "hist": hist, "step": step + 1}, buf)
                atomic_write(ckpt, buf.getvalue())
    st = np.array(hist["steps"], dtype=float)
    tr, va = np.array(hist["train_loss"]), np.array(hist["val_loss"])
    tau = memorization_onset(st, tr, va, threshold) if st.size >= 2 else float("nan")
    tau_min = float(st[np.argmin(va)]) if st.size else float("nan")
    run = D3PMRun(P, st, tr, va, np.array(hist["copy_fraction"]),
                  np.array(hist["layer_errors"]).reshape(-1, L), tau, tau_min, threshold,
                  batch_size, lr,
                  channels, int(seed) if isinstance(seed, int) else -1)
    if out_dir is not None:
        atomic_write(Path(out_dir) / f"{stem}.json",
                     json.dumps(dict(run.to_saved_dict(), format=D3PM_FORMAT, key=key,
                                     settings=settings, manifest=manifest(settings)), indent=1))
    return run


D3PM_FORMAT = "memlab-d3pm-v2"


TAU_DEFINITIONS = ("tau_mem", "tau_val_min", "tau_copy_onset", "tau_copy_half")


def _tau(run, which):
    if which == "tau_copy_onset":
        return run.tau_copy(0.1)
    if which == "tau_copy_half":
        return run.tau_copy(0.5)
    return getattr(run, which)


def tau_mem_scaling(runs, *, which="tau_mem", confidence=0.95):
    """Fit tau ~ P^beta over runs where it was reached (memlab.theory.metrics.fit_power_law).

    ``which``: "tau_mem" (loss-gap onset), "tau_val_min" (validation minimum),
    "tau_copy_onset" (copy fraction reaches 0.1) or "tau_copy_half" (0.5).
    """
    runs = check_instances("runs", runs, D3PMRun)
    which = check_choice("which", which, TAU_DEFINITIONS)
    ok = [r for r in runs if np.isfinite(_tau(r, which))]
    if len(ok) < 3:
        raise ValueError(f"runs must contain at least 3 runs with a finite {which}, got {len(ok)}")
    return fit_power_law([r.P for r in ok], [_tau(r, which) for r in ok], confidence=confidence)


def plot_training_curves(runs):
    """Train/validation loss, copy fraction and full-validity error against the step."""
    import matplotlib.pyplot as plt

    runs = check_instances("runs", runs, D3PMRun)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for i, r in enumerate(runs):
        c = plt.cm.viridis(i / max(1, len(runs) - 1) * 0.9)
        ax1.plot(r.steps, r.train_loss, "-", color=c, label=f"P={r.P} train")
        ax1.plot(r.steps, r.val_loss, "--", color=c, label=f"P={r.P} validation")
        if np.isfinite(r.tau_mem):
            ax1.axvline(r.tau_mem, color=c, lw=0.6, ls=":")
        ax2.plot(r.steps, r.copy_fraction, "-", color=c, label=f"P={r.P} copies")
        ax2.plot(r.steps, r.layer_errors[:, -1], "--", color=c, label=f"P={r.P} invalid")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("training step")
        ax.legend(fontsize=6)
    ax1.set_ylabel("cross-entropy per token (nats)")
    ax1.set_title("D3PM on the RHM: losses (dotted: tau_mem)")
    ax2.set_ylabel("fraction of generated strings")
    ax2.set_title("copies of the training set / invalid strings")
    fig.tight_layout()
    return fig


def plot_tau_vs_P(runs, fits=None):
    """Memorization times against P on log axes, one series per definition, with the
    fitted power laws (``fits``: dict definition -> PowerLawFit, or None)."""
    import matplotlib.pyplot as plt

    runs = check_instances("runs", runs, D3PMRun)
    fits = _check_fits(fits)

    labels = {"tau_mem": "loss-gap onset", "tau_val_min": "validation minimum",
              "tau_copy_onset": "copies reach 0.1", "tau_copy_half": "copies reach 0.5"}
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i, which in enumerate(TAU_DEFINITIONS):
        ok = [r for r in runs if np.isfinite(_tau(r, which))]
        if not ok:
            continue
        P = np.array([r.P for r in ok], dtype=float)
        color = plt.cm.tab10(i)
        ax.loglog(P, [_tau(r, which) for r in ok], "o", color=color, label=labels[which])
        fit = (fits or {}).get(which)
        if fit is not None:
            xs = np.geomspace(P.min(), P.max(), 50)
            ax.loglog(xs, fit.prefactor * xs**fit.exponent, "-", color=color,
                      label=f"  beta = {fit.exponent:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]")
    ax.set_xlabel("training strings P")
    ax.set_ylabel("memorization time (steps)")
    ax.set_title("D3PM on the RHM: tau_mem ~ P^beta")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _check_fits(fits) -> dict:
    """``fits`` of [`plot_tau_vs_P`][memlab.verification.training.rhm_d3pm.plot_tau_vs_P] and [`save_summary`][memlab.verification.training.rhm_d3pm.save_summary]: None (no fits) or a dict
    definition -> PowerLawFit."""
    if fits is None:
        return {}
    check_instance("fits", fits, dict)
    for k, f in fits.items():
        if k not in TAU_DEFINITIONS:
            raise ValueError(f"fits keys must be in {TAU_DEFINITIONS}, got {k!r}")
        check_instance(f"fits[{k!r}]", f, PowerLawFit)
    return fits


def save_summary(runs, fits, out_dir) -> list:
    """Write the summary of a series of runs into ``out_dir`` (``memlab train rhm --out``).

    Parameters
    ----------
    runs : sequence of D3PMRun
        The runs, e.g. one per training-set size P.
    fits : dict or None
        Definition (an entry of ``TAU_DEFINITIONS``) -> ``PowerLawFit`` from
        [`tau_mem_scaling`][memlab.verification.training.rhm_d3pm.tau_mem_scaling]; definitions without a fit are left out. None: no fits.
    out_dir : path
        Directory (created if missing).

    Returns
    -------
    list of pathlib.Path
        The three files written, in this order: ``d3pm_summary.json``
        (``{"runs": [D3PMRun.to_saved_dict() ...], "fits": {definition: fields of
        the fit}}``, indent 1; each run is rebuilt by
        [`D3PMRun.from_saved_dict`][memlab.verification.training.rhm_d3pm.D3PMRun.from_saved_dict]), ``d3pm_curves.png``
        ([`plot_training_curves`][memlab.verification.training.rhm_d3pm.plot_training_curves]) and ``d3pm_tau_vs_P.png``
        ([`plot_tau_vs_P`][memlab.verification.training.rhm_d3pm.plot_tau_vs_P]), both at 120 dpi.

    Raises
    ------
    ValueError
        If ``runs`` is empty or ``fits`` has a key outside ``TAU_DEFINITIONS``.
    TypeError
        If a run is not a D3PMRun or a fit not a PowerLawFit.
    """
    import matplotlib.pyplot as plt

    runs = check_instances("runs", runs, D3PMRun)
    fits = _check_fits(fits)
    out = Path(check_path("out_dir", out_dir))
    out.mkdir(parents=True, exist_ok=True)
    summary, curves, tau = (out / name for name in ("d3pm_summary.json", "d3pm_curves.png",
                                                   "d3pm_tau_vs_P.png"))
    with open(summary, "w") as fh:
        json.dump({"runs": [r.to_saved_dict() for r in runs],
                   "fits": {k: vars(f) for k, f in fits.items()}}, fh, indent=1)
    fig = plot_training_curves(runs)
    fig.savefig(curves, dpi=120)
    plt.close(fig)
    fig = plot_tau_vs_P(runs, fits)
    fig.savefig(tau, dpi=120)
    plt.close(fig)
    return [summary, curves, tau]
