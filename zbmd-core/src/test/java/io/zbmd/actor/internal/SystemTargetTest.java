package io.zbmd.actor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.MonitorRef;
import io.zbmd.actor.RuntimeAccess;
import io.zbmd.actor.Signal;
import io.zbmd.testing.Driver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Links, monitors and exit signals work on an actor that is not a cell of this node: what a
 * remote actor's proxy will be. The runtime sends it system messages that name the local
 * actor, and takes system messages from it that name it, never needing its cell.
 */
class SystemTargetTest {

    /** An actor on another node, as this node's runtime sees it: it records what it is sent. */
    static final class FarActor implements ActorRef<Object>, SystemTarget {
        final Runtime runtime;
        final ActorAddress address;
        final List<SystemMessage> received = new CopyOnWriteArrayList<>();

        FarActor(Runtime runtime, ActorAddress address) {
            this.runtime = runtime;
            this.address = address;
        }

        @Override
        public ActorRef<?> ref() {
            return this;
        }

        @Override
        public Runtime runtime() {
            return runtime;
        }

        @Override
        public void sendSystem(SystemMessage message) {
            received.add(message);
        }

        @Override
        public void tell(Object message) {
            throw new UnsupportedOperationException("not this test's subject");
        }

        @Override
        public boolean offer(Object message) {
            throw new UnsupportedOperationException("not this test's subject");
        }

        @Override
        public boolean offer(Object message, Duration timeout) {
            throw new UnsupportedOperationException("not this test's subject");
        }

        @Override
        public <R> CompletableFuture<R> ask(Function<ActorRef<R>, ?> request, Duration timeout) {
            throw new UnsupportedOperationException("not this test's subject");
        }

        @Override
        public String path() {
            return "far:" + address;
        }

        @Override
        public ActorAddress address() {
            return address;
        }
    }

    /** Runs an action on the actor's turn and answers with what it returns. */
    record Run(Function<ActorContext<Object>, Object> action, ActorRef<Object> replyTo) {}

    /** Traps exits, records its signals, and completes {@code signalled} at the second. */
    static final class Local implements Actor<Object> {
        private final ActorContext<Object> context;
        private final List<Signal> signals;
        private final CompletableFuture<Void> signalled;

        Local(ActorContext<Object> context, List<Signal> signals, CompletableFuture<Void> signalled) {
            this.context = context;
            this.signals = signals;
            this.signalled = signalled;
            context.trapExits(true);
        }

        @Override
        public void onMessage(Object message) {
            if (message instanceof Run run) {
                run.replyTo().tell(run.action().apply(context));
            }
        }

        @Override
        public void onSignal(Signal signal) {
            signals.add(signal);
            if (signals.size() == 2) {
                signalled.complete(null);
            }
        }
    }

    @Test
    void linksMonitorsAndExitSignalsWorkWithAnActorThatIsNotACellOfThisNode() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(1))) {
            Runtime runtime = RuntimeAccess.runtimeOf(driver.system);
            FarActor far = new FarActor(runtime, new ActorAddress("far", 7, 1));
            List<Signal> signals = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> signalled = new CompletableFuture<>();
            ActorRef<Object> local = driver.system.spawn("local", context -> new Local(context, signals, signalled));
            ActorCell<?> cell = runtime.cellOf(local);

            // This node links to and monitors the far actor: it is sent the requests, naming the local actor.
            MonitorRef monitor = (MonitorRef) driver.await(local.ask(replyTo -> new Run(context -> {
                context.link(far);
                return context.monitor(far);
            }, replyTo), Duration.ofSeconds(30)));
            assertThat(far.received).hasSize(2);
            assertThat(far.received.get(0)).isInstanceOfSatisfying(SystemMessage.Link.class,
                    link -> assertThat(link.from).isSameAs(cell));
            SystemMessage.Monitor asked = (SystemMessage.Monitor) far.received.get(1);
            assertThat(asked.watcher).isSameAs(cell);
            assertThat(asked.ref).isSameAs(monitor);
            assertThat(monitor.target()).isSameAs(far);

            // The far actor ends (as its node would report it): an exit through the link, a DOWN through the monitor.
            ExitReason gone = ExitReason.custom("noconnection");
            cell.sendSystem(new SystemMessage.ExitSignal(far, gone, true));
            asked.watcher.down(monitor, far, gone);
            driver.await(signalled);
            assertThat(signals).containsExactly(new Signal.Exit(far, gone), new Signal.Down(far, monitor, gone));

            // The far actor links to and monitors the local one, which then stops: it is told, once each.
            MonitorRef theirs = new MonitorRef(99, local);
            cell.sendSystem(new SystemMessage.Link(far));
            cell.sendSystem(new SystemMessage.Monitor(far, theirs));
            far.received.clear();
            driver.system.stop(local);
            assertThat(driver.awaitTermination(local)).isEqualTo(ExitReason.SHUTDOWN);
            assertThat(far.received).hasSize(2);
            assertThat(far.received.get(0)).isInstanceOfSatisfying(SystemMessage.ExitSignal.class, exit -> {
                assertThat(exit.from).isSameAs(cell);
                assertThat(exit.reason).isEqualTo(ExitReason.SHUTDOWN);
                assertThat(exit.viaLink).isTrue();
            });
            assertThat(far.received.get(1)).isInstanceOfSatisfying(SystemMessage.DownNotice.class, down -> {
                assertThat(down.ref).isSameAs(theirs);
                assertThat(down.actor).isSameAs(cell);
                assertThat(down.reason).isEqualTo(ExitReason.SHUTDOWN);
            });

            // Once the local actor has ended, a link or monitor from afar is answered as the dead actor would.
            far.received.clear();
            MonitorRef late = new MonitorRef(100, local);
            cell.sendSystem(new SystemMessage.Link(far));
            cell.sendSystem(new SystemMessage.Monitor(far, late));
            assertThat(far.received).hasSize(2);
            assertThat(far.received.get(0)).isInstanceOf(SystemMessage.ExitSignal.class);
            assertThat(far.received.get(1)).isInstanceOfSatisfying(SystemMessage.DownNotice.class,
                    down -> assertThat(down.ref).isSameAs(late));
        }
    }
}
