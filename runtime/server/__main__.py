"""`python -m assistc.runtime.server MODEL`: serve a trained bundle without the compiler
(what a deployment needs, and what the crash-recovery test starts as a subprocess)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistc.runtime.bundle import BundleError
from assistc.runtime.dialogue.stores import TrackerStoreError
from assistc.runtime.server.run import DEFAULT_HOST, DEFAULT_PORT, ServerError, serve_bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistc.runtime.server")
    parser.add_argument("model", type=Path, help="a bundle, models folder or assistant folder")
    parser.add_argument("--store", type=Path, help="SQLite tracker store (default: in memory)")
    parser.add_argument("--project-dir", type=Path, help="folder of the Python actions")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--token", help="require this bearer token (all but /health)")
    parser.add_argument(
        "--cors", action="append", default=[], help="allow browser calls from this origin"
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    try:
        serve_bundle(
            args.model,
            store=args.store,
            project_dir=args.project_dir,
            host=args.host,
            port=args.port,
            token=args.token,
            cors_origins=args.cors,
            log_level=args.log_level,
        )
    except (BundleError, TrackerStoreError, ServerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
