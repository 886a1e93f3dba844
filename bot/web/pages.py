"""The dashboard's pages: the incident list and one incident, rendered on the server."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from bot.domain.vocabulary import SEVERITIES, STATUSES, label
from bot.web import list_query, reminder_words
from bot.web.dashboard import Dashboard
from bot.web.presenting import local_time, markdown_html
from bot.web.query_values import whole_number


class Pages:
    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self.reading = dashboard.reading
        self.timezone = dashboard.settings.timezone

    async def incident_list(self, request: web.Request) -> web.StreamResponse:
        viewer = await self.dashboard.page_viewer(request)
        query = list_query.read(request.query)
        listing = await self.reading.incidents(viewer, query.filter(self.timezone),
                                               page=query.page)

        def page_link(number: int) -> str:
            params = query.as_params(page=number)
            return "/" + (f"?{urlencode(params)}" if params else "")

        return self.dashboard.page("incident_list.html.j2", {
            "title": "Incidents", "nav": "list", "query": query, "listing": listing,
            "statuses": STATUSES, "severities": SEVERITIES, "page_link": page_link,
            "filtered": bool(query.as_params(page=1)),
        }, viewer=viewer, csrf=await self.dashboard.csrf_token(request),
            status=400 if query.problems else 200)

    async def incident(self, request: web.Request) -> web.StreamResponse:
        viewer = await self.dashboard.page_viewer(request)
        # The route allows any digit Python's regular expressions know; ours are ASCII.
        number = whole_number(request.match_info["number"]) or 0
        version = whole_number(request.query.get("version", ""))
        record = await self.reading.incident(
            viewer, number, retro_version=version,
            timeline_page=whole_number(request.query.get("entries", "")) or 1)
        csrf = await self.dashboard.csrf_token(request)

        def entries_link(page: int) -> str:
            params = {"version": str(version) if version else "",
                      "entries": str(page) if page > 1 else ""}
            kept = {name: value for name, value in params.items() if value}
            return f"/incidents/{number}" + (f"?{urlencode(kept)}" if kept else "") \
                + "#timeline-title"

        def name(user_id: str) -> str:
            return record.people.get(user_id, user_id) if record is not None else user_id

        def local(moment: datetime | None) -> str:
            return local_time(moment, self.timezone)

        if record is None:
            return self.dashboard.page("not_found.html.j2", {
                "title": f"{label(number)} not found", "number": number,
            }, viewer=viewer, csrf=csrf, status=404)
        return self.dashboard.page("incident.html.j2", {
            "title": f"{label(number)}: {record.incident.title}", "record": record,
            "i": record.incident,
            "retro_html": (markdown_html(record.retro_markdown)
                           if record.retro_markdown is not None else None),
            "name": name, "entries_link": entries_link,
            "reminders": [(line, reminder_words.asked(
                line, review_due_on=record.incident.review_due_on),
                reminder_words.outcome(line, name=name, local=local))
                for line in record.reminders],
        }, viewer=viewer, csrf=csrf)
