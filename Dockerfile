# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 curl && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir --require-hashes -r requirements.txt
COPY . .
# Named volumes take the owner of the image's folder: the media (evidence, BOM documents, data call answers) and
# checkpoint folders must exist, owned by the app user, or the first upload fails with a permission error.
RUN useradd --system --uid 10001 --home /app vendorrisk && mkdir -p /app/var /app/media /app/audit-checkpoints \
    && chown -R vendorrisk /app/var /app/media /app/audit-checkpoints && chmod 700 /app/audit-checkpoints
# collectstatic needs settings that pass the DEBUG-off checks; these throwaway values exist only at build time.
RUN SECRET_KEY=build-only-$(python -c 'import secrets;print(secrets.token_urlsafe(64))') ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput
USER vendorrisk
# gunicorn reads its worker count from WEB_CONCURRENCY: about 4 per core (docs/performance.md, "Sizing").
ENV WEB_CONCURRENCY=3
EXPOSE 8000
CMD ["gunicorn", "vendorrisk.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-",
     "--limit-request-line", "8190"]
