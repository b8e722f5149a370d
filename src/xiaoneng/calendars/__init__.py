"""Working-day calendar: holidays, adjusted working days, and working-day arithmetic."""
