# One image for every Steward process; the process is the argument:
#   docker build -t steward .
#   docker run --rm steward migrate                 # database, event store, checkpoints, JetStream streams
#   docker run -p 8080:8080 steward gateway         # or relay, projections, team-rbac, job-history,
#                                                   # usage-metering, runtime-registry (libs/config/src/processes.ts)
#   docker run --rm -it steward bootstrap --url …   # the first organization and owner (prints the token once)
#   docker run --rm steward steward projections status
# Runs as uid 1000 with NODE_ENV=production: STEWARD_MASTER_KEY is required (libs/secrets/README.md).
# tests/deploy/image-layout.e2e.spec.ts lays out what the last stage holds and starts every process from it.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Compiles every project with swc into dist/ (npm run build: path aliases rewritten to relative requires)
# and the console with vite into apps/console/dist.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nx.json tsconfig.base.json tsconfig.json .swcrc ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
COPY apps ./apps
ENV NX_DAEMON=false NX_NO_CLOUD=true
# Also builds the web console (apps/console/dist, vite): the gateway serves it at /.
RUN npm run build

# Production dependencies only, installed exactly from the lock. No install scripts: none of the
# production packages needs one to run (prebuilt binaries come as optional packages).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PORT=8080 \
    GATEWAY_HOST=0.0.0.0 \
    STEWARD_OPS_PORT=9464 \
    STEWARD_OPS_HOST=0.0.0.0
WORKDIR /app
# Owned by root and read-only to the process: it writes nothing beside itself.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/apps/console/dist ./apps/console/dist
COPY package.json ./
# The official image's `node` user, by number so that a runAsNonRoot policy can verify it.
USER 1000:1000
# 8080: the gateway's API (and its /healthz, /readyz, /metrics); 9464: every other process's ops port.
EXPOSE 8080 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "dist/tools/healthcheck.js"]
# Node runs as PID 1 and the chosen process handles SIGTERM itself (drains, then exits 0).
ENTRYPOINT ["node", "dist/tools/entrypoint.js"]
CMD ["gateway"]
