"""Where a site's files are: the one owner of the `results/<site>/...`, `logs/` and `benchmarks/` paths.

Rules, `Inputs.targets()`, the CLI and tests ask a `Layout`; nobody else spells a path. Each method
takes the wildcard values and defaults them to the wildcard itself, so `layout.pair_file("grid.tif")`
is the rule's pattern (`.../pairs/{pair}/grid.tif`) and `layout.pair_file("grid.tif", "20160818_20160830")`
a concrete path. Standard library only: the Snakefile imports it for every job.

Pair folders have a short readable name from the two acquisition dates (`20160818_20160830`),
with the time of day added only to a date two acquisitions of the site share; `pair.json` in the
folder names the two products.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

_START = re.compile(r"_(\d{8})T(\d{6})_")  # Sentinel-1: ..._20160818T142205_20160818T142230_...
_START_CSK = re.compile(r"_(\d{8})(\d{6})_\d{14}(?:_|$)")  # COSMO-SkyMed: ..._20160818050327_20160818050334


def acquisition_start(product: str) -> tuple[str, str]:
    """(YYYYMMDD, HHMMSS) of a product from its name: Sentinel-1 SAFE names and the simulator's
    (`_YYYYMMDDTHHMMSS_`, which TerraSAR-X product folders share), COSMO-SkyMed CSK and CSG file names
    (start and stop, `_YYYYMMDDHHMMSS_YYYYMMDDHHMMSS`)."""
    found = _START.search(product) or _START_CSK.search(product)
    if not found:
        raise ValueError(f"{product}: no acquisition start (_YYYYMMDDTHHMMSS_, or COSMO-SkyMed's "
                         "_YYYYMMDDHHMMSS_YYYYMMDDHHMMSS) in the product name")
    return found.group(1), found.group(2)


def acquisition_labels(products: list[str]) -> dict[str, str]:
    """Each product's short label: its date, or date + time where two products share the date."""
    starts = {p: acquisition_start(p) for p in products}
    per_day = Counter(day for day, _ in set(starts.values()))
    labels = {p: day if per_day[day] == 1 else f"{day}T{time}" for p, (day, time) in starts.items()}
    if len(set(labels.values())) != len(labels):
        same = sorted(p for p in labels if list(labels.values()).count(labels[p]) > 1)
        raise ValueError(f"products {', '.join(same)} start at the same second: cannot tell them apart")
    return labels


def pair_name(reference_label: str, secondary_label: str) -> str:
    return f"{reference_label}_{secondary_label}"


def site_of(path) -> str | None:
    """The site of a file in a pair folder (`<results>/<site>/pairs/<pair>/<file>`), else None."""
    parts = PurePath(path).parts
    return parts[-4] if len(parts) >= 4 and parts[-3] == "pairs" else None


@dataclass(frozen=True)
class Layout:
    results: str  # the results folder (config `results`), without trailing slash
    site: str

    @property
    def site_dir(self) -> str:
        return f"{self.results}/{self.site}"

    # inputs of the chain
    def input_pair(self) -> str:
        """Where a simulated pair (or stack) is written: master/, slave/, orbits/, dem.tif, truth/."""
        return f"{self.site_dir}/input/pair"

    def search_json(self) -> str:
        return f"{self.site_dir}/search.json"

    def download(self, product: str = "{product}") -> str:
        return f"{self.site_dir}/downloads/{product}.zip"

    def fetched_dem(self) -> str:
        return f"{self.site_dir}/dem/glo30.tif"

    def fetched_orbits(self, product: str | None = None) -> str:
        return f"{self.site_dir}/orbits" + ("" if product is None else f"/{product}")

    def product(self, product: str = "{product}") -> str:
        """The unpacked (pruned) SAFE product."""
        return f"{self.site_dir}/products/{product}.SAFE"

    def hdf5_product(self, product: str = "{product}") -> str:
        """A COSMO-SkyMed HDF5 product, checked and copied here under its file's stem (dinsar.steps.stage_hdf5)."""
        return f"{self.site_dir}/products/{product}.h5"

    def terrasar_product(self, product: str = "{product}") -> str:
        """A TerraSAR-X product folder, checked and copied here under its name (dinsar.steps.stage_terrasar)."""
        return f"{self.site_dir}/products/{product}"

    def merged(self, product: str = "{product}") -> str:
        """An IW date debursted and merged: the product's sidecar (dinsar.sensors.merged), its SLC beside it."""
        return f"{self.site_dir}/merged/{product}.merged.json"

    def merged_slc(self, product: str = "{product}") -> str:
        return f"{self.site_dir}/merged/{product}.tif"

    # outputs
    def quicklook(self, ext: str, product: str = "{product}", pol: str = "{pol}") -> str:
        return f"{self.site_dir}/quicklook/{product}_{pol}_ml.{ext}"

    def geometry_dir(self, product: str = "{product}") -> str:
        return f"{self.site_dir}/geometry/{product}"

    def geometry(self, name: str, product: str = "{product}") -> str:
        return f"{self.geometry_dir(product)}/{name}"

    def pair_dir(self, pair: str = "{pair}") -> str:
        return f"{self.site_dir}/pairs/{pair}"

    def pair_file(self, name: str, pair: str = "{pair}") -> str:
        return f"{self.pair_dir(pair)}/{name}"

    def stack(self, name: str) -> str:
        return f"{self.site_dir}/stack/{name}"

    def mintpy(self, name: str) -> str:
        """The MintPy export (dinsar.steps.mintpy): smallbaselineApp.cfg, interferograms/, geometry/."""
        return f"{self.site_dir}/mintpy/{name}"

    # what Snakemake keeps of each job
    def log(self, rule: str, key: str) -> str:
        return f"logs/{self.site}/{rule}/{key}.log"

    def benchmark(self, rule: str, key: str) -> str:
        return f"benchmarks/{self.site}/{rule}/{key}.tsv"
