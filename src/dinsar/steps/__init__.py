"""One public function per pipeline step: paths in, paths out.

The CLI, the Snakemake scripts and the tests call these same functions.
"""

from dinsar.steps.geometry import dem_projection, doppler0, simulate_amplitude
from dinsar.steps.preprocess import quicklook, simulate_pair, stage_hdf5, stage_terrasar, unpack

__all__ = ["dem_projection", "doppler0", "quicklook", "simulate_amplitude", "simulate_pair", "stage_hdf5",
           "stage_terrasar", "unpack"]
