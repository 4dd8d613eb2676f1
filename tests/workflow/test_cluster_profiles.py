"""The cluster profiles for real. PBS: snakemake submits every job through qsub (a fake PBS
Pro that runs the job script locally) and polls qstat -fx. Slurm: a real single-node Slurm
started by the test. Each job asks for the resources its rule declares: for the rules that read a
scene, dinsar.resources' model of its inputs' size."""

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
# the simulated StripMap demo's rules (IW, COSMO HDF5 staging and the catalogue's are not in it)
DEMO_RULES = {"simulate_pair", "unpack", "quicklook", "dem_projection", "simulate_amplitude", "doppler0",
              "deformation_grid", "coregister", "interferogram", "unwrap", "geocode", "compare_truth"}
PAIR_SIZE = (320, 320)  # the demo pair of these tests: lines, samples


def _declared_resources() -> dict[str, tuple[int, tuple]]:
    """threads and resources of each rule, read from the rule files themselves: (threads, spec), spec
    ("model", rule) for mem_mb/runtime from dinsar.resources (`RES.mem_mb("rule", ...)`), else
    ("fixed", mem_mb, runtime)."""
    declared = {}
    for smk in (WORKFLOW / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=\s*(?:rule|checkpoint) )", smk.read_text()):
            name = re.match(r"\s*(?:rule|checkpoint) (\w+):", block)
            if not name:
                continue
            # SIDE_BY_SIDE_THREADS (Snakefile: side_by_side_threads) is 2 for a cluster job, which has its node
            threads = re.search(r"^\s+threads:\s*(\d+|SIDE_BY_SIDE_THREADS\b)", block, re.M)
            mem = re.search(r'^\s+mem_mb=(?:(\d+)|RES\.mem_mb\("(\w+)"[^)]*\)),', block, re.M)
            runtime = re.search(r'^\s+runtime=(?:(\d+)|RES\.runtime\("(\w+)"[^)]*\)),', block, re.M)
            assert threads and mem and runtime, f"rule {name.group(1)} must declare threads, mem_mb, runtime"
            if re.search(r"^\s+localrule:\s*True", block, re.M):
                continue  # runs in Snakemake's own process, never submitted (pair_info: a JSON sidecar)
            if mem.group(2) or runtime.group(2):
                assert mem.group(2) == runtime.group(2) == name.group(1), f"rule {name.group(1)}: another's model"
                spec = ("model", name.group(1))
            else:
                spec = ("fixed", int(mem.group(1)), int(runtime.group(1)))
            declared[name.group(1)] = (2 if threads.group(1) == "SIDE_BY_SIDE_THREADS" else int(threads.group(1)), spec)
    return declared


def _expected(rule: str, spec: tuple, cfg: dict, job_inputs: list[str]) -> tuple[int, int]:
    """mem_mb and runtime (minutes) a first attempt of the rule asks on the PAIR_SIZE demo, from the
    model's formula on the pair's size as the test knows it (not as dinsar.resources reads it)."""
    if spec[0] == "fixed":
        return spec[1], spec[2]
    import copy

    from dinsar import config as dinsar_config
    from dinsar import resources as R

    cfg = copy.deepcopy(cfg)
    dinsar_config.validate(cfg)  # the schema's defaults, as the Snakefile sees them (unwrap.method)
    res = R.SceneResources.from_config(cfg)
    key = res.rule_model(rule)
    lines, samples = PAIR_SIZE
    kind = R.MODELS[key].size
    if kind == "scene":
        mpx, count = lines * samples / 1e6, 1.0
    elif kind == "multilooked":
        mpx, count = (lines // 3) * (samples // 3) / 1e6, 1.0
    elif kind == "bytes":  # unpack: its source SAFE's files (all polarisations) as CInt16 samples
        mpx, count = sum(f.stat().st_size for p in job_inputs for f in Path(p).rglob("*") if f.is_file()) / 4e6, 1.0
    else:
        mpx, count = res.mpx(rule, [])
    got = R.request(key, mpx, 1, count)
    return got.mem_mb, got.runtime


def test_every_rule_declares_threads_mem_runtime():
    from dinsar import resources as R

    declared = _declared_resources()
    assert {"search", "download", "simulate_pair", "unpack", "quicklook", "dem_projection",
            "simulate_amplitude", "doppler0"} <= set(declared)
    # every rule that reads a scene asks for what its scene needs (dinsar.resources)
    scene_rules = {"simulate_pair", "unpack", "quicklook", "dem_projection", "simulate_amplitude", "doppler0",
                   "deformation_grid", "coregister", "interferogram", "unwrap", "geocode", "compare_truth",
                   "tops_merge", "tops_coregister"}
    assert scene_rules <= {r for r, (_, spec) in declared.items() if spec[0] == "model"}
    assert {r for r, (_, spec) in declared.items() if spec[0] == "model"} <= set(R.MODELS)


def test_profiles_retry_with_more():
    """A job the scheduler kills for its memory or time is resubmitted; attempt scales what it asks."""
    for name in ("pbs", "slurm"):
        profile = yaml.safe_load((WORKFLOW / "profiles" / name / "config.yaml").read_text())
        assert profile.get("retries", 0) >= 1, name


def test_workflow_through_fake_pbs(tmp_path):
    bin_dir, state, work = tmp_path / "bin", tmp_path / "pbs", tmp_path / "work"
    state.mkdir()
    work.mkdir()
    fake_pbs.install(bin_dir)
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["simulate"]["size"] = list(PAIR_SIZE)  # the smallest that keeps enough correlation windows
    cfg["site"] = "pbs_test"
    (work / "site.yaml").write_text(yaml.safe_dump(cfg))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--profile",
         str(ROOT / "profiles" / "pbs"), "--configfile", "site.yaml", "--latency-wait", "5",
         # poll fast for a short test (the profile's 10 s between rounds suits a real queue)
         "--seconds-between-status-checks", "1", "--max-status-checks-per-second", "10"],
        cwd=work, env=fake_pbs.env(bin_dir, state), capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    subs = fake_pbs.submissions(state)
    rules = sorted(s["properties"]["rule"] for s in subs)
    declared = _declared_resources()
    # the demo runs every rule of the StripMap chain (its products are simulated), each one declared
    assert DEMO_RULES <= set(rules) <= set(declared) - CATALOGUE_RULES
    assert rules.count("unpack") == rules.count("quicklook") == 2  # master and slave
    for s in subs:
        rule = s["properties"]["rule"]
        threads, spec = declared[rule]
        mem_mb, runtime = _expected(rule, spec, cfg, s["properties"]["input"])
        h, m = divmod(runtime, 60)
        limits = [s["args"][i + 1] for i, a in enumerate(s["args"]) if a == "-l"]
        assert limits == [f"select=1:ncpus={threads}:mem={mem_mb}mb", f"walltime={h:02d}:{m:02d}:00"], rule
    assert (state / "qstat_calls").read_text().strip(), "snakemake never asked qstat"
    outputs = list((work / "results" / "pbs_test" / "quicklook").glob("*_vv_ml.png"))
    assert len(outputs) == 2  # master and slave
    assert not Path(state / "home" / "results").exists()  # jobs wrote where the workflow runs


def _dry_run_resources(cfg: dict, folder: Path) -> dict[str, dict[str, int]]:
    """`dinsar run CFG -n`: each planned job's resources as Snakemake prints them (rule -> the largest)."""
    folder.mkdir()
    (folder / "site.yaml").write_text(yaml.safe_dump(cfg))
    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "run", "site.yaml", "-n"], cwd=folder,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    planned: dict[str, dict[str, int]] = {}
    for rule, res in re.findall(r"^(?:local)?rule (\w+):\n(?:[ \t]+.*\n)*?[ \t]+resources: (.*)$", run.stdout, re.M):
        values = dict(kv.split("=", 1) for kv in res.split(", "))
        job = {k: int(values[k]) for k in ("mem_mb", "runtime") if k in values}
        if job:
            old = planned.get(rule, job)
            planned[rule] = {k: max(job[k], old[k]) for k in job}
    return planned


def test_dry_run_shows_resources_scaled_to_the_scene(tmp_path):
    """Planned before anything exists, a site's jobs ask for its scene's size (the simulated pair's
    `simulate.size`): the demo's 2048² far below a node, a 40000 × 25000 pair what its steps measured."""
    from dinsar import resources as R

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    demo = _dry_run_resources(cfg, tmp_path / "demo")
    cfg["simulate"]["size"] = [40000, 25000]
    full = _dry_run_resources(cfg, tmp_path / "full")
    assert set(demo) == set(full) >= {"dem_projection", "coregister", "interferogram", "unwrap", "geocode"}
    for rule in demo:
        assert demo[rule]["mem_mb"] < 4000, (rule, demo[rule])
        assert demo[rule]["mem_mb"] <= full[rule]["mem_mb"] and demo[rule]["runtime"] <= full[rule]["runtime"]
    res = R.SceneResources.from_config({"simulate": {"size": [40000, 25000]}})
    for rule in ("dem_projection", "coregister", "interferogram", "geocode", "simulate_pair"):
        want = res.request(rule, [])
        assert full[rule] == {"mem_mb": want.mem_mb, "runtime": want.runtime}, rule
    # RESULTS.md's 40000×25000 peaks (13:14 UTC ifg run; geocode's streaming rerun of 12:39 UTC)
    assert full["coregister"]["mem_mb"] > 1956 and full["geocode"]["mem_mb"] > 2181
    assert full["simulate_pair"]["runtime"] * 60 > 1847  # 31 min measured


def test_slurm_profile_plans_the_workflow(tmp_path):
    """The profile loads the executor plugin and plans every job (no cluster needed)."""
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--profile",
         str(ROOT / "profiles" / "slurm"), "--configfile", str(ROOT / "config" / "config.yaml"), "-n"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert DEMO_RULES <= set(_declared_resources())
    for rule in DEMO_RULES:
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
    cfg["simulate"]["size"] = list(PAIR_SIZE)
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
    assert DEMO_RULES <= set(rules) <= set(declared) - CATALOGUE_RULES
    assert rules.count("unpack") == rules.count("quicklook") == 2
    sources = (tmp_path / "results" / "slurm_test" / "input" / "pair").glob("*/*.SAFE")
    inputs = {"unpack": sorted(str(p) for p in sources)}
    for j in ours:
        rule = j["Comment"].removeprefix("rule_").split("_wildcards")[0]
        threads, spec = declared[rule]
        # unpack: both products' sources are the same size; the model reads one
        mem_mb, runtime = _expected(rule, spec, cfg, inputs.get(rule, [])[:1])
        h, m = divmod(runtime, 60)
        assert j["JobState"] == "COMPLETED", j
        assert (j["CPUs/Task"], j["MinMemoryNode"], j["TimeLimit"]) == (
            str(threads), f"{mem_mb}M", f"{h:02d}:{m:02d}:00"), (rule, j)
    import json

    pair = next((tmp_path / "results" / "slurm_test" / "pairs").iterdir())
    result = json.loads((pair / "truth_comparison.json").read_text())
    assert result["los_rmse_mm"] < 1.0
