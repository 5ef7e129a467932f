"""Lavaan model syntax -> parameter table, as ``lavaan::lavaanify`` for ``sem()``/``cfa()``.

The parser follows ``lavaan:::lavParseModelString`` and the table follows
``lavaan:::lav_partable_flat`` and ``lavaanify`` of lavaan 0.6.14 with the defaults of
``sem()``/``cfa()``: ``auto.fix.first``, ``auto.fix.single``, ``auto.var``, ``auto.cov.lv.x``,
``auto.cov.y``, ``int.ov.free = TRUE``, ``int.lv.free = FALSE``, ``fixed.x = TRUE`` and a mean
structure only when the syntax uses ``~1``. Equal labels become ``==`` rows (``user == 2``) as
lavaan does (``ceq.simple = FALSE``). With several groups, ``group_equal``/``group_partial``
follow ``lav_partable_labels`` and the group adjustments of ``lav_partable_flat`` (rows that
share a label "lhs op rhs" of group 1 are equal; ``tests/reference/sem_group_equal.R``). Checked
against ``lavaanify()``/``parTable()`` output stored
in ``tests/reference/sem_ml.json`` (script ``tests/reference/sem_ml.R``).

Supported operators: ``=~`` (loadings), ``~`` (regressions), ``~~`` (variances and covariances),
``~ 1`` (intercepts), ``:=`` (defined parameters) and ``==`` between two labels. Inequality
constraints (``<``, ``>``), formative indicators (``<~``), thresholds (``|``), interactions
(``x1:x2``) and block syntax (``group: 1``) are refused with a :class:`SpecificationError`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError

__all__ = ["GROUP_EQUAL_KEYWORDS", "ParTable", "check_group_equal", "parse_model"]

_OPS = ("=~", "<~", "~*~", "~~", ":=", "==", "<", ">", "~", "|", "%", ":")
_OP_RE = re.compile(r"=~|<~|~\*~|~~|:=|==|<|>|~|\||%|:")
_NAME_RE = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUM_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_SUPPORTED_CONSTRAINT = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclass
class _Formula:
    lhs: list[str]
    op: str
    rhs: str
    line: int
    text: str


@dataclass
class ParTable:
    """A parameter table as lavaan's ``parTable()``, plus the variable sets of the model.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per parameter with columns ``id, lhs, op, rhs, user, block, group, free,
        ustart, exo, label, plabel`` (lavaan's names and meanings; ``free`` counts from 1,
        0 = fixed) and ``line`` (line of the model syntax, 0 for automatic rows).
    ov_names, lv_names : list of str
        Observed and latent variable names in lavaan's order.
    ov_x : list of str
        Exogenous observed covariates whose (co)variances and means are fixed at their sample
        values (``fixed.x = TRUE``).
    meanstructure : bool
        Whether intercepts and means are part of the model.
    ngroups : int
        Number of groups the table was built for.
    random_x : list of str
        Covariates that would be exogenous but whose (co)variances or intercepts the syntax
        specifies, so they are treated as random (lavaan warns about this too).
    group_equal, group_partial : tuple of str
        The cross-group equality constraints the table was built with (normalised:
        ``group_partial`` without white space, covariances in the table's order).
    messages : list of str
        Notes for the user about the specification (e.g. a ``group_partial`` entry that has
        no effect); :func:`~nrel_research.sem.fit` records them as warnings.
    ordered : list of str
        The ordered (ordinal) indicators, in observed-variable order.
    nthresholds : dict
        Their numbers of thresholds.
    parameterization : str
        ``"delta"`` or ``"theta"`` (lavaan's ``parameterization``; matters for ordered).
    constrained : tuple of str
        The parameters ``group_equal`` holds equal across groups before ``group_partial``
        frees some (lavaan's spelling without spaces, e.g. ``"visual=~x2"``, ``"x1~1"``),
        including fixed ones (a marker loading) and user-labelled ones.
    """

    table: pd.DataFrame
    ov_names: list[str]
    lv_names: list[str]
    ov_x: list[str]
    meanstructure: bool
    ngroups: int = 1
    model: str = field(default="", repr=False)
    random_x: list[str] = field(default_factory=list)
    group_equal: tuple[str, ...] = ()
    group_partial: tuple[str, ...] = ()
    messages: list[str] = field(default_factory=list, repr=False)
    constrained: tuple[str, ...] = ()
    ordered: list[str] = field(default_factory=list)
    nthresholds: dict[str, int] = field(default_factory=dict)
    parameterization: str = "delta"

    def __repr__(self) -> str:
        return (
            f"ParTable({len(self.table)} rows, ov={self.ov_names}, lv={self.lv_names}, "
            f"meanstructure={self.meanstructure}, ngroups={self.ngroups})"
        )


# --------------------------------------------------------------------------------------
# tokenising
# --------------------------------------------------------------------------------------
def _strip_comment(line: str) -> str:
    out = []
    quote = None
    for ch in line:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "#!":
            break
        out.append(ch)
    return "".join(out)


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside parentheses and quotes."""
    parts, depth, cur, quote = [], 0, [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _formulas(model: str) -> list[_Formula]:
    """Split the syntax into formulas, as ``lavParseModelString`` does.

    Comments (``#``, ``!``) are removed, ``;`` separates formulas on a line, and a line without
    an operator continues the previous formula (so do lines after one ending in ``+`` or ``*``).
    """
    if not isinstance(model, str):
        raise SpecificationError(
            f"model must be a string of lavaan syntax, got {type(model).__name__}."
        )
    pieces: list[tuple[int, str]] = []
    for lineno, raw in enumerate(model.splitlines(), start=1):
        text = _strip_comment(raw)
        for piece in _split_top(text, ";"):
            bad = re.search(r"[A-Za-z0-9_.)\"']\s+[A-Za-z0-9_.(\"']", piece.strip())
            if bad:
                raise SpecificationError(
                    f"model syntax line {lineno}: {piece.strip()!r} has white space between "
                    "two names or values; join terms with '+' and modifiers with '*'."
                )
            piece = re.sub(r"\s+", "", piece)
            if piece:
                pieces.append((lineno, piece))
    merged: list[tuple[int, str]] = []
    for lineno, piece in pieces:
        after_operator = merged and (merged[-1][1][-1] in "+*=~<>:|" or piece[0] in "+*")
        if after_operator:
            merged[-1] = (merged[-1][0], merged[-1][1] + piece)
        elif not _OP_RE.search(piece):
            raise SpecificationError(
                f"model syntax line {lineno}: {piece!r} contains no operator (=~, ~, ~~, ~ 1, "
                ":=) and does not continue a formula (the previous line does not end with '+')."
            )
        else:
            merged.append((lineno, piece))
    out = []
    for lineno, text in merged:
        m = _OP_RE.search(text)
        if m is None:
            raise SpecificationError(
                f"model syntax line {lineno}: {text!r} contains no operator "
                "(=~, ~, ~~, ~ 1, :=); check for a missing operator or a stray line."
            )
        op = m.group(0)
        lhs, rhs = text[: m.start()], text[m.end() :]
        if op in ("<", ">"):
            raise SpecificationError(
                f"model syntax line {lineno}: inequality constraint {text!r} is not supported "
                "yet; remove it (or fix the parameter with a value, e.g. 0*x)."
            )
        if op == "<~":
            raise SpecificationError(
                f"model syntax line {lineno}: formative indicators ({text!r}) are not supported "
                "yet; model the block as a composite of observed scores instead."
            )
        if op == "|":
            raise SpecificationError(
                f"model syntax line {lineno}: thresholds ({text!r}) cannot be written in the "
                "syntax yet; declare the items ordinal with fit(..., ordered=[...]) and the "
                "thresholds are added (and estimated) automatically, as lavaan does."
            )
        if op in ("~*~", "%"):
            raise SpecificationError(
                f"model syntax line {lineno}: operator {op!r} in {text!r} is not supported."
            )
        if op == ":":
            raise SpecificationError(
                f"model syntax line {lineno}: block syntax {text!r} (e.g. 'group: 1') is not "
                "supported; fit several groups with fit(..., group='column') instead."
            )
        if not lhs or not rhs:
            raise SpecificationError(
                f"model syntax line {lineno}: {text!r} lacks a left- or right-hand side."
            )
        if op in (":=", "=="):
            out.append(_Formula([lhs], op, rhs, lineno, text))
            continue
        lhs_names = _split_top(lhs, "+")
        for name in lhs_names:
            if not _NAME_RE.match(name):
                raise SpecificationError(
                    f"model syntax line {lineno}: {name!r} in {text!r} is not a valid variable "
                    "name (use letters, digits, '_' and '.', not starting with a digit; "
                    "modifiers such as a*x belong on the right-hand side)."
                )
        out.append(_Formula(lhs_names, op, rhs, lineno, text))
    return out


def _parse_value(tok: str, lineno: int, text: str) -> object:
    """Parse one modifier value: number -> float, NA -> nan, name/'str' -> str label."""
    if tok == "NA":
        return math.nan
    if _NUM_RE.match(tok):
        return float(tok)
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "\"'":
        return tok[1:-1]
    if _NAME_RE.match(tok):
        return tok
    raise SpecificationError(
        f"model syntax line {lineno}: cannot read the modifier {tok!r} in {text!r}; use a "
        "number (fixed value), NA (free), a label, start(value) or c(...)."
    )


def _parse_vector(tok: str, lineno: int, text: str) -> list[object]:
    if tok.startswith("c(") and tok.endswith(")"):
        return [_parse_value(t, lineno, text) for t in _split_top(tok[2:-1], ",")]
    return [_parse_value(tok, lineno, text)]


def _parse_term(term: str, lineno: int, text: str) -> tuple[str, dict]:
    """Split ``mod1*mod2*name`` into the variable and its modifiers."""
    mods: dict[str, list] = {}
    if "?" in term and "*" not in term:
        start, _, name = term.partition("?")
        mods["start"] = _parse_vector(start, lineno, text)
        return name, mods
    parts = _split_top(term, "*")
    name = parts[-1]
    for mod in parts[:-1]:
        if not mod:
            raise SpecificationError(f"model syntax line {lineno}: empty modifier in {text!r}.")
        m = re.match(r"^(start|label|equal|lower|upper|prior|efa|rv)\((.*)\)$", mod)
        if m:
            kind, inner = m.groups()
            if kind in ("lower", "upper", "prior", "efa", "rv"):
                raise SpecificationError(
                    f"model syntax line {lineno}: the modifier {kind}() in {text!r} is not "
                    "supported yet."
                )
            values = _parse_vector(inner, lineno, text)
            if kind == "start":
                if any(isinstance(v, str) for v in values):
                    raise SpecificationError(
                        f"model syntax line {lineno}: start() needs numbers, got {inner!r}."
                    )
                mods["start"] = values
            else:
                mods["label"] = [str(v) for v in values]
            continue
        values = _parse_vector(mod, lineno, text)
        if all(isinstance(v, str) for v in values):
            mods["label"] = values
        elif all(isinstance(v, float) for v in values):
            mods["fixed"] = values
        else:
            raise SpecificationError(
                f"model syntax line {lineno}: {mod!r} in {text!r} mixes labels and values; "
                "use separate modifiers, e.g. c(1, 1)*c(a, b)*x or start(1)*a*x."
            )
    return name, mods


# --------------------------------------------------------------------------------------
# flattening and default parameters (lav_partable_flat)
# --------------------------------------------------------------------------------------
def _flatten(formulas: list[_Formula]):
    rows = []  # (lhs, op, rhs, mod_idx, line)
    mods: list[dict] = []
    constraints = []  # (lhs, op, rhs, line)
    seen = set()
    for f in formulas:
        if f.op in (":=", "=="):
            if f.op == ":=" and not _NAME_RE.match(f.lhs[0]):
                raise SpecificationError(
                    f"model syntax line {f.line}: the defined parameter name {f.lhs[0]!r} in "
                    f"{f.text!r} is not a valid name."
                )
            constraints.append((f.lhs[0], f.op, f.rhs, f.line))
            continue
        for term in _split_top(f.rhs, "+"):
            if not term:
                raise SpecificationError(
                    f"model syntax line {f.line}: empty term in {f.text!r} (a '+' too many?)."
                )
            name, mod = _parse_term(term, f.line, f.text)
            op = f.op
            rhs = name
            if op == "~" and name == "1":
                op, rhs = "~1", ""
            elif name == "1" or (_NUM_RE.match(name) and op != "~"):
                raise SpecificationError(
                    f"model syntax line {f.line}: {term!r} in {f.text!r}: a number can only "
                    "stand alone as an intercept (y ~ 1)."
                )
            elif ":" in name:
                raise SpecificationError(
                    f"model syntax line {f.line}: interaction terms ({name!r}) are not supported."
                )
            elif not _NAME_RE.match(name):
                raise SpecificationError(
                    f"model syntax line {f.line}: {name!r} in {f.text!r} is not a valid "
                    "variable name."
                )
            for lhs in f.lhs:
                if op == "=~" and lhs == rhs:
                    raise SpecificationError(
                        f"model syntax line {f.line}: {lhs!r} cannot be an indicator of itself."
                    )
                key = (lhs, op, rhs)
                if key in seen:
                    # lavaan warns and ignores duplicated elements; we refuse (a likely typo)
                    raise SpecificationError(
                        f"model syntax line {f.line}: {lhs} {op} {rhs} is specified twice; "
                        "remove the duplicate."
                    )
                seen.add(key)
                mod_idx = 0
                if mod:
                    mods.append(mod)
                    mod_idx = len(mods)
                rows.append((lhs, op, rhs, mod_idx, f.line))
    if not rows:
        raise SpecificationError(
            "the model syntax defines no parameters; write e.g. 'f =~ x1 + x2 + x3'."
        )
    return rows, mods, constraints


def _unique(seq):
    out = []
    for s in seq:
        if s not in out:
            out.append(s)
    return out


def _vnames(rows):
    """Return lavaan's variable sets for a single block (lav_partable_vnames)."""
    lhs = [r[0] for r in rows]
    op = [r[1] for r in rows]
    rhs = [r[2] for r in rows]
    user = [r[5] if len(r) > 5 else 1 for r in rows]
    lv = _unique([lhs[i] for i in range(len(rows)) if op[i] == "=~"])
    eqs_y = _unique([lhs[i] for i in range(len(rows)) if op[i] == "~"])
    eqs_x = _unique([rhs[i] for i in range(len(rows)) if op[i] == "~"])
    v_ind = _unique([rhs[i] for i in range(len(rows)) if op[i] == "=~"])
    ov_ind = [v for v in v_ind if v not in lv]
    ov_y = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y]
    ov_cov = [lhs[i] for i in range(len(rows)) if op[i] == "~~" and lhs[i] not in lv] + [
        rhs[i] for i in range(len(rows)) if op[i] == "~~" and rhs[i] not in lv
    ]
    ov_int = [lhs[i] for i in range(len(rows)) if op[i] == "~1" and lhs[i] not in lv]
    ov_tmp = ov_ind + ov_y + ov_x
    extra = _unique(ov_cov + ov_int)
    ov = ov_tmp + [v for v in extra if v not in ov_tmp]
    # exogenous covariates with user-given (co)variances or intercepts become random
    user_vars = set()
    for i in range(len(rows)):
        if user[i] == 1 and op[i] in ("~1", "~~"):
            user_vars.add(lhs[i])
            if op[i] == "~~":
                user_vars.add(rhs[i])
    ov_names_x = [v for v in ov_x if v not in user_vars]
    random_x = [v for v in ov_x if v in user_vars]
    ov_nox = [v for v in ov if v not in ov_names_x]
    lv_x = [v for v in lv if v not in v_ind and v not in eqs_y]
    tmp = [v for v in eqs_y if v not in v_ind and v not in eqs_x and v not in lv]
    ov_y_exp = [v for v in ov if v in tmp]
    tmp = [v for v in eqs_y if v not in v_ind and v not in eqs_x and v in lv]
    lv_y = [v for v in lv if v in tmp]
    return {
        "lv": lv,
        "ov": ov,
        "ov_x": ov_names_x,
        "ov_nox": ov_nox,
        "lv_x": lv_x,
        "ov_y": ov_y_exp,
        "lv_y": lv_y,
        "random_x": random_x,
    }


def _default_rows(vn, meanstructure, ordered=None):
    """Default (``user = 0``) rows in lavaan's order (``lav_partable_flat``).

    ``ordered`` maps each ordered indicator to its number of thresholds: threshold rows
    ``x | t1, ...`` come first, and a scale row ``x ~*~ x`` per ordered variable comes after
    the (co)variances, before the intercepts.
    """
    ordered = ordered or {}
    out = []
    for v in vn["ov"]:
        for k in range(ordered.get(v, 0)):
            out.append((v, "|", f"t{k + 1}"))
    for v in vn["ov_nox"] + vn["lv"]:
        out.append((v, "~~", v))
    lv_x = vn["lv_x"]
    if len(lv_x) > 1:
        for i in range(len(lv_x)):
            for j in range(i + 1, len(lv_x)):
                out.append((lv_x[i], "~~", lv_x[j]))
    y = vn["lv_y"] + vn["ov_y"]
    if len(y) > 1:
        for i in range(len(y)):
            for j in range(i + 1, len(y)):
                out.append((y[i], "~~", y[j]))
    x = vn["ov_x"]
    for j in range(len(x)):
        for i in range(j, len(x)):
            out.append((x[j], "~~", x[i]))
    for v in vn["ov"]:
        if v in ordered:
            out.append((v, "~*~", v))
    if meanstructure:
        for v in vn["ov"] + vn["lv"]:
            out.append((v, "~1", ""))
    return out


#: lavaan's ``group.equal`` keywords that the engine supports, in lavaan's order of meaning
GROUP_EQUAL_KEYWORDS = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "regressions",
)
_PARTIAL_RE = re.compile(r"^([A-Za-z_.][A-Za-z0-9_.]*)(=~|~~|~)([A-Za-z0-9_.]+)$")


def _as_tuple(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    try:
        items = tuple(value)
    except TypeError:
        raise SpecificationError(
            f"{what}={value!r} is not valid; give a string or a list of strings."
        ) from None
    for item in items:
        if not isinstance(item, str):
            raise SpecificationError(
                f"{what}: {item!r} is not a string; give lavaan's strings, e.g. "
                + ("'loadings'." if what == "group_equal" else "'visual =~ x2' or 'x1 ~ 1'.")
            )
    return tuple(item for item in items if item.strip())


def check_group_equal(group_equal: Sequence[str] | str) -> tuple[str, ...]:
    """Validate lavaan ``group.equal`` keywords; return them as a tuple without duplicates.

    Parameters
    ----------
    group_equal : str or sequence of str
        Keywords among :data:`GROUP_EQUAL_KEYWORDS` (``"loadings"``, ``"intercepts"``,
        ``"means"``, ``"residuals"``, ``"residual.covariances"``, ``"lv.variances"``,
        ``"lv.covariances"``, ``"regressions"``); a single string is one keyword.

    Returns
    -------
    tuple of str

    Raises
    ------
    SpecificationError
        For an unknown keyword (the message lists the valid ones), for ``"thresholds"``
        (ordinal models are not supported yet) and for ``"composite.loadings"`` (formative
        indicators are not supported).

    Examples
    --------
    >>> check_group_equal(["loadings", "intercepts"])
    ('loadings', 'intercepts')
    """
    out: list[str] = []
    for kw in _as_tuple(group_equal, "group_equal"):
        key = kw.strip()
        if key == "thresholds":
            raise SpecificationError(
                "group_equal: 'thresholds' applies to ordinal (categorical) indicators, which "
                "the engine does not support yet; treat the items as continuous and use "
                "'intercepts', or fit the ordinal model in lavaan."
            )
        if key == "composite.loadings":
            raise SpecificationError(
                "group_equal: 'composite.loadings' needs formative indicators (<~), which are "
                "not supported yet."
            )
        if key not in GROUP_EQUAL_KEYWORDS:
            close = difflib.get_close_matches(key, GROUP_EQUAL_KEYWORDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecificationError(
                f"group_equal: unknown keyword {kw!r}.{hint} Valid keywords (lavaan's "
                f"group.equal): {', '.join(repr(k) for k in GROUP_EQUAL_KEYWORDS)}."
            )
        if key not in out:
            out.append(key)
    return tuple(out)


def _parse_partial(entry: str) -> str:
    """Normalise one ``group.partial`` string as lavaan does (white space removed)."""
    text = re.sub(r"\s+", "", entry)
    m = _PARTIAL_RE.match(text)
    ok = m is not None
    if ok:
        op, rhs = m.group(2), m.group(3)
        ok = (op == "~" and rhs == "1") or bool(_NAME_RE.match(rhs))
    if not ok:
        raise SpecificationError(
            f"group_partial: cannot read {entry!r}; name one parameter as lavaan does: "
            "'visual =~ x2' (loading), 'x1 ~ 1' (intercept or latent mean), 'x1 ~~ x1' "
            "(residual variance), 'f1 ~~ f2' (covariance) or 'y ~ x' (regression)."
        )
    return text


def _group_equal_rows(lhs, op, rhs, group_equal, lv, nox) -> list[int]:
    """Rows of group 1 that ``group.equal`` constrains (lavaan's ``lav_partable_labels``).

    loadings: every ``=~``; intercepts: ``~1`` of observed variables other than fixed.x
    covariates; means: ``~1`` of latent variables; regressions: every ``~``; residuals:
    ``x ~~ x`` of those observed variables; residual.covariances: ``x ~~ y`` (x != y) with
    ``x`` among them; lv.variances / lv.covariances: ``f ~~ f`` / ``f ~~ g`` with ``f``
    latent.
    """
    ge = set(group_equal)
    lv, nox = set(lv), set(nox)
    out = []
    for i in range(len(lhs)):
        o, a, b = op[i], lhs[i], rhs[i]
        hit = (
            ("loadings" in ge and o == "=~")
            or ("intercepts" in ge and o == "~1" and a in nox)
            or ("means" in ge and o == "~1" and a in lv)
            or ("regressions" in ge and o == "~")
            or ("residuals" in ge and o == "~~" and a in nox and a == b)
            or ("residual.covariances" in ge and o == "~~" and a in nox and a != b)
            or ("lv.variances" in ge and o == "~~" and a in lv and a == b)
            or ("lv.covariances" in ge and o == "~~" and a in lv and a != b)
        )
        if hit:
            out.append(i)
    return out


def _normalise_partial(group_partial, labels_g1) -> tuple[str, ...]:
    """Map each ``group_partial`` string to a parameter of the table, or raise."""
    known = set(labels_g1)
    out = []
    for entry in group_partial:
        if entry not in known:
            m = _PARTIAL_RE.match(entry)
            if m and m.group(2) == "~~" and f"{m.group(3)}~~{m.group(1)}" in known:
                entry = f"{m.group(3)}~~{m.group(1)}"  # the same covariance, table order
            else:
                close = difflib.get_close_matches(entry, labels_g1, n=3, cutoff=0.6)
                hint = (
                    f" Did you mean {' or '.join(repr(c) for c in close)}?"
                    if close
                    else " Write it as the parameter appears in the model, e.g. "
                    "'visual=~x2', 'x1~1', 'x1~~x1'."
                )
                raise SpecificationError(
                    f"group_partial: {entry!r} is not a parameter of the model.{hint}"
                )
        if entry not in out:
            out.append(entry)
    return tuple(out)


def _partial_messages(group_partial, labels_g1, flagged, free, label, base, ngroups):
    """Describe the ``group_partial`` entries that free nothing (lavaan ignores them)."""
    msgs = []
    flagged_labels = {labels_g1[r]: r for r in flagged}
    for entry in group_partial:
        r = flagged_labels.get(entry)
        if r is None:
            msgs.append(
                f"group_partial: {entry!r} is not constrained by group_equal, so it is free "
                "in every group already; the entry has no effect."
            )
        elif label[r]:
            msgs.append(
                f"group_partial: {entry!r} has a label in the model syntax ({label[r]!r}), "
                "which decides its equality across groups; the entry has no effect."
            )
        elif all(free[g * base + r] == 0 for g in range(ngroups)):
            msgs.append(
                f"group_partial: {entry!r} is fixed in every group (e.g. a marker loading); "
                "the entry has no effect."
            )
    return msgs


def parse_model(
    model: str,
    *,
    ngroups: int = 1,
    meanstructure: bool | str = "default",
    fixed_x: bool = True,
    auto_fix_first: bool = True,
    std_lv: bool = False,
    group_equal: Sequence[str] | str = (),
    group_partial: Sequence[str] | str = (),
    ordered: Sequence[str] | Mapping[str, int] | None = None,
    nthresholds: int | Mapping[str, int] | None = None,
    parameterization: str = "delta",
) -> ParTable:
    """Parse lavaan model syntax into a lavaan parameter table.

    Parameters
    ----------
    model : str
        lavaan model syntax. Formulas may span lines (a line without an operator, or after a
        trailing ``+``/``*``, continues the previous one); ``;`` separates formulas; ``#`` and
        ``!`` start comments. Modifiers: labels ``a*x1``, fixed values ``1*x1``, free ``NA*x1``,
        starts ``start(0.5)*x1`` or ``0.5?x1``, group vectors ``c(a1, a2)*x1``.
    ngroups : int, default 1
        Number of groups; rows are replicated per group and ``c(...)`` modifiers must give one
        value per group (a single label then applies to every group, implying equality).
    meanstructure : bool or "default"
        ``"default"`` adds intercepts only when the syntax uses ``~ 1`` (lavaan's default for
        complete data).
    fixed_x : bool, default True
        Treat exogenous observed covariates as fixed (lavaan ``fixed.x``).
    auto_fix_first : bool, default True
        Fix the first loading of every factor at 1 (lavaan's marker-variable scaling).
    std_lv : bool, default False
        Fix latent variances at 1 instead (lavaan ``std.lv``); then ``auto_fix_first`` is off.
    group_equal : str or sequence of str, default ()
        lavaan ``group.equal`` keywords (:data:`GROUP_EQUAL_KEYWORDS`); with ``ngroups > 1``
        the matching rows of groups 2..G take the group-1 label and are tied by ``==`` rows.
    group_partial : str or sequence of str, default ()
        lavaan ``group.partial`` strings (``"visual=~x2"``, ``"x1 ~ 1"``) freed from
        ``group_equal``; a string that names no parameter of the model raises.
    ordered : sequence of str or mapping of str to int, optional
        Ordered (ordinal) indicators, as lavaan's ``ordered =``: a mapping gives each one's
        number of thresholds (categories - 1); with a sequence, ``nthresholds`` does. Names
        that are not variables of the model are ignored (as lavaan). As
        ``lav_partable_flat`` of lavaan 0.6.14 for ``cfa()/sem()`` with ordered data: a mean
        structure is added; per ordered variable free threshold rows ``x | t1 ...`` come
        first among the automatic rows, its intercept is fixed at 0, its residual variance
        row is fixed (``ustart`` 1; under ``parameterization="delta"`` the estimate is
        ``1 - R^2``, computed after fitting) and a scale row ``x ~*~ x`` (fixed at 1) comes
        before the intercepts. Numeric indicators keep free intercepts and variances.
    nthresholds : int or mapping of str to int, optional
        Number of thresholds of every (int) or each (mapping) ordered variable, when
        ``ordered`` is a sequence.
    parameterization : {"delta", "theta"}
        lavaan's ``parameterization`` (recorded on the table; the rows are the same).

    Returns
    -------
    ParTable

    Raises
    ------
    SpecificationError
        If the syntax cannot be parsed or uses what the engine does not support; the message
        names the line and its text.

    Examples
    --------
    >>> pt = parse_model("visual =~ x1 + x2 + x3")
    >>> pt.table[["lhs", "op", "rhs", "free", "ustart"]].head(3)
          lhs  op rhs  free  ustart
    0  visual  =~  x1     0     1.0
    1  visual  =~  x2     1     NaN
    2  visual  =~  x3     2     NaN
    >>> pt.ov_names, pt.lv_names
    (['x1', 'x2', 'x3'], ['visual'])

    Equal loadings in two groups (lavaan ``group.equal = "loadings"``):

    >>> mg = parse_model("visual =~ x1 + x2 + x3", ngroups=2, group_equal="loadings")
    >>> t = mg.table
    >>> t.loc[(t["op"] == "=~") & (t["rhs"] == "x2"), ["group", "free", "label", "plabel"]]
       group  free label plabel
    1      1     1  .p2.   .p2.
    8      2     7  .p2.   .p9.
    >>> t.loc[t["op"] == "==", ["lhs", "op", "rhs"]].values.tolist()
    [['.p2.', '==', '.p9.'], ['.p3.', '==', '.p10.']]
    """
    if isinstance(ngroups, bool) or not isinstance(ngroups, int) or ngroups < 1:
        raise SpecificationError(f"ngroups={ngroups!r} is not valid; use a whole number >= 1.")
    group_equal = check_group_equal(group_equal)
    group_partial = tuple(_parse_partial(p) for p in _as_tuple(group_partial, "group_partial"))
    if parameterization not in ("delta", "theta"):
        raise SpecificationError(
            f"parameterization={parameterization!r} is not valid; use 'delta' (lavaan's "
            "default) or 'theta'."
        )
    formulas = _formulas(model)
    rows, mods, constraints = _flatten(formulas)
    ord_map = _ordered_map(ordered, nthresholds, _vnames([(*r[:5], 1) for r in rows])["ov"])
    if meanstructure == "default":
        meanstructure = any(r[1] == "~1" for r in rows)
    if ord_map:
        meanstructure = True  # lavaan: categorical data imply a mean structure
    meanstructure = bool(meanstructure)
    if std_lv:
        auto_fix_first = False

    user_rows = [(r[0], r[1], r[2], r[3], r[4], 1) for r in rows]
    vn = _vnames(user_rows)
    # variables whose intercepts/residual (co)variances group.equal constrains: lavaan takes
    # "ov.nox" of the parameter table, i.e. without the structurally exogenous covariates
    # even when fixed.x = FALSE (lav_partable_labels)
    nox_eq = list(vn["ov_nox"])
    if not fixed_x:
        vn["ov_nox"] = vn["ov"]
        vn["ov_x"] = []
    if not fixed_x:
        # without fixed.x the covariates' (co)variances are free like any other variance
        pass
    # covariances are stored with the variable that comes first in lv + ov order on the left
    # (lavaan:::lav_partable_covariance_reorder)
    order = {v: k for k, v in enumerate(vn["lv"] + vn["ov"])}
    rows = [
        (r[2], r[1], r[0], *r[3:])
        if r[1] == "~~" and r[0] != r[2] and order[r[0]] > order[r[2]]
        else r
        for r in rows
    ]
    if ord_map and fixed_x:
        exo_ord = [v for v in vn["ov_x"] if v in ord_map]
        if exo_ord:
            raise SpecificationError(
                f"ordered variable(s) {', '.join(exo_ord)} are exogenous covariates (only "
                "predictors in '~'); lavaan conditions on them (conditional.x), which is not "
                "supported. Drop them from ordered= (treat them as numeric covariates)."
            )
    default = _default_rows(vn, meanstructure, ord_map)
    user_keys = {(r[0], r[1], r[2]) for r in rows}
    if len(user_keys) < len(rows):
        dup = [r for r in rows if sum(1 for q in rows if q[:3] == r[:3]) > 1][-1]
        raise SpecificationError(
            f"model syntax line {dup[4]}: {dup[0]} ~~ {dup[2]} is specified twice; remove the "
            "duplicate."
        )
    default = [d for d in default if d not in user_keys]
    # lavaan stores covariances once: a default 'a ~~ b' is dropped if the user wrote 'b ~~ a'
    default = [d for d in default if not (d[1] == "~~" and (d[2], "~~", d[0]) in user_keys)]

    lhs = [r[0] for r in rows] + [d[0] for d in default]
    op = [r[1] for r in rows] + [d[1] for d in default]
    rhs = [r[2] for r in rows] + [d[2] for d in default]
    mod_idx = [r[3] for r in rows] + [0] * len(default)
    line = [r[4] for r in rows] + [0] * len(default)
    user = [1] * len(rows) + [0] * len(default)
    n = len(lhs)
    free = [1] * n
    ustart = [math.nan] * n
    exo = [0] * n
    lv = vn["lv"]
    if std_lv:
        for i in range(n):
            if op[i] == "~~" and lhs[i] in lv and lhs[i] == rhs[i]:
                ustart[i], free[i] = 1.0, 0
    if auto_fix_first:
        done = set()
        for i in range(n):
            if op[i] == "=~" and lhs[i] not in done:
                done.add(lhs[i])
                ustart[i], free[i] = 1.0, 0
    # auto.fix.single: a single indicator gets a zero residual variance
    counts: dict[str, int] = {}
    for i in range(n):
        if op[i] == "=~":
            counts[lhs[i]] = counts.get(lhs[i], 0) + 1
    singles = {k for k, c in counts.items() if c == 1}
    if singles:
        mm_rhs = [rhs[i] for i in range(n) if op[i] == "=~"]
        single_ind = [
            rhs[i]
            for i in range(n)
            if op[i] == "=~"
            and lhs[i] in singles
            and lhs[i] != rhs[i]
            and mm_rhs.count(rhs[i]) == 1
        ]
        for i in range(n):
            if op[i] == "~~" and lhs[i] == rhs[i] and lhs[i] in single_ind and user[i] == 0:
                ustart[i], free[i] = 0.0, 0
    if meanstructure:
        for i in range(n):
            if op[i] == "~1" and lhs[i] in lv and user[i] == 0:
                ustart[i], free[i] = 0.0, 0
    if ord_map:
        for i in range(n):
            fixed_row = op[i] in ("~1", "~*~") or (op[i] == "~~" and lhs[i] == rhs[i])
            if user[i] == 0 and lhs[i] in ord_map and fixed_row:
                ustart[i], free[i] = (0.0 if op[i] == "~1" else 1.0), 0
    if fixed_x and vn["ov_x"]:
        xs = set(vn["ov_x"])
        for i in range(n):
            is_x_cov = op[i] == "~~" and lhs[i] in xs and rhs[i] in xs
            if user[i] == 0 and (is_x_cov or (op[i] == "~1" and lhs[i] in xs)):
                ustart[i], free[i], exo[i] = math.nan, 0, 1

    # replicate per group
    base = n
    group = [g + 1 for g in range(ngroups) for _ in range(base)]
    lhs, op, rhs = lhs * ngroups, op * ngroups, rhs * ngroups
    mod_idx, line, user = mod_idx * ngroups, line * ngroups, user * ngroups
    free, ustart, exo = free * ngroups, ustart * ngroups, exo * ngroups
    n = len(lhs)
    label = [""] * n
    start = [math.nan] * n
    if ngroups > 1:
        # lav_partable_flat: identification adjustments in groups 2..G (before modifiers)
        lv_set = set(lv)
        free_lv_means = meanstructure and "intercepts" in group_equal
        free_lv_means = free_lv_means and "means" not in group_equal
        free_lv_vars = std_lv and "loadings" in group_equal
        free_lv_vars = free_lv_vars and "lv.variances" not in group_equal
        for i in range(base, n):
            if user[i] or lhs[i] not in lv_set:
                continue
            is_mean = free_lv_means and op[i] == "~1"
            is_var = free_lv_vars and op[i] == "~~" and lhs[i] == rhs[i]
            if is_mean or is_var:
                free[i], ustart[i] = 1, math.nan

    warn_single_label = False
    for el, mod in enumerate(mods, start=1):
        idx = [i for i in range(n) if mod_idx[i] == el]
        the_line = line[idx[0]]
        for kind, values in mod.items():
            values = list(values)
            if ngroups > 1 and len(values) == 1:
                values = values * ngroups
                if kind == "label":
                    warn_single_label = True
            if len(values) != len(idx):
                raise SpecificationError(
                    f"model syntax line {the_line}: wrong number of values in the modifier of "
                    f"{lhs[idx[0]]} {op[idx[0]]} {rhs[idx[0]]}: {len(values)} given, "
                    f"{len(idx)} expected (one per group)."
                )
            for i, v in zip(idx, values, strict=True):
                if kind == "fixed":
                    if math.isnan(v):
                        free[i], ustart[i] = 1, math.nan
                    else:
                        free[i], ustart[i] = 0, float(v)
                elif kind == "start":
                    ustart[i] = float(v)
                    start[i] = float(v)
                else:
                    label[i] = str(v)
    del warn_single_label  # lavaan only warns; a shared label across groups means equality

    ids = list(range(1, n + 1))
    plabel = [f".p{i}." for i in ids]
    defined_names = [c[0] for c in constraints if c[1] == ":="]
    for lab in label:
        if lab and lab in lv + vn["ov"]:
            raise SpecificationError(
                f"model syntax: the label {lab!r} is also a variable name; use another label."
            )
    label_first: dict[str, int] = {}
    for i, lab in enumerate(label):
        if lab:
            if lab in defined_names:
                raise SpecificationError(
                    f"model syntax: {lab!r} is both a parameter label and a defined parameter."
                )
            label_first.setdefault(lab, i)

    # lav_partable_labels: every row gets a LABEL ("lhs op rhs", ".gG" after groups 2..G);
    # group.equal gives the rows of groups 2..G their group-1 LABEL unless group.partial
    # names it; user labels win. Rows sharing a LABEL are equal.
    labels_eq = [f"{lhs[i]}{op[i]}{rhs[i]}" for i in range(n)]
    for i in range(base, n):
        labels_eq[i] += f".g{group[i]}"
    messages: list[str] = []
    group_partial = _normalise_partial(group_partial, labels_eq[:base])
    flagged = []
    if ngroups > 1 and group_equal:
        flagged = _group_equal_rows(lhs[:base], op[:base], rhs[:base], group_equal, lv, nox_eq)
    elif group_equal:
        messages.append(
            "group_equal has no effect with a single group (as in lavaan): the data have one "
            "group label."
        )
    if group_partial:
        messages += _partial_messages(
            group_partial, labels_eq[:base], flagged, free, label, base, ngroups
        )
    if flagged:
        partial_set = set(group_partial)
        for r in flagged:
            if labels_eq[r] in partial_set:
                continue
            for g in range(1, ngroups):
                labels_eq[g * base + r] = labels_eq[r]
    for i in range(n):
        if label[i]:
            labels_eq[i] = label[i]
    # equality constraints: rows sharing a LABEL, in the order lavaan finds duplicates
    con = []
    seen_lab: set[str] = set()
    dup_order: list[str] = []
    for lab in labels_eq:
        if lab in seen_lab and lab not in dup_order:
            dup_order.append(lab)
        seen_lab.add(lab)
    by_lab: dict[str, list[int]] = {}
    for i, lab in enumerate(labels_eq):
        by_lab.setdefault(lab, []).append(i)
    for lab in dup_order:
        all_idx = by_lab[lab]
        fixed_all = [i for i in all_idx if free[i] == 0]
        if fixed_all:
            # lavaan: one fixed member fixes all at the first fixed value, no constraint
            v0 = ustart[fixed_all[0]]
            for i in all_idx:
                ustart[i], free[i] = v0, 0
        else:
            ref = all_idx[0]
            for o in all_idx[1:]:
                con.append((plabel[ref], "==", plabel[o], 2, 0))
            for i in all_idx:
                if not label[i]:
                    label[i] = plabel[ref]

    user_con = []
    for c_lhs, c_op, c_rhs, c_line in constraints:
        if c_op == "==":
            if not (_SUPPORTED_CONSTRAINT.match(c_lhs) and _SUPPORTED_CONSTRAINT.match(c_rhs)):
                raise SpecificationError(
                    f"model syntax line {c_line}: the constraint {c_lhs} == {c_rhs} is not "
                    "supported yet; only equality of two labels (a == b) is. Use a shared "
                    "label instead (a*x1 + a*x2)."
                )
            for side in (c_lhs, c_rhs):
                if side not in label_first:
                    raise SpecificationError(
                        f"model syntax line {c_line}: {side!r} in {c_lhs} == {c_rhs} is not the "
                        "label of a parameter; label it first, e.g. a*x1."
                    )
        user_con.append((c_lhs, c_op, c_rhs, 1, c_line))
    allcon = user_con + con

    free_arr = np.array(free)
    idx_free = np.flatnonzero(free_arr > 0)
    free_arr[idx_free] = np.arange(1, len(idx_free) + 1)
    table = pd.DataFrame(
        {
            "id": ids,
            "lhs": lhs,
            "op": op,
            "rhs": rhs,
            "user": user,
            "block": group,
            "group": group,
            "free": free_arr.astype(int),
            "ustart": ustart,
            "exo": exo,
            "label": label,
            "plabel": plabel,
            "start": start,
            "line": line,
        }
    )
    if allcon:
        extra = pd.DataFrame(
            {
                "id": range(n + 1, n + 1 + len(allcon)),
                "lhs": [c[0] for c in allcon],
                "op": [c[1] for c in allcon],
                "rhs": [c[2] for c in allcon],
                "user": [c[3] for c in allcon],
                "block": 0,
                "group": 0,
                "free": 0,
                "ustart": math.nan,
                "exo": 0,
                "label": [c[0] if c[1] == ":=" else "" for c in allcon],
                "plabel": "",
                "start": math.nan,
                "line": [c[4] for c in allcon],
            }
        )
        table = pd.concat([table, extra], ignore_index=True)
    return ParTable(
        table=table,
        ov_names=vn["ov"],
        lv_names=lv,
        ov_x=vn["ov_x"] if fixed_x else [],
        meanstructure=meanstructure,
        ngroups=ngroups,
        model=model,
        random_x=vn["random_x"] if fixed_x else [],
        group_equal=group_equal,
        group_partial=group_partial,
        messages=messages,
        constrained=tuple(f"{lhs[r]}{op[r]}{rhs[r]}" for r in flagged),
        ordered=[v for v in vn["ov"] if v in ord_map],
        nthresholds=dict(ord_map),
        parameterization=parameterization,
    )


def _ordered_map(ordered, nthresholds, ov_names) -> dict[str, int]:
    """``{variable: number of thresholds}`` for the ordered variables of the model."""
    if ordered is None:
        return {}
    if isinstance(ordered, str):
        ordered = [ordered]
    if isinstance(ordered, Mapping):
        pairs = dict(ordered)
    else:
        names = list(ordered)
        if nthresholds is None:
            raise SpecificationError(
                "ordered= lists variable names but the number of thresholds is unknown; give "
                "nthresholds= (an int or a mapping) or ordered={name: n_thresholds}."
            )
        if isinstance(nthresholds, Mapping):
            missing = [v for v in names if v in ov_names and v not in nthresholds]
            if missing:
                raise SpecificationError(
                    f"nthresholds= gives no number for the ordered variable(s) "
                    f"{', '.join(missing)}."
                )
            pairs = {v: nthresholds.get(v, 0) for v in names}
        else:
            pairs = dict.fromkeys(names, nthresholds)
    out = {}
    for v, k in pairs.items():
        if v not in ov_names:
            continue  # lavaan ignores ordered names that are not in the model
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise SpecificationError(
                f"ordered variable {v!r}: the number of thresholds must be a whole number >= 1 "
                f"(categories - 1), got {k!r}."
            )
        out[v] = int(k)
    return out
