"""The dashboard's doors: Sign in with Slack through the emulator, and everything that must
keep a stranger out (no session, a tampered cookie, another workspace's or a replayed
id_token, a private incident's non-member, a form from another page)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp import ClientSession
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text

from bot.devtools.emulator_openid import CLIENT_ID, CLIENT_SECRET, Forgery
from bot.devtools.slack_emulator import SlackEmulator
from tests.support.clock import MovableClock
from tests.support.dashboard import Browser, browser, serve_dashboard
from tests.support.incident_steps import command, start_incident
from tests.support.served_bot import ServedBot, stop
from tests.support.settings import BOT_TOKEN


@pytest.fixture
async def bot(dashboard: ServedBot) -> ServedBot:
    return dashboard


@pytest.fixture
async def visitor(dashboard: ServedBot) -> AsyncIterator[Browser]:
    """A browser not signed in yet."""
    async with browser(dashboard.url) as opened:
        yield opened


async def test_without_a_session_pages_send_you_to_sign_in_and_the_api_says_401(
        bot: ServedBot, visitor: Browser) -> None:
    for path in ("/", "/incidents/1", "/?status=resolved"):
        page = await visitor.get(path, follow=False)
        assert page.status == 302
        assert page.headers["Location"].startswith("/login?next=")
    for path in ("/api/incidents", "/api/incidents/1", "/api/openapi.json"):
        answer = await visitor.get(path)
        assert answer.status == 401
        assert (await answer.json())["error"] == "not_signed_in"


async def test_login_asks_slack_for_openid_with_state_nonce_and_the_workspace(
        bot: ServedBot, visitor: Browser) -> None:
    sent = await visitor.get("/login", follow=False)
    assert sent.status == 302
    where = urlsplit(sent.headers["Location"])
    assert f"{where.scheme}://{where.netloc}" == bot.slack.base_url
    assert where.path == "/openid/connect/authorize"
    asked = {name: values[0] for name, values in parse_qs(where.query).items()}
    assert asked["scope"] == "openid profile email"
    assert asked["response_type"] == "code"
    assert asked["team"] == bot.slack.team_id
    assert asked["client_id"] == bot.settings.slack_client_id
    assert asked["redirect_uri"] == bot.url + "/login/callback"
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32


async def test_signing_in_lands_on_the_incidents_and_comes_back_where_you_were(
        bot: ServedBot, visitor: Browser) -> None:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    landed = await visitor.get(f"/incidents/{opened.number}")
    assert landed.status == 200
    assert str(landed.url).endswith(f"/incidents/{opened.number}")
    assert "Checkout returns 500s" in await landed.text()
    exchange = bot.slack.calls_to("openid.connect.token")
    assert [call.ok for call in exchange] == [True]
    cookie = next(c for c in visitor.http.cookie_jar if c.key == "sitrep_session")
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"]
    listing = await visitor.get("/")
    assert "Alice Example" in await listing.text()


async def test_a_tampered_cookie_is_no_session(bot: ServedBot, visitor: Browser) -> None:
    await visitor.sign_in(bot.slack)
    assert (await visitor.get("/", follow=False)).status == 200
    cookie = visitor.session_cookie()
    assert cookie is not None
    flipped = cookie[:-6] + ("A" if cookie[-6] != "A" else "B") + cookie[-5:]
    visitor.set_session_cookie(flipped)
    assert (await visitor.get("/", follow=False)).status == 302
    assert (await visitor.get("/api/incidents")).status == 401


async def test_an_id_token_from_another_workspace_signs_nobody_in(
        bot: ServedBot, visitor: Browser) -> None:
    bot.slack.add_user("U0MALLORY", "mallory", "Mallory Other", team_id="T0OTHER")
    landed = await visitor.sign_in(bot.slack, "U0MALLORY")
    assert landed.status == 403
    assert "another Slack workspace" in await landed.text()
    assert (await visitor.get("/", follow=False)).status == 302
    assert (await visitor.get("/api/incidents")).status == 401


@pytest.mark.parametrize("claims", [
    {"nonce": "a-nonce-this-browser-never-had"},
    {"nonce": None},
    {"aud": "someone-elses-client-id"},
    {"iss": "https://evil.example"},
    {"exp": 1_000_000},
])
async def test_an_id_token_with_a_wrong_claim_signs_nobody_in(
        bot: ServedBot, visitor: Browser, claims: dict[str, object]) -> None:
    bot.slack.openid.next_id_token(**claims)
    landed = await visitor.sign_in(bot.slack)
    assert landed.status == 403
    assert "did not confirm who you are" in await landed.text()
    assert (await visitor.get("/api/incidents")).status == 401


@pytest.mark.parametrize("forgery", ["other_key", "unsigned", "hs256_with_public_key"])
async def test_an_id_token_slack_did_not_sign_signs_nobody_in(
        bot: ServedBot, visitor: Browser, forgery: Forgery) -> None:
    bot.slack.openid.forge_next_id_token(forgery)
    landed = await visitor.sign_in(bot.slack)
    assert landed.status == 403
    assert "did not confirm who you are" in await landed.text()
    assert (await visitor.get("/api/incidents")).status == 401


async def test_an_old_callback_address_opened_again_signs_nobody_in(
        bot: ServedBot, visitor: Browser) -> None:
    """From the browser's history, after signing out: its state was used up."""
    bot.slack.openid.sign_in_as("U0ALICE")
    sent = await visitor.get("/login", follow=False)
    back = await visitor.http.get(sent.headers["Location"], allow_redirects=False)
    callback = back.headers["Location"]
    assert (await visitor.http.get(callback)).status == 200
    page = await (await visitor.get("/logout")).text()
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert (await visitor.post("/logout", {"csrf": token}, follow=False)).status == 303

    again = await visitor.http.get(callback)
    assert again.status == 403
    assert "already been used" in await again.text()
    assert (await visitor.get("/api/incidents")).status == 401
    assert len(bot.slack.calls_to("openid.connect.token")) == 1


async def test_slack_refusing_the_code_is_said_in_a_sentence(
        bot: ServedBot, visitor: Browser) -> None:
    bot.slack.openid.sign_in_as("U0ALICE")
    sent = await visitor.get("/login", follow=False)
    back = await visitor.http.get(sent.headers["Location"], allow_redirects=False)
    callback = urlsplit(back.headers["Location"])
    code = parse_qs(callback.query)["code"][0]
    # The code spent elsewhere first (a second tab, a replay): Slack says invalid_code.
    async with ClientSession() as http:
        await AsyncWebClient(base_url=bot.slack.api_url, session=http).openid_connect_token(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code,
            redirect_uri=bot.url + "/login/callback")
    landed = await visitor.get(f"{callback.path}?{callback.query}")
    assert landed.status == 403
    shown = await landed.text()
    assert "did not confirm who you are" in shown and "invalid_code" not in shown
    assert (await visitor.get("/api/incidents")).status == 401


async def test_a_callback_this_browser_did_not_start_is_refused(
        bot: ServedBot, visitor: Browser) -> None:
    # Someone else's sign-in link (their code, their state) opened in this browser.
    async with browser(bot.url) as other:
        sent = await other.get("/login", follow=False)
        back = await other.http.get(sent.headers["Location"], allow_redirects=False)
        callback = urlsplit(back.headers["Location"])
    landed = await visitor.get(f"{callback.path}?{callback.query}")
    assert landed.status == 403
    assert (await visitor.get("/api/incidents")).status == 401
    assert bot.slack.calls_to("openid.connect.token") == []


@pytest.mark.parametrize("next_path", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "/\t/evil.example/",
    "/\r\nSet-Cookie: stolen=1", "/" + "a" * 6000,
])
async def test_signing_in_never_ends_on_another_site_or_a_broken_answer(
        bot: ServedBot, visitor: Browser, next_path: str) -> None:
    bot.slack.openid.sign_in_as("U0ALICE")
    sent = await visitor.get(f"/login?{urlencode({'next': next_path})}", follow=False)
    # A browser keeps no cookie over 4096 bytes: the sign-in would come back to nothing.
    assert len(sent.headers["Set-Cookie"]) < 4096
    back = await visitor.http.get(sent.headers["Location"], allow_redirects=False)
    landed = await visitor.http.get(back.headers["Location"], allow_redirects=False)
    assert landed.status == 302
    went = landed.headers["Location"]
    assert went.startswith("/") and not went.startswith("//") and "\\" not in went
    assert len(went) < 2100
    assert "stolen" not in landed.headers.getall("Set-Cookie", [""])[0]
    assert (await visitor.get("/", follow=False)).status == 200


async def test_a_cancelled_sign_in_says_so(bot: ServedBot, visitor: Browser) -> None:
    bot.slack.openid.reject_next_authorization()
    landed = await visitor.sign_in(bot.slack)
    assert landed.status == 400
    assert "cancelled" in await landed.text()


async def test_a_private_incident_is_seen_only_by_its_channels_members(
        bot: ServedBot, visitor: Browser) -> None:
    public = await start_incident(bot, "sev3 Slow search")
    private = await start_incident(bot, "--private sev1 Suspicious logins", user="U0BOB")
    await visitor.sign_in(bot.slack, "U0ALICE")
    listing = await (await visitor.get("/")).text()
    assert "Slow search" in listing and "Suspicious logins" not in listing
    assert (await visitor.get(f"/incidents/{private.number}")).status == 404
    assert (await visitor.get(f"/api/incidents/{private.number}")).status == 404
    found = await (await visitor.get("/api/incidents")).json()
    assert [i["number"] for i in found["incidents"]] == [public.number]

    async with browser(bot.url) as member:
        await member.sign_in(bot.slack, "U0BOB")
        assert (await member.get(f"/incidents/{private.number}")).status == 200
        found = await (await member.get("/api/incidents")).json()
        assert {i["number"] for i in found["incidents"]} == {public.number, private.number}

    # Whoever the bot invites (given a role) sees it at once.
    await command(bot, "role ops <@U0CAROL|carol>", channel=private.channel_id, user="U0BOB")
    async with browser(bot.url) as invited:
        await invited.sign_in(bot.slack, "U0CAROL")
        assert (await invited.get(f"/incidents/{private.number}")).status == 200


async def test_insights_count_a_private_incident_only_for_its_channels_members(
        database_url: str, slack: SlackEmulator) -> None:
    """Its severity, its hour on the heat map or its commander's load would tell whoever is
    being investigated that a security incident is open."""
    clock = MovableClock()
    bot = await serve_dashboard(database_url, slack, clock=clock)
    try:
        await start_incident(bot, "sev3 Slow search")
        await start_incident(bot, "--private sev1 Suspicious logins", user="U0BOB")
        clock.advance(hours=1)  # an hour of commanding each
        async with browser(bot.url) as visitor:
            await _insights_seen_by_a_non_member_and_a_member(bot, visitor)
    finally:
        await stop(bot)


async def _insights_seen_by_a_non_member_and_a_member(bot: ServedBot,
                                                      visitor: Browser) -> None:
    await visitor.sign_in(bot.slack, "U0ALICE")
    stats = await (await visitor.get("/api/stats")).json()
    assert (stats["incidents"], stats["open"]) == (1, 1)
    assert stats["by_severity"]["1"] == 0
    assert [person["user_id"] for person in stats["people"]] == ["U0ALICE"]
    page = await (await visitor.get("/insights")).text()
    assert "<strong>1</strong> incident;" in page

    async with browser(bot.url) as member:
        await member.sign_in(bot.slack, "U0BOB")
        stats = await (await member.get("/api/stats")).json()
        assert (stats["incidents"], stats["by_severity"]["1"]) == (2, 1)
        assert {person["user_id"] for person in stats["people"]} == {"U0ALICE", "U0BOB"}
        page = await (await member.get("/insights")).text()
        assert "<strong>2</strong> incidents;" in page


async def test_opening_one_private_incident_asks_slack_about_its_channel_alone(
        bot: ServedBot, visitor: Browser) -> None:
    """A long history holds many private incidents; Slack allows about 100 member lists a
    minute, and a page that asked for all of them would wait for Slack's rate limit."""
    opened = [await start_incident(bot, f"--private sev2 Leak {n}", user="U0BOB")
              for n in range(4)]
    await bot.slack.wait_until_quiet()
    asked_before = len(bot.slack.calls_to("conversations.members"))
    bot.slack.openid.sign_in_as("U0BOB")
    landed = await visitor.get(f"/incidents/{opened[2].number}")  # signs in on the way
    assert landed.status == 200 and "Leak 2" in await landed.text()
    asked = bot.slack.calls_to("conversations.members")[asked_before:]
    assert {call.args["channel"] for call in asked} == {opened[2].channel_id}


async def test_the_list_and_insights_ask_slack_once_however_many_private_incidents(
        bot: ServedBot, visitor: Browser) -> None:
    """Checking each private incident's members would spend Slack's 100 member lists a
    minute on a long history, and the page would wait out the rate limit: one
    users.conversations says all of a person's private channels (kept a minute)."""
    leaks = [await start_incident(bot, f"--private sev2 Leak {n}", user="U0BOB")
             for n in range(5)]
    await bot.slack.wait_until_quiet()
    members_asked = len(bot.slack.calls_to("conversations.members"))
    await visitor.sign_in(bot.slack, "U0BOB")
    listing = await (await visitor.get("/")).text()
    assert all(f"Leak {n}" in listing for n in range(len(leaks)))
    stats = await (await visitor.get("/api/stats")).json()
    assert stats["incidents"] == len(leaks)
    assert len(bot.slack.calls_to("conversations.members")) == members_asked
    (asked,) = bot.slack.calls_to("users.conversations")
    assert (asked.args["user"], asked.args["types"]) == ("U0BOB", "private_channel")


async def test_private_incidents_stay_hidden_when_slack_will_not_say_who_is_in_them(
        bot: ServedBot, visitor: Browser) -> None:
    await start_incident(bot, "--private sev2 Leak", user="U0BOB")
    await bot.slack.wait_until_quiet()
    bot.slack.fail("users.conversations", "internal_error", times=10)
    await visitor.sign_in(bot.slack, "U0BOB")
    assert "Leak" not in await (await visitor.get("/")).text()


async def test_signing_out_needs_the_pages_token_and_then_ends_the_session(
        bot: ServedBot, visitor: Browser) -> None:
    await visitor.sign_in(bot.slack)
    refused = await visitor.post("/logout", {"csrf": "guessed"}, follow=False)
    assert refused.status == 403
    assert (await visitor.get("/", follow=False)).status == 200
    page = await (await visitor.get("/logout")).text()
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    cross_site = await visitor.post("/logout", {"csrf": token}, follow=False,
                                    headers={"Origin": "https://evil.example"})
    assert cross_site.status == 403
    signed_out = await visitor.post("/logout", {"csrf": token}, follow=False)
    assert signed_out.status == 303
    assert (await visitor.get("/", follow=False)).status == 302


async def test_every_answer_carries_the_security_headers(
        bot: ServedBot, visitor: Browser) -> None:
    await visitor.sign_in(bot.slack)
    for path in ("/", "/login/callback", "/api/incidents", "/healthz"):
        answer = await visitor.get(path, follow=False)
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    page = await (await visitor.get("/")).text()
    assert "<script>" not in page and " onclick=" not in page and "style=" not in page


async def test_behind_https_the_session_cookie_is_secure_and_browsers_are_told_to_stay(
        database_url: str, slack: SlackEmulator) -> None:
    served = await serve_dashboard(database_url, slack,
                                   SITREP_PUBLIC_URL="https://sitrep.example.com")
    try:
        async with browser(served.url) as visitor:
            sent = await visitor.get("/login", follow=False)
            cookie = sent.headers["Set-Cookie"]
            for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Max-Age=36000"):
                assert flag in cookie
            assert sent.headers["Strict-Transport-Security"].startswith("max-age=")
            asked = parse_qs(urlsplit(sent.headers["Location"]).query)
            assert asked["redirect_uri"] == ["https://sitrep.example.com/login/callback"]
    finally:
        await stop(served)


async def test_the_dashboards_slack_credentials_leave_the_bot_a_single_workspace_app(
        database_url: str, slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt reads SLACK_CLIENT_ID and SLACK_CLIENT_SECRET from the environment by itself and
    would then wait for OAuth installs, ignoring the bot token."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)
    served = await serve_dashboard(database_url, slack)
    try:
        opened = await start_incident(served, "sev2 Checkout returns 500s")
        assert slack.channel(opened.channel_id).name.startswith("inc-")
        assert {call.token for call in slack.calls_to("conversations.create")} == {BOT_TOKEN}
        assert os.environ["SLACK_CLIENT_ID"] == CLIENT_ID
    finally:
        await stop(served)


async def test_a_page_that_fails_says_so_in_a_sentence_never_a_trace(
        bot: ServedBot, visitor: Browser) -> None:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    await visitor.sign_in(bot.slack)
    async with bot.engine.begin() as connection:
        await connection.execute(text("DROP TABLE retrospective"))
    page = await visitor.get(f"/incidents/{opened.number}")
    assert page.status == 500
    shown = await page.text()
    assert "Something went wrong" in shown
    for leak in ("Traceback", "sqlalchemy", "retrospective", 'File "'):
        assert leak not in shown
    answer = await visitor.get(f"/api/incidents/{opened.number}")
    assert answer.status == 500
    assert await answer.json() == {"error": "internal_error",
                                   "message": "Something went wrong; it is logged."}
