# dinsar workflow entry point: load + validate the config, include the rule
# files, define `rule all`. Run `snakemake -j 12` (config/config.yaml, the
# demo) or `snakemake --configfile config/sites/<site>.yaml --profile pbs`.
import sys

from snakemake.utils import min_version, validate

from dinsar import config as dinsar_config
from dinsar.errors import ConfigError
from dinsar.workflow_inputs import Inputs

min_version("9.0")

report: "workflow/report/workflow.rst"

if not config:
    # CLI --configfile replaces the embedded default instead of being merged into it
    configfile: "config/config.yaml"

try:
    # one line naming the key, and the checks a schema cannot express
    dinsar_config.validate(config)
    INPUTS = Inputs.from_config(config)
except ConfigError as e:
    sys.exit(f"dinsar: config error: {e}")
# fills the schema's defaults the way every snakemake workflow does
validate(config, str(dinsar_config.schema_path()), set_default=True)

R = INPUTS.results
SITE = INPUTS.site


wildcard_constraints:
    site=r"[A-Za-z0-9_.-]+",
    product=r"[A-Za-z0-9_]+",
    pair=r"[A-Za-z0-9_]+",
    pol=r"(vv|vh|hh|hv)",


def inputs_before_baselines():
    """The site's inputs; for a catalogue search, completed by the search checkpoint's result."""
    if INPUTS.searched:
        return INPUTS.with_search(checkpoints.search.get(site=SITE).output[0])
    return INPUTS


def inputs():
    """The site's inputs with, for a small-baseline stack, the slave-slave pairs the `baselines`
    checkpoint chose."""
    current = inputs_before_baselines()
    if current.stack and current.small_baseline:
        return current.with_baselines(checkpoints.baselines.get(site=SITE).output.json)
    return current


def orbit_inputs(wildcards):
    """The fetched orbit folders of the site's products (none when the orbits are local or annotated)."""
    if not INPUTS.fetch_orbits:
        return []
    return [f"{R}/{SITE}/orbits/{name}" for name in inputs_before_baselines().sources]


include: "workflow/rules/catalogue.smk"
include: "workflow/rules/ancillary.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/quicklook.smk"
include: "workflow/rules/geometry.smk"
include: "workflow/rules/interferometry.smk"
include: "workflow/rules/stack.smk"


onstart:
    # one run at a time writes results/<site>/ (dinsar.runlock), whatever its working directory
    from dinsar import runlock

    try:
        runlock.acquire(f"{R}/{SITE}")
    except runlock.LockedError as e:
        sys.exit(f"dinsar: {e}")


rule all:
    input:
        lambda w: inputs().targets(),
    default_target: True


onsuccess:
    import json
    from pathlib import Path

    print("dinsar: outputs of site", SITE)
    for target in inputs().targets():
        print("  ", target)
    if INPUTS.simulated:
        for name in inputs().pairs():
            cmp = Path(INPUTS.pair_dir_results(name)) / "truth_comparison.json"
            if cmp.is_file():
                r = json.loads(cmp.read_text())
                print(f"dinsar: {'' if INPUTS.pair else name + ': '}LOS displacement vs truth: RMSE "
                      f"{r['los_rmse_mm']:.2f} mm (max {r['los_max_abs_mm']:.2f} mm) over {r['pixels']} pixels; "
                      f"wrapped phase residual {r['wrapped_phase_residual_rms_rad']:.3f} rad")
