"""Lead imports and their saved mappings (placeholder: being written)."""
