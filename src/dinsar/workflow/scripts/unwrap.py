"""Rule unwrap: Goldstein filter and SNAPHU unwrapping, referenced to one pixel."""
from dinsar.logs import to_file
from dinsar.steps.unwrap import filter_unwrap

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    filter_unwrap(sm.input.ifg, sm.output.filtered, sm.output.unwrapped,
                  filtering=sm.params.filter, unwrapping=sm.params.unwrap, dst_png=sm.output.png,
                  dst_unwrapped_png=sm.output.unwrapped_png,
                  threads=sm.threads)
