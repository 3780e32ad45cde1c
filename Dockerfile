# Builds the tandem binary and runs it on a slim Debian image.
#   docker build -t tandem .
#   docker run -p 8080:8080 -e TANDEM_SERVER__HOST=0.0.0.0 \
#     -e TANDEM_DATABASE__URL=postgres://… -e TANDEM_REDIS__URL=redis://… tandem
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tandem

FROM debian:bookworm-slim
# The fonts are what PDF export can typeset: every script Noto covers, CJK and emoji.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-noto-mono \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/tandem tandem \
    && mkdir -p /var/lib/tandem && chown tandem /var/lib/tandem
COPY --from=build /src/target/release/tandem /usr/local/bin/tandem
USER tandem
WORKDIR /var/lib/tandem
ENV TANDEM_SERVER__DATA_DIR=/var/lib/tandem TANDEM_LOG__FORMAT=json
EXPOSE 8080
# Orchestrators should probe GET /health/live (liveness) and /health/ready (readiness).
ENTRYPOINT ["/usr/local/bin/tandem"]
CMD ["serve"]
