"""Signals the calendar sends, so rooms that depend on it can react without being imported here.

``calendar_changed`` is sent after the transaction that changed the holiday table commits,
with ``years``: the list of years whose days changed. The clocks room listens and recomputes
the due dates that depended on those years (provisional ones included).
"""

from django.dispatch import Signal

calendar_changed = Signal()
