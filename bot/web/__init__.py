"""HTTP pages beside Slack's endpoint: metrics, and the access log's choice of lines."""
