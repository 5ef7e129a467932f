"""A printable summary of an :class:`~nrel_research.sem.result.SEMResult` (text, HTML, LaTeX)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

__all__ = ["SEMSummary"]

_SECTIONS = [
    ("=~", "Latent variables"),
    ("~", "Regressions"),
    ("~~cov", "Covariances"),
    ("~1", "Intercepts"),
    ("|", "Thresholds"),
    ("~~var", "Variances"),
    ("~*~", "Scales y*"),
    (":=", "Defined parameters"),
]


_ORDINAL_NAMES = {
    "WLSMV": "WLSMV (DWLS on polychoric correlations, scaled-shifted test)",
    "WLSM": "WLSM (DWLS on polychoric correlations, mean-adjusted test)",
    "DWLS": "DWLS on polychoric correlations",
    "ULSMV": "ULSMV (ULS on polychoric correlations, scaled-shifted test)",
}


def _fmt(x, digits=3):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    if isinstance(x, int | np.integer):
        return str(int(x))
    return f"{x:.{digits}f}"


class SEMSummary:
    """Header, fit statistics and the parameter estimates by section, like lavaan's summary.

    Use :meth:`as_text`, :meth:`as_html` or :meth:`as_latex`; in Jupyter it renders as HTML.
    """

    def __init__(self, result, level=0.95):
        self.result = result
        self.level = level
        self.estimates = result.estimates(level=level)
        self.fit = result.fit_measures()

    def _header(self) -> list[tuple[str, str]]:
        r = self.result
        fm = self.fit
        fiml = getattr(r, "missing", "listwise") == "ml"
        est = getattr(r, "estimator", "ML")
        info = "observed" if (fiml or est == "MLR" or r.se_type == "robust") else "expected"
        se = {
            "standard": f"Standard ({info} information), Wald CIs",
            "robust": f"Robust Huber-White sandwich ({info} information), Wald CIs",
            "bootstrap": "Bootstrap, percentile CIs",
        }.get(r.se_type, r.se_type)
        name = "MLR (robust ML, Yuan-Bentler scaled test)" if est == "MLR" else "ML"
        estimator_text = f"{name}, normal likelihood, lavaan-compatible"
        missing_text = "FIML (missing = 'ml')" if fiml else "listwise deletion"
        if est in _ORDINAL_NAMES:
            estimator_text = _ORDINAL_NAMES[est]
            if r.se_type == "robust":
                se = "Robust (sandwich, robust.sem), Wald CIs"
            elif r.se_type == "standard":
                se = "Standard (DWLS expected information), Wald CIs"
            if getattr(r, "missing", "") == "pairwise":
                missing_text = "pairwise (first-step statistics)"
        rows = [
            ("Estimator", estimator_text),
            ("Missing data", missing_text),
            ("Converged", f"{r.converged} after {r.optim.iterations} iterations"),
            ("Observations used", str(r.nobs)),
            *(
                [(f"Groups ({r.group})", ", ".join(f"{k} ({v})" for k, v in r.group_nobs.items()))]
                if getattr(r, "group_labels", None) is not None
                else []
            ),
            (
                "Rows dropped (empty)"
                if fiml or getattr(r, "missing", "") == "pairwise"
                else "Rows dropped (listwise)",
                str(r.n_dropped),
            ),
            ("Free parameters", str(int(fm["npar"]))),
            ("Standard errors", se),
        ]
        if r.bootstrap is not None:
            b = r.bootstrap
            rows.append(
                (
                    "Bootstrap replications",
                    f"{b.r} requested, {b.n_used} used, {b.n_failed} failed, "
                    f"{b.n_improper} improper",
                )
            )
        rows += [
            (
                "Chi-square (df), p",
                f"{fm['chisq']:.3f} ({int(fm['df'])}), p = {_fmt(fm['pvalue']) or 'NA'}",
            ),
        ]
        if "chisq_scaled" in fm.index:
            rows.append(
                (
                    "Scaled chi-square (df), p; scaling factor",
                    f"{fm['chisq_scaled']:.3f} ({int(fm['df'])}), "
                    f"p = {_fmt(fm['pvalue_scaled']) or 'NA'}; {fm['chisq_scaling_factor']:.3f}",
                )
            )
        if "cfi_robust" in fm.index:
            rows.append(
                (
                    "Robust CFI / TLI / RMSEA",
                    f"{fm['cfi_robust']:.3f} / {fm['tli_robust']:.3f} / {fm['rmsea_robust']:.3f}",
                )
            )
        rows += [
            ("CFI / TLI", f"{fm['cfi']:.3f} / {fm['tli']:.3f}"),
            (
                "RMSEA [90% CI], p(close)",
                f"{fm['rmsea']:.3f} [{fm['rmsea_ci_lower']:.3f}, {fm['rmsea_ci_upper']:.3f}], "
                f"p = {_fmt(fm['rmsea_pvalue']) or 'NA'}",
            ),
            ("SRMR", f"{fm['srmr']:.3f}"),
        ]
        if "cfi_scaled" in fm.index:
            rows.insert(
                -2,
                (
                    "Scaled CFI / TLI / RMSEA",
                    f"{fm['cfi_scaled']:.3f} / {fm['tli_scaled']:.3f} / {fm['rmsea_scaled']:.3f}",
                ),
            )
        if "logl" in fm.index:
            rows += [
                ("Log-likelihood", f"{fm['logl']:.3f}"),
                ("AIC / BIC", f"{fm['aic']:.3f} / {fm['bic']:.3f}"),
            ]
        return rows

    def _sections(self) -> list[tuple[str, pd.DataFrame]]:
        e = self.estimates
        labels = getattr(self.result, "group_labels", None)
        if labels is None:
            return self._group_sections(e, "")
        out = []
        for lab in labels:
            n = self.result.group_nobs[lab]
            out += self._group_sections(e[e["group"] == lab], f"Group {lab} (N = {n}): ")
        return out + self._group_sections(e[e["group"].isna()], "")

    def _group_sections(self, e, prefix) -> list[tuple[str, pd.DataFrame]]:
        out = []
        for key, title in _SECTIONS:
            if key == "~~cov":
                sel = (e["op"] == "~~") & (e["lhs"] != e["rhs"])
            elif key == "~~var":
                sel = (e["op"] == "~~") & (e["lhs"] == e["rhs"])
            else:
                sel = e["op"] == key
            part = e[sel]
            if len(part):
                cols = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue"]
                cols += ["ci_lower", "ci_upper", "std_all"]
                out.append((prefix + title, part[cols]))
        return out

    def as_text(self) -> str:
        """Plain-text summary."""
        lines = ["Structural equation model (nrel_research.sem)", ""]
        width = max(len(k) for k, _ in self._header())
        lines += [f"  {k:<{width}}  {v}" for k, v in self._header()]
        for title, part in self._sections():
            lines += ["", title + ":"]
            shown = part.copy()
            for c in ["est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]:
                shown[c] = shown[c].map(_fmt)
            lines.append(shown.to_string(index=False))
        if self.result.warnings:
            lines += ["", "Warnings:"] + [f"  - {w}" for w in self.result.warnings]
        return "\n".join(lines)

    def as_html(self) -> str:
        """HTML summary (tables)."""
        parts = ["<div class='nrel-sem-summary'><h4>Structural equation model</h4><table>"]
        for k, v in self._header():
            parts.append(f"<tr><th style='text-align:left'>{html.escape(k)}</th>")
            parts.append(f"<td style='text-align:left'>{html.escape(v)}</td></tr>")
        parts.append("</table>")
        for title, part in self._sections():
            parts.append(f"<h5>{html.escape(title)}</h5>")
            parts.append(part.to_html(index=False, float_format=lambda x: f"{x:.3f}", na_rep=""))
        if self.result.warnings:
            parts.append("<h5>Warnings</h5><ul>")
            parts += [f"<li>{html.escape(w)}</li>" for w in self.result.warnings]
            parts.append("</ul>")
        parts.append("</div>")
        return "".join(parts)

    def as_latex(self) -> str:
        """LaTeX summary (``tabular`` environments; needs only base LaTeX)."""

        def esc(s):
            s = str(s)
            for a, b in [
                ("\\", r"\textbackslash{}"),
                ("_", r"\_"),
                ("&", r"\&"),
                ("%", r"\%"),
                ("#", r"\#"),
                ("~", r"\textasciitilde{}"),
                ("^", r"\^{}"),
                ("$", r"\$"),
            ]:
                s = s.replace(a, b)
            return s

        out = [r"\begin{tabular}{ll}", r"\hline"]
        out += [f"{esc(k)} & {esc(v)} \\\\" for k, v in self._header()]
        out += [r"\hline", r"\end{tabular}", ""]
        for title, part in self._sections():
            cols = list(part.columns)
            out.append(r"\paragraph{" + esc(title) + "}")
            out.append(r"\begin{tabular}{" + "lll" + "l" + "r" * (len(cols) - 4) + "}")
            out.append(r"\hline")
            out.append(" & ".join(esc(c) for c in cols) + r" \\")
            out.append(r"\hline")
            for _, row in part.iterrows():
                cells = [esc(row[c]) for c in cols[:4]] + [_fmt(row[c]) for c in cols[4:]]
                out.append(" & ".join(cells) + r" \\")
            out += [r"\hline", r"\end{tabular}", ""]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()
