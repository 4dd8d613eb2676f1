"""`dinsar run`'s process handling (dinsar.runner, dinsar.cli._cmd_run): what reaches Snakemake."""

import subprocess
import sys
import textwrap

import pytest

from dinsar import cli, config
from dinsar.errors import ConfigError, DinsarError

CHILD = [sys.executable, "-c", "import time; time.sleep(4)"]


def _run_with(preamble: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        import os, signal, sys, threading, time
        from dinsar.runner import run_snakemake
        {preamble}
        threading.Timer(0.7, lambda: os.kill(os.getpid(), signal.SIGHUP)).start()
        t0 = time.monotonic()
        rc = run_snakemake({CHILD!r}, env=dict(os.environ))
        print(rc, round(time.monotonic() - t0, 1))
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_hang_up_stops_the_run_unless_it_is_ignored_as_under_nohup():
    stopped = _run_with("")
    rc, seconds = stopped.stdout.split()
    assert int(rc) != 0 and float(seconds) < 3, stopped.stdout + stopped.stderr
    kept = _run_with("signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup")
    rc, seconds = kept.stdout.split()
    assert int(rc) == 0 and float(seconds) >= 3.5, kept.stdout + kept.stderr


def test_stack_paths_are_made_absolute_profile_names_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "myprofile").mkdir()
    got = cli._absolute_paths(["--report", "r.html", "--profile", "pbs", "--profile=myprofile", "-n"])
    assert got == ["--report", str(tmp_path / "r.html"), "--profile", "pbs", f"--profile={tmp_path / 'myprofile'}",
                   "-n"]


def test_no_hooks_would_bypass_the_results_lock(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("site: x\nsimulate: {size: [128, 128]}\n")
    with pytest.raises(DinsarError, match="--no-hooks: the results lock"):
        cli._cmd_run(cli.build_parser().parse_args(["run", str(cfg)]), ["--no-hooks"])


@pytest.mark.parametrize("site", ["..", ".", ".hidden"])
def test_a_site_name_cannot_leave_the_results_folder(site):
    with pytest.raises(ConfigError, match="site"):
        config.validate({"site": site, "simulate": {}})
