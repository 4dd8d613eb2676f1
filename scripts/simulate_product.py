"""Rule simulate_product: the demo SAFE zip."""
from pathlib import Path

from dinsar.logs import to_file
from dinsar.simulate.speckle import write_demo_product

with to_file(snakemake.log[0]):  # noqa: F821
    p = snakemake.params  # noqa: F821
    made = write_demo_product(Path(snakemake.output[0]).parent, p.size, p.seed, p.start_time)  # noqa: F821
    if str(made) != snakemake.output[0]:  # noqa: F821
        raise RuntimeError(f"made {made}, the rule expects {snakemake.output[0]}")  # noqa: F821
