# Tollgate — production image. Multi-stage: build with dev dependencies, run with production
# dependencies only, as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY admin-ui ./admin-ui
RUN npm run build

FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The provider simulator, for `docker compose --profile mock` only (a test double: never in the
# production image, which is the last stage and what `docker build .` builds).
FROM build AS mock-upstream
COPY test/mock-upstream ./test/mock-upstream
COPY scripts/point-at-mock.ts ./scripts/point-at-mock.ts
USER node
EXPOSE 9090
ENV MOCK_HOST=0.0.0.0 MOCK_PORT=9090
CMD ["node", "--import", "tsx", "test/mock-upstream/cli.ts"]

FROM node:20-bookworm-slim
# NODE_OPTIONS: the start flags of `npm start` (README, "Memory and the young generation").
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=64 \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/admin-ui/dist ./admin-ui/dist
COPY package.json ./
COPY migrations ./migrations
COPY config-schema ./config-schema
COPY catalogue ./catalogue
# DATA_DIR holds the embedded database when DATABASE_URL is unset (mount a volume to keep it).
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
