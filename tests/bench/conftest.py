"""The benchmark's own tests: its model, sweep, peer and registry hygiene (no timing)."""
