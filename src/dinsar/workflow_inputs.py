"""What the Snakefile needs from a validated config: product names, their sources, targets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dinsar.errors import ConfigError
from dinsar.simulate.speckle import product_name


def _stem(path: str) -> str:
    name = Path(path.rstrip("/")).name
    for suffix in (".zip", ".SAFE"):
        name = name.removesuffix(suffix)
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ConfigError(f"products: {path!r} is not a SAFE product name (letters, digits, _)")
    return name


@dataclass
class Inputs:
    site: str
    results: str
    polarisation: str
    keep_polarisations: list[str]
    sources: dict[str, str]  # product name -> SAFE zip/dir path
    quicklook_looks: tuple[int, int]

    @classmethod
    def from_config(cls, config: dict) -> Inputs:
        site, results = config["site"], config["results"].rstrip("/")
        pol = config["polarisation"]
        keep = [pol] + [p for p in config.get("keep_polarisations", []) if p != pol]
        if "products" in config:
            sources = {_stem(p): p for p in config["products"].values()}
        elif "simulate" in config:
            sim = config["simulate"]
            name = product_name(sim["start_time"], tuple(sim["size"]))
            sources = {name: f"{results}/{site}/input/{name}.zip"}
        else:
            raise ConfigError(
                "products: this version has no catalogue search/download yet; name local SAFE "
                "products under `products:` (master, slave)"
            )
        looks = tuple(config["quicklook"]["looks"])
        return cls(site, results, pol, keep, sources, looks)

    def source(self, product: str) -> str:
        try:
            return self.sources[product]
        except KeyError:
            raise ConfigError(f"products: no product named {product}") from None

    def targets(self) -> list[str]:
        pol = self.polarisation.lower()
        return [
            f"{self.results}/{self.site}/quicklook/{name}_{pol}_ml.{ext}"
            for name in self.sources
            for ext in ("tif", "png")
        ]
