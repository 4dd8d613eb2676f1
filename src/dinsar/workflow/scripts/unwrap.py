"""Rule unwrap: Goldstein filter and SNAPHU unwrapping, referenced to one pixel."""
from dinsar.logs import to_file
from dinsar.steps import interferometry

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    f, u = sm.params.filter, sm.params.unwrap
    interferometry.filter_unwrap(sm.input.ifg, sm.output.filtered, sm.output.unwrapped,
                                 alpha=f["alpha"], patch=f["patch"], min_coherence=u["min_coherence"], init=u["init"],
                                 reference=tuple(u["reference"]) if u["reference"] else None,
                                 dst_png=sm.output.png, dst_unwrapped_png=sm.output.unwrapped_png,
                                 threads=sm.threads)
