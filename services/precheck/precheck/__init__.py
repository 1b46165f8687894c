"""The precheck service: not built yet (see the README's table and its issue)."""
