"""Is a written GeoTIFF complete? Every block of every image file directory lies inside the file.

GDAL flushes cached blocks when a dataset closes, and rasterio does not raise when that flush
fails (disk full, `ulimit -f`): the file is left with tiles pointing past its end, which later
reads as a failure or, worse, as zeros. The check reads only the TIFF directories (a few hundred
kB for a full-size scene), not the pixels.
"""

from __future__ import annotations

import struct
from pathlib import Path

_OFFSETS = {273, 324}  # StripOffsets, TileOffsets
_COUNTS = {279, 325}  # StripByteCounts, TileByteCounts
_TYPES = {3: "H", 4: "I", 16: "Q"}  # SHORT, LONG, LONG8


def incomplete(path: str | Path) -> str | None:
    """None for a complete (Big)TIFF, else what is wrong, in a few words."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(16)
        if len(head) < 8 or head[:2] not in (b"II", b"MM"):
            return f"not a TIFF ({size} bytes)"
        end = "<" if head[:2] == b"II" else ">"
        magic = struct.unpack(end + "H", head[2:4])[0]
        if magic == 42:
            big, entry, count_fmt, inline = False, 12, "H", 4
            ifd = struct.unpack(end + "I", head[4:8])[0]
        elif magic == 43 and len(head) >= 16:
            big, entry, count_fmt, inline = True, 20, "Q", 8
            ifd = struct.unpack(end + "Q", head[8:16])[0]
        else:
            return "not a TIFF (bad magic number)"
        seen = set()
        while ifd:
            if ifd in seen or ifd + 2 > size:
                return "image directory beyond the end of the file"
            seen.add(ifd)
            f.seek(ifd)
            n = struct.unpack(end + count_fmt, f.read(struct.calcsize(count_fmt)))[0]
            raw = f.read(n * entry + (8 if big else 4))
            if len(raw) < n * entry + (8 if big else 4):
                return "image directory cut short"
            arrays = {}
            for k in range(n):
                e = raw[k * entry:(k + 1) * entry]
                if big:
                    tag, typ, count = struct.unpack(end + "HHQ", e[:12])
                    value = e[12:20]
                else:
                    tag, typ, count = struct.unpack(end + "HHI", e[:8])
                    value = e[8:12]
                if tag not in _OFFSETS | _COUNTS or typ not in _TYPES:
                    continue
                fmt = end + _TYPES[typ] * count
                nbytes = struct.calcsize(fmt)
                if nbytes <= inline:
                    data = value[:nbytes]
                else:
                    at = struct.unpack(end + ("Q" if big else "I"), value)[0]
                    if at + nbytes > size:
                        return "block table beyond the end of the file"
                    f.seek(at)
                    data = f.read(nbytes)
                arrays["offsets" if tag in _OFFSETS else "counts"] = struct.unpack(fmt, data)
            offsets, counts = arrays.get("offsets", ()), arrays.get("counts", ())
            if len(offsets) != len(counts):
                return "block tables of different lengths"
            for k, (o, c) in enumerate(zip(offsets, counts, strict=True)):
                if o == 0 or c == 0:
                    return f"block {k} never written"
                if o + c > size:
                    return f"block {k} ends at byte {o + c}, beyond the file's {size}"
            ifd = struct.unpack(end + ("Q" if big else "I"), raw[n * entry:])[0]
    return None
