// docker-compose.yml's `cluster` profile, checked without Docker (this machine may have no engine or no
// compose plugin): six Redis nodes and the one-shot cluster creation agree with each other, with the
// REDIS_CLUSTER_NODES the file tells you to export, and with what every app waits for. When the compose
// CLI is installed, `docker compose --profile cluster config` must accept the file too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './lib/prepare.mjs';

const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(text, { merge: true });
const services = compose.services;
const NODES = ['redis-node-0', 'redis-node-1', 'redis-node-2', 'redis-node-3', 'redis-node-4', 'redis-node-5'];
const APPS = ['migrate', 'api', 'gateway', 'worker'];
const inCluster = (name) => (services[name].profiles ?? []).includes('cluster');

test('the cluster profile is six Redis nodes in cluster mode (persistent, noeviction, announced by name) and their one-shot creation', () => {
  assert.deepEqual(Object.keys(services).filter(inCluster).sort(), [...NODES, 'redis-cluster-create'].sort());
  for (const name of NODES) {
    const node = services[name];
    const command = node.command.join(' ');
    assert.equal(node.hostname, name, `${name}: its hostname is its service name`);
    for (const flag of ['--cluster-enabled yes', '--appendonly yes', '--maxmemory-policy noeviction', '--cluster-announce-hostname $$HOSTNAME', '--cluster-preferred-endpoint-type hostname']) {
      assert.ok(command.includes(flag), `${name} runs with ${flag}`);
    }
    assert.doesNotMatch(command, /--port /, `${name} listens on 6379`);
    assert.deepEqual(node.volumes, [`${name}:/data`], `${name} keeps its data in its own volume`);
    assert.ok(name in compose.volumes, `volume ${name} is declared`);
    assert.equal(node.ports, undefined, `${name} is reachable only inside the project's network`);
  }
  const create = services['redis-cluster-create'];
  assert.deepEqual(create.environment.NODES.split(' '), NODES, 'the creation joins exactly the six nodes');
  assert.deepEqual(Object.keys(create.depends_on).sort(), NODES);
  for (const n of NODES) assert.equal(create.depends_on[n].condition, 'service_healthy');
  assert.match(create.command.join(' '), /redis-cli --cluster create \$\$addresses --cluster-replicas 1 --cluster-yes/);
  assert.equal(create.restart, 'no');
});

test('the apps take REDIS_CLUSTER_NODES from the shell, and with the profile on wait for the cluster to be formed', () => {
  const documented = /export REDIS_CLUSTER_NODES=(\S+)/.exec(text)?.[1];
  assert.ok(documented, 'the file says what to export');
  const seeds = documented.split(',');
  assert.ok(seeds.length >= 3);
  for (const seed of seeds) {
    const [host, port] = seed.split(':');
    assert.ok(NODES.includes(host) && port === '6379', `${seed} is a node of the profile`);
  }
  for (const name of APPS) {
    const app = services[name];
    assert.equal(app.environment.REDIS_CLUSTER_NODES, '${REDIS_CLUSTER_NODES:-}', `${name} passes REDIS_CLUSTER_NODES on (empty: one Redis)`);
    assert.deepEqual(app.depends_on['redis-cluster-create'], { condition: 'service_completed_successfully', required: false }, `${name} waits for the cluster only when the profile is on`);
    assert.equal(inCluster(name), false, `${name} runs in both modes`);
  }
  // Nothing outside the profile requires a service of it: `docker compose up` without it still starts.
  for (const [name, service] of Object.entries(services)) {
    if (inCluster(name)) continue;
    for (const [dep, how] of Object.entries(service.depends_on ?? {})) {
      if (inCluster(dep)) assert.equal(how.required, false, `${name} → ${dep} is optional`);
    }
  }
});

const composeCli = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
test('docker compose --profile cluster config accepts the file', { skip: composeCli ? false : 'no docker compose CLI on this machine' }, () => {
  const r = spawnSync('docker', ['compose', '--profile', 'cluster', 'config', '--quiet'], {
    cwd: ROOT,
    env: { ...process.env, HERALD_MASTER_KEY: '0'.repeat(64), REDIS_CLUSTER_NODES: 'redis-node-0:6379,redis-node-1:6379,redis-node-2:6379' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});
