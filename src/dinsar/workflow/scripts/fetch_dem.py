"""Rule fetch_dem: Copernicus GLO-30 over the master's footprint, through the tile cache."""
from dinsar.catalogue.dem import fetch_dem_for_product
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    fetch_dem_for_product(sm.input.master, sm.output[0], cache=sm.params.cache, url=sm.params.url,
                          polarisation=sm.params.pol)
