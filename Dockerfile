# ecr-auditor in a container: `ecr-auditor schedule` by default, any other command on request.
#
#   docker build -t ecr-auditor .
#   docker run --rm -v "$PWD/data:/data" ecr-auditor                  # the scheduler
#   docker run --rm -v "$PWD/data:/data" ecr-auditor run               # one audit
#
# /data is the working directory: ./ecr-auditor.toml, the SQLite database and the reports
# live there unless the config says otherwise. docs/operations.md has the details.

FROM python:3.11-slim-bookworm AS build

WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY scripts/container-install scripts/container-install
COPY auditor auditor
COPY reports/templates reports/templates
COPY migrations migrations
RUN python -m venv /opt/ecr-auditor \
    && scripts/container-install /opt/ecr-auditor /src


FROM python:3.11-slim-bookworm

# WeasyPrint renders the PDF report through Pango (which brings HarfBuzz and
# fontconfig); DejaVu gives it a font. Debian's security updates replace these
# packages, so they are not pinned to one version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 auditor \
    && useradd --system --uid 10001 --gid auditor --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin auditor \
    && mkdir /data \
    && chown auditor:auditor /data

COPY --from=build /opt/ecr-auditor /opt/ecr-auditor

ENV PATH=/opt/ecr-auditor/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /data
USER 10001:10001
# The scheduler stops on SIGTERM after the job it is running, so give `docker stop`
# (and Kubernetes' terminationGracePeriodSeconds) longer than an audit takes.
STOPSIGNAL SIGTERM
ENTRYPOINT ["ecr-auditor"]
CMD ["schedule"]
