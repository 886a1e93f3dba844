"""The dashboard's JSON API, beside its pages and under the same rules (a session; private
incidents for their channel's members only), described by `openapi.json`, served at
`/api/openapi.json`. Times are ISO 8601 in UTC."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.db.models import Incident
from bot.domain.vocabulary import label
from bot.usecases.dashboard_reading import IncidentRecord
from bot.web import list_query, reminder_words
from bot.web.dashboard import DASHBOARD_ROUTE, Dashboard
from bot.web.query_values import whole_number

OPENAPI_DOCUMENT = Path(__file__).parent / "openapi.json"


@cache
def openapi_document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_DOCUMENT.read_text())
    return loaded


class Api:
    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self.reading = dashboard.reading
        self.timezone = dashboard.settings.timezone

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/openapi.json", self.openapi, name=f"{DASHBOARD_ROUTE}.api_openapi"),
            web.get("/api/incidents", self.incidents, name=f"{DASHBOARD_ROUTE}.api_list"),
            web.get("/api/incidents/{number}", self.incident,
                    name=f"{DASHBOARD_ROUTE}.api_incident"),
        ]

    async def openapi(self, request: web.Request) -> web.StreamResponse:
        await self.dashboard.api_viewer(request)
        return web.json_response(openapi_document())

    async def incidents(self, request: web.Request) -> web.StreamResponse:
        viewer = await self.dashboard.api_viewer(request)
        query = list_query.read(request.query)
        if query.problems:
            return _error(400, "bad_query", " ".join(query.problems))
        per_page = whole_number(request.query.get("per_page", ""))
        listing = await self.reading.incidents(
            viewer, query.filter(self.timezone), page=query.page,
            **({"per_page": per_page} if per_page is not None else {}))
        return web.json_response({
            "incidents": [summary(incident) for incident in listing.incidents],
            "page": listing.page, "per_page": listing.per_page, "total": listing.total,
            "pages": listing.pages})

    async def incident(self, request: web.Request) -> web.StreamResponse:
        viewer = await self.dashboard.api_viewer(request)
        number = whole_number(request.match_info["number"].strip().lower().removeprefix("inc-"))
        if number is None:
            return _error(400, "bad_number", "Give an incident's number, as 12 or INC-12.")
        record = await self.reading.incident(
            viewer, number, retro_version=whole_number(request.query.get("version", "")))
        if record is None:
            return _error(404, "not_found", f"There is no {label(number)} you may see.")
        return web.json_response(detail(record))


def summary(incident: Incident) -> dict[str, Any]:
    return {"number": incident.number, "label": label(incident.number),
            "title": incident.title, "severity": incident.severity,
            "status": incident.status, "private": incident.private,
            "started_at": _iso(incident.created_at),
            "mitigated_at": _iso(incident.mitigated_at),
            "resolved_at": _iso(incident.resolved_at),
            "url": f"/incidents/{incident.number}"}


def detail(record: IncidentRecord) -> dict[str, Any]:
    incident = record.incident

    def person(user_id: str | None) -> dict[str, str] | None:
        if not user_id:  # an imported incident's reporter: nobody Sitrep knows
            return None
        return {"id": user_id, "name": record.people.get(user_id, user_id)}

    return {
        **summary(incident),
        "description": incident.description, "summary": incident.summary,
        "impact": incident.impact, "reporter": person(incident.reporter_id),
        "channel_id": incident.channel_id, "channel_url": record.channel_url,
        "roles_now": {role: person(user) for role, user in record.current_roles.items()},
        "roles": [{"role": span.role, "person": person(span.user_id),
                   "started_at": _iso(span.started_at), "ended_at": _iso(span.ended_at)}
                  for span in record.roles],
        "timeline": [{"occurred_at": _iso(line.occurred_at), "kind": line.kind,
                      "author": line.author, "text": line.text,
                      "permalink": line.permalink, "comment": line.comment}
                     for line in record.timeline],
        "action_items": [{"text": item.text, "owner": person(item.owner_id),
                          "due_on": _iso(item.due_on), "done": item.done_at is not None,
                          "done_at": _iso(item.done_at)} for item in record.actions],
        "reminders": [{"kind": line.kind, "sent_at": _iso(line.sent_at),
                       "asked": reminder_words.asked(line,
                                                     review_due_on=incident.review_due_on),
                       "repeat": line.repeat, "quiet_since": _iso(line.quiet_since),
                       "handover_suggested": line.handover_hint,
                       "repeated_at": _iso(line.repeated_at), "permalink": line.permalink,
                       "answer": None if line.answer is None else {
                           "how": line.answer, "at": _iso(line.answered_at),
                           "by": person(line.answered_by),
                           "snoozed_until": _iso(line.snoozed_until)}}
                      for line in record.reminders],
        "retrospectives": [{"version": v.version, "generated_at": _iso(v.generated_at),
                            "permalink": v.permalink} for v in record.retro_versions],
        "retrospective": (None if record.retro_version is None else
                          {"version": record.retro_version,
                           "markdown": record.retro_markdown}),
    }


def _iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)
