# One image for both processes: `api` and `worker` (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000
# Overridden per service: `node --import tsx worker.ts` for the worker.
CMD ["node", "--import", "tsx", "api/server.ts"]
