"""The dashboard's sessions: the signed-in person in an encrypted, authenticated cookie
(aiohttp-session's Fernet storage), HttpOnly, SameSite=Lax, Secure unless the dashboard is
plain HTTP on this machine, and good for `SESSION_TTL_S`.

The cookie key is derived from SITREP_SESSION_SECRET with HKDF, so any long random string
will do as the secret (Fernet itself wants exactly 32 bytes, base64-encoded)."""

from __future__ import annotations

from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core.settings import Settings

SESSION_COOKIE = "sitrep_session"
# A working day and a bit: a lead browsing last month signs in once a shift.
SESSION_TTL_S = 10 * 3600
_KEY_PURPOSE = b"sitrep dashboard session cookies v1"

# What a session holds.
USER = "user"
TEAM = "team"
NAME = "name"
SIGNED_IN_AT = "at"
CSRF = "csrf"
# While Slack's authorize page is open: what the callback must find again.
PENDING_STATE = "oidc_state"
PENDING_NONCE = "oidc_nonce"
PENDING_NEXT = "oidc_next"


def session_storage(settings: Settings) -> EncryptedCookieStorage:
    assert settings.session_secret is not None
    key = HKDF(algorithm=SHA256(), length=32, salt=None,
               info=_KEY_PURPOSE).derive(settings.session_secret.encode())
    return EncryptedCookieStorage(key, cookie_name=SESSION_COOKIE, max_age=SESSION_TTL_S,
                                  httponly=True, secure=settings.cookies_secure,
                                  samesite="Lax", path="/")
