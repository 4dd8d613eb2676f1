"""dinsar: a Sentinel-1 DInSAR processing chain run by Snakemake."""

__version__ = "0.1.0"
