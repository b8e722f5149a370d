"""Notifications: in-site messages plus email/SMS through pluggable senders, sent after commit."""
