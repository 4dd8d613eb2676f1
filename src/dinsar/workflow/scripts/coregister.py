"""Rule coregister: the slave resampled onto the master grid."""
from dinsar.logs import to_file
from dinsar.steps import interferometry

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    interferometry.coregister(sm.input.master, sm.input.slave, sm.input.height, sm.input.grid, sm.output[0],
                              polarisation=sm.params.pol, doppler_json=sm.input.doppler, orbits=sm.params.orbits,
                              threads=sm.threads)
