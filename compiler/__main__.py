"""`python -m assistc.compiler` runs the CLI (the same as the `assistc` command)."""

from assistc.compiler.cli import entry

entry()
