# What the chain needs besides the SLCs, fetched when the config asks (`fetch:`) and cached for
# every site and run ($DINSAR_CACHE or ~/.cache/dinsar): the Copernicus GLO-30 DEM over the
# master's footprint, and each product's precise (else restituted) orbit from the public s1-orbits bucket or CDSE.

if INPUTS.fetch_dem:

    rule fetch_dem:
        input:
            master=lambda w: INPUTS.chain_product(inputs_before_baselines().master),
        output:
            L.fetched_dem(),
        params:
            cache=S.fetch.cache,
            url=S.fetch.dem_url,
            pol=S.polarisation,
        threads: 1
        resources:
            mem_mb=RES.mem_mb("fetch_dem"),
            runtime=RES.runtime("fetch_dem"),
            downloads=1,
        log:
            L.log("fetch_dem", "glo30"),
        benchmark:
            L.benchmark("fetch_dem", "glo30")
        script:
            "../scripts/fetch_dem.py"


if INPUTS.fetch_orbits:

    rule fetch_orbit:
        output:
            directory(L.fetched_orbits("{product}")),
        params:
            cache=S.fetch.cache,
            url=S.fetch.orbit_url,
        threads: 1
        resources:
            mem_mb=RES.mem_mb("fetch_orbit"),
            runtime=RES.runtime("fetch_orbit"),
            downloads=1,
        log:
            L.log("fetch_orbit", "{product}"),
        benchmark:
            L.benchmark("fetch_orbit", "{product}")
        script:
            "../scripts/fetch_orbit.py"
