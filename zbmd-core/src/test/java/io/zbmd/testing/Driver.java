package io.zbmd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.ExitReason;
import io.zbmd.dispatch.DispatcherKind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs one test scenario on any dispatcher: waits on real dispatchers block on the future or
 * latch (with a generous limit that only guards against hangs), and on the deterministic
 * dispatcher they drive it until the future completes. No test here decides by a timing.
 */
public final class Driver implements AutoCloseable {
    /** Guards against a hang; never reached by a passing test. */
    public static final Duration HANG_GUARD = Duration.ofSeconds(60);

    public final ActorSystem system;

    private Driver(ActorSystem system) {
        this.system = system;
    }

    public static Driver of(ActorSystemConfig config) {
        return new Driver(ActorSystem.create(config));
    }

    /** The three dispatchers, two workers each where it applies. */
    public static List<ActorSystemConfig> configs() {
        ActorSystemConfig base = ActorSystemConfig.defaults().withWorkers(2);
        return List.of(
                base.withName("work-stealing").withDispatcher(DispatcherKind.workStealing()),
                base.withName("fork-join").withDispatcher(DispatcherKind.forkJoin()),
                ActorSystemConfig.deterministic(42).withName("deterministic"));
    }

    public boolean deterministic() {
        return system.config().dispatcher() instanceof DispatcherKind.Deterministic;
    }

    public <T> T await(CompletableFuture<T> future) {
        if (deterministic()) {
            boolean done = system.deterministic().runUntil(future::isDone, Duration.ofDays(1));
            assertThat(done).as("the scenario completes under the deterministic dispatcher").isTrue();
            return future.join();
        }
        try {
            return future.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause()); // as join() does
        } catch (TimeoutException | InterruptedException e) {
            throw new AssertionError("no result within the hang guard of " + HANG_GUARD, e);
        }
    }

    public void await(CountDownLatch latch) {
        await(() -> latch.getCount() == 0, latch);
    }

    private void await(BooleanSupplier done, CountDownLatch latch) {
        if (deterministic()) {
            assertThat(system.deterministic().runUntil(done, Duration.ofDays(1))).isTrue();
            return;
        }
        try {
            assertThat(latch.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).as("latch released").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    public ExitReason awaitTermination(ActorRef<?> actor) {
        return await(system.terminationOf(actor));
    }


    @Override
    public void close() {
        system.close();
    }

    @Override
    public String toString() {
        return system.name();
    }
}
