import { LuaScript } from './lua-script.js';

/**
 * A Lua script that publishes on a channel's fan-out, in the variant of the deployment: on one Redis
 * classic PUBLISH; on a Redis Cluster sharded SPUBLISH, so a frame crosses only the shard that owns its
 * channel instead of being broadcast to every node (the fan-out name then carries the channel's hash tag,
 * RedisKeys.channel, and a script may publish on it). The variant is fixed at load by a two-line header:
 * `FANOUT_PUBLISH` is the command, `CLUSTER` true on a cluster (the accept and recover scripts then also
 * watch the master's replication id: docs/architecture.md#durability).
 */
export class FanoutScript {
  private readonly single: LuaScript;
  private readonly sharded: LuaScript;

  constructor(name: string, source: string, numKeys: number | 'variable') {
    this.single = new LuaScript(name, `local CLUSTER, FANOUT_PUBLISH = false, 'PUBLISH'\n${source}`, numKeys);
    this.sharded = new LuaScript(name, `local CLUSTER, FANOUT_PUBLISH = true, 'SPUBLISH'\n${source}`, numKeys);
  }

  /** The variant for a cluster (true) or one Redis (false): RedisKeys.cluster. */
  variant(cluster: boolean): LuaScript {
    return cluster ? this.sharded : this.single;
  }
}
