"""Small typed accessors over ElementTree for ESA annotation files."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from dinsar.errors import ProductError


def parse(data: bytes, source: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as e:
        raise ProductError(f"{source}: not well-formed XML ({e})") from None


def text(node: ET.Element, path: str, source: str, default: str | None = None) -> str:
    found = node.find(path)
    if found is None or found.text is None:
        if default is not None:
            return default
        raise ProductError(f"{source}: missing <{path}>")
    return found.text.strip()


def number(node: ET.Element, path: str, source: str) -> float:
    value = text(node, path, source)
    try:
        return float(value)
    except ValueError:
        raise ProductError(f"{source}: <{path}> is not a number: {value!r}") from None


def integer(node: ET.Element, path: str, source: str) -> int:
    value = text(node, path, source)
    try:
        return int(value)
    except ValueError:
        raise ProductError(f"{source}: <{path}> is not an integer: {value!r}") from None


def utc(value: str, source: str) -> np.datetime64:
    """ISO-8601 UTC (optionally 'UTC=' prefixed, as in EOF files) -> datetime64[ns]."""
    value = value.strip().removeprefix("UTC=")
    try:
        return np.datetime64(value, "ns")
    except ValueError:
        raise ProductError(f"{source}: not an ISO-8601 time: {value!r}") from None


def time(node: ET.Element, path: str, source: str) -> np.datetime64:
    return utc(text(node, path, source), source)


def numbers(node: ET.Element, path: str, source: str) -> np.ndarray:
    """A space-separated list of numbers, e.g. a polynomial or firstValidSample."""
    value = text(node, path, source, default="")
    try:
        return np.array(value.split(), dtype=np.float64)
    except ValueError:
        raise ProductError(f"{source}: <{path}> is not a list of numbers") from None
