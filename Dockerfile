# One image for every service (design.md §2); the container's command picks what runs:
#   service:    nameko run --config services/<name>/config.yaml <name>.service:<Name>Service
#   migrations: alembic -c services/<name>/alembic.ini upgrade head        (with DB_URL set; one-shot)
# The service class is named explicitly: a bare module path would also pick up the OpsEndpoints mixin.
# Configuration comes only from the environment at run time (services/<name>/config.yaml names the variables);
# nothing secret is baked in. The root filesystem can be mounted read-only: only /tmp needs to be writable.
FROM python:3.11-slim

# MALLOC_ARENA_MAX: glibc's malloc would give each thread (eventlet's tpool has 20) an arena of its own that grows
# and is not handed back; two keep a service's resident memory flat under load at the same CPU (issue 23).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MALLOC_ARENA_MAX=2

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

# The verification form embeds a CJK font (design.md §8).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, as their own layer: the lock changes far less often than the code.
COPY requirements.lock requirements-nodeps.lock ./
RUN pip install --no-cache-dir -r requirements.lock \
    && pip install --no-cache-dir --no-deps -r requirements-nodeps.lock

# The code (.dockerignore keeps the venv, tests, caches and local state out). Config files and migrations are
# read from /app/services/<name>/, the packages from site-packages.
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

USER 10001:10001
EXPOSE 8001 8002 8003 8004 8005 8006 8007
CMD ["nameko", "run", "--config", "services/intake/config.yaml", "intake.service:IntakeService"]
