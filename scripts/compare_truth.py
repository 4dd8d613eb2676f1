"""Rule compare_truth: the LOS displacement of a simulated pair against its truth."""
from dinsar.logs import to_file
from dinsar.steps import interferometry

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    interferometry.compare_truth(sm.input.unwrapped, sm.input.ifg, sm.input.truth, sm.output[0],
                                 looks=sm.params.looks)
