# The DInSAR chain of a pair: deformation grid, coregistration, interferogram + multilook,
# Goldstein filter + SNAPHU unwrapping, geocoding of the LOS displacement (DiapOTB's
# SARDEMGrid/SARCorrelationGrid, SARCoRegistration, SARRobustInterferogram, SARMultiLook,
# and what DiapOTB did not do).

PAIR = L.pair_dir()


def _pair_products(pair):
    """(reference, secondary) of a pair; a slave-slave pair is known after the `baselines` checkpoint."""
    known = inputs_before_baselines()
    return known.pairs()[pair] if pair in known.pairs() else inputs().pair_products(pair)


def _product(role):
    def lookup(w):
        master, slave = _pair_products(w.pair)
        return INPUTS.staged(master if role == "master" else slave)

    return lookup


def _geometry(name):
    return lambda w: L.geometry(name, inputs_before_baselines().master)


def _stack_master(w):
    return INPUTS.chain_product(inputs_before_baselines().master)


def _ifg_inputs(w):
    """A master-slave pair reads the master SLC; a slave-slave pair of a stack, the reference
    slave coregistered on the master grid (both pairs' products in the master's geometry)."""
    current = inputs_before_baselines()
    ref, sec = _pair_products(w.pair)
    chain = INPUTS.chain_product
    out = dict(master=chain(current.master), slave=chain(sec), coreg=current.coregistered(sec),
               height=_geometry("height.tif")(w), samples=current.chain_samples(current.master))
    if ref != current.master:
        out.update(reference=chain(ref), reference_coreg=current.coregistered(ref))
    return out


rule pair_info:
    output:
        L.pair_file("pair.json"),
    params:
        products=lambda w: _pair_products(w.pair),
    localrule: True
    threads: 1
    resources:
        mem_mb=RES.mem_mb("pair_info"),
        runtime=RES.runtime("pair_info"),
    log:
        L.log("pair_info", "{pair}"),
    script:
        "../scripts/pair_info.py"


if INPUTS.iw:

    include: "tops.smk"

else:

    rule deformation_grid:
        input:
            eofs=orbit_inputs,
            master=_product("master"),
            slave=_product("slave"),
            xyz=_geometry("xyz.tif"),
        output:
            grid=f"{PAIR}/grid.tif",
            stats=f"{PAIR}/grid.json",
            png=report(
                f"{PAIR}/offsets.png", caption="../report/offsets.rst", category="3. Coregistration",
                subcategory="{pair}", labels={"figure": "offsets"}
            ),
        params:
            pol=S.polarisation,
            orbits=INPUTS.orbits,
            opts=S.coregistration,
        # one thread: its correlation windows run one after the other (numpy FFTs), and doppler0 takes the other
        threads: 1
        resources:
            mem_mb=RES.mem_mb("deformation_grid", "master"),
            runtime=RES.runtime("deformation_grid", "master"),
        log:
            L.log("deformation_grid", "{pair}"),
        benchmark:
            L.benchmark("deformation_grid", "{pair}")
        script:
            "../scripts/deformation_grid.py"


    rule coregister:
        input:
            eofs=orbit_inputs,
            master=_product("master"),
            slave=_product("slave"),
            height=_geometry("height.tif"),
            grid=f"{PAIR}/grid.json",
            doppler=_geometry("doppler0.json"),
        output:
            f"{PAIR}/slave_coreg.tif",
        params:
            pol=S.polarisation,
            orbits=INPUTS.orbits,
        threads: 2
        resources:
            mem_mb=RES.mem_mb("coregister", "master"),
            runtime=RES.runtime("coregister", "master"),
        log:
            L.log("coregister", "{pair}"),
        benchmark:
            L.benchmark("coregister", "{pair}")
        script:
            "../scripts/coregister.py"


rule interferogram:
    input:
        unpack(_ifg_inputs),
        eofs=orbit_inputs,
    output:
        ifg=f"{PAIR}/interferogram_ml.tif",
        phase_png=report(
            f"{PAIR}/interferogram_phase.png", caption="../report/interferogram.rst", category="4. Interferogram",
            subcategory="{pair}", labels={"figure": "interferogram phase"}
        ),
        coherence_png=report(
            f"{PAIR}/coherence.png", caption="../report/coherence.rst", category="4. Interferogram",
            subcategory="{pair}", labels={"figure": "coherence"}
        ),
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        looks=S.multilook.looks,
    threads: 2
    resources:
        mem_mb=RES.mem_mb("interferogram", "master"),
        runtime=RES.runtime("interferogram", "master"),
    log:
        L.log("interferogram", "{pair}"),
    benchmark:
        L.benchmark("interferogram", "{pair}")
    script:
        "../scripts/interferogram.py"


rule unwrap:
    input:
        ifg=f"{PAIR}/interferogram_ml.tif",
    output:
        filtered=f"{PAIR}/filtered.tif",
        unwrapped=f"{PAIR}/unwrapped.tif",
        png=report(
            f"{PAIR}/filtered_phase.png", caption="../report/filtered.rst", category="5. Unwrapping",
            subcategory="{pair}", labels={"figure": "filtered phase"}
        ),
        unwrapped_png=report(
            f"{PAIR}/unwrapped.png", caption="../report/unwrapped.rst", category="5. Unwrapping",
            subcategory="{pair}", labels={"figure": "unwrapped phase"}
        ),
    params:
        filter=S.filter,
        unwrap=S.unwrap,
    threads: 1
    resources:
        mem_mb=RES.mem_mb("unwrap", "ifg"),
        runtime=RES.runtime("unwrap", "ifg"),
    log:
        L.log("unwrap", "{pair}"),
    benchmark:
        L.benchmark("unwrap", "{pair}")
    script:
        "../scripts/unwrap.py"


rule geocode:
    input:
        eofs=orbit_inputs,
        master=_stack_master,
        dem=lambda w: INPUTS.dem,
        unwrapped=f"{PAIR}/unwrapped.tif",
        ifg=f"{PAIR}/interferogram_ml.tif",
        filtered=f"{PAIR}/filtered.tif",
    output:
        los=f"{PAIR}/los_displacement.tif",
        enu=f"{PAIR}/los_enu.tif",
        coherence=f"{PAIR}/coherence_geo.tif",
        phase=f"{PAIR}/phase_geo.tif",
        los_png=report(
            f"{PAIR}/los_displacement.png", caption="../report/los_displacement.rst", category="6. Displacement",
            subcategory="{pair}", labels={"figure": "LOS displacement (geocoded)"}
        ),
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        posting=S.geocode.posting_deg,
        dem_vertical=INPUTS.dem_vertical,
        geoid_dir=S.geoid_dir,
    threads: 2
    resources:
        mem_mb=RES.mem_mb("geocode", "unwrapped"),
        runtime=RES.runtime("geocode", "unwrapped"),
    log:
        L.log("geocode", "{pair}"),
    benchmark:
        L.benchmark("geocode", "{pair}")
    script:
        "../scripts/geocode.py"


if INPUTS.truth:

    def _truth_dirs(w):
        ref, sec = _pair_products(w.pair)
        return [INPUTS.truth_dir(sec)] + ([INPUTS.truth_dir(ref)] if ref != INPUTS.master else [])

    rule compare_truth:
        input:
            unwrapped=f"{PAIR}/unwrapped.tif",
            ifg=f"{PAIR}/interferogram_ml.tif",
            truth=INPUTS.truth,
            radar_grid=_geometry("radar_grid.json"),
        output:
            f"{PAIR}/truth_comparison.json",
        params:
            truth_dirs=_truth_dirs,
        threads: 1
        resources:
            mem_mb=RES.mem_mb("compare_truth", "truth"),
            runtime=RES.runtime("compare_truth", "truth"),
        log:
            L.log("compare_truth", "{pair}"),
        benchmark:
            L.benchmark("compare_truth", "{pair}")
        script:
            "../scripts/compare_truth.py"
