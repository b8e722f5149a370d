"""Every write of the supervision room, one module per kind of item.

Import from the module that owns the entity, e.g.
``from xiaoneng.supervision.services.warnings import warnings_scan``.
"""
