"""Typed sections of a validated site config, built once.

The JSON schema (workflow/schemas/config.schema.yaml) owns every default and description;
`dinsar.config.validate` fills the defaults; `Settings.from_config` turns the validated mapping
into frozen dataclasses, which the rules pass to the steps. The dataclasses declare no defaults
of their own (a test checks their fields against the schema), so a default lives in one place.
`Settings.defaults(site)` is the schema's defaults for a minimal config: what tests and the CLI use
where a user gave nothing. Standard library + the config loader only: the Snakefile imports it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Geometry:
    oversample: int  # simulated amplitude: sub-samples per range pixel
    doppler_blocks: tuple[int, int]  # Doppler0: azimuth, range block (samples)


@dataclass(frozen=True)
class Multilook:
    looks: tuple[int, int]  # azimuth, range


@dataclass(frozen=True)
class Coregistration:
    step: int
    max_windows: int
    window: int
    degree: int
    min_peak: float


@dataclass(frozen=True)
class Filter:
    alpha: float
    patch: int


@dataclass(frozen=True)
class Unwrap:
    method: str  # multiscale | snaphu | snaphu_tiles | whirlwind
    coarse_looks: int | None  # multiscale: looks of the coarse grid (None: from the size and the fringe rate)
    min_coherence: float
    init: str
    reference: tuple[int, int] | None


@dataclass(frozen=True)
class Geocode:
    posting_deg: float | None


@dataclass(frozen=True)
class Mintpy:
    reference: dict | None  # lon, lat of the stack's reference point (None: the most coherent area)


@dataclass(frozen=True)
class Quicklook:
    looks: tuple[int, int]
    png_max_size: int


@dataclass(frozen=True)
class Fetch:
    dem: bool
    orbits: bool
    cache: str | None
    dem_url: str | None
    orbit_url: str | None


@dataclass(frozen=True)
class Tops:
    box: dict | None  # lonmin, latmin, lonmax, latmax: the bursts over it (None: all)
    swaths: tuple[str, ...]
    esd: str  # "pair" or "off"
    esd_looks: tuple[int, int]
    max_prior_error_lines: float


SECTIONS = {"geometry": Geometry, "multilook": Multilook, "coregistration": Coregistration, "filter": Filter,
            "unwrap": Unwrap, "geocode": Geocode, "quicklook": Quicklook, "fetch": Fetch,
            "tops": Tops, "mintpy": Mintpy}


def _section(cls, values: dict):
    kw = {}
    for f in fields(cls):
        v = values.get(f.name)
        kw[f.name] = tuple(v) if isinstance(v, list) else v
    return cls(**kw)


@dataclass(frozen=True)
class Settings:
    site: str
    results: str
    polarisation: str
    geoid_dir: str | None
    geometry: Geometry
    multilook: Multilook
    coregistration: Coregistration
    filter: Filter
    unwrap: Unwrap
    geocode: Geocode
    quicklook: Quicklook
    fetch: Fetch
    tops: Tops
    mintpy: Mintpy

    @classmethod
    def from_config(cls, config: dict) -> Settings:
        """From a config `dinsar.config.validate` has filled; nothing is defaulted here."""
        return cls(site=config["site"], results=config["results"].rstrip("/"), polarisation=config["polarisation"],
                   geoid_dir=config.get("geoid_dir"),
                   **{name: _section(kind, config[name]) for name, kind in SECTIONS.items()})

    @classmethod
    def defaults(cls, site: str = "defaults") -> Settings:
        """The schema's defaults, as a config naming only its site gets them."""
        from dinsar import config as dconfig

        keys = ("site", "results", "polarisation", "geoid_dir", *SECTIONS)
        return cls.from_config(dconfig.validate_sections({"site": site}, keys))


@functools.cache
def defaults() -> Settings:
    """The schema's defaults, read once per process: what a step uses for a value nobody passed."""
    return Settings.defaults()
