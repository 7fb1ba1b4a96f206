# syntax=docker/dockerfile:1
# Build stage: compile TypeScript (the bot), bundle the CLI (esbuild) and build the native
# better-sqlite3 addon.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle-cli.ts scripts/cli-launcher.ts ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, PostgreSQL client tools and ssh.
# pg_dump refuses a server newer than itself and dumps older ones (17 back to 9.2), so one client, the
# newest, serves PostgreSQL 13 to 17: postgresql-client-17 from the PostgreSQL project's apt repository
# (apt.postgresql.org; Debian's own bookworm ships 15). It installs /usr/lib/postgresql/17/bin, where the
# preflight finds it (core/backup/pg-client.ts). The charts' font is the npm package dejavu-fonts-ttf,
# in node_modules: no system font is needed.
FROM node:20-bookworm-slim
ENV NODE_ENV=production DRAWBRIDGE_DATA_DIR=/data DRAWBRIDGE_CONFIG=/config/drawbridge.yml PORT=3000
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl openssh-client \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
      https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-17 \
 && apt-get purge -y --auto-remove curl \
 && rm -rf /var/lib/apt/lists/* \
 && /usr/lib/postgresql/17/bin/pg_dump --version \
 && groupadd --system drawbridge && useradd --system --gid drawbridge --home /data drawbridge \
 && mkdir -p /data /config && chown drawbridge:drawbridge /data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY manifest.yml ./
USER drawbridge
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
