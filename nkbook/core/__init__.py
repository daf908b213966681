"""The bottom layer: project paths and the run context. Imports nothing else of the package."""
