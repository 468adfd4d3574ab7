# syntax=docker/dockerfile:1
# Production image: `next build` standalone output run by plain Node as a non-root user.
#   docker build -t whop-connector .
#   docker run --rm -e DATABASE_URL=… whop-connector node scripts/migrate.mjs     # once per release
#   docker run -p 3000:3000 -e DATABASE_URL=… -e APP_URL=https://… -e SESSION_SECRET=… -e ENCRYPTION_KEYS=… whop-connector
# The job worker is an image of its own, from the same build (same environment as the app):
#   docker build --target worker -t whop-connector-worker .
#   docker run -e DATABASE_URL=… -e APP_URL=https://… -e SESSION_SECRET=… -e ENCRYPTION_KEYS=… -e SMTP_URL=… -e EMAIL_FROM=… whop-connector-worker
# See README "Deploying".

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Dependencies. `npm install`, not `npm ci`: the lockfile was written on one platform and
#    lacks other platforms' optional native packages (Next's SWC, @node-rs/argon2).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/patch-postgres.mjs ./scripts/patch-postgres.mjs
RUN npm install --no-audit --no-fund
# The job queue's installer (pg-boss) with its dependencies, whole, for scripts/migrate.mjs.
RUN mkdir -p /migrate/node_modules && node -e " \
  const seen = new Set(['pg-boss']); const walk = (n) => { for (const d of Object.keys(require('./node_modules/' + n + '/package.json').dependencies || {})) if (!seen.has(d)) { seen.add(d); walk(d); } }; \
  walk('pg-boss'); console.log([...seen].join('\\n'));" | xargs -I{} cp -r node_modules/{} /migrate/node_modules/

# 2. Build: `.next/standalone` holds server.js and the traced subset of node_modules it needs.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 \
    BUILD_STANDALONE=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN npx next build && node scripts/build-worker.mjs

# 3. The job worker (`--target worker`): dist/worker.mjs — scripts/worker.ts bundled by esbuild,
#    our code only — run by plain node on the production dependencies (no tsx, no compiler).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/patch-postgres.mjs ./scripts/patch-postgres.mjs
RUN npm install --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS worker
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
# Node is PID 1 and handles SIGTERM: it stops taking jobs and finishes those in hand (up to 25 s).
CMD ["node", "dist/worker.mjs"]

# 4. Runtime (the default target, the app): no compiler, no dev dependencies, no source.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    KEEP_ALIVE_TIMEOUT=65000
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
# `node scripts/migrate.mjs`: the migrations, the job queues' list and the packages the migrator needs, whole
# (the standalone trace copies only the files the server itself loads).
COPY --from=build /app/db/migrations ./db/migrations
COPY --from=build /app/scripts/migrate.mjs ./scripts/migrate.mjs
COPY --from=deps /app/node_modules/drizzle-orm ./node_modules/drizzle-orm
COPY --from=deps /app/node_modules/postgres ./node_modules/postgres
COPY --from=deps /migrate/node_modules ./node_modules
COPY --from=build /app/lib/jobs/queues.json ./lib/jobs/queues.json
# The app's files stay root-owned and read-only for the server; only Next's cache is writable.
RUN mkdir -p .next/cache && chown node:node .next/cache
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: in-flight requests finish, then the database pool
# closes (lib/shutdown.ts). Give it a grace period above 25 s: `docker stop -t 30`. The heap
# limit is `npm start`'s: V8 would otherwise size its heap from the host's memory and collect late.
# KEEP_ALIVE_TIMEOUT above is `npm start`'s --keepAliveTimeout (README, "Keep-alive").
CMD ["node", "--max-old-space-size=256", "server.js"]
