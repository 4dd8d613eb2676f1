"""Shared fixtures: the real data in ../shared/data, read in place."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "src" / "dinsar" / "workflow"  # the workflow shipped in the package (ROOT/Snakefile includes it)
DATA = (ROOT.parent / "shared" / "data").resolve()

S3_SAFE = DATA / "s1_sm_s3" / "S1A_S3_SLC__1SDV_20210401T152855_20210401T152914_037258_04638E_6001.SAFE"
S6_SAFE = DATA / "s1_sm_s3" / "S1A_S6_SLC__1SDV_20210402T115512_20210402T115535_037271_046407_39FD.SAFE"
ROME_SAFE = DATA / "s1_iw_rome" / "S1A_IW_SLC__1SDV_20220104T170557_20220104T170624_041314_04E951_F1F1.SAFE"
AZORES = DATA / "s1_iw_slc_azores"
AZORES_XML = AZORES / "s1a-iw3-slc-vv-20220918t074921-20220918t074946-045056-056232-006.xml"
AZORES_EOF = AZORES / "S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF"
AZORES_CROP = AZORES / "s1a-iw3-slc-vv_subset_hight9800_10400_width11000_11000.tiff"

# The simulator places this real orbit (else an analytic one); it no longer looks for the test data
# itself. Set for the session, so subprocesses (the CLI, snakemake jobs) inherit it.
os.environ.setdefault("DINSAR_ORBIT_FILE", str(AZORES_EOF))


def pytest_collection_modifyitems(config, items):
    if not DATA.is_dir():
        raise pytest.UsageError(f"{DATA}: the shared test data must sit beside the project")


def xml_values(path: Path, tag: str) -> list[str]:
    """Every text of <tag>...</tag> in a file, by regular expression: independent of ElementTree."""
    return re.findall(rf"<{tag}(?:\s[^>]*)?>([^<]*)</{tag}>", path.read_text())


@pytest.fixture(scope="session")
def demo_zip(tmp_path_factory) -> Path:
    """A small demo SAFE zip (VV + VH), made once per test session."""
    from dinsar.simulate.speckle import write_demo_product

    return write_demo_product(tmp_path_factory.mktemp("demo"), (256, 320), seed=7)


def pair_folder(master: str, slave: str) -> str:
    """A pair's folder name as DESIGN.md gives it: the two acquisition dates (read here from the names)."""
    def day(name):
        return re.search(r"_(\d{8})T\d{6}_", name).group(1)

    return f"{day(master)}_{day(slave)}"
