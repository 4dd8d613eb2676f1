# A stack (SAR_MultiSlc): every slave coregistered on one master, the master-slave pairs,
# and the slave-slave pairs within the small-baseline limits, chosen from the perpendicular
# and temporal baselines of each product against the master.


if INPUTS.stack:

    checkpoint baselines:
        input:
            eofs=orbit_inputs,
            master=lambda w: INPUTS.chain_product(inputs_before_baselines().master),
            slaves=lambda w: [INPUTS.chain_product(s) for s in inputs_before_baselines().slaves],
        output:
            json=L.stack("baselines.json"),
            png=report(L.stack("baselines.png"), caption="../report/baselines.rst",
                       category="0. Stack"),
        params:
            pol=S.polarisation,
            orbits=INPUTS.orbits,
            small_baseline=INPUTS.small_baseline,
        threads: 1
        resources:
            mem_mb=RES.mem_mb("baselines"),
            runtime=RES.runtime("baselines"),
        log:
            L.log("baselines", "baselines"),
        benchmark:
            L.benchmark("baselines", "baselines")
        script:
            "../scripts/baselines.py"
