"""The whole empirical test of N-REL on one data set, step by step.

:func:`run_study` runs import -> validation -> cleaning -> measurement model -> structural
model -> propositions on a survey export (or the bundled simulated study) and returns a
:class:`StudyResult` holding every intermediate result, the tidy tables of the report and
the evidence on each proposition; :func:`nrel_research.report.write_report` turns it into a
self-contained HTML report with the tables as CSV, and ``nrel report`` does both from the
command line.

Design decisions (stated in the result's ``notes``):

* one key informant per firm: rows with ``second_informant == 1`` are kept aside (they serve
  inter-rater checks, not the structural estimates, whose rows must be independent);
* estimator MLR with FIML by default (Likert answers are not normal; answers are missing);
  controls are then random variables (``fixed_x=False`` in :func:`build_model`);
  ``estimator="WLSMV"`` instead treats the item bank's ordinal items as ordered categorical
  (polychoric correlations, pairwise deletion) in the measurement, structural and E7 models;
  the multiple-group comparisons (P4, P5) then stay MLR with FIML;
* the model is the pooled model of :func:`build_model` (nine shared action types; E7 only
  within B2B and mixed firms);
* ``log_employees = log(employees)`` and ``log_firm_age = log(1 + firm_age)`` are derived
  when those answers are present.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from .. import sem
from .._validation import check_choice
from ..data import clean as _clean
from ..data import load_bundled_study, read_responses, validate
from ..data.clean import CleaningResult
from ..exceptions import DataError, NrelError, SpecificationError
from ..instruments import Instrument
from .groups import DEFAULT_SECTOR_POOLING, group_comparison
from .network import NETWORK_MEDIATORS, network_mediation
from .posts import engagement_model, triangulate
from .propositions import Evidence, path_evidence, propositions_table
from .regression import regress
from .specification import CATEGORICAL_ESTIMATORS, ModelSpec, build_model
from .validity import copula_endogeneity, harman_single_factor, marker_technique

__all__ = ["FIT_CRITERIA", "STUDY_STEPS", "StudyResult", "fit_assessment", "run_study"]

#: The steps of :func:`run_study`, in order (reported to ``progress``).
STUDY_STEPS = (
    "import",
    "validation",
    "cleaning",
    "measurement",
    "structural",
    "mediation",
    "groups",
    "posts",
    "checks",
    "propositions",
)
#: The nine action types every firm is asked about (E7 is for B2B and mixed firms only).
SHARED_ACTIONS = ("R1", "R2", "E1", "E2", "E3", "E4", "E5", "E6", "L1")

#: Outcomes of the default study model: performance (P3) and alignment (P7).
STUDY_OUTCOMES = (
    "marketing_performance",
    "customer_relationship_performance",
    "strategy_action_alignment",
)


@dataclass
class StudyResult:
    """Everything :func:`run_study` produced.

    Attributes
    ----------
    settings : dict
        The arguments of the run (estimator, missing, seed, model options, source).
    import_report : pandas.DataFrame or None
        :func:`nrel_research.data.read_responses`'s column report (None for a DataFrame).
    validation : pandas.DataFrame
        :func:`nrel_research.data.validate`'s report (one row per problem).
    cleaning : CleaningResult
    data : pandas.DataFrame
        The analysis rows: key informants after cleaning, reverse-keyed, with the derived
        control variables.
    spec : ModelSpec
    measurement, structural : SEMResult
        The CFA and the structural model.
    evidence : list of Evidence
        One record per proposition tested.
    tables : dict of str -> pandas.DataFrame
        The analysis tables (propositions and their paths, reliability, HTMT, data-quality
        summaries); :func:`nrel_research.report.study_tables` adds the publication tables
        of the fitted models.
    notes : list of str
        Modelling decisions and caveats to report.
    timings : dict of str -> float
        Seconds per step.
    """

    settings: dict
    import_report: pd.DataFrame | None
    validation: pd.DataFrame
    cleaning: CleaningResult
    data: pd.DataFrame
    spec: ModelSpec
    measurement: sem.SEMResult
    structural: sem.SEMResult
    evidence: list[Evidence]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    posts: pd.DataFrame | None = None

    def propositions(self) -> pd.DataFrame:
        """Return the propositions table (:func:`propositions_table` of :attr:`evidence`)."""
        return self.tables["propositions"]

    def summary(self) -> str:
        """Return a short text summary of the run."""
        fm = self.structural.fit_measures()
        cat = _is_categorical(self.structural)
        lines = [
            f"N-REL study: {self.cleaning.rows_in} responses in, {self.cleaning.rows_out} after "
            f"cleaning, {len(self.data)} key informants analysed",
            f"structural model: {self.settings['estimator']}, missing={self.settings['missing']}; "
            f"CFI {_pick(fm, 'cfi', cat):.3f}, RMSEA {_pick(fm, 'rmsea', cat):.3f}, "
            f"SRMR {fm['srmr']:.3f}",
            "propositions:",
        ]
        for r in self.propositions().itertuples():
            lines.append(f"  {r.proposition}: {r.verdict} (p adj = {r.pvalue_adjusted:.3g})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<StudyResult: {len(self.data)} firms, {len(self.evidence)} propositions tested, "
            f"{len(self.tables)} tables>"
        )


def _pick(fm: pd.Series, key: str, categorical: bool = False) -> float:
    """Return the robust version of a fit index when the estimator gives one.

    For the categorical estimators (WLSMV, ...) lavaan 0.6.14 gives no robust CFI/TLI/RMSEA;
    the scaled (mean-and-variance adjusted) versions are reported instead.
    """
    robust = fm.get(f"{key}_robust", np.nan)
    if np.isfinite(robust):
        return float(robust)
    scaled = fm.get(f"{key}_scaled", np.nan)
    return float(scaled) if categorical and np.isfinite(scaled) else float(fm[key])


def _is_categorical(res) -> bool:
    return str(getattr(res, "estimator", "")).upper() in CATEGORICAL_ESTIMATORS


def _derive_controls(df: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    out = df.copy()
    if "employees" in out.columns:
        emp = pd.to_numeric(out["employees"], errors="coerce").astype(float)
        bad = emp.notna() & (emp <= 0)
        if bad.any():
            notes.append(
                f"{int(bad.sum())} firm(s) report 0 or fewer employees; log_employees is "
                "missing for them."
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            out["log_employees"] = np.where(emp > 0, np.log(emp), np.nan)
    if "firm_age" in out.columns:
        age = pd.to_numeric(out["firm_age"], errors="coerce").astype(float)
        with np.errstate(invalid="ignore"):
            out["log_firm_age"] = np.where(age >= 0, np.log1p(age), np.nan)
    return out


#: Conventional cut-offs for a good fit (Hu & Bentler, 1999), used to flag misfit; robust
#: versions of CFI/TLI/RMSEA when the estimator gives them.
FIT_CRITERIA = (
    ("cfi", ">=", 0.95),
    ("tli", ">=", 0.95),
    ("rmsea", "<=", 0.06),
    ("srmr", "<=", 0.08),
)


def fit_assessment(results: Mapping[str, sem.SEMResult], *, alpha: float = 0.05) -> pd.DataFrame:
    """Judge each model's global and local fit; failed rows flag the model for inspection.

    Global fit: the conventional cut-offs of Hu & Bentler (1999) for CFI, TLI, RMSEA (robust
    versions under MLR, scaled versions under WLSMV) and SRMR. Local fit (fits with
    modification indices, i.e. ML with complete data): the largest modification index
    against the chi-square(1) critical value Bonferroni-adjusted for the number of fixed
    parameters tested (``alpha`` / k) -- a misspecification can be local (an omitted
    cross-loading or error covariance) and leave the global indices within their cut-offs
    (Saris et al., 2009). The cut-offs are rules of thumb for ML with continuous data: a flag
    calls for inspection, it does not prove misspecification.

    Returns
    -------
    pandas.DataFrame
        One row per model and check: ``model, measure, value, criterion, met, detail``
        (``detail`` names the parameter with the largest modification index).

    Examples
    --------
    >>> from nrel_research import sem
    >>> from nrel_research.datasets import load_dataset
    >>> res = sem.fit("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9",
    ...               load_dataset("holzinger_swineford_1939"))
    >>> fa = fit_assessment({"HS": res}).set_index("measure")
    >>> fa["met"].to_dict()
    {'cfi': False, 'tli': False, 'rmsea': False, 'srmr': True, 'max_mi': False}
    >>> fa.loc["max_mi", "detail"]
    'visual =~ x9'
    """
    from scipy import stats as _stats

    rows = []
    for name, res in results.items():
        fm = res.fit_measures()
        cat = _is_categorical(res)
        for key, op, cut in FIT_CRITERIA:
            value = _pick(fm, key, cat) if key != "srmr" else float(fm["srmr"])
            met = value >= cut if op == ">=" else value <= cut
            rows.append((name, key, value, f"{key} {op} {cut}", bool(met), ""))
        try:
            mi = res.modification_indices(sort=True)
        except NrelError:
            continue  # not available for this estimator / missing-data treatment
        if len(mi):
            k = len(mi)
            crit = float(_stats.chi2.isf(alpha / k, 1))
            top = mi.iloc[0]
            rows.append(
                (
                    name,
                    "max_mi",
                    float(top["mi"]),
                    f"max_mi <= {crit:.2f} (chi-square(1), alpha {alpha:g} / {k})",
                    bool(top["mi"] <= crit),
                    f"{top['lhs']} {top['op']} {top['rhs']}",
                )
            )
    return pd.DataFrame(rows, columns=["model", "measure", "value", "criterion", "met", "detail"])


def _e7_within_b2b(data, instrument, options, settings, notes) -> dict:
    """E7 (B2B and mixed firms only): its P2 and P3 paths in those firms."""
    from ..data import score

    try:
        labels = score(data, instrument, reverse=False)["market_type"].astype("string")
    except NrelError:
        return {}
    sub = data[labels.isin(["B2B", "both"]).to_numpy()]
    keep = {k: v for k, v in options.items() if k not in ("actions", "market_type")}
    keep["outcomes"] = [o for o in keep.get("outcomes", []) if o != "strategy_action_alignment"]
    if not keep["outcomes"] or len(sub) < 50:
        return {}
    try:
        spec7 = build_model(actions=["E7"], market_type="both", **keep)
        res = _fit(
            spec7.syntax,
            spec7.prepare(sub),
            settings,
            "E7 model (B2B and mixed firms)",
            notes,
            _ordered(spec7, settings),
        )
    except NrelError as exc:
        notes.append(f"E7 (B2B and mixed firms): not estimated ({exc}).")
        return {}
    est = res.estimates()
    paths = est[(est["op"] == "~") & ((est["lhs"] == "E7") | (est["rhs"] == "E7"))]
    notes.append(
        f"E7 applies to B2B and mixed firms only: its paths are estimated in those {len(sub)} "
        "firms (table e7_paths), outside the pooled propositions tests."
    )
    return {"e7_paths": paths.reset_index(drop=True)}


def _group_labels(data: pd.DataFrame, instrument) -> dict | None:
    """Market type and sector labels (B2B/B2C/both, ISIC letters) from the scoring step."""
    if "market_type" not in data.columns and "sector" not in data.columns:
        return None
    from ..data import score

    try:
        scored = score(data, instrument, reverse=False)
    except NrelError:
        return None
    out = {}
    if "market_type" in scored.columns:
        out["_market"] = scored["market_type"].astype("string")
    if "sector" in scored.columns:
        out["_sector"] = scored["sector"].astype("string")
    return out or None


def _triangulation(posts: pd.DataFrame, data: pd.DataFrame, instrument, notes) -> dict:
    """Observed (coded posts) vs self-reported (survey) emphasis per action type."""
    from ..coding import action_mix
    from ..data import score

    if not {"firm_id", "action"} <= set(posts.columns) or "firm_id" not in data.columns:
        return {}
    try:
        mix = action_mix(posts.rename(columns={"action": "code"}))
        scores = score(data, instrument, reverse=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tri = triangulate(mix, scores)
    except NrelError as exc:
        notes.append(f"triangulation of coded posts and survey: not run ({exc}).")
        return {}
    notes.append(
        "Triangulation: correlation per action type between the share of a firm's coded posts "
        "and its survey score (table p8_triangulation; coding error and different time "
        "windows weaken it)."
    )
    return {"p8_triangulation": tri}


def _regression_tables(data: pd.DataFrame, actions, notes: list[str], *, n_boot: int, seed) -> dict:
    """Part 3: marketing performance on action-type scale scores (HC3), sector FE, B2B x."""
    spec = build_model(
        actions=list(actions),
        antecedents=[],
        outcomes=["marketing_performance"],
        propositions=["P3"],
        measurement="composite",
    )
    frame = spec.prepare(data)
    frame = frame.assign(b2b=(frame["_market"] == "B2B").astype(float))
    controls = [c for c in ("log_employees", "log_firm_age") if c in frame.columns]
    terms = list(actions) + controls + ["C(_sector)"]
    main = "marketing_performance ~ " + " + ".join(terms)
    inter = main + " + b2b + " + " + ".join(f"{a}:b2b" for a in actions)
    out = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r1 = regress(main, frame.dropna(subset=["_sector"]), se="HC3")
            r2 = regress(inter, frame.dropna(subset=["_sector", "_market"]), se="HC3")
    except NrelError as exc:
        notes.append(f"regression: not run ({exc}).")
        return out
    out["regression_main"] = r1.coefficients()
    out["regression_vif"] = r1.vif()
    out["regression_b2b"] = r2.coefficients()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cop = copula_endogeneity(
                main,
                frame.dropna(subset=["_sector"]),
                endogenous=list(actions),
                n_boot=n_boot,
                seed=seed,
            )
    except NrelError as exc:
        notes.append(f"Gaussian copula check: not run ({exc}).")
    else:
        out["copula_endogeneity"] = cop.copula
        notes.append(
            "Gaussian copula control functions (Park & Gupta, 2012) for the action-type scores: "
            "a sensitivity analysis of the regression, not causal identification (table "
            "copula_endogeneity)."
        )
    notes.append(
        "Regressions on scale scores (HC3 standard errors, sector fixed effects; the B2B "
        "interactions compare B2B with B2C and mixed firms): tables regression_*."
    )
    return out


def _validity_tables(spec, data, prepared, notes: list[str]) -> dict:
    """Part 5: CFA marker technique (main evidence) and Harman's figure (legacy)."""
    out = {}
    marker = [c for c in ("mk_1", "mk_2", "mk_3") if c in prepared.columns]
    if len(marker) >= 2:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mt = marker_technique(spec, prepared, marker=tuple(marker))
        except NrelError as exc:
            notes.append(f"marker technique: not run ({exc}).")
        else:
            out["cmv_marker_models"] = mt.comparisons
            out["cmv_method_variance"] = mt.variance
            notes.extend(f"marker technique: {n}" for n in mt.notes)
    try:
        out["cmv_harman"] = harman_single_factor(prepared, spec, cfa=False)
    except NrelError as exc:
        notes.append(f"Harman's single-factor figure: not computed ({exc}).")
    return out


def _ordered(spec: ModelSpec, settings: dict) -> list[str] | None:
    """Return the ordered indicators of ``spec`` under the study's settings (None: none)."""
    if settings["estimator"] not in CATEGORICAL_ESTIMATORS:
        return None
    chosen = settings.get("ordered")
    if chosen is None:
        return list(spec.ordered) or None
    model_vars = set(spec.measurement["indicator"])
    return [v for v in chosen if v in model_vars] or None


def _fit(
    model: str,
    data: pd.DataFrame,
    settings: dict,
    what: str,
    notes: list[str],
    ordered: list[str] | None = None,
):
    kwargs = {"ordered": ordered} if ordered else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sem.fit(
            model, data, estimator=settings["estimator"], missing=settings["missing"], **kwargs
        )
    for w in caught:
        if issubclass(w.category, Warning) and "treated as random" not in str(w.message):
            notes.append(f"{what}: {w.message}")
    return res


def run_study(
    responses: str | PathLike[str] | pd.DataFrame | None = None,
    *,
    posts: str | PathLike[str] | pd.DataFrame | None = None,
    instrument: Instrument | None = None,
    source: str = "auto",
    estimator: str = "MLR",
    missing: str | None = None,
    ordered: Sequence[str] | None = None,
    outcomes=STUDY_OUTCOMES,
    controls=("log_employees",),
    model_options: Mapping | None = None,
    clean_options: Mapping | None = None,
    seed: int = 20160311,
    n_boot: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> StudyResult:
    """Run the empirical test of N-REL on a survey data set.

    Parameters
    ----------
    responses : path, DataFrame or None
        A survey export (any format :func:`nrel_research.data.read_responses` reads), a
        DataFrame keyed by data-dictionary names, or None for the bundled simulated study.
    posts : path, DataFrame or None
        Coded posts (for the post-level proposition P8, when available); with
        ``responses=None`` the bundled study's posts are used.
    instrument : Instrument, optional
        The instrument the data were collected with (default: the full bundled one).
    source : str, default "auto"
        Export format of ``responses`` (see ``read_responses``).
    estimator : {"MLR", "ML", "WLSMV", "WLSM", "DWLS", "ULSMV"}, default "MLR"
        ``"MLR"``/``"ML"`` treat the rating items as continuous. ``"WLSMV"`` (and the other
        categorical estimators of :func:`nrel_research.sem.fit`) treats the model's ordinal
        items as ordered categorical: thresholds and polychoric correlations, then
        diagonally weighted least squares with robust standard errors and the scaled-shifted
        test (advisable with few categories or skewed answers; Rhemtulla, Brosseau-Liard &
        Savalei, 2012). The measurement, structural and E7 models use it; the
        multiple-group comparisons (P4, P5) keep MLR with FIML (stated in the notes).
    missing : {"fiml", "listwise", "pairwise"}, optional
        Default ``"fiml"`` for ML/MLR and ``"pairwise"`` (lavaan's choice for categorical
        data) for the categorical estimators, which cannot use FIML.
    ordered : sequence of str, optional
        The ordered-categorical items under a categorical estimator. Default: the items the
        item bank declares ordinal (``level: ordinal`` on their scale;
        :attr:`ModelSpec.ordered`). An explicit list overrides it (items not named are
        treated as continuous).
    outcomes : sequence of str
        Outcome constructs of the structural model.
    controls : sequence of str
        Control columns (derived ``log_employees``/``log_firm_age`` or columns of the data).
    model_options : mapping, optional
        Further :func:`build_model` arguments (e.g. ``actions=``, ``antecedents=``).
    clean_options : mapping, optional
        Further :func:`nrel_research.data.clean` arguments.
    seed : int
        For the stochastic steps (the bootstrap of P6); recorded in the settings.
    n_boot : int, default 1000
        Bootstrap replications of the network-mediation test (P6).
    progress : callable, optional
        Called with a message at the start of every step (e.g. ``print``).

    Returns
    -------
    StudyResult

    Raises
    ------
    DataError
        Unreadable or invalid data, no consenting key informants, missing model columns.

    Examples
    --------
    >>> from nrel_research.analysis import run_study
    >>> study = run_study(outcomes=["marketing_performance"], controls=(),
    ...                   model_options={"actions": ["R2", "E6"],
    ...                                  "antecedents": ["transactional_orientation"]},
    ...                   estimator="ML", n_boot=200)
    >>> study.propositions()[["proposition", "verdict"]]
      proposition        verdict
    0          P1      supported
    1          P3      supported
    2          P4  not supported
    3          P5   not testable
    4          P6      supported
    5          P8      supported
    """
    estimator = check_choice(
        estimator, "estimator", ["MLR", "ML", *CATEGORICAL_ESTIMATORS], normalize=True
    )
    categorical = estimator in CATEGORICAL_ESTIMATORS
    if missing is None:
        missing = "pairwise" if categorical else "fiml"
    missing = check_choice(
        missing,
        "missing",
        ["listwise", "pairwise"] if categorical else ["fiml", "listwise"],
        normalize=True,
    )
    if ordered is not None:
        if not categorical:
            raise SpecificationError(
                f"ordered= needs a categorical estimator (estimator='WLSMV'); with "
                f"estimator={estimator!r} the items are treated as continuous."
            )
        ordered = [ordered] if isinstance(ordered, str) else [str(v) for v in ordered]
    say = progress or (lambda _msg: None)
    notes: list[str] = []
    timings: dict[str, float] = {}
    settings = {
        "estimator": estimator,
        "missing": missing,
        "ordered": ordered,
        "seed": seed,
        "n_boot": n_boot,
        "outcomes": list(outcomes),
        "controls": list(controls),
        "model_options": dict(model_options or {}),
        "clean_options": dict(clean_options or {}),
    }

    def step(name):
        say(f"[{STUDY_STEPS.index(name) + 1}/{len(STUDY_STEPS)}] {name}")
        return time.perf_counter()

    t0 = step("import")
    import_report = None
    bundled_posts = None
    if responses is None:
        study = load_bundled_study(instrument=instrument)
        df = study.responses
        import_report = study.import_report
        bundled_posts = study.posts
        settings["source"] = "bundled simulated study (data/simulated/)"
    elif isinstance(responses, pd.DataFrame):
        df = responses
        settings["source"] = "DataFrame"
    else:
        path = Path(responses)
        df, import_report = read_responses(path, instrument, source)
        settings["source"] = path.name
    posts_df = bundled_posts if posts is None else posts
    if posts is not None and not isinstance(posts, pd.DataFrame):
        posts_df = pd.read_csv(posts)
    timings["import"] = time.perf_counter() - t0

    t0 = step("validation")
    validation = validate(df, instrument)
    timings["validation"] = time.perf_counter() - t0

    t0 = step("cleaning")
    cleaning = _clean(df, instrument, **(clean_options or {}))
    data = cleaning.data
    if "second_informant" in data.columns:
        second = pd.to_numeric(data["second_informant"], errors="coerce").eq(1)
        if second.any():
            notes.append(
                f"{int(second.sum())} second-informant response(s) kept aside: the models use "
                "one key informant per firm (independent rows)."
            )
        data = data[~second.to_numpy()]
    if data.empty:
        raise DataError(
            "no key-informant response is left after cleaning; check the consent column and "
            "the cleaning settings (clean_options)."
        )
    data = _derive_controls(data, notes)
    timings["cleaning"] = time.perf_counter() - t0

    t0 = step("measurement")
    options = {"outcomes": list(outcomes), "controls": list(controls), **(model_options or {})}
    # FIML, MLR and the categorical estimators need random (not fixed) covariates
    options.setdefault("fixed_x", not (missing == "fiml" or estimator == "MLR" or categorical))
    spec = build_model(instrument, **options) if instrument is not None else build_model(**options)
    notes.extend(spec.notes)
    prepared = spec.prepare(data)
    model_ordered = _ordered(spec, settings)
    if categorical:
        settings["ordered"] = model_ordered or []
        notes.append(
            f"{estimator} with {len(model_ordered or [])} ordered-categorical item(s) "
            f"({'as given' if ordered is not None else 'the item bank declares ordinal'}; "
            f"missing = {missing}): thresholds and polychoric correlations in the measurement "
            "and structural models; reliability is categorical omega and ordinal alpha."
        )
    measurement = _fit(
        spec.cfa_syntax, prepared, settings, "measurement model", notes, model_ordered
    )
    timings["measurement"] = time.perf_counter() - t0

    t0 = step("structural")
    structural = _fit(spec.syntax, prepared, settings, "structural model", notes, model_ordered)
    extra_tables: dict[str, pd.DataFrame] = {}
    fit_check = fit_assessment({"measurement model": measurement, "structural model": structural})
    if estimator != "ML" or missing != "listwise":
        # modification indices need ML with complete data: the local-fit check uses an ML
        # refit of the measurement model on the complete cases (a diagnostic only)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                diag = sem.fit(spec.cfa_syntax, prepared, estimator="ML", missing="listwise")
            local = fit_assessment({"measurement model (ML, complete cases)": diag})
            fit_check = pd.concat(
                [fit_check, local[local["measure"] == "max_mi"]], ignore_index=True
            )
        except NrelError as exc:
            notes.append(f"Local fit (modification indices): not computed ({exc}).")
    extra_tables["fit_assessment"] = fit_check
    for model_name, g in fit_check.groupby("model", sort=False):
        failed = g[~g["met"]]
        if len(failed):
            notes.append(
                f"Misfit flagged for the {model_name}: "
                + "; ".join(
                    f"{r.index} = {r.value:.3f} ({r.criterion})" for r in failed.itertuples()
                )
                + ". Inspect the modification indices and residuals before interpreting paths."
            )
    if "market_type" in data.columns and "E7" not in spec.roles["actions"]:
        extra_tables.update(_e7_within_b2b(data, instrument, options, settings, notes))
    timings["structural"] = time.perf_counter() - t0

    group_evidence: list[Evidence] = []
    t0 = step("mediation")
    med_actions = [a for a in spec.roles["actions"] if a in SHARED_ACTIONS]
    try:
        ev6, detail6 = network_mediation(
            data, actions=med_actions, mediators=NETWORK_MEDIATORS, n_boot=n_boot, seed=seed
        )
    except NrelError as exc:
        notes.append(f"P6: the network-mediation model could not be run ({exc}).")
    else:
        group_evidence.append(ev6)
        extra_tables["p6_indirect"] = detail6
        notes.append(f"P6: {ev6.note}")
    timings["mediation"] = time.perf_counter() - t0

    t0 = step("groups")
    labels = _group_labels(data, instrument)
    if labels is not None:
        grouped = data.assign(**labels)
        actions = [a for a in spec.roles["actions"] if a in SHARED_ACTIONS]
        if actions:
            for pid, col, kw in (
                ("P4", "_market", {"groups": ["B2B", "B2C"]}),
                ("P5", "_sector", {"pooling": DEFAULT_SECTOR_POOLING}),
            ):
                ev, tabs = group_comparison(
                    grouped,
                    col,
                    pid,
                    actions=actions,
                    estimator="MLR" if categorical else estimator,
                    missing="fiml" if categorical else missing,
                    **kw,
                )
                group_evidence.append(ev)
                for name, tab in tabs.items():
                    extra_tables[f"{pid.lower()}_{name}"] = tab
                notes.append(f"{pid}: {ev.note}")
            if categorical:
                notes.append(
                    "P4/P5: the multiple-group comparisons use MLR with FIML (items as "
                    "continuous), not the study's categorical estimator."
                )
            extra_tables.update(
                _regression_tables(grouped, actions, notes, n_boot=min(n_boot, 500), seed=seed)
            )
    else:
        notes.append("P4/P5: no market type or sector answers in the data; not tested.")
    timings["groups"] = time.perf_counter() - t0

    t0 = step("posts")
    if posts_df is not None and len(posts_df):
        try:
            nb = engagement_model(posts_df, outcome="likes")
        except NrelError as exc:
            notes.append(f"P8: the engagement model could not be fitted ({exc}).")
        else:
            at = nb.action_test().iloc[0]
            group_evidence.append(
                Evidence(
                    "P8",
                    f"joint Wald test of the action-type coefficients of the NB2 model of likes "
                    f"({at['cov_type']} covariance)",
                    statistic=float(at["statistic"]),
                    df=float(at["df"]),
                    pvalue=float(at["pvalue"]),
                    note=(
                        f"{nb.n_posts} posts of {nb.n_firms} firms; incidence-rate ratios in "
                        "table p8_irr."
                    ),
                )
            )
            extra_tables["p8_irr"] = nb.irr()
            extra_tables["p8_dispersion"] = nb.dispersion()
            extra_tables.update(_triangulation(posts_df, data, instrument, notes))
    else:
        notes.append("P8: no coded posts given (--posts); the post-level test was not run.")
    timings["posts"] = time.perf_counter() - t0

    t0 = step("checks")
    extra_tables.update(_validity_tables(spec, data, prepared, notes))
    timings["checks"] = time.perf_counter() - t0

    t0 = step("propositions")
    evidence = []
    tested = {ev.proposition for ev in group_evidence}
    for pid in ("P1", "P2", "P3", "P6", "P7"):
        if pid in tested:  # P6 by the bootstrapped indirect effects
            continue
        paths = spec.paths[(spec.paths["source"] == pid) & (spec.paths["op"] == "~")]
        if len(paths):
            evidence.append(path_evidence(structural, paths, pid))
    evidence.extend(group_evidence)
    if not evidence:
        raise NrelError(
            "the model tests no proposition (no path comes from P1-P3, P6 or P7); add "
            "constructs to the model."
        )
    tables = {
        "propositions": propositions_table(evidence),
        "reliability": sem.reliability(measurement),
        "htmt": (
            sem.htmt(spec.cfa_syntax, prepared, ordered=model_ordered, missing=missing)
            if categorical and model_ordered
            else sem.htmt(spec.cfa_syntax, prepared)
        ),
        "cleaning_steps": cleaning.report,
        "exclusions": cleaning.exclusions,
        "validation": validation,
        "early_late": cleaning.early_late,
    }
    tables.update(extra_tables)
    if tables["propositions"].attrs.get("paths") is not None:
        tables["proposition_paths"] = tables["propositions"].attrs["paths"]
    timings["propositions"] = time.perf_counter() - t0
    notes.append(
        "Results are associations in cross-sectional survey data; they do not establish that "
        "an action causes performance."
    )
    return StudyResult(
        settings=settings,
        import_report=import_report,
        validation=validation,
        cleaning=cleaning,
        data=data,
        spec=spec,
        measurement=measurement,
        structural=structural,
        evidence=evidence,
        tables=tables,
        notes=notes,
        timings=timings,
        posts=posts_df,
    )
