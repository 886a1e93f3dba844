"""`sitrep serve`: migrate, then answer Slack over HTTP (`POST /slack/events`) or Socket Mode."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from aiohttp import ClientSession, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_app, build_deps, build_http_session, build_web_client
from bot.core.clock import Clock, SystemClock
from bot.core.metrics import observe_request
from bot.core.settings import ConfigError, Settings
from bot.core.work_queue import WorkQueue
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.db.reachability import wait_for_database
from bot.deps import Deps
from bot.retro.render import renderer_for
from bot.slack.credentials import check_app_token, check_bot_token
from bot.slack.request_kinds import EVENT, UNREAD, kind_of, outcome_of
from bot.slack.signatures import SlackSignatures
from bot.socket_mode import SocketModeConnection
from bot.usecases.card_repair import CardRepair
from bot.usecases.due_work import scheduled_work
from bot.usecases.event_inbox import EventInbox
from bot.usecases.opening_recovery import OpeningRecovery
from bot.web.access_log import AccessLog
from bot.web.dashboard import Dashboard
from bot.web.metrics import METRICS_PATH, MetricsPage
from handlers import alertmanager_hook, pagerduty_hook
from handlers.hook_requests import read_at_most
from handlers.request_gate import VERIFIED_AT_THE_EDGE
from handlers.timeline_events import TimelineEventsFastPath

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# DESIGN.md promises an answer within 2 s: the database gets most of it, the rest is for
# the Socket Mode check and the answer itself.
HEALTH_DB_TIMEOUT_S = 1.5
# Slack's requests are a few kilobytes; the largest it sends (an edit of a 40,000-character
# message: old and new text, each with its blocks) stays well under this. A bigger body is
# refused before it is read any further.
MAX_SLACK_REQUEST_BYTES = 512 * 1024
# After SIGTERM the process exits within 10 s (an orchestrator's grace period is often
# that, then SIGKILL): this long for the work in hand, the rest for closing down. Work
# cut short is not lost: acknowledged events wait in the inbox, a half-made start in its
# opening, for the next start-up or another replica.
DRAIN_TIMEOUT_S = 8.0
# Requests being answered when the stop begins: acks are quick, so this is generous.
IN_FLIGHT_TIMEOUT_S = 2.0
# Tasks cancelled at the end of the drain get this long to unwind.
UNWIND_TIMEOUT_S = 1.0

BOLT_APP: web.AppKey[AsyncApp] = web.AppKey("bolt_app", AsyncApp)
ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)
AFTER_ACK: web.AppKey[WorkQueue] = web.AppKey("after_ack", WorkQueue)
HEALTH_PROBE: web.AppKey[DatabaseProbe] = web.AppKey("health_probe")
SOCKET_MODE: web.AppKey[SocketModeConnection] = web.AppKey("socket_mode", SocketModeConnection)
FAST_EVENTS: web.AppKey[TimelineEventsFastPath] = web.AppKey("fast_events",
                                                             TimelineEventsFastPath)
SIGNATURES: web.AppKey[SlackSignatures] = web.AppKey("signatures", SlackSignatures)

Hook = Callable[[web.Request], Awaitable[web.Response]]


@dataclass
class RunningBot:
    """A started bot: its HTTP server, and its Socket Mode connection when configured."""

    engine: AsyncEngine
    deps: Deps
    bolt_app: AsyncApp
    runner: web.AppRunner
    socket_mode: SocketModeConnection | None
    url: str
    recovery: asyncio.Task[None]
    opening_recovery: asyncio.Task[None]
    card_repair: asyncio.Task[None]
    scheduler: asyncio.Task[None]
    stopping: asyncio.Event
    http: ClientSession

    async def stop(self, *, every_task: bool = False) -> None:
        """Take no more requests, let the work in hand finish for up to `DRAIN_TIMEOUT_S`,
        then close down. `every_task`: the event loop is the bot's own (`sitrep serve`), so
        every other task is work in hand — Bolt runs a listener's work after its ack in a
        task of its own — and what is still running at the deadline is cancelled."""
        deadline = asyncio.get_running_loop().time() + DRAIN_TIMEOUT_S
        self.stopping.set()
        # These never finish by themselves; what they replay and redraw is idempotent.
        for endless in (self.recovery, self.card_repair):
            endless.cancel()
            with suppress(asyncio.CancelledError):
                await endless
        if self.socket_mode is not None:
            await self.socket_mode.close(in_hand_timeout=IN_FLIGHT_TIMEOUT_S)
        await self.runner.cleanup()
        if not await self.deps.after_ack.drain(_left(deadline)):
            log.warning("%d acknowledged events left for the next start to replay",
                        self.deps.after_ack.backlog)
        await self.deps.after_ack.stop()
        await _finish(self.opening_recovery, deadline)
        # A reminder being posted is finished and recorded; one cut off is run again by
        # the next start or another replica once its lease runs out.
        await _finish(self.scheduler, deadline)
        # Only requests write to the inbox, and they are answered by now.
        if self.deps.inbox_writes is not None:
            await self.deps.inbox_writes.stop()
        if every_task:
            await _finish_other_tasks(deadline)
        await self.http.close()
        await self.engine.dispose()


async def start_bot(
    settings: Settings,
    *,
    port: int | None = None,
    sock: socket.socket | None = None,
    clock: Clock | None = None,
) -> RunningBot:
    """Check what a wrong setting would break (the template, the database, the tokens, the
    port), apply pending migrations, then start listening. A wrong setting raises ConfigError
    before anything is served; nothing is served before the schema is current, so the first
    request never meets an old table."""
    settings.check_dashboard()
    # A broken retrospective template stops start-up here, not at the first resolve.
    renderer = renderer_for(settings)
    engine = create_engine(settings.database_url)
    # One HTTP session for every Web API call: connections are reused, not opened per call.
    http = build_http_session()
    socket_mode: SocketModeConnection | None = None
    try:
        await wait_for_database(engine, wait_s=settings.database_wait_s)
        checks = build_web_client(settings, session=http)
        await check_bot_token(checks)
        if settings.slack_app_token is not None:
            await check_app_token(checks, settings.slack_app_token)
        if sock is None:
            sock = _listening_socket(settings, port)
        await migrate.upgrade(engine)
        deps = build_deps(settings, session_factory(engine), clock=clock or SystemClock(),
                          renderer=renderer, http=http)
        deps.after_ack.start()
        bolt_app = build_app(deps)
        if settings.slack_app_token is not None:
            socket_mode = SocketModeConnection(bolt_app, settings.slack_app_token)
        # Over HTTP the timeline's events skip Bolt's chain (handlers/timeline_events.py).
        fast_events = (TimelineEventsFastPath(deps)
                       if settings.slack_signing_secret and not settings.socket_mode else None)
        signatures = (SlackSignatures(settings.slack_signing_secret)
                      if settings.slack_signing_secret else None)
        runner = web.AppRunner(build_web_app(bolt_app, engine, deps.after_ack,
                                             signatures=signatures, fast_events=fast_events,
                                             metrics=MetricsPage(deps),
                                             socket_mode=socket_mode,
                                             dashboard=(Dashboard(deps, http)
                                                        if settings.dashboard else None),
                                             hooks=page_hooks(deps)),
                               handle_signals=False, shutdown_timeout=IN_FLIGHT_TIMEOUT_S,
                               access_log_class=AccessLog)
        await runner.setup()
        site = web.SockSite(runner, sock)
        await site.start()
        # /healthz answers 503 until this connects, and whenever it is not connected.
        if socket_mode is not None:
            await socket_mode.connect()
    except BaseException:
        if socket_mode is not None:
            await socket_mode.close(in_hand_timeout=0)
        if sock is not None:
            sock.close()
        await http.close()
        await engine.dispose()
        raise
    # Events a previous process received but did not finish are replayed now, and starts
    # it cut short are finished or abandoned.
    recovery = asyncio.create_task(EventInbox(deps).keep_recovering())
    stopping = asyncio.Event()
    opening_recovery = asyncio.create_task(OpeningRecovery(deps).keep_recovering(stopping))
    card_repair = asyncio.create_task(CardRepair(deps).keep_redrawing())
    # Reminders, digests and nudges, each once whatever the number of replicas.
    scheduler = asyncio.create_task(scheduled_work(deps).keep_running(stopping))
    url = site.name
    log.info("Sitrep is serving on %s (%s)", url,
             "Socket Mode" if socket_mode is not None else f"HTTP, {EVENTS_PATH}")
    return RunningBot(engine=engine, deps=deps, bolt_app=bolt_app, runner=runner,
                      socket_mode=socket_mode, url=url, recovery=recovery,
                      opening_recovery=opening_recovery, card_repair=card_repair,
                      scheduler=scheduler, stopping=stopping, http=http)


def _listening_socket(settings: Settings, port: int | None) -> socket.socket:
    """Bound before the migrations run, so a port in use is said at once."""
    setting = "PORT" if port is None else "--port"
    number = settings.port if port is None else port
    try:
        ipv6 = ":" in settings.host
        return socket.create_server(
            (settings.host, number), backlog=128,
            family=socket.AF_INET6 if ipv6 else socket.AF_INET,
            dualstack_ipv6=settings.host == "::" and socket.has_dualstack_ipv6())
    except OSError as failure:
        if failure.errno == errno.EADDRINUSE:
            raise ConfigError(f"{setting}: port {number} on {settings.host} is already in use "
                              f"by another program; stop it or choose another {setting}."
                              ) from None
        if failure.errno == errno.EACCES:
            raise ConfigError(f"{setting}: port {number} needs privileges Sitrep does not "
                              f"have; choose a port above 1023.") from None
        raise ConfigError(f"SITREP_HOST: cannot listen on {settings.host} port {number} "
                          f"({failure.strerror or failure}); set SITREP_HOST to an address "
                          "of this machine, such as 0.0.0.0 or 127.0.0.1.") from None


def page_hooks(deps: Deps) -> dict[str, Hook]:
    """The paging webhooks whose secret is set; without it the path answers 404."""
    hooks: dict[str, Hook] = {}
    if deps.settings.alertmanager_token:
        hooks[alertmanager_hook.PATH] = alertmanager_hook.AlertmanagerHook(
            deps, deps.settings.alertmanager_token)
    if deps.settings.pagerduty_secret:
        hooks[pagerduty_hook.PATH] = pagerduty_hook.PagerDutyHook(
            deps, deps.settings.pagerduty_secret)
    return hooks


def build_web_app(bolt_app: AsyncApp, engine: AsyncEngine, after_ack: WorkQueue, *,
                  signatures: SlackSignatures | None = None,
                  fast_events: TimelineEventsFastPath | None = None,
                  metrics: MetricsPage | None = None,
                  socket_mode: SocketModeConnection | None = None,
                  dashboard: Dashboard | None = None,
                  hooks: dict[str, Hook] | None = None) -> web.Application:
    """`signatures` None (Socket Mode without a signing secret): nothing over HTTP is Slack's.
    `socket_mode`: healthy only while it is connected. `dashboard`: its pages and API on the
    same port (bot/web/dashboard.py). `hooks`: the paging webhooks, by path (in Socket Mode
    too: pages come over HTTP whatever Slack uses)."""
    web_app = web.Application()
    web_app[BOLT_APP] = bolt_app
    web_app[ENGINE] = engine
    web_app[AFTER_ACK] = after_ack
    web_app[HEALTH_PROBE] = DatabaseProbe(engine)
    if signatures is not None:
        web_app[SIGNATURES] = signatures
    if fast_events is not None:
        web_app[FAST_EVENTS] = fast_events
    if socket_mode is not None:
        web_app[SOCKET_MODE] = socket_mode
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, healthz)
    if metrics is not None:
        web_app.router.add_get(METRICS_PATH, metrics.page)
    if dashboard is not None:
        dashboard.install(web_app)
    for path, hook in (hooks or {}).items():
        web_app.router.add_post(path, _giving_way(hook))
    return web_app


def _giving_way(hook: Hook) -> Hook:
    """The after-ack workers give way while a page is being answered, as for Slack's."""
    async def answer(request: web.Request) -> web.Response:
        with request.app[AFTER_ACK].serving():
            return await hook(request)
    return answer


async def slack_events(request: web.Request) -> web.Response:
    """Every request from Slack, counted by kind and outcome with its time to answer
    (`GET /metrics`)."""
    started = time.perf_counter()
    kind, status = UNREAD, 500
    try:
        kind, response = await _answer_slack(request)
        status = response.status
        return response
    finally:
        observe_request(kind, outcome_of(status), time.perf_counter() - started)


async def _answer_slack(request: web.Request) -> tuple[str, web.Response]:
    """The request's kind and the answer, in this order: no bigger than Slack's ever are,
    signed (checked on the raw bytes, before anything parses them), readable; then a
    timeline event takes the fast path and everything else goes to Bolt. Nothing of a
    refused body is logged."""
    with request.app[AFTER_ACK].serving():
        body = await read_at_most(request, MAX_SLACK_REQUEST_BYTES)
        if body is None:
            log.warning("refused a request of more than %d bytes", MAX_SLACK_REQUEST_BYTES)
            return UNREAD, web.json_response({"error": "request too large"}, status=413)
        signatures = request.app.get(SIGNATURES)
        if signatures is None or not signatures.verified(body, request.headers):
            log.warning("refused a request without a valid Slack signature")
            return UNREAD, web.json_response({"error": "invalid request"}, status=401)
        fast = request.app.get(FAST_EVENTS)
        if fast is not None and await fast.acknowledge(body):
            return EVENT, web.Response(status=200)
        bolt_request = _bolt_request(request, body)
        if bolt_request is None:
            return UNREAD, web.json_response({"error": "malformed request"}, status=400)
        bolt_response = await request.app[BOLT_APP].async_dispatch(bolt_request)
        return kind_of(bolt_request.body), await to_aiohttp_response(bolt_response)


def _bolt_request(request: web.Request, body: bytes) -> AsyncBoltRequest | None:
    """Bolt's request, or None for a signed body Bolt cannot read (not UTF-8, not JSON,
    JSON that is not an object): Bolt parses it as it builds the request."""
    try:
        return AsyncBoltRequest(body=body.decode(), query=request.query_string,
                                headers=request.headers,  # type: ignore[arg-type]
                                context={VERIFIED_AT_THE_EDGE: True})
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError) as bad:
        log.warning("refused a signed request Bolt cannot read (%s)", type(bad).__name__)
        return None


async def healthz(request: web.Request) -> web.Response:
    """200 while the bot can do its work: it is up, migrated, its database answers and (in
    Socket Mode) it is connected to Slack; 503 naming the cause otherwise, within 2 s
    either way."""
    problem = await request.app[HEALTH_PROBE].database_problem()
    if problem is not None:
        log.warning("health check failed: %s", problem)
        return web.json_response({"ok": False, "error": "database_unreachable",
                                  "reason": problem}, status=503)
    socket_mode = request.app.get(SOCKET_MODE)
    if socket_mode is not None and not await socket_mode.connected():
        return web.json_response({"ok": False, "error": "slack_not_connected",
                                  "reason": "Socket Mode is not connected to Slack"},
                                 status=503)
    return web.json_response({"ok": True})


class DatabaseProbe:
    """`SELECT 1`, answered within the health check's budget whatever the database does.

    A busy SQLite holds a query for its busy timeout (5 s) in a worker thread that a
    timeout cannot interrupt, and giving the connection back waits for that thread: the
    probe runs in a task of its own that the health check stops waiting for, rather than
    cancels. While one is still out, later checks wait for it instead of starting more."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._probe: asyncio.Task[None] | None = None

    async def database_problem(self) -> str | None:
        """Why the database is not answering, in a few words; None when it is."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._ask(), name="health-probe")
            # Read even when nobody waits for it any more, so it is never reported as an
            # exception nobody retrieved.
            self._probe.add_done_callback(_consume_exception)
        probe = self._probe
        done, _ = await asyncio.wait({probe}, timeout=HEALTH_DB_TIMEOUT_S)
        if not done:
            return (f"the database did not answer within {HEALTH_DB_TIMEOUT_S:g} s "
                    "(busy, locked or unreachable)")
        failure = probe.exception()
        if failure is None:
            return None
        return f"the database refused: {_first_line(failure)}"

    async def _ask(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


def _consume_exception(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


def _first_line(failure: BaseException) -> str:
    # SQLAlchemy appends the statement and a link on further lines; the first says why.
    said = str(failure).strip().splitlines()
    return f"{type(failure).__name__}: {said[0][:200]}" if said else type(failure).__name__


async def serve_until_stopped(settings: Settings, port: int | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop taking requests and let in-flight work finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    starting = asyncio.create_task(start_bot(settings, port=port))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        # Stopped while waiting for the database or for Slack: nothing was served yet.
        starting.cancel()
        with suppress(asyncio.CancelledError):
            await starting
        log.info("Stopped before start-up finished")
        return
    bot = starting.result()
    try:
        await stopped
        log.info("Stopping: no new requests; finishing work already acknowledged")
    finally:
        await bot.stop(every_task=True)
    log.info("Stopped")


def _left(deadline: float) -> float:
    return max(0.0, deadline - asyncio.get_running_loop().time())


async def _finish(task: asyncio.Task[None], deadline: float) -> None:
    """Let `task` end by itself until `deadline`, then cancel it."""
    await asyncio.wait({task}, timeout=_left(deadline))
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def _finish_other_tasks(deadline: float) -> None:
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if not others:
        return
    _, still_running = await asyncio.wait(others, timeout=_left(deadline))
    if not still_running:
        return
    log.warning("%d pieces of work still running at the deadline were cut short; an "
                "incident start among them is finished or abandoned by the next start-up",
                len(still_running))
    for task in still_running:
        task.cancel()
    await asyncio.wait(still_running, timeout=UNWIND_TIMEOUT_S)
