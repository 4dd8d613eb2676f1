"""Helpers shared by the step modules."""

from __future__ import annotations

import numba

from dinsar.sensors.product import SarProduct


def set_threads(threads: int) -> None:
    """Kernels use `threads` cores (what the rule declared), never more than numba has."""
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


# What the interferometric chain processes correctly; anything else is refused, not approximated.
CHAIN_MODES = ("SM",)


def open_chain_product(path, polarisation: str | None, orbits=None) -> SarProduct:
    """A product for the interferometric chain: a Sentinel-1 StripMap SLC, or one line refusing it.
    polarisation None: the config's default (dinsar.settings: the schema owns it).

    The steps use it through the SarProduct interface only (dinsar.sensors.product)."""
    from dinsar.sensors import sentinel1
    from dinsar.settings import defaults

    return sentinel1.open_product(path, polarisation=polarisation or defaults().polarisation, orbit=orbits,
                                  modes=CHAIN_MODES)
