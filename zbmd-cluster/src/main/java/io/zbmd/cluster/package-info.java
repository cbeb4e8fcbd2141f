/**
 * Several JVMs and hosts: membership and consensus on an existing engine, remote actor
 * refs, data-parallel training with all-reduce, elastic recovery.
 *
 * <p>Depends on zbmd-ml, zbmd-gpu and zbmd-core. Today: membership, remote actors, the
 * training group's epochs held by Raft, and the shard-ordered all-reduce (start at
 * {@link io.zbmd.cluster.ClusterNode}); the rest is planned (see docs/cluster.md).
 */
package io.zbmd.cluster;
