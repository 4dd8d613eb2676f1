"""Sensor models: Sentinel-1 (StripMap and IW) today."""
