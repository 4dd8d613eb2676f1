"""Orbits, ellipsoid and radar geometry (geo2rdr / rdr2geo)."""
