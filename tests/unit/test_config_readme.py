"""config/README.md is the schema's own page: the committed file is the generator's output, and it
names every key of the schema with its default."""

import re
from pathlib import Path

from dinsar import cli
from dinsar import config as dconfig
from dinsar.config_readme import keys, readme

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "config" / "README.md"


def test_committed_readme_is_the_generated_one():
    assert COMMITTED.read_text() == readme(), \
        "config/README.md is stale: regenerate it with `dinsar config --readme > config/README.md`"


def test_every_schema_key_and_default_appears():
    schema = dconfig.load_schema()
    text = readme(schema)
    names = keys(schema)
    assert "search.box.lonmin" in names and "simulate.stack[].days" in names
    sections = {part.split("`", 1)[0]: part for part in text.split("\n## `")[1:]}
    for path in names:
        top, _, rest = path.partition(".")
        if rest:  # a section's keys are named relative to its own `## section` heading
            assert f"| `{rest}` |" in sections[top], path
        elif top not in sections:
            assert f"| `{top}` |" in text, path
    assert "| `site` | string, required |" in text
    assert "| `looks` | list of 2 integers (1..256) | `[3, 3]` | azimuth, range |" in text


def test_rows_are_well_formed_markdown():
    for line in readme().splitlines():
        if line.startswith("| `"):
            # a `|` inside a cell is escaped, so each row has exactly the header's four cells
            assert line.replace("\\|", "").count("|") == 5, line
    # unescaped, a renderer would take `<results>/<site>/` for HTML tags and drop it
    assert "\\<results>" in readme() and not re.search(r"[^\\]<results>", readme())


def test_cli_prints_it(capsys):
    assert cli.main(["config", "--readme"]) == 0
    assert capsys.readouterr().out == readme()
    assert cli.main(["config", "--readme", "--site", "x"]) == 1


def test_catalogue_layout():
    """The Snakemake workflow catalog's "standardized usage": workflow/Snakefile (here a shim that
    includes the packaged workflow), config/README.md, and .snakemake-workflow-catalog.yml."""
    import yaml

    shim = (ROOT / "workflow" / "Snakefile").read_text()
    included = re.search(r'workflow\.include\("([^"]+)"', shim).group(1)
    assert (ROOT / "workflow" / included).resolve() == ROOT / "src" / "dinsar" / "workflow" / "Snakefile"
    usage = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    assert usage["mandatory-flags"]["flags"] and "pip install" in usage["mandatory-flags"]["desc"]
    assert not any(usage["software-stack-deployment"].get(k) for k in ("conda", "apptainer", "apptainer+conda"))
    assert not (ROOT / "envs").exists()  # no conda environment that nothing tests


def _undescribed(node: dict, path: str) -> list[str]:
    """Schema keys below `node` without a description (walked here, not by dinsar.config_readme)."""
    missing = []
    for name, sub in node.get("properties", {}).items():
        key = f"{path}{name}"
        if not sub.get("description"):
            missing.append(key)
        missing += _undescribed(sub, f"{key}.")
        if isinstance(sub.get("items"), dict):
            missing += _undescribed(sub["items"], f"{key}[].")
    return missing


def test_every_schema_key_is_described():
    assert _undescribed(dconfig.load_schema(), "") == []

