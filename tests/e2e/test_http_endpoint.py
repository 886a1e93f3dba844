"""The request URL Slack posts to: `/incident help` through signed HTTP, aiohttp and the real
app, the signature check, and Slack's URL verification."""

from __future__ import annotations

from tests.support.served_bot import ServedBot


async def test_help_shows_usage_only_to_the_person_who_asked(bot: ServedBot) -> None:
    response = await bot.client.slash_command("help", user_id="U0ALICE")
    assert response.status == 200
    # A plain-text ack is shown only to the person who typed the command.
    assert response.json is None
    assert "`/incident help`" in response.message
    # Nothing is said in the channel for everyone to see.
    await bot.settle()
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_a_request_with_a_bad_signature_is_refused(bot: ServedBot) -> None:
    response = await bot.client.slash_command("help", bad_signature=True)
    assert response.status == 401


async def test_slack_can_verify_the_request_url(bot: ServedBot) -> None:
    response = await bot.client.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWM")
    assert response.status == 200
    assert response.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWM"}
