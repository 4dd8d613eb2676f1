# QuickMlView.py: a multilooked amplitude view of an SLC (GeoTIFF + PNG).


rule quicklook:
    input:
        safe=f"{R}/{{site}}/products/{{product}}.SAFE",
    output:
        tif=f"{R}/{{site}}/quicklook/{{product}}_{{pol}}_ml.tif",
        png=report(f"{R}/{{site}}/quicklook/{{product}}_{{pol}}_ml.png", caption="../report/quicklook.rst",
                   category="1. Amplitudes", labels={"product": "{product}", "polarisation": "{pol}"}),
    params:
        looks=config["quicklook"]["looks"],
        png_max_size=config["quicklook"]["png_max_size"],
    threads: 2
    resources:
        mem_mb=2000,
        runtime=20,
    log:
        f"logs/{{site}}/quicklook/{{product}}_{{pol}}.log",
    benchmark:
        f"benchmarks/{{site}}/quicklook/{{product}}_{{pol}}.tsv"
    script:
        "../../scripts/quicklook.py"
