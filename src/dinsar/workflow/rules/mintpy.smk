# The MintPy export of the site's pairs (a stack's, or the one pair): every pair's geocoded unwrapped
# phase, coherence and connected components and the master's geometry in ROI_PAC's format (binary +
# .rsc, which MintPy reads without GDAL), and a smallbaselineApp.cfg that runs in that folder as it is.


def _mintpy_inputs(w):
    """Every pair's products and rasters, in one order (master-slave pairs first: the first pair's LOS
    vector and amplitude serve the geometry), and the master's geometry."""
    current = inputs()
    pairs = current.pairs()
    files = lambda name: [L.pair_file(name, p) for p in pairs]  # noqa: E731
    return dict(master=INPUTS.chain_product(current.master), dem=INPUTS.dem,
                references=[INPUTS.chain_product(r) for r, _ in pairs.values()],
                secondaries=[INPUTS.chain_product(s) for _, s in pairs.values()],
                los=files("los_displacement.tif"), coherence=files("coherence_geo.tif"),
                unwrapped=files("unwrapped.tif"), ifg=files("interferogram_ml.tif"),
                enu=L.pair_file("los_enu.tif", next(iter(pairs))),
                shadow=L.geometry("shadow.tif", current.master), layover=L.geometry("layover.tif", current.master))


rule mintpy:
    input:
        unpack(_mintpy_inputs),
        eofs=orbit_inputs,
    output:
        cfg=L.mintpy("smallbaselineApp.cfg"),
        interferograms=directory(L.mintpy("interferograms")),
        geometry=directory(L.mintpy("geometry")),
    params:
        pol=S.polarisation,
        orbits=INPUTS.orbits,
        reference=S.mintpy.reference,
        dem_vertical=INPUTS.dem_vertical,
        geoid_dir=S.geoid_dir,
        site=SITE,
    threads: 2
    resources:
        mem_mb=RES.mem_mb("mintpy", "los"),
        runtime=RES.runtime("mintpy", "los"),
    log:
        L.log("mintpy", "export"),
    benchmark:
        L.benchmark("mintpy", "export")
    script:
        "../scripts/mintpy_export.py"
