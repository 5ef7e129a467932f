"""Clean response data: quality flags, logged exclusions, missing data, de-identification."""

from __future__ import annotations

import html
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_choice
from ..exceptions import DataError, DataQualityWarning
from ..instruments import Instrument
from ._schema import RESPONSE_ID, is_missing, schema_of
from .missing import LittleMCARResult, em_moments, little_mcar_test
from .score import SCORED_STEP, construct_items, reverse_key, score
from .validate import relevance

__all__ = [
    "CleaningResult",
    "clean",
    "deidentify",
    "early_late_comparison",
    "even_odd_consistency",
    "longstring",
    "mahalanobis_distance",
    "missing_summary",
]

ACTIONS = ("exclude", "flag", None)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
URL = re.compile(r"https?://\S+|www\.\S+")
HANDLE = re.compile(r"(?<!\w)@\w{2,}")
PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")


# -- careless-responding indices ---------------------------------------------------------------
def longstring(df: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Long-string index: the longest and the mean run of identical consecutive answers.

    Runs are counted over ``items`` in the given (questionnaire) order, skipping
    unanswered items (Johnson, 2005; ``careless::longstring`` with ``avg = TRUE``
    computes the same on complete rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``longstring`` (longest run) and ``avgstring`` (mean run length), and
        ``n_answered``.

    Examples
    --------
    >>> import pandas as pd
    >>> longstring(pd.DataFrame({"a": [1, 2], "b": [1, 3], "c": [1, 3], "d": [2, 3]}),
    ...            ["a", "b", "c", "d"]).to_numpy().tolist()
    [[3.0, 2.0, 4.0], [3.0, 2.0, 4.0]]
    """
    x = df[items].apply(pd.to_numeric, errors="coerce").astype(float).to_numpy()
    longest, avg, n = [], [], []
    for row in x:
        answered = row[~np.isnan(row)]
        runs: list[int] = []
        for k, v in enumerate(answered):
            if k and v == answered[k - 1]:
                runs[-1] += 1
            else:
                runs.append(1)
        longest.append(float(max(runs)) if runs else np.nan)
        avg.append(float(np.mean(runs)) if runs else np.nan)
        n.append(float(len(answered)))
    return pd.DataFrame({"longstring": longest, "avgstring": avg, "n_answered": n}, index=df.index)


def even_odd_consistency(df: pd.DataFrame, scales: dict[str, list[str]]) -> pd.Series:
    """Even-odd consistency (Johnson, 2005; Meade & Craig, 2012).

    For each scale with at least two answered items, the mean of its odd-numbered and
    of its even-numbered items; the index is the within-person correlation of the odd
    and even half scores across scales, Spearman-Brown corrected (2r / (1 + r)). It
    needs three scales with both halves; low values flag careless responding. Apply
    reverse keying first.
    """
    odd, even = {}, {}
    for k, names in scales.items():
        if len(names) < 2:
            continue
        block = df[names].apply(pd.to_numeric, errors="coerce").astype(float)
        odd[k] = block.iloc[:, 0::2].mean(axis=1)
        even[k] = block.iloc[:, 1::2].mean(axis=1)
    o = pd.DataFrame(odd).to_numpy()
    e = pd.DataFrame(even).to_numpy()
    out = []
    for a, b in zip(o, e, strict=True):
        ok = ~np.isnan(a) & ~np.isnan(b)
        if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
            out.append(np.nan)
            continue
        r = float(np.corrcoef(a[ok], b[ok])[0, 1])
        out.append(2 * r / (1 + r) if r > -1 else np.nan)
    return pd.Series(out, index=df.index, name="even_odd")


def mahalanobis_distance(x: pd.DataFrame) -> pd.DataFrame:
    """Squared Mahalanobis distance of each row from the EM mean (Meade & Craig, 2012).

    With missing answers each row's distance uses its observed variables and the
    matching block of the ML (EM) covariance matrix; ``p_value`` is the chi-square tail
    probability with as many degrees of freedom as observed variables.
    """
    m = x.apply(pd.to_numeric, errors="coerce").astype(float)
    keep = m.notna().any(axis=1)
    mu, sigma, _ = em_moments(m[keep])
    arr = m.to_numpy()
    d2, dfs = [], []
    for row in arr:
        o = ~np.isnan(row)
        if not o.any():
            d2.append(np.nan)
            dfs.append(0)
            continue
        diff = row[o] - mu[o]
        d2.append(float(diff @ np.linalg.solve(sigma[np.ix_(o, o)], diff)))
        dfs.append(int(o.sum()))
    d2 = np.array(d2)
    dfs = np.array(dfs)
    p = np.where(dfs > 0, stats.chi2.sf(d2, np.maximum(dfs, 1)), np.nan)
    return pd.DataFrame({"mahalanobis_d2": d2, "mahalanobis_p": p}, index=x.index)


# -- missing data -----------------------------------------------------------------------------
def missing_summary(
    df: pd.DataFrame, instrument: Instrument | None = None
) -> dict[str, pd.DataFrame]:
    """Missing answers per item, construct and respondent, counting only shown questions.

    An item counts as missing for a respondent only when its skip logic showed it
    (E7 is not "missing" for a B2C firm).

    Returns
    -------
    dict
        ``"items"`` (``name, construct, n_shown, n_missing, share_missing``),
        ``"constructs"`` (``construct, n_items, n_shown, n_missing, share_missing``) and
        ``"respondents"`` (``response_id, n_shown, n_missing, share_missing``), over the
        respondent rating items.
    """
    schema = schema_of(instrument)
    names = [n for n in schema.rating_items if n in df.columns]
    shown = pd.DataFrame({n: relevance(df, n, schema)[0] for n in names}, index=df.index)
    miss = pd.DataFrame({n: df[n].map(is_missing).astype(bool) for n in names}, index=df.index)
    miss &= shown
    items = pd.DataFrame(
        {
            "name": names,
            "construct": [schema.rows[n]["construct"] for n in names],
            "n_shown": shown.sum().to_numpy(),
            "n_missing": miss.sum().to_numpy(),
        }
    )
    items["share_missing"] = items["n_missing"] / items["n_shown"].where(items["n_shown"] > 0)
    cons = (
        items.groupby("construct", sort=False)
        .agg(n_items=("name", "size"), n_shown=("n_shown", "sum"), n_missing=("n_missing", "sum"))
        .reset_index()
    )
    cons["share_missing"] = cons["n_missing"] / cons["n_shown"].where(cons["n_shown"] > 0)
    resp = pd.DataFrame(
        {
            RESPONSE_ID: df[RESPONSE_ID] if RESPONSE_ID in df.columns else df.index,
            "n_shown": shown.sum(axis=1),
            "n_missing": miss.sum(axis=1),
        },
        index=df.index,
    )
    resp["share_missing"] = resp["n_missing"] / resp["n_shown"].where(resp["n_shown"] > 0)
    return {"items": items, "constructs": cons, "respondents": resp.reset_index(drop=True)}


# -- early vs late ----------------------------------------------------------------------------
def early_late_comparison(
    df: pd.DataFrame, scores: pd.DataFrame, variables: list[str] | None = None
) -> pd.DataFrame:
    """Compare early and late respondents (Armstrong & Overton, 1977).

    Late respondents stand in for non-respondents. With a ``wave`` variable taking two
    or more values, early = the first wave and late = the last; otherwise the first
    and last third by completion time (``end_time``, else ``start_time``). Each numeric
    score is compared with Welch's t test (``scipy.stats.ttest_ind(equal_var=False)``),
    each categorical variable (market type, sector) with a chi-square test of
    independence (``scipy.stats.chi2_contingency``, no continuity correction).

    Returns
    -------
    pandas.DataFrame
        ``variable, basis, test, n_early, n_late, mean_early, mean_late, difference,
        statistic, df, p_value``; empty when neither waves nor timestamps allow a split.
    """
    cols = ["variable", "basis", "test", "n_early", "n_late", "mean_early", "mean_late",
            "difference", "statistic", "df", "p_value"]  # fmt: skip
    early = late = None
    basis = ""
    if "wave" in df.columns and df["wave"].dropna().nunique() >= 2:
        w = pd.to_numeric(df["wave"], errors="coerce")
        early, late = w == w.min(), w == w.max()
        basis = f"wave {int(w.min())} vs wave {int(w.max())}"
    else:
        for t in ("end_time", "start_time"):
            if t in df.columns and df[t].notna().sum() >= 6:
                ts = pd.to_datetime(df[t], errors="coerce")
                lo, hi = ts.quantile(1 / 3), ts.quantile(2 / 3)
                early, late = ts <= lo, ts >= hi
                basis = f"first vs last third by {t}"
                break
    if early is None:
        return pd.DataFrame(columns=cols)
    variables = variables or [
        c for c in scores.columns if pd.api.types.is_float_dtype(scores[c]) and c != "wave"
    ]
    rows = []
    for v in variables:
        a = scores.loc[early.to_numpy(), v].dropna().astype(float)
        b = scores.loc[late.to_numpy(), v].dropna().astype(float)
        if len(a) < 2 or len(b) < 2:
            continue
        res = stats.ttest_ind(a, b, equal_var=False)
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        rows.append(
            {
                "variable": v,
                "basis": basis,
                "test": "welch_t",
                "n_early": len(a),
                "n_late": len(b),
                "mean_early": a.mean(),
                "mean_late": b.mean(),
                "difference": b.mean() - a.mean(),
                "statistic": float(res.statistic),
                "df": float(dof),
                "p_value": float(res.pvalue),
            }
        )
    for v in [c for c in scores.columns if isinstance(scores[c].dtype, pd.CategoricalDtype)]:
        sub = scores.loc[(early | late).to_numpy(), v]
        group = np.where(early[(early | late)].to_numpy(), "early", "late")
        table = pd.crosstab(group, sub.to_numpy())
        table = table.loc[:, table.sum() > 0]
        if table.shape[0] < 2 or table.shape[1] < 2:
            continue
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        rows.append(
            {
                "variable": v,
                "basis": basis,
                "test": "chi2_independence",
                "n_early": int(table.loc["early"].sum()),
                "n_late": int(table.loc["late"].sum()),
                "mean_early": np.nan,
                "mean_late": np.nan,
                "difference": np.nan,
                "statistic": float(chi2),
                "df": float(dof),
                "p_value": float(p),
            }
        )
    return pd.DataFrame(rows, columns=cols)


# -- de-identification ------------------------------------------------------------------------
def deidentify(
    df: pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    keep_free_text: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Remove personal data; keep the firm id as the pseudonymous key.

    Removed: the identifier variables of the item bank other than ``firm_id`` (social
    media handles), which go to the linkage table; free-text answers (they can name
    people or firms) unless ``keep_free_text``; every column not in the data dictionary
    (platform columns such as IP addresses, recipient names and e-mails, locations); and,
    in the text columns that remain, any e-mail address, IP address, URL, @handle or
    phone number (the cell is blanked).

    Returns
    -------
    data : pandas.DataFrame
        The de-identified data (``response_id`` and ``firm_id`` kept).
    linkage : pandas.DataFrame
        ``firm_id``, ``response_id`` and the handle columns: store it apart from the
        analysis data (it joins survey answers to the firms' posts).
    log : pandas.DataFrame
        ``column, row, action, detail`` for every removal.
    """
    schema = schema_of(instrument)
    log = []
    identifiers = [n for n in schema.identifiers if n in df.columns and n != "firm_id"]
    link_cols = [c for c in ("firm_id", RESPONSE_ID) if c in df.columns] + identifiers
    linkage = df[link_cols].copy().reset_index(drop=True)
    drop = list(identifiers)
    for c in identifiers:
        log.append({"column": c, "row": None, "action": "moved to linkage table",
                    "detail": "identifier (social media handle)"})  # fmt: skip
    if not keep_free_text:
        for c in schema.free_text:
            if c in df.columns and c not in schema.identifiers:
                drop.append(c)
                log.append({"column": c, "row": None, "action": "dropped",
                            "detail": "free-text answer (may identify someone)"})  # fmt: skip
    known = set(schema.columns)
    for c in df.columns:
        if c not in known:
            drop.append(c)
            log.append({"column": c, "row": None, "action": "dropped",
                        "detail": "not in the data dictionary (platform column)"})  # fmt: skip
    out = df.drop(columns=drop).copy()
    for c in out.columns:
        if c in (RESPONSE_ID, "firm_id") or schema.codes(c):
            continue
        if not (pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object):
            continue
        for idx, v in out[c].items():
            if not isinstance(v, str):
                continue
            for what, pat in (("e-mail", EMAIL), ("IP address", IPV4), ("URL", URL),
                              ("@handle", HANDLE), ("phone number", PHONE)):  # fmt: skip
                if pat.search(v):
                    out.at[idx, c] = pd.NA
                    log.append({"column": c, "row": idx, "action": "blanked",
                                "detail": f"contains an {what}"})  # fmt: skip
                    break
    return out, linkage, pd.DataFrame(log, columns=["column", "row", "action", "detail"])


# -- the cleaning result ----------------------------------------------------------------------
@dataclass
class CleaningResult:
    """What :func:`clean` did: the cleaned data, every flag and exclusion, the summaries."""

    data: pd.DataFrame
    flags: pd.DataFrame
    exclusions: pd.DataFrame
    report: pd.DataFrame
    missing: dict[str, pd.DataFrame]
    mcar: LittleMCARResult | None
    early_late: pd.DataFrame
    linkage: pd.DataFrame
    deidentification: pd.DataFrame
    steps: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return a short text summary."""
        lines = [f"responses in: {self.rows_in}, out: {self.rows_out}"]
        for r in self.report.itertuples():
            lines.append(f"  {r.step}: {r.setting}; flagged {r.n_flagged}, excluded {r.n_excluded}")
        if self.mcar is not None:
            m = self.mcar
            lines.append(
                f"  Little's MCAR test: chi2({m.df}) = {m.statistic:.2f}, p = {m.p_value:.3g}"
            )
        return "\n".join(lines)

    def to_html(self, path=None) -> str:
        """Return (and optionally write) the cleaning report as a self-contained HTML page."""
        e = html.escape
        parts = [
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Cleaning report</title>",
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .5em}"
            "</style></head><body><h1>Cleaning report</h1>",
            f"<p>Responses in: {self.rows_in}; out: {self.rows_out}.</p>",
            "<h2>Steps</h2>",
            self.report.to_html(index=False, na_rep=""),
            "<h2>Exclusions</h2>",
            self.exclusions.to_html(index=False, na_rep="")
            if not self.exclusions.empty
            else "<p>None.</p>",
            "<h2>Missing data per construct</h2>",
            self.missing["constructs"].to_html(index=False, float_format="%.3f"),
        ]
        if self.mcar is not None:
            parts += ["<h2>Little's MCAR test</h2>", self.mcar.to_frame().to_html(index=False)]
        if not self.early_late.empty:
            parts += [
                "<h2>Early vs late respondents (Armstrong &amp; Overton, 1977)</h2>",
                self.early_late.to_html(index=False, float_format="%.3f"),
            ]
        parts += ["<h2>De-identification</h2>",
                  self.deidentification.to_html(index=False, na_rep="")]  # fmt: skip
        if self.notes:
            parts += ["<h2>Notes</h2><ul>"] + [f"<li>{e(n)}</li>" for n in self.notes] + ["</ul>"]
        parts.append("</body></html>")
        text = "\n".join(parts)
        if path is not None:
            from pathlib import Path

            Path(path).write_text(text, encoding="utf-8")
        return text


def _common_items(schema, rating: list[str]) -> list[str]:
    """Rating items shown to every consenting respondent (no attention checks, no marker)."""
    return [
        n
        for n in rating
        if all(c.item == "consent" for c in schema.question(n).relevant)
        and schema.instrument.bank.item(n).correct is None
        and schema.rows[n]["construct"] != "marker"
    ]


def _show(value) -> str:
    """Format a cell value for a log message: ``1``, ``'text'`` or ``<NA>`` (no numpy reprs)."""
    if is_missing(value):
        return "<NA>"
    return repr(value.item() if hasattr(value, "item") else value)


def _action(value, name):
    if value is False:
        value = None
    return check_choice(value, name, ACTIONS, error=DataError)


def clean(
    df: pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    consent: str | None = "exclude",
    duplicates: str | None = "exclude",
    attention: str | None = "exclude",
    straightlining: str | None = "exclude",
    longstring_share: float = 0.5,
    speeders: str | None = "exclude",
    speed_fraction: float = 1 / 3,
    mahalanobis: str | None = "flag",
    mahalanobis_alpha: float = 0.001,
    even_odd: str | None = "flag",
    even_odd_min: float = 0.0,
    competence: str | None = "exclude",
    competence_min: float = 4.0,
    missing: str | None = "flag",
    max_missing: float = 0.5,
    reverse: bool = True,
    deidentify_data: bool = True,
    keep_free_text: bool = False,
    mcar_test: bool = True,
    mcar_items: list[str] | None = None,
) -> CleaningResult:
    """Screen, flag and exclude responses; every decision is logged.

    Each screen takes ``"exclude"`` (flag and drop), ``"flag"`` (flag only) or ``None``
    (skip). Indices are computed on the answers as given (before reverse keying):

    - ``consent``: no consent given (``consent`` is not 1).
    - ``duplicates``: a repeated ``response_id``, or a response identical to an
      earlier one on every item (the first is kept).
    - ``attention``: an instructed-response item (Meade & Craig, 2012) not answered as
      instructed.
    - ``straightlining``: long-string index (Johnson, 2005): the longest run of
      identical consecutive rating answers covers at least ``longstring_share`` of the
      rating items the respondent answered.
    - ``speeders``: completion time (``end_time - start_time``) below ``speed_fraction``
      of the median.
    - ``mahalanobis``: multivariate outlier, chi-square p below ``mahalanobis_alpha``
      (on the rating items when n > 2 x items, else on construct scores).
    - ``even_odd``: even-odd consistency below ``even_odd_min``.
    - ``competence``: informant competence (mean of the ``ic_*`` items, Kumar, Stern &
      Anderson, 1993) below ``competence_min``.
    - ``missing``: more than ``max_missing`` of the shown rating items unanswered.

    Then reverse-keyed items are recoded (``reverse``), personal data are removed
    (:func:`deidentify`), missing data are summarised with Little's MCAR test on the
    rating items shown to every respondent (or ``mcar_items``; the test needs more
    responses than items), and early and late respondents are compared
    (:func:`early_late_comparison`).

    Returns
    -------
    CleaningResult
        ``data`` (cleaned), ``flags`` (every index and flag per input row),
        ``exclusions`` (``row, respondent_id, reason, detail``), ``report`` (one row per
        step: ``step, setting, n_flagged, n_excluded``), ``missing``, ``mcar``,
        ``early_late``, ``linkage``, ``deidentification``; ``to_html()`` renders it.

    Examples
    --------
    >>> from nrel_research import data
    >>> raw = data.demo_responses(60, seed=5)
    >>> res = data.clean(raw)
    >>> planted = set(raw.attrs["planted"]["speeder"] + raw.attrs["planted"]["straightliner"])
    >>> planted <= set(res.exclusions["respondent_id"])
    True
    """
    schema = schema_of(instrument)
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"df must be a pandas DataFrame, got {type(df).__name__}.")
    if SCORED_STEP in df.attrs.get("nrel_steps", []):
        raise DataError("clean() needs the answers as given; these data are already reverse-keyed.")
    settings = {
        "consent": _action(consent, "consent"),
        "duplicates": _action(duplicates, "duplicates"),
        "attention": _action(attention, "attention"),
        "straightlining": _action(straightlining, "straightlining"),
        "speeders": _action(speeders, "speeders"),
        "mahalanobis": _action(mahalanobis, "mahalanobis"),
        "even_odd": _action(even_odd, "even_odd"),
        "competence": _action(competence, "competence"),
        "missing": _action(missing, "missing"),
    }
    data = df.reset_index(drop=True)
    ids = data[RESPONSE_ID] if RESPONSE_ID in data.columns else pd.Series(data.index.astype(str))
    flags = pd.DataFrame({RESPONSE_ID: ids.to_numpy()}, index=data.index)
    log: list[dict] = []
    notes: list[str] = []
    report_rows = []
    rating = [n for n in schema.rating_items if n in data.columns]

    def apply(step, mask, detail_fn, setting_text):
        mask = pd.Series(mask, index=data.index).fillna(False).astype(bool)
        action = settings[step]
        flags[f"flag_{step}"] = mask
        n_ex = 0
        for idx in data.index[mask]:
            log.append({"row": idx, "respondent_id": ids[idx], "reason": step,
                        "detail": detail_fn(idx), "excluded": action == "exclude"})  # fmt: skip
            n_ex += action == "exclude"
        report_rows.append({"step": step, "setting": f"{action}: {setting_text}",
                            "n_flagged": int(mask.sum()), "n_excluded": int(n_ex)})  # fmt: skip

    def skipped(step, why="not requested"):
        report_rows.append({"step": step, "setting": f"skipped: {why}", "n_flagged": 0,
                            "n_excluded": 0})  # fmt: skip

    consented = pd.Series(True, index=data.index)
    if "consent" in data.columns:
        consented = pd.to_numeric(data["consent"], errors="coerce") == 1
    if settings["consent"]:
        apply("consent", ~consented, lambda i: f"consent = {_show(data.at[i, 'consent'])}",
              "consent is not 1")  # fmt: skip
    else:
        skipped("consent")
    # duplicates
    if settings["duplicates"]:
        item_cols = [c for c in schema.names if c in data.columns
                     and schema.rows[c]["audience"] == "respondent"]  # fmt: skip
        dup_id = ids.notna() & ids.duplicated(keep="first")
        dup_content = data[item_cols].astype(object).where(data[item_cols].notna(), None)
        dup_rows = dup_content.apply(lambda r: tuple(r), axis=1).duplicated(keep="first")
        apply("duplicates", dup_id | dup_rows,
              lambda i: "repeated response_id" if dup_id[i] else "identical to an earlier response",
              "repeated response_id or identical answers")  # fmt: skip
    else:
        skipped("duplicates")
    # attention checks
    checks = [(n, schema.instrument.bank.item(n).correct) for n in rating
              if schema.instrument.bank.item(n).correct is not None]  # fmt: skip
    if settings["attention"] and checks:
        fails = pd.Series(0, index=data.index)
        for n, correct in checks:
            val = data[n].map(lambda v: None if is_missing(v) else str(int(float(v))))
            fails += (val != correct).astype(int)
        apply("attention", (fails > 0) & consented,
              lambda i: f"{int(fails[i])} of {len(checks)} instructed-response item(s) failed",
              f"any of {', '.join(n for n, _ in checks)} not answered as instructed")  # fmt: skip
        flags["attention_failures"] = fails
    else:
        skipped("attention", "not requested" if not checks else "no attention items")
    # long-string
    ls = longstring(data, rating)
    flags[["longstring", "avgstring"]] = ls[["longstring", "avgstring"]]
    if settings["straightlining"]:
        lim = longstring_share * ls["n_answered"]
        mask = (ls["longstring"] >= lim) & (ls["n_answered"] >= 4) & consented
        apply("straightlining", mask,
              lambda i: f"longest run {int(ls.at[i, 'longstring'])} of "
              f"{int(ls.at[i, 'n_answered'])} answered rating items",
              f"longest identical run >= {longstring_share:g} of answered items")  # fmt: skip
    else:
        skipped("straightlining")
    # speeders
    if {"start_time", "end_time"} <= set(data.columns) and data["start_time"].notna().any():
        dur = pd.to_datetime(data["end_time"]) - pd.to_datetime(data["start_time"])
        dur = dur.dt.total_seconds()
        flags["duration_seconds"] = dur
        if settings["speeders"]:
            med = float(dur[consented].median())
            lim = speed_fraction * med
            apply("speeders", (dur < lim) & consented,
                  lambda i: f"{dur[i]:.0f} s (median {med:.0f} s)",
                  f"duration < {speed_fraction:.3g} x median ({lim:.0f} s)")  # fmt: skip
        else:
            skipped("speeders")
    else:
        skipped("speeders", "no start/end times")
    # reverse-keyed copy for consistency indices and scores
    keyed = reverse_key(data, schema.instrument)
    scales = {k: [n for n in v if n in data.columns] for k, v in construct_items(schema).items()}
    scales = {k: v for k, v in scales.items() if v}
    if settings["even_odd"]:
        eo = even_odd_consistency(keyed, scales)
        flags["even_odd"] = eo
        apply("even_odd", (eo < even_odd_min) & consented,
              lambda i: f"even-odd consistency {eo[i]:.2f}",
              f"even-odd consistency < {even_odd_min:g}")  # fmt: skip
    else:
        skipped("even_odd")
    if settings["mahalanobis"]:
        base = _common_items(schema, rating)
        sub = keyed.loc[consented, base]
        use = "items"
        if len(sub) <= 2 * len(base):
            sc = score(keyed, schema.instrument, reverse=False)
            cols = [
                k for k in scales if k in sc.columns and sc.loc[consented, k].notna().mean() > 0.9
            ]
            sub = sc.loc[consented, cols]
            use = "construct scores"
        if len(sub) > 2 * sub.shape[1] and sub.shape[1] >= 2:
            md = mahalanobis_distance(sub)
            flags["mahalanobis_d2"] = md["mahalanobis_d2"]
            flags["mahalanobis_p"] = md["mahalanobis_p"]
            mp = flags["mahalanobis_p"]
            apply("mahalanobis", mp < mahalanobis_alpha,
                  lambda i: f"D2 = {flags.at[i, 'mahalanobis_d2']:.1f}, p = {mp[i]:.2g} ({use})",
                  f"chi-square p < {mahalanobis_alpha:g} on {use}")  # fmt: skip
        else:
            skipped("mahalanobis", f"too few responses ({len(sub)}) for {sub.shape[1]} variables")
            notes.append(
                "Mahalanobis distance not computed: needs more than 2 responses per variable."
            )
    else:
        skipped("mahalanobis")
    ic = [n for n in rating if schema.rows[n]["construct"] == "informant_competence"]
    if settings["competence"] and ic:
        comp = keyed[ic].apply(pd.to_numeric, errors="coerce").astype(float).mean(axis=1)
        flags["informant_competence"] = comp
        apply("competence", (comp < competence_min) & consented,
              lambda i: f"informant competence {comp[i]:.2f}",
              f"mean of {', '.join(ic)} < {competence_min:g}")  # fmt: skip
    else:
        skipped("competence", "not requested" if ic else "no competence items")
    miss = missing_summary(data, schema.instrument)
    resp = miss["respondents"]
    flags["share_missing"] = resp["share_missing"].to_numpy()
    if settings["missing"]:
        sm = flags["share_missing"]
        apply("missing", (sm > max_missing) & consented,
              lambda i: f"{sm[i]:.0%} of shown rating items unanswered",
              f"more than {max_missing:.0%} of shown rating items unanswered")  # fmt: skip
    else:
        skipped("missing")
    exclusions = pd.DataFrame(log, columns=["row", "respondent_id", "reason", "detail", "excluded"])
    excluded_rows = set(exclusions.loc[exclusions["excluded"], "row"])
    flags["excluded"] = flags.index.isin(excluded_rows)
    kept = data.loc[~data.index.isin(excluded_rows)].reset_index(drop=True)
    steps = [f"screen:{r['step']}:{r['setting']}" for r in report_rows]
    if reverse:
        kept = reverse_key(kept, schema.instrument)
        rk = schema.dictionary.loc[schema.dictionary["reverse_keyed"].astype(bool), "name"]
        steps.append("reverse_keyed: " + ", ".join(rk))
    linkage = pd.DataFrame()
    deid_log = pd.DataFrame(columns=["column", "row", "action", "detail"])
    if deidentify_data:
        attrs = dict(kept.attrs)
        kept, linkage, deid_log = deidentify(kept, schema.instrument, keep_free_text=keep_free_text)
        kept.attrs.update(attrs)
        steps.append("deidentified")
    kept.attrs["nrel_steps"] = [*df.attrs.get("nrel_steps", []), *(
        [SCORED_STEP] if reverse else [])]  # fmt: skip
    if "source" in df.attrs:
        kept.attrs["source"] = df.attrs["source"]
    final_missing = missing_summary(kept, schema.instrument) if rating else miss
    mcar = None
    if mcar_test:
        base = mcar_items or [n for n in _common_items(schema, rating) if n in kept.columns]
        x = kept[base].apply(pd.to_numeric, errors="coerce").astype(float)
        if len(x) > x.shape[1] and x.isna().any().any():
            try:
                mcar = little_mcar_test(x)
            except (np.linalg.LinAlgError, DataError) as exc:
                notes.append(f"Little's MCAR test not computed: {exc}")
        else:
            notes.append(
                "Little's MCAR test not computed: no missing answers, or fewer responses "
                f"({len(x)}) than items ({x.shape[1]})."
            )
        if mcar is not None and mcar.p_value < 0.05:
            warnings.warn(
                f"Little's MCAR test rejects MCAR (chi2({mcar.df}) = {mcar.statistic:.1f}, "
                f"p = {mcar.p_value:.3g}): use FIML or multiple imputation, not listwise "
                "deletion.",
                DataQualityWarning,
                stacklevel=2,
            )
    sc = score(kept, schema.instrument)
    el = early_late_comparison(kept, sc)
    return CleaningResult(
        data=kept,
        flags=flags,
        exclusions=exclusions,
        report=pd.DataFrame(report_rows, columns=["step", "setting", "n_flagged", "n_excluded"]),
        missing=final_missing,
        mcar=mcar,
        early_late=el,
        linkage=linkage,
        deidentification=deid_log,
        steps=steps,
        rows_in=len(df),
        rows_out=len(kept),
        notes=notes,
    )
