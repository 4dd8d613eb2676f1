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
            mem_mb=RES.mem_mb("search"),
            runtime=RES.runtime("search"),
        log:
            L.log("search", "search"),
        benchmark:
            L.benchmark("search", "search")
        script:
            "../scripts/search.py"

    rule download:
        input:
            INPUTS.search_json(),
        output:
            L.download(),
        params:
            search=config["search"],
        threads: 1
        resources:
            mem_mb=RES.mem_mb("download"),
            runtime=RES.runtime("download"),
            downloads=1,
        log:
            L.log("download", "{product}"),
        benchmark:
            L.benchmark("download", "{product}")
        script:
            "../scripts/download.py"
