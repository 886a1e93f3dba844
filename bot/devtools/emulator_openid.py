"""Sign in with Slack (OpenID Connect), as the emulator plays it.

Slack's flow (api.slack.com/authentication/sign-in-with-slack): the browser goes to
``/openid/connect/authorize`` with ``response_type=code``, ``scope=openid profile email``,
``client_id``, ``redirect_uri``, ``state``, ``nonce`` and optionally ``team``; Slack sends it
back to the ``redirect_uri`` with ``code`` and ``state``. The app exchanges the code with
``openid.connect.token`` (client id and secret) for an access token and an RS256
``id_token`` signed with a key published at ``/openid/connect/keys``;
``openid.connect.userInfo`` answers with the same claims for the access token.

Here the person is whoever ``sign_in_as`` chose (Alice by default): the authorize page
sends the browser straight back. ``next_id_token`` changes the claims of the next token
(a wrong nonce, another workspace, an expired token), as a hostile or broken provider
would; ``forge_next_id_token`` signs it as Slack never would (another key, no signature,
or HS256 keyed with Slack's public key), as a forger would; ``reject_next_authorization``
answers as Slack does when a person clicks Cancel."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.devtools.emulator_args import Args
from bot.devtools.emulator_state import TEAM_DOMAIN, TEAM_NAME, SlackError, Workspace

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "emulated-client-secret-0123456789abcdef"
AUTHORIZE_PATH = "/openid/connect/authorize"
KEYS_PATH = "/openid/connect/keys"
ID_TOKEN_LIFETIME_S = 3600
CODE_LIFETIME_S = 600
USER_TOKEN_PREFIX = "xoxp-openid-"
SCOPES = frozenset({"openid", "profile", "email"})

Forgery = Literal["other_key", "unsigned", "hs256_with_public_key"]


@dataclass(frozen=True)
class _Grant:
    user_id: str
    client_id: str
    redirect_uri: str
    nonce: str | None
    scopes: frozenset[str]
    issued_at: float


class OpenIdProvider:
    def __init__(self, workspace: Workspace, *, issuer: Callable[[], str]) -> None:
        self.ws = workspace
        self._issuer = issuer
        self.clients: dict[str, str] = {CLIENT_ID: CLIENT_SECRET}
        self.signed_in_user = "U0ALICE"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = f"emulator-{secrets.token_hex(4)}"
        self._codes: dict[str, _Grant] = {}
        self.user_tokens: dict[str, _Grant] = {}
        self._next_claims: dict[str, Any] = {}
        self._forge_next: Forgery | None = None
        self._reject_next: str | None = None

    # -- the test's side ------------------------------------------------------------------

    def sign_in_as(self, user_id: str) -> None:
        """Whoever goes through the authorize page next is this person."""
        self.ws.user(user_id)
        self.signed_in_user = user_id

    def next_id_token(self, **claims: Any) -> None:
        """The next id_token carries these claims instead (``None`` removes one)."""
        self._next_claims.update(claims)

    def forge_next_id_token(self, forgery: Forgery) -> None:
        self._forge_next = forgery

    def reject_next_authorization(self, error: str = "access_denied") -> None:
        self._reject_next = error

    # -- HTTP -----------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [web.get(AUTHORIZE_PATH, self.authorize), web.get(KEYS_PATH, self.keys)]

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id not in self.clients:
            return _page(400, "invalid_client_id")
        if not redirect_uri.startswith(("http://", "https://")):
            return _page(400, "bad_redirect_uri")
        scopes = frozenset(query.get("scope", "").split())
        if query.get("response_type") != "code" or "openid" not in scopes \
                or not scopes <= SCOPES:
            return _page(400, "invalid_scope")
        back: dict[str, str] = {}
        if self._reject_next is not None:
            back["error"] = self._reject_next
            self._reject_next = None
        else:
            code = secrets.token_urlsafe(24)
            self._codes[code] = _Grant(user_id=self.signed_in_user, client_id=client_id,
                                       redirect_uri=redirect_uri, nonce=query.get("nonce"),
                                       scopes=scopes, issued_at=self.ws.clock.now())
            back["code"] = code
        if "state" in query:
            back["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(redirect_uri + separator + urlencode(back))

    async def keys(self, _request: web.Request) -> web.Response:
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return web.json_response({"keys": [{**public, "kid": self.key_id, "alg": "RS256",
                                             "use": "sig"}]})

    # -- Web API methods ------------------------------------------------------------------

    def token(self, args: Args, *, basic_auth: tuple[str, str] | None) -> dict[str, Any]:
        """``openid.connect.token``: the code for tokens, once."""
        client_id, client_secret = basic_auth or (args.text("client_id") or "",
                                                  args.text("client_secret") or "")
        if client_id not in self.clients:
            raise SlackError("invalid_client_id")
        if not secrets.compare_digest(self.clients[client_id], client_secret):
            raise SlackError("bad_client_secret")
        grant_type = args.text("grant_type") or "authorization_code"
        if grant_type != "authorization_code":
            raise SlackError("invalid_grant_type")
        grant = self._codes.pop(args.text("code") or "", None)
        if grant is None or self.ws.clock.now() - grant.issued_at > CODE_LIFETIME_S:
            raise SlackError("invalid_code")
        if grant.client_id != client_id:
            raise SlackError("invalid_code")
        if (args.text("redirect_uri") or "") != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        access_token = USER_TOKEN_PREFIX + secrets.token_hex(16)
        self.user_tokens[access_token] = grant
        return {"access_token": access_token, "token_type": "Bearer",
                "id_token": self._id_token(grant)}

    def user_info(self, token: str | None) -> dict[str, Any]:
        """``openid.connect.userInfo`` for an access token from ``openid.connect.token``."""
        grant = self.user_tokens.get(token or "")
        if grant is None:
            raise SlackError("invalid_auth")
        return self._claims(grant, id_token=False)

    def _id_token(self, grant: _Grant) -> str:
        claims = {**self._claims(grant, id_token=True), **self._next_claims}
        self._next_claims = {}
        claims = {name: value for name, value in claims.items() if value is not None}
        forgery, self._forge_next = self._forge_next, None
        if forgery == "other_key":
            stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": self.key_id})
        if forgery == "unsigned":
            return _unsigned(claims, key_id=self.key_id)
        if forgery == "hs256_with_public_key":
            public = self._key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            return _hs256(claims, public, key_id=self.key_id)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def _claims(self, grant: _Grant, *, id_token: bool) -> dict[str, Any]:
        user = self.ws.user(grant.user_id)
        now = int(self.ws.clock.now())
        claims: dict[str, Any] = {
            "sub": user.id,
            "https://slack.com/user_id": user.id,
            "https://slack.com/team_id": user.team_id,
            "https://slack.com/team_name": TEAM_NAME,
            "https://slack.com/team_domain": TEAM_DOMAIN,
            "name": user.real_name,
            "given_name": user.real_name.split()[0],
            "locale": "en-GB",
        }
        if "email" in grant.scopes and user.email is not None:
            claims |= {"email": user.email, "email_verified": True,
                       "date_email_verified": now}
        if "profile" in grant.scopes:
            claims["picture"] = f"https://example.invalid/{user.name}_512.png"
        if id_token:
            claims |= {"iss": self._issuer(), "aud": grant.client_id, "iat": now,
                       "exp": now + ID_TOKEN_LIFETIME_S, "auth_time": now}
            if grant.nonce is not None:
                claims["nonce"] = grant.nonce
        return claims


def _segment(value: dict[str, Any]) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")


def _unsigned(claims: dict[str, Any], *, key_id: str) -> str:
    """`alg: none` (PyJWT will not write one)."""
    return (_segment({"alg": "none", "typ": "JWT", "kid": key_id}) + b"."
            + _segment(claims) + b".").decode()


def _hs256(claims: dict[str, Any], secret: bytes, *, key_id: str) -> str:
    """HS256 keyed with bytes anyone can read (PyJWT refuses a PEM key for HMAC)."""
    signed = _segment({"alg": "HS256", "typ": "JWT", "kid": key_id}) + b"." + _segment(claims)
    signature = base64.urlsafe_b64encode(
        hmac.new(secret, signed, hashlib.sha256).digest()).rstrip(b"=")
    return (signed + b"." + signature).decode()


def _page(status: int, error: str) -> web.Response:
    return web.Response(status=status, text=f"Sign in with Slack failed: {error}",
                        content_type="text/plain")
