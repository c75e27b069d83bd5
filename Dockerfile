# narcowatch container image (docs/docker.md).
#
# Two stages on the same base image: `builder` installs the locked dependencies and the project
# into /app/.venv with uv; `runtime` gets only that virtualenv, the container config and the
# topic files, and runs as an unprivileged user. Build: docker build -t narcowatch .
# RUN --mount=type=cache needs BuildKit, the default builder since Docker 23.

FROM python:3.11-slim-bookworm AS builder

# uv from PyPI, pinned; every other package is pinned by uv.lock.
RUN pip install --no-cache-dir uv==0.13.9

# binutils for `strip` (docker/slim-venv.sh); the builder stage is thrown away.
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils=2.40* \
    && rm -rf /var/lib/apt/lists/*

# No blanket bytecode: docker/slim-venv.sh compiles only what narcowatch imports (the runtime
# user cannot write to /app), so `uv sync` is told not to compile (the project's
# compile-bytecode setting, for development checkouts, would otherwise compile all 5,700
# files first); copy mode because the uv cache is a separate mount; the base image's Python,
# never a downloaded one.
ENV UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies alone first: this layer is rebuilt only when the lock file changes.
# psycopg-binary bundles its own libpq and OpenSSL (12 MB): the runtime stage takes Debian's
# libpq5 instead, which psycopg finds by itself.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project --no-install-package psycopg-binary \
        --no-compile-bytecode

# Then the project as a regular (not editable) install, so the runtime stage needs no sources.
# uv keys its cached build of the project on pyproject.toml, not on bot/: without
# --reinstall-package a cache mount kept from an earlier build installs the old code. The
# wheel carries the bundled config and topics (pyproject.toml, force-include).
COPY README.md ./
COPY config/narcowatch.yaml ./config/narcowatch.yaml
COPY config/topics ./config/topics
COPY bot ./bot
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-package psycopg-binary \
        --reinstall-package narcowatch --no-compile-bytecode

# Tests, sample data, unused locale data and fonts, debug symbols; bytecode for what is used.
COPY docker/slim-venv.sh /tmp/slim-venv.sh
RUN sh /tmp/slim-venv.sh /app/.venv


FROM python:3.11-slim-bookworm AS runtime

# A fixed uid/gid keeps the ownership of /data stable across rebuilds; /data is created here,
# owned by that user, so a fresh named volume inherits the ownership.
# libpq5 for psycopg (PostgreSQL); the 15.x series is bookworm's.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5=15.* \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 narcowatch \
    && useradd --system --uid 10001 --gid narcowatch --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin narcowatch \
    && mkdir /data \
    && chown narcowatch:narcowatch /data

# DATABASE_URL wins over the config's database_url; set it (compose does) for PostgreSQL.
# matplotlib keeps its font cache in MPLCONFIGDIR: /app is read-only for the runtime user.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    NARCOWATCH_CONFIG=/app/config/narcowatch.yaml \
    DATABASE_URL=sqlite:////data/narcowatch.db

# Relative paths resolve from here; topic paths (topics/...) beside the config file.
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
