"""What every door shares to run an export: the session (settings, timeouts, rate budget, stop event)."""
