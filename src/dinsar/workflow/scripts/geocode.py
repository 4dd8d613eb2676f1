"""Rule geocode: LOS displacement, LOS unit vector and coherence on a lon/lat grid (COG)."""
from dinsar.logs import to_file
from dinsar.steps.geocode import geocode

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    geocode(sm.input.master, sm.input.dem, sm.input.unwrapped, sm.input.ifg, sm.output.los,
            sm.output.enu, sm.output.coherence, polarisation=sm.params.pol,
            posting_deg=sm.params.posting, dem_vertical=sm.params.dem_vertical,
            geoid_dir=sm.params.geoid_dir, filtered_tif=sm.input.filtered,
            dst_phase=sm.output.phase, dst_los_png=sm.output.los_png, orbits=sm.params.orbits,
            threads=sm.threads)
