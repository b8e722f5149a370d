"""The efficiency office dashboard: read-only KPIs computed from the data."""
