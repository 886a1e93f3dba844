"""Speaking to PagerDuty's REST API: only what a page needs that its webhook does not say."""
