"""Work shared between this process and one forked worker (`SharedJobs`): both claim jobs
from either end of one list, so they finish together however fast each runs (and
whatever else the machine does), and the worker streams each job's result back as soon
as it has it, through a pipe with a big buffer (no thread is needed to read it).

A worker that dies only costs time: the jobs it claimed and did not deliver are done by
this process. The lock is a POSIX record lock, which the system releases when its holder
dies, so the survivor never waits on a dead process. Forking is POSIX-only; callers do
the work in one process where `can_fork()` is false.
"""

from __future__ import annotations

import contextlib
import os
import select
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

if sys.platform != "win32":  # (where nothing here is used: see `can_fork`)
    import fcntl

PIPE_BYTES = 1 << 20
"""The pipe's buffer (Linux's default limit for one pipe): the worker rarely waits for this
process to read, even while it is busy with something else."""
_HEADER = struct.Struct("<qq")
"""A message's job number and the length of its payload."""

Send = Callable[[int, bytes], None]
"""What a worker's task calls with a job's number and its result."""
T = TypeVar("T")


def can_fork() -> bool:
    """Whether a worker can be forked (not on Windows, where one process does it all)."""
    return hasattr(os, "fork")


class Claims:
    """Job numbers 0 to `count - 1`: the worker claims them from the front, this process
    from the back. The next front number and the end of what is left live in an unlinked
    temporary file that both processes share."""

    def __init__(self, count: int) -> None:
        self._fd, path = tempfile.mkstemp(prefix="assistc-claims-")
        os.unlink(path)
        os.pwrite(self._fd, _HEADER.pack(0, count), 0)

    def front(self) -> int | None:
        return self._take(from_back=False)

    def back(self) -> int | None:
        return self._take(from_back=True)

    def _take(self, *, from_back: bool) -> int | None:
        """The next number from one end, under the lock; None when none is left."""
        fcntl.lockf(self._fd, fcntl.LOCK_EX)
        try:
            first, end = _HEADER.unpack(os.pread(self._fd, _HEADER.size, 0))
            if first >= end:
                return None
            taken = end - 1 if from_back else first
            bounds = (first, taken) if from_back else (first + 1, end)
            os.pwrite(self._fd, _HEADER.pack(*bounds), 0)
            return int(taken)
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


class Worker:
    """A forked process that runs `task(send)` and ends; this process reads what it
    sends, as it comes (`ready`) or up to its end (`rest`)."""

    def __init__(self, task: Callable[[Send], None]) -> None:
        reader, writer = os.pipe()
        with contextlib.suppress(AttributeError, OSError):  # only Linux can widen a pipe
            fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        try:
            self.pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            raise
        if self.pid == 0:
            os.close(reader)
            status = 1
            try:
                task(lambda job, payload: _write(writer, job, payload))
                status = 0
            finally:  # never return into the parent's code, whatever happened
                os._exit(status)
        os.close(writer)
        self._reader: int | None = reader

    def ready(self) -> Iterator[tuple[int, bytes]]:
        """The messages that have arrived, without waiting for more."""
        while self._reader is not None and select.select([self._reader], [], [], 0)[0]:
            message = self._read()
            if message is not None:
                yield message

    def rest(self) -> Iterator[tuple[int, bytes]]:
        """Every message still to come; the worker has ended when this is exhausted (it
        may have died: the caller does the jobs it did not deliver)."""
        while self._reader is not None:
            message = self._read()
            if message is not None:
                yield message

    def _read(self) -> tuple[int, bytes] | None:
        """One message; None at the end of the stream (or a message cut short), when the
        worker has ended."""
        assert self._reader is not None
        header = _read_exactly(self._reader, _HEADER.size)
        payload = None if header is None else _read_exactly(self._reader, _HEADER.unpack(header)[1])
        if header is None or payload is None:
            os.close(self._reader)
            self._reader = None
            os.waitpid(self.pid, 0)
            return None
        return _HEADER.unpack(header)[0], payload


def _write(fd: int, job: int, payload: bytes) -> None:
    data = memoryview(_HEADER.pack(job, len(payload)) + payload)
    while data:
        data = data[os.write(fd, data) :]


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts = []
    while size:
        part = os.read(fd, min(size, PIPE_BYTES))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


class SharedJobs(Generic[T]):
    """Jobs numbered 0 to `count - 1`, shared with a worker forked when this is made: it
    does them from the front with `there(n)`, which gives the result to send; this
    process joins in from the back with `here(n)` when `results()` is asked for, and
    reads the worker's results with `decode(n, payload)` as they come. Raises `OSError`
    when no process can be had (the caller does the jobs itself)."""

    def __init__(
        self,
        count: int,
        here: Callable[[int], T],
        there: Callable[[int], bytes],
        decode: Callable[[int, bytes], T],
    ) -> None:
        self.count = count
        self.here = here
        self.there = there
        self.decode = decode
        self.claims = Claims(count)
        try:
            self.worker = Worker(self._send)
        except OSError:
            self.claims.close()
            raise

    def _send(self, send: Send) -> None:
        while (n := self.claims.front()) is not None:
            send(n, self.there(n))

    def results(self) -> list[T]:
        """Every job's result, in order; those the worker claimed and did not deliver (it
        died) are done here."""
        done: dict[int, T] = {}
        while (n := self.claims.back()) is not None:
            done[n] = self.here(n)
            done.update((job, self.decode(job, payload)) for job, payload in self.worker.ready())
        done.update((job, self.decode(job, payload)) for job, payload in self.worker.rest())
        self.claims.close()
        return [done[n] if n in done else self.here(n) for n in range(self.count)]
