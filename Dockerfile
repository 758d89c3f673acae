# One image for both processes: `api` and `worker` (see docker-compose.yml).
# The web app is built in a stage of its own (its tools are dev dependencies) and only its static
# files are copied into the image, where the API serves them under /app/.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web ./web
RUN node node_modules/vite/bin/vite.js build --config web/vite.config.ts

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
COPY --from=web /app/web/dist ./web/dist
USER node
EXPOSE 3000
# Overridden per service: `node --import tsx worker.ts` for the worker.
CMD ["node", "--import", "tsx", "api/server.ts"]
