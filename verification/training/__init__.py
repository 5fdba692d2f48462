"""Small PyTorch experiments (CPU is enough); torch is the optional ``train`` extra.

The modules import torch inside their functions, so that importing them (and
``memlab --help``) works without it.

Examples
--------
>>> from memlab._inventory import modules
>>> names = {m.rsplit(".", 1)[1] for m in modules("memlab.verification.training")[1:]}
>>> sorted({"gmm_denoiser", "image_denoiser", "pixel_diffusion", "rhm_d3pm", "score_net"} - names)
[]
"""
