/**
 * Several JVMs and hosts: membership and consensus on an existing engine, remote actor
 * refs, data-parallel training with all-reduce, elastic recovery.
 *
 * <p>Depends on zbmd-ml, zbmd-gpu and zbmd-core. Today: membership, remote actors and the
 * shard-ordered all-reduce
 * ({@link io.zbmd.cluster.ClusterNode});
 * the rest is planned (see docs/cluster.md).
 */
package io.zbmd.cluster;
