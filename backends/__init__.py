"""Execution tiers: each module registers a tier by name."""
