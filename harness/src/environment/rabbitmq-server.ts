import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

// How the local environment runs Debian's rabbitmq-server for sync strategy queue-push: a private
// node in the run folder (its own node name, database, logs, Erlang cookie and an empty plugin
// list, so nothing of a system-wide RabbitMQ is read or touched), every port on 127.0.0.1 only:
// AMQP, the Erlang distribution port, and an epmd (the Erlang port mapper) the environment starts
// itself on a free port, so it is stopped with the topology instead of lingering as a daemon.

/** The broker's start script; the /usr/sbin wrapper would switch to the rabbitmq user and log elsewhere. */
export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
export const EPMD = 'epmd'
export const RABBITMQ_READY = /Server startup complete/
export const EPMD_READY = /epmd running/

export interface RabbitMqPorts {
  amqp: number
  dist: number
  epmd: number
}

/** The argv of the foreground epmd the broker registers with. */
export function epmdArgs(ports: RabbitMqPorts): string[] {
  return ['-port', String(ports.epmd), '-address', '127.0.0.1', '-d']
}

/** The environment of a local broker whose files live under `dir`. */
export function rabbitMqEnv(dir: string, ports: RabbitMqPorts, nodeName: string): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true })
  const pluginsFile = path.join(dir, 'enabled_plugins')
  writeFileSync(pluginsFile, NO_PLUGINS)
  return {
    PATH: process.env.PATH,
    HOME: dir,
    LANG: 'C.UTF-8',
    ...rabbitMqListenEnv(ports, nodeName),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
  }
}

/**
 * How the broker names itself and where it listens, locally and in a container alike: AMQP, the
 * Erlang distribution port and epmd on 127.0.0.1 only, its log on standard output.
 * RUNNING_UNDER_SYSTEMD makes the start script exec the Erlang VM instead of waiting on it from a
 * shell, so the process holding the broker is the broker itself (a kill, pause or stop reaches it).
 */
export function rabbitMqListenEnv(ports: RabbitMqPorts, nodeName: string): Record<string, string> {
  return {
    RUNNING_UNDER_SYSTEMD: 'true',
    RABBITMQ_NODENAME: `${nodeName}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(ports.amqp),
    RABBITMQ_DIST_PORT: String(ports.dist),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(ports.epmd),
    RABBITMQ_LOGS: '-',
  }
}

/** An enabled-plugins file naming none: no management or Prometheus listener on other interfaces. */
export const NO_PLUGINS = '[].\n'

export function amqpUrl(ports: RabbitMqPorts): string {
  // guest may only log in over loopback, which is all this broker listens on.
  return `amqp://guest:guest@127.0.0.1:${ports.amqp}`
}
