"""Integrity checks of a measurement TIFF before anything relies on it."""

from __future__ import annotations

import os
import warnings

import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from dinsar.errors import ProductError


def check_tiff(path: str) -> tuple[int, int]:
    """Open `path`, check that its last block lies inside the file, return (lines, samples).

    A truncated TIFF has its last strip or tile pointing past the end of the
    file. Sparse TIFFs (blocks with offset 0, as in test products) are valid.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                shape = (src.height, src.width)
                rows, cols = src.block_shapes[0]
                last = f"{(src.width - 1) // cols}_{(src.height - 1) // rows}"
                offset = src.get_tag_item(f"BLOCK_OFFSET_{last}", "TIFF", bidx=1)
                size = src.get_tag_item(f"BLOCK_SIZE_{last}", "TIFF", bidx=1)
                if offset and size and not path.startswith("/vsi"):
                    have = os.path.getsize(path)
                    if int(offset) + int(size) > have:
                        raise ProductError(
                            f"{path}: truncated measurement TIFF ({have} bytes, last block ends at "
                            f"{int(offset) + int(size)})"
                        )
                src.read(1, window=Window(0, src.height - 1, src.width, 1))
    except rasterio.errors.RasterioError as e:
        raise ProductError(f"{path}: unreadable measurement TIFF ({str(e).splitlines()[0]})") from None
    return shape
