"""`dinsar run` as a process (issue 16.4, 16.5): killed, it stops the whole run; a second run on the
same results folder from another directory is refused before it does anything; a failing step
says its one line, with no traceback."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dinsar.simulate.dem import write_volcano_dem
from dinsar.simulate.pair import PairConfig, write_pair
from tests.conftest import ROOT

pytestmark = pytest.mark.workflow


def _demo_config(folder: Path, results: Path, size=(1024, 1024)) -> Path:
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["simulate"]["size"] = list(size)
    cfg["results"] = str(results)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo.yaml").write_text(yaml.safe_dump(cfg))
    return folder / "demo.yaml"


def _cmd(config: Path) -> list[str]:
    return [sys.executable, "-m", "dinsar.cli", "run", config.name, "--cores", "2"]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in args and str(os.getpid()) != cmdline.parent.name:
            found.append(args)
    return found


def _ignore_sigint():
    # as in the background of a non-interactive shell (`dinsar run cfg &` in a script)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_second_run_on_the_same_results_is_refused_and_a_killed_run_stops(tmp_path):
    shared = tmp_path / "shared_results"
    first_cfg = _demo_config(tmp_path / "a", shared)
    second_cfg = _demo_config(tmp_path / "b", shared)
    first = subprocess.Popen(_cmd(first_cfg), cwd=first_cfg.parent, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True, preexec_fn=_ignore_sigint)
    try:
        deadline = time.monotonic() + 300
        for line in first.stdout:
            if line.strip().startswith(("rule simulate_pair:", "localrule simulate_pair:")):
                break
            assert time.monotonic() < deadline, "the first run never started simulating"
        time.sleep(1.0)
        second = subprocess.run(_cmd(second_cfg), cwd=second_cfg.parent, capture_output=True, text=True, timeout=300)
        said = second.stdout + second.stderr
        assert second.returncode != 0
        assert "another run is writing this site's results (pid" in said
        assert "rule simulate_pair:" not in said  # refused before any job
        # SIGTERM to `dinsar run` alone (not its group): Snakemake and its job stop too
        os.kill(first.pid, signal.SIGTERM)
        t0 = time.monotonic()
        first.wait(timeout=120)
        assert time.monotonic() - t0 < 60
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode != 0
    assert _processes_mentioning(str(tmp_path)) == []
    assert not list((first_cfg.parent / ".snakemake" / "locks").glob("*"))  # a rerun needs no --unlock
    assert not [p for p in shared.rglob("*") if ".tmp" in p.name]  # nothing half-written left


def test_a_failing_step_says_one_line_without_a_traceback(tmp_path):
    write_pair(tmp_path / "pair", PairConfig(size=(256, 256), seed=3))
    far = write_volcano_dem(tmp_path / "far_dem.tif", half_size_deg=0.05, centre=(56.5, -20.0))
    master = next((tmp_path / "pair" / "master").glob("*.SAFE"))
    slave = next((tmp_path / "pair" / "slave").glob("*.SAFE"))
    cfg = {"site": "far", "products": {"master": str(master), "slave": str(slave)}, "dem": str(far)}
    (tmp_path / "far.yaml").write_text(yaml.safe_dump(cfg))
    run = subprocess.run(_cmd(tmp_path / "far.yaml"), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    said = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Traceback" not in said
    assert f"dinsar: {far}: DEM does not cover the scene" in said
    last = run.stderr.strip().splitlines()[-1]  # `dinsar run` repeats it, naming the step's log, at the end
    assert last.startswith("dinsar: ") and "logs/far/" in last and "DEM does not cover the scene" in last
