# syntax=docker/dockerfile:1
# One image for every Herald process; the command picks the process:
#   node dist/apps/api/src/main.js        (default) API, dashboard, OpenAPI at /docs — port 3000
#   node dist/apps/gateway/src/main.js    realtime gateway — port 3001
#   node dist/apps/worker/src/main.js     BullMQ worker — health on port 3002
#   node scripts/prisma.mjs migrate deploy && node dist/apps/api/src/seed/main.js   (one-shot)
# NODE_ENV=production below: every process needs HERALD_MASTER_KEY (32 random bytes, no placeholder),
# and the seed prints a generated admin password once unless HERALD_DEMO_PASSWORD is set.
# See docker-compose.yml for a complete setup.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that source edits reuse this layer. The root postinstall applies patches/
# and runs `prisma generate` (scripts/prisma.mjs, prisma.config.ts, prisma/), so those come along.
COPY package.json package-lock.json ./
COPY patches ./patches
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY scripts/prisma.mjs ./scripts/prisma.mjs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# The dashboard's API types are generated from the API's OpenAPI document during the build.
COPY scripts/dashboard-api-types.mjs ./scripts/dashboard-api-types.mjs
# The SDK and the Pusher plugin share one browser-library build.
COPY scripts/lib/browser-library.mjs ./scripts/lib/browser-library.mjs
# Dev tools go; the patched @prisma/adapter-pg and the generated client stay (no scripts re-run).
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# JITI_FS_CACHE: the Prisma CLI loads prisma.config.ts through jiti, whose cache would otherwise be
# written into node_modules, which the unprivileged user cannot write.
ENV NODE_ENV=production \
    HERALD_HOST=0.0.0.0 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    CHECKPOINT_DISABLE=1 \
    JITI_FS_CACHE=false
WORKDIR /app
# package.json carries "type": "module", which the compiled ESM in dist/ needs.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# For `migrate deploy`: the Prisma CLI (a runtime dependency), its config and the migrations.
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/prisma.config.ts ./
COPY --from=build /app/scripts/prisma.mjs ./scripts/prisma.mjs
# The gateway serves the script-tag SDK (/sdk/herald.js), the pusher-js replay plugin
# (/sdk/herald-pusher.js, .mjs) and the chat demo (/examples/chat/).
COPY --from=build /app/libs/sdk/dist ./libs/sdk/dist
COPY --from=build /app/libs/pusher-plugin/dist ./libs/pusher-plugin/dist
COPY examples ./examples
USER node
EXPOSE 3000 3001 3002
CMD ["node", "dist/apps/api/src/main.js"]
