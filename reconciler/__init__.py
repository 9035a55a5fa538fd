"""reconciler: config-as-code for 8x8 dialler data (ContactNow datasets and records, Contact Center campaigns)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
