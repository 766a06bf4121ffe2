# oidcd container image: build with meson on Debian 12, run with only the shared libraries.
#
#   podman build -t oidcd .          (or: docker build -t oidcd .)
#   podman run -d --name oidcd -p 4444:4444 -v oidcd-data:/var/lib/oidcd \
#     -e OIDCD_ISSUER=https://id.example.com \
#     -e OIDCD_SECRETS_SYSTEM="$(openssl rand -hex 32)" oidcd
#
# Configuration is environment variables OIDCD_<KEY> (key upper-cased, '.' -> '_'),
# or a file given with `serve --config`. See README.md and examples/oidcd.conf.

# --- build stage ------------------------------------------------------------
FROM debian:bookworm-slim AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc libc6-dev meson ninja-build pkg-config \
        libmicrohttpd-dev libjansson-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN meson setup build --buildtype=release -Dtests=false \
    && ninja -C build

# --- runtime stage ----------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libjansson4 libssl3 libsqlite3-0 libcurl4 libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system oidcd \
    && useradd --system --gid oidcd --home-dir /var/lib/oidcd --shell /usr/sbin/nologin oidcd \
    && mkdir -p /var/lib/oidcd \
    && chown oidcd:oidcd /var/lib/oidcd \
    && chmod 0700 /var/lib/oidcd

COPY --from=build /src/build/server/oidcd /usr/local/bin/oidcd

# The database (and nothing else) lives here; mount a volume to keep it.
VOLUME /var/lib/oidcd
WORKDIR /var/lib/oidcd

# 4444: public OIDC API. 4445: admin API, bound to loopback inside the container by
# default; set OIDCD_ADMIN_LISTEN=0.0.0.0:4445 only on a private network.
EXPOSE 4444 4445

ENV OIDCD_DATABASE=/var/lib/oidcd/oidcd.db \
    OIDCD_PUBLIC_LISTEN=0.0.0.0:4444 \
    OIDCD_ADMIN_LISTEN=127.0.0.1:4445 \
    OIDCD_LOG_FORMAT=json \
    OIDCD_LOG_OUTPUT=stdout

USER oidcd

# There is no curl in the image: oidcd itself does the GET (libcurl) and exits 0 on 200.
# It asks /health/ready of the configured public.listen (OIDCD_PUBLIC_LISTEN, on loopback),
# over https when public.tls_cert is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/oidcd", "health"]

ENTRYPOINT ["oidcd"]
CMD ["serve"]
