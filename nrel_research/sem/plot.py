"""Path diagrams of fitted models with matplotlib (lavaan/semPlot-style conventions).

Latent variables are ellipses in the upper row, their indicators rectangles below them; single
arrows are loadings and regressions, curved double-headed arrows covariances between latent
variables (or between observed variables not in a measurement block); labels are the
standardized (``std_all``) or raw estimates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import SpecificationError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_path_diagram"]


def _layout(est, model):
    lvs = list(model.lv_names)
    loads = est[est["op"] == "=~"]
    owner: dict[str, str] = {}
    for _, r in loads.iterrows():
        if r["rhs"] not in lvs:
            owner.setdefault(r["rhs"], r["lhs"])
    blocks = {lv: [v for v, o in owner.items() if o == lv] for lv in lvs}
    others = [v for v in model.ov_names if v not in owner]
    bottom: list[str] = []
    top_x: dict[str, float] = {}
    for lv in lvs:
        items = blocks[lv]
        start = len(bottom)
        bottom += items
        top_x[lv] = (start + len(bottom) - 1) / 2 if items else float(len(bottom))
        if not items:
            bottom.append("")
    pos = {v: (float(i), 0.0) for i, v in enumerate(bottom) if v}
    for lv in lvs:
        pos[lv] = (top_x[lv], 2.2)
    for k, v in enumerate(others):
        pos[v] = (-1.6, 2.2 - 1.1 * k)
    return pos, lvs, others


def plot_path_diagram(
    result,
    *,
    ax: Axes | None = None,
    what: str = "std_all",
    digits: int = 2,
    show_residuals: bool = True,
    group=None,
):
    """Draw the path diagram of a fitted model.

    Parameters
    ----------
    result : SEMResult
        A fitted model (``nrel_research.sem.fit``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure otherwise).
    what : {"std_all", "est"}, default "std_all"
        Which estimates label the arrows.
    digits : int, default 2
    show_residuals : bool, default True
        Label each indicator with its (standardized) residual variance.
    group : optional
        For a multiple-group fit (``fit(..., group=)``), the label of the group to draw
        (required there; one diagram per group).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6", hs)
    >>> ax = sem.plot_path_diagram(res)
    >>> sorted(t.get_text() for t in ax.texts)[:3]
    ['0.27', '0.27', '0.30']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

    if what not in ("std_all", "est"):
        raise SpecificationError(f"what={what!r} is not valid; use 'std_all' or 'est'.")
    est = result.estimates()
    labels = getattr(result, "group_labels", None)
    if labels is not None:
        if group is None or group not in labels:
            raise SpecificationError(
                f"group={group!r}: a multiple-group fit is drawn one group at a time; pass "
                f"group= one of {labels!r}."
            )
        est = est[est["group"].isin([group]) | (est["op"] == ":=")]
        est = est.drop(columns="group").reset_index(drop=True)
    elif group is not None:
        raise SpecificationError("group= is only meaningful for a multiple-group fit.")
    pos, lvs, others = _layout(est, result.model)
    if ax is None:
        width = max(6.0, 0.9 * (len(pos) - len(lvs)) + 2)
        _, ax = plt.subplots(figsize=(width, 4.2))
    fmt = f"{{:.{digits}f}}"
    lw, lh, bw, bh = 1.3, 0.75, 0.7, 0.5
    for name, (x, y) in pos.items():
        if name in lvs:
            ax.add_patch(Ellipse((x, y), lw, lh, fc="#e8f0fa", ec="#1f4e79", lw=1.4))
        else:
            ax.add_patch(
                Rectangle((x - bw / 2, y - bh / 2), bw, bh, fc="white", ec="#333333", lw=1.2)
            )
        ax.text(x, y, name, ha="center", va="center", fontsize=9, fontweight="bold")

    def edge(a, b):
        (xa, ya), (xb, yb) = pos[a], pos[b]
        return (xa, ya), (xb, yb)

    def shrink_for(name):
        return 18 if name in lvs else 12

    for _, r in est.iterrows():
        op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
        val = r[what]
        if lhs not in pos or rhs not in pos or not np.isfinite(val):
            continue
        label = fmt.format(val)
        if op in ("=~", "~"):
            src, dst = (lhs, rhs) if op == "=~" else (rhs, lhs)
            (xa, ya), (xb, yb) = edge(src, dst)
            arr = FancyArrowPatch(
                (xa, ya),
                (xb, yb),
                arrowstyle="-|>",
                mutation_scale=11,
                color="#1f4e79" if op == "=~" else "#a23b00",
                lw=1.1,
                shrinkA=shrink_for(src),
                shrinkB=shrink_for(dst),
                connectionstyle="arc3,rad=0.0" if op == "=~" else "arc3,rad=-0.25",
            )
            ax.add_patch(arr)
            t = 0.55 if op == "=~" else 0.5
            ax.text(
                xa + t * (xb - xa),
                ya + t * (yb - ya) + (0.18 if op == "~" else 0.0),
                label,
                fontsize=8,
                ha="center",
                va="center",
                bbox={"fc": "white", "ec": "none", "pad": 0.5},
            )
        elif op == "~~" and lhs != rhs:
            (xa, ya), (xb, yb) = edge(lhs, rhs)
            up = ya > 1
            arr = FancyArrowPatch(
                (xa, ya),
                (xb, yb),
                arrowstyle="<|-|>",
                mutation_scale=9,
                color="#555555",
                lw=0.9,
                shrinkA=shrink_for(lhs),
                shrinkB=shrink_for(rhs),
                connectionstyle=f"arc3,rad={-0.45 if up else 0.45}",
            )
            ax.add_patch(arr)
            bulge = 0.45 * np.hypot(xb - xa, yb - ya) / 2  # arc3 peak offset
            ax.text(
                (xa + xb) / 2,
                (ya + yb) / 2 + (bulge if up else -bulge),
                label,
                fontsize=8,
                ha="center",
                va="center",
                bbox={"fc": "white", "ec": "none", "pad": 0.5},
            )
        elif op == "~~" and show_residuals and lhs not in lvs and lhs not in others:
            x, y = pos[lhs]
            ax.annotate(
                label,
                xy=(x, y - bh / 2),
                xytext=(x, y - bh / 2 - 0.45),
                ha="center",
                va="top",
                fontsize=7.5,
                color="#555555",
                arrowprops={"arrowstyle": "-|>", "color": "#777777", "lw": 0.8},
            )
    xs = [p[0] for p in pos.values()]
    top = [pos[v][0] for v in lvs] or [0.0]
    ax.set_xlim(min(xs) - 0.9, max(xs) + 0.9)
    ax.set_ylim(-1.2, 2.2 + 0.225 * (max(top) - min(top)) + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    kind = "standardized (std.all)" if what == "std_all" else "unstandardized"
    ax.set_title(f"Path diagram, {kind} estimates", fontsize=10)
    return ax
