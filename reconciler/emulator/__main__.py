"""`python -m reconciler.emulator --host 127.0.0.1 --port 8080 [--db FILE] [--seed FILE] [--fault SPEC]...`

`--fault` also takes the run-time settings (faults.apply_spec): `token_lifetime:seconds=N`, `read_lag:seconds=N`
and `json_style:style=compact|spaced|pretty|php`."""

from __future__ import annotations

import argparse
import logging

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.emulator", description="Run the 8x8 API emulator on loopback."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0: a free port, named in the log")
    parser.add_argument("--db", default=None, help="SQLite file (kept across restarts); default: in memory")
    parser.add_argument("--seed", default=None, help="seed YAML for a new database; default: the bundled one")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="fault rule (repeatable)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(args.host, args.port, args.db, args.seed, args.fault)


if __name__ == "__main__":
    main()
