"""Rule compare_truth: the LOS displacement of a simulated pair against its truth."""
from dinsar.logs import to_file
from dinsar.steps.truth import compare_truth

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    truth, *reference = sm.params.truth_dirs
    compare_truth(sm.input.unwrapped, sm.input.ifg, truth, sm.output[0],
                  reference_truth_dir=reference[0] if reference else None, radar_grid_json=sm.input.radar_grid)
