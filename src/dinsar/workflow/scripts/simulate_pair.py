"""Rule simulate_pair: the simulated pair, its DEM, orbits and truth."""
from pathlib import Path

from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    steps.simulate_pair(Path(sm.output.dem).parent, sm.params.simulate, dem=sm.params.dem, threads=sm.threads)
