"""Rule doppler0: Doppler centroid from the data vs the annotation (JSON)."""
from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    steps.doppler0(sm.input.safe, sm.output[0], polarisation=sm.params.pol, blocks=sm.params.blocks,
                   threads=sm.threads)
