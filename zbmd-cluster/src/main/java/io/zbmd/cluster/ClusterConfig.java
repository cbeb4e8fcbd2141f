package io.zbmd.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a node joins its cluster: the cluster's name and secret, where this node listens, the
 * seeds it asks first, how fast a dead or hung member is noticed, and the largest frame it
 * takes.
 *
 * <p>The secret plays the part of Erlang's cookie: a node that does not hold it is refused
 * when it asks to join or to merge, and the refusal is logged and published on the event
 * stream. It is never printed. Defaults: loopback only, the first free port from 7800 to 7899
 * (JGroups' own default port), no seeds (the node starts a cluster of its own), a member that
 * stops answering is dead after 2 s, frames up to 16 MiB.
 *
 * @param cluster the cluster's name; nodes of other names never meet
 * @param secret at least 16 characters, the same on every node
 * @param bindAddress the address this node listens on (loopback unless you need more)
 * @param port the first port this node tries to listen on
 * @param portRange how many ports after {@code port} it tries when that one is taken
 * @param seeds where members may be found at the start (host and port of other nodes)
 * @param failureTimeout how long a member may stay silent before it counts as dead (a killed
 *     process is noticed at once, by its closed connection; this is for a hung one)
 * @param joinTimeout how long a join waits for the cluster's answer before this node starts a
 *     cluster of its own
 * @param maxFrameBytes the largest frame accepted from the network; a larger one is refused
 * @param voters the names of the nodes that hold the cluster's state by Raft (an odd number,
 *     three or five); empty for none. Only a voter offers {@link ClusterNode#state()}
 */
public record ClusterConfig(String cluster, String secret, InetAddress bindAddress, int port, int portRange,
        List<InetSocketAddress> seeds, Duration failureTimeout, Duration joinTimeout, int maxFrameBytes,
        List<String> voters) {
    /** Fewer characters than this and a secret could be guessed. */
    public static final int MIN_SECRET_LENGTH = 16;

    /** Checks every value and names the one that is wrong. */
    public ClusterConfig {
        Objects.requireNonNull(cluster, "cluster name must not be null");
        Objects.requireNonNull(secret, "secret must not be null");
        Objects.requireNonNull(bindAddress, "bind address must not be null");
        Objects.requireNonNull(seeds, "seeds must not be null");
        Objects.requireNonNull(failureTimeout, "failure timeout must not be null");
        Objects.requireNonNull(joinTimeout, "join timeout must not be null");
        if (cluster.isBlank()) {
            throw new IllegalArgumentException("the cluster name is empty; give every node of the cluster the same name");
        }
        if (secret.length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("the cluster secret has " + secret.length() + " characters; give every"
                    + " node the same secret of at least " + MIN_SECRET_LENGTH + " characters");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is not a TCP port; use 1 to 65535");
        }
        if (portRange < 0 || port + portRange > 65_535) {
            throw new IllegalArgumentException("port range " + portRange + " from port " + port + " leaves the TCP"
                    + " ports; use 0 to " + (65_535 - port));
        }
        seeds = List.copyOf(seeds);
        voters = List.copyOf(Objects.requireNonNull(voters, "voters must not be null"));
        if (voters.stream().distinct().count() != voters.size() || voters.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("voters " + voters + " name a node twice or a blank one; give each"
                    + " voting node's actor system name once");
        }
        if (failureTimeout.toMillis() < 100) {
            throw new IllegalArgumentException("failure timeout " + failureTimeout + " is too short to tell a busy"
                    + " member from a dead one; use 100 ms or more");
        }
        if (joinTimeout.toMillis() < 100) {
            throw new IllegalArgumentException("join timeout " + joinTimeout + " is too short for an answer; use 100 ms"
                    + " or more");
        }
        if (maxFrameBytes < 64 * 1024) {
            throw new IllegalArgumentException("maximum frame of " + maxFrameBytes + " bytes is below the 64 KiB a"
                    + " membership message may need");
        }
    }

    /**
     * @param cluster the cluster's name
     * @param secret the cluster's secret, at least {@value #MIN_SECRET_LENGTH} characters
     * @return a node on loopback, the first free port from 7800, no seeds, the default timeouts
     *     and frame limit
     */
    public static ClusterConfig loopback(String cluster, String secret) {
        return new ClusterConfig(cluster, secret, InetAddress.getLoopbackAddress(), 7800, 99, List.of(),
                Duration.ofSeconds(2), Duration.ofSeconds(2), 16 << 20, List.of());
    }

    /** @return this config listening on the first free port of {@code port} to {@code port + portRange} */
    public ClusterConfig withPorts(int port, int portRange) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** @return this config listening on {@code port} only */
    public ClusterConfig withPort(int port) {
        return withPorts(port, 0);
    }

    /** @return this config with another secret */
    public ClusterConfig withSecret(String secret) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** @return this config asking {@code seeds} first */
    public ClusterConfig withSeeds(List<InetSocketAddress> seeds) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** @return this config listening on {@code bindAddress} */
    public ClusterConfig withBindAddress(InetAddress bindAddress) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** @return this config with a hung member dead after {@code failureTimeout} */
    public ClusterConfig withFailureTimeout(Duration failureTimeout) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** @return this config waiting {@code joinTimeout} for an answer to a join */
    public ClusterConfig withJoinTimeout(Duration joinTimeout) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** @return this config with {@code voters} holding the cluster's state by Raft */
    public ClusterConfig withVoters(List<String> voters) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** @return this config taking frames of up to {@code maxFrameBytes} */
    public ClusterConfig withMaxFrameBytes(int maxFrameBytes) {
        return new ClusterConfig(cluster, secret, bindAddress, port, portRange, seeds, failureTimeout, joinTimeout,
                maxFrameBytes, voters);
    }

    /** Never shows the secret. */
    @Override
    public String toString() {
        return "ClusterConfig[cluster=" + cluster + ", secret=(" + secret.length() + " characters), bindAddress="
                + bindAddress.getHostAddress() + ", port=" + port + ", portRange=" + portRange + ", seeds=" + seeds + ", failureTimeout="
                + failureTimeout + ", joinTimeout=" + joinTimeout + ", maxFrameBytes=" + maxFrameBytes + ", voters=" + voters
                + "]";
    }
}
