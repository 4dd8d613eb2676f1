"""Rules tops_grid / tops_merge: one IW date's bursts over the site, debursted and merged: its sidecar, or its SLC."""
from dinsar.logs import to_file
from dinsar.steps import tops

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    slc = snakemake.rule == "tops_merge"  # noqa: F821
    tops.merge(sm.input.safe, None if slc else sm.output[0], sm.output[0] if slc else None, polarisation=sm.params.pol,
               orbits=sm.params.orbits, opts=sm.params.opts, threads=sm.threads)
