"""Writes of the gradebook, one module per area (entry, results, locking, transcripts, rulesets)."""
