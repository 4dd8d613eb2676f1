# Products in: a simulated pair or stack, or the local SAFE zips/dirs named in
# `products`; out: unpacked SAFE directories with unwanted polarisations pruned.


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
            mem_mb=3000,
            runtime=60,
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
        mem_mb=1000,
        runtime=30,
    log:
        L.log("unpack", "{product}"),
    benchmark:
        L.benchmark("unpack", "{product}")
    script:
        "../scripts/unpack.py"
