"""Adapters between gsomia's one Label and external formats (ZTDF, STANAG 4774)."""
