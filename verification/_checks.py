"""Private argument checks of memlab.verification beyond `memlab._validation`.

``check_count`` (a positive integer with an upper bound, for sample counts and sizes
that reach a numba kernel or an allocation) and ``check_index`` are spelled for the
call sites here; ``check_device`` needs torch. Booleans and string options use
`memlab._validation.check_bool` and `memlab._validation.check_choice`.
"""

from __future__ import annotations

import numpy as np

from memlab._validation import check_bool, check_choice, check_positive_int

__all__ = ["check_count", "check_index", "check_bool", "check_choice", "check_device"]


def check_count(name: str, value, maximum: int, *, minimum: int = 1) -> int:
    """``check_positive_int`` with an upper bound: a ValueError naming ``name`` above ``maximum``."""
    return check_positive_int(name, value, minimum=minimum, maximum=maximum)


def check_index(name: str, value, size: int) -> int:
    """An integer index in [0, size): a TypeError for a non-integer, a ValueError out of range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer index, got {type(value).__name__}")
    ivalue = int(value)
    if not 0 <= ivalue < size:
        raise ValueError(f"{name} must be in [0, {size}), got {ivalue!r}")
    return ivalue


def check_device(name: str, value):
    """A torch device given as a str or ``torch.device``; a TypeError or ValueError otherwise."""
    import torch

    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be a str or torch.device, got {type(value).__name__}")
    try:
        return torch.device(value)
    except (RuntimeError, ValueError):
        raise ValueError(f"{name} must name a torch device, got {value!r}") from None
