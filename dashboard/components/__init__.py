"""Shared UI building blocks for pages and callbacks (no queries, no rules)."""
