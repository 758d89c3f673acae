# One image, two processes: `api` (default) and `worker` (see docker-compose.yml).
#
# Stage `build` has the dev dependencies: it builds the web app (vite) and the workflow bundle
# (`npm run build:workflows`, so the worker does not bundle at every start). The runtime stage has
# production dependencies only, the two build outputs, and runs as the unprivileged `node` user.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node node_modules/vite/bin/vite.js build --config web/vite.config.ts \
 && node --import tsx scripts/build-workflows.ts dist/workflow-bundle.js

FROM node:20.19-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    PORT=3000
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --chown=root:root . .
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
# Source and bundle are root-owned and read-only for the process; only /tmp is writable.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The worker service runs: node --import tsx worker.ts
CMD ["node", "--import", "tsx", "api/server.ts"]
