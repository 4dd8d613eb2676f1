"""Rule interferogram: flattened, multilooked 4-band interferogram and its quicklooks."""
from dinsar.logs import to_file
from dinsar.steps import interferometry

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    interferometry.interferogram(sm.input.master, sm.input.slave, sm.input.coreg, sm.input.height, sm.output.ifg,
                                 looks=sm.params.looks, polarisation=sm.params.pol,
                                 dst_png_phase=sm.output.phase_png, dst_png_coherence=sm.output.coherence_png,
                                 orbits=sm.params.orbits, reference_safe=sm.input.get("reference"),
                                 reference_coreg=sm.input.get("reference_coreg"), threads=sm.threads)
