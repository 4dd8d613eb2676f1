"""Rule mintpy: the pairs' geocoded products and the geometry in ROI_PAC's format, and smallbaselineApp.cfg."""
from dinsar.logs import to_file
from dinsar.steps.mintpy import PairFiles, export

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    pairs = [PairFiles(*files) for files in zip(sm.input.references, sm.input.secondaries, sm.input.los,
                                                  sm.input.coherence, sm.input.unwrapped, sm.input.ifg, strict=True)]
    export(sm.input.master, pairs, sm.input.dem, sm.input.enu, sm.input.shadow, sm.input.layover,
           sm.output.interferograms, sm.output.geometry, sm.output.cfg, reference_lonlat=sm.params.reference,
           polarisation=sm.params.pol, orbits=sm.params.orbits, dem_vertical=sm.params.dem_vertical,
           geoid_dir=sm.params.geoid_dir, site=sm.params.site, threads=sm.threads)
