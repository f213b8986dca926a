"""Selling what the opportunity is about: money arithmetic, document numbers, and the documents
(quote, order, invoice) made one from another. Pages live in their own blueprints."""
