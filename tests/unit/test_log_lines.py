"""The log's two formats as `sitrep serve` sets them up: the fields bound for the work in
hand (a Slack request, an event) and those given with a line appear in both, and a
request's fields never leak into the next one's lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.core.logging import bind, configure, context


@pytest.fixture
def root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _log_two_requests(log: logging.Logger) -> None:
    async def request(**fields: str) -> None:
        bind(**fields)
        log.info("INC-4 opened", extra={"incident": 4})
        log.warning("Slack chat.postMessage failed: ratelimited")

    async def both() -> None:
        # Each request from Slack runs in a task of its own, as aiohttp and Bolt run them.
        await asyncio.create_task(request(team="T1", request_id="1.2.abc"))
        await asyncio.create_task(request(team="T1", event_id="Ev1"))
        with context(team="T2", event_id="Ev2"):
            log.info("replaying")
        log.info("Stopped")

    asyncio.run(both())


@pytest.mark.usefixtures("root_logger")
def test_text_lines_end_with_their_fields() -> None:
    out = io.StringIO()
    configure(log_format="text", level="INFO", stream=out)
    _log_two_requests(logging.getLogger("sitrep.test"))
    lines = [line.split(" ", 2)[2] for line in out.getvalue().splitlines()]
    assert lines == [
        "INFO sitrep.test: INC-4 opened [incident=4 team=T1 request_id=1.2.abc]",
        "WARNING sitrep.test: Slack chat.postMessage failed: ratelimited "
        "[team=T1 request_id=1.2.abc]",
        "INFO sitrep.test: INC-4 opened [incident=4 team=T1 event_id=Ev1]",
        "WARNING sitrep.test: Slack chat.postMessage failed: ratelimited [team=T1 event_id=Ev1]",
        "INFO sitrep.test: replaying [team=T2 event_id=Ev2]",
        "INFO sitrep.test: Stopped",
    ]


@pytest.mark.usefixtures("root_logger")
def test_json_lines_are_one_object_each_at_the_level_asked() -> None:
    out = io.StringIO()
    configure(log_format="json", level="WARNING", stream=out)
    _log_two_requests(logging.getLogger("sitrep.test"))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [{key: value for key, value in line.items() if key != "time"}
            for line in lines] == [
        {"level": "WARNING", "logger": "sitrep.test", "team": "T1", "request_id": "1.2.abc",
         "message": "Slack chat.postMessage failed: ratelimited"},
        {"level": "WARNING", "logger": "sitrep.test", "team": "T1", "event_id": "Ev1",
         "message": "Slack chat.postMessage failed: ratelimited"},
    ]
