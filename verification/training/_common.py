"""Helpers shared by the training modules: JSON conversion and the persistence of results
(settings keys, manifests, atomic writes)."""

import datetime
import hashlib
import json
import subprocess
from dataclasses import asdict
from pathlib import Path

import numpy as np

from memlab.verification._io import atomic_write  # noqa: F401  (re-exported for the training modules)


def dataclass_to_json(obj) -> dict:
    """A dataclass as a JSON-ready dict, numpy arrays turned into lists."""
    out = asdict(obj)
    for key, value in out.items():
        if isinstance(value, np.ndarray):
            out[key] = value.tolist()
    return out


def settings_key(settings) -> str:
    """Short SHA-256 (10 hex digits) of a JSON-ready settings dict (keys sorted)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


def git_revision():
    """The git revision of the source tree, or None when git or the repository is missing."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    rev = out.stdout.strip()
    return rev if out.returncode == 0 and rev else None


def manifest(settings) -> dict:
    """What produced a saved result: its settings, the memlab, Python, numpy and torch
    versions, torch's thread count, the git revision (None when unknown) and the date."""
    import platform
    import sys

    from memlab import __version__

    torch = sys.modules.get("torch")
    return {"settings": settings, "memlab_version": __version__, "git_revision": git_revision(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(), "numpy": np.__version__,
            "torch": getattr(torch, "__version__", None),
            "torch_threads": torch.get_num_threads() if torch is not None else None}


def read_json(path, what):
    """The JSON of ``path``; a ValueError naming the file and ``what`` it should hold if it
    does not parse."""
    try:
        return json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not a valid {what} file ({exc}); delete it or use "
                         "another out_dir") from None
