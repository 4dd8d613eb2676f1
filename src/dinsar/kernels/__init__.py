"""numba kernels: plain arrays in and out, no I/O, validation in the wrapper."""
