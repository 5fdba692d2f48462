"""Small PyTorch experiments (CPU is enough); torch is the optional ``train`` extra.

The modules import torch inside their functions, so that importing them (and
``memlab --help``) works without it.

Examples
--------
>>> from memlab._inventory import modules
>>> modules("memlab.verification.training")[1:]
['memlab.verification.training.gmm_denoiser', 'memlab.verification.training.rhm_d3pm', 'memlab.verification.training.score_net']
"""
