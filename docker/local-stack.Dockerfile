# syntax=docker/dockerfile:1.7
# The local stand-ins (gateway, Step Functions, X-Ray service, vendor simulator, dynalite) for
# docker-compose.yml: the workspace as `npm start` runs it, one image, one command per service.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
FROM ${NODE_IMAGE}
ENV NODE_ENV=development
WORKDIR /src
COPY package.json package-lock.json ./
COPY libs libs
COPY apps apps
COPY infra/package.json infra/package.json
COPY test/package.json test/package.json
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund && chown -R node:node /src
USER node
# Each compose service names its own command and health check.
CMD ["node", "--version"]
