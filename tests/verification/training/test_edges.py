"""Argument checks of memlab.verification.training: bad calls raise before any training."""

import numpy as np
import pytest

pytest.importorskip("torch")

from memlab.theory import rhm  # noqa: E402
from memlab.verification.training import gmm_denoiser as tg  # noqa: E402
from memlab.verification.training import rhm_d3pm as td  # noqa: E402
from memlab.verification.training import score_net as ts  # noqa: E402

G = rhm.sample_grammar(3, 2, 2, 2, seed=7)
TRAIN = np.random.default_rng(0).standard_normal((10, 3))

BAD = [
    ("train not finite", lambda: tg.train_gmm_denoiser(np.full((4, 2), np.nan), 2), ValueError,
     "train"),
    ("M_values not a sequence", lambda: tg.train_gmm_denoisers(TRAIN, 3), TypeError, "M_values"),
    ("n_noise too large", lambda: tg.train_gmm_denoiser(TRAIN, 2, n_noise=10**9), ValueError,
     "n_noise"),
    ("beta2 1", lambda: tg.train_gmm_denoiser(TRAIN, 2, beta2=1.0), ValueError, "beta2"),
    ("init_variance 0", lambda: tg.train_gmm_denoiser(TRAIN, 2, init_variance=0.0), ValueError,
     "init_variance"),
    ("progress not bool", lambda: tg.train_gmm_denoiser(TRAIN, 2, progress="no"), TypeError,
     "progress"),
    ("lr 0", lambda: tg.train_gmm_denoiser(TRAIN, 2, lr=0.0), ValueError, "lr"),
    ("ddim n_samples", lambda: tg.ddim_sample(np.zeros((2, 3)), 1.0, 10**9), ValueError,
     "n_samples"),
    ("ddim sigma2", lambda: tg.ddim_sample(np.zeros((2, 3)), -1.0, 4), ValueError, "sigma2"),
    ("ddim means", lambda: tg.ddim_sample(np.zeros(3), 1.0, 4), ValueError, "means"),
    ("sweep K > N", lambda: tg.memorization_sweep(4, 2, 5), ValueError, "K"),
    ("unet channels", lambda: td.make_unet(3, 2, 2, channels=0), ValueError, "channels"),
    ("unet v", lambda: td.make_unet(1, 2, 2), ValueError, "v"),
    ("d3pm grammar", lambda: td.train_d3pm("g", 8), TypeError, "grammar"),
    ("d3pm batch_size", lambda: td.train_d3pm(G, 8, batch_size=10**9), ValueError, "batch_size"),
    ("d3pm progress", lambda: td.train_d3pm(G, 8, progress=None), TypeError, "progress"),
    ("score width", lambda: ts.train_score_network(4, 0.1, 2, width=10**9), ValueError, "width"),
    ("score eval_every", lambda: ts.train_score_network(4, 0.1, 2, eval_every=0), ValueError,
     "eval_every"),
    ("score device type", lambda: ts.train_score_network(4, 0.1, 2, device=3), TypeError,
     "device"),
    ("score device name", lambda: ts.train_score_network(4, 0.1, 2, device="gpu0"), ValueError,
     "device"),
    ("score parametrisation", lambda: ts.train_score_network(4, 0.1, 2, parametrisation="sp"),
     ValueError, "parametrisation"),
    ("score batch_size", lambda: ts.train_score_network(4, 0.1, 2, m=2, batch_size=9), ValueError,
     "batch_size"),
]


@pytest.mark.parametrize("call, exc, name", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_call_names_its_argument(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith(name + " "), str(info.value)
