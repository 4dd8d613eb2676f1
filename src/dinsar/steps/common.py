"""Helpers shared by the step modules."""

from __future__ import annotations

import numba


def set_threads(threads: int) -> None:
    """Kernels use `threads` cores (what the rule declared), never more than numba has."""
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
