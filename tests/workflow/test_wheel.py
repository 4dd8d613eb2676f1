"""The workflow ships with the package: the built wheel holds the Snakefile, rules, scripts, schema,
report captions, profiles and the demo config, and `dinsar run` of an installed wheel runs the chain
from a folder outside the checkout, with nothing of the checkout on its path."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, WORKFLOW

pytestmark = pytest.mark.workflow

# what a checkout holds that a wheel build does not need (a copy is built, so the checkout keeps no
# build/ or *.egg-info of it)
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "results", "logs", "benchmarks", ".snakemake", "build",
                                     "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache", "demo")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "checkout"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_NOT_COPIED)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", ".", "-w", str(tmp / "dist")],
                         cwd=src, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    (whl,) = (tmp / "dist").glob("dinsar-*.whl")
    return whl


def test_wheel_holds_the_workflow(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    shipped = {f"dinsar/workflow/{p.relative_to(WORKFLOW)}" for p in WORKFLOW.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert shipped <= names, sorted(shipped - names)
    for required in ("Snakefile", "rules/interferometry.smk", "scripts/geocode.py", "schemas/config.schema.yaml",
                     "report/workflow.rst", "report/los_displacement.rst", "config/config.yaml",
                     "profiles/default/config.yaml", "profiles/pbs/config.yaml", "profiles/slurm/config.yaml",
                     "profiles/pbs/pbs-submit", "profiles/pbs/pbs-status"):
        assert f"dinsar/workflow/{required}" in names, required
    for script in ("pbs-submit", "pbs-status"):  # run by the cluster-generic executor: executable
        assert modes[f"dinsar/workflow/profiles/pbs/{script}"] & 0o111, script


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel; its dependencies are this environment's (a .pth line: no
    download, and none of this environment's .pth files, so not the editable checkout either)."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_dinsar_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--quiet",
                          str(wheel)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return venv


def _env(venv: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DINSAR_WORKFLOW", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_installed_dinsar_runs_the_shipped_workflow(installed, tmp_path):
    env = _env(installed)
    where = subprocess.run(
        [installed / "bin" / "python", "-c",
         "import dinsar, dinsar.config; print(dinsar.__file__); print(dinsar.config.workflow_root())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    module, root = (Path(line) for line in where.stdout.split())
    assert module.is_relative_to(installed) and root.is_relative_to(installed), where.stdout
    assert not str(module).startswith(str(ROOT / "src"))

    cfg = yaml.safe_load((WORKFLOW / "config" / "config.yaml").read_text())
    cfg["simulate"]["size"] = [320, 320]  # the smallest that keeps enough correlation windows
    cfg["site"] = "wheel"
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "site.yaml").write_text(yaml.safe_dump(cfg))
    dinsar = str(installed / "bin" / "dinsar")

    # --profile pbs names the profile shipped in the installed package (a dry run plans every job)
    plan = subprocess.run([dinsar, "run", "site.yaml", "--profile", "pbs", "-n"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert str(root / "profiles" / "pbs") in plan.stderr, plan.stderr[-2000:]

    # -v after CONFIG is dinsar's (it logs the snakemake command), not Snakemake's --version
    run = subprocess.run([dinsar, "run", "site.yaml", "--cores", "2", "-v"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"--snakefile {root / 'Snakefile'}" in run.stderr, run.stderr[:2000]
    (los,) = (work / "results" / "wheel" / "pairs").glob("*/los_displacement.tif")
    assert los.stat().st_size > 0
    # the report: the captions shipped in the package
    report = subprocess.run([dinsar, "run", "site.yaml", "--cores", "2", "--report", "report.html"], cwd=work,
                            env=env, capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    assert (work / "report.html").stat().st_size > 0
