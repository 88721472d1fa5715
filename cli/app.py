"""`gridtriage`: the Typer app with every command registered, in the order `--help` lists them."""

from __future__ import annotations

import importlib

from cli.common import app

# each module registers its commands on import
COMMANDS = ("triage", "kb", "bench", "serve", "drafter", "evaluate", "brief")
for _module in COMMANDS:
    importlib.import_module(f"cli.{_module}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
