"""French-aware research index over annotated web excerpts."""
__version__ = "0.1.0"
