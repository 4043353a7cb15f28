"""The repository layer: how rows are found, counted, paged, staged and flushed.

- :mod:`app.repository.base`: :class:`Repository`, typed by its table (lookups with 404 or
  422, keyset pages, counts, staging and the flush that turns a duplicate into a 409);
- :mod:`app.repository.named`: :class:`NamedMixin`, for the named, hierarchical registries
  (sources, actors): name filters, fuzzy name search, parent checks and cycle refusal;
- :mod:`app.repository.sql`: the few clauses SQLite and PostgreSQL spell differently.

Each domain declares its repository in ``<domain>/repository.py`` (``SourceRepository``);
services use it and never commit (the request's unit of work does, :mod:`app.db`). Like
:mod:`app.db`, this package imports no domain.
"""
