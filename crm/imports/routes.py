"""Routes of the lead import (placeholder: being written)."""

from crm.imports import bp  # noqa: F401
