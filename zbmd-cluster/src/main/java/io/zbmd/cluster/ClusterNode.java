package io.zbmd.cluster;

import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ExitReason;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Message;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.PhysicalAddress;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.protocols.raft.ELECTION;
import org.jgroups.protocols.raft.InMemoryLog;
import org.jgroups.protocols.raft.NO_DUPES;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.protocols.raft.REDIRECT;
import org.jgroups.protocols.raft.Role;
import org.jgroups.raft.RaftHandle;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.ExtendedUUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This JVM's actor system as a member of a cluster: membership, failure detection and
 * merging after a partition come from JGroups (TCP, a static seed list, FD_SOCK2 for a closed
 * connection and FD_ALL3 for a silent member, MERGE3), behind a door that admits only nodes
 * that prove the cluster's secret ({@link SecretJoin}). Each change of the members is
 * published on the system's event stream as a {@link ClusterEvent.MembersChanged}; each
 * refused node as a {@link ClusterEvent.Refused}.
 *
 * <p>A member is the actor system's name and incarnation ({@link Member}), carried in the
 * node's JGroups address, so that the member an actor lives on is read off its
 * {@link io.zbmd.actor.ActorAddress}. Give every node's actor system a name of its own.
 *
 * <p>Thread-safe. Close it to leave the cluster (the others see a view without it at once);
 * the actor system stays open.
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    /** The keys under which a JGroups address holds the node's name and incarnation. */
    private static final String NODE_KEY = "zbmd.node";
    private static final String INCARNATION_KEY = "zbmd.incarnation";
    /**
     * The reason of an exit signal or DOWN from a link or monitor of an actor whose node left
     * the cluster (died, or is on the other side of a partition), as in OTP.
     */
    public static final ExitReason NOCONNECTION = Remoting.NOCONNECTION;
    /** The reason of an exit signal or DOWN from a link or monitor of an actor that does not exist. */
    public static final ExitReason NOPROC = Remoting.NOPROC;

    private final ActorSystem system;
    private final ClusterConfig config;
    private final JChannel channel;
    private final SecretJoin door;
    private final Member self;
    private final Remoting remoting;
    /** Null unless this node is one of the config's voters. */
    private final ClusterState state;
    /** The current view, its members read once from their addresses; null before the first. */
    private volatile Roster roster;

    /** A view with its members both ways, so that frames in and out look a member up instead of parsing addresses. */
    private record Roster(View view, List<Member> members, Map<Member, Address> addresses,
            Map<Address, Member> byAddress) {
        static Roster of(View view) {
            Map<Member, Address> addresses = new LinkedHashMap<>();
            Map<Address, Member> byAddress = new HashMap<>();
            for (Address address : view.getMembers()) {
                Member member = memberOf(address);
                addresses.put(member, address);
                byAddress.put(address, member);
            }
            return new Roster(view, List.copyOf(addresses.keySet()), addresses, byAddress);
        }
    }

    private ClusterNode(ActorSystem system, ClusterConfig config, MessageTypes types) throws Exception {
        this.system = system;
        this.config = config;
        this.self = new Member(system.name(), system.incarnation());
        this.door = new SecretJoin(config.cluster(), config.secret(),
                (from, request) -> system.events().publish(new ClusterEvent.Refused(from, request)));
        boolean voter = config.voters().contains(system.name());
        this.channel = new JChannel(stack(config, door, voter, system)).name(system.name());
        this.remoting = new Remoting(system, types, this::send);
        if (voter) {
            ClusterState.Machine machine = new ClusterState.Machine(system.events());
            RaftHandle raft = new RaftHandle(channel, machine).raftId(system.name());
            raft.addRoleListener(role -> system.events().publish(new ClusterEvent.Leading(role == Role.Leader)));
            this.state = new ClusterState(raft, machine);
        } else {
            this.state = null;
        }
        byte[] node = system.name().getBytes(StandardCharsets.UTF_8);
        byte[] incarnation = ByteBuffer.allocate(Long.BYTES).putLong(system.incarnation()).array();
        // Kept as keys, not as the UUID's bits: Raft's protocol adds an address generator of its
        // own, whose keys JGroups merges with these into one random UUID.
        channel.addAddressGenerator(() -> ExtendedUUID.randomUUID().put(NODE_KEY, node)
                .put(INCARNATION_KEY, incarnation));
        channel.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View next) {
                changed(next);
            }

            @Override
            public void receive(Message msg) {
                received(msg);
            }
        });
    }

    /**
     * Joins {@code config}'s cluster (or starts it, if no seed answers within the join timeout).
     *
     * @param system the actor system that becomes a member; its name names the node
     * @param config the cluster's name and secret, where to listen, whom to ask
     * @return the member node, connected
     * @throws ClusterException if the cluster refused this node or the node cannot listen
     */
    public static ClusterNode start(ActorSystem system, ClusterConfig config) {
        return start(system, config, MessageTypes.builder().build());
    }

    /**
     * Joins {@code config}'s cluster (or starts it, if no seed answers within the join timeout),
     * able to exchange messages of {@code types} with actors on other nodes.
     *
     * @param system the actor system that becomes a member; its name names the node
     * @param config the cluster's name and secret, where to listen, whom to ask
     * @param types the message types that may cross nodes, the same on every node
     * @return the member node, connected
     * @throws ClusterException if the cluster refused this node or the node cannot listen
     */
    public static ClusterNode start(ActorSystem system, ClusterConfig config, MessageTypes types) {
        ClusterNode node;
        try {
            node = new ClusterNode(system, config, types);
        } catch (Exception e) {
            throw new ClusterException("cannot set up cluster node " + system.name() + ": " + e.getMessage(), e);
        }
        try {
            node.channel.connect(config.cluster());
        } catch (Exception e) {
            node.channel.close();
            throw new ClusterException(joinFailure(system.name(), config, e), e);
        }
        LOG.info("node {} is a member of cluster {} at {}, view {}", node.self, config.cluster(), node.endpoint(),
                node.roster == null ? "none" : node.roster.view().getViewId());
        return node;
    }

    private static String joinFailure(String name, ClusterConfig config, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SecurityException) {
                return "cluster " + config.cluster() + " refused node " + name + " (" + t.getMessage() + "); give"
                        + " this node the same secret as the cluster's members";
            }
        }
        return "node " + name + " cannot join cluster " + config.cluster() + " on " + config.bindAddress()
                .getHostAddress() + ", ports " + config.port() + " to " + (config.port() + config.portRange()) + ": "
                + e.getMessage() + "; check that one of the ports is free and the address is this machine's";
    }

    /** The JGroups stack, bottom first; with Raft's protocols on top for a voter. */
    private static org.jgroups.stack.Protocol[] stack(ClusterConfig config, SecretJoin door, boolean voter,
            ActorSystem system) {
        long failure = config.failureTimeout().toMillis();
        TCP tcp = new TCP();
        tcp.setBindAddress(config.bindAddress());
        tcp.setBindPort(config.port());
        tcp.setPortRange(config.portRange());
        tcp.setMaxLength(config.maxFrameBytes());
        List<org.jgroups.stack.Protocol> stack = new ArrayList<>(List.of(
            tcp,
            new TCPPING().setInitialHosts(config.seeds()).setPortRange(0),
            new MERGE3().setMinInterval(Math.max(500, failure / 2)).setMaxInterval(Math.max(1000, failure)),
            new FD_SOCK2().setBindAddress(config.bindAddress()),
            new FD_ALL3().setTimeout(failure).setInterval(Math.max(25, failure / 4)),
            new VERIFY_SUSPECT2().setTimeout(Math.max(50, failure / 4)),
            new NAKACK2(),
            new UNICAST3(),
            new STABLE()));
        if (voter) {
            stack.add(new NO_DUPES());
        }
        stack.addAll(List.of(
            door,
            new GMS().setJoinTimeout(config.joinTimeout().toMillis()).printLocalAddress(false),
            new MFC(),
            new UFC(),
            new FRAG4()));
        if (voter) {
            // The log lives in memory under a name of this start's own (in-memory logs are kept by
            // name for the JVM's life): a restarted voter catches up from the leader.
            RAFT raft = new RAFT().raftId(system.name()).members(config.voters())
                    .logClass(InMemoryLog.class.getName())
                    .logPrefix(config.cluster() + "-" + system.name() + "-" + Long.toHexString(system.incarnation()));
            stack.addAll(List.of(new ELECTION(), raft, new REDIRECT()));
        }
        return stack.toArray(org.jgroups.stack.Protocol[]::new);
    }

    private void changed(View next) {
        Roster previous = roster;
        Roster now = Roster.of(next);
        roster = now;
        List<Member> members = now.members();
        remoting.membersChanged(members);
        List<Member> before = previous == null ? List.of() : previous.members();
        List<Member> joined = new ArrayList<>(members);
        joined.removeAll(before);
        List<Member> left = new ArrayList<>(before);
        left.removeAll(members);
        LOG.info("cluster {} view {}: {} (joined {}, left {})", config.cluster(), next.getViewId().getId(), members,
                joined, left);
        system.events().publish(new ClusterEvent.MembersChanged(next.getViewId().getId(), members, joined, left));
    }

    /** @return the member a JGroups address names: the node's name and incarnation it carries */
    static Member memberOf(Address address) {
        if (address instanceof ExtendedUUID uuid && uuid.get(NODE_KEY) != null && uuid.get(INCARNATION_KEY) != null
                && uuid.get(INCARNATION_KEY).length == Long.BYTES) {
            return new Member(new String(uuid.get(NODE_KEY), StandardCharsets.UTF_8),
                    ByteBuffer.wrap(uuid.get(INCARNATION_KEY)).getLong());
        }
        return new Member(String.valueOf(address), 0);
    }

    /** A frame from another node; from a node outside the view, refused. */
    private void received(Message msg) {
        Roster current = roster;
        Member from = current == null ? null : current.byAddress().get(msg.src());
        if (from == null) {
            remoting.refused("a frame of " + msg.getLength() + " bytes from " + msg.src() + ", which is not a member");
            return;
        }
        remoting.receive(from, msg.getArray(), msg.getOffset(), msg.getLength());
    }

    /** Sends a frame to {@code to}; @return false if it is not a member now or the channel refused */
    private boolean send(Member to, byte[] frame) {
        Roster current = roster;
        Address address = current == null ? null : current.addresses().get(to);
        if (address == null) {
            return false;
        }
        try {
            channel.send(new BytesMessage(address, frame));
            return true;
        } catch (Exception e) {
            if (channel.isConnected()) {
                LOG.warn("cannot send a frame to {}: {}", to, e.getMessage());
            }
            return false;
        }
    }

    /**
     * @param address an actor's address, as another node gave it
     * @return a ref to it: a local actor's own ref, or a remote actor's, through which tell,
     *     ask, link, monitor, exit and stop work as on a local one
     */
    @SuppressWarnings("unchecked")
    public <M> ActorRef<M> refOf(ActorAddress address) {
        return (ActorRef<M>) remoting.resolve(address);
    }

    /**
     * Looks a name up in another member's registry (as OTP's {@code {Name, Node}}).
     *
     * @param member the member whose registry holds the name
     * @param name the name
     * @return the actor, or empty if no actor holds the name there; fails if the member leaves
     *     meanwhile or is not a member
     */
    @SuppressWarnings("unchecked")
    public <M> CompletableFuture<Optional<ActorRef<M>>> whereis(Member member, String name) {
        if (member.equals(self)) {
            return CompletableFuture.completedFuture(system.registry().whereis(name));
        }
        return remoting.whereis(member, name).thenApply(found -> found.map(ref -> (ActorRef<M>) ref));
    }

    /** @return frames from other nodes refused (unreadable, of an unregistered type, malformed) */
    public long refusedFrames() {
        return remoting.refusedFrames();
    }

    Remoting remoting() {
        return remoting;
    }

    /** @return the actor system this node makes a member */
    public ActorSystem system() {
        return system;
    }

    /**
     * @return the cluster's state held by Raft, on a voting node (see
     *     {@link ClusterConfig#voters()}); empty on any other
     */
    public Optional<ClusterState> state() {
        return Optional.ofNullable(state);
    }

    /** @return this node as a member */
    public Member self() {
        return self;
    }

    /** @return the members of the current view, oldest first; just this node before it joined */
    public List<Member> members() {
        Roster current = roster;
        return current == null ? List.of(self) : current.members();
    }

    /** @return the host and port this node listens on, which other nodes give as a seed */
    public InetSocketAddress endpoint() {
        PhysicalAddress physical = (PhysicalAddress) channel.down(new Event(Event.GET_PHYSICAL_ADDRESS,
                channel.getAddress()));
        IpAddress ip = (IpAddress) physical;
        return new InetSocketAddress(ip.getIpAddress(), ip.getPort());
    }

    /** @return how many join or merge requests, and answers, this node refused */
    public long refused() {
        return door.refusedCount();
    }

    /**
     * Leaves the cluster; the actor system stays open. As when the other nodes go away, every
     * link and monitor between a local actor and a remote one delivers {@code noconnection}.
     */
    @Override
    public void close() {
        channel.close();
        remoting.membersChanged(List.of(self));
    }

    @Override
    public String toString() {
        return "ClusterNode[" + self + " in " + config.cluster() + "]";
    }
}
