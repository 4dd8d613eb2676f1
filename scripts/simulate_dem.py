"""Rule simulate_dem: the demo's synthetic volcano DEM."""
from dinsar.logs import to_file
from dinsar.simulate.dem import write_volcano_dem

with to_file(snakemake.log[0]):  # noqa: F821
    write_volcano_dem(snakemake.output[0])  # noqa: F821
