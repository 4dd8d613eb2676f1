"""The multilooked radar grid: its looks, both shapes, the pixel convention and its equivalent looks.

Multilooked pixel j averages full-resolution samples j·n .. j·n + n - 1 (n looks along that axis), so
its centre is at full-resolution j·n + (n - 1)/2 (pixel centres at integers, ../shared/DESIGN.md).
The interferogram step writes this grid into interferogram_ml.tif's tags; every later step of the
multilooked grid (filter/unwrap, geocode, the truth comparison) takes it from there, so the looks
are stated once, by the product that was multilooked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dinsar.errors import DinsarError

TAG_LOOKS = "ML_LOOKS"  # "azimuth range"
TAG_FULL_SHAPE = "ML_FULL_SHAPE"  # full-resolution "lines samples"
TAG_SHAPE = "ML_SHAPE"  # multilooked "lines samples" (a check of the raster it is found on)
TAG_ENL = "ML_ENL"  # equivalent number of looks


def equivalent_looks(looks: tuple[int, int], azimuth_bandwidth_fraction: float,
                     range_bandwidth_fraction: float) -> float:
    """naz·nrg samples of a spectrum processed to a fraction B/fs of the sampling rate in each axis are
    correlated: they count as naz·nrg·(B_az/fs_az)·(B_rg/fs_rg) independent looks."""
    return float(looks[0] * looks[1] * azimuth_bandwidth_fraction * range_bandwidth_fraction)


@dataclass(frozen=True)
class MultilookGrid:
    """A grid of `looks` (azimuth, range) blocks over a full-resolution image of `full_shape`.

    full_shape may be None where only the pixel convention is needed (GCPs of a quicklook); enl is the
    equivalent number of looks (statistics of the averaged samples), None where not known.
    """

    looks: tuple[int, int]
    full_shape: tuple[int, int] | None
    enl: float | None = None

    def __post_init__(self):
        looks = tuple(int(v) for v in self.looks)
        if len(looks) != 2 or min(looks) < 1:
            raise ValueError(f"multilook grid: looks must be two integers >= 1, got {self.looks}")
        object.__setattr__(self, "looks", looks)
        if self.full_shape is not None:
            object.__setattr__(self, "full_shape", tuple(int(v) for v in self.full_shape))

    @classmethod
    def of_product(cls, product, looks: tuple[int, int], full_shape: tuple[int, int]) -> MultilookGrid:
        """The grid of `looks` over a product's image, with the ENL of the product's processed bandwidths."""
        enl = equivalent_looks(looks, product.azimuth_bandwidth_fraction, product.range_bandwidth_fraction)
        return cls(looks, full_shape, enl)

    @property
    def shape(self) -> tuple[int, int]:
        """(lines, samples) of the multilooked raster: whole blocks only, a partial last block is dropped."""
        if self.full_shape is None:
            raise ValueError("multilook grid without a full-resolution shape has no multilooked shape")
        return self.full_shape[0] // self.looks[0], self.full_shape[1] // self.looks[1]

    def to_full(self, line, col):
        """Full-resolution (line, col) of multilooked (line, col): the centre of the block's samples."""
        naz, nrg = self.looks
        return (np.asarray(line, dtype=np.float64) * naz + (naz - 1) / 2,
                np.asarray(col, dtype=np.float64) * nrg + (nrg - 1) / 2)

    def to_multilooked(self, line, col):
        """Multilooked (fractional) (line, col) of full-resolution (line, col): the inverse of to_full."""
        naz, nrg = self.looks
        return ((np.asarray(line, dtype=np.float64) - (naz - 1) / 2) / naz,
                (np.asarray(col, dtype=np.float64) - (nrg - 1) / 2) / nrg)

    def mean(self, full: np.ndarray) -> np.ndarray:
        """A full-resolution real array averaged over each multilooked pixel's samples (NaN ignored)."""
        ny, nx = self.shape
        naz, nrg = self.looks
        return np.nanmean(full[:ny * naz, :nx * nrg].reshape(ny, naz, nx, nrg), axis=(1, 3))

    def tags(self) -> dict[str, str]:
        """GeoTIFF tags of the grid; from_tags reads them back exactly (the ENL as repr)."""
        out = {TAG_LOOKS: f"{self.looks[0]} {self.looks[1]}"}
        if self.full_shape is not None:
            out[TAG_FULL_SHAPE] = f"{self.full_shape[0]} {self.full_shape[1]}"
            out[TAG_SHAPE] = f"{self.shape[0]} {self.shape[1]}"
        if self.enl is not None:
            out[TAG_ENL] = repr(float(self.enl))
        return out

    @classmethod
    def from_tags(cls, tags: dict, source: str = "raster") -> MultilookGrid:
        if TAG_LOOKS not in tags:
            raise DinsarError(f"{source}: no multilook grid in its tags ({TAG_LOOKS}); it was not written by "
                              "the interferogram step of this version (run that step again)")
        try:
            looks = tuple(int(v) for v in tags[TAG_LOOKS].split())
            full = tuple(int(v) for v in tags[TAG_FULL_SHAPE].split()) if TAG_FULL_SHAPE in tags else None
            enl = float(tags[TAG_ENL]) if TAG_ENL in tags else None
            grid = cls(looks, full, enl)
        except ValueError as e:
            raise DinsarError(f"{source}: bad multilook grid tags ({e})") from None
        if TAG_SHAPE in tags and full is not None and tags[TAG_SHAPE] != f"{grid.shape[0]} {grid.shape[1]}":
            raise DinsarError(f"{source}: multilook grid tags disagree: {TAG_SHAPE} {tags[TAG_SHAPE]} is not "
                              f"{TAG_FULL_SHAPE} {tags[TAG_FULL_SHAPE]} over {TAG_LOOKS} {tags[TAG_LOOKS]}")
        return grid

    @classmethod
    def from_raster(cls, path) -> MultilookGrid:
        """The grid a multilooked raster records; refused if the raster is not of that grid's shape."""
        import rasterio

        with rasterio.open(path) as src:
            tags, shape = src.tags(), (src.height, src.width)
        grid = cls.from_tags(tags, str(path))
        if grid.full_shape is not None and grid.shape != shape:
            raise DinsarError(f"{path}: {shape[0]}x{shape[1]} pixels, but its multilook grid says "
                              f"{grid.shape[0]}x{grid.shape[1]}")
        return grid
