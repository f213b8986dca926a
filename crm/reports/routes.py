"""Report routes (placeholder: being written)."""

from crm.reports import bp  # noqa: F401
