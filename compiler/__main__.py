"""`python -m assistc.compiler` runs the CLI (the same as the `assistc` command)."""

from assistc.compiler.launch import entry

entry()
