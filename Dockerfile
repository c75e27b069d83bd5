# narcowatch container image (docs/docker.md).
#
# Two stages on the same base image: `builder` installs the locked dependencies and the project
# into /app/.venv with uv; `runtime` gets only that virtualenv, the container config and the
# topic files, and runs as an unprivileged user. Build: docker build -t narcowatch .
# RUN --mount=type=cache needs BuildKit, the default builder since Docker 23.

FROM python:3.11-slim-bookworm AS builder

# uv from PyPI, pinned; every other package is pinned by uv.lock.
RUN pip install --no-cache-dir uv==0.13.9

# Bytecode is compiled at build time because the runtime user cannot write to /app; copy mode
# because the uv cache is a separate mount; the base image's Python, never a downloaded one.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies alone first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project as a regular (not editable) install, so the runtime stage needs no sources.
COPY README.md ./
COPY bot ./bot
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable


FROM python:3.11-slim-bookworm AS runtime

# A fixed uid/gid keeps the ownership of /data stable across rebuilds; /data is created here,
# owned by that user, so a fresh named volume inherits the ownership.
RUN groupadd --system --gid 10001 narcowatch \
    && useradd --system --uid 10001 --gid narcowatch --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin narcowatch \
    && mkdir /data \
    && chown narcowatch:narcowatch /data

# DATABASE_URL wins over the config's database_url; set it (compose does) for PostgreSQL.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NARCOWATCH_CONFIG=/app/config/narcowatch.yaml \
    DATABASE_URL=sqlite:////data/narcowatch.db

# Relative topic paths in the config (config/topics/...) resolve from here.
WORKDIR /app

COPY --from=builder /app/.venv /app/.venv
COPY config/topics ./config/topics
COPY config/docker/narcowatch.yaml ./config/narcowatch.yaml

VOLUME ["/data"]
# /healthz and /metrics (health.listen is 0.0.0.0:8080 in the container config).
EXPOSE 8080

USER 10001:10001

STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["narcowatch", "health"]

CMD ["narcowatch", "run"]
