"""Rule dem_projection: DEM <-> master radar geometry."""
from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    steps.dem_projection(sm.input.safe, sm.input.dem, sm.output.projection, sm.output.height, sm.output.xyz,
                         polarisation=sm.params.pol, dem_vertical=sm.params.dem_vertical,
                         geoid_dir=sm.params.geoid_dir, orbits=sm.params.orbits, threads=sm.threads,
                         dst_sidecar=sm.output.sidecar)
