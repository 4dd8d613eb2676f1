"""Rule search: the site's catalogue search and the chosen pair or stack (JSON)."""
from dinsar.logs import to_file
from dinsar.steps import catalogue

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    catalogue.search(sm.params.search, sm.params.pair, sm.output[0], stack_cfg=sm.params.stack)
