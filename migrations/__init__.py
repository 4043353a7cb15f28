"""Alembic migrations: the only way Claimdesk's schema is made."""
