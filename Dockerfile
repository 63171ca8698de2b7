# Container image for pgpart (the CLI and `pgpart operator`), built only from Debian 12 packages:
# no downloads besides apt. Build: docker build -t pgpart:0.1.0 .
# Checked by tests/manifests/check_manifests.py (no curl/wget/ADD <url>, non-root user, entrypoint).

FROM debian:bookworm AS build
# scripts/setup's list without the PostgreSQL server, pg_partman and the test-only tools;
# libcpprest-dev is the Kubernetes API client the operator uses (issue 5).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake g++ pkg-config \
      libpqxx-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libgtest-dev libcli11-dev \
      nlohmann-json3-dev libhowardhinnant-date-dev libssl-dev libcpprest-dev \
      tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src ./src
COPY tests ./tests
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build --target pgpart -j"$(nproc)" \
 && install -D -m 0755 build/src/cli/pgpart /out/usr/local/bin/pgpart

FROM debian:bookworm-slim
# Runtime libraries (the shared objects pgpart links, by their Debian 12 package names), and
# pgbackrest for `backupGate: {kind: pgbackrest}` (pgpart runs `pgbackrest info`; mount the
# repository's configuration, e.g. /etc/pgbackrest/pgbackrest.conf, from a Secret).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpqxx-6.4 libyaml-cpp0.7 libspdlog1.10 libfmt9 libssl3 libdate-tz3 libcpprest2.10 \
      pgbackrest tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 pgpart \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin pgpart
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/pgpart"]
CMD ["--help"]
