"""The retrospective of a fixed incident, stored through the domain as the bot would have
recorded it, matches the golden file (UPDATE_GOLDEN=1 rewrites it). On SQLite and PostgreSQL.

What the golden file says is checked in words in tests/unit/test_retrospective_rendering.py."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.settings import DEFAULT_ROLES
from bot.db.engine import SessionFactory
from bot.domain import action_items, incidents, reviews, timeline
from bot.domain.messages import ChannelMessage
from bot.retro import facts as retro_facts
from bot.retro import render as retro
from tests.support.paths import GOLDEN_RETROSPECTIVE as GOLDEN

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 13, 13, 2, tzinfo=UTC)  # 14:02 in Berlin
GENERATED = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)
PEOPLE = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"}


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _ts(minutes: int) -> str:
    return f"{_at(minutes).timestamp():.6f}"


async def _fixed_incident(sessions: SessionFactory) -> retro_facts.RetroFacts:
    """INC-1 as the bot would have recorded it: a thread message, an edited message, a
    handover, action items open (with a due day), done and unowned, a review deadline, and
    text that tries to break the document."""
    async with sessions() as session, session.begin():
        incident = await incidents.open_incident(
            session, team_id="T1", reporter_id="U0ALICE",
            title="Checkout returns 500s | *card* payments", severity=2, description=None,
            now=T0)
        await incidents.attach_channel(session, incident, "C1")
        await session.flush()

        async def marked(minutes: int, author: str, text: str, *, by: str = "U0ALICE",
                         thread: int | None = None) -> None:
            message = ChannelMessage(ts=_ts(minutes), text=text, author_id=author,
                                   thread_ts=_ts(thread) if thread is not None else None)
            link = f"https://example.slack.com/archives/C1/p{_ts(minutes).replace('.', '')}"
            if thread is not None:
                link += f"?thread_ts={_ts(thread)}&cid=C1"
            await timeline.reconcile(
                session, incident, message=message, wanted={"key_event": by},
                source=timeline.Source("C1", message.ts, PEOPLE[author], link), now=_at(minutes))

        await marked(3, "U0BOB", "Seeing 500s on /pay since 14:02")
        await incidents.assign_role(session, incident, role="scribe", user_id="U0CAROL",
                                    by="U0ALICE", now=_at(5), allowed_roles=DEFAULT_ROLES)
        await marked(6, "U0ALICE", "Deploy 4512 went out at 13:58")
        await marked(7, "U0CAROL", "## Not a heading\n| not | a table | [link](x) <b>",
                     thread=6)
        await incidents.change_severity(session, incident, severity=1, by="U0ALICE",
                                        now=_at(10))
        await incidents.change_status(session, incident, status="identified", by="U0ALICE",
                                      now=_at(12))
        # An edited message: the entry follows the new text.
        await marked(15, "U0BOB", "Rollback started, errors at 30%")
        edited = ChannelMessage(ts=_ts(15), text="Rollback started, errors at 3% (typo: 30%)",
                              author_id="U0BOB", thread_ts=None)
        await timeline.reconcile(session, incident, message=edited,
                                 wanted={"key_event": "U0ALICE"},
                                 source=timeline.Source("C1", edited.ts, None, None),
                                 now=_at(16))
        await incidents.record_update(session, incident, text="Rolled back; watching <@U0BOB>",
                                      by="U0ALICE", now=_at(20))
        await incidents.change_status(session, incident, status="monitoring", by="U0ALICE",
                                      now=_at(41))
        await incidents.assign_role(session, incident, role="commander", user_id="U0BOB",
                                    by="U0ALICE", now=_at(60), allowed_roles=DEFAULT_ROLES)
        await incidents.add_action_item(session, incident, text="Canary stage for payments",
                                        owner_id="U0ALICE", by="U0BOB", now=_at(70),
                                        due_on=date(2026, 3, 20))
        # One follow-up already done before the resolve, one with no owner or due day.
        done = await incidents.add_action_item(session, incident, text="Roll back 4512",
                                               owner_id="U0BOB", by="U0ALICE", now=_at(72))
        await incidents.add_action_item(session, incident, text="Write the customer notice",
                                        owner_id=None, by="U0ALICE", now=_at(73))
        await session.flush()
        await action_items.mark_done(session, done, incident, by="U0BOB", now=_at(80))
        await incidents.resolve(session, incident, summary="Deploy 4512 broke the tokeniser.",
                                impact="About 30% of card payments failed for 39 minutes.",
                                by="U0BOB", now=_at(134))
        await reviews.set_deadline(session, incident, date(2026, 3, 16), zone=BERLIN)
        facts = await retro_facts.gather(session, incident, zone=BERLIN)
    return retro_facts.RetroFacts(incident=facts.incident, roles=facts.roles, entries=facts.entries,
                            actions=facts.actions, people=PEOPLE)


async def test_the_document_for_a_fixed_incident_matches_the_golden_file(
        sessions: SessionFactory) -> None:
    facts = await _fixed_incident(sessions)
    document = retro.Renderer(None, BERLIN).render(facts, version=1, generated_at=GENERATED)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(document, encoding="utf-8")
    assert document == GOLDEN.read_text(encoding="utf-8")
