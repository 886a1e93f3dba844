"""A stand-in for the one PagerDuty REST call Sitrep makes, `GET /users/{id}`, answering as
PagerDuty does (its REST API reference: a `user` object; 401 with error code 2006 for a key
it refuses, 404 with 2100 for a user it does not know)."""

from __future__ import annotations

import socket
from types import TracebackType

from aiohttp import web


class PagerDutyEmulator:
    def __init__(self, token: str) -> None:
        self.token = token
        self.users: dict[str, dict[str, str]] = {}
        self.asked: list[str] = []
        self._runner: web.AppRunner | None = None
        self.api_url = ""

    def add_user(self, user_id: str, name: str, email: str) -> None:
        self.users[user_id] = {"id": user_id, "type": "user", "name": name, "email": email,
                               "summary": name,
                               "html_url": f"https://acme.pagerduty.com/users/{user_id}"}

    async def __aenter__(self) -> PagerDutyEmulator:
        app = web.Application()
        app.router.add_get("/users/{user_id}", self._user)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.api_url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        await web.SockSite(self._runner, sock).start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user_id"]
        self.asked.append(user_id)
        if request.headers.get("Authorization") != f"Token token={self.token}":
            return web.json_response({"error": {"message": "Invalid Credentials",
                                                "code": 2006}}, status=401)
        user = self.users.get(user_id)
        if user is None:
            return web.json_response({"error": {"message": "Not Found", "code": 2100}},
                                     status=404)
        return web.json_response({"user": user})
