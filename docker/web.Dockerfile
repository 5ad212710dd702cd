# CoderAI web app: the Next.js standalone server (no node_modules at run time).
#   docker build -f docker/web.Dockerfile -t coderai-web .    (from the repository root)
# API_URL (read when the server starts) names the API, e.g. http://api:8000.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV NEXT_TELEMETRY_DISABLED=1 \
    NEXT_OUTPUT=standalone
WORKDIR /web
COPY frontend/package.json frontend/package-lock.json ./
# `npm install` keeps the locked versions (see frontend/scripts/ci.sh for why not `npm ci`).
RUN npm install --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOSTNAME=0.0.0.0 \
    PORT=3000
WORKDIR /web
COPY --from=build --chown=1000:1000 /web/.next/standalone ./
COPY --from=build --chown=1000:1000 /web/.next/static ./.next/static
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:3000/').then(r => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
