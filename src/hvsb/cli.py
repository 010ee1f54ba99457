"""The `hvsb` command: each subcommand lives in its own module under hvsb.commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from hvsb import __version__
from hvsb.errors import HvsbError

# Modules exposing `register(subparsers)`; imported lazily-cheap (no torch at import time).
COMMAND_MODULES = (
    "hvsb.commands.scenarios",
    "hvsb.commands.data",
    "hvsb.commands.models",
    "hvsb.commands.finetune",
    "hvsb.commands.lm_eval",
    "hvsb.commands.report",
    "hvsb.commands.run",
    "hvsb.commands.serve",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hvsb",
        description="Measure whether LLMs align with human values regarding social biases.",
    )
    parser.add_argument("--version", action="version", version=f"hvsb {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.handler(args, extra) or 0)
    except HvsbError as error:
        print(f"hvsb: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hvsb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
