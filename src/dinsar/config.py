"""Load and validate a study-site config against the workflow's JSON schema.

The same schema file validates the config inside the Snakefile
(``snakemake.utils.validate``); this module adds what a schema cannot say
(date order, box corners) and turns the first problem into one line naming
the key.
"""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dinsar.errors import ConfigError
from dinsar.sensors import SENSORS, sensor_of


def workflow_root() -> Path:
    """The workflow shipped in the package, `dinsar/workflow/`: Snakefile, rules/, scripts/, schemas/,
    report/, profiles/, config/config.yaml (the demo). The installed package's, or in a checkout
    (editable install) src/dinsar/workflow/. $DINSAR_WORKFLOW names another: such a folder, or a
    checkout holding one."""
    if "DINSAR_WORKFLOW" in os.environ:
        root = Path(os.environ["DINSAR_WORKFLOW"])
        if not (root / "schemas").is_dir() and (root / "src" / "dinsar" / "workflow" / "Snakefile").is_file():
            root = root / "src" / "dinsar" / "workflow"  # a checkout
    else:
        root = Path(str(resources.files("dinsar") / "workflow"))
    if not (root / "Snakefile").is_file():
        raise ConfigError(f"{root}: no Snakefile here; set DINSAR_WORKFLOW to a dinsar checkout or its "
                          "src/dinsar/workflow")
    return root


def schema_path() -> Path:
    return workflow_root() / "schemas" / "config.schema.yaml"


def load_schema() -> dict:
    with open(schema_path()) as f:
        return yaml.safe_load(f)


def _stringify_dates(obj: Any) -> Any:
    """YAML reads an unquoted 2016-08-15 as a date; the schema expects ISO strings."""
    if isinstance(obj, dict):
        return {k: _stringify_dates(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_stringify_dates(v) for v in obj]
    if isinstance(obj, dt.datetime):
        return obj.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _with_defaults(validator_class):
    """A validator that fills `default` values in place, as snakemake's validate does."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = _stringify_dates(sub["default"])
                    if isinstance(instance[name], (dict, list)):
                        instance[name] = type(instance[name])(instance[name])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def describe(error: jsonschema.ValidationError) -> str:
    """One line: the key, then what is wrong with it."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{_key(path + extra[:1])}: unknown key (allowed: {', '.join(error.schema['properties'])})"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{_key(path + [missing])}: required key missing"
    return f"{_key(path)}: {error.message}"


def _check_schema(config: dict, schema: dict) -> None:
    cls = _with_defaults(jsonschema.validators.validator_for(schema))
    errors = sorted(cls(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(describe(jsonschema.exceptions.best_match(errors)))


def validate(config: dict, schema: dict | None = None) -> dict:
    """Validate `config`, fill defaults, check cross-key rules; return it (modified in place)."""
    schema = load_schema() if schema is None else schema
    config.update(_stringify_dates(config))
    _check_schema(config, schema)
    check_semantics(config)
    return config


def validate_sections(sections: dict, names: tuple[str, ...], schema: dict | None = None) -> dict:
    """Validate `sections`, a part of a site config holding only the top-level keys `names` (e.g.
    `simulate` and `dem` for `dinsar simulate --config`), against their part of the schema; fill
    their defaults, check their paths. Errors name the key as in a whole config, and a key outside
    `names` is refused, not ignored. Returns `sections` (modified in place)."""
    schema = load_schema() if schema is None else schema
    part = {k: v for k, v in schema.items() if k not in ("required", "properties", "title", "description")}
    part["properties"] = {n: schema["properties"][n] for n in names}
    sections.update(_stringify_dates(sections))
    _check_schema(sections, part)
    check_paths(sections)
    return sections


def validate_section(name: str, value: Any, schema: dict | None = None) -> Any:
    """One top-level section validated as in a site config (errors `name.key: ...`); with defaults."""
    return validate_sections({name: value}, (name,), schema)[name]


def _date(config: dict, *path: str) -> dt.date | None:
    node: Any = config
    for p in path:
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    try:
        return dt.date.fromisoformat(node)
    except ValueError:
        raise ConfigError(f"{'.'.join(path)}: {node!r} is not a calendar date") from None


def check_semantics(config: dict) -> None:
    """Rules across keys that JSON schema cannot express."""
    search = config.get("search", {})
    start, end = _date(config, "search", "start_date"), _date(config, "search", "end_date")
    if start and end and end < start:
        raise ConfigError(f"search.end_date: {end} is before search.start_date {start}")
    box = search.get("box")
    if box:
        for lo, hi in (("lonmin", "lonmax"), ("latmin", "latmax")):
            if box[lo] >= box[hi]:
                raise ConfigError(f"search.box.{lo}: {box[lo]} is not below {hi} {box[hi]}")
    tops = config.get("tops")
    if isinstance(tops, dict):
        if tops.get("box"):
            for lo, hi in (("lonmin", "lonmax"), ("latmin", "latmax")):
                if tops["box"][lo] >= tops["box"][hi]:
                    raise ConfigError(f"tops.box.{lo}: {tops['box'][lo]} is not below {hi} {tops['box'][hi]}")
        elif box:
            tops["box"] = dict(box)  # IW: the bursts over the site searched for
    m, s = _date(config, "pair", "master"), _date(config, "pair", "slave")
    if m and s and s <= m:
        raise ConfigError(f"pair.slave: {s} is not after pair.master {m}")
    for key, day in (("master", m), ("slave", s)):
        if day and start and end and not (start <= day <= end):
            raise ConfigError(f"pair.{key}: {day} is outside search.start_date..end_date")
    sources = [k for k in ("products", "simulate", "search") if k in config]
    if not sources:
        raise ConfigError("products: required key missing (or `simulate`, or `search`)")
    products = config.get("products", {})
    if "slave" in products and "slaves" in products:
        raise ConfigError("products.slaves: give either `slave` or `slaves`, not both")
    if "products" in config and "simulate" in config:
        raise ConfigError("simulate: give either `products` or `simulate`, not both")
    if products:
        _check_sensors(products, config.get("orbits"))
    check_paths(config)


def _check_sensors(products: dict, orbits) -> None:
    """One sensor for all of a site's products (dinsar.sensors.sensor_of: a SAFE is Sentinel-1, an .h5
    file COSMO-SkyMed, a TSX1_SAR__SSC... / TDX1_SAR__SSC... folder TerraSAR-X), and no orbit folder for
    COSMO-SkyMed or TerraSAR-X, whose products carry their orbit."""
    master = products.get("master")
    if not isinstance(master, str):
        return
    sensor = sensor_of(master)
    for key, path in [("slave", products.get("slave"))] + [(f"slaves.{i}", p) for i, p in
                                                             enumerate(products.get("slaves") or [])]:
        if isinstance(path, str) and sensor_of(path) != sensor:
            raise ConfigError(f"products.{key}: {path} is a {SENSORS[sensor_of(path)]} product and the master a "
                              f"{SENSORS[sensor]} one; a pair (or stack) is one sensor's (mixed sensors are not "
                              "supported)")
    if sensor == "cosmo" and orbits:
        raise ConfigError(f"orbits: {orbits}: COSMO-SkyMed products carry their own orbit (the state vectors in "
                          "each file); remove `orbits:`")
    if sensor == "terrasar" and orbits:
        raise ConfigError(f"orbits: {orbits}: TerraSAR-X products carry their own orbit (the stateVec of each "
                          "product's XML); remove `orbits:`")


def _input_paths(config: dict) -> list[tuple[str, Any]]:
    """(key, path) of every input the config names: files and folders that must exist already.
    `results` and `fetch.cache` are made by the run; simulated products come from `simulate`."""
    products = config.get("products") or {}
    search = config.get("search") or {}
    simulate = config.get("simulate") or {}
    keys = [("products.master", products.get("master")), ("products.slave", products.get("slave"))]
    keys += [(f"products.slaves.{i}", p) for i, p in enumerate(products.get("slaves") or [])]
    keys += [(k, config.get(k)) for k in ("dem", "orbits", "geoid_dir")]
    keys += [("simulate.orbit_file", simulate.get("orbit_file")), ("search.auth", search.get("auth"))]
    return [(k, p) for k, p in keys if isinstance(p, str)]


def check_paths(config: dict) -> None:
    """Each input path exists (relative paths from the current directory, as the workflow reads
    them): a typo is one line naming the key, not a Snakemake MissingInputException banner later."""
    for key, path in _input_paths(config):
        if not Path(path).exists():
            raise ConfigError(f"{key}: {path} does not exist")


def read_yaml(path: str | os.PathLike) -> Any:
    """The parsed YAML file; a syntax error names the file, line and column (FILE:LINE:COL)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:  # bytes: yaml detects the encoding and reports a bad one
            return yaml.safe_load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({e.problem or e.context})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None


def load(path: str | os.PathLike) -> dict:
    """Read a YAML config file and validate it; errors name the file and the key."""
    path = Path(path)
    config = read_yaml(path)
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys")
    try:
        return validate(config)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def load_simulate(path: str | os.PathLike) -> tuple[dict, str | None]:
    """The `simulate:` section and `dem:` of a file for `dinsar simulate --config`, validated as in
    a site config. The file is a site config (with `site:`), or `simulate:` (and `dem:`) alone, or
    the simulate keys themselves (and `dem:`)."""
    path = Path(path)
    loaded = read_yaml(path)
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys")
    try:
        if "site" in loaded:
            if "simulate" not in loaded:
                raise ConfigError("simulate: required key missing")
            config = validate(loaded)
        elif "simulate" in loaded:
            config = validate_sections(loaded, ("simulate", "dem"))
        else:
            bare = {k: v for k, v in loaded.items() if k != "dem"}
            config = validate_sections({"simulate": bare, "dem": loaded.get("dem")}, ("simulate", "dem"))
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
    return config["simulate"], config.get("dem")
