import path from 'node:path'
import { LOCAL_DEBIAN_IMAGE, type BaseImageKind } from './image-catalog.js'

// How each registry-free image is built: a Dockerfile on top of the local Debian image, plus the
// files its context needs. Each behaves like its official counterpart where LoadLab relies on it
// (command names on PATH, the ENTRYPOINT/CMD convention, POSTGRES_* variables), so a member
// starts the same way from either.

export interface LocalRecipe {
  dockerfile: string
  /** Files the context needs besides the Dockerfile: name in the context -> content, or a host file to copy. */
  files: Record<string, { content: string; mode?: number } | { hostFile: string; mode?: number }>
}

const APT_INSTALL = (packages: string) =>
  `RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages} \\
 && rm -rf /var/lib/apt/lists/*`

// The official postgres image's contract, in short: as root it fixes the data folder's owner and
// re-runs itself as postgres; on an empty data folder it runs initdb with POSTGRES_USER and
// POSTGRES_PASSWORD (password required on TCP) and creates POSTGRES_DB.
const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -eu
if [ "\${1:-}" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown -R postgres:postgres "$PGDATA" /run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "\${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="\${POSTGRES_USER:-postgres}"
  pwfile=$(mktemp)
  printf '%s\\n' "\${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" > "$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  db="\${POSTGRES_DB:-$user}"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \\"$db\\" OWNER \\"$user\\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi
exec "$@"
`

/** Where the Kafka image keeps the broker's jars (Apache's official image too). */
export const KAFKA_IMAGE_LIBS = '/opt/kafka/libs'

/**
 * The recipe of one local image; `hostNode` is this machine's Node binary, `toxiproxyServer` a
 * built toxiproxy server (for kind toxiproxy), `kafkaJars` the broker's jars (for kind kafka).
 */
export function localRecipe(kind: BaseImageKind, inputs: { hostNode: string; toxiproxyServer: string; kafkaJars: string[] }): LocalRecipe {
  const from = `FROM ${LOCAL_DEBIAN_IMAGE}`
  switch (kind) {
    case 'node':
      // This machine's own Node (the version LoadLab runs on), where the official image has it.
      return { dockerfile: `${from}\nCOPY node /usr/local/bin/node\nCMD ["node"]\n`, files: { node: { hostFile: inputs.hostNode, mode: 0o755 } } }
    case 'redis':
      return { dockerfile: `${from}\n${APT_INSTALL('redis-server')}\nCMD ["redis-server"]\n`, files: {} }
    case 'memcached':
      // memcached refuses to run as root; the official image runs it as user memcache too.
      return { dockerfile: `${from}\n${APT_INSTALL('memcached')}\nUSER memcache\nCMD ["memcached"]\n`, files: {} }
    case 'rabbitmq':
      // policy-rc.d: the package's install script must not start a broker while the image builds.
      // `rabbitmq-server` on PATH is the start script itself, as in the official image (Debian's
      // /usr/sbin wrapper would switch users through a shell, between Docker and the broker).
      return {
        dockerfile: `${from}
RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
${APT_INSTALL('rabbitmq-server')}
RUN rm /usr/sbin/policy-rc.d
ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["rabbitmq-server"]
`,
        files: {},
      }
    case 'kafka':
      // Debian's JRE and the jars the local environment runs (fetched from Maven Central).
      return {
        dockerfile: `${from}\n${APT_INSTALL('openjdk-17-jre-headless')}\nCOPY *.jar ${KAFKA_IMAGE_LIBS}/\n`,
        files: Object.fromEntries(inputs.kafkaJars.map((jar) => [path.basename(jar), { hostFile: jar }])),
      }
    case 'postgres':
      return {
        dockerfile: `${from}
RUN mkdir -p /etc/postgresql-common \\
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
${APT_INSTALL('postgresql')}
RUN ln -s /usr/lib/postgresql/*/bin/* /usr/local/bin/
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
`,
        files: { 'docker-entrypoint.sh': { content: POSTGRES_ENTRYPOINT, mode: 0o755 } },
      }
    case 'haproxy':
      return { dockerfile: `${from}\n${APT_INSTALL('haproxy')}\nCMD ["haproxy", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]\n`, files: {} }
    case 'nginx':
      return { dockerfile: `${from}\n${APT_INSTALL('nginx-light')}\nCMD ["nginx", "-g", "daemon off;"]\n`, files: {} }
    case 'toxiproxy':
      // Same entry point as the official image (/toxiproxy), so both take the same arguments.
      return {
        dockerfile: `${from}\nCOPY toxiproxy-server /toxiproxy\nENTRYPOINT ["/toxiproxy"]\nCMD ["-host=0.0.0.0"]\n`,
        files: { 'toxiproxy-server': { hostFile: inputs.toxiproxyServer, mode: 0o755 } },
      }
  }
}
