"""The cluster profiles for real. PBS: snakemake submits every job through qsub (a fake PBS
Pro that runs the job script locally) and polls qstat -fx. Slurm: a real single-node Slurm
started by the test. Each job asks for the resources its rule declares."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, WORKFLOW
from tests.workflow import fake_pbs

pytestmark = pytest.mark.workflow


def _load_script(name):
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(WORKFLOW / "profiles" / "pbs" / name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_status_from_pbs_pro_qstat_output():
    status = _load_script("pbs-status").status
    assert status("Job Id: 1.s\n    job_state = Q\n") == "running"
    assert status("Job Id: 1.s\n    job_state = R\n") == "running"
    assert status("Job Id: 1.s\n    job_state = E\n    Exit_status = 0\n") == "running"
    assert status("Job Id: 1.s\n    job_state = F\n    Exit_status = 0\n") == "success"
    assert status("Job Id: 1.s\n    job_state = F\n    Exit_status = 1\n") == "failed"
    assert status("Job Id: 1.s\n    job_state = F\n    Exit_status = -11\n") == "failed"  # killed
    assert status("Job Id: 1.s\n    job_state = F\n") == "failed"  # finished without a status


def test_walltime_format():
    submit = _load_script("pbs-submit")
    assert submit.walltime(20) == "00:20:00"
    assert submit.walltime(90) == "01:30:00"
    assert submit.walltime(2.5) == "00:02:30"
    assert submit.walltime(60 * 30) == "30:00:00"


CATALOGUE_RULES = {"search", "download", "fetch_dem", "fetch_orbit", "baselines"}  # not in the demo


def _declared_resources() -> dict[str, tuple[int, int, int]]:
    """threads, mem_mb and runtime of each rule, read from the rule files themselves."""
    declared = {}
    for smk in (WORKFLOW / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=\s*(?:rule|checkpoint) )", smk.read_text()):
            name = re.match(r"\s*(?:rule|checkpoint) (\w+):", block)
            if not name:
                continue
            threads = re.search(r"^\s+threads:\s*(\d+)", block, re.M)
            mem = re.search(r"^\s+mem_mb=(\d+)", block, re.M)
            runtime = re.search(r"^\s+runtime=(\d+)", block, re.M)
            assert threads and mem and runtime, f"rule {name.group(1)} must declare threads, mem_mb, runtime"
            if re.search(r"^\s+localrule:\s*True", block, re.M):
                continue  # runs in Snakemake's own process, never submitted (pair_info: a JSON sidecar)
            declared[name.group(1)] = (int(threads.group(1)), int(mem.group(1)), int(runtime.group(1)))
    return declared


def test_every_rule_declares_threads_mem_runtime():
    declared = _declared_resources()
    assert {"search", "download", "simulate_pair", "unpack", "quicklook", "dem_projection",
            "simulate_amplitude", "doppler0"} <= set(declared)


def test_workflow_through_fake_pbs(tmp_path):
    bin_dir, state, work = tmp_path / "bin", tmp_path / "pbs", tmp_path / "work"
    state.mkdir()
    work.mkdir()
    fake_pbs.install(bin_dir)
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["simulate"]["size"] = [320, 320]  # the smallest that keeps enough correlation windows
    cfg["site"] = "pbs_test"
    (work / "site.yaml").write_text(yaml.safe_dump(cfg))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--profile",
         str(ROOT / "profiles" / "pbs"), "--configfile", "site.yaml", "--latency-wait", "5"],
        cwd=work, env=fake_pbs.env(bin_dir, state), capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    subs = fake_pbs.submissions(state)
    rules = sorted(s["properties"]["rule"] for s in subs)
    declared = _declared_resources()
    # the demo runs every rule of the workflow but the catalogue's (its products are simulated)
    assert sorted(set(rules)) == sorted(set(declared) - CATALOGUE_RULES)
    assert rules.count("unpack") == rules.count("quicklook") == 2  # master and slave
    for s in subs:
        threads, mem_mb, runtime = declared[s["properties"]["rule"]]
        h, m = divmod(runtime, 60)
        limits = [s["args"][i + 1] for i, a in enumerate(s["args"]) if a == "-l"]
        assert limits == [f"select=1:ncpus={threads}:mem={mem_mb}mb", f"walltime={h:02d}:{m:02d}:00"]
    assert (state / "qstat_calls").read_text().strip(), "snakemake never asked qstat"
    outputs = list((work / "results" / "pbs_test" / "quicklook").glob("*_vv_ml.png"))
    assert len(outputs) == 2  # master and slave
    assert not Path(state / "home" / "results").exists()  # jobs wrote where the workflow runs


def test_slurm_profile_plans_the_workflow(tmp_path):
    """The profile loads the executor plugin and plans every job (no cluster needed)."""
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--profile",
         str(ROOT / "profiles" / "slurm"), "--configfile", str(ROOT / "config" / "config.yaml"), "-n"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for rule in set(_declared_resources()) - CATALOGUE_RULES:
        expected = 2 if rule in ("unpack", "quicklook") else 1  # master and slave
        assert re.search(rf"^{rule}\s+{expected}$", run.stdout, re.M), run.stdout


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A real single-node Slurm (slurmctld + slurmd + munged on this machine)."""
    import os

    from tests.workflow import slurm_cluster

    try:
        started = slurm_cluster.start(tmp_path_factory.mktemp("slurm"))
    except slurm_cluster.Unavailable as e:
        if os.environ.get("DINSAR_REQUIRE_SLURM") == "1":
            pytest.fail(f"DINSAR_REQUIRE_SLURM=1 but no Slurm: {e}")
        pytest.skip(f"no Slurm on this machine: {e}")
    yield slurm_cluster
    slurm_cluster.stop(started)


def test_workflow_through_real_slurm(tmp_path, slurm):
    """`--profile profiles/slurm` on a real Slurm: every job goes through sbatch with the cores,
    memory and time limit its rule declares, and the chain's result matches the truth."""
    before = {j["JobId"] for j in slurm.jobs()}
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["simulate"]["size"] = [320, 320]
    cfg["site"] = "slurm_test"
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(cfg))
    # no accounting database on the test cluster: squeue answers; poll fast for a short test
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--profile",
         str(ROOT / "profiles" / "slurm"), "--configfile", "site.yaml", "--latency-wait", "5",
         "--slurm-status-command", "squeue", "--slurm-no-account", "--slurm-init-seconds-before-status-checks",
         "1", "--seconds-between-status-checks", "2"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    ours = [j for j in slurm.jobs() if j["JobId"] not in before and j.get("WorkDir") == str(tmp_path)]
    declared = _declared_resources()
    rules = sorted(j["Comment"].removeprefix("rule_").split("_wildcards")[0] for j in ours)
    assert sorted(set(rules)) == sorted(set(declared) - CATALOGUE_RULES)
    assert rules.count("unpack") == rules.count("quicklook") == 2
    for j in ours:
        rule = j["Comment"].removeprefix("rule_").split("_wildcards")[0]
        threads, mem_mb, runtime = declared[rule]
        h, m = divmod(runtime, 60)
        assert j["JobState"] == "COMPLETED", j
        assert (j["CPUs/Task"], j["MinMemoryNode"], j["TimeLimit"]) == (
            str(threads), f"{mem_mb}M", f"{h:02d}:{m:02d}:00"), (rule, j)
    import json

    pair = next((tmp_path / "results" / "slurm_test" / "pairs").iterdir())
    result = json.loads((pair / "truth_comparison.json").read_text())
    assert result["los_rmse_mm"] < 1.0
