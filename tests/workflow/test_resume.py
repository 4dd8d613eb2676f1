"""Resumability: kill the workflow while coregistration runs, rerun, and nothing complete is redone,
no product downloaded again."""

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from dinsar.simulate.pair import PairConfig, pair_names, write_pair
from tests.catalogue.server import Server
from tests.conftest import pair_folder

pytestmark = pytest.mark.workflow


def _outputs(root):
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file() and ".snakemake" not in p.parts}


def test_kill_during_coregistration_then_resume(tmp_path):
    cfg = PairConfig(size=(768, 768), seed=9, as_zip=True)
    pair = tmp_path / "pair"
    write_pair(pair, cfg)
    master, slave = pair_names(cfg)
    files = {n: (pair / role / f"{n}.zip").read_bytes() for n, role in ((master, "master"), (slave, "slave"))}
    site = {"site": "resume", "dem": str(pair / "dem.tif"), "pair": {"master": "2016-08-18", "slave": "2016-08-30"},
            "search": {"provider": "peps", "swath": "S4", "start_date": "2016-08-10", "end_date": "2016-09-10",
                       "box": {"lonmin": 55.6, "latmin": -21.3, "lonmax": 55.8, "latmax": -21.2}}}
    cmd = [sys.executable, "-m", "dinsar.cli", "run", "site.yaml", "--cores", "1"]
    with Server() as server:
        server.resto_page_for([(master, "disk"), (slave, "disk")], files=files)
        site["search"]["url"] = server.url
        (tmp_path / "site.yaml").write_text(yaml.safe_dump(site))
        first = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
        seen = []
        deadline = time.monotonic() + 600
        for line in first.stdout:
            seen.append(line)
            if line.strip().startswith(("rule coregister:", "localrule coregister:")):
                time.sleep(0.5)  # let the job start writing
                # a cluster killing the job, or Ctrl-C: SIGTERM to the whole process group. After a
                # SIGKILL of snakemake itself, `dinsar run CONFIG --unlock` first removes its lock.
                os.killpg(first.pid, signal.SIGTERM)
                break
            assert time.monotonic() < deadline, "coregistration never started"
        first.wait(timeout=60)
        assert any("coregister" in line for line in seen)
        results = tmp_path / "results" / "resume"
        done_before = _outputs(results)
        downloads_before = sum(r[1].startswith("/download/") for r in server.state.requests)
        second = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=900)
        downloads_after = sum(r[1].startswith("/download/") for r in server.state.requests)
    assert second.returncode == 0, second.stderr[-3000:]
    assert downloads_after == downloads_before == 2  # no product fetched twice
    coreg = results / "pairs" / pair_folder(master, slave) / "slave_coreg.tif"
    changed = [str(p.relative_to(results)) for p, t in done_before.items() if p.exists() and p.stat().st_mtime_ns != t
               and p != coreg and not p.name.startswith(".")]
    assert changed == []  # every output complete before the kill is untouched
    assert (results / "pairs" / pair_folder(master, slave) / "los_displacement.tif").is_file()
    rerun = second.stdout + second.stderr
    for rule in ("search", "download", "unpack", "dem_projection"):
        assert f"rule {rule}:" not in rerun, rule
