/**
 * The Dockerfile of the image every LoadLab pod runs (agents, and with --sut the CRM's members):
 * a build of this checkout on Node 20, with `loadlab` on the PATH. Built from the root of a
 * LoadLab checkout (the build context), so the image runs exactly the code that exported the
 * manifests. haproxy, nginx, redis-server and memcached are there for the CRM's balancer implementations and its
 * shared cache; agents do not need them.
 */
export function agentDockerfile(): string {
  return `# syntax=docker/dockerfile:1
# The LoadLab image: \`loadlab agent\` for the load generators, the reference CRM service for --sut.
# Build it from the root of the LoadLab checkout that wrote this file (see the command printed by
# \`loadlab k8s export\`).
FROM node:20-bookworm-slim AS build
WORKDIR /opt/loadlab
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY system-under-test ./system-under-test
COPY harness ./harness
COPY scenarios ./scenarios
RUN npm run build && npm prune --omit=dev --omit=optional

FROM node:20-bookworm-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends haproxy nginx-light redis-server memcached \\
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/loadlab
COPY --from=build /opt/loadlab ./
RUN ln -s /opt/loadlab/harness/bin/loadlab.js /usr/local/bin/loadlab
# uid 1000 ("node" in this image): the pods run as non-root.
USER 1000:1000
`
}

/** Keeps the build context small and free of local output and secrets (a sibling of the Dockerfile). */
export function agentDockerignore(): string {
  return ['node_modules', '**/dist', 'reports', '.cache', '.git', '*.log', ''].join('\n')
}

/** The command that builds the image from a LoadLab checkout with a Dockerfile written by this export. */
export function imageBuildCommand(image: string, dockerfile: string, checkout: string): string {
  return `docker build -t ${image} -f ${dockerfile} ${checkout}`
}
