"""Structured request logs and Prometheus metrics."""

from __future__ import annotations

import logging
import sys

import orjson
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from mteja.kit.ratelimit import StoreWatch

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def configure_logging(level: str) -> None:
    """One JSON object per line on stdout."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.ERROR)),
        logger_factory=structlog.BytesLoggerFactory(sys.stdout.buffer),
        cache_logger_on_first_use=True,
    )


class Metrics:
    """Request counts and latency by route template (never by raw path: ids would explode it)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self._requests = Counter(
            "mteja_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "mteja_http_request_duration_seconds",
            "Time from request to the end of the response, by method and route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
            registry=self.registry,
        )
        self._redis_failures = Counter(
            "mteja_rate_limit_redis_failures",
            "Rate-limit round trips to Redis that failed (the request was limited by this "
            "process alone instead).",
            registry=self.registry,
        )
        self._redis_available = Gauge(
            "mteja_rate_limit_redis_available",
            "1 while the rate limits' Redis answers, 0 while this process limits alone.",
            registry=self.registry,
        )
        # Label lookups cost more than the observation itself; keep the children.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self._requests.labels(method, route, str(status)),
                self._latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def rate_limit_store(self) -> StoreWatch:
        """What the rate limiter reports about its Redis."""
        return StoreWatch(failed=self._redis_failures.inc, available=self._redis_available.set)
