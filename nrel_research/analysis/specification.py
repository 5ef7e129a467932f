"""Build the lavaan model of an N-REL study from the item bank and the framework.

The measurement part comes from the item bank (which rating items measure which construct,
which are reverse-keyed, how each construct is declared: reflective, formative or
composite); the structural part comes from the framework's firm-level propositions (P1-P3,
P6, P7: which constructs predict which). A researcher who drops constructs therefore gets a
consistent model without hand-typing syntax, and the model says where every path comes from.

The multi-group propositions P4 (market type) and P5 (sector) compare the P3 paths across
groups: they add no paths here and are tested with ``nrel_research.sem.fit(..., group=)``
and :func:`nrel_research.sem.invariance`. P8 is a post-level proposition (see
:mod:`nrel_research.analysis.posts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from .. import framework as _framework
from .._validation import check_choice, check_columns
from ..data.score import SCORED_STEP, reverse_key
from ..exceptions import SpecificationError
from ..instruments import Instrument, ItemBank, load_item_bank

__all__ = [
    "CATEGORICAL_ESTIMATORS",
    "DEFAULT_ANTECEDENTS",
    "DEFAULT_OUTCOMES",
    "ModelSpec",
    "build_model",
]

#: The orientations of P1 and P2.
DEFAULT_ANTECEDENTS = (
    "transactional_orientation",
    "relational_orientation",
    "market_orientation",
)
#: The performance constructs of P3.
DEFAULT_OUTCOMES = ("marketing_performance", "customer_relationship_performance")
#: Firm-level propositions that define paths (P4/P5 compare groups; P8 is post-level).
PATH_PROPOSITIONS = ("P1", "P2", "P3", "P6", "P7")
_MARKET_TYPES = ("B2B", "B2C", "both")
#: Estimators for ordered-categorical indicators (lavaan's two-step WLS family): with one of
#: them the item bank's ordinal items are the default ``ordered=`` of :meth:`ModelSpec.fit`.
CATEGORICAL_ESTIMATORS = ("WLSMV", "WLSM", "DWLS", "ULSMV")
_FORMATIVE = ("reflective", "composite", "error")


@dataclass(frozen=True)
class ModelSpec:
    """A generated N-REL model: lavaan syntax plus where every part of it comes from.

    Attributes
    ----------
    syntax : str
        lavaan model syntax (measurement, then structural part), for
        :func:`nrel_research.sem.fit`.
    measurement : pandas.DataFrame
        One row per indicator: ``construct, indicator, reverse_keyed, declared`` (the item
        bank's reflective/formative/composite), ``modelled_as`` (``"reflective"``:
        a common factor ``=~``; ``"composite"``: a unit-weighted mean column in the data) and
        ``level`` (the item bank's measurement level of the item, e.g. ``"ordinal"``).
    paths : pandas.DataFrame
        One row per structural path: ``lhs, op, rhs, source`` (a proposition id such as
        ``"P3"``, ``"control"`` or ``"user"``).
    constructs : tuple of str
        Every construct in the model, in role order (antecedents, actions, mediators,
        outcomes).
    roles : dict
        ``{"antecedents": ..., "actions": ..., "mediators": ..., "outcomes": ...,
        "controls": ...}``.
    market_type : str or None
        The market type the model is for (``None``: a pooled sample).
    notes : tuple of str
        Modelling decisions a report should state (e.g. formative constructs modelled
        as reflective, E7 left out of a pooled model).
    """

    syntax: str
    measurement: pd.DataFrame
    paths: pd.DataFrame
    constructs: tuple[str, ...]
    roles: dict = field(default_factory=dict)
    market_type: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def observed(self) -> list[str]:
        """The data columns the model needs (indicators, composite items and controls)."""
        cols = list(dict.fromkeys(self.measurement["indicator"]))
        return cols + [c for c in self.roles.get("controls", ()) if c not in cols]

    @property
    def ordered(self) -> tuple[str, ...]:
        """The model's indicators the item bank declares ordinal (its default ``ordered=``).

        Indicators of common factors whose scale has ``level: ordinal`` (items of
        composites enter as a continuous mean and are not listed). :meth:`fit` passes them
        as ``ordered=`` when the estimator is categorical (WLSMV and relatives).
        """
        m = self.measurement
        keep = (m["modelled_as"] == "reflective") & (m["level"] == "ordinal")
        return tuple(dict.fromkeys(m.loc[keep, "indicator"]))

    def fit(
        self,
        data: pd.DataFrame,
        *,
        part: str = "structural",
        estimator: str = "ML",
        ordered: Sequence[str] | bool | None = None,
        data_name: str = "the response data",
        **options,
    ):
        """Prepare ``data`` and fit the model with :func:`nrel_research.sem.fit`.

        Parameters
        ----------
        data : pandas.DataFrame
            Response data keyed by item ids (reverse-keyed items as answered, unless
            ``data.attrs`` records that they were recoded; see :meth:`prepare`).
        part : {"structural", "measurement"}, default "structural"
            The whole model (:attr:`syntax`) or the CFA (:attr:`cfa_syntax`).
        estimator : str, default "ML"
            Passed to :func:`nrel_research.sem.fit` (``"ML"``, ``"MLR"``, ``"WLSMV"``, ...).
        ordered : sequence of str or bool, optional
            The ordered-categorical indicators. By default none for ML/MLR and, for the
            categorical estimators (:data:`CATEGORICAL_ESTIMATORS`: WLSMV, WLSM, DWLS,
            ULSMV), the item bank's ordinal items in the model (:attr:`ordered`). An explicit
            value overrides the default (``ordered=()`` or ``False``: none).
        data_name : str
            How to call ``data`` in error messages.
        **options
            Further :func:`nrel_research.sem.fit` arguments (``missing=``, ``group=``, ...).

        Returns
        -------
        SEMResult

        Examples
        --------
        >>> from nrel_research.analysis import build_model
        >>> from nrel_research.data import load_bundled_study
        >>> firms = load_bundled_study().responses.query("consent == 1 and second_informant == 0")
        >>> spec = build_model(antecedents=[], actions=["R1"], outcomes=["marketing_performance"])
        >>> spec.ordered[:4]
        ('r1_1', 'r1_2', 'r1_3', 'mp_1')
        >>> res = spec.fit(firms, part="measurement", estimator="MLR", missing="fiml")
        >>> res.converged
        True
        """
        from .. import sem

        part = check_choice(part, "part", ["structural", "measurement"], error=SpecificationError)
        est = str(estimator).upper()
        if ordered is None:
            ordered = list(self.ordered) if est in CATEGORICAL_ESTIMATORS else None
        elif ordered is False:
            ordered = None
        elif ordered is not True:
            ordered = _names(ordered, "ordered") or None
        if ordered is not None:
            options["ordered"] = ordered
        syntax = self.syntax if part == "structural" else self.cfa_syntax
        return sem.fit(
            syntax, self.prepare(data, data_name=data_name), estimator=estimator, **options
        )

    @property
    def cfa_syntax(self) -> str:
        """The measurement part alone (every factor with its indicators; factors correlate).

        This is the confirmatory factor analysis to run before the structural model
        (Anderson & Gerbing, 1988): same indicators, no paths.
        """
        lines = [self.syntax.splitlines()[0].replace("N-REL model", "N-REL measurement model")]
        lines += [line for line in self.syntax.splitlines() if " =~ " in line]
        return "\n".join(lines) + "\n"

    @property
    def composites(self) -> dict[str, list[str]]:
        """Constructs entered as unit-weighted composites, with their items."""
        m = self.measurement[self.measurement["modelled_as"] == "composite"]
        return {k: list(g["indicator"]) for k, g in m.groupby("construct", sort=False)}

    def prepare(self, data: pd.DataFrame, *, data_name: str = "the response data"):
        """Return a copy of ``data`` ready for :func:`nrel_research.sem.fit`.

        The model's reverse-keyed items are recoded on the scale's codes (unless
        ``data.attrs["nrel_steps"]`` records that this was done, e.g. by
        :func:`nrel_research.data.clean`; other columns are left untouched) and each composite
        construct gets a column named after it: the mean of its answered items (missing
        when none is answered). ``data`` itself is not modified.

        Raises
        ------
        DataError
            If a column the model needs is absent (named in the message).
        """
        check_columns(data, self.observed, data_name=data_name)
        work = data.copy()
        rev = list(self.measurement.loc[self.measurement["reverse_keyed"], "indicator"])
        if rev and SCORED_STEP not in data.attrs.get("nrel_steps", []):
            # only the model's own reverse-keyed items (other columns are left as they are)
            recoded = reverse_key(data[rev])
            work[rev] = recoded[rev]
            work.attrs["nrel_steps"] = recoded.attrs["nrel_steps"]
        for construct, items in self.composites.items():
            block = work[items].apply(pd.to_numeric, errors="coerce").astype(float)
            work[construct] = block.mean(axis=1, skipna=True)
        return work

    def __str__(self) -> str:
        return self.syntax

    def __repr__(self) -> str:
        n_lat = int(
            (self.measurement.groupby("construct")["modelled_as"].first() != "composite").sum()
        )
        return (
            f"<ModelSpec: {n_lat} latent construct(s), {len(self.composites)} composite(s), "
            f"{len(self.paths)} path(s), market type {self.market_type or 'pooled'}>"
        )


def _bank_and_scope(source) -> tuple[ItemBank, set[str] | None]:
    if source is None:
        return load_item_bank(), None
    if isinstance(source, ItemBank):
        return source, None
    if isinstance(source, Instrument):
        items = {q.item.id for q in source.questions}
        return load_item_bank(), items
    raise SpecificationError(
        f"build_model() got a {type(source).__name__}; pass an ItemBank "
        "(nrel_research.instruments.load_item_bank()), an Instrument "
        "(nrel_research.instruments.build(...)) or None for the bundled item bank."
    )


def _names(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable):
        raise SpecificationError(f"{what}={value!r} is not valid; give a list of names.")
    out = tuple(value)
    bad = [v for v in out if not isinstance(v, str) or not v]
    if bad:
        raise SpecificationError(f"{what} contains {bad[0]!r}; give names as strings.")
    return tuple(dict.fromkeys(out))


def build_model(
    source: ItemBank | Instrument | None = None,
    *,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    actions: Sequence[str] | None = None,
    antecedents: Sequence[str] = DEFAULT_ANTECEDENTS,
    mediators: Sequence[str] = (),
    controls: Sequence[str] = (),
    control_targets: str = "outcomes",
    propositions: Sequence[str] = PATH_PROPOSITIONS,
    extra_paths: Sequence[str] = (),
    residual_covariances: Sequence[tuple[str, str]] = (),
    market_type: str | None = None,
    formative: str = "reflective",
    fixed_x: bool = True,
    measurement: str = "latent",
) -> ModelSpec:
    """Generate the lavaan model of an N-REL study from the item bank and the framework.

    Measurement: every construct in the model is measured by its rating items in the item
    bank (``construct =~ item1 + item2 + ...``; reverse-keyed items must be recoded first,
    which :meth:`ModelSpec.prepare` does). Structure: for each firm-level proposition in
    ``propositions`` (P1, P2: orientations -> action types; P3: action types ->
    performance; P6: action types -> network dimensions -> outcomes; P7: listening ->
    strategy-action alignment), a path ``outcome ~ predictor`` for every predictor and
    outcome of the proposition that is in the model (category codes R, E, L stand for
    their action types); ``controls`` (observed columns, e.g. ``log_employees``) predict
    the outcomes (or every endogenous construct); ``extra_paths`` adds paths the
    propositions do not state (e.g. between outcomes).

    Parameters
    ----------
    source : ItemBank, Instrument or None
        The item bank (default: the bundled one), or an instrument built from it, whose
        items are then the only indicators used (a construct without items in the
        instrument is an error).
    outcomes, antecedents, mediators : sequence of str
        Construct ids of the item bank in each role.
    actions : sequence of str, optional
        Action codes (R1 ... L1). By default the action types that apply to
        ``market_type`` (the framework's ``actions_for``); for a pooled sample
        (``market_type=None``) the nine shared types: E7 applies to B2B and mixed firms
        only, so including it would drop (listwise) or extrapolate (FIML) every B2C firm.
    controls : sequence of str
        Observed control columns (e.g. ``log_employees``, ``log_firm_age``).
    control_targets : {"outcomes", "endogenous"}, default "outcomes"
        Which constructs the controls predict.
    propositions : sequence of str, default ("P1", "P2", "P3", "P6", "P7")
        The propositions whose paths the model contains.
    extra_paths : sequence of str
        Further regressions in lavaan syntax, e.g. ``"marketing_performance ~
        customer_relationship_performance"``; every name must be in the model.
    residual_covariances : sequence of (str, str)
        Residual covariances to add (e.g. between two action types).
    market_type : {"B2B", "B2C", "both"}, optional
        The firms the model is for; decides whether E7 is in it.
    formative : {"reflective", "composite", "error"}, default "reflective"
        What to do with constructs the item bank declares formative or composite. The
        engine fits common-factor models, and a formative construct needs two or more
        emitted paths (MIMIC) to be identified in covariance-based SEM (Jarvis, MacKenzie
        & Podsakoff, 2003; Diamantopoulos & Winklhofer, 2001). ``"reflective"`` models
        them as common factors (stated in :attr:`ModelSpec.notes`, to be justified or
        checked in a report); ``"composite"`` enters them as unit-weighted means of their
        items (observed, no measurement error: their paths are attenuated);
        ``"error"`` refuses them.
    fixed_x : bool, default True
        Treat the controls as fixed exogenous covariates (lavaan ``fixed.x``). ``False``
        declares their variances and covariances (``c ~~ c``), making them random
        variables, which FIML and MLR require in :func:`nrel_research.sem.fit` (and which
        lets FIML use firms whose control value is missing).

    measurement : {"latent", "composite"}, default "latent"
        ``"composite"`` enters every construct as the unit-weighted mean of its items (an
        observed path model on scale scores; e.g. when groups are too small for a latent
        multiple-group model). Paths between composites are attenuated by measurement
        error.

    Returns
    -------
    ModelSpec

    Raises
    ------
    SpecificationError
        Unknown construct ids or action codes, a construct in two roles, E7 in a B2C
        model, a construct without rating items, a formative construct with
        ``formative="error"``, extra paths naming variables outside the model.

    Examples
    --------
    >>> from nrel_research.analysis import build_model
    >>> spec = build_model(market_type="B2B", antecedents=["relational_orientation"],
    ...                    actions=["E6", "E7"], outcomes=["customer_relationship_performance"])
    >>> print(spec.syntax)  # doctest: +NORMALIZE_WHITESPACE
    # N-REL model from the item bank and propositions P1, P2, P3, P6, P7 (market type B2B).
    relational_orientation =~ cmp_r1 + cmp_r2 + cmp_r3 + cmp_r4
    E6 =~ e6_1 + e6_2 + e6_3
    E7 =~ e7_1 + e7_2 + e7_3
    customer_relationship_performance =~ crp_1 + crp_2 + crp_3 + crp_4
    E6 ~ relational_orientation
    E7 ~ relational_orientation
    customer_relationship_performance ~ E6 + E7
    >>> spec.paths["source"].tolist()
    ['P2', 'P2', 'P3', 'P3']
    """
    fw = _framework.load()
    bank, scope = _bank_and_scope(source)
    formative = check_choice(formative, "formative", list(_FORMATIVE), error=SpecificationError)
    measurement_kind = check_choice(
        measurement, "measurement", ["latent", "composite"], error=SpecificationError
    )
    control_targets = check_choice(
        control_targets, "control_targets", ["outcomes", "endogenous"], error=SpecificationError
    )
    if market_type is not None:
        market_type = check_choice(
            market_type, "market_type", list(_MARKET_TYPES), error=SpecificationError
        )
    codes = list(fw.codes)
    notes: list[str] = []
    if actions is None:
        # a pooled sample gets the action types every market type shares
        applicable = fw.actions_for(market_type or "B2C")
        actions_t = tuple(a.code for a in applicable)
        if market_type is None:
            notes.append(
                "E7 (B2B-only) is left out of the pooled model: it is not asked of B2C firms. "
                "Estimate it within B2B and mixed firms (market_type='B2B' or 'both')."
            )
    else:
        actions_t = _names(actions, "actions")
        unknown = [a for a in actions_t if a not in codes]
        if unknown:
            raise SpecificationError(
                f"actions: {unknown[0]!r} is not an N-REL action code; use {', '.join(codes)}."
            )
        if market_type == "B2C":
            b2b = [a for a in actions_t if fw.action(a).b2b_only]
            if b2b:
                raise SpecificationError(
                    f"actions: {', '.join(b2b)} apply to B2B and mixed firms only; drop them "
                    "from a B2C model or use market_type='B2B' or 'both'."
                )
    roles = {
        "antecedents": _names(antecedents, "antecedents"),
        "actions": actions_t,
        "mediators": _names(mediators, "mediators"),
        "outcomes": _names(outcomes, "outcomes"),
    }
    controls_t = _names(controls, "controls")
    props = _names(propositions, "propositions")
    for pid in props:
        fw.proposition(pid)  # raises a FrameworkError naming the valid ids
    seen: dict[str, str] = {}
    for role, names in roles.items():
        for name in names:
            if name in seen:
                raise SpecificationError(
                    f"{name!r} is given as {seen[name]} and as {role}; a construct has one "
                    "role in the model."
                )
            seen[name] = role
    constructs = tuple(seen)
    if not roles["outcomes"]:
        raise SpecificationError("outcomes is empty; name at least one outcome construct.")

    # -- measurement ---------------------------------------------------------------------
    by_id = {c.id: c for c in bank.constructs}
    rows = []
    formative_as_reflective = []
    for cid in constructs:
        if cid not in by_id:
            valid = [c.id for c in bank.constructs if c.measurement != "observed"]
            raise SpecificationError(
                f"{cid!r} ({seen[cid]}) is not a construct of the item bank "
                f"{bank.path or ''}; use one of {', '.join(valid)}."
            )
        con = by_id[cid]
        items = [it for it in bank.items_of(cid) if it.rating and (scope is None or it.id in scope)]
        if not items:
            where = "in the instrument" if scope is not None else "in the item bank"
            raise SpecificationError(
                f"construct {cid!r} has no rating items {where}; it cannot be measured. "
                "Add its items (or build the instrument with it), or drop it from the model."
            )
        declared = con.measurement
        if declared in ("formative", "composite"):
            if formative == "error":
                raise SpecificationError(
                    f"construct {cid!r} is declared {declared} in the item bank "
                    f"({con.justification.strip()}); use formative='reflective' or "
                    "'composite' to model it, or drop it."
                )
            modelled = "composite" if formative == "composite" else "reflective"
            if modelled == "reflective":
                formative_as_reflective.append(cid)
        else:
            modelled = "reflective"
        if measurement_kind == "composite":
            modelled = "composite"
        if modelled == "reflective" and len(items) < 2:
            raise SpecificationError(
                f"construct {cid!r} has {len(items)} rating item(s); a common factor needs at "
                "least 2 (3 for a model-free identification). Use formative='composite' or "
                "drop it."
            )
        for it in items:
            rows.append((cid, it.id, bool(it.reverse), declared, modelled, it.level))
    measurement = pd.DataFrame(
        rows,
        columns=["construct", "indicator", "reverse_keyed", "declared", "modelled_as", "level"],
    )
    if formative_as_reflective and measurement_kind == "latent":
        notes.append(
            "Declared formative/composite in the item bank but modelled as common factors: "
            f"{', '.join(formative_as_reflective)} (formative='reflective'). Report this "
            "choice; formative='composite' enters them as unit-weighted indices instead."
        )

    # -- structure -----------------------------------------------------------------------
    def expand(refs):
        out = []
        for r in refs:
            if r in category_codes:
                out.extend(a.code for a in fw.actions_in(r))
            else:
                out.append(r)
        return out

    category_codes = {c.code for c in fw.categories}
    paths: list[tuple[str, str, str, str]] = []
    have = set(constructs)

    def add(lhs, rhs, src):
        known = lhs in have and rhs in have and lhs != rhs
        if known and not any(p[0] == lhs and p[2] == rhs for p in paths):
            paths.append((lhs, "~", rhs, src))

    for pid in props:
        prop = fw.proposition(pid)
        if prop.level != "firm":
            continue
        preds = expand(prop.predictors)
        outs = expand(prop.outcomes)
        meds = expand(prop.mediators)
        for o in outs:
            for p in preds:
                add(o, p, pid)
        for m in meds:
            for p in preds:
                add(m, p, pid)
            for o in outs:
                add(o, m, pid)
    endogenous = list(dict.fromkeys(p[0] for p in paths))
    targets = list(roles["outcomes"]) if control_targets == "outcomes" else endogenous
    for c in controls_t:
        if c in have:
            raise SpecificationError(
                f"control {c!r} is also a construct of the model; controls are observed columns."
            )
        for t in targets:
            paths.append((t, "~", c, "control"))
    for text in _names(extra_paths, "extra_paths"):
        if "~" not in text or "=~" in text or "~~" in text:
            raise SpecificationError(
                f"extra_paths: {text!r} is not a regression; write 'outcome ~ predictor'."
            )
        lhs, rhs = (s.strip() for s in text.split("~", 1))
        for name in [lhs, *[r.strip() for r in rhs.split("+")]]:
            if name not in have and name not in controls_t:
                raise SpecificationError(
                    f"extra_paths: {name!r} in {text!r} is not in the model; add it to a role "
                    f"or to controls. The model has {', '.join(constructs)}."
                )
        for r in rhs.split("+"):
            r = r.strip()
            if any(p[0] == lhs and p[2] == r for p in paths):
                continue
            paths.append((lhs, "~", r, "user"))
    covs = []
    if not fixed_x:
        for i, a in enumerate(controls_t):
            for b in controls_t[i:]:
                covs.append((a, "~~", b, "control"))
    for pair in residual_covariances:
        a, b = pair
        for name in (a, b):
            if name not in have:
                raise SpecificationError(
                    f"residual_covariances: {name!r} is not in the model ({', '.join(constructs)})."
                )
        covs.append((a, "~~", b, "user"))
    predicted = {p[0] for p in paths}
    lonely = [o for o in roles["outcomes"] if o not in predicted]
    if lonely:
        notes.append(
            f"No proposition in {', '.join(props)} predicts {', '.join(lonely)} from the "
            "constructs in the model; add predictors or extra_paths."
        )
    path_df = pd.DataFrame(paths + covs, columns=["lhs", "op", "rhs", "source"])

    # -- syntax --------------------------------------------------------------------------
    mt = f"market type {market_type}" if market_type else "pooled market types"
    lines = [f"# N-REL model from the item bank and propositions {', '.join(props)} ({mt})."]
    for cid, g in measurement.groupby("construct", sort=False):
        if g["modelled_as"].iloc[0] == "reflective":
            lines.append(f"{cid} =~ " + " + ".join(g["indicator"]))
    for (lhs, op), g in path_df.groupby(["lhs", "op"], sort=False):
        lines.append(f"{lhs} {op} " + " + ".join(g["rhs"]))
    return ModelSpec(
        syntax="\n".join(lines) + "\n",
        measurement=measurement,
        paths=path_df,
        constructs=constructs,
        roles={**roles, "controls": controls_t},
        market_type=market_type,
        notes=tuple(notes),
    )
