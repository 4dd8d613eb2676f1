"""SAFE-format synthetic products with known content (demo input and test oracle)."""
