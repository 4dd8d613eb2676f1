# Geometry of the master image: DEM projection (both ways), SAR amplitude simulation with
# shadow/layover masks, and Doppler0 (DiapOTB SARDEMProjection, SARDEMToAmplitude, SARDoppler0).

GEO = L.geometry_dir()


rule dem_projection:
    input:
        eofs=orbit_inputs,
        safe=INPUTS.chain_product(),
        dem=lambda w: INPUTS.dem,
    output:
        projection=f"{GEO}/dem_projection.tif",
        height=f"{GEO}/height.tif",
        xyz=f"{GEO}/xyz.tif",
        sidecar=f"{GEO}/radar_grid.json",
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        dem_vertical=INPUTS.dem_vertical,
        geoid_dir=S.geoid_dir,
    # IW: beside the master's tops_merge on few cores (Snakefile: side_by_side_threads); StripMap: alone
    threads: SIDE_BY_SIDE_THREADS if INPUTS.iw else 2
    resources:
        mem_mb=RES.mem_mb("dem_projection", "safe"),
        runtime=RES.runtime("dem_projection", "safe"),
    log:
        L.log("dem_projection", "{product}"),
    benchmark:
        L.benchmark("dem_projection", "{product}")
    script:
        "../scripts/dem_projection.py"


rule simulate_amplitude:
    input:
        eofs=orbit_inputs,
        safe=INPUTS.chain_product(),
        dem=lambda w: INPUTS.dem,
    output:
        amplitude=f"{GEO}/simulated_amplitude.tif",
        shadow=f"{GEO}/shadow.tif",
        layover=f"{GEO}/layover.tif",
        png=report(f"{GEO}/simulated_amplitude.png", caption="../report/simulated_amplitude.rst",
                   category="2. Geometry"),
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        dem_vertical=INPUTS.dem_vertical,
        geoid_dir=S.geoid_dir,
        oversample=S.geometry.oversample,
    threads: 2
    # nothing on the way to the LOS map reads it: it waits while a pair job is ready (a frame's takes 15 min)
    priority: -1
    resources:
        mem_mb=RES.mem_mb("simulate_amplitude", "safe"),
        runtime=RES.runtime("simulate_amplitude", "safe"),
    log:
        L.log("simulate_amplitude", "{product}"),
    benchmark:
        L.benchmark("simulate_amplitude", "{product}")
    script:
        "../scripts/simulate_amplitude.py"


rule doppler0:
    input:
        safe=INPUTS.chain_product(),
    output:
        f"{GEO}/doppler0.json",
    params:
        pol=S.polarisation,
        blocks=S.geometry.doppler_blocks,
    # one thread: it then runs beside deformation_grid (one too) instead of after it, on the path to coregister
    threads: 1
    resources:
        mem_mb=RES.mem_mb("doppler0", "safe"),
        runtime=RES.runtime("doppler0", "safe"),
    log:
        L.log("doppler0", "{product}"),
    benchmark:
        L.benchmark("doppler0", "{product}")
    script:
        "../scripts/doppler0.py"
