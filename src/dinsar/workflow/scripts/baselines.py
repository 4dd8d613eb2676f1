"""Rule baselines: each product's baselines against the stack master, the small-baseline pairs, a plot."""
from dinsar.logs import to_file
from dinsar.steps import stack

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    stack.baselines(sm.input.master, list(sm.input.slaves), sm.output.json, sm.output.png, polarisation=sm.params.pol,
                    orbits=sm.params.orbits, small_baseline=sm.params.small_baseline)
