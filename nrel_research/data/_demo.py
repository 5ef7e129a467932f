"""A small seeded demonstration data set for the data-preparation tools.

:func:`demo_responses` draws responses that respect the instrument's skip logic and
plants the problems the cleaning tools must find (careless and straight-lining
respondents, speeders, failed attention checks, missing answers). It is **not** the
simulated study with known population truth (``simulate_study``): items load on one
common factor per construct plus a general factor, with no documented population
model. Use it to try the import/validate/clean/score pipeline and in tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_positive_int, check_rng
from ..instruments import Instrument
from ._schema import RESPONSE_ID, schema_of

__all__ = ["demo_responses"]


def demo_responses(
    n: int = 60,
    instrument: Instrument | None = None,
    *,
    seed: int | np.random.Generator | None = 2016,
    careless: float = 0.05,
    straightliners: float = 0.05,
    speeders: float = 0.05,
    missing: float = 0.03,
) -> pd.DataFrame:
    """Draw a small demonstration response data set with planted data-quality problems.

    Parameters
    ----------
    n : int, default 60
        Number of responses.
    instrument : Instrument, optional
        By default the full bundled instrument.
    seed : int or numpy.random.Generator, default 2016
        Same seed, same data.
    careless, straightliners, speeders : float
        Shares of respondents answering rating items uniformly at random, giving one
        answer to every rating item, and finishing in under three minutes.
    missing : float, default 0.03
        Share of rating answers deleted completely at random.

    Returns
    -------
    pandas.DataFrame
        Canonical response data (as :func:`read_responses` returns); the planted
        problems are listed in ``attrs["planted"]`` (``{kind: [response ids]}``).

    Examples
    --------
    >>> from nrel_research import data
    >>> df = data.demo_responses(20, seed=1)
    >>> df.shape[0], sorted(df.attrs["planted"])
    (20, ['careless', 'speeder', 'straightliner'])
    """
    n = check_positive_int(n, "n", minimum=4)
    rng = check_rng(seed)
    schema = schema_of(instrument)
    inst = schema.instrument
    bank = inst.bank
    df = schema.blank(n)
    names = set(schema.names)
    df[RESPONSE_ID] = pd.array([f"R_{k:04d}" for k in range(1, n + 1)], dtype="string")

    def put(name, values):
        if name in names:
            df[name] = pd.array(values, dtype=schema.dtype(name))

    put("consent", [1] * n)
    put("firm_id", [f"F{k:04d}" for k in range(1, n + 1)])
    put("second_informant", [0] * n)
    market = rng.choice([1, 2, 3], size=n, p=[0.35, 0.4, 0.25])
    put("market_type", market.tolist())
    sectors = ["C", "G", "I", "J", "K", "M", "Q"]
    put("sector", rng.choice(sectors, size=n).tolist())
    general = rng.normal(size=n)
    orientation = rng.normal(size=n)
    constructs = {q.item.construct for q in inst.questions if q.name in schema.rating_items}
    factor = {
        k: 0.5 * general + (0.6 if "relational" in k else 0.0) * orientation + rng.normal(size=n)
        for k in constructs
    }
    for name in schema.rating_items:
        it = bank.item(name)
        if it.correct is not None:
            put(name, [int(it.correct)] * n)
            continue
        z = 0.8 * factor[it.construct] + rng.normal(scale=0.7, size=n)
        if it.reverse:
            z = -z
        centre = 5.6 if it.construct == "informant_competence" else 4.3
        put(name, np.clip(np.round(centre + 1.3 * z), 1, 7).astype(int).tolist())
    # social media mix: platforms, features, followers, handles
    if "smx_platforms" in schema.multiple:
        opts = schema.multiple["smx_platforms"]
        chosen = rng.random((n, len(opts))) < 0.55
        chosen[np.arange(n), rng.integers(0, len(opts) - 1, size=n)] = True
        for j, (code, name) in enumerate(opts):
            put(name, chosen[:, j].astype(int).tolist())
            if code == "oth":
                put("smx_platforms_other", ["Threads" if c else pd.NA for c in chosen[:, j]])
            feat = f"smx_feat_{code}"
            if feat in schema.multiple:
                fsel = rng.random((n, len(schema.multiple[feat]))) < 0.4
                fsel[np.arange(n), rng.integers(0, fsel.shape[1], size=n)] = True
                for k, (_, fname) in enumerate(schema.multiple[feat]):
                    put(fname, [int(fsel[i, k]) if chosen[i, j] else pd.NA for i in range(n)])
            followers = np.round(np.exp(rng.normal(8, 1.5, size=n))).astype(int)
            put(
                f"net_followers_{code}",
                [int(followers[i]) if chosen[i, j] else pd.NA for i in range(n)],
            )
            put(
                f"handle_{code}",
                [f"@demo_firm_{i + 1:04d}_{code}" if chosen[i, j] else pd.NA for i in range(n)],
            )
    put("net_reply_share", np.round(rng.uniform(0, 100, n), 1).tolist())
    # B2B-only items for B2C firms are not shown
    for name in schema.names:
        q = schema.question(name)
        for c in q.relevant:
            if c.item == "market_type":
                df.loc[~pd.Series(market).astype(str).isin(c.values).to_numpy(), name] = pd.NA
    put("employees", np.round(np.exp(rng.normal(3.5, 1.2, n))).astype(int).tolist())
    put("firm_age", rng.integers(1, 80, n).tolist())
    put("sm_years", np.round(rng.uniform(0.5, 15, n), 1).tolist())
    put("smm_budget_pct", np.round(rng.uniform(0, 60, n), 1).tolist())
    role = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.25, 0.25, 0.2, 0.1, 0.1, 0.1])
    put("resp_role", role.tolist())
    put("resp_role_other", ["Brand lead" if r == 6 else pd.NA for r in role])
    put("tenure_firm", np.round(rng.uniform(0.5, 20, n), 1).tolist())
    put("tenure_role", np.round(rng.uniform(0.5, 10, n), 1).tolist())
    start = pd.Timestamp("2026-03-02 09:00:00") + pd.to_timedelta(
        np.sort(rng.uniform(0, 40 * 86400, n)).round(), unit="s"
    )
    duration = np.round(np.exp(rng.normal(np.log(1100), 0.35, n)))
    wave = np.where(np.arange(n) < n * 0.6, 1, 2)
    put("wave", wave.tolist())
    put("reminder", (wave - 1).tolist())
    # planted problems
    order = rng.permutation(n)
    k_c, k_s, k_sp = (max(1, round(share * n)) for share in (careless, straightliners, speeders))
    careless_idx = order[:k_c]
    straight_idx = order[k_c : k_c + k_s]
    speed_idx = order[k_c + k_s : k_c + k_s + k_sp]
    for name in schema.rating_items:
        col = df[name].copy()
        shown = col.notna().to_numpy()
        for i in careless_idx:
            if shown[i]:
                col.iloc[i] = int(rng.integers(1, 8))
        for i in straight_idx:
            if shown[i]:
                col.iloc[i] = 4
        df[name] = col
    duration[speed_idx] = rng.uniform(90, 170, len(speed_idx)).round()
    put("start_time", start)
    put("end_time", start + pd.to_timedelta(duration, unit="s"))
    if missing > 0:
        for name in schema.rating_items:
            if bank.item(name).correct is not None:
                continue
            drop = rng.random(n) < missing
            df.loc[drop, name] = pd.NA
    df.attrs["planted"] = {
        "careless": df[RESPONSE_ID].iloc[careless_idx].tolist(),
        "straightliner": df[RESPONSE_ID].iloc[straight_idx].tolist(),
        "speeder": df[RESPONSE_ID].iloc[speed_idx].tolist(),
    }
    return df
