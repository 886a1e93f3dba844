"""A stateful fake of Slack's Web API and Socket Mode, served over real HTTP by aiohttp.

The test-suite and ``sitrep demo`` point the bot's ``AsyncWebClient`` at ``api_url`` and get
Slack's behaviour: its argument encodings, its error codes, ``ts`` ordering, threads,
reactions, uploads and canvases. Tests play the humans with ``post_human_message`` and
friends, and inject the failures real Slack produces (429s, error codes, 5xx) with
``rate_limit``, ``fail`` and ``server_error``; ``hold`` keeps answers back, for a bot killed
or stopped while Slack is working on its call. With ``rate_tiers=True`` it also throttles
every method by Slack's published limits (``emulator_rate_tiers``).

Run on its own (for a real ``sitrep serve`` to talk to) with
``python -m bot.devtools.slack_emulator --port N [--rate-tiers]``; see ``emulator_process``.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from aiohttp import BodyPartReader, web

from bot.core.clock import Clock
from bot.devtools.emulator_args import Args, decode_json_arguments
from bot.devtools.emulator_control import control_routes
from bot.devtools.emulator_methods import WebApi
from bot.devtools.emulator_openid import OpenIdProvider
from bot.devtools.emulator_rate_tiers import RateTiers
from bot.devtools.emulator_scopes import manifest_scopes, missing_scope
from bot.devtools.emulator_state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    Canvas,
    Channel,
    RecordedCall,
    RecordedResponse,
    SlackError,
    UploadedFile,
    Workspace,
)
from bot.devtools.socket_mode_server import SocketModeServer

__all__ = ["RecordedCall", "RecordedResponse", "SlackEmulator", "SlackError"]

log = logging.getLogger(__name__)

APP_TOKEN = "xapp-1-sitrep-test"
BOT_TOKEN = "xoxb-sitrep-test"
# Methods only an app-level token may call; every other method refuses app-level tokens.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Methods Slack answers without any token.
UNAUTHENTICATED_METHODS = frozenset({"api.test"})
# Sign in with Slack's methods: the client's credentials, or the person's own token.
OPENID_TOKEN = "openid.connect.token"
OPENID_USER_INFO = "openid.connect.userInfo"
OPENID_METHODS = frozenset({OPENID_TOKEN, OPENID_USER_INFO})
MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass
class _Fault:
    kind: Literal["rate_limit", "fail", "server_error", "slow", "drop_connection"]
    remaining: int
    error: str = ""
    retry_after: int = 1
    status: int = 500
    delay: float = 0.0

    @property
    def after_the_work(self) -> bool:
        """Slack did what was asked; only its answer is late or lost."""
        return self.kind in {"slow", "drop_connection"}


class SlackEmulator:
    """Fake Slack for one workspace (team ``T0001``) with the Sitrep bot installed."""

    team_id = TEAM_ID
    bot_user_id = BOT_USER_ID
    bot_id = BOT_ID
    app_id = APP_ID
    bot_token = BOT_TOKEN
    app_token = APP_TOKEN

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        canvases_enabled: bool = True,
        clock: Clock | None = None,
        rate_tiers: bool = False,
        control_api: bool = False,
        scopes: Iterable[str] | None = None,
    ) -> None:
        """``clock`` sets the time message ``ts`` values follow (the demo's moves in jumps)
        and the rate limits refill by; by default the wall clock (monotonic time for the
        limits). ``rate_tiers`` enforces Slack's per-method limits; ``control_api`` serves
        the human side and the recorded calls as JSON under ``/_emulator/``, for a process
        that drives this one from outside. ``scopes`` are the bot token's; by default those
        ``app.yaml`` asks for, so a method the manifest does not cover is refused as Slack
        refuses it (``missing_scope``)."""
        self.host = host
        self.port = port
        self.canvases_enabled = canvases_enabled
        self.valid_tokens: set[str] = {BOT_TOKEN}
        self.app_tokens: set[str] = {APP_TOKEN}
        self.bot_scopes: frozenset[str] | None = (
            manifest_scopes() if scopes is None else frozenset(scopes)
        )
        self.workspace = Workspace(
            now=time.time if clock is None else (lambda: clock.now().timestamp())
        )
        self.api = WebApi(
            self.workspace,
            base_url=lambda: self.base_url,
            canvases_enabled=lambda: self.canvases_enabled,
        )
        # Sign in with Slack: /openid/connect/authorize, its keys, token and userInfo.
        self.openid = OpenIdProvider(self.workspace, issuer=lambda: self.base_url)
        self.calls: list[RecordedCall] = []
        self.responses: list[RecordedResponse] = []
        # Positions already handed out, so concurrent waits for different keys each get
        # their own post.
        self._responses_taken: set[int] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._waiters: set[asyncio.Future[None]] = set()
        self.socket_mode = SocketModeServer(on_change=self._changed)
        self.rate_tiers: RateTiers | None = None
        if rate_tiers:
            self.rate_tiers = RateTiers(
                time.monotonic if clock is None else (lambda: clock.now().timestamp())
            )
        self.control_api = control_api
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

    # -- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> SlackEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the Slack emulator is already running")
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_get("/files-pri/{file_id}/{tail:.*}", self._handle_file_download)
        app.router.add_post("/response/{key}", self._handle_response_url)
        app.router.add_get("/socket", self.socket_mode.handle)
        app.router.add_routes(self.openid.routes())
        if self.control_api:
            app.router.add_routes(control_routes(self))
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._bound_port = int(address[1])

    async def stop(self) -> None:
        if self._runner is None:
            return
        # Open WebSockets would otherwise hold the runner's shutdown until its timeout.
        await self.socket_mode.close()
        self.release()
        await self._runner.cleanup()
        self._runner = None

    @property
    def base_url(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("start the Slack emulator before asking for its URL")
        host = "127.0.0.1" if self.host in {"", "0.0.0.0"} else self.host
        return f"http://{host}:{self._bound_port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # -- recorded calls -----------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    async def wait_for_call(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[RecordedCall]:
        """Wait until ``method`` was called at least ``count`` times (any outcome)."""

        def describe() -> str:
            seen = Counter(call.method for call in self.calls)
            summary = ", ".join(f"{name} x{n}" for name, n in seen.items()) or "no calls at all"
            return (
                f"{method} was called {seen[method]} time(s), expected {count} within "
                f"{timeout}s; methods seen: {summary}"
            )

        await self._wait_until(lambda: len(self.calls_to(method)) >= count, timeout, describe)
        return self.calls_to(method)

    async def wait_until_quiet(
        self, *, quiet_for: float = 0.15, timeout: float = 10.0  # noqa: ASYNC109
    ) -> None:
        """Wait until no Web API call has arrived for ``quiet_for`` seconds: the bot's work
        after an ack (a redraw that follows a concurrent change, say) has run its course."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = len(self.calls)
        while True:
            await asyncio.sleep(quiet_for)
            if len(self.calls) == seen:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"Slack was still being called after {timeout}s")
            seen = len(self.calls)

    # -- fault injection ----------------------------------------------------------------

    def _add_fault(self, method: str, fault: _Fault) -> None:
        if not self._knows(method):
            raise ValueError(f"the emulator does not implement {method!r}; check the name")
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        self._faults.setdefault(method, deque()).append(fault)

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` get HTTP 429 with ``Retry-After``."""
        self._add_fault(method, _Fault("rate_limit", times, retry_after=retry_after))

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get HTTP 200 ``{"ok": false, "error"}``."""
        self._add_fault(method, _Fault("fail", times, error=error))

    def server_error(self, method: str, *, times: int = 1, status: int = 500) -> None:
        """The next ``times`` calls of ``method`` get a bare HTTP ``status`` with a text body."""
        self._add_fault(method, _Fault("server_error", times, status=status))

    def slow(self, method: str, *, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are done at once but answered only after
        ``seconds``: a client with a shorter timeout gives up on work Slack has done."""
        self._add_fault(method, _Fault("slow", times, delay=seconds))

    def drop_connection(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are done, then the connection is dropped
        without an answer (as when a proxy or Slack's edge resets it)."""
        self._add_fault(method, _Fault("drop_connection", times))

    def hold(self, method: str) -> None:
        """Calls of ``method`` are done, but their answers kept back until ``release``: a
        bot that dies or stops meanwhile never hears that Slack did it."""
        if method not in self.api.methods:
            raise ValueError(f"the emulator does not implement {method!r}; check the name")
        self._holds.setdefault(method, asyncio.Event())

    def release(self) -> None:
        """Every answer kept back by ``hold`` is sent, and later calls answered at once."""
        holds, self._holds = self._holds, {}
        for held in holds.values():
            held.set()

    def clear_faults(self) -> None:
        """Slack is healthy again: every injected fault still pending is dropped."""
        self._faults.clear()

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.popleft()
        return fault

    # -- the human side of Slack ----------------------------------------------------------

    def post_human_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        blocks: list[dict[str, Any]] | None = None,
        ts: str | None = None,
    ) -> dict[str, Any]:
        """Store a message a person wrote; returns it (with its ``ts``). Send the matching
        ``message`` event to the bot yourself. ``ts`` backdates it (it must be unused)."""
        self.workspace.user(user)
        message = self.workspace.store_message(
            self.workspace.channel(channel),
            user,
            text,
            thread_ts=thread_ts,
            files=files,
            blocks=blocks,
            ts=ts,
        )
        return copy.deepcopy(message)

    def edit_message(self, channel: str, ts: str, text: str) -> dict[str, Any]:
        author = self.workspace.message(channel, ts).get("user", "")
        return copy.deepcopy(self.workspace.edit_message(channel, ts, author, text=text))

    def delete_message(self, channel: str, ts: str) -> None:
        self.workspace.delete_message(channel, ts)

    def join_channel(self, channel: str, user: str) -> None:
        """A person joins a channel (or an admin adds them), as in Slack's own client."""
        self.workspace.user(user)
        joined = self.workspace.channel(channel)
        if not joined.is_member(user):
            joined.members.append(user)

    def add_human_reaction(self, channel: str, ts: str, user: str, name: str) -> None:
        self.workspace.user(user)
        self.workspace.add_reaction(channel, ts, user, name)

    def remove_human_reaction(self, channel: str, ts: str, user: str, name: str) -> None:
        self.workspace.remove_reaction(channel, ts, user, name)

    def create_channel(
        self, name: str, *, members: list[str] | None = None, is_private: bool = False
    ) -> str:
        """Set up a channel directly (no API call); by default everyone, bot included, is in."""
        return self.workspace.create_channel(name, members=members, is_private=is_private).id

    def convert_to_private(self, channel_id: str) -> None:
        """Someone chose "Convert to private channel": same id, members and messages."""
        self.workspace.channel(channel_id).is_private = True

    def channel(self, channel_id: str) -> Channel:
        return self.workspace.channel(channel_id)

    def channel_by_name(self, name: str) -> Channel | None:
        return self.workspace.channel_by_name(name)

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Top-level messages and thread replies alike, oldest first (copies)."""
        return self.workspace.messages(channel_id)

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str,
        *,
        tz: str = "Europe/London",
        team_id: str = TEAM_ID,
    ) -> None:
        """A person; with another ``team_id``, someone from another company who is in a
        Slack Connect channel."""
        self.workspace.add_user(user_id, name, real_name, tz=tz, team_id=team_id)

    def file_content(self, file_id: str) -> bytes:
        file = self.workspace.files.get(file_id)
        if file is None or file.content is None:
            raise KeyError(f"no uploaded content for file {file_id!r}")
        return file.content

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        return self.workspace.views

    @property
    def canvases(self) -> dict[str, Canvas]:
        return self.workspace.canvases

    @property
    def files(self) -> dict[str, UploadedFile]:
        return self.workspace.files

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        return self.workspace.ephemerals

    # -- response_url -------------------------------------------------------------------

    def response_url(self, key: str) -> str:
        return f"{self.base_url}/response/{key}"

    async def wait_for_response(
        self,
        key: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedResponse:
        """The next response_url post (for ``key``, or any key) not yet returned by an earlier
        wait, so successive waits walk through a sequence of replies."""

        def pending() -> list[RecordedResponse]:
            return [
                response
                for index, response in enumerate(self.responses)
                if index not in self._responses_taken
                if key is None or response.key == key
            ]

        def describe() -> str:
            keys = [response.key for response in self.responses] or "none"
            return f"no new response_url post for key {key!r} within {timeout}s; seen: {keys}"

        await self._wait_until(lambda: bool(pending()), timeout, describe)
        response = pending()[0]
        self._responses_taken.add(next(i for i, r in enumerate(self.responses) if r is response))
        return response

    # -- Socket Mode --------------------------------------------------------------------

    async def wait_for_socket_connection(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        count: int = 1,
    ) -> None:
        """Wait until an app is connected over Socket Mode and at least ``count`` connections
        were made in all (``count=2`` waits for a reconnect after ``socket_mode_disconnect``)."""
        await self._wait_until(
            lambda: (
                self.socket_mode.connection_count >= count
                and bool(self.socket_mode.open_connections())
            ),
            timeout,
            lambda: (
                f"no Socket Mode connection #{count} within {timeout}s "
                f"({self.socket_mode.connection_count} made so far)"
            ),
        )

    async def socket_mode_send(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver an envelope to the connected app; returns its ``envelope_id``."""
        return await self.socket_mode.send(
            type,
            payload,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )

    async def wait_for_socket_ack(
        self,
        envelope_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any] | None:
        """The ack's ``payload`` once the app acknowledged the envelope (None if it had none)."""
        await self._wait_until(
            lambda: envelope_id in self.socket_mode.acks,
            timeout,
            lambda: f"envelope {envelope_id} was not acknowledged within {timeout}s",
        )
        payload = self.socket_mode.acks[envelope_id].get("payload")
        return payload if isinstance(payload, dict) else None

    async def socket_mode_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message; the SDK then reconnects on a fresh URL."""
        await self.socket_mode.disconnect(reason)

    # -- waiting ------------------------------------------------------------------------

    def _changed(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def _wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109
        describe: Callable[[], str],
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe())
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait([waiter], timeout=remaining)
            finally:
                self._waiters.discard(waiter)

    # -- HTTP handlers ------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        response = await self._call_api(request)
        held = self._holds.get(request.match_info["method"])
        if held is not None:
            await held.wait()
        return response

    async def _call_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            raw_args = await self._read_arguments(request)
        except ValueError:
            return self._answer(method, {}, None, 200, {"ok": False, "error": "invalid_json"})
        args = decode_json_arguments(raw_args)
        token = self._token(request, args)

        if not self._knows(method):
            return self._answer(method, args, token, 404, {"ok": False, "error": "unknown_method"})

        fault = self._take_fault(method)
        if fault is not None and not fault.after_the_work:
            return self._fault_answer(method, args, token, fault)
        if method in OPENID_METHODS:
            response = self._openid(method, args, token, request)
        else:
            response = self._do(method, args, token)
        if fault is None:
            return response
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return response
        # Done, and no answer: the client sees the connection close under it.
        assert request.transport is not None
        request.transport.abort()
        return response

    def _knows(self, method: str) -> bool:
        return (method in self.api.methods or method in APP_TOKEN_METHODS
                or method in OPENID_METHODS)

    def _openid(self, method: str, args: dict[str, Any], token: str | None,
                request: web.Request) -> web.Response:
        """Sign in with Slack's methods take no bot token: the token exchange is
        authenticated by the app's client id and secret (HTTP Basic, or form fields), and
        userInfo by the person's own access token."""
        try:
            if method == OPENID_TOKEN:
                body = self.openid.token(Args(args), basic_auth=_basic_auth(request))
            else:
                if token is None:
                    raise SlackError("not_authed")
                body = self.openid.user_info(token)
        except SlackError as error:
            return self._answer(method, args, token, error.status,
                                {"ok": False, "error": error.code, **error.extra})
        return self._answer(method, args, token, 200, {"ok": True, **body})

    def _do(self, method: str, args: dict[str, Any], token: str | None) -> web.Response:
        refusal = self._auth_refusal(method, token)
        if refusal is not None:
            return self._answer(method, args, token, 200, {"ok": False, "error": refusal})

        if token in self.valid_tokens and self.bot_scopes is not None:
            needed = missing_scope(method, args, self.workspace, self.bot_scopes)
            if needed is not None:
                return self._missing_scope(method, args, token, needed, self.bot_scopes)

        if self.rate_tiers is not None:
            retry_after = self.rate_tiers.admit(method, args)
            if retry_after is not None:
                return self._rate_limited(method, args, token, retry_after)

        try:
            if method == "apps.connections.open":
                body = self._apps_connections_open()
            else:
                body = self.api.methods[method](Args(args))
        except SlackError as error:
            answer = {"ok": False, "error": error.code, **error.extra}
            return self._answer(method, args, token, error.status, answer)
        return self._answer(method, args, token, 200, {"ok": True, **body})

    @staticmethod
    async def _read_arguments(request: web.Request) -> dict[str, Any]:
        """Query string, JSON body, form fields and multipart parts merged, as Slack does."""
        args: dict[str, Any] = dict(request.query)
        if not request.can_read_body:
            return args
        content_type = request.content_type
        if content_type == "application/json":
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            args.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    args[part.name] = await part.read(decode=True)
                else:
                    args[part.name] = await part.text()
        else:
            # Slack reads form-encoded bodies even without a content type.
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    args[name] = value.file.read()
                else:
                    args[name] = value if isinstance(value, str) else bytes(value)
        return args

    @staticmethod
    def _token(request: web.Request, args: dict[str, Any]) -> str | None:
        token_arg = args.pop("token", None)
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ").strip() or None
        return str(token_arg) if token_arg else None

    def _auth_refusal(self, method: str, token: str | None) -> str | None:
        if method in UNAUTHENTICATED_METHODS:
            return None
        if token is None:
            return "not_authed"
        if token in self.app_tokens:
            return None if method in APP_TOKEN_METHODS else "not_allowed_token_type"
        if token in self.valid_tokens:
            return "not_allowed_token_type" if method in APP_TOKEN_METHODS else None
        return "invalid_auth"

    def _apps_connections_open(self) -> dict[str, Any]:
        ws_base = self.base_url.replace("http://", "ws://", 1)
        return {"url": f"{ws_base}/socket?ticket={self.socket_mode.issue_ticket()}"}

    def _fault_answer(
        self, method: str, args: dict[str, Any], token: str | None, fault: _Fault
    ) -> web.Response:
        if fault.kind == "rate_limit":
            return self._rate_limited(method, args, token, fault.retry_after)
        if fault.kind == "fail":
            return self._answer(method, args, token, 200, {"ok": False, "error": fault.error})
        self._record(method, args, token, ok=False, error=None, status=fault.status)
        return web.Response(
            status=fault.status,
            text=f"{fault.status} emulated server error",
            content_type="text/plain",
        )

    def _missing_scope(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        needed: str,
        provided: frozenset[str],
    ) -> web.Response:
        granted = ",".join(sorted(provided))
        response = self._answer(
            method,
            args,
            token,
            200,
            {"ok": False, "error": "missing_scope", "needed": needed, "provided": granted},
        )
        # As Slack does: the token's scopes and those the method accepts, in headers.
        response.headers["X-OAuth-Scopes"] = granted
        response.headers["X-Accepted-OAuth-Scopes"] = needed
        return response

    def _rate_limited(
        self, method: str, args: dict[str, Any], token: str | None, retry_after: int
    ) -> web.Response:
        response = self._answer(method, args, token, 429, {"ok": False, "error": "ratelimited"})
        response.headers["Retry-After"] = str(retry_after)
        return response

    def _answer(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        status: int,
        body: dict[str, Any],
    ) -> web.Response:
        ok = bool(body.get("ok"))
        error = None if ok else str(body.get("error"))
        self._record(method, args, token, ok=ok, error=error, status=status)
        if not ok:
            log.debug("emulated %s refused: %s", method, error)
        return web.json_response(body, status=status)

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        *,
        ok: bool,
        error: str | None,
        status: int,
    ) -> None:
        self.calls.append(RecordedCall(method, args, ok, error, status, token))
        self._changed()

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        file = self.workspace.files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404, text="file not found", content_type="text/plain")
        if request.content_type == "multipart/form-data":
            content = b""
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, BodyPartReader):
                    content = await part.read(decode=True)
                    break
        else:
            content = await request.read()
        file.content = content
        self._changed()
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    async def _handle_file_download(self, request: web.Request) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token not in self.valid_tokens:
            # Slack answers an unauthenticated url_private fetch with its login page.
            return web.Response(status=302, headers={"Location": "https://slack.com/signin"})
        file = self.workspace.files.get(request.match_info["file_id"])
        if file is None or file.content is None:
            return web.Response(status=404, text="file not found", content_type="text/plain")
        return web.Response(body=file.content, content_type="application/octet-stream")

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            if request.content_type == "application/json":
                body = json.loads(raw or b"{}")
            else:
                form = await request.post()
                body = json.loads(str(form.get("payload", "{}")))
        except ValueError:
            return web.Response(status=400, text="invalid_payload", content_type="text/plain")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload", content_type="text/plain")
        self.responses.append(RecordedResponse(request.match_info["key"], body))
        self._changed()
        return web.Response(text="ok", content_type="text/plain")


def _basic_auth(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ").strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (client_id, secret) if separator else None


if __name__ == "__main__":
    from bot.devtools.emulator_process import main

    raise SystemExit(main())
