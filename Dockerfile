# Gatehouse container image (production mode: needs DATABASE_URL and GATEHOUSE_KEK).
# docker-compose.yml builds it; `docker build -t gatehouse .` works on its own too.

# ---- build: install every dependency, generate the Prisma client, compile ------------
FROM node:24-slim AS build
WORKDIR /app

# The postinstall step (scripts/prisma-generate.mjs → `prisma generate`) reads
# prisma/schema.prisma and prisma.config.ts, so they and scripts/ come before the install.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma

# No dependency's install script is needed (bcrypt 6 loads its prebuilt binary at runtime;
# Prisma's would try to download an engine), so they are skipped whatever the image's npm
# does by default, and the one step the project needs, the client generation, is run
# explicitly. The image's own Node 24 runs everything here: the `node-linux-*` optional
# dependencies (the same runtime, for machines whose system Node is older) are pruned below.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run prisma:generate

COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
# The compiled Prisma client lands in dist/libs/db/src/generated/prisma and needs only
# @prisma/client's runtime, so the `prisma` CLI and every dev dependency can go. Optional
# dependencies go too: they are the embedded PostgreSQL binaries (this image always runs
# against DATABASE_URL) and the optional peers `prisma` and `typescript`.
RUN npm run build \
 && npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# ---- runtime: compiled code, production dependencies, migrations ---------------------
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The migrator finds prisma/migrations by walking up from dist/libs/db/src.
COPY --from=build /app/prisma/migrations ./prisma/migrations
# The CLI (from the build context: the build stage has no use for it):
# `docker compose exec gatehouse node bin/gatehouse.js admin create …`
COPY bin ./bin

# Files stay root-owned and read-only to the process; in production mode it writes nothing.
USER node
EXPOSE 3000
CMD ["node", "dist/apps/gatehouse/src/main.js"]
