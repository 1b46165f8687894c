"""Notify's use cases, a module per concern (design.md §2; issue 18): recording a message once per cause, the events
and RPC calls that ask for one, its delivery, and the views of staff and ops. Only the delivery protocol commits
(its commit points are the protocol, see ``delivery``); the others leave the commit to the entrypoint.
"""
