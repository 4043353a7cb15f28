"""Claimdesk: who said what, and when, about news incidents."""

__version__ = "0.1.0"
