"""Events out: signed webhooks announcing statements, disputes, contests, awards and runs."""
