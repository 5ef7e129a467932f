"""Shared by the benchmarks that time lavaan side by side: availability check and R runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def lavaan_version() -> tuple[str | None, str | None]:
    """Return ``(version, None)`` when Rscript and lavaan are present, else ``(None, why)``."""
    if shutil.which("Rscript") is None:
        return None, "Rscript (R with lavaan) is not on PATH"
    check = subprocess.run(
        ["Rscript", "-e", "cat(as.character(packageVersion('lavaan')))"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        return None, "the R package lavaan is not installed"
    return check.stdout.strip(), None


def time_lavaan(r_template: str, specs) -> object:
    """Run ``r_template`` (one ``%s`` for the JSON spec path) with single-threaded BLAS.

    The script reads ``{"cases": specs}`` and prints its result as JSON on its last line.
    """
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({"cases": specs}), encoding="utf-8")
        script = Path(tmp) / "bench.R"
        script.write_text(r_template % spec.as_posix(), encoding="utf-8")
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise RuntimeError(f"the lavaan timing script failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])
