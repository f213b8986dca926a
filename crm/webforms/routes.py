"""Routes of the Web-to-Lead forms (placeholder: being written)."""

from crm.webforms import bp  # noqa: F401
