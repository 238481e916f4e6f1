# The wearhouse CLI and worker. TypeScript runs through tsx (a runtime dependency): no build step.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so source edits reuse this layer; patches/ holds the fixes npm ci applies to
# them (patch-package, docs/operating.md "Dependency patches").
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# The workflow bundle, built once here: the worker loads it instead of bundling at start
# (docs/operating.md, "Worker memory").
RUN node bin/wearhouse.mjs bundle-workflows --out /app/workflow-bundle.js
ENV WORKER_WORKFLOW_BUNDLE=/app/workflow-bundle.js

USER node
# Worker metrics (Prometheus), see METRICS_PORT.
EXPOSE 9464
ENTRYPOINT ["node", "bin/wearhouse.mjs"]
CMD ["worker"]
