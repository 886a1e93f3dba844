"""The retrospective document rendered from facts: what the golden file says in words, the
template a team owns, safety against Markdown in Slack text, and a very long incident.

The golden file itself is written from a fixed incident stored through the domain:
tests/domain/test_retrospective_golden.py."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.settings import ConfigError, Settings
from bot.devtools.long_incident import long_incident
from bot.domain.vocabulary import Kind
from bot.retro import render as retro
from bot.retro import samples as retro_samples
from bot.slack.messages import from_api
from tests.support.paths import GOLDEN_RETROSPECTIVE as GOLDEN

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
GENERATED = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)


def test_the_golden_file_reads_as_a_person_expects() -> None:
    """What the golden file pins down, said in words (so a regenerated file is checked)."""
    document = GOLDEN.read_text(encoding="utf-8")
    assert document.startswith("# INC-1: Checkout returns 500s \\| \\*card\\* payments\n")
    assert "| Severity | SEV1 |" in document and "| Final status | resolved |" in document
    assert "Times are in Europe/Berlin (CET)." in document
    assert "| Started | 2026-03-13 14:02 CET | |" in document
    assert "| Mitigated | 2026-03-13 14:43 CET | time to mitigate: **41 min** |" in document
    assert "| Resolved | 2026-03-13 16:16 CET | time to resolve: **2 h 14 min** |" in document
    assert "| commander | @alice | 2026-03-13 14:02 CET | 2026-03-13 15:02 CET |" in document
    assert "| commander | @bob | 2026-03-13 15:02 CET | the end |" in document
    assert "1 handover of the commander role." in document
    assert ("carol: \\#\\# Not a heading / \\| not \\| a table \\| \\[link\\](x) \\<b\\> "
            "([reply in a thread](https://") in document
    assert "bob: Rollback started, errors at 3% (typo: 30%)" in document
    assert "update · @alice: Rolled back; watching @bob" in document
    # Each follow-up with its state; the retrospective is a draft until its review is held.
    assert "- [ ] Canary stage for payments — owner @alice · open, due 2026-03-20" in document
    assert "- [x] Roll back 4512 — owner @bob · done on 2026-03-13" in document
    assert "- [ ] Write the customer notice — _no owner yet_ · open" in document
    assert "| Review | **draft**: the review meeting is due by 2026-03-16 |" in document
    # Slack text never adds structure: exactly the template's headings and table rows.
    assert [line for line in document.splitlines() if line.startswith("#")] == [
        "# INC-1: Checkout returns 500s \\| \\*card\\* payments", "## Summary", "## Impact",
        "## Key times", "## People", "## Timeline", "## Action items", "## For the meeting",
        "### What went well?", "### What was hard?", "### Where did we get lucky?",
        "### What will we change?"]
    timeline_lines = document.split("## Timeline")[1].split("##")[0].strip().splitlines()
    assert len(timeline_lines) == 16 and all(line.startswith("- **") for line in timeline_lines)
    times = [re.match(r"- \*\*(\d\d:\d\d)\*\*", line).group(1)  # type: ignore[union-attr]
             for line in timeline_lines]
    assert times == sorted(times) and times[0] == "14:02"


def test_a_team_template_replaces_the_shipped_one(tmp_path: Path) -> None:
    template = tmp_path / "ours.md.j2"
    template.write_text("# {{ incident.label }} post-incident review\n"
                        "{% for e in entries %}* {{ e.text | mentions | md }}\n{% endfor %}")
    settings = Settings(_env_file=None, SITREP_RETRO_TEMPLATE=str(template))
    document = retro.renderer_for(settings).render(retro_samples.sample_facts(), version=1,
                                                   generated_at=GENERATED)
    assert document == "# INC-1 post-incident review\n* Declared\n* Look @bob\n"


@pytest.mark.parametrize(("content", "told"), [
    ("{% for x in %}", "line 1"),
    ("{{ incident.no_such_field }}", "no_such_field"),
    ("{{ 1 | no_such_filter }}", "no_such_filter"),
    ("{{ incident.title | local_time }}", "AttributeError"),
    # Fine for a full incident, fails for one never mitigated: caught at start-up too.
    ("{{ (incident.mitigated_at - incident.started_at) | duration }}", "TypeError"),
])
def test_a_broken_template_is_refused_up_front(tmp_path: Path, content: str,
                                               told: str) -> None:
    template = tmp_path / "broken.md.j2"
    template.write_text(content)
    with pytest.raises(ConfigError, match="SITREP_RETRO_TEMPLATE") as refused:
        retro.renderer_for(Settings(_env_file=None, SITREP_RETRO_TEMPLATE=str(template)))
    assert told in str(refused.value)


# Templates a team could write that render both samples the start-up check used to try (a
# tidy small incident and a bare one), yet fail on what real incidents hold.
_LIFECYCLE_ICONS = ", ".join(f'"{kind}": "x"' for kind in [*Kind, "key_event"])
BREAKS_ONLY_ON_REAL_DATA = {
    # An action item nobody owns yet, or owned by someone Slack gave no name for.
    "owner by name": "{% for a in actions %}{{ people[a.owner_id] }}{% endfor %}",
    # Kinds the lifecycle writes (a role change, a status, a reopen …).
    "icon per kind": '{% for e in entries %}{{ {"started": "!", "key_event": "*"}[e.kind] }}'
                     "{% endfor %}",
    # Roles other than the commander.
    "role abbreviation": '{% for s in roles %}{{ {"commander": "IC"}[s.role] }}{% endfor %}',
    # The team's own timeline kinds (SITREP_TIMELINE_EMOJI below adds `hypothesis`).
    "team kinds": "{% for e in entries %}{{ {" + _LIFECYCLE_ICONS + "}[e.kind] }}"
                  "{% endfor %}",
}


@pytest.mark.parametrize("body", BREAKS_ONLY_ON_REAL_DATA.values(),
                         ids=BREAKS_ONLY_ON_REAL_DATA.keys())
def test_a_template_that_breaks_only_on_real_data_is_refused_at_start_up(
        tmp_path: Path, body: str) -> None:
    template = tmp_path / "ours.md.j2"
    template.write_text(f"# {{{{ incident.label }}}}\n{body}\n")
    settings = Settings(_env_file=None, SITREP_RETRO_TEMPLATE=str(template),
                        SITREP_TIMELINE_EMOJI="pushpin=key_event,bulb=hypothesis")
    renderer = retro.Renderer(template, UTC_ZONE)
    for tidy in (retro_samples.sample_facts(), retro_samples.bare_facts()):
        renderer.render(tidy, version=1, generated_at=GENERATED)

    with pytest.raises(ConfigError) as refused:
        retro.renderer_for(settings)
    assert str(refused.value).startswith(
        f"SITREP_RETRO_TEMPLATE {template} is broken (line 2): it fails on a sample incident: "
        "UndefinedError: ")


def test_the_shipped_template_renders_the_realistic_sample_whole() -> None:
    facts = retro_samples.realistic_facts(["key_event", "hypothesis"])
    document = retro.Renderer(None, UTC_ZONE).render(facts, version=2, generated_at=GENERATED)
    assert "| scribe | @U0DAVE |" in document  # a person Slack gave no name for
    assert "- [ ] Write the customer notice — _no owner yet_" in document
    assert "- [x] Alert on tokenisation errors, paging @bob — owner @bob" in document
    assert "· hypothesis · @U0DAVE: Deploy 4512 is \\*bad\\*" in document
    assert "- **Sat 14 Mar 00:19** · reopened · @alice: Reopened: errors are back" in document


def test_a_template_failing_on_an_incident_names_its_line(tmp_path: Path) -> None:
    template = tmp_path / "ours.md.j2"
    template.write_text("# {{ incident.label }}\n\nLevel: "
                        '{{ {1: "critical", 2: "major", 3: "minor"}[incident.severity] }}\n')
    renderer = retro.renderer_for(Settings(_env_file=None, SITREP_RETRO_TEMPLATE=str(template)))
    sev4 = replace(retro_samples.sample_facts(),
                   incident=replace(retro_samples.sample_facts().incident, severity=4))
    with pytest.raises(retro.RenderFailed) as failed:
        renderer.render(sev4, version=1, generated_at=GENERATED)
    assert (failed.value.template, failed.value.line) == (template, 3)
    assert failed.value.cause.startswith("UndefinedError: ")


def test_a_missing_template_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a file"):
        retro.renderer_for(Settings(_env_file=None,
                                    SITREP_RETRO_TEMPLATE=str(tmp_path / "nope.j2")))


def test_a_day_long_incident_with_ten_thousand_entries_renders_whole() -> None:
    facts = long_incident(entries=10_000, handovers=50)
    document = retro.Renderer(None, BERLIN).render(facts, version=1, generated_at=GENERATED)
    timeline_part = document.split("## Timeline")[1].split("\n## ")[0]
    lines = [line for line in timeline_part.splitlines() if line.startswith("- **")]
    assert len(lines) == 10_000
    # Across midnight the timeline shows the day with the time.
    assert lines[0].startswith("- **Fri 27 Nov 07:00**")
    assert lines[-1].startswith("- **Sat 28 Nov 06:5")
    assert "50 handovers of the commander role." in document
    assert document.count("| commander |") == 51
    assert "time to resolve: **1 d**" in document
    assert "second line \\| with a pipe" in document


def test_paragraphs_from_slack_cannot_add_structure() -> None:
    typed = "1. Restarted the db\n# Not a heading\n    not code\n> not a quote\n- not a list\n" \
            "a &lt; b | c"
    assert retro.md_block(typed).splitlines() == [
        "1\\. Restarted the db", "\\# Not a heading", "not code", "\\> not a quote",
        "\\- not a list", "a \\&lt; b \\| c"]


def test_messages_from_integrations_keep_the_name_they_posted_under() -> None:
    alert = from_api({"type": "message", "subtype": "bot_message", "bot_id": "B0PAGER",
                      "username": "PagerDuty", "text": "Checkout 5xx above 5%",
                      "ts": "1.000001"})
    assert alert is not None
    assert (alert.author_id, alert.bot_name, alert.text) == ("B0PAGER", "PagerDuty",
                                                            "Checkout 5xx above 5%")
