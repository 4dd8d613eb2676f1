"""Rule tops_coregister: the slave's bursts resampled onto the master's merged grid, with ESD."""
from dinsar.logs import to_file
from dinsar.steps import tops

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    tops.coregister(sm.input.master, sm.input.slave, sm.input.merged, sm.input.height, sm.output.coreg,
                    sm.output.esd, polarisation=sm.params.pol, orbits=sm.params.orbits, opts=sm.params.opts,
                    threads=sm.threads)
