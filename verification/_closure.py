"""Which memlab source files a piece of code depends on (private).

The report's cache keys and the sweep engine's task keys hash the code a check or an
experiment runs: its own source and every memlab module it imports, transitively. The
closure is found from the syntax trees, without importing anything: module-level and
function-level imports, the attributes read from imported names (``memlab.loss_gap``,
``rhm.generate``) and the packages' lazy exports (``_EXPORTS``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
from pathlib import Path

__all__ = ["closure", "imports", "module_file"]


def module_file(name):
    """The source file of memlab module ``name``, or None if ``name`` is not a module."""
    base = Path(importlib.import_module("memlab").__file__).parent
    parts = name.split(".")[1:]
    candidates = [base.joinpath(*parts, "__init__.py")]
    if parts:
        candidates.insert(0, base.joinpath(*parts).with_suffix(".py"))
    return next((c for c in candidates if c.is_file()), None)


def _dotted(node):
    """``a.b.c`` for an attribute chain on a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id] + parts[::-1]) if isinstance(node, ast.Name) else None


def imports(tree, package):
    """Dotted names a syntax tree uses: what it imports (function-local imports too), and
    the attributes it reads from imported names (``memlab.loss_gap``, ``rhm.generate``)."""
    bound, names, chains = {}, [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names.append(a.name)
                local = a.asname or a.name.split(".")[0]
                bound[local] = a.name if a.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            names.append(base)
            for a in node.names:
                names.append(f"{base}.{a.name}")
                bound[a.asname or a.name] = f"{base}.{a.name}"
        elif isinstance(node, ast.Attribute):
            chains.append(node)
    for node in chains:
        chain = _dotted(node)
        if chain and chain.split(".")[0] in bound:
            head, _, rest = chain.partition(".")
            names.append(f"{bound[head]}.{rest}")
    return names


@functools.lru_cache(maxsize=None)
def _file_imports(path, module, stamp):
    """`imports` of a source file, cached per (file, module, mtime and size)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return tuple(imports(ast.parse(path.read_text()), package))


@functools.lru_cache(maxsize=None)
def _lazy_exports(path):
    """The literal ``_EXPORTS`` (name -> submodule) of a package ``__init__.py``, or {}."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_EXPORTS"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _defining_module(name):
    """The memlab module that ``name`` is, or that defines the lazy export ``name`` names.

    ``memlab.theory.crossover_point`` (and ``memlab.crossover_point``: the top-level names
    are those of ``memlab.theory``) are loaded on first use through the package's
    ``_EXPORTS``, not by an import statement, so they are traced through that table.
    Other attributes need no lookup: whatever a module or package imports is followed
    from its own import statements. Nothing is imported.
    """
    if module_file(name) is not None:
        return name
    parent, _, attr = name.rpartition(".")
    if parent == "memlab":
        parent = "memlab.theory"
    path = module_file(parent)
    if path is None or path.name != "__init__.py":
        return None
    sub = _lazy_exports(path).get(attr)
    return f"{parent}.{sub}" if sub and module_file(f"{parent}.{sub}") else None


def closure(tree, module):
    """Source files of every memlab module the syntax tree (code of ``module``) depends on."""
    seen, files = set(), set()
    package = module if module_file(module).name == "__init__.py" else module.rpartition(".")[0]
    todo = [imports(tree, package)]
    while todo:
        for name in todo.pop():
            if name.split(".")[0] != "memlab" or name in seen:
                continue
            seen.add(name)
            for dep in {name, _defining_module(name)} - {None}:
                path = module_file(dep)
                if path is not None and path not in files:
                    files.add(path)
                    stat = path.stat()
                    todo.append(_file_imports(path, dep, (stat.st_mtime_ns, stat.st_size)))
    return sorted(files)
