"""The 12345 hotline room: tickets (工单), dispatch, return visits (DOMAIN_RULES.md §7)."""
