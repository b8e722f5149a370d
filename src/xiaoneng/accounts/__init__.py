"""Users, roles and departments (a hierarchy: city / county-district / township-street)."""
