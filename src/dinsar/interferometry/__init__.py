"""The DInSAR chain: deformation grids, coregistration, interferogram, filter, unwrapping, geocoding."""
