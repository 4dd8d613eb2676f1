"""manifest.safe: product-level facts (mission, mode, orbits, pass, polarisations)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dinsar.errors import ProductError
from dinsar.io import xml

NS = {
    "safe": "http://www.esa.int/safe/sentinel-1.0",
    "s1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1",
    "s1sarl1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1",
}


@dataclass(frozen=True)
class Manifest:
    mission: str  # S1A
    mode: str  # SM, IW, EW, WV
    swaths: tuple[str, ...]
    polarisations: tuple[str, ...]  # as acquired (pruning does not edit the manifest)
    product_type: str
    pass_direction: str
    absolute_orbit: int
    relative_orbit: int
    start_time: np.datetime64
    stop_time: np.datetime64


def _find(root, path: str, source: str) -> str:
    node = root.find(path, NS)
    if node is None or not (node.text or "").strip():
        raise ProductError(f"{source}: missing {path.split('/')[-1]}")
    return node.text.strip()


def parse_manifest(data: bytes, source: str) -> Manifest:
    root = xml.parse(data, source)
    meta = ".//metadataObject"
    platform = root.find(f"{meta}[@ID='platform']//safe:platform", NS)
    if platform is None:
        raise ProductError(f"{source}: no platform metadata (is this a Sentinel-1 manifest.safe?)")
    mission = "S1" + _find(platform, "safe:number", source)
    mode = _find(platform, ".//s1sarl1:instrumentMode/s1sarl1:mode", source)
    swaths = tuple(
        s.text.strip() for s in platform.findall(".//s1sarl1:instrumentMode/s1sarl1:swath", NS)
    )
    general = f"{meta}[@ID='generalProductInformation']"
    pols = tuple(
        p.text.strip()
        for p in root.findall(f"{general}//s1sarl1:transmitterReceiverPolarisation", NS)
    )
    orbit = f"{meta}[@ID='measurementOrbitReference']"
    period = f"{meta}[@ID='acquisitionPeriod']"
    return Manifest(
        mission=mission,
        mode=mode,
        swaths=swaths,
        polarisations=pols,
        product_type=_find(root, f"{general}//s1sarl1:productType", source),
        pass_direction=_find(root, f"{orbit}//s1:pass", source).capitalize(),
        absolute_orbit=int(_find(root, f"{orbit}//safe:orbitNumber[@type='start']", source)),
        relative_orbit=int(_find(root, f"{orbit}//safe:relativeOrbitNumber[@type='start']", source)),
        start_time=xml.utc(_find(root, f"{period}//safe:startTime", source), source),
        stop_time=xml.utc(_find(root, f"{period}//safe:stopTime", source), source),
    )
