"""everyday: a curated topic news hub engine.

The package is laid out along the pipeline: sources -> fetch -> extract -> enrich ->
records/store -> publish -> serve. :mod:`everyday.pipeline` is the recipe that calls them.
"""

__version__ = "0.1.0"
