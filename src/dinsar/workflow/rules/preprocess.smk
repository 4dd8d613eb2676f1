# Products in: a simulated pair or stack, or the local SAFE zips/dirs named in
# `products`; out: unpacked SAFE directories with unwanted polarisations pruned.


if INPUTS.simulated:

    rule simulate_pair:
        output:
            *[directory(INPUTS.sources[n]) for n in [INPUTS.master, *INPUTS.slaves]],
            dem=f"{INPUTS.pair_dir()}/dem.tif",
            truth=directory(f"{INPUTS.pair_dir()}/truth"),
            orbits=directory(f"{INPUTS.pair_dir()}/orbits"),
        params:
            simulate=config.get("simulate", {}),
            dem=config.get("dem"),
        threads: 2
        resources:
            mem_mb=3000,
            runtime=60,
        log:
            f"logs/{SITE}/simulate_pair/pair.log",
        benchmark:
            f"benchmarks/{SITE}/simulate_pair/pair.tsv"
        script:
            "../../scripts/simulate_pair.py"


rule unpack:
    input:
        lambda w: inputs_before_baselines().source(w.product),
    output:
        directory(f"{R}/{{site}}/products/{{product}}.SAFE"),
    params:
        keep=INPUTS.keep_polarisations,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    log:
        f"logs/{{site}}/unpack/{{product}}.log",
    benchmark:
        f"benchmarks/{{site}}/unpack/{{product}}.tsv"
    script:
        "../../scripts/unpack.py"
