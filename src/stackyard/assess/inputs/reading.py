"""Read the files a walk yields, parsing YAML on spare cores while the index is built.

Parsing with positions is most of what an assessment of a large repository costs, and
it depends on nothing but the file. So on a tree of more than ``PARALLEL_FROM`` files,
worker processes read and parse batches of files ahead (a bounded window, so memory
stays flat) while this process turns the parsed documents into facts, and reads the
following files itself while a worker's batch is not back. Files
come back in walk order, with the notices their reading raised, so a report is the
same whatever the number of workers. The first files are always read here: a small
repository never pays for starting a worker.

A worker that dies (out of memory, killed) or cannot be started costs nothing but
time: its batches and everything after them are read here, one by one.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, islice
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import PurePosixPath

from stackyard.assess.inputs.documents import json_documents, yaml_documents
from stackyard.assess.inputs.walk import SourceFile, read_text
from stackyard.assess.model import Notice
from stackyard.versioning import schema_id
from stackyard.yamlio import LocatedDocument

PARALLEL_FROM = 100  # files read here before workers start; smaller trees never start them
BATCH = 32  # files per task: large enough that passing results costs little per file
WINDOW = 8  # batches held per process (workers and this one): bounds memory
AHEAD = 2  # batches queued for each worker, so it never waits for this process
# Building the index is about half the work and stays in this process, so beyond a few
# parsing workers more would wait on it; an explicit ``workers`` may still ask for more.
DEFAULT_WORKERS_MAX = 3


@dataclass(frozen=True)
class ReadFile:
    """One file as read: its text, its documents, the notices reading it raised.

    ``text`` is None when the file was skipped (binary, not UTF-8) or is not read
    (Packer); ``parsed`` says whether it was parsed as documents (YAML, or JSON that
    may hold objects).
    """

    source: SourceFile
    text: str | None
    parsed: bool
    documents: tuple[LocatedDocument, ...]
    notices: tuple[Notice, ...]


def read_source(source: SourceFile) -> ReadFile:
    """Read one file; parse it when it is YAML, or JSON that may hold objects or a realm."""
    notices: list[Notice] = []
    text = None if source.kind == "packer" else read_text(source, notices)
    documents: list[LocatedDocument] | None = None  # None: not parsed
    if text is not None and source.kind == "yaml":
        documents = yaml_documents(text, source.relative, notices)
    elif text is not None and source.kind == "json" and _may_hold_objects(source, text):
        documents = json_documents(text, source.relative, notices)
    parsed = documents is not None
    return ReadFile(source, text, parsed, tuple(documents or ()), tuple(notices))


def read_sources(sources: Iterable[SourceFile], workers: int | None = None) -> Iterator[ReadFile]:
    """Every source read and parsed, in the order given.

    Args:
        sources: the files to read (usually a walk, consumed lazily).
        workers: worker processes that parse ahead; None for one per spare core (at
            most ``DEFAULT_WORKERS_MAX``), 0 to read everything in this process.
    """
    remaining = iter(sources)
    for source in islice(remaining, PARALLEL_FROM):
        yield read_source(source)
    following = next(remaining, None)
    if following is None:
        return
    remaining = chain([following], remaining)
    count = min(spare_cores(), DEFAULT_WORKERS_MAX) if workers is None else workers
    if count < 1:
        yield from map(read_source, remaining)
        return
    yield from _read_in_workers(remaining, count)


def spare_cores() -> int:
    """Cores this process may use, less the one it runs on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count() or 1
    return usable - 1


class _Batch:
    """Files in walk order, handed to a worker (``future``) or read here."""

    def __init__(self, sources: list[SourceFile]) -> None:
        self.sources = sources
        self.future: Future[list[ReadFile]] | None = None
        self.read: list[ReadFile] | None = None

    def done(self) -> bool:
        return self.future is None or self.future.done()

    def result(self) -> list[ReadFile]:
        """The files read: by the worker (waited for), or here when it has none."""
        if self.read is None:
            self.read = self.future.result() if self.future else _read_batch(self.sources)
        return self.read


def _read_in_workers(remaining: Iterator[SourceFile], workers: int) -> Iterator[ReadFile]:
    try:
        pool = ProcessPoolExecutor(workers, mp_context=_context())
    except (OSError, NotImplementedError):  # no semaphores here (no /dev/shm): read alone
        yield from map(read_source, remaining)
        return
    pending: deque[_Batch] = deque()  # walk order
    limit = WINDOW * (workers + 1)  # batches held at most: bounds memory

    def take(size: int = BATCH) -> _Batch | None:
        sources = list(islice(remaining, size)) if len(pending) < limit else []
        if not sources:
            return None
        pending.append(_Batch(sources))  # queued before submit: never lost
        return pending[-1]

    def busy() -> int:
        return sum(1 for b in pending if b.future is not None and not b.future.done())

    with pool:
        try:
            while True:
                # Keep every worker supplied, whatever this process is doing.
                while busy() < AHEAD * workers and (batch := take()):
                    batch.future = pool.submit(_read_batch, batch.sources)
                if not pending:
                    return
                # While the next batch is not back, read the following files here, one at
                # a time so the worker's batch is taken as soon as it is back. (Taking back
                # a queued batch with Future.cancel would race CPython 3.11's pool shutdown
                # when a worker dies.)
                while not pending[0].done() and (batch := take(1)):
                    batch.read = _read_batch(batch.sources)
                yield from pending[0].result()
                pending.popleft()
        except (BrokenProcessPool, OSError):
            # A worker died, or none could be started (a process limit): read what the
            # pool holds (this batch onwards), then the rest, here.
            for batch in pending:
                batch.future = None
                yield from batch.result()
            yield from map(read_source, remaining)
        finally:
            for batch in pending:
                if batch.future is not None:
                    batch.future.cancel()


def _read_batch(batch: list[SourceFile]) -> list[ReadFile]:
    return [read_source(source) for source in batch]


def _context() -> BaseContext:
    """Fork where the platform has it (a worker then needs no imports); else spawn."""
    return get_context("fork" if "fork" in get_all_start_methods() else "spawn")


DRILL_SCHEMA = schema_id("etcd-drill")


def _may_hold_objects(source: SourceFile, text: str) -> bool:
    """JSON worth parsing: Kubernetes objects, an exported Keycloak realm, a drill record."""
    return (
        '"apiVersion"' in text
        or "realm" in PurePosixPath(source.relative).name.lower()
        or DRILL_SCHEMA in text
    )
