"""What the Snakefile needs from a validated config: product names, their sources, targets."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from dinsar.errors import ConfigError
from dinsar.layout import Layout, acquisition_labels, pair_name
from dinsar.sensors import sensor_of
from dinsar.simulate.config import PairConfig
from dinsar.simulate.naming import product_names


def _stem(path: str) -> str:
    """A product's name: a SAFE's without .SAFE / .zip, an HDF5 file's stem (COSMO-SkyMed), a TerraSAR-X
    product folder's name."""
    name = Path(path.rstrip("/")).name
    if sensor_of(path) == "cosmo":
        name = Path(name).stem
    for suffix in (".zip", ".SAFE"):
        name = name.removesuffix(suffix)
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ConfigError(f"products: {path!r} is not a product name (letters, digits, _)")
    return name


def _truth_beside(master: str, slaves: list[str]) -> str | None:
    """The truth of a pair written by `dinsar simulate` (DIR/master/, DIR/slave/, DIR/truth/truth.json
    naming these products), else None."""
    top = Path(master).resolve().parent.parent
    truth = top / "truth"
    if Path(master).resolve().parent.name != "master" or not (truth / "truth.json").is_file() \
            or any(Path(s).resolve().parent != top / "slave" for s in slaves):
        return None
    try:
        named = json.loads((truth / "truth.json").read_text())
        truth_master = named.get("master")
        truth_slaves = {str(n) for n in [named.get("slave"), *(named.get("slaves") or [])] if n}
    except (OSError, ValueError, TypeError, AttributeError):  # not a simulator's truth.json
        return None
    names = [Path(p.rstrip("/")).name for p in (master, *slaves)]
    return str(truth) if truth_master == names[0] and set(names[1:]) <= truth_slaves else None


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
    iw: bool = False  # IW TOPS products: merged (rule tops_merge) before the chain, coregistered with ESD
    sensor: str = "sentinel1"  # dinsar.sensors.sensor_of: "sentinel1" (SAFE), "cosmo" (HDF5), "terrasar" (folder)
    truth: str | None = None  # the truth/ folder to compare with: a simulated pair's, or one beside local products

    def staged(self, product: str = "{product}") -> str:
        """A product as the site holds it: its SAFE unpacked, its HDF5 file (COSMO-SkyMed) or its product
        folder (TerraSAR-X) copied."""
        if self.sensor == "cosmo":
            return self.layout.hdf5_product(product)
        return self.layout.terrasar_product(product) if self.sensor == "terrasar" else self.layout.product(product)

    def chain_product(self, product: str = "{product}") -> str:
        """What the chain's steps open for a product: the staged product, or for IW its merged date."""
        return self.layout.merged(product) if self.iw else self.staged(product)

    def chain_samples(self, product: str) -> list[str]:
        """The files a step reading the product's samples needs besides chain_product: an IW master's merged
        SLC (a slave's samples come from its SAFE, burst by burst)."""
        return [self.layout.merged_slc(product)] if self.iw and product == self.master else []

    def quicklook_source(self, product: str) -> str:
        """What the quicklook views: the product (SAFE), or for IW the merged master and each slave as
        coregistered onto it (no slave is merged on its own grid)."""
        if not self.iw:
            return self.chain_product(product)
        return self.layout.merged(product) if product == self.master else self.coregistered(product)

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
        iw = False
        sensor, truth = "sentinel1", None
        if "products" in config:
            prods = config["products"]
            slave_paths = ([prods["slave"]] if "slave" in prods else []) + list(prods.get("slaves", []))
            sensor = sensor_of(prods["master"])  # one for all (dinsar.config checked)
            sources = {_stem(p): p for p in [prods["master"], *slave_paths]}
            master = _stem(prods["master"])
            slaves = [_stem(p) for p in slave_paths]
            stack = stack or len(slaves) > 1
            iw = sensor == "sentinel1" and "_IW_" in master  # S1 names: MMM_BB_TTTR_LFPP_..., BB the beam mode
            truth = _truth_beside(prods["master"], slave_paths) if slave_paths else None
        elif "simulate" in config and config["simulate"].get("mode") == "IW":
            from dinsar.simulate.tops_naming import iw_product_names

            master, slave = iw_product_names(config["simulate"])
            slaves = [slave]
            pair = Layout(results, site).input_pair()
            sources = {master: f"{pair}/master/{master}.SAFE", slave: f"{pair}/slave/{slave}.SAFE"}
            dem = f"{pair}/dem.tif"
            orbits = orbits or f"{pair}/orbits"
            iw = True
            truth = f"{pair}/truth"
        elif "simulate" in config:
            sim = PairConfig.from_dict(config["simulate"])
            master, slaves = product_names(sim)
            ext = "zip" if sim.as_zip else "SAFE"
            pair = Layout(results, site).input_pair()
            sources = {master: f"{pair}/master/{master}.{ext}", **{s: f"{pair}/slave/{s}.{ext}" for s in slaves}}
            dem = f"{pair}/dem.tif"
            orbits = orbits or f"{pair}/orbits"
            stack = stack or bool(sim.stack)
            truth = f"{pair}/truth"
        elif "search" in config:
            sources, master, slaves = {}, None, []  # known once the `search` checkpoint has run
            iw = config["search"].get("sensor_mode") == "IW"
        else:
            raise ConfigError("products: required key missing (or `simulate`, or `search`)")
        if len(set(slaves)) != len(slaves) or master in slaves:
            raise ConfigError("products: a product is named twice (master and slaves must differ)")
        looks = tuple(config["quicklook"]["looks"])
        fetch = config.get("fetch") or {}
        fetch_dem = bool(fetch.get("dem")) and not dem
        fetch_orbits = bool(fetch.get("orbits")) and not orbits and sensor == "sentinel1"  # no CSK/TSX orbit files
        if fetch_dem:
            dem = Layout(results, site).fetched_dem()
        if fetch_orbits:
            orbits = Layout(results, site).fetched_orbits()
        vertical = config.get("dem_vertical") or ("egm2008" if fetch_dem else None)  # GLO-30: EGM2008 heights
        return cls(site, results, pol, keep, sources, looks, master, dem, slaves,
                   searched="search" in config and "products" not in config and "simulate" not in config,
                   orbits=orbits, simulated="simulate" in config and "products" not in config,
                   small_baseline=(config.get("stack") or {}).get("small_baseline"), stack=stack,
                   fetch_dem=fetch_dem, fetch_orbits=fetch_orbits, dem_vertical=vertical, iw=iw, sensor=sensor,
                   truth=truth)

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
        return f"{self.truth or self.pair_dir() + '/truth'}" + (f"/{product}" if self.stack else "")

    def targets(self) -> list[str]:
        pol = self.polarisation.lower()
        out = [self.layout.quicklook(ext, name, pol) for name in self.sources for ext in ("tif", "png", "json")]
        if not self.iw:  # Doppler0 of a burst-merged image would average the bursts' swept centroids
            out.append(self.layout.geometry("doppler0.json", self.master))
        if self.stack:
            out += [self.baselines_json(), self.baselines_json().replace(".json", ".png")]
        if self.dem:
            out += [self.layout.geometry(name, self.master) for name in GEOMETRY_OUTPUTS]
            for name, (ref, _) in self.pairs().items():
                outputs = (IW_PAIR_OUTPUTS if self.iw else PAIR_OUTPUTS) if ref == self.master else IFG_OUTPUTS
                out += [self.layout.pair_file(o, name) for o in outputs]
                if self.truth:
                    out.append(self.layout.pair_file("truth_comparison.json", name))
            if self.pairs():
                out += [self.layout.mintpy(name) for name in MINTPY_OUTPUTS]
        return out


IFG_OUTPUTS = ("pair.json", "interferogram_ml.tif", "interferogram_phase.png", "coherence.png", "filtered.tif",
               "filtered_phase.png", "unwrapped.tif", "los_displacement.tif", "los_enu.tif", "coherence_geo.tif",
               "phase_geo.tif", "unwrapped.png", "los_displacement.png")
PAIR_OUTPUTS = ("grid.tif", "grid.json", "offsets.png", "slave_coreg.tif", *IFG_OUTPUTS)
IW_PAIR_OUTPUTS = ("esd.json", "slave_coreg.tif", *IFG_OUTPUTS)
MINTPY_OUTPUTS = ("smallbaselineApp.cfg", "interferograms", "geometry")  # dinsar.steps.mintpy, for a pair or a stack
GEOMETRY_OUTPUTS = ("dem_projection.tif", "height.tif", "xyz.tif", "radar_grid.json", "simulated_amplitude.tif",
                    "shadow.tif", "layover.tif", "simulated_amplitude.png")
