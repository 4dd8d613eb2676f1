"""Catalogue search and download: CDSE (OData), ASF (SearchAPI), CNES GEODES (STAC), legacy PEPS (resto)."""
