"""Web-to-Lead forms and what they received (placeholder: being written)."""
