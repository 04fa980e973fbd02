"""The customer portal: one customer's own page, opened by a portal session's link."""
