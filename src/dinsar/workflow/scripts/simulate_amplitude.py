"""Rule simulate_amplitude: SAR amplitude from the DEM, shadow and layover masks."""
from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    steps.simulate_amplitude(sm.input.safe, sm.input.dem, sm.output.amplitude, sm.output.shadow,
                             sm.output.layover, sm.output.png, polarisation=sm.params.pol,
                             dem_vertical=sm.params.dem_vertical, geoid_dir=sm.params.geoid_dir,
                             oversample=sm.params.oversample, orbits=sm.params.orbits, threads=sm.threads)
