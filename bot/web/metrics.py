"""`GET /metrics`: Prometheus's text format, from the official client. The counters and
histograms of this process (`bot/core/metrics.py`, and the client's own process figures),
then the figures read from the database when scraped (`bot/usecases/figures.py`) and the
tallies of what Slack told the bot about itself (`Deps.tallies`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from bot.deps import Deps
from bot.usecases.figures import Figures, current_figures
from handlers.slack_notices import APP_RATE_LIMITED

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
# Prometheus's own scrape timeout is 10 s by default; the database gets a fifth of it.
DATABASE_TIMEOUT_S = 2.0


class MetricsPage:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._reading: asyncio.Task[Figures] | None = None

    async def page(self, request: web.Request) -> web.Response:
        figures = await self._figures()
        families = [*_database_families(figures), *_tally_families(self.deps)]
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(_Scraped(families))
        # The format Prometheus asks for (OpenMetrics or the classic text), as the
        # client's own exporters choose it.
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(scraped), headers={"Content-Type": content_type})

    async def _figures(self) -> Figures | None:
        """The database's figures, or None when it does not answer in time. As with the
        health check, a read still out is waited for rather than started again."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(current_figures(self.deps),
                                                name="metrics-figures")
            self._reading.add_done_callback(_consume_exception)
        reading = self._reading
        done, _ = await asyncio.wait({reading}, timeout=DATABASE_TIMEOUT_S)
        if not done or reading.exception() is not None:
            log.warning("metrics: the database did not give its figures (%s)",
                        "timed out" if not done else type(reading.exception()).__name__)
            return None
        return reading.result()


class _Scraped(Collector):
    """This process's metrics, then those read for this scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
        yield from self.families


def _database_families(figures: Figures | None) -> Iterable[Metric]:
    yield GaugeMetricFamily("sitrep_database_figures_ok",
                            "1 when the database gave this scrape its figures, 0 when not.",
                            value=0 if figures is None else 1)
    if figures is None:
        return
    yield GaugeMetricFamily("sitrep_inbox_backlog_events",
                            "Slack events received and not yet processed (counted up to "
                            "100,000; the same figure from every replica).",
                            value=figures.inbox_backlog)
    yield GaugeMetricFamily("sitrep_inbox_oldest_waiting_seconds",
                            "Age of the oldest Slack event still waiting to be processed; "
                            "0 when none waits.", value=figures.oldest_waiting_s)
    open_now = GaugeMetricFamily("sitrep_open_incidents", "Open incidents, by severity.",
                                 labels=["severity"])
    for severity, count in sorted(figures.open_by_severity.items()):
        open_now.add_metric([str(severity)], count)
    yield open_now


def _tally_families(deps: Deps) -> Iterable[Metric]:
    yield CounterMetricFamily("sitrep_slack_app_rate_limited",
                              "app_rate_limited notices: Slack dropped the app's events for "
                              "a minute.", value=deps.tallies[APP_RATE_LIMITED])


def _consume_exception(task: asyncio.Task[Figures]) -> None:
    if not task.cancelled():
        task.exception()
