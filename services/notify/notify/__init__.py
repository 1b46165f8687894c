"""The notify service: the standard SMS texts (P2), contact-confirmation codes by SMS and e-mail, and a record of
every delivery attempt; each message is sent at most once per (cause, recipient, template)."""
