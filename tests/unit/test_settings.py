"""Typed config sections (dinsar.settings): the schema owns the defaults, the dataclasses only the shape."""

from dataclasses import fields

import pytest

from dinsar import config as dconfig
from dinsar.settings import SECTIONS, Settings


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_each_section_has_exactly_the_schema_keys_and_no_default_of_its_own(name):
    schema = dconfig.load_schema()["properties"][name]
    own = fields(SECTIONS[name])
    assert sorted(f.name for f in own) == sorted(schema["properties"])
    assert all(f.default is f.default_factory for f in own)  # both MISSING: no second default


def test_defaults_come_from_the_schema():
    schema = dconfig.load_schema()["properties"]
    s = Settings.defaults()
    for name in SECTIONS:
        for key, sub in schema[name]["properties"].items():
            want = sub.get("default")
            got = getattr(getattr(s, name), key)
            assert (list(got) if isinstance(got, tuple) else got) == want, (name, key)
    assert s.polarisation == schema["polarisation"]["default"]


def test_a_site_config_becomes_its_sections(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("site: x\nsimulate: {size: [128, 128]}\ncoregistration: {window: 32}\nmultilook: {looks: [2, 4]}\n")
    s = Settings.from_config(dconfig.load(cfg))
    assert s.coregistration.window == 32 and s.coregistration.step == Settings.defaults().coregistration.step
    assert s.multilook.looks == (2, 4)


def test_the_mintpy_reference_point(tmp_path):
    from dinsar.errors import ConfigError

    cfg = tmp_path / "c.yaml"
    cfg.write_text("site: x\nsimulate: {size: [128, 128]}\nmintpy: {reference: {lon: 55.7188, lat: -21.2526}}\n")
    assert Settings.from_config(dconfig.load(cfg)).mintpy.reference == {"lon": 55.7188, "lat": -21.2526}
    assert Settings.defaults().mintpy.reference is None  # the schema's: the most coherent area
    cfg.write_text("site: x\nsimulate: {size: [128, 128]}\nmintpy: {reference: {lon: 55.7}}\n")
    with pytest.raises(ConfigError, match="mintpy.reference"):
        dconfig.load(cfg)
