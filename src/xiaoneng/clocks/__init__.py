"""Clocks: every promise counted in legal working days, with pauses, extensions and warnings."""
