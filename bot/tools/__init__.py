"""Tools apart from the product: evaluation, calibration, benchmarks."""
