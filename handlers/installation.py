"""Which installation of Sitrep a Slack request came through, whoever acted.

In a Slack Connect channel the envelope's `team_id` is the *acting person's* team (a
vendor's, or a colleague's in another workspace); the team that installed Sitrep is
`authorizations[0].team_id` (bolt-python, tests/scenario_tests_async/
test_events_shared_channels.py). With an org-wide install on Enterprise Grid the
installation is the organisation: `authorizations[0].team_id` and an interaction's `team`
are null and the enterprise's id is set (bolt-python, tests/slack_bolt/request/
test_request.py, `test_org_wide_installations_*`).

The installation numbers incidents and keys the event inbox; an incident's channel is
found by the channel's id alone, so the actor's own team never matters. (A button pressed
by someone of another company names only their team: no field of that payload says who
installed the app. That is harmless, since a button acts on an incident already there.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def installation_id(body: Mapping[str, Any]) -> str | None:
    """The installing team's id, or the organisation's for an org-wide install."""
    authorizations = body.get("authorizations")
    if isinstance(authorizations, list) and authorizations and \
            isinstance(authorizations[0], Mapping):
        found = _installed(authorizations[0])
        if found:
            return found
    if _truthy(body.get("is_enterprise_install")):
        enterprise = _enterprise_id(body)
        if enterprise:
            return enterprise
    view = body.get("view")
    if isinstance(view, Mapping) and isinstance(view.get("app_installed_team_id"), str):
        # A modal opened from a Slack Connect channel in another workspace says where
        # the app is installed.
        return str(view["app_installed_team_id"])
    team = body.get("team")
    if isinstance(team, Mapping) and isinstance(team.get("id"), str):
        return str(team["id"])
    team_id = body.get("team_id")
    return team_id if isinstance(team_id, str) and team_id else None


def _installed(authorization: Mapping[str, Any]) -> str | None:
    if _truthy(authorization.get("is_enterprise_install")):
        found = authorization.get("enterprise_id") or authorization.get("team_id")
    else:
        found = authorization.get("team_id") or authorization.get("enterprise_id")
    return found if isinstance(found, str) else None


def _enterprise_id(body: Mapping[str, Any]) -> str | None:
    enterprise = body.get("enterprise")
    if isinstance(enterprise, Mapping) and isinstance(enterprise.get("id"), str):
        return str(enterprise["id"])
    found = body.get("enterprise_id")
    return found if isinstance(found, str) and found else None


def _truthy(value: Any) -> bool:
    # Slash commands send form fields: "true"; interactions send JSON: true.
    return value is True or value == "true"
