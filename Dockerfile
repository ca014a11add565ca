# The relay as a small, non-root image. Build: docker build -t erp-btp-relay .
# Where no registry is reachable, tests/container.sh makes local stand-ins for both images and
# passes them as build arguments; the defaults are the official images.
ARG RUST_IMAGE=rust:1.95-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# Copied out of target/ in the same step, so that a target/ kept in a volume between builds
# (as tests/container.sh does) still leaves the binary in this stage's layer.
RUN cargo build --release --locked -p relay \
 && cp target/release/relay /usr/local/bin/relay \
 && strip /usr/local/bin/relay

FROM ${BASE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/relay --create-home relay
COPY --from=build /usr/local/bin/relay /usr/local/bin/relay
USER relay
WORKDIR /var/lib/relay
ENV RELAY_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/relay/relay.db \
    LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["relay", "healthcheck"]
ENTRYPOINT ["relay"]
CMD ["serve"]
