"""The access log: one line a request, without health probes and metrics scrapes (a
load balancer and Prometheus ask every few seconds, and those lines hid the rest)."""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

QUIET_PATHS = frozenset({"/healthz", "/metrics"})


class AccessLog(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path in QUIET_PATHS:
            return
        self.logger.info("%s %s %d %.1f ms", request.method, request.path, response.status,
                         time * 1000, extra={"remote": request.remote})

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
