"""The dinsar command: version, quicklook (QuickMlView.py options), info, run's options and help, config."""

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
    """-v/--verbose are dinsar's before or after CONFIG (Snakemake's -v is --version); the rest goes to
    Snakemake, and everything after `--` as it is; --profile pbs|slurm|default names a shipped profile
    unless Snakemake would find one."""
    from dinsar import cli
    from dinsar.config import workflow_root

    seen = []
    monkeypatch.setattr(cli, "_cmd_run", lambda args, extra: seen.append((args.verbose, extra)) or 0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for argv in (["run", "c.yaml", "-v", "-n"], ["-v", "run", "c.yaml", "-n"], ["run", "-v", "c.yaml", "-n"]):
        assert cli.main(argv) == 0
        assert seen.pop() == (True, ["-n"]), argv
    for argv in (["run", "c.yaml", "--verbose", "--until", "geocode"], ["--verbose", "run", "c.yaml", "--until",
                                                                         "geocode"]):
        assert cli.main(argv) == 0
        assert seen.pop() == (True, ["--until", "geocode"]), argv
    cli.main(["run", "c.yaml", "-n", "--", "--verbose", "-v"])  # Snakemake's own --verbose, and -v
    assert seen.pop() == (False, ["-n", "--verbose", "-v"])
    monkeypatch.setattr(cli, "_cmd_stack", lambda args, extra: seen.append((args.verbose, extra)) or 0)
    cli.main(["stack", "-i", "d", "-o", "o", "--verbose", "-n", "--", "--verbose"])
    assert seen.pop() == (True, ["-n", "--verbose"])
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
    assert "goes to Snakemake" in run.stdout
    for example in ("-n", "--report report.zip", "--until geocode", "--profile profiles/slurm", "--profile pbs",
                    "-- --verbose"):
        assert f"dinsar run site.yaml {example}" in run.stdout or example in run.stdout, example


def test_run_verbose_is_dinsars(tmp_path):
    """`dinsar run CONFIG -v -n` (or --verbose) is a dry run that logs dinsar's Snakemake command line,
    not Snakemake's version."""
    from dinsar.config import workflow_root

    demo = workflow_root() / "config" / "config.yaml"
    for flag in ("-v", "--verbose"):
        run = subprocess.run(CLI + ["run", str(demo), flag, "-n"], capture_output=True, text=True, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert "INFO dinsar: site demo: " in run.stderr and " -m snakemake " in run.stderr
        assert "This was a dry-run" in run.stdout
        assert not (tmp_path / "results").exists()


def _actions(parser, path="dinsar"):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, action


def test_every_option_has_help():
    import argparse

    from dinsar import cli

    missing = [f"{path} {'/'.join(a.option_strings) or a.dest}" for path, a in _actions(cli.build_parser())
               if not a.help or a.help == "==SUPPRESS=="]
    assert missing == []
    # and every sub-command says what it does in `dinsar --help`
    (sub,) = (a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert {c.dest for c in sub._choices_actions if c.help} == set(sub.choices)


def _schema_keys(schema, prefix=()):
    for name, sub in schema.get("properties", {}).items():
        yield (*prefix, name), sub
        yield from _schema_keys(sub, (*prefix, name))


def test_schema_descriptions_are_whole():
    """A flow mapping's unquoted `description: a, b` splits at the comma into a description and a stray
    key: every key of a schema node is a JSON-schema keyword, so the template shows whole descriptions."""
    import jsonschema

    from dinsar import config as dconfig

    schema = dconfig.load_schema()
    known = set(jsonschema.validators.validator_for(schema).VALIDATORS) | {"description", "default", "title",
                                                                          "$schema", "examples"}
    stray = {".".join(key): set(sub) - known for key, sub in _schema_keys(schema) if set(sub) - known}
    assert stray == {}


def test_config_template_lists_every_key_and_validates(tmp_path):
    """`dinsar config --template --site NAME`: commented YAML with every key of the schema, its default
    and its description; as printed, it validates and sets exactly the schema's defaults."""
    import json

    import yaml

    from dinsar import config as dconfig

    run = subprocess.run(CLI + ["config", "--template", "--site", "etna"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    loaded = yaml.safe_load(text)
    assert loaded["site"] == "etna"
    assert dconfig.validate(loaded) == dconfig.validate({"site": "etna", "simulate": {}})
    lines = text.splitlines()
    for key, sub in _schema_keys(dconfig.load_schema()):
        indent = " " * (2 * (len(key) - 1))
        found = [ln for ln in lines if ln.startswith(f"{indent}{key[-1]}:") or ln.startswith(f"{indent}# {key[-1]}:")]
        assert found, key
        if "default" in sub and "properties" not in sub:
            assert any(f"{key[-1]}: {json.dumps(sub['default'], ensure_ascii=False)}" in ln for ln in found), key
        words = " ".join(str(sub.get("description", "")).split())[:40]
        assert " ".join(" ".join(ln.strip().lstrip("#").split()) for ln in lines).count(words), key
    (tmp_path / "etna.yaml").write_text(text)
    assert dconfig.load(tmp_path / "etna.yaml")["site"] == "etna"


def test_config_checks_a_file_and_refuses_a_bad_site(tmp_path):
    import yaml

    from dinsar.config import workflow_root

    run = subprocess.run(CLI + ["config", str(workflow_root() / "config" / "config.yaml")], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    filled = yaml.safe_load(run.stdout)
    assert filled["site"] == "demo" and filled["unwrap"]["init"] == "mst"  # the defaults filled in
    run = subprocess.run(CLI + ["config", "--template", "--site", "a b"], capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr.startswith("dinsar: site: 'a b' does not match") and \
        run.stderr.count("\n") == 1 and run.stdout == ""
    run = subprocess.run(CLI + ["config"], capture_output=True, text=True)
    assert run.returncode == 1 and "--template" in run.stderr
