"""The notify service: the standard SMS texts (P2), contact-confirmation codes by SMS and e-mail, and a record of
every delivery attempt; each message is sent once per (cause, recipient, template), and again only when the
gateway has no record of it (the delivery rule in :mod:`notify.domain`)."""
