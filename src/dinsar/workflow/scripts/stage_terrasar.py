"""Rule stage_terrasar: a TerraSAR-X product folder checked and copied into products/."""
from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    steps.stage_terrasar(sm.input[0], sm.output[0], polarisation=sm.params.pol)
