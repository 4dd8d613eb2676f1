"""Rule download: one product of the search, resumable and checked."""
from dinsar.logs import to_file
from dinsar.steps import catalogue

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    catalogue.download_product(sm.input[0], sm.params.search, sm.wildcards.product, sm.output[0])
