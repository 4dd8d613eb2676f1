"""Rule stage_hdf5: a COSMO-SkyMed HDF5 product checked and copied into products/."""
from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    steps.stage_hdf5(sm.input[0], sm.output[0], polarisation=sm.params.pol)
