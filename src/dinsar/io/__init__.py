"""Readers and writers: SAFE products, annotation XML, EOF orbits, rasters by blocks."""
