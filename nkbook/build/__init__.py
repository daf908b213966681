"""The build: driver, cache, Sphinx extension, appendix pages, PDF, published results, command line.

Nothing else in the package imports this layer.
"""
