"""How every memlab plot function gets its figure: the caller's Axes (``ax=``), the caller's
Figure (``fig=``, for multi-panel plots), or a new Figure that belongs to no pyplot state.

A plot function takes ``ax=None`` (one panel) or ``fig=None`` (several), draws, and
returns the Figure it drew on. A new Figure is a ``matplotlib.figure.Figure``, not a
pyplot figure: nothing is registered with pyplot, nothing needs closing, and a script
that makes many plots does not leak memory. ``fig.savefig`` works as usual; in a
notebook, display it with ``display(fig)`` or pass ``ax=`` from your own
``plt.subplots()``.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

__all__ = ["axes_for", "figure_for"]


def axes_for(ax, figsize=(6.0, 4.0)) -> tuple[Figure, Axes]:
    """The (figure, axes) to draw one panel on: ``ax`` and its figure, or a new pair.

    Raises
    ------
    TypeError
        If ``ax`` is neither None nor a matplotlib Axes.
    """
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.get_figure(root=True) if _has_root_kw() else ax.figure, ax


def figure_for(fig, figsize=(10.0, 4.0)) -> Figure:
    """The figure to draw a multi-panel plot on: ``fig`` (empty or not) or a new one.

    Raises
    ------
    TypeError
        If ``fig`` is neither None nor a matplotlib Figure or SubFigure.
    """
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    if not isinstance(fig, (Figure, SubFigure)):
        raise TypeError(f"fig must be a matplotlib Figure or None, got {type(fig).__name__}")
    return fig


def _has_root_kw() -> bool:
    import inspect
    try:
        return "root" in inspect.signature(Axes.get_figure).parameters
    except (TypeError, ValueError):          # pragma: no cover
        return False
