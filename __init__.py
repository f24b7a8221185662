"""assistc: a compiler for conversational assistants."""

__version__ = "0.1.0"
