"""Errors raised by the NLU, so callers can tell a bad model folder from a bug."""


class ModelLoadError(Exception):
    """A saved NLU component is missing, corrupted, or from another format version."""
