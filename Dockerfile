# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY bench ./bench
COPY test ./test
RUN npx tsc -p tsconfig.json

# Runtime stage: production dependencies and the compiled program only.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /opt/capstan
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY proto ./proto
RUN groupadd --system capstan && useradd --system --gid capstan --home /var/lib/capstan capstan \
  && mkdir -p /var/lib/capstan && chown capstan:capstan /var/lib/capstan
USER capstan
VOLUME ["/var/lib/capstan"]
# 2379 clients, 2380 peers, 2381 metrics (as kubeadm's etcd).
EXPOSE 2379 2380 2381
ENTRYPOINT ["node", "/opt/capstan/dist/src/server/main.js"]
CMD ["--data-dir=/var/lib/capstan/default.capstan", \
     "--listen-client-urls=http://0.0.0.0:2379", "--advertise-client-urls=http://127.0.0.1:2379", \
     "--listen-peer-urls=http://0.0.0.0:2380", "--listen-metrics-urls=http://0.0.0.0:2381"]
