"""The sidecar of a pair folder: which two products its short name (the two dates) stands for."""

from __future__ import annotations

import json
from pathlib import Path

from dinsar.io import atomic
from dinsar.layout import acquisition_start


def pair_info(name: str, reference: str, secondary: str, dst_json: str | Path) -> Path:
    """pair.json: the pair's name, its reference (master) and secondary (slave) product names and starts."""
    def start(product):
        day, time = acquisition_start(product)
        return f"{day[:4]}-{day[4:6]}-{day[6:]}T{time[:2]}:{time[2:4]}:{time[4:]}"

    info = {"pair": name, "master": reference, "slave": secondary,
            "master_start": start(reference), "slave_start": start(secondary)}
    with atomic.outputs(dst_json) as (tmp,):
        tmp.write_text(json.dumps(info, indent=1))
    return Path(dst_json)
