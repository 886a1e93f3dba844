"""Where files the tests read live, wherever a test module sits."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
# Real Slack payloads, kept beside the repository (../shared/slack).
SLACK_SHAPES = REPO.parent / "shared" / "slack"
GOLDEN_RETROSPECTIVE = TESTS / "golden" / "retrospective_inc1.md"
