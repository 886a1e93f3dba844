"""Writes an incident's retrospective, stores it as a new version, and posts it in Slack.

A canvas where the workspace allows one; where Slack's answer says canvases are not
allowed, a Markdown file through the external upload flow. The document is stored before
Slack is asked, so a Slack failure never loses it (`sitrep retro N` prints it). A template
that fails on this incident is never silent: the log names the incident and the template's
line, and the channel is told how the document will come."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from bot.db.engine import transaction
from bot.db.models import Incident, Retrospective
from bot.deps import Deps
from bot.domain.vocabulary import label
from bot.retro.facts import RetroFacts, gather
from bot.retro.render import RenderFailed
from bot.retro.versions import draft, next_version, store_version
from bot.slack import wording
from bot.slack.failures import SlackFailure

log = logging.getLogger(__name__)

# Failures a file upload would meet just the same; any other refusal of a canvas (the
# workspace's plan or settings, the app's scopes, the document's size) falls back to a file.
NO_FALLBACK = frozenset({"invalid_auth", "token_revoked", "account_inactive", "ratelimited",
                         "channel_not_found", "not_in_channel", "is_archived"})
# Slack's "the channel already has its canvas tab" (the second on free plans).
CANVAS_TAB_TAKEN = frozenset({"channel_canvas_already_exists",
                              "free_team_canvas_tab_already_exists"})
# Canvases hold about a megabyte of Markdown; a longer document goes as a file at once.
CANVAS_MAX_CHARS = 1_000_000
VERSION_ATTEMPTS = 3


@dataclass(frozen=True)
class Published:
    version: int
    markdown: str
    where: str  # "canvas" or "file"
    permalink: str | None


@dataclass(frozen=True)
class Unwritten:
    """The template failed on this incident: nothing was stored, and the channel was told."""

    failure: RenderFailed


class RetroPublisher:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def publish(self, incident: Incident) -> Published | Unwritten:
        """Write the next version and post it. The document is rendered between
        transactions, so no write lock is held while a long incident renders."""
        sessions, slack = self.deps.sessions, self.deps.slack
        async with sessions() as session:
            facts = await gather(session, incident, now=self.deps.clock.now(),
                                 zone=self.deps.settings.timezone)
            version = await next_version(session, incident)
        people = {user_id: name for user_id in sorted(facts.user_ids())
                  if (name := await slack.display_name(user_id)) is not None}
        try:
            row = await self._store(incident, facts, people, version)
        except RenderFailed as failure:
            await self._say_unwritten(incident, failure)
            return Unwritten(failure)
        assert incident.channel_id is not None
        where, file_id, permalink = await self._post(incident, row)
        async with transaction(sessions) as session:
            row.slack_file_id, row.permalink = file_id, permalink
            session.add(row)
        return Published(version=row.version, markdown=row.markdown, where=where,
                         permalink=permalink)

    async def _store(self, incident: Incident, facts: RetroFacts, people: Mapping[str, str],
                     version: int) -> Retrospective:
        """Store the version. A `sitrep retro --regenerate` at the same moment may take the
        same number first; the unique version constraint says so and we take the next."""
        for attempt in range(VERSION_ATTEMPTS):
            generated_at = self.deps.clock.now()
            markdown = draft(self.deps.retro, facts, people=people, version=version,
                             generated_at=generated_at)
            try:
                async with transaction(self.deps.sessions) as session:
                    return await store_version(session, incident, version=version,
                                               markdown=markdown, people=people,
                                               generated_at=generated_at)
            except IntegrityError:
                if attempt == VERSION_ATTEMPTS - 1:
                    raise
            async with self.deps.sessions() as session:
                version = await next_version(session, incident)
        raise AssertionError("unreachable")

    async def _say_unwritten(self, incident: Incident, failure: RenderFailed) -> None:
        # The start-up check tries the template on sample incidents; real ones can still
        # hold what no sample did. The operator needs the line, the channel the way out.
        log.error("%s's retrospective was not written: the template fails at %s: %s",
                  label(incident.number), failure.where, failure.cause)
        assert incident.channel_id is not None
        try:
            await self.deps.slack.post(incident.channel_id, wording.retro_not_written(
                incident.number, failure.line))
        except SlackFailure as slack_failure:
            log.warning("could not tell %s's channel that its retrospective was not "
                        "written: %s", label(incident.number), slack_failure.error)

    async def _post(self, incident: Incident, row: Retrospective) -> tuple[str, str, str | None]:
        slack = self.deps.slack
        channel_id = incident.channel_id
        assert channel_id is not None
        title = wording.retro_title(incident.number, row.version)
        if len(row.markdown) <= CANVAS_MAX_CHARS:
            try:
                canvas_id = await self._canvas(channel_id, title, row.markdown)
            except SlackFailure as failure:
                if failure.error in NO_FALLBACK:
                    raise
                log.info("no canvas (%s); uploading the retrospective as a file",
                         failure.error)
            else:
                link = f"{await slack.workspace_url()}docs/{incident.team_id}/{canvas_id}"
                await slack.post(channel_id, wording.retro_posted_as_canvas(
                    incident.number, row.version, link))
                return "canvas", canvas_id, link
        file_id, permalink = await slack.upload_markdown(
            channel_id, filename=f"{label(incident.number)}-retrospective-v{row.version}.md",
            title=title, content=row.markdown,
            comment=wording.retro_posted_as_file(incident.number, row.version))
        return "file", file_id, permalink

    async def _canvas(self, channel_id: str, title: str, markdown: str) -> str:
        slack = self.deps.slack
        try:
            return await slack.create_channel_canvas(channel_id, title, markdown)
        except SlackFailure as failure:
            if failure.error not in CANVAS_TAB_TAKEN:
                raise
        # A later version (after a reopen) keeps the channel's canvas as it was and gets a
        # canvas of its own.
        return await slack.create_canvas(channel_id, title, markdown)
