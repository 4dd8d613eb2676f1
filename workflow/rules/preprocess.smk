# Products in: a simulated demo product, or the local SAFE zips/dirs named in
# `products`; out: unpacked SAFE directories with unwanted polarisations pruned.


rule simulate_product:
    output:
        f"{R}/{{site}}/input/{{product}}.zip",
    params:
        size=config.get("simulate", {}).get("size"),
        seed=config.get("simulate", {}).get("seed"),
        start_time=config.get("simulate", {}).get("start_time"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        f"logs/{{site}}/simulate_product/{{product}}.log",
    benchmark:
        f"benchmarks/{{site}}/simulate_product/{{product}}.tsv"
    script:
        "../../scripts/simulate_product.py"


rule simulate_dem:
    output:
        f"{R}/{{site}}/input/dem.tif",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    log:
        f"logs/{{site}}/simulate_dem/dem.log",
    benchmark:
        f"benchmarks/{{site}}/simulate_dem/dem.tsv"
    script:
        "../../scripts/simulate_dem.py"


rule unpack:
    input:
        lambda w: INPUTS.source(w.product),
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
