# Products in: a simulated pair or stack, or the local SAFE zips/dirs (or COSMO-SkyMed HDF5 files, or
# TerraSAR-X product folders) named in `products`; out: unpacked SAFE directories with unwanted
# polarisations pruned, the HDF5 files checked and copied as products/<file stem>.h5, or the TerraSAR-X
# folders checked and copied (other polarisations' COSAR files left out) as products/<folder name>.


if INPUTS.simulated:

    rule simulate_pair:
        output:
            *[directory(INPUTS.sources[n]) for n in [INPUTS.master, *INPUTS.slaves]],
            dem=f"{L.input_pair()}/dem.tif",
            truth=directory(f"{L.input_pair()}/truth"),
            orbits=directory(f"{L.input_pair()}/orbits"),
        params:
            simulate=config.get("simulate", {}),
            dem=config.get("dem"),
        threads: 2
        resources:
            mem_mb=RES.mem_mb("simulate_pair"),
            runtime=RES.runtime("simulate_pair"),
        log:
            L.log("simulate_pair", "pair"),
        benchmark:
            L.benchmark("simulate_pair", "pair")
        script:
            "../scripts/simulate_pair.py"


rule unpack:
    input:
        lambda w: inputs_before_baselines().source(w.product),
    output:
        directory(L.product()),
    params:
        keep=INPUTS.keep_polarisations,
    threads: 1
    resources:
        mem_mb=RES.mem_mb("unpack"),
        runtime=RES.runtime("unpack"),
    log:
        L.log("unpack", "{product}"),
    benchmark:
        L.benchmark("unpack", "{product}")
    script:
        "../scripts/unpack.py"


rule stage_hdf5:
    input:
        product=lambda w: inputs_before_baselines().source(w.product),
    output:
        L.hdf5_product(),
    params:
        pol=S.polarisation,
    threads: 1
    resources:
        mem_mb=RES.mem_mb("stage_hdf5", "product"),
        runtime=RES.runtime("stage_hdf5", "product"),
    log:
        L.log("stage_hdf5", "{product}"),
    benchmark:
        L.benchmark("stage_hdf5", "{product}")
    script:
        "../scripts/stage_hdf5.py"


rule stage_terrasar:
    input:
        product=lambda w: inputs_before_baselines().source(w.product),
    output:
        directory(L.terrasar_product()),
    params:
        pol=S.polarisation,
    threads: 1
    resources:
        mem_mb=RES.mem_mb("stage_terrasar", "product"),
        runtime=RES.runtime("stage_terrasar", "product"),
    log:
        L.log("stage_terrasar", "{product}"),
    benchmark:
        L.benchmark("stage_terrasar", "{product}")
    script:
        "../scripts/stage_terrasar.py"
