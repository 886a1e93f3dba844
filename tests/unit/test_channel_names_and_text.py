"""Channel names Slack always accepts, and user text that can never ping or break markup."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.channel_names import MAX_LENGTH, channel_name
from bot.slack.mrkdwn import escape, readable

SLACK_CHANNEL_NAME = re.compile(r"[a-z0-9_-]{1,80}")


@given(number=st.integers(min_value=1, max_value=10**9), title=st.text(max_size=300),
       attempt=st.integers(min_value=0, max_value=9),
       prefix=st.sampled_from(["inc", "incident", "a", "sec_incident-eu-west"]))
def test_every_title_gives_a_valid_slack_channel_name(number: int, title: str,
                                                      attempt: int, prefix: str) -> None:
    name = channel_name(number, title, prefix=prefix, attempt=attempt)
    assert SLACK_CHANNEL_NAME.fullmatch(name), name
    assert len(name) <= MAX_LENGTH
    assert name.startswith(f"{prefix}-{number}")


@pytest.mark.parametrize(("title", "expected"), [
    ("Checkout returns 500s", "inc-7-checkout-returns-500s"),
    ("Ünïcödé tést 🔥", "inc-7-unicode-test"),
    ("東京 datacenter down", "inc-7-dong-jing-datacenter-down"),
    ("🔥🔥🔥", "inc-7"),
    ("Payments: API___errors!!! (EU)", "inc-7-payments-api-errors-eu"),
])
def test_channel_names_are_readable(title: str, expected: str) -> None:
    assert channel_name(7, title) == expected


def test_another_attempt_keeps_the_number_and_the_slug() -> None:
    assert channel_name(7, "Checkout down", attempt=1) == "inc-7-checkout-down-2"


@given(st.text())
def test_escaped_text_has_no_markup_and_no_bare_broadcast(text: str) -> None:
    shown = escape(text)
    assert "<" not in shown and ">" not in shown
    assert not re.search(r"@(here|channel|everyone)\b", shown, re.IGNORECASE)
    # Every & that remains starts one of Slack's three escapes.
    assert not re.search(r"&(?!amp;|lt;|gt;)", shown)


def test_readable_undoes_slacks_markup() -> None:
    assert readable("Fix &lt;db&gt; &amp; <@U1|bob> <@U2> <!here> <#C1|general> "
                    "<https://status.example.com|status page>") == (
        "Fix <db> & @bob @U2 @here #general status page")


def test_escaped_text_is_clipped_to_slacks_limit_without_breaking_an_entity() -> None:
    from bot.slack.blocks import SECTION_TEXT_LIMIT, clip

    typed = "<" * 2999  # within the input limit; five times longer once escaped
    clipped = clip(escape(typed))
    assert len(clipped) <= SECTION_TEXT_LIMIT
    assert clipped.endswith("&lt;…")


def test_a_link_cut_by_slacks_limit_goes_whole_however_long_its_url() -> None:
    from bot.slack.mrkdwn import SECTION_TEXT_LIMIT, clip, link

    # Prometheus graph links carry the whole PromQL expression: hundreds of characters.
    url = "http://prometheus.example.org/graph?g0.expr=" + "rate(x%5B5m%5D)%2B" * 60
    lines = [link(url, f"alert {n}") for n in range(5)]
    clipped = clip("\n".join(lines))
    assert len(clipped) <= SECTION_TEXT_LIMIT
    kept = clipped.removesuffix("…").split("\n")
    assert kept and all(line in lines for line in kept if line)


def test_only_web_links_from_pages_are_linked() -> None:
    from bot.slack.mrkdwn import link

    assert link("https://grafana.example.org/d/x?a=1&b=2", "graph") == \
        "<https://grafana.example.org/d/x?a=1&b=2|graph>"
    # Anything else shows the words alone: Slack would make `<javascript:…|x>` or a
    # `slack://` deep link clickable too.
    for other in ("javascript:alert(1)", "slack://channel?id=C1", "", None, "  "):
        assert link(other, "graph") == "graph"
