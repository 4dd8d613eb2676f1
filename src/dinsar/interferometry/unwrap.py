"""Phase unwrapping of a whole image in memory: SNAPHU (snaphu-py; whole, tiled), whirlwind; the reference point.

The unwrap step's default, multi-resolution unwrapping by blocks, is dinsar.interferometry.unwrap_multiscale.
"""

from __future__ import annotations

import logging

import numpy as np

from dinsar.errors import DinsarError

log = logging.getLogger(__name__)


class UnwrappingError(DinsarError):
    """SNAPHU failed or left too little of the image unwrapped."""


def unwrap(ifg: np.ndarray, coherence: np.ndarray, valid: np.ndarray, nlooks: float,
           cost: str = "defo", tile: int | None = 2048, min_fraction: float = 0.5, init: str = "mst", nproc: int = 1,
           reoptimize: bool = True, tile_overlap: int = 64):
    """Unwrapped phase (float32, NaN outside `valid`) and connected-component labels (0 = none).

    nlooks: the equivalent number of looks of the coherence estimate, SNAPHU's statistics (a multilooked
    interferogram's MultilookGrid.enl: its looks times the product's processed bandwidth fractions).
    init: SNAPHU's initial flow, "mst" (SNAPHU's default) or "mcf" (snaphu-py's); the optimiser
    then reaches the same solution on the demo pair, MST 7x sooner (0.6 s vs 4.2 s at 682²).
    Images over `tile` pixels a side are unwrapped in tiles (`tile_overlap` pixels in common), `nproc` at a
    time, then, with `reoptimize`, once more as one tile from the tiles' solution (snaphu-py's
    single-tile re-optimisation: the whole image's memory and most of its time); without it, SNAPHU's
    own assembly of the tiles gives the phase and the components. tile None: one tile, whatever the size.
    """
    import snaphu

    if valid.sum() < 100:
        raise UnwrappingError(f"only {int(valid.sum())} valid pixels: nothing to unwrap")
    ny, nx = ifg.shape
    ntiles = (1, 1) if tile is None else (max(1, int(np.ceil(ny / tile))), max(1, int(np.ceil(nx / tile))))
    try:
        unw, conncomp = snaphu.unwrap(
            np.where(valid, ifg, 0).astype(np.complex64), np.where(valid, coherence, 0).astype(np.float32),
            nlooks=float(nlooks), cost=cost, init=init, mask=valid.astype(np.uint8), ntiles=ntiles,
            tile_overlap=tile_overlap if ntiles != (1, 1) else 0, nproc=max(1, int(nproc)),
            single_tile_reoptimize=reoptimize, regrow_conncomps=False,
        )
    except Exception as e:  # snaphu raises RuntimeError/ValueError/OSError with its own message
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UnwrappingError(f"SNAPHU failed: {reason}") from None
    return _checked(np.where(valid, unw, np.nan).astype(np.float32), conncomp.astype(np.uint32), valid,
                    min_fraction, "SNAPHU")


def unwrap_whirlwind(ifg: np.ndarray, coherence: np.ndarray, valid: np.ndarray, nlooks: float,
                     min_fraction: float = 0.5, nproc: int = 1):
    """As `unwrap`, with whirlwind-insar's minimum-cost-flow solver (Rust; its SNAPHU-like connected
    components), the whole image in memory. An optional package: `pip install whirlwind-insar`."""
    try:
        import whirlwind
    except ImportError:
        raise UnwrappingError("unwrap.method whirlwind needs the whirlwind-insar package "
                              "(pip install whirlwind-insar)") from None
    if valid.sum() < 100:
        raise UnwrappingError(f"only {int(valid.sum())} valid pixels: nothing to unwrap")
    try:
        whirlwind.set_num_threads(max(1, int(nproc)))
    except RuntimeError:  # the pool exists already (an earlier call in this process)
        pass
    try:
        unw, conncomp = whirlwind.unwrap(np.where(valid, ifg, 0).astype(np.complex64),
                                         np.where(valid, coherence, 0).astype(np.float32),
                                         nlooks=float(min(nlooks, 300)), mask=valid)
    except Exception as e:  # its own message, first line
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UnwrappingError(f"whirlwind failed: {reason}") from None
    return _checked(np.where(valid, unw, np.nan).astype(np.float32), conncomp.astype(np.uint32), valid,
                    min_fraction, "whirlwind")


def _checked(unw, conncomp, valid, min_fraction: float, who: str):
    labelled = (conncomp > 0) & valid
    if labelled.sum() < min_fraction * valid.sum():
        raise UnwrappingError(f"{who} unwrapped only {labelled.sum() / valid.sum():.0%} of the valid pixels "
                              f"in connected components (< {min_fraction:.0%})")
    return unw, conncomp


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
