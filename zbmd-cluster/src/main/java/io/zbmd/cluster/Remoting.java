package io.zbmd.cluster;

import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.MonitorRef;
import io.zbmd.actor.internal.Runtime;
import io.zbmd.actor.internal.SystemMessage;
import io.zbmd.actor.internal.SystemTarget;
import io.zbmd.actor.internal.Watcher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Actors across nodes, with OTP's semantics: messages and system messages to remote actors go
 * out as frames; frames from other members come in and reach local actors; and when a member
 * leaves the view (it left, died, or is on the other side of a partition), every link to one
 * of its actors delivers an exit signal {@code noconnection} and every monitor of one a DOWN
 * {@code noconnection}, exactly once.
 *
 * <p>Frames name local actors by number: a local actor is exported (its number mapped to its
 * ref) when its ref leaves in a message or an answer, and forgotten when it ends. System
 * frames name the sender's actors by number only, so a node can only ever speak for its own
 * actors. A frame that cannot be read is refused and counted; it never reaches an actor.
 *
 * <p>Link and monitor bookkeeping and membership changes take one lock: they are rare, and
 * exactly-once delivery of {@code noconnection} depends on their order.
 */
final class Remoting {
    /** OTP's reason for a link or monitor whose node went away. */
    static final ExitReason NOCONNECTION = ExitReason.custom("noconnection");
    /** OTP's reason for a link or monitor of an actor that does not exist (any more). */
    static final ExitReason NOPROC = ExitReason.custom("noproc");

    private static final Logger LOG = LoggerFactory.getLogger(Remoting.class);
    /** How long a message from another node waits for room in a full mailbox (Pekko's push timeout is 10 s too). */
    static final java.time.Duration DELIVERY_PATIENCE = java.time.Duration.ofSeconds(10);
    private static final int REFUSALS_LOGGED = 20;
    private static final int REFUSALS_PER_LINE = 10_000;
    private static final byte TELL = 1;
    private static final byte STOP = 2;
    private static final byte EXIT = 3;
    private static final byte LINK = 4;
    private static final byte UNLINK = 5;
    private static final byte MONITOR = 6;
    private static final byte DEMONITOR = 7;
    private static final byte DOWN = 8;
    private static final byte WHEREIS = 9;
    private static final byte WHEREIS_REPLY = 10;
    /** Bulk data for the node's data-parallel collectives (see {@link OrderedAllReduce}). */
    private static final byte DATA = 11;

    /** Sends a frame to a member; false if it is not a member now. */
    interface Wire {
        boolean send(Member to, byte[] frame);
    }

    /** Takes the data frames (see {@link #sendData}); may throw for a malformed one, which is refused. */
    interface DataHandler {
        void receive(Member from, DataInputStream in) throws IOException;
    }

    /** A local watcher's monitor of a remote actor, by the number the frames give it. */
    private record Watching(Watcher watcher, MonitorRef ref, RemoteRef<?> target) {}

    /** A link between a local actor and a remote one. */
    private record Linked(SystemTarget local, RemoteRef<?> remote) {}

    /** A registry lookup under way on another member. */
    private record Lookup(Member member, CompletableFuture<Optional<ActorRef<?>>> answer) {}

    /** A remote watcher's monitor of a local actor: which member, which number. */
    private record Watched(Member member, long id) {}

    private final ActorSystem system;
    private final Runtime runtime;
    private final Member self;
    private final Codec codec;
    private final Wire wire;
    private final ConcurrentHashMap<Long, ActorRef<?>> exported = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ActorAddress, RemoteRef<?>> proxies = new ConcurrentHashMap<>();
    private final AtomicLong numbers = new AtomicLong();
    private final AtomicLong refusedFrames = new AtomicLong();
    private final ConcurrentHashMap<Long, Lookup> lookups = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private volatile DataHandler data;
    /** Guarded by lock: the members now. */
    private Set<Member> members = Set.of();
    /** Guarded by lock: links to remote actors, by their member. */
    private final Map<Member, Set<Linked>> links = new HashMap<>();
    /** Guarded by lock: monitors local watchers hold on remote actors, by number. */
    private final Map<Long, Watching> watching = new HashMap<>();
    /** Guarded by lock: the numbers of those monitors, by monitor. */
    private final Map<MonitorRef, Long> watchingIds = new HashMap<>();
    /** Guarded by lock: monitors remote watchers hold on local actors. */
    private final Map<Watched, MonitorRef> watched = new HashMap<>();

    Remoting(ActorSystem system, MessageTypes types, Wire wire) {
        this.system = system;
        this.runtime = system.runtime();
        this.self = new Member(system.name(), system.incarnation());
        this.wire = wire;
        this.codec = new Codec(types, this::export, this::resolve);
    }

    Runtime runtime() {
        return runtime;
    }

    /** @return frames refused since the start (unreadable, unknown type, malformed) */
    long refusedFrames() {
        return refusedFrames.get();
    }

    // ------------------------------------------------------------------ refs

    /** @return the address another node sends to for {@code ref}; a local ref is exported */
    ActorAddress export(ActorRef<?> ref) {
        ActorAddress address = ref.address();
        if (ref instanceof RemoteRef<?>) {
            return address;
        }
        if (exported.putIfAbsent(address.id(), ref) == null) {
            runtime.endOf(ref).whenComplete((ended, error) -> exported.remove(address.id(), ref));
        }
        return address;
    }

    /** @return a ref for {@code address}: the local actor's, or a remote actor's proxy */
    ActorRef<?> resolve(ActorAddress address) {
        if (isLocal(address)) {
            ActorRef<?> local = exported.get(address.id());
            return local != null ? local : new RemoteRef<>(address, this); // an ended local actor: frames die here
        }
        return proxies.computeIfAbsent(address, a -> new RemoteRef<>(a, this));
    }

    private boolean isLocal(ActorAddress address) {
        return address.node().equals(self.node()) && address.incarnation() == self.incarnation();
    }

    private RemoteRef<?> proxy(Member member, long id) {
        return (RemoteRef<?>) resolve(new ActorAddress(member.node(), member.incarnation(), id));
    }

    /** Asks {@code member}'s registry for {@code name}. */
    CompletableFuture<Optional<ActorRef<?>>> whereis(Member member, String name) {
        long request = numbers.incrementAndGet();
        CompletableFuture<Optional<ActorRef<?>>> answer = new CompletableFuture<>();
        lookups.put(request, new Lookup(member, answer));
        answer.whenComplete((ref, error) -> lookups.remove(request));
        if (!send(member, out -> {
            out.writeByte(WHEREIS);
            out.writeLong(request);
            out.writeUTF(name);
        })) {
            answer.completeExceptionally(new ClusterException(member + " is not a member of the cluster now", null));
        }
        return answer;
    }

    // ------------------------------------------------------------------ out

    /** Sends a message to a remote actor; @return false (and a dead letter) if it could not go */
    boolean tell(RemoteRef<?> to, Object message) {
        Codec.Encoded encoded;
        try {
            encoded = codec.encode(message);
        } catch (Codec.CodecException e) {
            LOG.warn("message to {} not sent: {}", to.path(), e.getMessage());
            runtime.deadLetter(to.path(), message, DeadLetterReason.UNENCODABLE, e);
            return false;
        }
        boolean sent = send(to.member(), out -> {
            out.writeByte(TELL);
            out.writeLong(to.address().id());
            out.writeUTF(encoded.name());
            out.writeInt(encoded.bytes().length);
            out.write(encoded.bytes());
        });
        if (!sent) {
            runtime.deadLetter(to.path(), message, DeadLetterReason.UNREACHABLE, null);
        }
        return sent;
    }

    /** A system message to a remote actor, as a frame; what cannot go is answered as OTP would. */
    void sendSystem(RemoteRef<?> to, SystemMessage message) {
        long target = to.address().id();
        switch (message) {
            case SystemMessage.Stop stop -> send(to.member(), out -> {
                out.writeByte(STOP);
                out.writeLong(target);
                writeReason(out, stop.reason());
            });
            case SystemMessage.ExitSignal exit -> {
                if (exit.viaLink()) {
                    synchronized (lock) {
                        forgetLink(new Linked(exit.from(), to));
                    }
                }
                sendFrom(to, exit.from(), out -> {
                    out.writeByte(EXIT);
                    out.writeLong(target);
                    out.writeLong(exit.from().ref().address().id());
                    writeReason(out, exit.reason());
                    out.writeBoolean(exit.viaLink());
                });
            }
            case SystemMessage.Link link -> {
                boolean member;
                synchronized (lock) {
                    member = members.contains(to.member());
                    if (member) {
                        links.computeIfAbsent(to.member(), m -> new LinkedHashSet<>()).add(new Linked(link.from(), to));
                    }
                }
                if (!member) {
                    link.from().sendSystem(new SystemMessage.ExitSignal(to, NOCONNECTION, true));
                    return;
                }
                sendFrom(to, link.from(), out -> {
                    out.writeByte(LINK);
                    out.writeLong(target);
                    out.writeLong(link.from().ref().address().id());
                });
            }
            case SystemMessage.Unlink unlink -> {
                synchronized (lock) {
                    forgetLink(new Linked(unlink.from(), to));
                }
                sendFrom(to, unlink.from(), out -> {
                    out.writeByte(UNLINK);
                    out.writeLong(target);
                    out.writeLong(unlink.from().ref().address().id());
                });
            }
            case SystemMessage.Monitor monitor -> {
                long id = numbers.incrementAndGet();
                boolean member;
                synchronized (lock) {
                    member = members.contains(to.member());
                    if (member) {
                        watching.put(id, new Watching(monitor.watcher(), monitor.ref(), to));
                        watchingIds.put(monitor.ref(), id);
                    }
                }
                if (!member) {
                    monitor.watcher().down(monitor.ref(), to, NOCONNECTION);
                    return;
                }
                send(to.member(), out -> {
                    out.writeByte(MONITOR);
                    out.writeLong(target);
                    out.writeLong(id);
                });
            }
            case SystemMessage.Demonitor demonitor -> {
                Long id;
                synchronized (lock) {
                    id = watchingIds.remove(demonitor.ref());
                    if (id != null) {
                        watching.remove(id);
                    }
                }
                if (id != null) {
                    send(to.member(), out -> {
                        out.writeByte(DEMONITOR);
                        out.writeLong(target);
                        out.writeLong(id);
                    });
                }
            }
            default -> LOG.debug("{} not sent to {}: a message between a parent and its children", message, to);
        }
    }

    private void forgetLink(Linked link) {
        Set<Linked> of = links.get(link.remote().member());
        if (of != null) {
            of.remove(link);
        }
    }

    /** Sends a frame that names {@code from} by number: it must be an actor of this node. */
    private void sendFrom(RemoteRef<?> to, SystemTarget from, FrameWriter frame) {
        ActorRef<?> sender = from.ref();
        if (sender instanceof RemoteRef<?> || !isLocal(sender.address())) {
            LOG.warn("not sent to {}: a system message from {}, which is not an actor of this node", to, sender);
            return;
        }
        export(sender);
        send(to.member(), frame);
    }

    @FunctionalInterface
    interface FrameWriter {
        void write(DataOutputStream out) throws IOException;
    }

    /** Sets who takes the data frames; until then they are refused. */
    void onData(DataHandler handler) {
        this.data = handler;
    }

    /** Sends a data frame; @return false if {@code to} is not a member now */
    boolean sendData(Member to, FrameWriter payload) {
        return send(to, out -> {
            out.writeByte(DATA);
            payload.write(out);
        });
    }

    private boolean send(Member to, FrameWriter frame) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            frame.write(out);
        } catch (IOException e) {
            throw new IllegalStateException("bug: writing to memory failed", e);
        }
        return wire.send(to, bytes.toByteArray());
    }

    // ------------------------------------------------------------------ in

    /** A frame from {@code from}, a member: to a local actor, or an answer. Never throws. */
    void receive(Member from, byte[] frame, int offset, int length) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame, offset, length))) {
            byte kind = in.readByte();
            switch (kind) {
                case TELL -> receiveTell(from, in, frame, offset, length);
                case STOP -> local(in.readLong()).ifPresent(t -> t.sendSystem(new SystemMessage.Stop(readReason(in))));
                case EXIT -> receiveExit(from, in);
                case LINK -> receiveLink(from, in.readLong(), in.readLong());
                case UNLINK -> receiveUnlink(from, in.readLong(), in.readLong());
                case MONITOR -> receiveMonitor(from, in.readLong(), in.readLong());
                case DEMONITOR -> receiveDemonitor(from, in.readLong(), in.readLong());
                case DOWN -> receiveDown(from, in.readLong(), in.readLong(), readReason(in));
                case WHEREIS -> receiveWhereis(from, in.readLong(), in.readUTF());
                case DATA -> {
                    DataHandler handler = data;
                    if (handler == null) {
                        throw new IOException("a data frame, but this node runs no collective");
                    }
                    handler.receive(from, in);
                }
                case WHEREIS_REPLY -> {
                    long request = in.readLong();
                    long id = in.readLong();
                    Lookup lookup = lookups.get(request);
                    if (lookup == null || !lookup.member().equals(from)) {
                        throw new IOException("an answer to lookup " + request + ", which " + from + " was not asked");
                    }
                    lookup.answer().complete(id == 0 ? Optional.empty() : Optional.of(proxy(from, id)));
                }
                default -> throw new IOException("unknown frame kind " + kind);
            }
        } catch (IOException | RuntimeException e) {
            refused("a frame of " + length + " bytes from " + from + ": "
                    + (e instanceof java.io.EOFException || e.getMessage() == null ? "truncated" : e.getMessage()));
        }
    }

    private void receiveTell(Member from, DataInputStream in, byte[] frame, int offset, int length)
            throws IOException {
        long target = in.readLong();
        String name = in.readUTF();
        int size = in.readInt();
        int start = offset + length - in.available();
        if (size < 0 || size != in.available()) {
            throw new IOException("a message of " + size + " bytes in a frame with " + in.available() + " left");
        }
        Object message;
        try {
            message = codec.decode(name, frame, start, size);
        } catch (Codec.CodecException e) {
            refused("a message from " + from + ": " + e.getMessage());
            runtime.deadLetter(self.node() + "/" + target, name, DeadLetterReason.UNENCODABLE, e);
            return;
        }
        @SuppressWarnings("unchecked")
        ActorRef<Object> recipient = (ActorRef<Object>) exported.get(target);
        if (recipient == null) {
            runtime.deadLetter(self.node() + "/" + target, message, DeadLetterReason.TERMINATED, null);
            return;
        }
        // Back-pressure: this thread delivers the sender's frames in order, so waiting here for
        // room in a full mailbox holds the sender's later frames, then (once the channel's
        // credits are spent) the sender itself; memory stays bounded. Past the patience, a dead
        // letter says what was dropped.
        // (An ask's reply ref never fills up; a tell records its own dead letter, with the reason.)
        try {
            if (!(recipient instanceof SystemTarget) || !recipient.offer(message, DELIVERY_PATIENCE)) {
                recipient.tell(message);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            runtime.deadLetter(recipient.path(), message, DeadLetterReason.MAILBOX_FULL, e);
        }
    }

    /**
     * Counts a refused frame and logs it: the first {@value #REFUSALS_LOGGED} in full, then one
     * line for every {@value #REFUSALS_PER_LINE} more, so that a flood of bad frames cannot
     * flood the log.
     */
    void refused(String what) {
        long n = refusedFrames.incrementAndGet();
        if (n <= REFUSALS_LOGGED) {
            LOG.warn("refused {}{}", what, n == REFUSALS_LOGGED ? " (further refusals are counted, and logged once"
                    + " every " + REFUSALS_PER_LINE + ")" : "");
        } else if (n % REFUSALS_PER_LINE == 0) {
            LOG.warn("refused {} frames so far; the last: {}", n, what);
        }
    }

    private Optional<SystemTarget> local(long id) {
        ActorRef<?> ref = exported.get(id);
        if (ref == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(runtime.targetOf(ref));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // an ask's reply ref: no links or monitors
        }
    }

    private void receiveExit(Member from, DataInputStream in) throws IOException {
        long target = in.readLong();
        long sender = in.readLong();
        ExitReason reason = readReason(in);
        boolean viaLink = in.readBoolean();
        RemoteRef<?> remote = proxy(from, sender);
        Optional<SystemTarget> local = local(target);
        if (local.isEmpty()) {
            return;
        }
        if (viaLink) {
            synchronized (lock) {
                Set<Linked> of = links.get(from);
                if (of == null || !of.remove(new Linked(local.get(), remote))) {
                    return; // unlinked, or already told of the node's loss: once only
                }
            }
        }
        local.get().sendSystem(new SystemMessage.ExitSignal(remote, reason, viaLink));
    }

    private void receiveLink(Member from, long target, long sender) {
        RemoteRef<?> remote = proxy(from, sender);
        Optional<SystemTarget> local = local(target);
        if (local.isEmpty()) {
            send(from, out -> {
                out.writeByte(EXIT);
                out.writeLong(sender);
                out.writeLong(target);
                writeReason(out, NOPROC);
                out.writeBoolean(true);
            });
            return;
        }
        synchronized (lock) {
            if (!members.contains(from)) {
                return;
            }
            links.computeIfAbsent(from, m -> new LinkedHashSet<>()).add(new Linked(local.get(), remote));
        }
        local.get().sendSystem(new SystemMessage.Link(remote));
    }

    private void receiveUnlink(Member from, long target, long sender) {
        RemoteRef<?> remote = proxy(from, sender);
        local(target).ifPresent(local -> {
            synchronized (lock) {
                forgetLink(new Linked(local, remote));
            }
            local.sendSystem(new SystemMessage.Unlink(remote));
        });
    }

    private void receiveMonitor(Member from, long target, long id) {
        Optional<SystemTarget> local = local(target);
        if (local.isEmpty()) {
            sendDown(from, id, target, NOPROC);
            return;
        }
        MonitorRef ref = new MonitorRef(numbers.incrementAndGet(), local.get().ref());
        synchronized (lock) {
            if (!members.contains(from)) {
                return;
            }
            watched.put(new Watched(from, id), ref);
        }
        local.get().sendSystem(new SystemMessage.Monitor(new RemoteWatcher(from, id), ref));
    }

    private void receiveDemonitor(Member from, long target, long id) {
        MonitorRef ref;
        synchronized (lock) {
            ref = watched.remove(new Watched(from, id));
        }
        if (ref != null) {
            local(target).ifPresent(local -> local.sendSystem(new SystemMessage.Demonitor(ref)));
        }
    }

    private void receiveDown(Member from, long id, long actor, ExitReason reason) {
        Watching w;
        synchronized (lock) {
            w = watching.remove(id);
            if (w != null) {
                watchingIds.remove(w.ref());
            }
        }
        if (w != null && w.target().member().equals(from) && w.target().address().id() == actor) {
            w.watcher().down(w.ref(), w.target(), reason);
        }
    }

    private void receiveWhereis(Member from, long request, String name) {
        Optional<ActorRef<Object>> found = system.registry().whereis(name);
        long id = found.map(ref -> export(ref).id()).orElse(0L);
        send(from, out -> {
            out.writeByte(WHEREIS_REPLY);
            out.writeLong(request);
            out.writeLong(id);
        });
    }

    private void sendDown(Member to, long id, long actor, ExitReason reason) {
        send(to, out -> {
            out.writeByte(DOWN);
            out.writeLong(id);
            out.writeLong(actor);
            writeReason(out, reason);
        });
    }

    /** A remote watcher of a local actor: its DOWN goes back as a frame. */
    private final class RemoteWatcher implements Watcher {
        private final Member member;
        private final long id;

        RemoteWatcher(Member member, long id) {
            this.member = member;
            this.id = id;
        }

        @Override
        public void down(MonitorRef ref, ActorRef<?> actor, ExitReason reason) {
            synchronized (lock) {
                if (watched.remove(new Watched(member, id)) == null) {
                    return; // demonitored, or its node is gone
                }
            }
            sendDown(member, id, actor.address().id(), reason);
        }
    }

    // ------------------------------------------------------------------ membership

    /**
     * The members changed: every link and monitor to an actor of a member that is gone
     * delivers {@code noconnection}, once; monitors that member held here are dropped.
     */
    void membersChanged(List<Member> now) {
        List<Linked> lostLinks = new ArrayList<>();
        List<Watching> lostMonitors = new ArrayList<>();
        List<Map.Entry<Watched, MonitorRef>> lostWatchers = new ArrayList<>();
        synchronized (lock) {
            members = Set.copyOf(now);
            for (var it = links.entrySet().iterator(); it.hasNext(); ) {
                var entry = it.next();
                if (!members.contains(entry.getKey())) {
                    lostLinks.addAll(entry.getValue());
                    it.remove();
                }
            }
            for (var it = watching.entrySet().iterator(); it.hasNext(); ) {
                Watching w = it.next().getValue();
                if (!members.contains(w.target().member())) {
                    lostMonitors.add(w);
                    watchingIds.remove(w.ref());
                    it.remove();
                }
            }
            for (var it = watched.entrySet().iterator(); it.hasNext(); ) {
                var entry = it.next();
                if (!members.contains(entry.getKey().member())) {
                    lostWatchers.add(entry);
                    it.remove();
                }
            }
        }
        for (Linked link : lostLinks) {
            link.local().sendSystem(new SystemMessage.ExitSignal(link.remote(), NOCONNECTION, true));
        }
        for (Watching w : lostMonitors) {
            w.watcher().down(w.ref(), w.target(), NOCONNECTION);
        }
        for (var entry : lostWatchers) {
            try {
                runtime.targetOf(entry.getValue().target()).sendSystem(new SystemMessage.Demonitor(entry.getValue()));
            } catch (IllegalArgumentException ignored) {
                // not an actor of this system any more
            }
        }
        for (Lookup lookup : lookups.values()) {
            if (!now.contains(lookup.member())) {
                lookup.answer().completeExceptionally(new ClusterException(lookup.member() + " left the cluster while"
                        + " a lookup of its registry was under way", null));
            }
        }
    }

    // ------------------------------------------------------------------ reasons

    private static void writeReason(DataOutputStream out, ExitReason reason) throws IOException {
        switch (reason) {
            case ExitReason.Normal n -> out.writeByte(0);
            case ExitReason.Shutdown s -> {
                out.writeByte(1);
                out.writeUTF(s.detail() == null ? "" : s.detail());
            }
            case ExitReason.Kill k -> out.writeByte(2);
            case ExitReason.Killed k -> out.writeByte(3);
            case ExitReason.Crash c -> {
                out.writeByte(4);
                Throwable cause = c.cause();
                String text = cause == null ? "unknown" : cause instanceof RemoteCrashException
                        ? cause.getMessage() : cause.getClass().getName() + ": " + cause.getMessage();
                out.writeUTF(text.length() > 1000 ? text.substring(0, 1000) : text);
            }
            case ExitReason.Custom c -> {
                out.writeByte(5);
                out.writeUTF(c.description());
            }
        }
    }

    private static ExitReason readReason(DataInputStream in) {
        try {
            byte kind = in.readByte();
            return switch (kind) {
                case 0 -> ExitReason.NORMAL;
                case 1 -> {
                    String detail = in.readUTF();
                    yield detail.isEmpty() ? ExitReason.SHUTDOWN : ExitReason.shutdown(detail);
                }
                case 2 -> ExitReason.KILL;
                case 3 -> ExitReason.KILLED;
                case 4 -> ExitReason.crash(new RemoteCrashException(in.readUTF()));
                case 5 -> ExitReason.custom(in.readUTF());
                default -> throw new IllegalArgumentException("unknown exit reason kind " + kind);
            };
        } catch (IOException e) {
            throw new IllegalArgumentException("a truncated exit reason", e);
        }
    }
}
