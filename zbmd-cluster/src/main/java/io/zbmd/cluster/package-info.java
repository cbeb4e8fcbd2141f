/**
 * Several JVMs and hosts: membership and consensus on an existing engine, remote actor
 * refs, data-parallel training with all-reduce, elastic recovery.
 *
 * <p>Depends on zbmd-ml, zbmd-gpu and zbmd-core. (Planned: see the project's open issues.)
 */
package io.zbmd.cluster;
