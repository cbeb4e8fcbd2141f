package io.zbmd.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.MonitorRef;
import io.zbmd.actor.internal.SystemMessage;
import io.zbmd.actor.internal.SystemTarget;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 100,000 frames from a member that are garbage, truncated, extended or bit-flipped copies of
 * real frames: each is refused (and counted) or delivered as what it says, none throws out of
 * the node, and the node still delivers a real frame afterwards. The seed is printed; a
 * failure replays with {@code -Dzbmd.fuzz.seed=S}.
 */
class FrameFuzzTest {
    private static final long SEED = Long.getLong("zbmd.fuzz.seed", System.nanoTime());
    private static final int FRAMES = 100_000;

    @Test
    void noFrameBreaksTheNode() throws Exception {
        System.out.println("FrameFuzzTest seed " + SEED + " (replay: -Dzbmd.fuzz.seed=" + SEED + ")");
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("fuzzed"))) {
            // Frames this node sends (real ones, to mutate), kept to a thousand; actors' threads send too.
            List<byte[]> sent = Collections.synchronizedList(new ArrayList<>());
            Remoting remoting = new Remoting(system, RemoteActorsTest.TYPES, (to, frame) -> {
                if (sent.size() < 1_000) {
                    sent.add(frame);
                }
                return true;
            });
            Member self = new Member("fuzzed", system.incarnation());
            Member peer = new Member("peer", 42);
            remoting.membersChanged(List.of(self, peer));

            ActorRef<Object> sink = system.spawn("sink", context -> message -> {});
            remoting.export(sink);

            // Real frames of every kind, as this node sends them to the peer, to mutate.
            @SuppressWarnings("unchecked")
            RemoteRef<Object> far = (RemoteRef<Object>) remoting.resolve(new ActorAddress("peer", 42, 7));
            far.tell(new RemoteActorsTest.Ping(1, castRef(sink)));
            far.tell(new RemoteActorsTest.Burst(3, sink));
            far.tell("text");
            SystemTarget sinkTarget = remoting.runtime().targetOf(sink);
            far.sendSystem(new SystemMessage.Link(sinkTarget));
            far.sendSystem(new SystemMessage.Monitor(sinkTarget, new MonitorRef(1, far)));
            far.sendSystem(new SystemMessage.ExitSignal(sinkTarget, io.zbmd.actor.ExitReason.custom("x"), false));
            remoting.whereis(peer, "echo");
            assertThat(sent).hasSizeGreaterThanOrEqualTo(7);

            SplittableRandom random = new SplittableRandom(SEED);
            for (int i = 0; i < FRAMES; i++) {
                byte[] frame = switch (random.nextInt(4)) {
                    case 0 -> garbage(random);
                    case 1 -> truncated(random, sent.get(random.nextInt(sent.size())));
                    case 2 -> extended(random, sent.get(random.nextInt(sent.size())));
                    default -> flipped(random, sent.get(random.nextInt(sent.size())));
                };
                remoting.receive(peer, frame, 0, frame.length);
            }
            assertThat(remoting.refusedFrames()).isPositive();

            // A real frame still gets through to a new actor: the peer tells it a Numbered(-1).
            // (The mutated frames may well have stopped the sink, as frames from a member may.)
            CompletableFuture<Object> delivered = new CompletableFuture<>();
            ActorRef<Object> fresh = system.spawn("fresh", context -> message -> {
                if (message instanceof RemoteActorsTest.Numbered n && n.n() == -1) {
                    delivered.complete(n);
                }
            });
            ActorAddress freshAddress = remoting.export(fresh);
            Remoting peerSide = new Remoting(system, RemoteActorsTest.TYPES, (to, frame) -> {
                remoting.receive(peer, frame, 0, frame.length);
                return true;
            });
            peerSide.membersChanged(List.of(self, peer));
            // The peer's frame names the actor by number, as every frame does.
            RemoteRef<Object> toFresh = new RemoteRef<>(new ActorAddress("fuzzed-elsewhere", 1, freshAddress.id()),
                    peerSide);
            assertThat(toFresh.offer(new RemoteActorsTest.Numbered(-1))).isTrue();
            assertThat(delivered.get(60, TimeUnit.SECONDS)).isEqualTo(new RemoteActorsTest.Numbered(-1));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> ActorRef<T> castRef(ActorRef<?> ref) {
        return (ActorRef<T>) ref;
    }

    private static byte[] garbage(SplittableRandom random) {
        byte[] frame = new byte[random.nextInt(64)];
        random.nextBytes(frame);
        if (frame.length > 0 && random.nextBoolean()) {
            frame[0] = (byte) random.nextInt(12); // a known or nearly known kind
        }
        return frame;
    }

    private static byte[] truncated(SplittableRandom random, byte[] real) {
        return java.util.Arrays.copyOf(real, random.nextInt(real.length));
    }

    private static byte[] extended(SplittableRandom random, byte[] real) {
        byte[] frame = java.util.Arrays.copyOf(real, real.length + 1 + random.nextInt(32));
        for (int i = real.length; i < frame.length; i++) {
            frame[i] = (byte) random.nextInt(256);
        }
        return frame;
    }

    private static byte[] flipped(SplittableRandom random, byte[] real) {
        byte[] frame = real.clone();
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
            frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return frame;
    }
}
