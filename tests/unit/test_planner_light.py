"""The planner is light: every job Snakemake starts parses the Snakefile, which imports
dinsar.config and dinsar.workflow_inputs; neither may pull in numba, rasterio, scipy or the
simulator (each a fresh interpreter, so that this session's imports do not count)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numba", "rasterio", "scipy", "pyproj", "dinsar.simulate.pair")


def _modules_after(code: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(run.stdout.splitlines()[-1]))


def test_snakefile_imports_are_light():
    loaded = _modules_after("import dinsar.workflow_inputs, dinsar.config")
    assert not loaded & set(HEAVY)


@pytest.mark.parametrize("module", ["dinsar.simulate", "dinsar.simulate.naming", "dinsar.simulate.config"])
def test_simulated_product_names_are_numpy_only(module):
    loaded = _modules_after(f"import {module}")
    assert not loaded & set(HEAVY)

