# syntax=docker/dockerfile:1
# Build stage: compile TypeScript and build the native better-sqlite3 addon.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, PostgreSQL client tools (pg_dump/pg_restore 15) and ssh.
FROM node:20-bookworm-slim
ENV NODE_ENV=production DRAWBRIDGE_DATA_DIR=/data DRAWBRIDGE_CONFIG=/config/drawbridge.yml PORT=3000
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
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
