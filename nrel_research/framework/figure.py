"""Draw the N-REL framework (strategy → tactics → actions → feedback) with matplotlib.

The figure is built from the framework data, so it never drifts from the taxonomy. No
Graphviz binary is needed.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .model import Framework

__all__ = ["draw_framework"]

# Colour-blind-safe colours (seaborn "colorblind" palette) per category.
_CATEGORY_COLOURS = {"R": "#0173B2", "E": "#DE8F05", "L": "#029E73"}
_NEUTRAL = "#4D4D4D"


def _box(ax, x, y, w, h, *, face, edge=_NEUTRAL, style="round,pad=0.4", ls="-", lw=1.2):
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch(
        (x, y),
        w,
        h,
        boxstyle=style,
        facecolor=face,
        edgecolor=edge,
        linewidth=lw,
        linestyle=ls,
    )
    ax.add_patch(patch)
    return patch


def _arrow(ax, start, end, *, colour=_NEUTRAL, rad=0.0, text=None, lw=1.6):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": colour,
            "lw": lw,
            "connectionstyle": f"arc3,rad={rad}",
            "shrinkA": 2,
            "shrinkB": 2,
        },
    )
    if text:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx + 1, my, text, fontsize=8, color=colour, va="center", style="italic")


def draw_framework(fw: Framework | None = None, ax: Axes | None = None) -> Axes:
    """Draw the N-REL framework as a flow figure.

    Strategic decisions lead to tactical plans and to the three categories of strategic
    actions (Representation, Engagement, Listening, with their action types), carried
    out on the brand network whose four structural dimensions are shown beneath; a
    feedback arrow returns from Listening to the strategic decisions, and the
    out-of-scope spanning activities are shown dashed. After Figure 2 and Figure 3 of
    Ananda, Hernández-García & Lamberti (2016).

    Parameters
    ----------
    fw : Framework, optional
        The framework to draw; by default the bundled one (:func:`load`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 13 x 9 inch figure is created if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the drawing (``ax.figure`` to save it).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from nrel_research.framework import draw_framework
    >>> ax = draw_framework()
    >>> len(ax.patches) >= 10
    True
    """
    import matplotlib.pyplot as plt

    if fw is None:
        from . import load

        fw = load()
    if ax is None:
        _, ax = plt.subplots(figsize=(13, 9))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_axis_off()

    # 1. Strategic decisions.
    _box(ax, 4, 84, 78, 12, face="#F2F2F2")
    ax.text(6, 93.5, "1  Strategic decisions", fontsize=11, weight="bold", va="center")
    n = len(fw.strategic_decisions)
    width = 74 / n
    for i, d in enumerate(fw.strategic_decisions):
        x = 6 + i * width
        _box(ax, x, 85.2, width - 2.5, 5.6, face="white", style="round,pad=0.2", lw=0.8)
        ax.text(
            x + (width - 2.5) / 2,
            88,
            "\n".join(textwrap.wrap(d.name, 30)),
            ha="center",
            va="center",
            fontsize=8.5,
        )

    # 2. Tactical plans.
    _box(ax, 4, 71, 78, 7, face="#F2F2F2")
    ax.text(
        6,
        76.6,
        "2  " + "Tactical plans (operationalisation)",
        fontsize=11,
        weight="bold",
        va="center",
    )
    ax.text(6, 73.0, "\n".join(textwrap.wrap(fw.tactics, 125)[:2]), fontsize=8, va="center")
    _arrow(ax, (43, 83.4), (43, 78.6))

    # 3. Strategic actions by category.
    _box(ax, 4, 28, 78, 37, face="#FAFAFA")
    ax.text(
        6, 62.5, "3  Strategic actions (N-REL taxonomy)", fontsize=11, weight="bold", va="center"
    )
    _arrow(ax, (43, 70.4), (43, 65.6))
    widths = {c.code: max(len(fw.actions_in(c.code)), 3) for c in fw.categories}
    total = sum(widths.values())
    x = 6.0
    category_anchor = {}
    for cat in fw.categories:
        colour = _CATEGORY_COLOURS.get(cat.code, _NEUTRAL)
        w = 74 * widths[cat.code] / total - 2
        _box(ax, x, 30, w, 29, face=colour + "22", edge=colour, lw=1.6)
        ax.text(
            x + w / 2,
            57,
            cat.name,
            ha="center",
            va="center",
            fontsize=10.5,
            weight="bold",
            color=colour,
        )
        ax.text(
            x + w / 2,
            54.2,
            f"{cat.process.replace('_', '-')} · {cat.approach}",
            ha="center",
            va="center",
            fontsize=8,
            color=colour,
            style="italic",
        )
        actions = fw.actions_in(cat.code)
        chars = max(int((w - 2) * 1.6), 12)
        y = 51.0
        for a in actions:
            label = f"{a.code}  {a.name}" + ("  (B2B)" if a.b2b_only else "")
            lines = textwrap.wrap(label, chars, subsequent_indent="     ")
            ax.text(x + 1, y, "\n".join(lines), fontsize=8, va="top")
            y -= 2.4 * len(lines) + (0.5 if len(actions) > 3 else 2.0)
        category_anchor[cat.code] = (x + w / 2, x + w)
        x += w + 2

    # Network (N) beneath the actions.
    _box(ax, 4, 6, 78, 16, face="#EEF3F8", edge="#5A7FA6")
    ax.text(
        6,
        19.5,
        "N  Brand network structure (the actions run on it)",
        fontsize=11,
        weight="bold",
        va="center",
        color="#2F4F73",
    )
    m = len(fw.network_dimensions)
    width = 74 / m
    for i, dim in enumerate(fw.network_dimensions):
        xx = 6 + i * width
        _box(
            ax, xx, 7.3, width - 2.5, 9, face="white", edge="#5A7FA6", style="round,pad=0.2", lw=0.8
        )
        ax.text(
            xx + (width - 2.5) / 2,
            14.5,
            dim.name,
            ha="center",
            va="center",
            fontsize=9,
            weight="bold",
            color="#2F4F73",
        )
        measures = ", ".join(mm.name.split(" (")[0] for mm in dim.measures)
        ax.text(
            xx + (width - 2.5) / 2,
            10.5,
            "\n".join(textwrap.wrap(measures, 28)),
            ha="center",
            va="center",
            fontsize=7.2,
        )
    _arrow(ax, (43, 27.4), (43, 22.6))
    _arrow(ax, (30, 22.6), (30, 27.4))

    # 4. Feedback loop from Listening back to the strategic decisions.
    listen_code = next((c.code for c in fw.categories if c.name == "Listening"), None)
    if listen_code:
        lx = category_anchor[listen_code][1]
        _arrow(ax, (lx + 1.5, 45), (83.5, 90), colour=_CATEGORY_COLOURS["L"], rad=0.2, lw=2.0)
        ax.text(
            89,
            66,
            "4  Feedback:\nmarket\nintelligence\ninforms\nstrategy",
            fontsize=9,
            color=_CATEGORY_COLOURS["L"],
            weight="bold",
            va="center",
        )

    # Spanning activities (outside the taxonomy).
    _box(ax, 85, 20, 13, 26, face="white", edge="#999999", ls="--")
    ax.text(
        91.5,
        43,
        "Spanning\n(outside N-REL)",
        ha="center",
        va="center",
        fontsize=8.5,
        color="#666666",
        weight="bold",
    )
    for k, s in enumerate(fw.spanning_activities):
        ax.text(
            91.5,
            36 - k * 8,
            "\n".join(textwrap.wrap(s.name, 16)),
            ha="center",
            va="center",
            fontsize=8,
            color="#666666",
        )

    ref = fw.reference(fw.source)
    ax.set_title(
        f"The {fw.name} framework of social media marketing strategic actions "
        f"({ref.authors[0].split(',')[0]} et al., {ref.year})",
        fontsize=13,
        weight="bold",
    )
    return ax
