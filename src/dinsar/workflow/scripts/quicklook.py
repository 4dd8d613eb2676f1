"""Rule quicklook: multilooked amplitude GeoTIFF + PNG of one product."""
from dinsar import steps
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    steps.quicklook(sm.input.safe, sm.output.tif, sm.output.png, looks=sm.params.looks,
                    polarisation=sm.wildcards.pol, png_max_size=sm.params.png_max_size,
                    threads=sm.threads, dst_json=sm.output.json)
