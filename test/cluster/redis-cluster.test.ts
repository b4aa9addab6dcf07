import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { keySlot, startRedisCluster, waitFor, type TestRedisCluster } from '@herald/testing';

// The harness itself: a real 3-master/3-replica cluster on loopback ports.
let cluster: TestRedisCluster;
before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
});
after(() => cluster?.stop());

/** The slot ranges each master serves, from CLUSTER SLOTS on any node. */
async function masterSlots(node: Redis): Promise<Map<number, Array<[number, number]>>> {
  const byPort = new Map<number, Array<[number, number]>>();
  for (const [from, to, [, port]] of await node.cluster('SLOTS')) byPort.set(port, [...(byPort.get(port) ?? []), [from, to]]);
  return byPort;
}

test('the cluster has six nodes, three masters sharing all 16384 slots, and state ok', async () => {
  assert.equal(cluster.nodes.split(',').length, 6);
  const [host, port] = cluster.nodes.split(',')[0].split(':');
  const node = new Redis(Number(port), host);
  try {
    const info = (await node.cluster('INFO')) as string;
    assert.match(info, /cluster_state:ok/);
    assert.match(info, /cluster_slots_assigned:16384/);
    assert.match(info, /cluster_known_nodes:6/);
    assert.match(info, /cluster_size:3/);
    const slots = await masterSlots(node);
    assert.deepEqual([...slots.keys()].sort(), [...cluster.masterPorts].sort());
  } finally {
    node.disconnect();
  }
});

test('a Cluster client stores a key on each master and reads it back from that master', async () => {
  const seeds = cluster.nodes.split(',').map((a) => ({ host: a.split(':')[0], port: Number(a.split(':')[1]) }));
  const client = new Cluster(seeds);
  const direct = new Redis(cluster.masterPorts[0], '127.0.0.1');
  try {
    const slots = await masterSlots(direct);
    for (const port of cluster.masterPorts) {
      // The first key whose slot this master serves.
      let key = '';
      for (let i = 0; !key; i++) {
        const slot = keySlot(`k${i}`);
        if (slots.get(port)!.some(([from, to]) => slot >= from && slot <= to)) key = `k${i}`;
      }
      assert.equal(await cluster.ownerPort(key), port);
      await client.set(key, `on ${port}`);
      const owner = new Redis(port, '127.0.0.1');
      try {
        assert.equal(await owner.get(key), `on ${port}`, `key ${key} lives on master ${port}`);
      } finally {
        owner.disconnect();
      }
    }
  } finally {
    client.disconnect();
    direct.disconnect();
  }
});

test('killMaster: the replica takes over its slots and the cluster serves them again', async () => {
  const seeds = cluster.nodes.split(',').map((a) => ({ host: a.split(':')[0], port: Number(a.split(':')[1]) }));
  const client = new Cluster(seeds);
  client.on('error', () => undefined); // the killed node refuses connections until the client drops it
  try {
    let key = '';
    for (let i = 0; !key; i++) if ((await cluster.ownerPort(`f${i}`)) === cluster.masterPorts[0]) key = `f${i}`;
    // Written on the master and acknowledged by its replica before the kill (WAIT on that connection).
    const master = new Redis(cluster.masterPorts[0], '127.0.0.1');
    await master.set(key, 'before');
    assert.equal(await master.wait(1, 2_000), 1);
    master.disconnect();
    const killedAt = Date.now();
    await cluster.killMaster(0);
    await waitFor(async () => (await cluster.ownerPort(key)) !== cluster.masterPorts[0], { timeoutMs: 20_000, intervalMs: 100, what: 'a replica promoted' });
    assert.ok(Date.now() - killedAt < 20_000);
    await waitFor(async () => (await client.get(key)) === 'before', { timeoutMs: 20_000, intervalMs: 100, what: 'the key served by the new master' });
    await client.set(key, 'after');
    assert.equal(await client.get(key), 'after');
  } finally {
    client.disconnect();
  }
});
