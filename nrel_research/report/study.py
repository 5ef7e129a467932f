"""The study report: every table and figure of a :class:`~nrel_research.analysis.StudyResult`.

:func:`write_report` writes one self-contained HTML page (styles inline, figures embedded as
PNG) with the data-quality section, the measurement and structural models and the
propositions table, plus every table as CSV (``tables/``) and every figure as PNG and SVG
(``figures/``). It is what ``nrel report`` runs after :func:`nrel_research.analysis.run_study`.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from .. import sem
from .._version import __version__
from ..analysis.specification import CATEGORICAL_ESTIMATORS
from ..exceptions import NrelError
from .tables import BOUNDED, apa, fit_table, measurement_table, structural_table

__all__ = ["coefficient_plot", "study_tables", "write_report"]


def study_tables(study) -> dict[str, pd.DataFrame]:
    """Collect every table of a study, as tidy DataFrames of numbers.

    The analysis tables of ``study.tables`` (propositions, their paths, reliability, HTMT,
    data-quality summaries) plus the publication tables of the fitted models:
    ``fit`` (:func:`fit_table` of the measurement and structural models),
    ``measurement`` (:func:`measurement_table`) and ``structural``
    (:func:`structural_table`, each path with the proposition it tests).
    """
    out = dict(study.tables)
    out["fit"] = fit_table(
        {"measurement model": study.measurement, "structural model": study.structural}
    )
    out["measurement"] = measurement_table(
        study.measurement, reliability=study.tables.get("reliability")
    )
    out["structural"] = structural_table(study.structural, sources=study.spec.paths)
    return out


def coefficient_plot(
    table: pd.DataFrame,
    *,
    estimate: str = "beta",
    lower: str = "beta_ci_lower",
    upper: str = "beta_ci_upper",
    label=("lhs", "rhs"),
    hue: str | None = None,
    null: float | None = 0.0,
    logx: bool = False,
    ax=None,
):
    """Plot estimates with their confidence intervals, one row per path.

    Parameters
    ----------
    table : pandas.DataFrame
        E.g. the ``proposition_paths`` table of a study (standardized paths with
        delta-method CIs) or a multiple-group comparison with a ``group`` column.
    estimate, lower, upper : str
        Columns of the point estimate and the CI bounds.
    label : str or tuple of str
        Column(s) naming each row (``("lhs", "rhs")`` gives ``"lhs <- rhs"``).
    hue : str, optional
        A column whose values get separate colours (e.g. ``"proposition"`` or
        ``"group"``); rows sharing a label are drawn side by side.
    null : float or None, default 0.0
        The value of no effect, drawn as a dashed vertical line: 0 for coefficients, 1
        for ratios (incidence-rate or odds ratios); ``None`` draws no line.
    logx : bool, default False
        Draw the x axis on a log scale (for ratios, whose intervals are symmetric on the
        log scale; all values must then be > 0).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    need = [estimate, lower, upper, *([label] if isinstance(label, str) else label)]
    if hue:
        need.append(hue)
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise NrelError(f"coefficient_plot: the table has no column(s) {', '.join(missing)}.")
    if table.empty:
        raise NrelError("coefficient_plot: the table is empty; nothing to plot.")
    if logx:
        values = table[[estimate, lower, upper]].to_numpy(dtype=float)
        if not (values[np.isfinite(values)] > 0).all() or (null is not None and null <= 0):
            raise NrelError(
                f"coefficient_plot: logx=True needs {estimate}, {lower} and {upper} (and null) "
                "> 0; plot ratios (e.g. incidence-rate ratios with null=1), not log "
                "coefficients, on a log axis."
            )
    t = table.copy()
    if isinstance(label, str):
        t["_label"] = t[label].astype(str)
    else:
        t["_label"] = [" <- ".join(map(str, row)) for row in t[list(label)].itertuples(index=False)]
    labels = list(dict.fromkeys(t["_label"]))
    levels = list(dict.fromkeys(t[hue])) if hue else [None]
    # rows are dodged only when a label occurs under several hue levels (e.g. groups)
    dodge = bool(hue) and bool(t.groupby("_label")[hue].nunique().gt(1).any())
    height = max(2.5, 0.3 * len(labels) * (len(levels) if dodge else 1) ** 0.5 + 1.0)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, height))
    else:
        fig = ax.figure
    colours = plt.get_cmap("tab10")
    width = 0.8 / len(levels)
    for k, level in enumerate(levels):
        part = t if level is None else t[t[hue] == level]
        ys = np.array([labels.index(v) for v in part["_label"]], dtype=float)
        if dodge:
            ys = ys - 0.4 + width * (k + 0.5)
        est = part[estimate].to_numpy(float)
        err = np.vstack([est - part[lower].to_numpy(float), part[upper].to_numpy(float) - est])
        ax.errorbar(
            est,
            ys,
            xerr=err,
            fmt="o",
            color=colours(k % 10),
            capsize=2,
            markersize=4,
            label=None if level is None else str(level),
        )
    if null is not None:
        ax.axvline(float(null), color="0.5", linewidth=0.8, linestyle="--")
    if logx:
        ax.set_xscale("log")
        # plain tick labels (0.7, 1, 1.5, 2) rather than powers of ten
        ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1, 1.5, 2, 3, 5, 7)))
        ax.xaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"{estimate} with {lower.replace('_lower', '')} (95%)")
    if hue:
        ax.legend(title=hue, fontsize="small", loc="best")
    fig.tight_layout()
    return fig


_OPTIONAL_SECTIONS = [
    (
        "Network mediation (P6)",
        ["p6_indirect"],
        "Indirect effects of the action types on performance through the network dimensions "
        "(path model on scale scores, percentile bootstrap confidence intervals).",
    ),
    (
        "Group comparisons (P4 market type, P5 sector)",
        [
            "p4_test",
            "p4_paths",
            "p4_sizes",
            "p4_sizes_composite",
            "p4_invariance",
            "p4_partial",
            "p5_test",
            "p5_paths",
            "p5_sizes",
            "p5_sizes_composite",
            "p5_invariance",
            "p5_partial",
        ],
        "Equality of the action types -> marketing performance paths across groups, with the "
        "design the sample size allows (see the notes); parameters freed for partial "
        "invariance are exploratory.",
    ),
    (
        "Post-level engagement (P8)",
        ["p8_irr", "p8_dispersion", "p8_triangulation"],
        "Negative binomial (NB2) model of likes with estimated dispersion, log followers as a "
        "covariate, platform effects and firm-clustered standard errors; incidence-rate ratios "
        "relative to the reference action type.",
    ),
    (
        "Regressions on scale scores",
        ["regression_main", "regression_b2b", "regression_vif", "copula_endogeneity"],
        "OLS of marketing performance on action-type scale scores with controls and sector "
        "fixed effects (HC3 standard errors), with B2B interactions, and the Gaussian-copula "
        "sensitivity check of the action-type scores (Park & Gupta, 2012).",
    ),
    (
        "Common-method variance",
        ["cmv_marker_models", "cmv_method_variance", "cmv_harman"],
        "The CFA marker technique (Williams, Hartman & Cavazotte, 2010) is the main evidence; "
        "Harman's single-factor figure is a legacy figure only (Podsakoff et al., 2003).",
    ),
]


def _figure_html(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img alt='figure' src='data:image/png;base64,{data}' style='max-width:100%'>"


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}"
    "td,th{border:1px solid #bbb;padding:.2em .5em;text-align:right}"
    "th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}"
    ".note{background:#fff8e0;border-left:4px solid #e0b000;padding:.5em 1em}"
    "code,pre{background:#f6f6f6}pre{padding:.5em;overflow-x:auto}"
)


def _table_html(
    df: pd.DataFrame, *, formatted: bool = True, max_rows: int = 200, bounded=()
) -> str:
    if df is None or len(df) == 0:
        return "<p><em>(none)</em></p>"
    shown = df.head(max_rows)
    if formatted:
        shown = apa(shown, bounded=BOUNDED | set(bounded))
    body = shown.to_html(index=False, na_rep="", escape=True)
    more = (
        f"<p><em>{len(df) - max_rows} more rows in the CSV file.</em></p>"
        if len(df) > max_rows
        else ""
    )
    return body + more


def write_report(
    study,
    out_dir: str | PathLike[str],
    *,
    title: str = "N-REL study report",
    progress=None,
    draft_manuscript: bool = True,
) -> Path:
    """Write the study report: HTML page, tables as CSV, figures as PNG and SVG.

    Parameters
    ----------
    study : StudyResult
        From :func:`nrel_research.analysis.run_study`.
    out_dir : path
        Created if needed; existing files of the same names are replaced. Nothing is
        written anywhere else (the input data are never touched).
    title : str
    progress : callable, optional
        Called with a message per written part.
    draft_manuscript : bool, default True
        Also write the manuscript skeleton with its Results filled from this run's tables
        (``out_dir/manuscript/manuscript.md`` and ``.tex``, :func:`manuscript`).

    Returns
    -------
    pathlib.Path
        The HTML file (``out_dir/report.html``).
    """
    say = progress or (lambda _m: None)
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    tables = study_tables(study)
    say(f"writing {len(tables)} tables to {out / 'tables'}")
    for name, df in tables.items():
        df.to_csv(out / "tables" / f"{name}.csv", index=name == "htmt")

    figures = {}
    paths = tables.get("proposition_paths")
    if paths is not None and len(paths):
        figures["proposition_paths"] = coefficient_plot(paths, hue="proposition")
    for key in ("p4_paths", "p5_paths"):
        gp = tables.get(key)
        if gp is not None and len(gp) and "group" in gp.columns:
            figures[key] = coefficient_plot(
                gp.assign(lo=gp["est"] - 1.959964 * gp["se"], hi=gp["est"] + 1.959964 * gp["se"]),
                estimate="est",
                lower="lo",
                upper="hi",
                label=("lhs", "rhs"),
                hue="group",
            )
            figures[key].axes[0].set_xlabel("path estimate by group (95% Wald CI)")
    irr = tables.get("p8_irr")
    if irr is not None and len(irr):
        shown = irr[irr["term"] != "Intercept"] if "term" in irr.columns else irr
        if {"irr", "ci_lower", "ci_upper", "term"} <= set(shown.columns) and len(shown):
            figures["p8_irr"] = coefficient_plot(
                shown, estimate="irr", lower="ci_lower", upper="ci_upper", label="term"
            )
            figures["p8_irr"].axes[0].axvline(1.0, color="0.3", linewidth=0.8)
    ax = sem.plot_path_diagram(study.structural, show_residuals=False)
    figures["path_diagram"] = ax.figure
    say(f"writing {len(figures)} figures to {out / 'figures'}")
    fig_html = {}
    for name, fig in figures.items():
        fig.savefig(out / "figures" / f"{name}.png", dpi=150, bbox_inches="tight")
        fig.savefig(out / "figures" / f"{name}.svg", bbox_inches="tight")
        fig_html[name] = _figure_html(fig)
        plt.close(fig)

    e = html.escape
    fm = study.structural.fit_measures()
    props = tables["propositions"]
    show_props = props[
        [
            "proposition",
            "statement",
            "estimate_label",
            "estimate",
            "ci_lower",
            "ci_upper",
            "statistic",
            "df",
            "pvalue",
            "pvalue_adjusted",
            "verdict",
        ]
    ]
    rules = props.attrs.get("rules")
    c = study.cleaning
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>nrel_research {e(__version__)}; data: {e(str(study.settings.get('source')))}; "
        f"generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; seed "
        f"{e(str(study.settings.get('seed')))}.</p>",
        "<h2>1. Propositions</h2>",
        "<p>Verdicts by the pre-registered rules (<code>verdict_rules.yaml</code>; alpha = "
        f"{rules.alpha if rules else ''}, {e(rules.adjust_propositions) if rules else ''} "
        "adjustment across propositions). Estimates are standardized paths; the test is the "
        "joint Wald test of the proposition's paths.</p>",
        _table_html(show_props, bounded={"estimate", "ci_lower", "ci_upper"}),
    ]
    if rules is not None:
        parts.append("<ul>")
        for kind, verdicts in rules.verdicts.items():
            for v, text in verdicts:
                parts.append(f"<li><b>{e(kind)} / {e(v)}</b>: {e(text)}</li>")
        parts.append("</ul>")
    if "proposition_paths" in fig_html:
        parts += ["<h3>Paths by proposition</h3>", fig_html["proposition_paths"]]
        parts.append(_table_html(tables["proposition_paths"]))
    parts += [
        "<h2>2. Data quality</h2>",
        f"<p>Responses in: {c.rows_in}; after cleaning: {c.rows_out}; key informants "
        f"analysed: {len(study.data)}.</p>",
        "<h3>Cleaning steps</h3>",
        _table_html(tables["cleaning_steps"], formatted=False),
        "<h3>Validation problems</h3>",
        _table_html(tables["validation"], formatted=False),
    ]
    if c.mcar is not None:
        m = c.mcar
        parts.append(
            f"<p>Little's MCAR test: chi-square({m.df}) = {m.statistic:.2f}, p = "
            f"{m.p_value:.3g}.</p>"
        )
    parts += [
        "<h3>Early vs late respondents (nonresponse bias)</h3>",
        _table_html(tables["early_late"], formatted=False),
        "<h2>3. Measurement model</h2>",
        _table_html(tables["fit"].reset_index(names="model")),
        *(
            [
                "<h3>Fit assessment (Hu &amp; Bentler, 1999, cut-offs as flags)</h3>",
                _table_html(tables["fit_assessment"]),
            ]
            if "fit_assessment" in tables
            else []
        ),
        "<h3>Loadings, reliability and convergent validity</h3>",
        _table_html(tables["measurement"]),
        "<h3>Discriminant validity (HTMT)</h3>",
        tables["htmt"].round(2).to_html(na_rep=""),
        "<h2>4. Structural model</h2>",
        f"<p>{e(study.settings['estimator'])}, missing = {e(study.settings['missing'])}; "
        f"chi-square({int(fm['df'])}) = {fm['chisq']:.2f}; "
        + (
            # categorical estimators: the scaled-shifted test is the one to report
            f"scaled chi-square({fm['df_scaled']:.0f}) = {fm['chisq_scaled']:.2f}; "
            if str(study.settings["estimator"]).upper() in CATEGORICAL_ESTIMATORS
            else ""
        )
        + f"SRMR = {fm['srmr']:.3f}.</p>",
        _table_html(tables["structural"]),
        fig_html["path_diagram"],
        *(
            ["<h3>E7 within B2B and mixed firms</h3>", _table_html(tables["e7_paths"])]
            if "e7_paths" in tables
            else []
        ),
    ]
    section = 5
    for title, names, intro in _OPTIONAL_SECTIONS:
        present = [n for n in names if n in tables]
        if not present:
            continue
        parts.append(f"<h2>{section}. {e(title)}</h2><p>{e(intro)}</p>")
        for n in present:
            parts.append(f"<h3>{e(n)}</h3>")
            parts.append(_table_html(tables[n]))
            if n in fig_html:
                parts.append(fig_html[n])
        section += 1
    parts += [
        f"<h2>{section}. Notes</h2><div class='note'><ul>",
        *[f"<li>{e(n)}</li>" for n in study.notes],
        "</ul></div>",
        f"<h2>{section + 1}. Model syntax and settings</h2>",
        f"<pre>{e(study.spec.syntax)}</pre>",
        f"<pre>{e(repr(study.settings))}</pre>",
        "<p>Step times (s): "
        + ", ".join(f"{e(k)} {v:.1f}" for k, v in study.timings.items())
        + "</p>",
        "</body></html>",
    ]
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    if draft_manuscript:
        from .manuscript import manuscript

        slots = ("measurement", "fit", "structural", "p4_test", "p8_irr", "regression_main")
        m = manuscript(
            {k: tables[k] for k in slots if k in tables},
            out_dir=out / "manuscript",
            propositions=props[
                [
                    "proposition",
                    "estimate",
                    "ci_lower",
                    "ci_upper",
                    "statistic",
                    "df",
                    "pvalue_adjusted",
                    "verdict",
                ]
            ],
        )
        say(f"manuscript draft written to {m.paths[0].parent}")
    say(f"report written to {path}")
    return path
