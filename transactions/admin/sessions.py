"""Admin for transactions, meter values and data-quality notes."""
