# The relay as a small, non-root image. Build: docker build -t erp-btp-relay .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p relay

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/relay --create-home relay
COPY --from=build /src/target/release/relay /usr/local/bin/relay
USER relay
WORKDIR /var/lib/relay
ENV RELAY_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/relay/relay.db \
    LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["relay", "healthcheck"]
ENTRYPOINT ["relay"]
CMD ["serve"]
