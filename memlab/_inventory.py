"""What the package has: its modules, found on disk (one place for every list of them).

The doctest run, the docs-coverage test, the wheel test and the report's coverage
test call `modules` rather than keeping lists of their own, so a new module is
picked up by each of them once its file exists. (The report's cache keys follow
each check's imports instead; see [`memlab.verification.report`][memlab.verification.report].)
"""

from __future__ import annotations

import pkgutil


def modules(package: str = "memlab", *, private: bool = False) -> list:
    """Dotted names of ``package`` and of every module below it, sorted.

    A module or package whose own name starts with ``_`` (``_validation``,
    ``__main__``) is left out unless ``private`` is true; ``__main__`` is always
    left out, since importing it runs the command line. Subpackages are imported
    to find their contents; plain modules are not.
    """
    import importlib

    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf == "__main__":
            continue
        if not private and any(part.startswith("_") for part in info.name.split(".")):
            continue
        names.append(info.name)
    return sorted(names)
