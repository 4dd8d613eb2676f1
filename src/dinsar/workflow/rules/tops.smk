# IW TOPS: each date's bursts over the site debursted and its sub-swaths merged onto one grid (the
# chain's product from there on: tops_grid its sidecar, tops_merge the master's SLC, which only the
# master needs), and each slave's bursts coregistered on the master's merged grid
# with Enhanced Spectral Diversity (DiapOTB's diapOTB_S1IW.py chain; isce2 topsApp, SNAP's
# TOPSAR-Deburst/Merge and ESD). Replaces the StripMap deformation_grid + coregister rules.


rule tops_grid:
    input:
        eofs=orbit_inputs,
        safe=L.product(),
    output:
        L.merged(),
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        opts=S.tops,
    threads: 1
    resources:
        mem_mb=RES.mem_mb("tops_grid"),
        runtime=RES.runtime("tops_grid"),
    log:
        L.log("tops_grid", "{product}"),
    benchmark:
        L.benchmark("tops_grid", "{product}")
    script:
        "../scripts/tops_merge.py"


rule tops_merge:
    input:
        eofs=orbit_inputs,
        safe=L.product(),
        json=L.merged(),
    output:
        L.merged_slc(),
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        opts=S.tops,
    # beside dem_projection on few cores (Snakefile: side_by_side_threads)
    threads: SIDE_BY_SIDE_THREADS
    resources:
        mem_mb=RES.mem_mb("tops_merge", "json"),
        runtime=RES.runtime("tops_merge", "json"),
    log:
        L.log("tops_merge", "{product}"),
    benchmark:
        L.benchmark("tops_merge", "{product}")
    script:
        "../scripts/tops_merge.py"


rule tops_coregister:
    input:
        eofs=orbit_inputs,
        master=_product("master"),
        slave=_product("slave"),
        merged=lambda w: L.merged(_pair_products(w.pair)[0]),
        height=_geometry("height.tif"),
    output:
        coreg=f"{PAIR}/slave_coreg.tif",
        esd=f"{PAIR}/esd.json",
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        opts=S.tops,
    threads: 2
    resources:
        mem_mb=RES.mem_mb("tops_coregister", "merged"),
        runtime=RES.runtime("tops_coregister", "merged"),
    log:
        L.log("tops_coregister", "{pair}"),
    benchmark:
        L.benchmark("tops_coregister", "{pair}")
    script:
        "../scripts/tops_coregister.py"
