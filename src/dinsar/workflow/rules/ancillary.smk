# What the chain needs besides the SLCs, fetched when the config asks (`fetch:`) and cached for
# every site and run ($DINSAR_CACHE or ~/.cache/dinsar): the Copernicus GLO-30 DEM over the
# master's footprint, and each product's precise (else restituted) orbit from CDSE.

if INPUTS.fetch_dem:

    rule fetch_dem:
        input:
            master=lambda w: f"{R}/{w.site}/products/{inputs_before_baselines().master}.SAFE",
        output:
            f"{R}/{{site}}/dem/glo30.tif",
        params:
            cache=config["fetch"].get("cache"),
            url=config["fetch"].get("dem_url"),
            pol=config["polarisation"],
        threads: 1
        resources:
            mem_mb=2000,
            runtime=60,
            downloads=1,
        log:
            f"logs/{{site}}/fetch_dem/glo30.log",
        benchmark:
            f"benchmarks/{{site}}/fetch_dem/glo30.tsv"
        script:
            "../../scripts/fetch_dem.py"


if INPUTS.fetch_orbits:

    rule fetch_orbit:
        output:
            directory(f"{R}/{{site}}/orbits/{{product}}"),
        params:
            cache=config["fetch"].get("cache"),
            url=config["fetch"].get("orbit_url"),
        threads: 1
        resources:
            mem_mb=500,
            runtime=30,
            downloads=1,
        log:
            f"logs/{{site}}/fetch_orbit/{{product}}.log",
        benchmark:
            f"benchmarks/{{site}}/fetch_orbit/{{product}}.tsv"
        script:
            "../../scripts/fetch_orbit.py"
