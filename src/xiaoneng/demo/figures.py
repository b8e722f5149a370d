"""The report's figures that the demo city reproduces, each with the claim it comes from.

The demo builder reads these numbers and lays out synthetic data that adds up to them; the
dashboard and API then *compute* the figures back from the data. Nothing on a screen reads
this module. See docs/demo-city.md for how overlapping figures are reconciled.
"""

from __future__ import annotations

# S1: 456 city-level matters online out of 504 (90.48 %).
CITY_MATTERS = 504
CITY_MATTERS_ONLINE = 456
# S2: 81 % of city matters handled in the comprehensive hall (408 / 504 = 80.95 %);
# 21 counties and districts moved their approval matters to an approval bureau.
CITY_MATTERS_IN_HALL = 408
COUNTIES_WITH_APPROVAL_BUREAU = 21
# S4: the "最多跑一次" list: 543 matters from 21 city departments and public-service units.
ONE_VISIT_LIST = 543
ONE_VISIT_PROVIDERS = 21
# S5: 108 certificates cancelled at city level; 41 in Xinle, the most of any county.
CITY_CERTIFICATES_CANCELLED = 108
XINLE_CERTIFICATES_CANCELLED = 41
# S8: certificates dropped for provident-fund loans: 7 personal, 6 cooperative projects.
PROVIDENT_PERSONAL_LOAN_CERTIFICATES = 7
PROVIDENT_COOPERATIVE_CERTIFICATES = 6
# S10: 12 household-registration matters at most one visit; 15 household and traffic
# matters revised: materials −12 %, steps −10 %, time −15 %.
HOUSEHOLD_ONE_VISIT_MATTERS = 12
S10_REVISED_MATTERS = 15
S10_MATERIALS = (100, 88)
S10_STEPS = (60, 54)
S10_PROMISED_DAYS = (100, 85)
