# Claimdesk API image. Build: docker build -t claimdesk .
# Run (SQLite in a volume): docker run -p 8000:8000 -v claimdesk-data:/data claimdesk
# Production shape (PostgreSQL): see compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLAIMDESK_DATABASE_URL=sqlite:////data/claimdesk.db

WORKDIR /srv/claimdesk
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /srv/claimdesk claimdesk \
    && mkdir -p /data && chown claimdesk /data

USER claimdesk
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"]

# Migrate, then serve. The server refuses to start on a stale schema, so the order matters.
CMD ["sh", "-c", "claimdesk db upgrade && exec claimdesk serve --host 0.0.0.0 --port 8000 --workers 2"]
