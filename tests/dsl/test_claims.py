"""Work shared with a forked worker: every job claimed exactly once, results streamed back,
and a worker that dies (even holding the lock) never blocks this process."""

from __future__ import annotations

import os
import time

import pytest

from assistc.dsl.claims import Claims, Send, Worker, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="the worker is forked")


def test_both_processes_claim_every_job_exactly_once() -> None:
    claims = Claims(200)

    def task(send: Send) -> None:
        while (n := claims.front()) is not None:
            time.sleep(0.001)  # as slow as this process, so both take a share
            send(n, str(os.getpid()).encode())

    worker = Worker(task)
    mine = []
    while (n := claims.back()) is not None:
        time.sleep(0.001)
        mine.append(n)
    theirs = {job: payload for job, payload in worker.rest()}
    claims.close()
    assert sorted(mine + list(theirs)) == list(range(200))
    assert mine and theirs  # both took part: the worker from the front, this from the back
    assert max(theirs) < min(mine)
    assert set(theirs.values()) == {str(worker.pid).encode()}


def test_results_come_as_they_are_sent_and_big_ones_whole() -> None:
    big = os.urandom(3 << 20)  # bigger than the pipe's buffer

    def task(send: Send) -> None:
        send(0, b"first")
        send(1, big)
        send(2, b"")

    worker = Worker(task)
    received = list(worker.ready())
    deadline = time.monotonic() + 30
    while not received and time.monotonic() < deadline:
        received = list(worker.ready())
    assert received[0] == (0, b"first")
    received.extend(worker.rest())
    assert received == [(0, b"first"), (1, big), (2, b"")]
    assert list(worker.ready()) == [] and list(worker.rest()) == []


@pytest.mark.parametrize("how", ["exception", "exit"])
def test_a_dying_worker_ends_the_stream_with_what_it_sent(how: str) -> None:
    def task(send: Send) -> None:
        send(0, b"done")
        if how == "exit":
            os._exit(9)
        raise RuntimeError("the worker fails")

    assert list(Worker(task).rest()) == [(0, b"done")]


def test_a_worker_that_dies_holding_the_lock_does_not_block_claims() -> None:
    """The lock is a record lock: the system releases it when its holder dies."""
    import fcntl  # (POSIX only, like forking)

    claims = Claims(3)

    def task(send: Send) -> None:
        assert claims.front() == 0
        fcntl.lockf(claims._fd, fcntl.LOCK_EX)
        os._exit(1)  # dies holding it

    assert list(Worker(task).rest()) == []
    assert [claims.back(), claims.back(), claims.back()] == [2, 1, None]
    claims.close()
