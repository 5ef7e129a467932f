"""A manuscript skeleton of an empirical N-REL study, in Markdown and standalone LaTeX.

:func:`manuscript` writes ``manuscript.md`` and ``manuscript.tex`` with the usual structure
of an empirical marketing paper: Introduction, Theoretical background (the N-REL categories,
action types and network dimensions, generated from the framework file), Hypotheses (the
framework's propositions P1-P8), Method (sample, measures from the item bank, analysis),
Results (filled from the tables of a run: measurement model, fit, structural paths,
propositions), Discussion, Limitations and References (resolved from
:mod:`.bibliography`). Text the authors must write is marked ``[Author text: ...]``; a table
a run did not produce is marked ``[table not produced by this run]`` -- the skeleton never
invents a number. Tables are formatted with :func:`.tables.apa`; the LaTeX file needs only
``booktabs``, ``longtable``, ``natbib`` and ``hyperref`` and carries its own reference list
(``thebibliography``), so ``pdflatex manuscript.tex`` (twice) builds it without BibTeX or
pandoc; ``papers/references.bib`` holds the same works for authors who switch to BibTeX.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..exceptions import NrelError
from .bibliography import bib_entries, cite, latex_escape
from .tables import apa

__all__ = ["MISSING_TABLE", "TABLE_SLOTS", "Manuscript", "manuscript", "render_manuscript"]

#: The marker written where a run did not produce a table.
MISSING_TABLE = "[table not produced by this run]"

#: The Results tables the skeleton expects, in order: key -> (caption, what produces it).
TABLE_SLOTS = {
    "measurement": (
        "Measurement model: standardized loadings, reliability and convergent validity",
        "nrel_research.report.measurement_table(result)",
    ),
    "fit": ("Model fit", "nrel_research.report.fit_table({name: result})"),
    "structural": (
        "Structural paths (unstandardized and standardized estimates, 95% CIs)",
        "nrel_research.report.structural_table(result, sources=spec.paths)",
    ),
    "propositions": (
        "Propositions P1-P8: estimates, confidence intervals, p-values and verdicts",
        "the propositions table of nrel_research.analysis",
    ),
}

# Display names of the tidy columns (Markdown, LaTeX).
_HEADERS = {
    "construct": ("Construct", "Construct"),
    "indicator": ("Indicator", "Indicator"),
    "loading": ("λ (std.)", r"$\lambda$ (std.)"),
    "estimate": ("B", "$B$"),
    "se": ("SE", "$SE$"),
    "z": ("z", "$z$"),
    "pvalue": ("p", "$p$"),
    "pvalue_adjusted": ("p (adj.)", "$p$ (adj.)"),
    "ci_lower": ("95% CI lower", r"95\% CI lower"),
    "ci_upper": ("95% CI upper", r"95\% CI upper"),
    "beta": ("β", r"$\beta$"),
    "alpha": ("\u03b1", r"$\alpha$"),
    "cr": ("CR", "CR"),
    "ave": ("AVE", "AVE"),
    "outcome": ("Outcome", "Outcome"),
    "predictor": ("Predictor", "Predictor"),
    "source": ("Tests", "Tests"),
    "ntotal": ("N", "$N$"),
    "npar": ("Parameters", "Parameters"),
    "chisq": ("χ²", r"$\chi^2$"),
    "df": ("df", "$df$"),
    "chisq_scaled": ("χ² (scaled)", r"$\chi^2$ (scaled)"),
    "chisq_scaling_factor": ("Scaling factor", "Scaling factor"),
    "pvalue_scaled": ("p (scaled)", "$p$ (scaled)"),
    "cfi": ("CFI", "CFI"),
    "tli": ("TLI", "TLI"),
    "rmsea": ("RMSEA", "RMSEA"),
    "rmsea_ci_lower": ("RMSEA 90% CI lower", r"RMSEA 90\% CI lower"),
    "rmsea_ci_upper": ("RMSEA 90% CI upper", r"RMSEA 90\% CI upper"),
    "srmr": ("SRMR", "SRMR"),
    "cfi_robust": ("CFI (robust)", "CFI (robust)"),
    "tli_robust": ("TLI (robust)", "TLI (robust)"),
    "rmsea_robust": ("RMSEA (robust)", "RMSEA (robust)"),
    "aic": ("AIC", "AIC"),
    "bic": ("BIC", "BIC"),
}
_LONG = 25  # tables with more rows become longtables in LaTeX
_WRAP, _WRAP_WIDTH = 30, "4.2cm"  # text columns with longer cells wrap in LaTeX


@dataclass(frozen=True)
class Manuscript:
    """A rendered manuscript: the Markdown and LaTeX texts, and what was missing."""

    markdown: str
    latex: str
    cited: tuple[str, ...]
    missing_tables: tuple[str, ...]
    paths: tuple[Path, ...] = ()


# -- building blocks: a tiny document model rendered twice --------------------------------


@dataclass(frozen=True)
class _Block:
    kind: str  # "abstract", "h1", "h2", "p", "ul", "table", "missing"
    content: object
    caption: str = ""


def _drop_empty(df: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in df.columns if not df[c].isna().all()]
    return df[keep]


def _format_table(df: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise NrelError(
            f"tables values must be DataFrames (e.g. measurement_table(result)), got "
            f"{type(df).__name__}."
        )
    return apa(_drop_empty(df))


def _display(key: str, table: pd.DataFrame) -> pd.DataFrame:
    """Format a Results table for display (APA numbers; fit statistics as rows)."""
    shown = _format_table(table)
    if key == "structural":  # lavaan operator and labels only when they carry information
        for col in ("op", "label"):
            if col in shown.columns and shown[col].isin(["~", ""]).all():
                shown = shown.drop(columns=col)
    if key == "fit":  # models as columns, statistics as rows (APA fit tables are tall)
        shown = pd.DataFrame(shown).T
        shown.columns = [str(c) for c in shown.columns]
    return shown


def _show_index(df: pd.DataFrame) -> bool:
    return not isinstance(df.index, pd.RangeIndex)


def _md_inline(text: str) -> str:
    return text.replace("|", "\\|")


def _tex_inline(text: str) -> str:
    """Escape text for LaTeX but keep **bold**/*italic* Markdown as LaTeX markup."""
    parts = re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*|\\cite[pt]\{[a-z0-9_,]+\})", text)
    out = []
    for part in parts:
        if part.startswith("\\cite"):
            out.append(part)
        elif part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append("\\textbf{" + latex_escape(part[2:-2]) + "}")
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            out.append("\\emph{" + latex_escape(part[1:-1]) + "}")
        else:
            out.append(latex_escape(part))
    return "".join(out)


def _render_md(blocks: Sequence[_Block], title: str, authors: Sequence[str]) -> str:
    lines = [f"# {title}", "", "_" + ", ".join(authors) + "_", ""]
    n_table = 0
    for b in blocks:
        if b.kind == "abstract":
            lines += ["## Abstract", "", str(b.content), ""]
        elif b.kind == "h1":
            lines += [f"## {b.content}", ""]
        elif b.kind == "h2":
            lines += [f"### {b.content}", ""]
        elif b.kind == "p":
            lines += [str(b.content), ""]
        elif b.kind == "ul":
            lines += [f"- {item}" for item in b.content] + [""]
        elif b.kind in ("table", "missing"):
            n_table += 1
            lines += [f"**Table {n_table}.** *{b.caption}*", ""]
            if b.kind == "missing":
                lines += [f"> {MISSING_TABLE}: {b.content}", ""]
            else:
                df = b.content
                shown = pd.DataFrame(df).map(lambda v: _md_inline(str(v)))
                shown.columns = [_HEADERS.get(c, (c, c))[0] for c in df.columns]
                if _show_index(df):
                    shown.index = [_HEADERS.get(i, (i, i))[0] for i in df.index]
                text = shown.to_markdown(index=_show_index(df), disable_numparse=True)
                lines += [text, ""]
    return "\n".join(lines).rstrip() + "\n"


def _tex_table(df: pd.DataFrame, caption: str, label: str) -> str:
    shown = df.copy()
    shown.columns = [_HEADERS.get(c, (None, latex_escape(str(c))))[1] for c in df.columns]
    shown = shown.map(lambda v: latex_escape(str(v)))
    if _show_index(df):
        shown.index = [_HEADERS.get(i, (None, latex_escape(str(i))))[1] for i in df.index]

    def fmt(col) -> str:
        values = [str(v) for v in df[col]]
        if all(re.fullmatch(r"[-<>=. 0-9]*", v) for v in values):
            return "r"
        if max(map(len, values), default=0) > _WRAP:  # long text wraps in a fixed width
            return r">{\raggedright\arraybackslash}p{" + _WRAP_WIDTH + "}"
        return "l"

    align = ("l" if _show_index(df) else "") + "".join(fmt(c) for c in df.columns)
    long = len(df) > _LONG
    body = shown.to_latex(
        index=_show_index(df),
        escape=False,
        column_format=align,
        longtable=long,
        caption=latex_escape(caption),
        label=label,
        position=None if long else "htbp",
    )
    if not long:  # wide tables: scale down rather than overflow the margin
        body = body.replace("\\begin{tabular}", "\\small\n\\begin{tabular}", 1)
    return body


def _render_tex(
    blocks: Sequence[_Block], title: str, authors: Sequence[str], bib: Sequence[str]
) -> str:
    head = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[utf8]{inputenc}",
        r"\IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}",
        r"\usepackage[margin=2.5cm]{geometry}",
        r"\usepackage{booktabs}",
        r"\usepackage{array}",
        r"\usepackage{longtable}",
        r"\usepackage[round,authoryear]{natbib}",
        r"\usepackage{url}",
        r"\usepackage[hidelinks]{hyperref}",
        "",
        r"\title{" + latex_escape(title) + "}",
        r"\author{" + r" \and ".join(latex_escape(a) for a in authors) + "}",
        r"\date{}",
        "",
        r"\begin{document}",
        r"\maketitle",
        "",
    ]
    out = list(head)
    n_table = 0
    for b in blocks:
        if b.kind == "abstract":
            out += [r"\begin{abstract}", _tex_inline(str(b.content)), r"\end{abstract}", ""]
        elif b.kind == "h1":
            out += [r"\section{" + latex_escape(str(b.content)) + "}", ""]
        elif b.kind == "h2":
            out += [r"\subsection{" + latex_escape(str(b.content)) + "}", ""]
        elif b.kind == "p":
            out += [_tex_inline(str(b.content)), ""]
        elif b.kind == "ul":
            out += [r"\begin{itemize}"]
            out += [r"  \item " + _tex_inline(str(i)) for i in b.content]
            out += [r"\end{itemize}", ""]
        elif b.kind == "missing":
            n_table += 1
            out += [
                r"\begin{table}[htbp]",
                r"\centering",
                r"\caption{" + latex_escape(b.caption) + "}",
                r"\fbox{\parbox{0.9\linewidth}{\centering "
                + latex_escape(f"{MISSING_TABLE}: {b.content}")
                + "}}",
                r"\end{table}",
                "",
            ]
        elif b.kind == "table":
            n_table += 1
            out += [_tex_table(b.content, b.caption, f"tab:{n_table}"), ""]
    entries = bib_entries()
    out += [r"\begin{thebibliography}{" + str(len(bib)) + "}", ""]
    for key in bib:
        e = entries[key]
        s = e.surnames
        short = s[0] if len(s) == 1 else (f"{s[0]} and {s[1]}" if len(s) == 2 else f"{s[0]} et al.")
        label = f"{latex_escape(short)}({e.year_label})"
        out += [r"\bibitem[" + label + "]{" + key + "}", e.apa("latex"), ""]
    out += [r"\end{thebibliography}", "", r"\end{document}", ""]
    return "\n".join(out)


# -- content -----------------------------------------------------------------------------


def _author(text: str) -> str:
    return f"[Author text: {text}]"


def _framework_blocks(fw) -> list[_Block]:
    cats = fw.to_frame("categories")
    actions = fw.to_frame("actions")
    nets = fw.to_frame("network")
    blocks = [
        _Block("h1", "Theoretical background"),
        _Block(
            "p",
            "N-REL {cite:ananda2016} classifies the strategic actions a firm takes in social "
            "media marketing into three categories carried out on the brand's network (N): "
            "Representation, Engagement and Listening. Strategic decisions (segmentation, "
            "targeting and positioning; positioning through the marketing mix; the social media "
            "mix) lead to tactical plans carried out as these actions; listening feeds market "
            "intelligence back into the decisions {cite:slater_olson2001}. Representation is an "
            "inside-out, mostly transactional activity; Engagement and Listening are outside-in "
            "and relational {cite:day1994,hult2011}.",
        ),
        _Block("h2", "Categories and action types"),
        _Block(
            "ul",
            [
                f"**{r.name}** ({r.code}; {r.process.replace('_', '-')}, {r.approach}): "
                f"{r.definition}"
                for r in cats.itertuples()
            ],
        ),
    ]
    tab = pd.DataFrame(
        {
            "Code": actions["code"],
            "Action type": actions["name"],
            "Category": actions["category_name"],
            "B2B only": actions["b2b_only"].map({True: "yes", False: "no"}),
        }
    )
    blocks.append(_Block("table", tab, "The N-REL action types (from the framework file)"))
    dims = []
    for _, g in nets.groupby("dimension", sort=False):
        dims.append(f"**{g['dimension_name'].iloc[0]}**: " + ", ".join(g["measure_name"]).lower())
    blocks += [
        _Block(
            "p",
            "The brand network has four structural dimensions {cite:peters2013}:",
        ),
        _Block("ul", dims),
    ]
    return blocks


def _hypotheses_blocks(fw) -> list[_Block]:
    items = []
    for p in fw.propositions:
        items.append(
            f"**{p.id}** ({p.level} level; {p.data_source.replace('_', ' ')}; expected sign: "
            f"{p.expected_sign}): {p.statement} *Planned test:* {p.analysis}"
        )
    return [
        _Block("h1", "Hypotheses"),
        _Block(
            "p",
            "The framework was proposed as a conceptual classification; the propositions below "
            "are its testable implications as recorded in the framework file. "
            + _author("argue each proposition from the literature."),
        ),
        _Block("ul", items),
    ]


def _method_blocks(bank) -> list[_Block]:
    cons = bank.to_frame("constructs")
    cons = cons[cons["framework"] | cons["kind"].isin(["marker"])]
    cons = cons[cons["measurement"] != "observed"]
    items = bank.to_frame("items")
    sources = items.groupby("construct")["source"].agg(lambda s: list(dict.fromkeys(s)))
    entries = bib_entries()
    rows = []
    cited_keys = []
    for r in cons.itertuples():
        keys = [k for k in sources.get(r.id, []) if k in entries]
        cited_keys += keys
        rows.append(
            {
                "Construct": r.name,
                "Model": r.measurement,
                "Items": int(r.n_items),
                "Adapted from": "; ".join(entries[k].in_text() for k in keys)
                or "written for this study",
            }
        )
    measures = pd.DataFrame(rows)
    return [
        _Block("h1", "Method"),
        _Block("h2", "Sample and procedure"),
        _Block(
            "p",
            _author(
                "population, sampling frame, field period, number of firms contacted and "
                "responding, response rate, respondents' roles; sectors coded by ISIC Rev. 4 "
                "{cite:isic4}."
            )
            + " One key informant per firm answered the survey {cite:kumar1993}; nonresponse "
            "bias is assessed by comparing early and late respondents "
            "{cite:armstrong_overton1977}, and careless responding is screened with "
            "instructed-response items and response-pattern indices {cite:meade_craig2012}.",
        ),
        _Block("h2", "Measures"),
        _Block(
            "p",
            "The measures come from the toolkit's item bank; each construct declares its "
            "measurement model (reflective, formative or composite) after "
            "{citet:jarvis2003}. A theoretically unrelated marker construct sits between the "
            "action and outcome blocks for the CFA marker technique {cite:williams2010}.",
        ),
        _Block("table", measures, "Constructs, measurement models and item sources"),
        _Block("h2", "Analysis"),
        _Block(
            "p",
            "Following the two-step approach {cite:anderson_gerbing1988}, the measurement "
            "model is estimated first (confirmatory factor analysis by maximum likelihood; "
            "full-information ML for missing data {cite:arbuckle1996} with robust (MLR) "
            "standard errors and scaled test statistics {cite:yuan_bentler2000}), then the "
            "structural model. If the rating items are analysed as ordinal (estimator WLSMV), "
            "thresholds and polychoric correlations are estimated first and the models by "
            "diagonally weighted least squares with robust standard errors and a mean- and "
            "variance-adjusted test {cite:muthen1997,asparouhov_muthen2010}, and reliability "
            "is categorical omega {cite:green_yang2009} and ordinal alpha {cite:zumbo2007}. "
            "Reliability is reported as Cronbach's alpha {cite:cronbach1951} "
            "and composite reliability {cite:raykov1997}; convergent and discriminant validity "
            "as AVE and the Fornell-Larcker criterion {cite:fornell_larcker1981} and the "
            "heterotrait-monotrait ratio {cite:henseler2015}. Multi-group comparisons follow "
            "measurement-invariance tests {cite:chen2007}. Common-method variance is assessed "
            "with the CFA marker technique {cite:williams2010,podsakoff2003}. p-values across "
            "the propositions are adjusted by Holm's procedure {cite:holm1979}. The models are "
            "estimated with the nrel_research toolkit, whose estimates are checked against "
            "lavaan {cite:rosseel2012}.",
        ),
    ]


def _results_blocks(tables: Mapping[str, pd.DataFrame]) -> tuple[list[_Block], list[str]]:
    blocks = [_Block("h1", "Results")]
    missing = []
    heads = {
        "measurement": "Measurement model",
        "fit": "Model fit",
        "structural": "Structural model",
        "propositions": "Propositions",
    }
    for key, (caption, producer) in TABLE_SLOTS.items():
        blocks.append(_Block("h2", heads[key]))
        if key in tables and tables[key] is not None:
            blocks.append(_Block("table", _display(key, tables[key]), caption))
            blocks.append(_Block("p", _author(f"describe Table ({heads[key].lower()}).")))
        else:
            missing.append(key)
            blocks.append(_Block("missing", f"produce it with {producer}", caption))
    extra = [k for k in tables if k not in TABLE_SLOTS and tables[k] is not None]
    if extra:
        blocks.append(_Block("h2", "Further results"))
        for k in extra:
            blocks.append(_Block("table", _format_table(tables[k]), str(k).replace("_", " ")))
    return blocks, missing


def _verdicts(table: pd.DataFrame | None) -> list[str]:
    if table is None:
        return []
    cols = {c.lower(): c for c in table.columns}
    pid = cols.get("proposition") or cols.get("id")
    verdict = cols.get("verdict")
    if pid is None or verdict is None:
        return []
    return [f"**{p}**: {v}" for p, v in zip(table[pid], table[verdict], strict=True)]


def _discussion_blocks(propositions: pd.DataFrame | None) -> list[_Block]:
    blocks = [_Block("h1", "Discussion")]
    verdicts = _verdicts(propositions)
    if verdicts:
        blocks += [
            _Block("p", "Verdicts under the pre-registered rules (from the propositions table):"),
            _Block("ul", verdicts),
        ]
    blocks += [
        _Block(
            "p",
            _author(
                "theoretical contribution to N-REL, managerial implications for B2B and B2C "
                "firms, and how the results compare with earlier studies of social media "
                "marketing strategy {cite:tafesse_wien2018}."
            ),
        ),
        _Block("h1", "Limitations"),
        _Block(
            "ul",
            [
                "**Cross-sectional design.** Survey answers and outcomes are measured at one "
                "time; the estimates are associations, not causal effects. The Gaussian-copula "
                "check {cite:park_gupta2012} is a sensitivity analysis, not an identification "
                "strategy.",
                "**Common-method variance.** Predictors and outcomes come from one "
                "questionnaire; the CFA marker technique {cite:williams2010} and procedural "
                "remedies {cite:podsakoff2003} reduce but do not remove this threat.",
                "**Single informant.** One key informant answered for each firm "
                "{cite:kumar1993}; informant competence is screened, but firm-level constructs "
                "rest on one person's perception. Observed post-level action mix "
                "(content-analysis codes) triangulates the self-reported emphasis where posts "
                "were coded.",
                _author("further limitations of this study (sample, sectors, countries)."),
            ],
        ),
    ]
    return blocks


def render_manuscript(
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    title: str = "Social media marketing strategic actions and marketing performance: "
    "An empirical test of the N-REL framework",
    authors: Sequence[str] = ("[Author names]",),
    propositions: pd.DataFrame | None = None,
) -> Manuscript:
    r"""Render the manuscript skeleton as Markdown and LaTeX text (no files written).

    Parameters are those of :func:`manuscript`.

    Examples
    --------
    >>> m = render_manuscript()
    >>> m.missing_tables
    ('measurement', 'fit', 'structural', 'propositions')
    >>> "## Hypotheses" in m.markdown and r"\section{Hypotheses}" in m.latex
    True
    """
    from ..framework import load as load_framework
    from ..instruments import load_item_bank

    tables = dict(tables or {})
    if propositions is not None:
        if "propositions" in tables:
            raise NrelError(
                "give the propositions table once: tables['propositions'] or "
                "propositions=, not both."
            )
        tables["propositions"] = propositions
    if isinstance(authors, str):
        authors = (authors,)
    fw = load_framework()
    bank = load_item_bank()
    results, missing = _results_blocks(tables)
    blocks = [
        _Block("abstract", _author("purpose, design, findings, implications (about 200 words).")),
        _Block("h1", "Introduction"),
        _Block(
            "p",
            "Firms use social media for broadcasting, for interacting with customers and "
            "partners and for listening to the market, yet the strategic actions behind these "
            "uses have mostly been classified conceptually. N-REL {cite:ananda2016} organises "
            "them into Representation, Engagement and Listening actions on the brand's "
            "network. This study tests the framework's propositions P1-P8 on survey data "
            "from firms (and, where available, on their coded brand posts). "
            + _author("motivation, research gap, contribution."),
        ),
        *_framework_blocks(fw),
        *_hypotheses_blocks(fw),
        *_method_blocks(bank),
        *results,
        *_discussion_blocks(tables.get("propositions")),
    ]
    # Resolve citations once per output format; the reference list is the union, in order.
    md_blocks, tex_blocks, cited = [], [], []
    for b in blocks:
        if b.kind in ("p", "ul", "abstract"):
            items = b.content if b.kind == "ul" else [b.content]
            md_items, tex_items = [], []
            for it in items:
                md, keys = cite(str(it), "markdown")
                tex, _ = cite(str(it), "latex")
                md_items.append(md)
                tex_items.append(tex)
                cited += [k for k in keys if k not in cited]
            md_blocks.append(_Block(b.kind, md_items if b.kind == "ul" else md_items[0]))
            tex_blocks.append(_Block(b.kind, tex_items if b.kind == "ul" else tex_items[0]))
        else:
            md_blocks.append(b)
            tex_blocks.append(b)
    # the measures table cites item sources as plain text: list them too
    entries = bib_entries()
    for b in blocks:
        if b.kind == "table" and "Adapted from" in b.content.columns:
            for cell in b.content["Adapted from"]:
                for e in entries.values():
                    if e.in_text() in cell and e.key not in cited:
                        cited.append(e.key)
    order = [k for k in entries if k in cited]  # reference-list order
    md_refs = ["## References", ""] + [entries[k].apa("markdown") + "\n" for k in order]
    markdown = _render_md(md_blocks, title, authors) + "\n" + "\n".join(md_refs).rstrip() + "\n"
    latex = _render_tex(tex_blocks, title, authors, order)
    return Manuscript(
        markdown=markdown, latex=latex, cited=tuple(order), missing_tables=tuple(missing)
    )


def manuscript(
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    out_dir: str | Path,
    title: str = "Social media marketing strategic actions and marketing performance: "
    "An empirical test of the N-REL framework",
    authors: Sequence[str] = ("[Author names]",),
    propositions: pd.DataFrame | None = None,
) -> Manuscript:
    r"""Write the manuscript skeleton (``manuscript.md``, ``manuscript.tex``) into ``out_dir``.

    Parameters
    ----------
    tables : mapping of str to DataFrame, optional
        The numeric tables of a run, by slot: ``"measurement"``
        (:func:`~nrel_research.report.measurement_table`), ``"fit"``
        (:func:`~nrel_research.report.fit_table`), ``"structural"``
        (:func:`~nrel_research.report.structural_table`), ``"propositions"``; other keys are
        shown under "Further results" with the key as caption. Each is formatted with
        :func:`~nrel_research.report.apa`; all-missing columns are dropped. A slot without a
        table gets the marker :data:`MISSING_TABLE` and the call that produces it.
    out_dir : str or Path
        Folder to write into (created if needed).
    title, authors : str, sequence of str
        Title page.
    propositions : DataFrame, optional
        The propositions table (instead of ``tables["propositions"]``); a ``verdict``
        column is listed in the Discussion.

    Returns
    -------
    Manuscript
        The texts, the keys cited, the missing table slots and the paths written.

    Examples
    --------
    >>> import tempfile
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> from nrel_research.report import fit_table
    >>> res = sem.fit("visual =~ x1 + x2 + x3", load_dataset("holzinger_swineford_1939"))
    >>> m = manuscript({"fit": fit_table({"CFA": res})}, out_dir=tempfile.mkdtemp())
    >>> [p.name for p in m.paths], m.missing_tables
    (['manuscript.md', 'manuscript.tex'], ('measurement', 'structural', 'propositions'))
    """
    m = render_manuscript(tables, title=title, authors=authors, propositions=propositions)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = out / "manuscript.md"
    tex = out / "manuscript.tex"
    md.write_text(m.markdown, encoding="utf-8")
    tex.write_text(m.latex, encoding="utf-8")
    return Manuscript(m.markdown, m.latex, m.cited, m.missing_tables, (md, tex))
