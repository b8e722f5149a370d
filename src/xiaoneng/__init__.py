"""Xiaoneng (效能): government service delivery and efficiency supervision."""

__version__ = "0.1.0"
