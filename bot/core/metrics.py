"""What `GET /metrics` counts, per process (Prometheus scrapes each replica): Slack's
requests to the bot and the bot's Web API calls to Slack. Figures read from the database
(the event inbox, open incidents) are computed when scraped (`bot/web/metrics.py`).

Every name starts with `sitrep_`; label values come from short fixed lists or from Slack's
own error codes, so the number of series stays small."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# An ack takes milliseconds; Slack gives up at 3 s.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
# A Web API call takes tens of milliseconds, or seconds while a rate limit is waited out.
_CALL_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

SLACK_REQUESTS = Counter(
    "sitrep_slack_requests", "Requests from Slack, by kind and outcome "
    "(ok, refused: unsigned, too large or malformed; error: the bot failed).",
    ["kind", "outcome"])
SLACK_REQUEST_SECONDS = Histogram(
    "sitrep_slack_request_duration_seconds",
    "Time from a Slack request's arrival to the bot's answer (the ack), by kind.",
    ["kind"], buckets=_ACK_BUCKETS)
SLACK_API_CALLS = Counter(
    "sitrep_slack_api_calls", "Web API calls to Slack after the client's retries, by method "
    "and outcome (ok, Slack's error code such as ratelimited, timeout, connection_lost).",
    ["method", "outcome"])
SLACK_API_CALL_SECONDS = Histogram(
    "sitrep_slack_api_call_duration_seconds",
    "Time a Web API call took, retries and rate-limit waits included, by method.",
    ["method"], buckets=_CALL_BUCKETS)
SLACK_API_RATE_LIMITED = Counter(
    "sitrep_slack_api_rate_limited_responses",
    "HTTP 429 answers from Slack's Web API, by method, including those the client waited "
    "out and retried.", ["method"])


def observe_request(kind: str, outcome: str, seconds: float) -> None:
    """Count one request from Slack and its time to answer. The series are looked up once
    per kind and outcome, not at every request: the ack path stays cheap."""
    series = _request_series.get((kind, outcome))
    if series is None:
        series = (SLACK_REQUESTS.labels(kind, outcome), SLACK_REQUEST_SECONDS.labels(kind))
        _request_series[(kind, outcome)] = series
    series[0].inc()
    series[1].observe(seconds)


_request_series: dict[tuple[str, str], tuple[Counter, Histogram]] = {}


PAGE_DELIVERIES = Counter(
    "sitrep_page_deliveries", "Deliveries to the paging webhooks, by source (alertmanager, "
    "pagerduty) and outcome (accepted, repeat: already handled, unauthorized, malformed, "
    "too_large, error: the bot could not keep it).", ["source", "outcome"])
