"""Defined parameters (lavaan ``:=``): safe evaluation of their expressions and Jacobian."""

from __future__ import annotations

import ast
import math
import re

import numpy as np

from ..exceptions import SpecificationError

__all__ = ["DefinedParameters"]

_FUNCS = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "abs": np.abs,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
}
_TOKEN = re.compile(
    r"(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_.][A-Za-z0-9_.]*)"
)
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Call,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


class DefinedParameters:
    """The ``:=`` rows of a parameter table, compiled to functions of the table's row values.

    A label refers to the first row carrying it (lavaan's ``def.function`` semantics); a
    defined parameter may use earlier defined parameters.

    Parameters
    ----------
    table : pandas.DataFrame
        The parameter table.
    """

    def __init__(self, table):
        self.rows = list(table.index[table["op"] == ":="])
        self.names = [table.at[r, "lhs"] for r in self.rows]
        labels = {}
        for idx, lab, pl in zip(table.index, table["label"], table["plabel"], strict=True):
            if table.at[idx, "op"] in (":=", "=="):
                continue
            if lab and lab not in labels:
                labels[lab] = idx
            if pl:
                labels.setdefault(pl, idx)
        self.label_rows = labels
        self.codes = []
        known_defs: list[str] = []
        for r, name in zip(self.rows, self.names, strict=True):
            expr = str(table.at[r, "rhs"])
            line = int(table.at[r, "line"]) if "line" in table.columns else 0
            mapping = {}

            def repl(m, mapping=mapping, expr=expr, line=line, name=name):
                tok = m.group(0)
                if m.group(1) is not None or tok in _FUNCS:
                    return tok
                if tok in labels:
                    key = f"_r{labels[tok]}"
                elif tok in known_defs:
                    key = f"_d{known_defs.index(tok)}"
                else:
                    raise SpecificationError(
                        f"model syntax line {line}: {tok!r} in the defined parameter "
                        f"{name} := {expr} is not a parameter label (label it, e.g. a*x1)."
                    )
                mapping[key] = tok
                return key

            src = _TOKEN.sub(repl, expr.replace("^", "**"))
            try:
                tree = ast.parse(src, mode="eval")
            except SyntaxError:
                raise SpecificationError(
                    f"model syntax line {line}: cannot read the expression {name} := {expr}."
                ) from None
            for node in ast.walk(tree):
                if not isinstance(node, _ALLOWED):
                    raise SpecificationError(
                        f"model syntax line {line}: {name} := {expr} uses an unsupported "
                        "construct; use + - * / ^, numbers, labels and sqrt/exp/log/abs."
                    )
                if isinstance(node, ast.Call) and (
                    not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS
                ):
                    raise SpecificationError(
                        f"model syntax line {line}: unsupported function in {name} := {expr}."
                    )
            self.codes.append(compile(tree, f"<{name}>", "eval"))
            known_defs.append(name)

    def __len__(self) -> int:
        return len(self.rows)

    def evaluate(self, row_values: np.ndarray) -> np.ndarray:
        """Values of the defined parameters given every table row's value."""
        env: dict[str, object] = dict(_FUNCS)
        for idx in self.label_rows.values():
            env[f"_r{idx}"] = row_values[idx]
        out = np.empty(len(self.codes))
        for k, code in enumerate(self.codes):
            with np.errstate(all="ignore"):
                val = eval(code, {"__builtins__": {}}, env)
            out[k] = float(val) if np.isfinite(val) else math.nan
            env[f"_d{k}"] = out[k]
        return out

    def jacobian(self, model, theta: np.ndarray) -> np.ndarray:
        """Jacobian of the defined parameters with respect to the free parameters.

        Central differences with a relative step of 1e-6 (truncation error ~1e-12, far below
        the 1e-4 tolerance of the lavaan comparison; lavaan uses complex-step derivatives).
        """
        theta = np.asarray(theta, dtype=float)
        jac = np.zeros((len(self.codes), len(theta)))
        for j in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[j]))
            tp, tm = theta.copy(), theta.copy()
            tp[j] += h
            tm[j] -= h
            jac[:, j] = (
                self.evaluate(model.row_values(tp)) - self.evaluate(model.row_values(tm))
            ) / (2 * h)
        return jac
