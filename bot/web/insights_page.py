"""`/insights` and `/api/stats`: the insights use case (`bot/usecases/insights.py`, the
object `sitrep stats --format json` prints) shown as charts, and served as it is.

Time to resolve by month asks the same use case once per month shown (at most
`MONTHS_SHOWN`), so every figure on the page is computed one way."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from bot.domain.vocabulary import SEVERITIES
from bot.usecases.insights import Insights, StatsQuery, insights_for
from bot.web import charts
from bot.web.dashboard import DASHBOARD_ROUTE, Dashboard
from bot.web.query_values import day, whole_number

MONTHS_SHOWN = 12


@dataclass(frozen=True)
class InsightsQuery:
    since: str = ""
    until: str = ""
    severity: str = ""
    problems: tuple[str, ...] = ()

    def stats_query(self) -> StatsQuery:
        return StatsQuery(since=day(self.since), until=day(self.until),
                          severity=int(self.severity) if self.severity else None)


def read(query: Mapping[str, str]) -> InsightsQuery:
    problems = []
    days = {}
    for name in ("since", "until"):
        written = query.get(name, "").strip()
        if written and day(written) is None:
            problems.append(f"“{written[:40]}” is not a date (YYYY-MM-DD, from 1900 to 2999); "
                            "it is ignored.")
            written = ""
        days[name] = written
    severity = query.get("severity", "").strip().lower().removeprefix("sev")
    if severity and whole_number(severity) not in SEVERITIES:
        problems.append(f"“{severity[:40]}” is not a severity (1 to 4); showing every severity.")
        severity = ""
    return InsightsQuery(since=days["since"], until=days["until"], severity=severity,
                         problems=tuple(problems))


class InsightsPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self.deps = dashboard.deps

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/insights", self.page, name=f"{DASHBOARD_ROUTE}.insights"),
                web.get("/api/stats", self.api, name=f"{DASHBOARD_ROUTE}.api_stats")]

    async def api(self, request: web.Request) -> web.StreamResponse:
        viewer = await self.dashboard.api_viewer(request)
        query = read(request.query)
        if query.problems:
            return web.json_response({"error": "bad_query",
                                      "message": " ".join(query.problems)}, status=400)
        visible = await self.dashboard.reading.stats_query(viewer, query.stats_query())
        insights = await insights_for(self.deps, visible)
        return web.json_response(insights.as_json())

    async def page(self, request: web.Request) -> web.StreamResponse:
        viewer = await self.dashboard.page_viewer(request)
        query = read(request.query)
        visible = await self.dashboard.reading.stats_query(viewer, query.stats_query())
        insights = await insights_for(self.deps, visible)
        figures = insights.as_json()
        months = await self._months(visible, insights)
        heat, severities, resolve = await asyncio.to_thread(
            _draw, figures, months, str(self.deps.settings.timezone))
        return self.dashboard.page("insights.html.j2", {
            "title": "Insights", "nav": "insights", "query": query, "figures": figures,
            "heat": heat, "severities": severities, "resolve": resolve, "months": months,
            "weekdays": charts.WEEKDAYS, "severity_options": SEVERITIES,
        }, viewer=viewer, csrf=await self.dashboard.csrf_token(request),
            status=400 if query.problems else 200)

    async def _months(self, whole: StatsQuery,
                      insights: Insights) -> list[charts.MonthSpread]:
        shown = list(insights.by_month)[-MONTHS_SHOWN:]
        spreads = []
        for month in shown:
            first = date(int(month[:4]), int(month[5:7]), 1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            one = replace(whole, since=max(first, whole.since) if whole.since else first,
                          until=min(last, whole.until) if whole.until else last)
            found = await insights_for(self.deps, one)
            spreads.append(charts.MonthSpread(month, {
                severity: (spread.median_s, spread.p90_s)
                for severity, spread in found.time_to_resolve.items() if spread.n}))
        return spreads


def _draw(figures: dict[str, Any], months: list[charts.MonthSpread],
          timezone: str) -> tuple[charts.Chart, charts.Chart, charts.Chart]:
    return (charts.heat_map(figures["by_weekday_hour"], timezone=timezone),
            charts.severity_counts(figures["by_severity"]),
            charts.resolve_times(months))

