"""What the Snakefile needs from a validated config: product names, their sources, targets."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from dinsar.errors import ConfigError
from dinsar.layout import Layout, acquisition_labels, pair_name
from dinsar.simulate.config import PairConfig
from dinsar.simulate.naming import product_names


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
    slaves: list[str] = field(default_factory=list)  # one for a pair, several for a stack
    searched: bool = False  # products come from the `search` checkpoint
    orbits: str | None = None  # folder of EOF files
    simulated: bool = False  # the products are the config's simulated pair (truth available)
    small_baseline: dict | None = None  # stack: {max_days, max_perp_m} for slave-slave pairs
    extra_pairs: list[tuple[str, str]] = field(default_factory=list)  # slave-slave pairs (after `baselines`)
    stack: bool = False  # a stack (baselines, slave-slave pairs) rather than one pair
    fetch_dem: bool = False  # GLO-30 fetched for the master's footprint (rule fetch_dem)
    fetch_orbits: bool = False  # each product's orbit fetched from CDSE (rule fetch_orbit)
    dem_vertical: str | None = None  # vertical datum of a DEM whose CRS has none

    @property
    def layout(self) -> Layout:
        return Layout(self.results, self.site)

    def pair_dir(self) -> str:
        return self.layout.input_pair()

    @classmethod
    def from_config(cls, config: dict) -> Inputs:
        site, results = config["site"], config["results"].rstrip("/")
        pol = config["polarisation"]
        keep = [pol] + [p for p in config.get("keep_polarisations", []) if p != pol]
        dem = config.get("dem")
        orbits = config.get("orbits")
        stack = "stack" in config
        if "products" in config:
            prods = config["products"]
            slave_paths = ([prods["slave"]] if "slave" in prods else []) + list(prods.get("slaves", []))
            sources = {_stem(p): p for p in [prods["master"], *slave_paths]}
            master = _stem(prods["master"])
            slaves = [_stem(p) for p in slave_paths]
            stack = stack or len(slaves) > 1
        elif "simulate" in config:
            sim = PairConfig.from_dict(config["simulate"])
            master, slaves = product_names(sim)
            ext = "zip" if sim.as_zip else "SAFE"
            pair = Layout(results, site).input_pair()
            sources = {master: f"{pair}/master/{master}.{ext}", **{s: f"{pair}/slave/{s}.{ext}" for s in slaves}}
            dem = f"{pair}/dem.tif"
            orbits = orbits or f"{pair}/orbits"
            stack = stack or bool(sim.stack)
        elif "search" in config:
            sources, master, slaves = {}, None, []  # known once the `search` checkpoint has run
        else:
            raise ConfigError("products: required key missing (or `simulate`, or `search`)")
        if len(set(slaves)) != len(slaves) or master in slaves:
            raise ConfigError("products: a product is named twice (master and slaves must differ)")
        looks = tuple(config["quicklook"]["looks"])
        fetch = config.get("fetch") or {}
        fetch_dem = bool(fetch.get("dem")) and not dem
        fetch_orbits = bool(fetch.get("orbits")) and not orbits
        if fetch_dem:
            dem = Layout(results, site).fetched_dem()
        if fetch_orbits:
            orbits = Layout(results, site).fetched_orbits()
        vertical = config.get("dem_vertical") or ("egm2008" if fetch_dem else None)  # GLO-30: EGM2008 heights
        return cls(site, results, pol, keep, sources, looks, master, dem, slaves,
                   searched="search" in config and "products" not in config and "simulate" not in config,
                   orbits=orbits, simulated="simulate" in config and "products" not in config,
                   small_baseline=(config.get("stack") or {}).get("small_baseline"), stack=stack,
                   fetch_dem=fetch_dem, fetch_orbits=fetch_orbits, dem_vertical=vertical)

    def search_json(self) -> str:
        return self.layout.search_json()

    def with_search(self, search_json: str) -> Inputs:
        """These inputs completed by the search results: the chosen master and slave(s), downloaded zips."""
        chosen = json.loads(Path(search_json).read_text())
        slaves = chosen.get("slaves") or ([chosen["slave"]] if chosen.get("slave") else [])
        names = [chosen["master"], *slaves]
        sources = {n: self.layout.download(n) for n in names}
        return replace(self, sources=sources, master=chosen["master"], slaves=slaves, searched=False,
                       stack=self.stack or len(slaves) > 1)

    def baselines_json(self) -> str:
        return self.layout.stack("baselines.json")

    def with_baselines(self, baselines_json: str) -> Inputs:
        """These inputs with the slave-slave pairs whose baselines are within the small-baseline limits."""
        if not self.small_baseline:
            return self
        chosen = json.loads(Path(baselines_json).read_text())["small_baseline_pairs"]
        return replace(self, extra_pairs=[tuple(p) for p in chosen])

    def source(self, product: str) -> str:
        try:
            return self.sources[product]
        except KeyError:
            raise ConfigError(f"products: no product named {product}") from None

    def geometry_dir(self) -> str:
        return self.layout.geometry_dir(self.master)

    @property
    def slave(self) -> str | None:
        return self.slaves[0] if self.slaves else None

    def labels(self) -> dict[str, str]:
        """Each product's short label in pair names (its date; date and time where two share a date)."""
        try:
            return acquisition_labels(list(self.sources))
        except ValueError as e:
            raise ConfigError(f"products: {e}") from None

    def pair_name(self, reference: str, secondary: str) -> str:
        labels = self.labels()
        return pair_name(labels[reference], labels[secondary])

    @property
    def pair(self) -> str | None:
        """The pair's name (the two dates) when there is exactly one slave."""
        return self.pair_name(self.master, self.slave) if len(self.slaves) == 1 else None

    def pairs(self) -> dict[str, tuple[str, str]]:
        """Every interferometric pair: name -> (reference, secondary). Master-slave pairs first."""
        labels = self.labels()  # once: every rule's input function asks for the pairs
        out = {pair_name(labels[self.master], labels[s]): (self.master, s) for s in self.slaves}
        out.update({pair_name(labels[a], labels[b]): (a, b) for a, b in self.extra_pairs})
        return out

    def pair_products(self, pair: str) -> tuple[str, str]:
        try:
            return self.pairs()[pair]
        except KeyError:
            raise ConfigError(f"no pair named {pair}") from None

    def pair_dir_results(self, pair: str | None = None) -> str:
        return self.layout.pair_dir(pair or self.pair)

    def coregistered(self, product: str) -> str:
        """The product resampled onto the master grid (the master-product pair's output)."""
        return self.layout.pair_file("slave_coreg.tif", self.pair_name(self.master, product))

    def truth_dir(self, product: str) -> str:
        """The simulated truth of master -> product (a pair's truth/, a stack's truth/<product>/)."""
        return f"{self.pair_dir()}/truth" + (f"/{product}" if self.stack else "")

    def targets(self) -> list[str]:
        pol = self.polarisation.lower()
        out = [self.layout.quicklook(ext, name, pol) for name in self.sources for ext in ("tif", "png", "json")]
        out.append(self.layout.geometry("doppler0.json", self.master))
        if self.stack:
            out += [self.baselines_json(), self.baselines_json().replace(".json", ".png")]
        if self.dem:
            out += [self.layout.geometry(name, self.master) for name in GEOMETRY_OUTPUTS]
            for name, (ref, _) in self.pairs().items():
                outputs = PAIR_OUTPUTS if ref == self.master else IFG_OUTPUTS
                out += [self.layout.pair_file(o, name) for o in outputs]
                if self.simulated:
                    out.append(self.layout.pair_file("truth_comparison.json", name))
        return out


IFG_OUTPUTS = ("pair.json", "interferogram_ml.tif", "interferogram_phase.png", "coherence.png", "filtered.tif",
               "filtered_phase.png", "unwrapped.tif", "los_displacement.tif", "los_enu.tif", "coherence_geo.tif",
               "phase_geo.tif", "unwrapped.png", "los_displacement.png")
PAIR_OUTPUTS = ("grid.tif", "grid.json", "offsets.png", "slave_coreg.tif", *IFG_OUTPUTS)
GEOMETRY_OUTPUTS = ("dem_projection.tif", "height.tif", "xyz.tif", "radar_grid.json", "simulated_amplitude.tif",
                    "shadow.tif", "layover.tif", "simulated_amplitude.png")
