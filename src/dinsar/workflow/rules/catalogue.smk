# Catalogue search (a checkpoint: the products are known once it has run) and one download job
# per product; `--resources downloads=N` bounds how many run at once.

if INPUTS.searched:

    checkpoint search:
        output:
            INPUTS.search_json(),
        params:
            search=config["search"],
            pair=config.get("pair"),
            stack=config.get("stack"),
        threads: 1
        resources:
            mem_mb=500,
            runtime=10,
        log:
            f"logs/{SITE}/search/search.log",
        benchmark:
            f"benchmarks/{SITE}/search/search.tsv"
        script:
            "../../scripts/search.py"

    rule download:
        input:
            INPUTS.search_json(),
        output:
            f"{R}/{{site}}/downloads/{{product}}.zip",
        params:
            search=config["search"],
        threads: 1
        resources:
            mem_mb=500,
            runtime=240,
            downloads=1,
        log:
            f"logs/{{site}}/download/{{product}}.log",
        benchmark:
            f"benchmarks/{{site}}/download/{{product}}.tsv"
        script:
            "../../scripts/download.py"
