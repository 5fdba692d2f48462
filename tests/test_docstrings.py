"""Every public function, class and method has a numpydoc docstring: a summary, a Parameters
section naming each of its parameters, a Returns (or Yields) section when it returns
something, type hints on every parameter and on the return, and an Examples section for
module-level functions; no reST roles (the site renders Markdown)."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from memlab._inventory import modules

_ROLE = re.compile(r":(math|func|class|mod|meth|attr|data|obj|ref):`|\.\. math::")
# methods every result inherits from memlab._results.Result (documented there)
_INHERITED_OK = {"to_dict", "from_dict", "to_json", "from_json", "to_records", "to_frame",
                 "to_csv"}


def _public_callables():
    seen = set()
    for modname in modules():
        mod = importlib.import_module(modname)
        names = getattr(mod, "__all__", None)
        if names is None:
            continue
        for name in names:
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isfunction(obj):
                yield f"{modname}.{name}", obj, "function"
            elif inspect.isclass(obj):
                yield f"{modname}.{name}", obj, "class"
                for mname, member in vars(obj).items():
                    if mname.startswith("_") or mname in _INHERITED_OK:
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield f"{modname}.{name}.{mname}", member, "method"


CALLABLES = sorted(_public_callables(), key=lambda t: t[0])


def _params(func):
    sig = inspect.signature(func)
    return [p for p in sig.parameters.values() if p.name not in ("self", "cls")]


def _section(doc, title):
    return re.search(rf"^\s*{title}\n\s*-{{3,}}\s*$", doc, re.M) is not None


def problems(qualname, obj, kind):
    """What the docstring and signature of one public callable lack (a list of strings)."""
    out = []
    doc = inspect.getdoc(obj) or ""
    if not doc.strip():
        return ["no docstring"]
    if _ROLE.search(doc):
        out.append("reST role or math directive (use $...$ and [name][memlab.path])")
    if kind == "class":
        return out
    params = _params(obj)
    if params and not _section(doc, "Parameters"):
        out.append("no Parameters section")
    elif params:
        body = doc.split("Parameters", 1)[1]
        for p in params:
            name = p.name if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) else p.name
            # "name : type", or numpydoc's grouped form "x, name : type"
            if not re.search(rf"^\s*([\w*]+\s*,\s*)*\**{re.escape(name)}\b(\s*,\s*[\w*]+)*"
                             r"\s*(:|$)", body, re.M):
                out.append(f"parameter {name!r} not documented")
    sig = inspect.signature(obj)
    returns_something = sig.return_annotation not in (None, "None", inspect.Signature.empty)
    if sig.return_annotation is inspect.Signature.empty and not inspect.isgeneratorfunction(obj):
        out.append("no return type hint")
    if returns_something and not (_section(doc, "Returns") or _section(doc, "Yields")):
        out.append("no Returns section")
    for p in params:
        if p.annotation is inspect.Parameter.empty:
            out.append(f"parameter {p.name!r} has no type hint")
    if kind == "function" and not _section(doc, "Examples"):
        out.append("no Examples section")
    return out


@pytest.mark.parametrize("qualname,obj,kind", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_numpydoc_complete(qualname, obj, kind):
    assert problems(qualname, obj, kind) == []


if __name__ == "__main__":       # audit: python tests/test_docstrings.py [module prefix]
    import sys
    prefix = sys.argv[1] if len(sys.argv) > 1 else ""
    total = 0
    for q, o, k in CALLABLES:
        if q.startswith(prefix):
            p = problems(q, o, k)
            if p:
                total += 1
                print(f"{q}: {'; '.join(p)}")
    print(f"{total} of {sum(q.startswith(prefix) for q, _, _ in CALLABLES)} callables "
          "need work")
