"""The dashboard, served by the bot's own aiohttp process (on when SLACK_CLIENT_ID is set):
Sign in with Slack, sessions, who may see what, and the headers every answer carries.

Routes (`install`): `GET /` the incident list, `/incidents/<N>`, `/insights`, `/login` (to Slack),
`/login/callback` (from Slack), `/logout` (GET asks, POST signs out), the JSON API under
`/api/`, and `/static/`. Without a session a page answers 302 to `/login` and the API 401;
a private incident exists only for the members of its channel."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import ClientSession, web
from aiohttp_session import Session, get_session, new_session, session_middleware

from bot.deps import Deps
from bot.slack.failures import SlackFailure
from bot.usecases.dashboard_reading import DashboardReading, Viewer
from bot.web import sessions
from bot.web.presenting import render, templates
from bot.web.sign_in import CALLBACK_PATH, SignInRefused, SlackSignIn

log = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
STATIC_PATH = "/static"
STATIC_FOLDER = Path(__file__).parent / "static"
DASHBOARD_ROUTE = "dashboard"
API_PREFIX = "/api/"

# No inline script or style, nothing from elsewhere, never in a frame.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# A year of HTTPS only, once the dashboard is served over it.
HSTS = "max-age=31536000"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Dashboard:
    def __init__(self, deps: Deps, http: ClientSession) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.reading = DashboardReading(deps)
        self.sign_in = SlackSignIn(deps.settings, http, deps.clock, self.installed_team)
        self.templates = templates(deps.settings.timezone)
        self._origin = _origin(deps.settings.public_url or "")

    async def installed_team(self) -> str:
        """The bot token's workspace (auth.test, asked once and kept)."""
        return await self.deps.slack.team_id()

    # -- wiring ---------------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        from bot.web.api import Api
        from bot.web.insights_page import InsightsPage
        from bot.web.pages import Pages

        sessions_middleware = session_middleware(sessions.session_storage(self.settings))

        @web.middleware
        async def dashboard_sessions(request: web.Request,
                                     handler: Handler) -> web.StreamResponse:
            # Slack's requests, health checks and scrapes carry no session.
            if not _is_dashboard(request):
                return await handler(request)
            return await sessions_middleware(request, handler)

        app.middlewares.extend([self._headers, self._no_stack_traces, dashboard_sessions])
        pages, api, insights = Pages(self), Api(self), InsightsPage(self)
        routes = [
            web.get("/", pages.incident_list, name=f"{DASHBOARD_ROUTE}.list"),
            web.get("/incidents/{number:\\d{1,9}}", pages.incident,
                    name=f"{DASHBOARD_ROUTE}.incident"),
            web.get(LOGIN_PATH, self.login, name=f"{DASHBOARD_ROUTE}.login"),
            web.get(CALLBACK_PATH, self.callback, name=f"{DASHBOARD_ROUTE}.callback"),
            web.get(LOGOUT_PATH, self.logout_page, name=f"{DASHBOARD_ROUTE}.logout"),
            web.post(LOGOUT_PATH, self.logout, name=f"{DASHBOARD_ROUTE}.logout_post"),
            *api.routes(),
            *insights.routes(),
        ]
        app.router.add_routes(routes)
        app.router.add_static(STATIC_PATH, STATIC_FOLDER, name=f"{DASHBOARD_ROUTE}.static")

    # -- who is asking --------------------------------------------------------------------

    async def viewer(self, request: web.Request) -> Viewer | None:
        """The signed-in person, or None (no session, an expired or tampered cookie, or a
        session from another workspace than the one the bot now serves)."""
        session = await get_session(request)
        user, team, at = (session.get(sessions.USER), session.get(sessions.TEAM),
                          session.get(sessions.SIGNED_IN_AT))
        if not isinstance(user, str) or not isinstance(team, str) \
                or not isinstance(at, int | float):
            return None
        age = self.deps.clock.now().timestamp() - at
        if not 0 <= age <= sessions.SESSION_TTL_S:
            return None
        if team != await self.installed_team():
            return None
        return Viewer(user_id=user, team_id=team, name=str(session.get(sessions.NAME) or ""))

    async def page_viewer(self, request: web.Request) -> Viewer:
        """The signed-in person, or a redirect to sign in that comes back here."""
        viewer = await self.viewer(request)
        if viewer is None:
            raise web.HTTPFound(f"{LOGIN_PATH}?{urlencode({'next': request.path_qs})}")
        return viewer

    async def api_viewer(self, request: web.Request) -> Viewer:
        viewer = await self.viewer(request)
        if viewer is None:
            raise web.HTTPUnauthorized(
                text='{"error": "not_signed_in", "message": "Sign in at /login first."}',
                content_type="application/json")
        return viewer

    async def csrf_token(self, request: web.Request) -> str:
        session = await get_session(request)
        token = session.get(sessions.CSRF)
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            session[sessions.CSRF] = token
        return token

    def page(self, template: str, values: dict[str, Any], *, status: int = 200,
             viewer: Viewer | None = None, csrf: str = "") -> web.Response:
        html = render(self.templates, template, {"viewer": viewer, "csrf": csrf, "nav": "",
                                                 **values})
        return web.Response(text=html, status=status, content_type="text/html",
                            charset="utf-8")

    # -- signing in and out ---------------------------------------------------------------

    async def login(self, request: web.Request) -> web.StreamResponse:
        """To Slack's authorize page, with a fresh state and nonce kept in the session."""
        session = await get_session(request)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        session[sessions.PENDING_STATE] = state
        session[sessions.PENDING_NONCE] = nonce
        session[sessions.PENDING_NEXT] = _local_path(request.query.get("next", "/"))
        try:
            team = await self.installed_team()
        except SlackFailure as failure:
            log.warning("dashboard: the bot's workspace is unknown (auth.test: %s); signing "
                        "in without naming it", failure.error)
            team = ""
        raise web.HTTPFound(self.sign_in.authorize_url(state=state, nonce=nonce,
                                                       team_id=team))

    async def callback(self, request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        state = session.pop(sessions.PENDING_STATE, None)
        nonce = session.pop(sessions.PENDING_NONCE, None)
        next_path = _local_path(str(session.pop(sessions.PENDING_NEXT, "/")))
        given_state = request.query.get("state", "")
        if not isinstance(state, str) or not isinstance(nonce, str) \
                or not hmac.compare_digest(state, given_state):
            log.warning("dashboard: a sign-in came back without the state this browser "
                        "was given")
            return self._refused("That sign-in link was not started here, or has already "
                                 "been used. Sign in again.")
        if "error" in request.query or "code" not in request.query:
            return self._refused("Sign in with Slack was cancelled.", status=400)
        try:
            person = await self.sign_in.signed_in(request.query["code"], nonce=nonce)
        except SignInRefused as refused:
            log.warning("dashboard: sign-in refused: %s", refused.detail)
            return self._refused(refused.reason)
        fresh = await new_session(request)
        fresh[sessions.USER] = person.user_id
        fresh[sessions.TEAM] = person.team_id
        fresh[sessions.NAME] = person.name
        fresh[sessions.SIGNED_IN_AT] = int(self.deps.clock.now().timestamp())
        fresh[sessions.CSRF] = secrets.token_urlsafe(32)
        log.info("dashboard: %s signed in", person.user_id)
        raise web.HTTPFound(next_path)

    def _refused(self, reason: str, *, status: int = 403) -> web.Response:
        return self.page("signed_out.html.j2", {"title": "Not signed in", "reason": reason},
                         status=status)

    async def logout_page(self, request: web.Request) -> web.StreamResponse:
        viewer = await self.viewer(request)
        if viewer is None:
            return self.page("signed_out.html.j2", {"title": "Signed out",
                                                    "reason": "You are signed out."})
        return self.page("logout.html.j2", {"title": "Sign out"}, viewer=viewer,
                         csrf=await self.csrf_token(request))

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        await self.check_form(request, session)
        session.invalidate()
        raise web.HTTPSeeOther(LOGOUT_PATH)

    async def check_form(self, request: web.Request, session: Session) -> None:
        """A form that changes something must come from one of our own pages: the token
        that page carried, and no other site's Origin."""
        origin = request.headers.get("Origin")
        if origin is not None and origin != self._origin:
            raise web.HTTPForbidden(text="This form came from another site.")
        form = await request.post()
        expected = session.get(sessions.CSRF)
        given = form.get("csrf")
        if not isinstance(expected, str) or not isinstance(given, str) \
                or not hmac.compare_digest(expected, given):
            raise web.HTTPForbidden(text="This form has expired; go back, reload and try "
                                         "again.")

    # -- every answer ---------------------------------------------------------------------

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as answer:
            self._secure(request, answer)
            raise
        self._secure(request, response)
        return response

    def _secure(self, request: web.Request, response: web.StreamResponse) -> None:
        if response.prepared:
            return
        response.headers.update(SECURITY_HEADERS)
        if self.settings.cookies_secure:
            response.headers["Strict-Transport-Security"] = HSTS
        if _is_dashboard(request) and not request.path.startswith(STATIC_PATH + "/"):
            # People's incidents: not kept by the browser's cache or a proxy's.
            response.headers["Cache-Control"] = "no-store"

    @web.middleware
    async def _no_stack_traces(self, request: web.Request,
                               handler: Handler) -> web.StreamResponse:
        """A dashboard page that fails says so in a sentence; the trace goes to the log."""
        if not _is_dashboard(request):
            return await handler(request)
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("dashboard: %s %s failed", request.method, request.path)
            if request.path.startswith(API_PREFIX):
                return web.json_response({"error": "internal_error",
                                          "message": "Something went wrong; it is logged."},
                                         status=500)
            return self.page("error.html.j2", {"title": "Something went wrong"}, status=500)


def _is_dashboard(request: web.Request) -> bool:
    route = request.match_info.route
    return bool(route.name and route.name.startswith(DASHBOARD_ROUTE + "."))


# The path rides in the session cookie until Slack sends the person back; browsers drop a
# cookie past 4 KB, and the sign-in would then come back to no session at all.
LONGEST_NEXT = 2000


def _local_path(path: str) -> str:
    """Where to go after signing in: a path on this site, never another site's address."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//") \
            or "\\" in path or len(path) > LONGEST_NEXT \
            or not path.isprintable():
        return "/"
    return path


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
