"""Rule deformation_grid: slave -> master offsets (geometry + correlation + residual fit)."""
from dinsar.logs import to_file
from dinsar.steps import interferometry

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    interferometry.deformation_grid(sm.input.master, sm.input.slave, sm.input.xyz, sm.output.grid, sm.output.stats,
                                    polarisation=sm.params.pol, opts=sm.params.opts, orbits=sm.params.orbits,
                                    dst_png=sm.output.png, threads=sm.threads)
