"""Single-threaded BLAS for the small-matrix numerics of the SEM engine.

Creating a :class:`threadpoolctl.ThreadpoolController` scans the loaded libraries (a few
milliseconds), so one controller is made lazily and reused by every fit and bootstrap worker.
"""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

_CONTROLLER: ThreadpoolController | None = None


def single_threaded_blas():
    """Context manager limiting BLAS to one thread (matrices here are small)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")
