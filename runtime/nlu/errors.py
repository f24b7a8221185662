"""Errors raised by the NLU, so callers can tell a bad model folder from a bug, and what
to say when training stops for want of resources."""

from concurrent.futures import BrokenExecutor


class ModelLoadError(Exception):
    """A saved NLU component is missing, corrupted, or from another format version."""


RESOURCE_FAILURES = (MemoryError, BrokenExecutor)
"""Training stopped for want of memory: in this process, or in a worker process that was
killed (by the system's out-of-memory killer, say)."""


def resource_failure(what: str, error: BaseException) -> str:
    """The message for one of `RESOURCE_FAILURES` while doing `what` (e.g. "training the
    entity tagger")."""
    if isinstance(error, MemoryError):
        return f"{what} ran out of memory; is a lookup table or an example set unexpectedly huge?"
    return (
        f"{what} failed: a worker process ended unexpectedly ({type(error).__name__}); "
        "was the machine out of memory?"
    )
