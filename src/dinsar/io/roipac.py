"""ROI_PAC's raster formats, as MintPy's `load_data.py` reads them (`mintpy.load.processor = roipac`).

A ROI_PAC raster is a headerless little-endian binary file with a `.rsc` text file beside it (one
`KEY value` pair a line). Its extension says the layout (mintpy.utils.readfile.read_binary_file):
- `.unw`, `.cor`, `.hgt`: RMG, two float32 bands interleaved by line (BIL): band 1 the amplitude,
  band 2 the value MintPy reads (unwrapped phase in rad, coherence, height ...);
- `.byt`: one byte a pixel (SNAPHU's connected components; MintPy reads it as non-zero or zero).
Rows are written by blocks, at their offset, so a raster of any size streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

RMG_EXTENSIONS = (".unw", ".cor", ".hgt")
BYTE_EXTENSIONS = (".byt",)


def format_value(value) -> str:
    """A .rsc value: floats with full precision, the rest as text."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def write_rsc(path: str | Path, attributes: Mapping) -> Path:
    """`path` + `.rsc`: one `KEY value` line per attribute, keys aligned."""
    rsc = Path(f"{path}.rsc")
    width = max(len(k) for k in attributes)
    rsc.write_text("".join(f"{k:<{width}}  {format_value(v)}\n" for k, v in attributes.items()))
    return rsc


def read_rsc(path: str | Path) -> dict[str, str]:
    """The attributes of a ROI_PAC raster (its `.rsc`), values as text."""
    out = {}
    for line in Path(f"{path}.rsc").read_text().splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            out[key] = value.strip()
    return out


class Writer:
    """A ROI_PAC raster of `shape` (rows, columns) written by blocks of rows: `write(first_row, *bands)`
    with two (rows, columns) arrays for an RMG file, one for a byte file. The file is created full size
    (zeros) on opening, so blocks may come in any order."""

    def __init__(self, path: str | Path, shape: tuple[int, int]):
        self.path = Path(path)
        self.rows, self.cols = (int(v) for v in shape)
        ext = self.path.suffix.lower()
        if ext in RMG_EXTENSIONS:
            self.bands, self.dtype = 2, np.dtype("<f4")
        elif ext in BYTE_EXTENSIONS:
            self.bands, self.dtype = 1, np.dtype("u1")
        else:
            raise ValueError(f"{path}: not a ROI_PAC raster extension ({', '.join(RMG_EXTENSIONS + BYTE_EXTENSIONS)})")
        self.row_bytes = self.bands * self.cols * self.dtype.itemsize
        self._f = open(self.path, "wb")  # closed by close() or the `with` block
        self._f.truncate(self.rows * self.row_bytes)

    def write(self, first_row: int, *bands: np.ndarray) -> None:
        if len(bands) != self.bands:
            raise ValueError(f"{self.path}: {self.bands} band(s) a row, got {len(bands)}")
        n = bands[0].shape[0]
        if any(b.shape != (n, self.cols) for b in bands) or not 0 <= first_row <= self.rows - n:
            raise ValueError(f"{self.path}: rows {first_row}..{first_row + n} of shape {bands[0].shape} do not fit "
                             f"{self.rows} x {self.cols}")
        block = np.concatenate([np.asarray(b).astype(self.dtype, copy=False) for b in bands], axis=1)
        self._f.seek(first_row * self.row_bytes)
        self._f.write(np.ascontiguousarray(block).tobytes())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read(path: str | Path) -> np.ndarray:
    """A ROI_PAC raster's bands, (bands, rows, columns): what MintPy reads is the last band."""
    attrs = read_rsc(path)
    rows, cols = int(attrs.get("LENGTH") or attrs["FILE_LENGTH"]), int(attrs["WIDTH"])
    if Path(path).suffix.lower() in RMG_EXTENSIONS:
        return np.fromfile(path, dtype="<f4").reshape(rows, 2, cols).transpose(1, 0, 2)
    return np.fromfile(path, dtype="u1").reshape(1, rows, cols)
