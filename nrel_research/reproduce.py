"""Execute the project's notebooks in order and write them, as notebooks and HTML, to a report.

This is what ``make reproduce`` and ``nrel reproduce`` run. Each notebook is executed from
a clean kernel with :mod:`papermill`, which injects the notebook parameters ``fast`` and
``seed`` into the cell tagged ``parameters``; the executed notebook and an HTML rendering
are written to the output folder together with an ``index.html`` that lists every
notebook with its status and run time. Source notebooks are never modified.
"""

from __future__ import annotations

import html
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import pandas as pd

from ._validation import check_positive_int
from ._version import __version__
from .exceptions import NrelError

__all__ = ["DEFAULT_SEED", "discover_notebooks", "run_notebooks"]

#: Seed passed to every notebook unless another is given (the N-REL paper's online date).
DEFAULT_SEED = 20160311


@dataclass(frozen=True)
class _Outcome:
    notebook: str
    status: str
    seconds: float
    executed: str
    html: str
    error: str


def discover_notebooks(directory: str | PathLike[str]) -> list[Path]:
    """List the notebooks to run, in the order their file names give (``01_...``, ``02_...``).

    Hidden files and Jupyter checkpoints are skipped.

    Raises
    ------
    NrelError
        If ``directory`` does not exist or holds no notebook.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise NrelError(f"notebook folder '{folder}' does not exist; pass the right --notebooks.")
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")))
    if not found:
        raise NrelError(f"notebook folder '{folder}' holds no .ipynb file; nothing to run.")
    return found


def run_notebooks(
    notebook_dir: str | PathLike[str] = "notebooks",
    output_dir: str | PathLike[str] = "reports",
    *,
    fast: bool = False,
    seed: int = DEFAULT_SEED,
    timeout: int = 3600,
    kernel_name: str = "python3",
    progress: Callable[[str], None] | None = print,
) -> pd.DataFrame:
    """Execute every notebook in ``notebook_dir`` and write a report to ``output_dir``.

    Parameters
    ----------
    notebook_dir : path, default "notebooks"
        Folder holding the notebooks; they run in file-name order, each from a clean
        kernel whose working directory is that folder.
    output_dir : path, default "reports"
        Where the executed notebooks (``.ipynb``), their HTML renderings and
        ``index.html`` are written. Created if needed; the source notebooks are not
        touched.
    fast : bool, default False
        Passed to each notebook as the ``fast`` parameter: small bootstrap and
        simulation sizes, for tests. ``make reproduce`` runs with ``fast=False``.
    seed : int, default DEFAULT_SEED
        Passed to each notebook as the ``seed`` parameter, so that reruns give the same
        numbers.
    timeout : int, default 3600
        Maximum seconds a single cell may run.
    kernel_name : str, default "python3"
        Jupyter kernel to execute with (the one of the active environment).
    progress : callable or None, default print
        Called with one line of text per notebook and a final summary line; ``None``
        for silence.

    Returns
    -------
    pandas.DataFrame
        One row per notebook with columns ``notebook, status, seconds, executed, html,
        error``; ``status`` is ``"ok"`` or ``"failed"`` (a failure does not stop the
        remaining notebooks; the error's last lines are in ``error``).
    """
    import papermill as pm

    seed = check_positive_int(seed, "seed", minimum=0)
    timeout = check_positive_int(timeout, "timeout")
    say = progress or (lambda _line: None)
    notebooks = discover_notebooks(notebook_dir)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    mode = "fast" if fast else "full"
    say(f"nrel reproduce: {len(notebooks)} notebook(s), {mode} mode, seed={seed} -> {out}/")

    outcomes: list[_Outcome] = []
    start_all = time.perf_counter()
    for i, nb in enumerate(notebooks, start=1):
        say(f"[{i}/{len(notebooks)}] {nb.name} ...")
        executed = out / nb.name
        page = out / (nb.stem + ".html")
        start = time.perf_counter()
        error = ""
        try:
            pm.execute_notebook(
                str(nb),
                str(executed),
                parameters={"fast": bool(fast), "seed": seed},
                kernel_name=kernel_name,
                cwd=str(nb.parent),
                progress_bar=False,
                execution_timeout=timeout,
                log_output=False,
            )
            status = "ok"
        except Exception as exc:  # a failing notebook is reported, not fatal to the run
            status = "failed"
            error = _short_error(exc)
        seconds = time.perf_counter() - start
        html_written = _to_html(executed, page) if executed.exists() else False
        outcomes.append(
            _Outcome(
                notebook=nb.name,
                status=status,
                seconds=round(seconds, 2),
                executed=executed.name if executed.exists() else "",
                html=page.name if html_written else "",
                error=error,
            )
        )
        say(f"[{i}/{len(notebooks)}] {nb.name}: {status} in {seconds:.1f} s")
        if error:
            say(f"    {error.splitlines()[-1]}")

    table = pd.DataFrame([o.__dict__ for o in outcomes])
    _write_index(table, out / "index.html", fast=fast, seed=seed)
    n_failed = int((table["status"] != "ok").sum())
    total = time.perf_counter() - start_all
    say(
        f"nrel reproduce: {len(table) - n_failed} of {len(table)} notebook(s) ok, "
        f"{n_failed} failed, {total:.1f} s; report: {out / 'index.html'}"
    )
    return table


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip() or "".join(traceback.format_exception_only(exc)).strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[-6:])


def _to_html(executed: Path, page: Path) -> bool:
    import nbformat
    from nbconvert import HTMLExporter

    try:
        notebook = nbformat.read(executed, as_version=4)
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    except Exception:  # the report still lists the notebook, without a page
        return False
    page.write_text(body, encoding="utf-8")
    return True


def _write_index(table: pd.DataFrame, path: Path, *, fast: bool, seed: int) -> None:
    rows = []
    for r in table.itertuples(index=False):
        name = html.escape(r.notebook)
        link = f'<a href="{html.escape(r.html)}">{name}</a>' if r.html else name
        ipynb = f'<a href="{html.escape(r.executed)}">.ipynb</a>' if r.executed else ""
        colour = "#1a7f37" if r.status == "ok" else "#cf222e"
        err = f"<pre>{html.escape(r.error)}</pre>" if r.error else ""
        rows.append(
            f"<tr><td>{link}</td><td>{ipynb}</td>"
            f'<td style="color:{colour};font-weight:bold">{r.status}</td>'
            f"<td style='text-align:right'>{r.seconds:.1f}</td><td>{err}</td></tr>"
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>nrel_research report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .4rem .6rem; vertical-align: top; }}
th {{ text-align: left; background: #f6f8fa; }}
pre {{ white-space: pre-wrap; font-size: .8rem; margin: 0; }}
</style></head>
<body>
<h1>nrel_research: executed notebooks</h1>
<p>nrel_research {html.escape(__version__)} &middot; {"fast" if fast else "full"} mode
&middot; seed {seed} &middot; generated {stamp}</p>
<table>
<tr><th>notebook</th><th>executed</th><th>status</th><th>seconds</th><th>error</th></tr>
{chr(10).join(rows)}
</table>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
