"""Rule unpack: unzip a SAFE product and prune the polarisations not asked for."""
from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    steps.unpack(snakemake.input[0], snakemake.output[0], keep=snakemake.params.keep)  # noqa: F821
