"""Phase unwrapping with SNAPHU (snaphu-py), coherence-weighted, and the choice of a reference point."""

from __future__ import annotations

import logging

import numpy as np

from dinsar.errors import DinsarError

log = logging.getLogger(__name__)


class UnwrappingError(DinsarError):
    """SNAPHU failed or left too little of the image unwrapped."""


def unwrap(ifg: np.ndarray, coherence: np.ndarray, valid: np.ndarray, nlooks: float,
           cost: str = "defo", tile: int = 2048, min_fraction: float = 0.5, init: str = "mst", nproc: int = 1):
    """Unwrapped phase (float32, NaN outside `valid`) and connected-component labels (0 = none).

    nlooks: the equivalent number of looks of the coherence estimate, SNAPHU's statistics (a multilooked
    interferogram's MultilookGrid.enl: its looks times the product's processed bandwidth fractions).
    init: SNAPHU's initial flow, "mst" (SNAPHU's default) or "mcf" (snaphu-py's); the optimiser
    then reaches the same solution on the demo pair, MST 7x sooner (0.6 s vs 4.2 s at 682²).
    Images over `tile` pixels are unwrapped in tiles, `nproc` at a time.
    """
    import snaphu

    if valid.sum() < 100:
        raise UnwrappingError(f"only {int(valid.sum())} valid pixels: nothing to unwrap")
    ny, nx = ifg.shape
    ntiles = (max(1, int(np.ceil(ny / tile))), max(1, int(np.ceil(nx / tile))))
    try:
        unw, conncomp = snaphu.unwrap(
            np.where(valid, ifg, 0).astype(np.complex64), np.where(valid, coherence, 0).astype(np.float32),
            nlooks=float(nlooks), cost=cost, init=init, mask=valid.astype(np.uint8), ntiles=ntiles,
            tile_overlap=64 if ntiles != (1, 1) else 0, nproc=max(1, int(nproc)),
        )
    except Exception as e:  # snaphu raises RuntimeError/ValueError/OSError with its own message
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UnwrappingError(f"SNAPHU failed: {reason}") from None
    unw = np.where(valid, unw, np.nan).astype(np.float32)
    labelled = (conncomp > 0) & valid
    if labelled.sum() < min_fraction * valid.sum():
        raise UnwrappingError(f"SNAPHU unwrapped only {labelled.sum() / valid.sum():.0%} of the valid pixels "
                              f"in connected components (< {min_fraction:.0%})")
    return unw, conncomp.astype(np.uint32)


def pick_reference(coherence: np.ndarray, conncomp: np.ndarray, window: int = 9) -> tuple[int, int]:
    """The centre of the most coherent window×window area inside the largest connected component."""
    labels, counts = np.unique(conncomp[conncomp > 0], return_counts=True)
    if labels.size == 0:
        raise UnwrappingError("no connected component to put a reference point in")
    main = conncomp == labels[np.argmax(counts)]
    score = np.where(main, coherence, 0).astype(np.float64)
    k = window
    c = np.cumsum(np.cumsum(np.pad(score, ((1, 0), (1, 0))), 0), 1)
    box = c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]
    inside = np.cumsum(np.cumsum(np.pad(main.astype(np.int64), ((1, 0), (1, 0))), 0), 1)
    full = (inside[k:, k:] - inside[:-k, k:] - inside[k:, :-k] + inside[:-k, :-k]) == k * k
    box = np.where(full, box, -1)
    i, j = np.unravel_index(np.argmax(box), box.shape)
    return int(i + k // 2), int(j + k // 2)
