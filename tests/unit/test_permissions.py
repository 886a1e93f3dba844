"""The rule of who may change an incident, over the facts the use case gathers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db.models import Incident
from bot.domain.errors import NotAllowed
from bot.domain.permissions import Actor, Deed, check

INCIDENT = Incident(team_id="T1", number=4, title="Checkout down", severity=2,
                    status="investigating", reporter_id="U0ALICE", channel_id="C0INC",
                    created_at=datetime(2026, 11, 30, tzinfo=UTC))


def _actor(*, member: bool = True, commander: bool = False, reporter: bool = False) -> Actor:
    return Actor(user_id="U0X", is_member=member, is_commander=commander, is_reporter=reporter)


@pytest.mark.parametrize("deed", list(Deed))
def test_nobody_outside_the_channel_may_do_anything(deed: Deed) -> None:
    # Not even the commander or the reporter, and whatever the team allows.
    with pytest.raises(NotAllowed) as refused:
        check(deed, _actor(member=False, commander=True, reporter=True), INCIDENT,
              allowed=("member",))
    assert (refused.value.number, refused.value.channel_id, refused.value.allowed) == (
        4, "C0INC", ())


@pytest.mark.parametrize(("allowed", "actor", "may"), [
    (("member",), _actor(), True),
    (("commander",), _actor(), False),
    (("commander",), _actor(commander=True), True),
    (("commander",), _actor(reporter=True), False),
    (("commander", "reporter"), _actor(reporter=True), True),
    (("reporter",), _actor(commander=True), False),
])
@pytest.mark.parametrize("deed", [Deed.RESOLVE, Deed.REOPEN])
def test_resolving_and_reopening_follow_the_teams_setting(
        deed: Deed, allowed: tuple[str, ...], actor: Actor, may: bool) -> None:
    if may:
        check(deed, actor, INCIDENT, allowed=allowed)
        return
    with pytest.raises(NotAllowed) as refused:
        check(deed, actor, INCIDENT, allowed=allowed)
    assert (refused.value.deed, refused.value.allowed) == (deed, allowed)


def test_any_member_may_make_other_changes_whatever_the_setting() -> None:
    check(Deed.CHANGE, _actor(), INCIDENT, allowed=("commander",))
