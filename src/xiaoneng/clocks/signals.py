"""Signals the clocks send, so rooms that keep records about clocks need not be imported here.

``clock_stopped`` is sent by :func:`xiaoneng.clocks.services.clock_stop` *inside* its
transaction, with ``clock`` (the stopped row), ``on`` (the stop day) and ``actor``. A receiver
that writes joins that transaction, so its rows commit or roll back with the stop; the
supervision room closes the clock's open warnings with it (办结销号, ARCHITECTURE.md §2).
"""

from django.dispatch import Signal

clock_stopped = Signal()
