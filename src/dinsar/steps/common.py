"""Helpers shared by the step modules."""

from __future__ import annotations

import numba
import threadpoolctl

from dinsar.errors import ProductError
from dinsar.sensors.product import SarProduct


def set_threads(threads: int) -> None:
    """Kernels use `threads` cores (what the rule declared), never more than numba has; BLAS one.

    numpy's BLAS only sees small matrices here (the correlation's upsampled DFT, polynomial fits), where
    its threads cost more than they give, and spin against numba's: one 97 × 128 × 128 product took
    32 ms with two OpenBLAS threads on a busy 2-core machine against 1.2 ms with one."""
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")


# What the interferometric chain processes correctly; anything else is refused, not approximated.
CHAIN_MODES = ("SM",)  # Sentinel-1 (IW through dinsar.steps.tops first)
COSMO_CHAIN_MODES = ("StripMap", "Spotlight")  # COSMO-SkyMed: Spotlight through its azimuth carrier
# TerraSAR-X: StripMap (SM) and Spotlight (SL, HS, ST); ScanSAR refused by the reader itself
# (dinsar.sensors.terrasar_metadata)


def open_chain_product(path, polarisation: str | None, orbits=None) -> SarProduct:
    """A product for the interferometric chain: a Sentinel-1 StripMap SLC, a merged IW date (its
    `.merged.json` sidecar), a COSMO-SkyMed StripMap or Spotlight image (an `.h5` file: CSK or CSG) or a
    TerraSAR-X / TanDEM-X StripMap or Spotlight SSC product folder, or one line refusing it (an IW SAFE goes
    through dinsar.steps.tops first; a TerraSAR-X ScanSAR product is refused). polarisation None: the
    config's default (dinsar.settings: the schema owns it); for COSMO-SkyMed and TerraSAR-X, the product's
    only image. orbits: a folder of EOF files for Sentinel-1;
    COSMO-SkyMed and TerraSAR-X products carry their own orbit and take none.

    The steps use it through the SarProduct interface only (dinsar.sensors.product)."""
    from dinsar.sensors import merged, sensor_of, sentinel1
    from dinsar.settings import defaults

    if sensor_of(path) == "cosmo":
        from dinsar.sensors import cosmo

        if orbits:
            raise ProductError(f"{path}: COSMO-SkyMed products carry their own orbit (the file's state vectors); "
                               f"the orbit folder {orbits} does not apply")
        return cosmo.open_product(path, polarisation=polarisation, modes=COSMO_CHAIN_MODES)
    if sensor_of(path) == "terrasar":
        from dinsar.sensors import terrasar

        if orbits:
            raise ProductError(f"{path}: TerraSAR-X products carry their own orbit (the XML's stateVec); the "
                               f"orbit folder {orbits} does not apply")
        return terrasar.open_product(path, polarisation=polarisation)
    if merged.sidecar_of(path):  # an IW date debursted and merged (dinsar.steps.tops.merge)
        return merged.open_merged(path, polarisation or defaults().polarisation)
    return sentinel1.open_product(path, polarisation=polarisation or defaults().polarisation, orbit=orbits,
                                  modes=CHAIN_MODES)
