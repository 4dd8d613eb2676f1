# QuickMlView.py: a multilooked amplitude view of an SLC (GeoTIFF + PNG).


rule quicklook:
    input:
        safe=lambda w: inputs_before_baselines().quicklook_source(w.product),
        samples=lambda w: inputs_before_baselines().chain_samples(w.product),
    output:
        tif=L.quicklook("tif"),
        json=L.quicklook("json"),
        png=report(L.quicklook("png"), caption="../report/quicklook.rst",
                   category="1. Amplitudes", labels={"product": "{product}", "polarisation": "{pol}"}),
    params:
        looks=S.quicklook.looks,
        png_max_size=S.quicklook.png_max_size,
    threads: 2
    resources:
        mem_mb=RES.mem_mb("quicklook", "safe"),
        runtime=RES.runtime("quicklook", "safe"),
    log:
        L.log("quicklook", "{product}_{pol}"),
    benchmark:
        L.benchmark("quicklook", "{product}_{pol}")
    script:
        "../scripts/quicklook.py"
