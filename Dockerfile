# Claimdesk API image. Build: docker build -t claimdesk .
# Run (SQLite in a volume): docker run -p 8000:8000 -v claimdesk-data:/data claimdesk
# Production shape (PostgreSQL, one-shot migration, API replicas, worker): see compose.yaml.
#
# The base image is pinned by digest (python:3.11-slim-bookworm) so a rebuild uses the same
# bytes; refresh the digest deliberately (docs/operations.md, "Docker"):
#   docker buildx imagetools inspect python:3.11-slim-bookworm --format '{{json .Manifest.Digest}}'
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

# --- build: wheels for the project and its exactly pinned dependencies ------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md alembic.ini constraints.txt ./
COPY app ./app
COPY migrations ./migrations
RUN pip wheel --wheel-dir /wheels --constraint constraints.txt .

# --- runtime: no compilers, no build files, an unprivileged user -------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLAIMDESK_DATABASE_URL=sqlite:////data/claimdesk.db \
    CLAIMDESK_FORWARDED_ALLOW_IPS=* \
    PROMETHEUS_MULTIPROC_DIR=/tmp/claimdesk-metrics
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels claimdesk \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /srv/claimdesk claimdesk \
    && mkdir -p /data /srv/claimdesk && chown claimdesk /data /srv/claimdesk
WORKDIR /srv/claimdesk
USER claimdesk
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"]

# Single container: migrate, then serve (PostgreSQL upgrades take an advisory lock, so
# replicas started together take turns; compose.yaml runs the migration once instead).
CMD ["sh", "-c", "claimdesk db upgrade && exec claimdesk serve --host 0.0.0.0 --port 8000 --workers 2"]
