"""Rule fetch_orbit: the product's precise (else restituted) orbit file, through the orbit cache."""
from pathlib import Path

from dinsar.catalogue import http
from dinsar.catalogue.orbits import orbit_for
from dinsar.catalogue.providers import Cdse
from dinsar.logs import to_file

with to_file(snakemake.log[0]):  # noqa: F821
    sm = snakemake  # noqa: F821
    out = Path(sm.output[0])
    out.mkdir(parents=True, exist_ok=True)
    orbit_for(sm.wildcards.product, out, cache=sm.params.cache, provider=Cdse(http.session(), sm.params.url))
