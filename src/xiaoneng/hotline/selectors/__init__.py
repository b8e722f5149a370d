"""Every read of the hotline room, one module per kind of item.

Import from the module that owns the entity, e.g.
``from xiaoneng.hotline.selectors.tickets import ticket_for_user``: ``tickets``,
``knowledge`` (article search), ``routing`` (dispatch suggestions).
"""
