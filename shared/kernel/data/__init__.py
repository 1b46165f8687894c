"""Shipped data files of the kernel: holidays.json (the working-day calendar, shared.kernel.workdays)."""
