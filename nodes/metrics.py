"""Prometheus metrics: request counts and latency per action and status, outbox depth.

Under gunicorn with several workers ``PROMETHEUS_MULTIPROC_DIR`` is set by ``tzomet
serve`` so every worker's samples are summed on each scrape.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter("tzomet_requests_total", "HTTP requests by action and status", ["action", "status"])
LATENCY = Histogram(
    "tzomet_request_duration_seconds",
    "HTTP request latency by action and status",
    ["action", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

#: returns the number of writes waiting in the outbox (set when a store exists)
OutboxDepth = Callable[[], int]


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


_children: dict[tuple[str, int], tuple[Any, Any]] = {}


def observe(action: str, status: int, seconds: float) -> None:
    """Record one finished request."""
    pair = _children.get((action, status))
    if pair is None:  # label lookups are cached: this runs on every request
        pair = _children[(action, status)] = (REQUESTS.labels(action, str(status)),
                                               LATENCY.labels(action, str(status)))
    pair[0].inc()
    pair[1].observe(seconds)


def render(outbox_depth: OutboxDepth) -> tuple[bytes, str]:
    """Return the Prometheus text exposition and its content type."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(_OutboxCollector(outbox_depth))
    return generate_latest(registry), CONTENT_TYPE_LATEST
