"""Private file helpers of memlab.verification: writes that readers never see half-done."""

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


def _file_mode() -> int:
    """Permissions of a file created with ``open(path, "w")``: 0o666 less the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


#: Read once at import: changing the umask is process-wide, so it is not done per write.
_FILE_MODE = _file_mode()


def atomic_write(path, data) -> None:
    """Write ``data`` (str or bytes) through a temporary file in the same directory and
    `os.replace`, so that an interrupted write never leaves a partial file.

    The file gets the permissions an ordinary ``open(path, "w")`` would give it (0o666
    less the umask), not the owner-only 0o600 of the temporary file.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
