"""Chiave: credentials for Italian school registers (shared Lambda layer package)."""
