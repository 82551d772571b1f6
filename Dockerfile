# The SSPF bot as a container: the same locked install as `make run` (requirements/dev.lock, checked
# against its hashes, then the project without dependencies), run as a non-root user, listening on all
# interfaces, with a health check on /livez. See docs/DEPLOY.md.
#
# NOT BUILT OR RUN ON THE DEVELOPMENT MACHINES: they reach no container registry (the base image cannot be
# pulled) and have no Docker engine. tests/test_ops_deploy.py tests what the image runs instead: the entry
# point with HOST=0.0.0.0, this file's HEALTHCHECK command, configuration errors, and this file's rules.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/sspf \
    PATH=/opt/sspf/bin:$PATH

WORKDIR /app
COPY requirements/dev.lock requirements/dev.lock
RUN python -m venv /opt/sspf \
 && pip install --require-hashes -r requirements/dev.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot bot
COPY graph graph
COPY store store
COPY domain domain
COPY appPackage appPackage
# The project itself (its dependencies came from the lock above); the Azure Monitor exporter for
# APPLICATIONINSIGHTS_CONNECTION_STRING (optional: without it the bot runs without telemetry).
RUN pip install --no-deps . \
 && pip install "azure-monitor-opentelemetry-exporter==1.0.0b58" \
 && groupadd --system --gid 10001 sspf \
 && useradd --system --uid 10001 --gid sspf --home-dir /app --shell /usr/sbin/nologin sspf \
 && mkdir -p /app/var && chown sspf:sspf /app/var

# In the container the bot listens on every interface (the platform's ingress forwards to it); the
# Teams manifest is read for the meeting-chat install's resource-specific consent.
ENV HOST=0.0.0.0 \
    PORT=3978 \
    SSPF_LOG_FORMAT=json \
    SSPF_TEAMS_MANIFEST=/app/appPackage/manifest.json
USER 10001:10001
EXPOSE 3978
# Liveness only (/readyz is for the load balancer): no curl in the slim image, Python does the GET.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '3978'), timeout=4).status == 200 else 1)"]
CMD ["sspf-bot"]
