"""``fit(..., ordered=...)``: data handling of lavaan's categorical (two-step) estimators.

Validates the options, chooses the groups and rows, counts the categories of every ordered
column (over the data used, as lavaan's ``varTable``), computes the first-step statistics per
group (:func:`~nrel_research.sem._catstats.categorical_stats`) and fits the model on them
(:func:`~nrel_research.sem._categorical.ordinal_result`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validation import check_choice, check_columns
from ..exceptions import DataError, NrelError, SpecificationError
from ._categorical import CATEGORICAL_ESTIMATORS, ordinal_result
from .syntax import check_group_equal, parse_model

__all__ = ["fit_ordinal"]


def fit_ordinal(
    model,
    data,
    *,
    ordered,
    estimator,
    missing,
    se,
    group,
    group_equal,
    group_partial,
    group_label,
    std_lv,
    parameterization,
    data_name,
    bootstrap_indices=None,
):
    """Fit a model with ordered indicators (see :func:`nrel_research.sem.fit`)."""
    from .api import _as_tuple, _numeric_block, _select_groups

    est = "WLSMV" if estimator is None else estimator
    if isinstance(est, str) and est.strip().upper() in ("ML", "MLR", "MLM", "MLMV", "FIML"):
        raise SpecificationError(
            f"estimator={estimator!r} is not available with ordered indicators (lavaan would "
            "use marginal maximum likelihood); use estimator='WLSMV' (the default for ordered "
            "data), 'WLSM', 'DWLS' or 'ULSMV', or drop ordered= to treat the items as "
            "continuous."
        )
    est = check_choice(est, "estimator", list(CATEGORICAL_ESTIMATORS), normalize=True)
    miss = check_choice(
        missing, "missing", ["listwise", "pairwise", "fiml", "ml", "direct"], normalize=True
    )
    if miss in ("fiml", "ml", "direct"):
        raise NrelError(
            "missing='fiml' is not available with ordered indicators (it needs marginal ML); "
            "use missing='pairwise' (lavaan's choice for categorical data) or 'listwise'."
        )
    se_in = (
        None
        if se is None
        else check_choice(se, "se", ["standard", "robust", "bootstrap", "none"], normalize=True)
    )
    if se_in == "bootstrap" or bootstrap_indices is not None:
        raise NrelError(
            "the bootstrap is not available with ordered indicators; use the robust standard "
            "errors of estimator='WLSMV' (se='robust', the default)."
        )
    se_cat = {None: None, "standard": "standard", "robust": "robust.sem", "none": "none"}[se_in]
    group_equal = check_group_equal(group_equal)
    if group is None and (group_equal or _as_tuple(group_partial)):
        raise NrelError(
            "group_equal= and group_partial= constrain parameters across groups and need "
            "group= (the name of the column holding the group labels)."
        )
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{data_name} must be a pandas DataFrame, got {type(data).__name__}.")

    # variables of the model, and which of them are ordered
    pt0 = parse_model(model, std_lv=bool(std_lv), meanstructure=True)
    if pt0.ov_x:
        raise SpecificationError(
            f"exogenous observed covariate(s) {', '.join(pt0.ov_x)} (predictors only) are "
            "not supported with ordered indicators (lavaan conditions on them, "
            "conditional.x). Make them random by adding their variances to the syntax (e.g. "
            f"'{pt0.ov_x[0]} ~~ {pt0.ov_x[0]}'), or leave them out of the model."
        )
    ov = list(pt0.ov_names)
    if ordered is True:
        ord_names = list(ov)
    else:
        if isinstance(ordered, str):
            ordered = [ordered]
        try:
            ord_names = [str(v) for v in ordered]
        except TypeError:
            raise NrelError(
                f"ordered={ordered!r} is not valid; give a list of column names or True."
            ) from None
        if not ord_names:
            raise NrelError("ordered= is empty; name the ordered columns or use ordered=True.")
        check_columns(data, ord_names, data_name=data_name)
    ord_set = set(ord_names) & set(ov)
    if not ord_set:
        raise SpecificationError(
            f"none of the ordered= variables ({', '.join(ord_names)}) is a variable of the "
            "model; name the model's ordinal indicators."
        )
    check_columns(data, ov, data_name=data_name)
    ord_mask = np.array([v in ord_set for v in ov])

    # groups and rows
    n_extra = 0
    if group is not None:
        if not isinstance(group, str):
            raise NrelError(f"group={group!r} is not valid; give the name of a column.")
        check_columns(data, [group], data_name=data_name)
        gcol = data[group]
        labels = list(pd.unique(gcol[gcol.notna()]))
        if not labels:
            raise DataError(f"{data_name}, column {group!r} (group=) has no non-missing value.")
        n_extra = int(gcol.isna().sum())
        if group_label is not None:
            chosen = _select_groups(labels, group_label, group, data_name)
            n_extra += int((gcol.notna() & ~gcol.isin(chosen)).sum())
            labels = chosen
        gvals = gcol.to_numpy()
    else:
        if group_label is not None:
            raise NrelError("group_label= chooses and orders the groups of group=; give group=.")
        labels = [None]
        gvals = np.zeros(len(data), dtype=int)
    x_all = _numeric_block(data, ov, data_name)
    blocks = []
    row_labels = []
    n_dropped = n_extra
    for lab in labels:
        sel = np.ones(len(data), dtype=bool) if lab is None else np.asarray(gvals == lab)
        x = x_all[sel]
        empty = np.isnan(x).any(axis=1) if miss == "listwise" else np.isnan(x).all(axis=1)
        keep = ~empty
        n_dropped += int((~keep).sum())
        blocks.append(x[keep])
        row_labels.append(data.index[sel][keep])
    where = [
        data_name if lab is None else f"{data_name}, column {group!r}, group {lab!r}"
        for lab in labels
    ]
    # categories over the data used (lavaan's varTable), then per group all present
    nth = {}
    all_levels = [None] * len(ov)
    for k, v in enumerate(ov):
        if not ord_mask[k]:
            continue
        col = np.concatenate([b[:, k] for b in blocks])
        levels = np.unique(col[~np.isnan(col)])
        if len(levels) < 2:
            raise DataError(
                f"{data_name}, column {v!r} has {len(levels)} observed category in the rows "
                "used; an ordered variable needs at least 2. Drop it from the model."
            )
        nth[v] = len(levels) - 1
        all_levels[k] = levels
        if len(labels) > 1:
            for b, lab in zip(blocks, labels, strict=True):
                freq = [int(np.sum(b[:, k] == lev)) for lev in levels]
                if min(freq) == 0:
                    raise DataError(
                        f"{data_name}, column {v!r}: some categories are empty in group "
                        f"{lab!r}; frequencies of {', '.join(f'{lev:g}' for lev in levels)} "
                        f"are {freq} (lavaan refuses this too). Merge adjacent categories "
                        "(in every group) or drop the variable."
                    )
    pt = parse_model(
        model,
        std_lv=bool(std_lv),
        ngroups=len(labels),
        meanstructure=True,
        group_equal=group_equal,
        group_partial=group_partial,
        ordered=nth,
        parameterization=parameterization,
    )
    from ._catstats import categorical_stats

    stats_list = []
    for b, w, rl in zip(blocks, where, row_labels, strict=True):
        st = categorical_stats(
            b, ov, ord_mask, missing=miss, where=w, row_labels=rl, levels=all_levels
        )
        stats_list.append(st)
    for st, w in zip(stats_list, where, strict=True):
        if st.n < 2:
            raise DataError(f"{w} has {st.n} usable row(s); collect more data.")
    result = ordinal_result(
        pt,
        stats_list,
        est,
        se=se_cat,
        syntax=model,
        missing=miss,
        n_dropped=n_dropped,
        group_labels=None if group is None else labels,
        group=group,
    )
    result.call = {
        "estimator": est,
        "missing": miss,
        "se": result.se_type,
        "std_lv": bool(std_lv),
        "ordered": [v for v in ov if v in ord_set],
        "parameterization": parameterization,
    }
    if group is not None:
        result.call.update(
            group=group,
            group_equal=tuple(group_equal),
            group_partial=_as_tuple(group_partial),
            group_label=None if group_label is None else list(labels),
        )
        result.data = pd.concat(
            [
                pd.DataFrame(b, columns=ov).assign(**{group: lab})
                for b, lab in zip(blocks, labels, strict=True)
            ],
            ignore_index=True,
        )
    else:
        result.data = pd.DataFrame(blocks[0], columns=ov)
    for w in result._recorded:
        warnings.warn(str(w), type(w), stacklevel=3)
    return result
