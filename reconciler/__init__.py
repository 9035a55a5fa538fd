"""reconciler: config-as-code for 8x8 dialler data (ContactNow datasets and records, Contact Center campaigns)."""

import sys

__version__ = "0.1.0"

__all__ = ["__version__"]

if "httpx" not in sys.modules:
    # httpx imports its command-line client whenever click, rich and pygments are installed, as they are beside
    # typer: about 0.1 s of every command's start, for a client reconciler never runs. A None entry makes that
    # import fail, which httpx expects (it then defines a stub in its place).
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
