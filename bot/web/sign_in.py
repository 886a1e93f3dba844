"""Sign in with Slack (OpenID Connect) for the dashboard.

The person is sent to Slack's authorize page (`/openid/connect/authorize` at the origin of
SLACK_API_URL) with a `state` and a `nonce` kept in their session; Slack sends them back
with a code, which `openid.connect.token` exchanges for an `id_token`. That token is
believed only once PyJWT has checked it: signed RS256 by a key Slack publishes at
`/openid/connect/keys`, issued by Slack, for this app (`aud`), not expired, carrying the
nonce this browser was given, and from the workspace the bot is installed in."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import ClientError, ClientSession
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock
from bot.core.settings import Settings

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/openid/connect/authorize"
KEYS_PATH = "/openid/connect/keys"
CALLBACK_PATH = "/login/callback"
SCOPE = "openid profile email"
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "nonce", TEAM_CLAIM]
# Clocks differ a little between Slack and us.
LEEWAY_S = 60
# Slack's keys are read again after this long, or at once for a key id never seen (a
# rotation), but no more than once a minute whatever tokens arrive.
KEYS_TTL_S = 3600.0
KEYS_REFRESH_MIN_S = 60.0
KEYS_TIMEOUT_S = 10.0


class SignInRefused(Exception):
    """The sign-in is not believed. `reason` is for the person; `detail` for the log."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    team_id: str
    name: str


TRY_AGAIN = "Slack did not confirm who you are. Sign in again."
OTHER_WORKSPACE = ("You signed in to another Slack workspace. Sitrep's dashboard is for "
                   "the people of the workspace it is installed in: sign in with that one.")


class SlackSignIn:
    def __init__(self, settings: Settings, http: ClientSession, clock: Clock,
                 installed_team: Callable[[], Awaitable[str]]) -> None:
        assert settings.slack_client_id and settings.slack_client_secret and settings.public_url
        self.client_id = settings.slack_client_id
        self._client_secret = settings.slack_client_secret
        self.redirect_uri = settings.public_url.rstrip("/") + CALLBACK_PATH
        self.origin = settings.slack_origin
        self.http = http
        self.clock = clock
        self.installed_team = installed_team
        # No token: openid.connect.token is authenticated by the client id and secret.
        self.web = AsyncWebClient(token=None, base_url=settings.slack_api_url, session=http)
        self._keys: jwt.PyJWKSet | None = None
        self._keys_read_at = 0.0
        self._keys_lock = asyncio.Lock()

    def authorize_url(self, *, state: str, nonce: str, team_id: str) -> str:
        query = {"response_type": "code", "scope": SCOPE, "client_id": self.client_id,
                 "state": state, "nonce": nonce, "redirect_uri": self.redirect_uri}
        if team_id:
            query["team"] = team_id
        return f"{self.origin}{AUTHORIZE_PATH}?{urlencode(query)}"

    async def signed_in(self, code: str, *, nonce: str) -> SignedIn:
        """The person Slack vouches for, or `SignInRefused`."""
        try:
            answer = await self.web.openid_connect_token(
                client_id=self.client_id, client_secret=self._client_secret, code=code,
                redirect_uri=self.redirect_uri, grant_type="authorization_code")
        except SlackApiError as refusal:
            said = refusal.response.data
            error = said.get("error") if isinstance(said, dict) else None
            raise SignInRefused(TRY_AGAIN, f"openid.connect.token refused: "
                                           f"{error or refusal.response.status_code}") from None
        except (ClientError, TimeoutError) as failure:
            raise SignInRefused("Slack could not be reached. Try again in a moment.",
                                f"openid.connect.token: {type(failure).__name__}") from None
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused(TRY_AGAIN, "openid.connect.token gave no id_token")
        claims = await self._verified(id_token, nonce=nonce)
        team = str(claims[TEAM_CLAIM])
        installed = await self.installed_team()
        if not installed or team != installed:
            raise SignInRefused(OTHER_WORKSPACE, f"id_token for team {team!r}, not the "
                                                 f"installed {installed!r}")
        return SignedIn(user_id=str(claims.get(USER_CLAIM) or claims["sub"]), team_id=team,
                        name=str(claims.get("name") or claims.get("given_name") or ""))

    async def _verified(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        try:
            key_id = jwt.get_unverified_header(id_token).get("kid")
            key = await self._key(str(key_id or ""))
            # Expiry is checked against the bot's clock below (tests move it).
            claims: dict[str, Any] = jwt.decode(
                id_token, key=key, algorithms=["RS256"], audience=self.client_id,
                issuer=self.origin,
                options={"require": REQUIRED_CLAIMS, "verify_exp": False,
                         "verify_iat": False})
        except jwt.PyJWTError as bad:
            raise SignInRefused(TRY_AGAIN, f"id_token refused: {bad}") from None
        now = self.clock.now().timestamp()
        if not isinstance(claims["exp"], int | float) or claims["exp"] + LEEWAY_S < now:
            raise SignInRefused(TRY_AGAIN, "id_token expired")
        if not hmac.compare_digest(str(claims["nonce"]), nonce):
            raise SignInRefused(TRY_AGAIN, "id_token carries another nonce")
        return claims

    async def _key(self, key_id: str) -> jwt.PyJWK:
        keys = await self._key_set(refresh=False)
        found = _find(keys, key_id)
        if found is None:
            found = _find(await self._key_set(refresh=True), key_id)
        if found is None:
            raise jwt.InvalidKeyError(f"no key {key_id!r} among Slack's keys")
        return found

    async def _key_set(self, *, refresh: bool) -> jwt.PyJWKSet | None:
        async with self._keys_lock:
            age = time.monotonic() - self._keys_read_at
            stale = self._keys is None or age > KEYS_TTL_S
            if stale or (refresh and age > KEYS_REFRESH_MIN_S):
                self._keys = await self._read_keys()
                self._keys_read_at = time.monotonic()
            return self._keys

    async def _read_keys(self) -> jwt.PyJWKSet:
        try:
            async with self.http.get(self.origin + KEYS_PATH,
                                     timeout=KEYS_TIMEOUT_S) as response:  # type: ignore[arg-type]
                response.raise_for_status()
                return jwt.PyJWKSet.from_dict(await response.json())
        except (ClientError, TimeoutError, ValueError, jwt.PyJWTError) as failure:
            raise SignInRefused("Slack could not be reached. Try again in a moment.",
                                f"Slack's keys: {type(failure).__name__}") from None


def _find(keys: jwt.PyJWKSet | None, key_id: str) -> jwt.PyJWK | None:
    if keys is None:
        return None
    return next((key for key in keys.keys if key.key_id == key_id), None)
