"""The demo city: a deterministic, clearly labelled synthetic city for trying the platform."""
