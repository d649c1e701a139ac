"""Statements and payouts: what each participant is paid for a closed period."""
