"""`/incident stats chart` through signed HTTP, aiohttp and the real app: the headline only
to the person, the heat map to them alone by direct message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db.engine import session_factory
from bot.devtools.emulator_state import TEAM_ID
from tests.support.history import Past, write_history
from tests.support.served_bot import ServedBot


async def test_stats_and_its_chart_over_http(bot: ServedBot) -> None:
    recent = datetime.now(UTC) - timedelta(days=3)
    await write_history(session_factory(bot.engine), [
        Past(started=recent - timedelta(hours=n), severity=2,
             mitigated_after=timedelta(minutes=20 + n), team_id=TEAM_ID) for n in range(8)])

    response = await bot.client.slash_command("stats chart", user_id="U0BOB",
                                              response_key="stats")
    headline = (await bot.slack.wait_for_response("stats")).body
    told = (await bot.slack.wait_for_response("stats")).body
    await bot.settle()

    assert response.status == 200
    assert headline["response_type"] == "ephemeral"
    assert headline["text"].startswith("Incidents in the last 90 days: 8 incidents.")
    assert told["text"] == "I've sent you the heat map in a direct message."
    (uploaded,) = bot.slack.files.values()
    (share,) = uploaded.shares
    assert share.kind == "im" and share.channel_id == bot.slack.workspace.dm_channel("U0BOB").id
    assert bot.slack.calls_to("chat.postMessage") == []
