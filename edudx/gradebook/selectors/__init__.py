"""Reads of the gradebook, one module per area."""
