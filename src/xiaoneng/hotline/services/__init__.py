"""Every write of the hotline room, one module per kind of item.

Import from the module that owns the entity, e.g.
``from xiaoneng.hotline.services.tickets import ticket_dispatch``: ``tickets`` (the ticket
loop, merge, split, escalation, attachments, Open311 keys), ``knowledge`` (knowledge-base
articles), ``routing`` (routing rules and the dispatch classifier).
"""
