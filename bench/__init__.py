"""Claimdesk benchmark harness (see docs/performance.md)."""
