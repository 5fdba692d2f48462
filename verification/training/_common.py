"""Helpers shared by the training modules."""

from dataclasses import asdict

import numpy as np


def dataclass_to_json(obj) -> dict:
    """A dataclass as a JSON-ready dict, numpy arrays turned into lists."""
    out = asdict(obj)
    for key, value in out.items():
        if isinstance(value, np.ndarray):
            out[key] = value.tolist()
    return out
