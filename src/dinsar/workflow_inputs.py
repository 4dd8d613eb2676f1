"""What the Snakefile needs from a validated config: product names, their sources, targets."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from dinsar.errors import ConfigError
from dinsar.simulate.pair import PairConfig, pair_names


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
    master: str | None = ""
    dem: str | None = None  # DEM path (config, or the simulated pair's)
    slave: str | None = None
    searched: bool = False  # products come from the `search` checkpoint
    orbits: str | None = None  # folder of EOF files
    simulated: bool = False  # the products are the config's simulated pair (truth available)

    def pair_dir(self) -> str:
        return f"{self.results}/{self.site}/input/pair"

    @classmethod
    def from_config(cls, config: dict) -> Inputs:
        site, results = config["site"], config["results"].rstrip("/")
        pol = config["polarisation"]
        keep = [pol] + [p for p in config.get("keep_polarisations", []) if p != pol]
        dem = config.get("dem")
        orbits = config.get("orbits")
        if "products" in config:
            sources = {_stem(p): p for p in config["products"].values()}
            master = _stem(config["products"]["master"])
            slave = _stem(config["products"]["slave"]) if "slave" in config["products"] else None
        elif "simulate" in config:
            sim = PairConfig.from_dict(config["simulate"])
            master, slave = pair_names(sim)
            ext = "zip" if sim.as_zip else "SAFE"
            pair = f"{results}/{site}/input/pair"
            sources = {master: f"{pair}/master/{master}.{ext}", slave: f"{pair}/slave/{slave}.{ext}"}
            dem = f"{pair}/dem.tif"
            orbits = orbits or f"{pair}/orbits"
        elif "search" in config:
            sources, master, slave = {}, None, None  # known once the `search` checkpoint has run
        else:
            raise ConfigError("products: required key missing (or `simulate`, or `search`)")
        looks = tuple(config["quicklook"]["looks"])
        return cls(site, results, pol, keep, sources, looks, master, dem, slave,
                   searched="search" in config and "products" not in config and "simulate" not in config,
                   orbits=orbits, simulated="simulate" in config and "products" not in config)

    def search_json(self) -> str:
        return f"{self.results}/{self.site}/search.json"

    def with_search(self, search_json: str) -> Inputs:
        """These inputs completed by the search results: the chosen master and slave, downloaded zips."""
        chosen = json.loads(Path(search_json).read_text())
        names = [chosen["master"]] + ([chosen["slave"]] if chosen.get("slave") else [])
        sources = {n: f"{self.results}/{self.site}/downloads/{n}.zip" for n in names}
        return replace(self, sources=sources, master=chosen["master"], slave=chosen.get("slave"), searched=False)

    def source(self, product: str) -> str:
        try:
            return self.sources[product]
        except KeyError:
            raise ConfigError(f"products: no product named {product}") from None

    def geometry_dir(self) -> str:
        return f"{self.results}/{self.site}/geometry/{self.master}"

    @property
    def pair(self) -> str | None:
        return f"{self.master}_{self.slave}" if self.slave else None

    def pair_products(self, pair: str) -> tuple[str, str]:
        if pair != self.pair:
            raise ConfigError(f"no pair named {pair}")
        return self.master, self.slave

    def pair_dir_results(self) -> str:
        return f"{self.results}/{self.site}/pairs/{self.pair}"

    def targets(self) -> list[str]:
        pol = self.polarisation.lower()
        out = [
            f"{self.results}/{self.site}/quicklook/{name}_{pol}_ml.{ext}"
            for name in self.sources
            for ext in ("tif", "png")
        ]
        out.append(f"{self.geometry_dir()}/doppler0.json")
        if self.dem:
            out += [f"{self.geometry_dir()}/{name}" for name in GEOMETRY_OUTPUTS]
            if self.slave:
                out += [f"{self.pair_dir_results()}/{name}" for name in PAIR_OUTPUTS]
                if self.simulated:
                    out.append(f"{self.pair_dir_results()}/truth_comparison.json")
        return out


PAIR_OUTPUTS = ("grid.tif", "grid.json", "slave_coreg.tif", "interferogram_ml.tif", "interferogram_phase.png",
                "coherence.png", "filtered.tif", "filtered_phase.png", "unwrapped.tif", "los_displacement.tif",
                "los_enu.tif", "coherence_geo.tif", "phase_geo.tif", "unwrapped.png", "los_displacement.png")
GEOMETRY_OUTPUTS = ("dem_projection.tif", "height.tif", "xyz.tif", "simulated_amplitude.tif",
                    "shadow.tif", "layover.tif", "simulated_amplitude.png")
