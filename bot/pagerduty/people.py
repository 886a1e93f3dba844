"""The email of a person PagerDuty names (an incident's assignee): its webhooks carry a
user reference (id and name) but no email, and Slack finds people by email
(`users.lookupByEmail`). `GET /users/{id}` of PagerDuty's REST API says it, with a
read-only API key (`SITREP_PAGERDUTY_API_TOKEN`).

A lookup that fails (PagerDuty down, slow, the key refused, the user gone) is None: the
incident opens anyway, and its card asks someone to take command."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

log = logging.getLogger(__name__)

# A page's work runs after the webhook's answer, but the incident waits for this.
LOOKUP_TIMEOUT_S = 5.0
_ACCEPT = "application/vnd.pagerduty+json;version=2"


class PagerDutyPeople:
    def __init__(self, api_url: str, token: str, http: ClientSession | None = None) -> None:
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._headers = {"Authorization": f"Token token={token}", "Accept": _ACCEPT}
        self._http = http
        self._own_http: ClientSession | None = None

    async def email(self, user_id: str) -> str | None:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_S):
                return await self._ask(user_id)
        except (ClientError, TimeoutError, ValueError) as failure:
            log.warning("PagerDuty did not say the email of user %s (%s)", user_id,
                        type(failure).__name__)
            return None

    async def _ask(self, user_id: str) -> str | None:
        http = self._http or await self._session()
        async with http.get(f"{self.api_url}users/{user_id}", headers=self._headers,
                            timeout=ClientTimeout(total=LOOKUP_TIMEOUT_S)) as response:
            if response.status != 200:
                log.warning("PagerDuty answered %d to GET /users/%s", response.status, user_id)
                return None
            body: Any = await response.json(content_type=None)
        user = body.get("user") if isinstance(body, dict) else None
        email = user.get("email") if isinstance(user, dict) else None
        return email if isinstance(email, str) and "@" in email else None

    async def _session(self) -> ClientSession:
        if self._own_http is None:
            self._own_http = ClientSession()
        return self._own_http

    async def close(self) -> None:
        if self._own_http is not None:
            await self._own_http.close()
