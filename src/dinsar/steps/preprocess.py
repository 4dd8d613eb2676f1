"""Pre-processing steps: unzip/prune SAFE products, quicklooks, the simulated pair (paths in, paths out)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import ProductError, RasterError
from dinsar.io import archive, atomic, png, raster
from dinsar.io.measurement import check_tiff
from dinsar.io.safe import SafeContainer
from dinsar.kernels.multilook import multilook_intensity
from dinsar.sensors import sentinel1
from dinsar.settings import defaults
from dinsar.steps.common import set_threads

log = logging.getLogger(__name__)

_POL_IN_NAME = re.compile(r"-(vv|vh|hh|hv)-", re.IGNORECASE)

# Bytes of complex64 samples one quicklook block may hold; bounds memory per step.
BLOCK_BYTES = 64 * 2**20


def _polarisation_of(rel: str) -> str | None:
    m = _POL_IN_NAME.search(Path(rel).name)
    return m.group(1).upper() if m else None


def unpack(src: str | Path, dst: str | Path, keep: list[str] | tuple[str, ...] = ("VV",)) -> Path:
    """Unzip (or mirror) a SAFE product into `dst`, keeping only the `keep` polarisations.

    keep[0] is the polarisation to be processed and must be in the product.

    The files of other polarisations (measurement, annotation, calibration,
    noise) are not written, so readers never offer them. Extraction happens in
    a temporary folder beside `dst`; each kept polarisation must open as a
    product and have a complete measurement TIFF before `dst` appears.
    """
    src, dst = Path(src), Path(dst)
    keep = tuple(p.upper() for p in keep)

    def wanted(rel: str) -> bool:
        pol = _polarisation_of(rel)
        return pol is None or pol in keep

    with SafeContainer(src) as original:
        names = original.names()
        offered = {m.polarisation for m in original.measurements()}
    if not any(n.startswith("annotation/") and n.endswith(".xml") for n in names):
        raise ProductError(f"{src}: no annotation files in the product")
    if keep[0] not in offered:
        raise ProductError(
            f"{src}: no {keep[0]} measurement with annotation (has {', '.join(sorted(offered)) or 'none'})"
        )
    pruned = sorted({p for p in map(_polarisation_of, names) if p} - set(keep))
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        if src.is_dir():
            root = archive.copy_safe(src, tmp, wanted)
        elif src.is_file():
            root = archive.extract_safe(src, tmp, wanted)
        else:
            raise ProductError(f"{src}: no such SAFE directory or zip")
        with SafeContainer(root) as safe:
            images = sorted({(m.swath, m.polarisation) for m in safe.measurements()})
        found = {pol for _, pol in images}
        if keep[0] not in found:
            raise ProductError(f"{src}: {keep[0]} measurement or annotation lost in extraction")
        for swath, pol in images:  # each image of each kept polarisation: IW has one per sub-swath
            try:
                sentinel1.open_product(root, polarisation=pol, swath=swath).check()
            except ProductError as e:  # name the user's product, not our temporary copy
                raise ProductError(str(e).replace(str(root), str(src))) from None
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(root, dst)
        log.info("unpacked %s -> %s (kept %s, pruned %s)", src, dst, sorted(found), pruned or "none")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dst


def stage_hdf5(src: str | Path, dst: str | Path, polarisation: str | None = None) -> Path:
    """A COSMO-SkyMed HDF5 product (CSK or CSG) copied into the site's products/ as `dst`, once `src`
    opens as an image the chain processes (COSMO-SkyMed StripMap or Spotlight) of
    `polarisation` (None: the file's only image) and its image data reads (first and last lines).
    `dst` appears complete or not at all.

    A copy, not a link: Snakemake touches a finished job's outputs, and a hard link would change the
    user's file (its modification time) through the shared inode; a symbolic link would leave the
    chain's input to whatever the user's path later holds."""
    from dinsar.sensors import cosmo
    from dinsar.steps.common import COSMO_CHAIN_MODES

    src, dst = Path(src), Path(dst)
    try:
        product = cosmo.open_product(src, polarisation=polarisation, modes=COSMO_CHAIN_MODES)
    except ProductError as e:
        if "image (offered" not in str(e):
            raise
        raise ProductError(f"{e}; `polarisation:` in the config names the image to process") from None
    product.check()
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("staged %s -> %s (%s %s, %s, %dx%d)", src, dst, product.mission, product.mode,
             product.polarisation, *product.shape)
    return dst


def stage_terrasar(src: str | Path, dst: str | Path, polarisation: str | None = None) -> Path:
    """A TerraSAR-X / TanDEM-X SSC product folder copied into the site's products/ as `dst` (its own name),
    once `src` opens as a StripMap product (another mode is refused in one line) of `polarisation` (None:
    its only one) and its COSAR is complete. The COSAR files of other polarisations are left out, as
    `unpack` prunes a SAFE; the copy is checked again, then renamed into place: `dst` appears complete
    or not at all. A copy, not a link (see stage_hdf5), with fresh modification times."""
    from dinsar.sensors import terrasar

    src, dst = Path(src), Path(dst)
    try:
        product = terrasar.open_product(src, polarisation=polarisation)
    except ProductError as e:
        if "polarisation" not in str(e) and "image (offered" not in str(e):
            raise
        raise ProductError(f"{e}; `polarisation:` in the config names the image to process") from None
    product.check()
    keep = product.cos_path.resolve()

    def other_images(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n.lower().endswith(".cos") and (Path(folder) / n).resolve() != keep]

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        copy = tmp / src.name
        shutil.copytree(src, copy, ignore=other_images, copy_function=shutil.copyfile)
        try:
            terrasar.open_product(copy, polarisation=product.polarisation).check()
        except ProductError as e:  # name the user's product, not our temporary copy
            raise ProductError(str(e).replace(str(copy), str(src))) from None
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(copy, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("staged %s -> %s (%s %s, %s, %dx%d)", src, dst, product.mission, product.mode,
             product.polarisation, *product.shape)
    return dst


def _open_slc(path: Path, polarisation: str | None, swath: str | None = None):
    """(product or None, image shape) of a SAFE product, a COSMO-SkyMed HDF5 file, a TerraSAR-X product
    folder or a plain SLC TIFF, its image data checked. polarisation None: the config's default (an HDF5
    file's or a TerraSAR-X product's only image)."""
    from dinsar.sensors import merged, sensor_of

    if sensor_of(path) == "cosmo":  # any mode: a quicklook of a Spotlight image is fine
        from dinsar.sensors import cosmo

        product = cosmo.open_product(path, polarisation=polarisation)
        return product, product.check()
    if sensor_of(path) == "terrasar":
        from dinsar.sensors import terrasar

        product = terrasar.open_product(path, polarisation=polarisation)
        return product, product.check()
    polarisation = polarisation or defaults().polarisation
    if merged.sidecar_of(path):  # an IW date debursted and merged (dinsar.steps.tops.merge)
        product = merged.open_merged(path, polarisation)
        return product, product.check()
    if path.is_dir() or path.suffix.lower() == ".zip":
        product = sentinel1.open_product(path, polarisation=polarisation, swath=swath)
        return product, product.check()
    if not path.exists():
        raise RasterError(f"{path}: no such file")
    return None, check_tiff(str(path))


def quicklook(
    src: str | Path,
    dst_tif: str | Path,
    dst_png: str | Path | None = None,
    looks: tuple[int, int] | None = None,
    polarisation: str | None = None,
    png_max_size: int | None = None,
    threads: int = 1,
    swath: str | None = None,
    dst_json: str | Path | None = None,
) -> Path:
    """Multilooked amplitude sqrt(mean |z|²) of an SLC as a tiled float32 GeoTIFF (+ PNG, + the
    multilooked grid's sensor model as JSON).

    src: a SAFE product (dir or zip; `swath` names one of an IW product), a COSMO-SkyMed HDF5 file
    (polarisation None: its only image) or a single SLC TIFF (QuickMlView.py).
    Streams blocks of lines; memory does not grow with the scene.
    """
    src, dst_tif = Path(src), Path(dst_tif)
    d = defaults()  # what the caller left out: the config's `quicklook` section and polarisation
    naz, nrg = (int(v) for v in (looks or d.quicklook.looks))
    png_max_size = png_max_size or d.quicklook.png_max_size
    if naz < 1 or nrg < 1:
        raise RasterError(f"looks must be >= 1, got {naz} {nrg}")
    set_threads(threads)
    product, (lines, samples) = _open_slc(src, polarisation, swath)
    polarisation = product.polarisation if product is not None else (polarisation or d.polarisation)
    outs = [dst_tif] + [Path(p) for p in (dst_json, dst_png) if p]
    with (product.open() if product else raster.open_samples(src)) as reader, atomic.outputs(*outs) as tmps:
        height, width = lines // naz, samples // nrg
        if height == 0 or width == 0:
            raise RasterError(f"{src}: {lines}x{samples} image < {naz}x{nrg} looks")
        extra = {}
        if product is not None:
            extra["gcps"], extra["crs"] = raster.gcps_from_grid(product.footprint, (naz, nrg))
        profile = raster.geotiff_profile(height, width, np.float32, nodata=0.0)
        lines_per_block = max(1, BLOCK_BYTES // (8 * samples * naz)) * naz
        with rasterio.open(tmps[0], "w", **profile) as writer:
            if "gcps" in extra:
                writer.gcps = (extra["gcps"], extra["crs"])
            for first, n in raster.line_blocks(height * naz, lines_per_block):
                block = reader.read(Window(0, first, samples, n))
                amp = np.sqrt(multilook_intensity(block, naz, nrg))
                writer.write(amp, 1, window=Window(0, first // naz, width, amp.shape[0]))
        meta = {
            "source": str(src),
            "polarisation": polarisation.upper(),
            "looks": [naz, nrg],
            "shape": [height, width],
            "quantity": "amplitude sqrt(mean |z|^2)",
        }
        if product is not None:
            g = product.radar_grid
            meta.update(
                first_line_time=str(product.start_time),
                line_interval_s=g.line_interval_s * naz,
                # centre of the first multilooked sample, in two-way slant-range time
                slant_range_time_s=g.near_range_time_s + (nrg - 1) / 2 / g.range_sampling_rate_hz,
                range_sampling_rate_hz=g.range_sampling_rate_hz / nrg,
                wavelength_m=g.wavelength_m,
            )
        if dst_json:
            tmps[1].write_text(json.dumps(meta, indent=2))
        if dst_png:
            png.write_png(tmps[-1], png.robust_stretch(png.read_decimated(str(tmps[0]), png_max_size)))
    log.info("quicklook %s -> %s (%dx%d looks, %dx%d)", src, dst_tif, naz, nrg, height, width)
    return dst_tif


def simulate_pair(out: str | Path, simulate: dict, dem: str | Path | None = None, threads: int = 1) -> dict:
    """The simulated pair (dinsar.simulate.pair; `mode: IW`, dinsar.simulate.tops) into `out`; returns the
    truth summary."""
    from dinsar.errors import ConfigError
    from dinsar.simulate.pair import PairConfig, write_pair

    if simulate.get("mode") == "IW":
        if dem is not None:
            raise ConfigError("simulate.mode IW: the IW simulator makes its own DEM; drop `dem:` from the config")
        return simulate_iw_pair(out, simulate, threads)
    set_threads(threads)
    return write_pair(out, PairConfig.from_dict(simulate), dem_path=dem)


def simulate_cosmo_pair(out: str | Path, simulate: dict, generation: int = 1, threads: int = 1,
                        mode: str = "HIMAGE") -> dict:
    """A simulated COSMO-SkyMed pair or stack (dinsar.simulate.cosmo_pair; generation 1: CSK, 2: CSG; mode
    HIMAGE: StripMap, SPOTLIGHT) of the `simulate:` section's scene into `out` (master/*.h5, slave/*.h5,
    dem.tif, truth/); returns the truth summary."""
    from dinsar.simulate.cosmo_pair import write_cosmo_pair
    from dinsar.simulate.pair import PairConfig

    set_threads(threads)
    return write_cosmo_pair(out, PairConfig.from_dict(simulate), generation, mode)


def simulate_terrasar_pair(out: str | Path, simulate: dict, threads: int = 1, mode: str = "SM") -> dict:
    """A simulated TerraSAR-X SSC pair (dinsar.simulate.terrasar_pair; mode SM: StripMap, SL: SpotLight) of the
    `simulate:` section's scene into `out` (master/<product>/, slave/<product>/, dem.tif, truth/); returns the
    truth summary."""
    from dinsar.errors import ConfigError
    from dinsar.simulate.pair import PairConfig
    from dinsar.simulate.terrasar_pair import write_terrasar_pair

    cfg = PairConfig.from_dict(simulate)
    if cfg.stack:
        raise ConfigError("simulate.stack: the TerraSAR-X simulator makes a pair only")
    set_threads(threads)
    return write_terrasar_pair(out, cfg, mode)


def simulate_iw_pair(out: str | Path, simulate: dict, threads: int = 1) -> dict:
    """A simulated IW TOPS pair (dinsar.simulate.tops: two sub-swaths IW1 and IW2, three bursts each,
    size[1] samples per sub-swath; truth on one regular zero-Doppler grid) of the `simulate:` section's
    scene into `out`; returns the truth summary."""
    from dinsar.simulate.pair import PairConfig
    from dinsar.simulate.tops import IwPairConfig, write_iw_pair

    set_threads(threads)
    return write_iw_pair(out, IwPairConfig.from_pair(PairConfig.from_dict(simulate)))
