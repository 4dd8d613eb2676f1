"""Write Earth Explorer orbit files (*.EOF) for simulated passes, in ESA's layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _utc(t: np.datetime64) -> str:
    return np.datetime_as_string(np.datetime64(t, "us"))


def write_eof(out_dir: Path, mission: str, times: np.ndarray, position: np.ndarray, velocity: np.ndarray,
              created: np.datetime64) -> Path:
    """<out_dir>/<mission>_OPER_AUX_POEORB_OPOD_<created>_V<start>_<stop>.EOF with the given vectors."""
    fmt = "%Y%m%dT%H%M%S"

    def stamp(t):
        return np.datetime64(t, "s").item().strftime(fmt)

    name = f"{mission}_OPER_AUX_POEORB_OPOD_{stamp(created)}_V{stamp(times[0])}_{stamp(times[-1])}"
    osv = []
    for t, p, v in zip(times, position, velocity, strict=True):
        tai = np.datetime64(t, "us") + np.timedelta64(37, "s")
        osv.append(
            "    <OSV>\n"
            f"      <TAI>TAI={_utc(tai)}</TAI>\n      <UTC>UTC={_utc(t)}</UTC>\n"
            f"      <UT1>UT1={_utc(t)}</UT1>\n      <Absolute_Orbit>+0</Absolute_Orbit>\n"
            f'      <X unit="m">{p[0]:.6f}</X>\n      <Y unit="m">{p[1]:.6f}</Y>\n'
            f'      <Z unit="m">{p[2]:.6f}</Z>\n      <VX unit="m/s">{v[0]:.6f}</VX>\n'
            f'      <VY unit="m/s">{v[1]:.6f}</VY>\n      <VZ unit="m/s">{v[2]:.6f}</VZ>\n'
            "      <Quality>NOMINAL</Quality>\n    </OSV>\n"
        )
    text = (
        '<?xml version="1.0" ?>\n<Earth_Explorer_File>\n  <Earth_Explorer_Header>\n    <Fixed_Header>\n'
        f"      <File_Name>{name}</File_Name>\n"
        "      <File_Description>Precise Orbit Ephemerides (POE) Orbit File (simulated by dinsar)"
        "</File_Description>\n"
        f"      <Mission>Sentinel-1{mission[-1]}</Mission>\n      <File_Class>OPER</File_Class>\n"
        "      <File_Type>AUX_POEORB</File_Type>\n      <Validity_Period>\n"
        f"        <Validity_Start>UTC={stamp(times[0])[:4]}-{stamp(times[0])[4:6]}-{stamp(times[0])[6:8]}"
        f"T{stamp(times[0])[9:11]}:{stamp(times[0])[11:13]}:{stamp(times[0])[13:15]}</Validity_Start>\n"
        f"        <Validity_Stop>UTC={stamp(times[-1])[:4]}-{stamp(times[-1])[4:6]}-{stamp(times[-1])[6:8]}"
        f"T{stamp(times[-1])[9:11]}:{stamp(times[-1])[11:13]}:{stamp(times[-1])[13:15]}</Validity_Stop>\n"
        "      </Validity_Period>\n    </Fixed_Header>\n    <Variable_Header>\n"
        "      <Ref_Frame>EARTH_FIXED</Ref_Frame>\n      <Time_Reference>UTC</Time_Reference>\n"
        "    </Variable_Header>\n  </Earth_Explorer_Header>\n<Data_Block type=\"xml\">\n"
        f'  <List_of_OSVs count="{len(times)}">\n' + "".join(osv) + "  </List_of_OSVs>\n</Data_Block>\n"
        "</Earth_Explorer_File>\n"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.EOF"
    path.write_text(text)
    return path
