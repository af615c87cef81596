# syntax=docker/dockerfile:1
# The production image: the runtime lock only (no test or lint tools), a non-root user,
# static files collected at build time, one uvicorn process per container (scale with replicas).
# Build: docker build -t gameplatform .   Deploy: see docker-compose.yml and docs/operations/deploy.md.
# With a studio's modes: --build-arg MODE_PACKAGES="mygame==1.2" --build-arg GAME_MODES=mygame.mode.Duel,...

FROM python:3.11-slim AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements/runtime.txt /tmp/runtime.txt
# Every package pinned and hash-checked; --no-deps: the lock already lists the whole tree.
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/runtime.txt
# A studio's game modes (docs/operations/deploy.md, "Shipping your modes"): MODE_PACKAGES is pip
# requirement specifiers, space-separated: a name from an index (mygame==1.2), a wheel or a
# directory inside the build context (./studio/mygame), an https URL. Installed under the runtime
# lock as a constraint (what the venv holds, by `pip freeze`): a mode package can add its own
# dependencies but never move one of the platform's pins; a conflict fails the build.
# Relative paths are read from the build context, mounted for this step only (BuildKit; writable,
# for builds in the source tree, and thrown away after).
ARG MODE_PACKAGES=""
RUN --mount=type=bind,source=.,target=/context,rw \
    if [ -n "$MODE_PACKAGES" ]; then \
        /opt/venv/bin/pip freeze --exclude-editable > /tmp/platform.txt \
        && cd /context && /opt/venv/bin/pip install --constraint /tmp/platform.txt $MODE_PACKAGES; \
    fi


FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH STATIC_ROOT=/app/staticfiles
# The modes the image runs (import paths, comma-separated; empty: the built-in ones). Baked in as
# the default; GAME_MODES in the container's environment still overrides it. collectstatic below
# loads them: a path that does not import fails the build, with its name.
ARG GAME_MODES=""
ENV GAME_MODES=$GAME_MODES
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
# The code and the collected static files belong to root: the server cannot change them.
COPY . .
RUN python manage.py collectstatic --noinput \
    && python -m compileall -q -j 0 /app
USER app

EXPOSE 8000
# /healthz: the process is alive (no dependency checked). The compose file checks /readyz instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# The flags of the Makefile's UVICORN line (gameplatform/tests/test_load_balancer.py keeps them equal).
# Behind a proxy set FORWARDED_ALLOW_IPS to the proxy's addresses so client addresses are the real ones.
CMD ["uvicorn", "--no-access-log", "--ws", "preparedws:PreparedFramesProtocol", "--ws-per-message-deflate", "false", \
     "--ws-max-size", "16777216", "--timeout-graceful-shutdown", "10", "--timeout-worker-healthcheck", "30", \
     "--log-config", "gameplatform/operations/uvicorn-logging.json", \
     "--host", "0.0.0.0", "--port", "8000", "gameplatform.asgi:application"]
