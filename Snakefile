# The checkout's entry point: the workflow itself ships in the package, in src/dinsar/workflow/
# (Snakefile, rules/, scripts/, schemas/, report/, profiles/, config/config.yaml, the demo).
# `snakemake -j 12` (config/config.yaml) or
# `snakemake --configfile config/sites/<site>.yaml --profile profiles/pbs` from here;
# `dinsar run CONFIG.yaml` from anywhere, installed or not.
#
# `include:` would keep this file's default target (none): the included `rule all` must stay it.
workflow.include("src/dinsar/workflow/Snakefile", overwrite_default_target=True)
