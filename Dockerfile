# Production image: gunicorn by default; the same image runs migrate, the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# WeasyPrint renders through Pango/HarfBuzz; DejaVu is the fallback font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# Runtime dependencies only, in their own layer so code changes don't reinstall them. The code
# itself runs from /app (PYTHONPATH): templates/ and static/ live beside the packages, and
# BASE_DIR must point here, so the project is not installed into site-packages.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Production settings refuse to load without these; the values exist only during this step.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything-0000 \
    DJANGO_ALLOWED_HOSTS=build \
    DJANGO_ALLOW_PLAINTEXT_SERVICES=true \
    python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/media \
    && chown app:app /app/media

# The code stays root-owned and read-only to the app; only media (generated PDFs) is writable.
USER app
EXPOSE 8000
CMD ["gunicorn", "coordinator.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
