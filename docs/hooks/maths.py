"""mkdocs hook: render the site's LaTeX maths as MathML when the site is built.

``pymdownx.arithmatex`` (generic mode) wraps every formula of the narrative pages and of
the docstrings in ``<span class="arithmatex">\\(...\\)</span>`` (inline) or
``<div class="arithmatex">\\[...\\]</div>`` (display). This hook replaces each one by
MathML (``latex2mathml``), which browsers render natively: the site needs no JavaScript
and no network to show its maths. A formula that cannot be converted fails the build.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def _mathml(tex: str, display: str, page) -> str:
    tex = html.unescape(tex).strip()
    try:
        out = convert(tex, display=display)
    except Exception as exc:       # noqa: BLE001 - any failure is a broken formula
        raise ValueError(f"{page.file.src_path}: cannot render the formula {tex!r}: {exc}")
    return out


def on_page_content(content: str, page, config, files) -> str:
    content = _BLOCK.sub(lambda m: '<div class="math-display">'
                         + _mathml(m.group(1), "block", page) + "</div>", content)
    return _INLINE.sub(lambda m: _mathml(m.group(1), "inline", page), content)
