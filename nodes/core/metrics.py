"""Prometheus metrics: request counts and latency per action and status, outbox depth.

Recording a request (:func:`observe`, on every request) only adds to a table in the
process's memory. ``/metrics`` renders that table in the Prometheus text format.

Under gunicorn every worker has its own table, so ``tzomet serve`` sets
``TZOMET_METRICS_DIR`` (:data:`DIR_ENV`) to a fresh directory: each process then writes
its totals there as one small JSON file (replaced atomically) from a background thread
at most every :data:`FLUSH_SECONDS` while it serves, when it exits and right before it
answers a scrape; the scrape adds every file up, so whichever worker answers reports the
whole service. A worker's file stays after it exits, so totals never go down. Only a
worker killed outright loses what it recorded in its last :data:`FLUSH_SECONDS`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

#: environment variable naming the directory the processes of one server share
DIR_ENV = "TZOMET_METRICS_DIR"
#: how often a serving process writes its totals to the shared directory
FLUSH_SECONDS = 0.5
#: upper bounds of the latency histogram buckets, in seconds (``+Inf`` is implied)
BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

#: returns the number of writes waiting in the outbox (set when a store exists)
OutboxDepth = Callable[[], int]
#: (action, status) -> [count in each bucket (not cumulative) ..., count over the last bound, sum of seconds]
Table = dict[tuple[str, int], list[float]]

_ROW = len(BUCKETS) + 2


class _Recorder:
    """One process's request table, and its file in the shared directory."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a worker starts empty, with its own file

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one writer of the file at a time, latest snapshot last
        self._rows: Table = {}
        self._dirty = False
        self._started = False
        self._path: Path | None = None

    def observe(self, action: str, status: int, seconds: float) -> None:
        bucket = bisect_left(BUCKETS, seconds)  # the first bound >= seconds: Prometheus' "le"
        with self._lock:
            row = self._rows.get((action, status))
            if row is None:
                row = self._rows[(action, status)] = [0] * _ROW
            row[bucket] += 1
            row[-1] += seconds
            self._dirty = True
        if not self._started:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            directory = os.environ.get(DIR_ENV)
            if not directory:
                return
            self._path = Path(directory) / f"{os.getpid()}-{secrets.token_hex(4)}.json"
        threading.Thread(target=self._flush_forever, name="tzomet-metrics", daemon=True).start()
        atexit.register(self.flush)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            if self._dirty:
                self.flush()

    def snapshot(self) -> Table:
        with self._lock:
            self._dirty = False
            return {key: list(row) for key, row in self._rows.items()}

    def flush(self) -> None:
        """Write this process's totals to its file (when a shared directory is set)."""
        path = self._path
        if path is None:
            return
        with self._flush_lock, contextlib.suppress(OSError):  # a full or vanished directory must not break serving
            rows = [[action, status, row] for (action, status), row in self.snapshot().items()]
            temp = path.with_suffix(".tmp")
            temp.write_text(json.dumps({"pid": os.getpid(), "rows": rows}), encoding="utf-8")
            os.replace(temp, path)

    def totals(self) -> Table:
        """The service's totals: every process's file, or this process's table alone."""
        directory = os.environ.get(DIR_ENV)
        if not directory:
            return self.snapshot()
        if not self._started:
            self._start()
        self.flush()
        total: Table = {}
        for path in Path(directory).glob("*.json"):
            try:
                rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
            except (OSError, ValueError, KeyError):
                continue
            for action, status, row in rows:
                into = total.setdefault((action, int(status)), [0] * _ROW)
                for i, value in enumerate(row[:_ROW]):
                    into[i] += value
        return total


_recorder = _Recorder()


def observe(action: str, status: int, seconds: float) -> None:
    """Record one finished request."""
    _recorder.observe(action, status, seconds)


class _RequestCollector(Collector):
    def __init__(self, table: Table) -> None:
        self.table = table

    def collect(self) -> Iterator[Any]:
        labels = ["action", "status"]
        requests = CounterMetricFamily("tzomet_requests", "HTTP requests by action and status", labels=labels)
        latency = HistogramMetricFamily("tzomet_request_duration_seconds", "HTTP request latency by action and status",
                                        labels=labels)
        bounds = [floatToGoString(b) for b in BUCKETS] + ["+Inf"]
        for (action, status), row in sorted(self.table.items()):
            values = [action, str(status)]
            cumulative, buckets = 0.0, []
            for bound, count in zip(bounds, row[:-1], strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            requests.add_metric(values, cumulative)
            latency.add_metric(values, buckets, row[-1])
        yield requests
        yield latency


class _OutboxCollector(Collector):
    def __init__(self, depth: OutboxDepth) -> None:
        self.depth = depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("tzomet_outbox_depth", "Writes queued or retrying in the outbox")
        try:
            gauge.add_metric([], float(self.depth()))
        except Exception:  # a scrape must not fail because the store is down; readyz says so
            gauge.add_metric([], float("nan"))
        yield gauge


def render(outbox_depth: OutboxDepth) -> tuple[bytes, str]:
    """Return the Prometheus text exposition and its content type."""
    registry = CollectorRegistry()
    registry.register(_RequestCollector(_recorder.totals()))
    registry.register(_OutboxCollector(outbox_depth))
    return generate_latest(registry), CONTENT_TYPE_LATEST
