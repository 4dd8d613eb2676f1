"""The dinsar command: version, quicklook (QuickMlView.py options), info."""

import subprocess
import sys

import rasterio

from dinsar import __version__
from tests.conftest import AZORES_CROP, ROME_SAFE

CLI = [sys.executable, "-m", "dinsar.cli"]


def test_version():
    run = subprocess.run(CLI + ["--version"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == f"dinsar {__version__}"


def test_quicklook_like_quickmlview(tmp_path):
    out = tmp_path / "crop_ml.tif"
    run = subprocess.run(CLI + ["quicklook", "-in", str(AZORES_CROP), "-ml", "2", "4", "-out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(out), str(out.with_suffix(".png"))]
    with rasterio.open(out) as ql:
        assert (ql.height, ql.width) == (601 // 2, 1401 // 4)


def test_quicklook_bad_input_is_one_line(tmp_path):
    missing = tmp_path / "none.tiff"
    run = subprocess.run(CLI + ["quicklook", "-in", str(missing)], capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr == f"dinsar: {tmp_path / 'none.tiff'}: no such file\n"
    not_tiff = tmp_path / "x.tiff"
    not_tiff.write_text("hello")
    run = subprocess.run(CLI + ["quicklook", "-in", str(not_tiff)], capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr.startswith(f"dinsar: {not_tiff}: unreadable") and \
        run.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == [not_tiff]


def test_info_on_a_real_iw_product():
    run = subprocess.run(CLI + ["info", str(ROME_SAFE), "--swath", "IW1"], capture_output=True, text=True)
    assert run.returncode == 0
    assert "IW / IW1" in run.stdout and "13509 x 22694" in run.stdout and "41314 / 117" in run.stdout


def test_run_options(monkeypatch, tmp_path):
    """-v is dinsar's before or after CONFIG (Snakemake's -v is --version); --verbose and the rest go
    to Snakemake; --profile pbs|slurm|default names a shipped profile unless Snakemake would find one."""
    from dinsar import cli
    from dinsar.config import workflow_root

    seen = []
    monkeypatch.setattr(cli, "_cmd_run", lambda args, extra: seen.append((args.verbose, extra)) or 0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for argv in (["run", "c.yaml", "-v", "-n"], ["-v", "run", "c.yaml", "-n"], ["run", "-v", "c.yaml", "-n"]):
        assert cli.main(argv) == 0
        assert seen.pop() == (True, ["-n"]), argv
    cli.main(["run", "c.yaml", "--verbose", "--until", "geocode"])
    assert seen.pop() == (False, ["--verbose", "--until", "geocode"])
    pbs = str(workflow_root() / "profiles" / "pbs")
    cli.main(["run", "c.yaml", "--profile", "pbs", "-n"])
    assert seen.pop()[1] == ["--profile", pbs, "-n"]
    cli.main(["run", "c.yaml", "--profile=profiles/pbs"])
    assert seen.pop()[1] == [f"--profile={pbs}"]
    (tmp_path / "pbs").mkdir()  # ./pbs is what Snakemake would take: left to it
    cli.main(["run", "c.yaml", "--profile", "pbs"])
    assert seen.pop()[1] == ["--profile", "pbs"]
    cli.main(["run", "c.yaml", "--profile", "mine"])
    assert seen.pop()[1] == ["--profile", "mine"]


def test_run_help_names_snakemake_options():
    run = subprocess.run(CLI + ["run", "--help"], capture_output=True, text=True)
    assert run.returncode == 0
    for example in ("-n", "--report report.html", "--until geocode", "--profile pbs", "Snakemake"):
        assert example in run.stdout, example
