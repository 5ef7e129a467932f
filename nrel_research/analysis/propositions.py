"""The propositions table: evidence on P1-P8 judged by pre-registered rules.

Each proposition of the framework is tested by one analysis (an SEM for P1-P3, P6, P7; a
multiple-group or MIMIC comparison for P4, P5; the post-level engagement model for P8),
which yields an :class:`Evidence` record: the test actually run, its statistic and p-value
and, for directional propositions, the paths with their standardized estimates.
:func:`propositions_table` then applies the decision rules of ``verdict_rules.yaml``
mechanically: the p-values are adjusted across the propositions (Holm by default), the
paths within each proposition, and each proposition gets the verdict its rule gives. The
same rules are printed in the pre-registration template (:func:`preregistration_markdown`),
so the rule applied is the rule registered.

Results are associations in cross-sectional survey data; the verdicts say whether the data
are in line with a proposition, not that an action causes performance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .. import framework as _framework
from .._yaml import read_data_yaml
from ..exceptions import FrameworkError, NrelError
from ..sem import SEMResult
from ..sem.standardize import standardize, standardized_jacobian
from .guardrails import adjust_pvalues

__all__ = [
    "Evidence",
    "Rules",
    "load_rules",
    "path_evidence",
    "preregistration_markdown",
    "propositions_table",
]

_ADJUST = ("holm", "fdr_bh", "bonferroni")
_KINDS = ("directional", "difference")
_VERDICTS = {
    "directional": ("supported", "partially supported", "contrary", "not supported"),
    "difference": ("supported", "not testable", "not supported"),
}


@dataclass(frozen=True)
class Rules:
    """The pre-registered decision rules (``verdict_rules.yaml``).

    Attributes
    ----------
    alpha : float
    adjust_propositions, adjust_paths : str
        Multiplicity methods (``holm``, ``fdr_bh``, ``bonferroni``).
    supported_share : float
        Share of a directional proposition's paths that must be significant in the
        expected direction for "supported".
    tests : dict
        Per kind, the description of the test.
    verdicts : dict
        Per kind, ``[(verdict, rule text), ...]`` in the order they are checked.
    path : str
        The file read.
    """

    alpha: float
    adjust_propositions: str
    adjust_paths: str
    supported_share: float
    tests: dict
    verdicts: dict
    path: str = ""

    def rule_text(self, kind: str, verdict: str) -> str:
        """Return the registered wording of the rule that gives ``verdict``."""
        return dict(self.verdicts[kind])[verdict]


def _rules_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("verdict_rules.yaml")))


def load_rules(path: str | PathLike[str] | None = None) -> Rules:
    """Read and check the decision rules.

    Parameters
    ----------
    path : str or path-like, optional
        A rules file with the layout of the bundled ``verdict_rules.yaml`` (default).

    Raises
    ------
    FrameworkError
        Naming the file and the field: unreadable YAML, a missing or unknown field, an
        alpha outside (0, 1), an unknown adjustment method, a kind without its verdicts.

    Examples
    --------
    >>> rules = load_rules()
    >>> rules.alpha, rules.adjust_propositions, [v for v, _ in rules.verdicts["difference"]]
    (0.05, 'holm', ['supported', 'not testable', 'not supported'])
    """
    p = _rules_path() if path is None else Path(path)
    doc = read_data_yaml(p, "verdict rules file")

    def fail(where, problem, fix):
        return FrameworkError(f"{p}, {where}: {problem}; {fix}")

    if not isinstance(doc, dict):
        raise fail("top level", "not a mapping", "see the bundled verdict_rules.yaml")
    known = {"schema_version", "alpha", "adjustment", "supported_share", "kinds"}
    extra = sorted(set(doc) - known)
    if extra:
        raise fail(f"field {extra[0]!r}", "unknown field", f"use only {', '.join(sorted(known))}")
    if doc.get("schema_version") != 1:
        raise fail("schema_version", f"{doc.get('schema_version')!r} is not supported", "use 1")
    alpha = doc.get("alpha")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise fail("alpha", f"{alpha!r} is not a probability", "use e.g. 0.05")
    adj = doc.get("adjustment") or {}
    methods = {}
    for level in ("propositions", "paths"):
        m = adj.get(level) if isinstance(adj, dict) else None
        if m not in _ADJUST:
            raise fail(f"adjustment.{level}", f"{m!r} is not a method", f"use {', '.join(_ADJUST)}")
        methods[level] = m
    share = doc.get("supported_share")
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise fail("supported_share", f"{share!r} is not a share", "use a number in (0, 1]")
    kinds = doc.get("kinds")
    if not isinstance(kinds, dict) or set(kinds) != set(_KINDS):
        raise fail("kinds", "must define exactly the kinds directional and difference", "fix it")
    tests, verdicts = {}, {}
    for kind in _KINDS:
        entry = kinds[kind]
        if not isinstance(entry, dict) or not isinstance(entry.get("test"), str):
            raise fail(f"kinds.{kind}.test", "missing", "describe the test")
        tests[kind] = " ".join(entry["test"].split())
        rows = entry.get("verdicts")
        names = [r.get("verdict") for r in rows] if isinstance(rows, list) else []
        if sorted(map(str, names)) != sorted(_VERDICTS[kind]):
            raise fail(
                f"kinds.{kind}.verdicts",
                f"verdicts {names} differ from {list(_VERDICTS[kind])}",
                "give one rule per verdict",
            )
        verdicts[kind] = [
            (r["verdict"], " ".join(str(r.get("rule", "")).split()).format(supported_share=share))
            for r in rows
        ]
    return Rules(
        alpha=float(alpha),
        adjust_propositions=methods["propositions"],
        adjust_paths=methods["paths"],
        supported_share=float(share),
        tests=tests,
        verdicts=verdicts,
        path=str(p),
    )


@dataclass
class Evidence:
    """What one analysis says about one proposition.

    Attributes
    ----------
    proposition : str
        ``"P1"`` ... ``"P8"``.
    test : str
        The test run, in words (e.g. ``"joint Wald test of 2 paths, MLR"``).
    statistic, df, pvalue : float
        The proposition-level test (unadjusted p-value).
    paths : pandas.DataFrame, optional
        Directional propositions: one row per path, ``lhs, rhs, estimate, se, pvalue,
        beta, beta_se, beta_ci_lower, beta_ci_upper``.
    estimate, ci_lower, ci_upper : float
        The headline estimate (e.g. the mean standardized path) and its CI.
    estimate_label : str
        What ``estimate`` is.
    testable : bool
        False when the precondition of the test failed (e.g. no partial invariance).
    exploratory : bool
        True when the analysis was chosen after looking at the data (e.g. which intercepts
        to free): reported as exploratory.
    note : str
    """

    proposition: str
    test: str
    statistic: float = np.nan
    df: float = np.nan
    pvalue: float = np.nan
    paths: pd.DataFrame | None = None
    estimate: float = np.nan
    ci_lower: float = np.nan
    ci_upper: float = np.nan
    estimate_label: str = ""
    testable: bool = True
    exploratory: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)


def path_evidence(
    result: SEMResult,
    paths,
    proposition: str,
    *,
    level: float = 0.95,
) -> Evidence:
    """Evidence on a directional proposition from the paths of a fitted SEM.

    The proposition-level test is the joint Wald test that every path is zero,
    ``W = b' V^{-1} b`` with ``V`` the fit's covariance matrix of the estimates (robust
    under MLR), on as many degrees of freedom as paths (lavaan ``lavTestWald`` with
    ``"b1 == 0; b2 == 0; ..."``; checked against it by
    ``tests/reference/sem_standardized.R``). The headline estimate is the mean
    standardized path (``std.all``) with a delta-method CI (as lavaan's
    ``standardizedSolution`` computes SEs of standardized values).

    Parameters
    ----------
    result : SEMResult
        A single-group fit with standard errors.
    paths : pandas.DataFrame or sequence of (outcome, predictor)
        The proposition's paths, e.g. ``spec.paths.query("source == 'P3'")``.
    proposition : str
    level : float, default 0.95

    Returns
    -------
    Evidence

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> res = sem.fit('''ind60 =~ x1 + x2 + x3
    ...                  dem60 =~ y1 + y2 + y3 + y4
    ...                  dem65 =~ y5 + y6 + y7 + y8
    ...                  dem60 ~ ind60
    ...                  dem65 ~ ind60 + dem60''', load_dataset("political_democracy"))
    >>> ev = path_evidence(res, [("dem65", "ind60"), ("dem65", "dem60")], "P1")
    >>> round(ev.statistic, 2), int(ev.df), ev.paths["rhs"].tolist()
    (73.1, 2, ['ind60', 'dem60'])
    """
    if not isinstance(result, SEMResult):
        raise NrelError("path_evidence() needs a fitted model from nrel_research.sem.fit().")
    if result.group_labels is not None:
        raise NrelError(
            "path_evidence() takes a single-group fit; compare groups with the multiple-group "
            "tests (sem.invariance, path equality tests)."
        )
    if result.vcov is None:
        raise NrelError("the fit has no standard errors (se='none'); refit with standard errors.")
    if isinstance(paths, pd.DataFrame):
        pairs = list(zip(paths["lhs"], paths["rhs"], strict=True))
    else:
        pairs = [tuple(p) for p in paths]
    if not pairs:
        raise NrelError(f"{proposition}: no paths given; the model tests none of its relations.")
    t = result.model.table
    rows = []
    for lhs, rhs in pairs:
        hit = np.flatnonzero(((t["op"] == "~") & (t["lhs"] == lhs) & (t["rhs"] == rhs)).to_numpy())
        if hit.size != 1:
            raise NrelError(
                f"{proposition}: the path {lhs} ~ {rhs} is not a regression of the fitted model."
            )
        rows.append(int(hit[0]))
    rows = np.array(rows)
    free = result.model.free[rows]
    if (free == 0).any():
        k = int(np.flatnonzero(free == 0)[0])
        raise NrelError(
            f"{proposition}: the path {pairs[k][0]} ~ {pairs[k][1]} is fixed in the model; "
            "a fixed path cannot be tested."
        )
    idx = free - 1
    est_all = result.estimates(level=level)
    keep = np.flatnonzero((t["op"] != "==").to_numpy())
    pos = {r: k for k, r in enumerate(keep)}
    e = est_all.iloc[[pos[r] for r in rows]].reset_index(drop=True)
    b = np.asarray(result.theta, dtype=float)[idx]
    v = np.asarray(result.vcov)[np.ix_(idx, idx)]
    try:
        w = float(b @ np.linalg.solve(v, b))
    except np.linalg.LinAlgError as exc:
        raise NrelError(
            f"{proposition}: the covariance matrix of the path estimates is singular; the "
            "joint test is not defined (check the model's identification)."
        ) from exc
    k = len(rows)
    # standardized paths with delta-method SEs, and their mean
    beta = standardize(result.model, result.theta, defined=result.defined)[rows]
    jac = standardized_jacobian(result, rows=rows)
    vb = jac @ np.asarray(result.vcov) @ jac.T
    beta_se = np.sqrt(np.clip(np.diag(vb), 0, None))
    fac = stats.norm.ppf((1 + level) / 2)
    a = np.full(k, 1.0 / k)
    mean_beta = float(a @ beta)
    mean_se = float(np.sqrt(max(a @ vb @ a, 0.0)))
    table = pd.DataFrame(
        {
            "lhs": [p[0] for p in pairs],
            "rhs": [p[1] for p in pairs],
            "estimate": e["est"].to_numpy(),
            "se": e["se"].to_numpy(),
            "pvalue": e["pvalue"].to_numpy(),
            "beta": beta,
            "beta_se": beta_se,
            "beta_ci_lower": beta - fac * beta_se,
            "beta_ci_upper": beta + fac * beta_se,
        }
    )
    est_kind = "MLR" if result.estimator == "MLR" else "ML"
    return Evidence(
        proposition=proposition,
        test=f"joint Wald test that {k} path(s) are zero ({est_kind}, {result.se_type} SEs)",
        statistic=w,
        df=float(k),
        pvalue=float(stats.chi2.sf(w, k)),
        paths=table,
        estimate=mean_beta,
        ci_lower=mean_beta - fac * mean_se,
        ci_upper=mean_beta + fac * mean_se,
        estimate_label="mean standardized path" if k > 1 else "standardized path",
    )


def _kind(prop) -> str:
    return "difference" if prop.expected_sign == "differs" else "directional"


def _directional_verdict(ev, sign, p_adj, rules):
    paths = ev.paths
    if paths is None or paths.empty:
        raise NrelError(f"{ev.proposition}: a directional proposition needs its paths.")
    p_paths = adjust_pvalues(paths["pvalue"].to_numpy(dtype=float), rules.adjust_paths)
    sig = p_paths < rules.alpha
    expected = np.sign(paths["estimate"].to_numpy(dtype=float)) == sign
    n_exp = int((sig & expected).sum())
    n_opp = int((sig & ~expected).sum())
    joint = bool(np.isfinite(p_adj) and p_adj < rules.alpha)
    share = n_exp / len(paths)
    if joint and share >= rules.supported_share:
        verdict = "supported"
    elif joint and n_exp >= 1:
        verdict = "partially supported"
    elif n_opp >= 1 and n_exp == 0:
        verdict = "contrary"
    else:
        verdict = "not supported"
    return verdict, n_exp, n_opp, p_paths


def propositions_table(
    evidence,
    *,
    rules: Rules | None = None,
    framework=None,
) -> pd.DataFrame:
    """Judge the evidence on each proposition by the pre-registered rules.

    Parameters
    ----------
    evidence : sequence of Evidence
        At most one record per proposition.
    rules : Rules, optional
        Default: :func:`load_rules` (the bundled ``verdict_rules.yaml``).
    framework : Framework, optional
        Default: the bundled framework (for statements and expected signs).

    Returns
    -------
    pandas.DataFrame
        One row per proposition, in framework order: ``proposition, statement, kind,
        expected_sign, test, estimate_label, estimate, ci_lower, ci_upper, statistic, df,
        pvalue, pvalue_adjusted`` (across the testable propositions, ``rules.
        adjust_propositions``), ``n_paths, n_expected, n_opposite`` (paths significant in
        and against the expected direction after the path-level adjustment), ``verdict,
        rule`` (the registered wording), ``exploratory, note``. ``attrs["rules"]`` holds the
        rules; ``attrs["paths"]`` the path-level table with adjusted p-values.

    Examples
    --------
    >>> ev = [Evidence("P4", "chi-square difference test", 12.0, 9.0, 0.213),
    ...       Evidence("P5", "MIMIC sector effects", 30.0, 12.0, 0.0028)]
    >>> t = propositions_table(ev)
    >>> t[["proposition", "pvalue_adjusted", "verdict"]]
      proposition  pvalue_adjusted        verdict
    0          P4           0.2130  not supported
    1          P5           0.0056      supported
    """
    rules = load_rules() if rules is None else rules
    fw = _framework.load() if framework is None else framework
    evidence = list(evidence)
    seen = set()
    for ev in evidence:
        if not isinstance(ev, Evidence):
            raise NrelError(
                f"propositions_table() takes Evidence records, not {type(ev).__name__}."
            )
        fw.proposition(ev.proposition)  # FrameworkError for an unknown id
        if ev.proposition in seen:
            raise NrelError(f"two evidence records for {ev.proposition}; give one per proposition.")
        seen.add(ev.proposition)
    order = {p.id: k for k, p in enumerate(fw.propositions)}
    evidence.sort(key=lambda ev: order[ev.proposition])
    pvals = np.array([ev.pvalue if ev.testable else np.nan for ev in evidence], dtype=float)
    p_adj = adjust_pvalues(pvals, rules.adjust_propositions)
    rows, path_tables = [], []
    for ev, pa in zip(evidence, p_adj, strict=True):
        prop = fw.proposition(ev.proposition)
        kind = _kind(prop)
        n_paths = n_exp = n_opp = np.nan
        if not ev.testable:
            verdict = "not testable" if kind == "difference" else "not supported"
        elif kind == "directional":
            sign = -1.0 if prop.expected_sign == "negative" else 1.0
            verdict, n_exp, n_opp, p_paths = _directional_verdict(ev, sign, pa, rules)
            n_paths = len(ev.paths)
            pt = ev.paths.copy()
            pt.insert(0, "proposition", ev.proposition)
            pt["pvalue_adjusted"] = p_paths
            path_tables.append(pt)
        else:
            verdict = "supported" if np.isfinite(pa) and pa < rules.alpha else "not supported"
        rule = (
            rules.rule_text(kind, verdict)
            if kind == "difference" or ev.testable
            else ("The analysis could not be run (see the note).")
        )
        rows.append(
            {
                "proposition": ev.proposition,
                "statement": " ".join(prop.statement.split()),
                "kind": kind,
                "expected_sign": prop.expected_sign,
                "test": ev.test,
                "estimate_label": ev.estimate_label,
                "estimate": ev.estimate,
                "ci_lower": ev.ci_lower,
                "ci_upper": ev.ci_upper,
                "statistic": ev.statistic,
                "df": ev.df,
                "pvalue": ev.pvalue,
                "pvalue_adjusted": pa,
                "n_paths": n_paths,
                "n_expected": n_exp,
                "n_opposite": n_opp,
                "verdict": verdict,
                "rule": rule,
                "exploratory": bool(ev.exploratory),
                "note": ev.note,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["rules"] = rules
    out.attrs["paths"] = pd.concat(path_tables, ignore_index=True) if path_tables else None
    return out


def preregistration_markdown(
    *, rules: Rules | None = None, framework=None, date: str | None = None
) -> str:
    """Write the pre-registration template: propositions, planned tests and decision rules.

    Generated from the framework file (propositions, constructs, planned analyses) and the
    rules file, so the registered rules are the ones :func:`propositions_table` applies.
    ``papers/preregistration.md`` is this text (a test keeps it in step).

    Examples
    --------
    >>> text = preregistration_markdown()
    >>> text.splitlines()[0]
    '# Pre-registration: testing the N-REL framework of social media marketing actions'
    >>> "P8" in text and "Holm" in text
    True
    """
    rules = load_rules() if rules is None else rules
    fw = _framework.load() if framework is None else framework
    names = {
        "holm": "Holm (1979)",
        "fdr_bh": "Benjamini-Hochberg (1995) FDR",
        "bonferroni": "Bonferroni",
    }
    lines = [
        "# Pre-registration: testing the N-REL framework of social media marketing actions",
        "",
        "<!-- Generated by nrel_research.analysis.preregistration_markdown() from",
        "     nrel_research/framework/nrel_framework.yaml and",
        "     nrel_research/analysis/verdict_rules.yaml; regenerate, do not edit by hand. -->",
        "",
        "Fill in the bracketed fields, date the document and register it (e.g. on OSF or",
        "AsPredicted) **before** the survey data are seen.",
        "",
        "- Title: [study title]",
        "- Authors: [names, affiliations]",
        f"- Date of registration: {date or '[YYYY-MM-DD]'}",
        "- Sampling frame and planned sample: [population of firms, sectors (ISIC Rev.4),",
        "  market types, planned number of firms and key informants; how the number was",
        "  chosen, e.g. a Monte Carlo power analysis with nrel_research.data.simulate_study]",
        "- Instrument: the N-REL item bank of nrel_research [version], languages [..]",
        "- Data collection period: [dates]",
        "",
        "## Hypotheses (the framework's propositions)",
        "",
    ]
    for p in fw.propositions:
        kind = _kind(p)
        lines += [
            f"### {p.id} ({'directional' if kind == 'directional' else 'difference'}, "
            f"level: {p.level}, data: {p.data_source})",
            "",
            " ".join(p.statement.split()),
            "",
            f"- Predictors: {', '.join(p.predictors)}",
            *([f"- Mediators: {', '.join(p.mediators)}"] if p.mediators else []),
            *([f"- Moderators: {', '.join(p.moderators)}"] if p.moderators else []),
            f"- Outcomes: {', '.join(p.outcomes)}",
            f"- Expected sign: {p.expected_sign}",
            f"- Planned analysis: {' '.join(p.analysis.split())}",
            f"- Test: {rules.tests[kind]}",
            "",
        ]
    lines += [
        "## Decision rules (applied mechanically)",
        "",
        f"- Significance level: alpha = {rules.alpha:g} (two-sided).",
        f"- Multiplicity across the propositions: {names[rules.adjust_propositions]}.",
        f"- Multiplicity across the paths of one proposition: {names[rules.adjust_paths]}.",
        "",
    ]
    for kind in _KINDS:
        lines += [f"### {kind.capitalize()} propositions", ""]
        lines += [f"- **{v}**: {text}" for v, text in rules.verdicts[kind]]
        lines.append("")
    lines += [
        "## Analysis plan and guardrails",
        "",
        "- Measurement model first (CFA; reliability, AVE, HTMT), then the structural model",
        "  (Anderson & Gerbing, 1988); estimator MLR with FIML for missing answers.",
        "- Measurement invariance across market types and sectors (configural, metric,",
        "  scalar; Chen, 2007, cut-offs as guidance) before any group comparison; parameters",
        "  freed for partial invariance are chosen after seeing the data and are reported as",
        "  **exploratory**.",
        "- Minimum sample size per group: 5 cases per free parameter of a group's model and",
        "  at least 100 (rule of thumb); sector comparisons use the design the data support",
        "  (multiple groups by sector, pooled sector groups, or MIMIC).",
        "- E7 (B2B-only) is estimated within B2B and mixed firms; cross-market comparisons",
        "  use the nine shared action types.",
        "- Common-method variance: CFA marker technique (Williams, Hartman & Cavazotte, 2010)",
        "  as the main check; Harman's single-factor test only as a legacy figure.",
        "- Results are associations in cross-sectional data; a Gaussian-copula check (Park &",
        "  Gupta, 2012) is a sensitivity analysis, not a causal identification strategy.",
        "- Any analysis not listed here is reported as exploratory.",
        "",
        "## Deviations",
        "",
        "[List every deviation from this plan, with the reason and the date it was decided.]",
        "",
    ]
    return "\n".join(lines)
