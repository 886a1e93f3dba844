# Sitrep in a container: `docker build -t sitrep .`, then see compose.yaml and the README's
# "Running in containers".

# --- build: install Sitrep and its dependencies into a virtualenv ---------------------------
FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/sitrep
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY handlers /src/handlers
COPY migrations /src/migrations
RUN /opt/sitrep/bin/pip install /src

# --- run: the virtualenv alone, as a user that owns nothing but the data folder ------------
FROM python:3.12-slim
RUN groupadd --system --gid 10001 sitrep \
 && useradd --system --uid 10001 --gid sitrep --home-dir /data --shell /usr/sbin/nologin sitrep \
 && mkdir /data && chown sitrep:sitrep /data
COPY --from=build /opt/sitrep /opt/sitrep
ENV PATH=/opt/sitrep/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=3000 \
    DATABASE_URL=sqlite+aiosqlite:////data/sitrep.db
# SQLite's database (and its -wal and -shm files) live here; .env is read from here too.
VOLUME ["/data"]
WORKDIR /data
USER sitrep:sitrep
EXPOSE 3000
# 200 once the database answers (and Socket Mode is connected); 503 or no answer otherwise.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)\nexcept Exception as error:\n    sys.exit(f'unhealthy: {error}')"]
# SIGTERM (docker stop) lets work in hand finish; Sitrep exits within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["sitrep"]
CMD ["serve"]
