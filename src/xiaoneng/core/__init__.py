"""Shared base pieces: errors, audit events, masking of personal data, API plumbing."""
