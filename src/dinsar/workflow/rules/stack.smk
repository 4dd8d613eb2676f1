# A stack (SAR_MultiSlc): every slave coregistered on one master, the master-slave pairs,
# and the slave-slave pairs within the small-baseline limits, chosen from the perpendicular
# and temporal baselines of each product against the master.


if INPUTS.stack:

    checkpoint baselines:
        input:
            eofs=orbit_inputs,
            master=lambda w: f"{R}/{w.site}/products/{inputs_before_baselines().master}.SAFE",
            slaves=lambda w: [f"{R}/{w.site}/products/{s}.SAFE" for s in inputs_before_baselines().slaves],
        output:
            json=f"{R}/{{site}}/stack/baselines.json",
            png=report(f"{R}/{{site}}/stack/baselines.png", caption="../report/baselines.rst",
                       category="0. Stack"),
        params:
            pol=config["polarisation"],
            orbits=INPUTS.orbits,
            small_baseline=INPUTS.small_baseline,
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        log:
            f"logs/{{site}}/baselines/baselines.log",
        benchmark:
            f"benchmarks/{{site}}/baselines/baselines.tsv"
        script:
            "../../scripts/baselines.py"
