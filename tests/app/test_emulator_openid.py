"""The emulator's Sign in with Slack behaves as Slack documents it: the authorize page
sends the browser back with a code and the state, the code is good once for an RS256
id_token signed by a published key, and userInfo answers for the person's token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from aiohttp import ClientSession
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.devtools.emulator_openid import CLIENT_ID, CLIENT_SECRET
from bot.devtools.slack_emulator import SlackEmulator

REDIRECT = "https://sitrep.example.com/login/callback"


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def authorize(slack: SlackEmulator, http: ClientSession, **extra: str) -> dict[str, str]:
    query = {"response_type": "code", "scope": "openid profile email", "client_id": CLIENT_ID,
             "state": "s-1", "nonce": "n-1", "redirect_uri": REDIRECT, "team": slack.team_id,
             **extra}
    async with http.get(f"{slack.base_url}/openid/connect/authorize?{urlencode(query)}",
                        allow_redirects=False) as sent:
        assert sent.status == 302, await sent.text()
        back = urlsplit(sent.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    return {name: values[0] for name, values in parse_qs(back.query).items()}


async def test_a_code_becomes_a_verifiable_id_token_once(slack: SlackEmulator,
                                                         http: ClientSession) -> None:
    slack.openid.sign_in_as("U0BOB")
    back = await authorize(slack, http)
    assert back["state"] == "s-1"
    client = AsyncWebClient(base_url=slack.api_url, session=http)
    answer = await client.openid_connect_token(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                               code=back["code"], redirect_uri=REDIRECT)
    assert answer["token_type"] == "Bearer"
    async with http.get(f"{slack.base_url}/openid/connect/keys") as keys:
        key_set = jwt.PyJWKSet.from_dict(await keys.json())
    claims = jwt.decode(answer["id_token"], key=key_set.keys[0], algorithms=["RS256"],
                        audience=CLIENT_ID, issuer=slack.base_url)
    assert claims["sub"] == "U0BOB"
    assert claims["https://slack.com/team_id"] == slack.team_id
    assert claims["nonce"] == "n-1"
    assert claims["email"] == "bob@sitrep-test.example"

    info = await AsyncWebClient(token=answer["access_token"], base_url=slack.api_url,
                                session=http).openid_connect_userInfo()
    assert info["https://slack.com/user_id"] == "U0BOB"
    assert info["name"] == "Bob Example"

    with pytest.raises(SlackApiError) as reused:
        await client.openid_connect_token(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                          code=back["code"], redirect_uri=REDIRECT)
    assert reused.value.response["error"] == "invalid_code"


@pytest.mark.parametrize(("secret", "redirect", "error"), [
    ("wrong-secret", REDIRECT, "bad_client_secret"),
    (CLIENT_SECRET, "https://elsewhere.example/cb", "bad_redirect_uri"),
])
async def test_the_exchange_refuses_a_wrong_secret_or_redirect(
        slack: SlackEmulator, http: ClientSession, secret: str, redirect: str,
        error: str) -> None:
    back = await authorize(slack, http)
    client = AsyncWebClient(base_url=slack.api_url, session=http)
    with pytest.raises(SlackApiError) as refused:
        await client.openid_connect_token(client_id=CLIENT_ID, client_secret=secret,
                                          code=back["code"], redirect_uri=redirect)
    assert refused.value.response["error"] == error


async def test_user_info_needs_the_persons_token(slack: SlackEmulator,
                                                 http: ClientSession) -> None:
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(token=slack.bot_token, base_url=slack.api_url,
                             session=http).openid_connect_userInfo()
    assert refused.value.response["error"] == "invalid_auth"


async def test_an_unknown_client_is_turned_away_at_the_authorize_page(
        slack: SlackEmulator, http: ClientSession) -> None:
    query = urlencode({"response_type": "code", "scope": "openid", "client_id": "nobody",
                       "redirect_uri": REDIRECT})
    async with http.get(f"{slack.base_url}/openid/connect/authorize?{query}",
                        allow_redirects=False) as page:
        assert page.status == 400
