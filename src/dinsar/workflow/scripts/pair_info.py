"""Rule pair_info: pair.json, the two products behind a pair folder's short name."""
from dinsar.logs import to_file
from dinsar.steps.pair_info import pair_info

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    pair_info(sm.wildcards.pair, *sm.params.products, sm.output[0])
