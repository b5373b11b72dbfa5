# syntax=docker/dockerfile:1
# NEXUS Portal: one image for web (gunicorn), migrate, Celery worker and Celery beat.
FROM python:3.11-slim

# gunicorn reads WEB_CONCURRENCY as its default worker count; override it per host
# (roughly 2 x CPU cores + 1 for this I/O-bound app).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 nexus \
    && useradd --system --uid 10001 --gid nexus --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin nexus

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code changes don't reinstall them.
# The project declares no packages, so `pip install .` installs only its dependencies;
# building outside /app keeps build/ and *.egg-info out of the image.
COPY pyproject.toml /tmp/nexus-build/pyproject.toml
RUN pip install /tmp/nexus-build && rm -rf /tmp/nexus-build

COPY . .

# collectstatic needs settings to load with DEBUG=False (so whitenoise writes its
# compressed, hashed manifest). These build-time values only satisfy the production
# guard in settings.py; nothing connects to the database, and none of them reach the
# running container.
RUN DEBUG=False \
    SECRET_KEY=build-time-only-collectstatic-placeholder-not-a-secret \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/celerybeat \
    && chown -R nexus:nexus /app/var

# Code and static files stay root-owned and read-only to the app user; only /app/var
# (the Celery beat schedule) is writable.
USER nexus

EXPOSE 8000

CMD ["gunicorn", "nexus_portal.wsgi", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "30", \
     "--max-requests", "1000", "--max-requests-jitter", "100", \
     "--access-logfile", "-"]
