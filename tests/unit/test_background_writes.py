"""Background block writes (dinsar.io.raster.BackgroundWrites): order, and errors not lost."""

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from dinsar.io import raster


def test_blocks_land_in_place(tmp_path):
    data = np.arange(40 * 30, dtype=np.float32).reshape(40, 30)
    with rasterio.open(tmp_path / "a.tif", "w", **raster.geotiff_profile(40, 30, np.float32)) as w, \
            raster.BackgroundWrites(depth=2) as writes:
        for first, n in raster.line_blocks(40, 7):
            writes.submit(w.write, data[first:first + n].copy(), 1, window=Window(0, first, 30, n))
    with rasterio.open(tmp_path / "a.tif") as src:
        np.testing.assert_array_equal(src.read(1), data)


def test_a_failed_write_is_raised():
    def fail():
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), raster.BackgroundWrites() as writes:
        writes.submit(fail)
