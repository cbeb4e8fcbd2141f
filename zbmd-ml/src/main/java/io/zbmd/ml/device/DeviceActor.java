package io.zbmd.ml.device;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ExitReason;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.memory.DeviceBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One device's actor: it opens the device's backend (its context and queue) when it starts, on
 * the platform thread it is pinned to, runs the stages sent to it there, and closes the backend
 * when it stops. Spawn it with {@code SpawnOptions.pinnedToThread()} or, under a supervisor,
 * {@code ChildSpec.withPinnedThread(true)}.
 *
 * <p>Let it crash: a stage that fails (a {@link DeviceException}, an out-of-memory, a bug)
 * completes its future with the failure, so that the sender learns at once, and then crashes
 * the actor; its supervisor restarts it, which closes the old backend and opens a new one
 * (context and queue re-created). The sender redoes the stage from its last commit, with its
 * tensors uploaded again: a stage's work must not keep device buffers across stages.
 *
 * <p>{@link Heartbeat}s run a tiny kernel and a copy back, so that a device that has stopped
 * answering (a hung kernel, a lost device) is noticed by {@link DeviceHealth}.
 */
public final class DeviceActor implements Actor<DeviceActor.Command> {
    private final ActorContext<Command> ctx;
    private final Supplier<Backend> open;
    private Backend backend;
    private DeviceBuffer probe;

    /** What a device actor is asked to do. */
    public sealed interface Command permits Run, Heartbeat {}

    /**
     * A stage: work on the device's backend, run on the device's thread.
     *
     * @param stage what it is, for messages
     * @param work the work; it allocates, computes and copies back what it needs
     * @param result completed with the work's result, or with its failure
     * @param <R> the result's type
     */
    public record Run<R>(String stage, Function<Backend, R> work, CompletableFuture<R> result) implements Command {
        /** Checks for nulls. */
        public Run {
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(work, "work");
            Objects.requireNonNull(result, "result");
        }
    }

    /**
     * A health check: the device runs a one-element fill and copies it back, then answers.
     *
     * @param sequence echoed in the answer
     * @param replyTo where the {@link DeviceHealth.Beat} goes
     */
    public record Heartbeat(long sequence, ActorRef<? super DeviceHealth.Beat> replyTo) implements Command {}

    private DeviceActor(ActorContext<Command> ctx, Supplier<Backend> open) {
        this.ctx = ctx;
        this.open = open;
    }

    /**
     * @param open opens the device's backend; called on the actor's thread at each (re)start
     * @return the actor's factory
     */
    public static ActorFactory<Command> factory(Supplier<Backend> open) {
        Objects.requireNonNull(open, "open must not be null");
        return ctx -> new DeviceActor(ctx, open);
    }

    /**
     * Sends a stage to a device actor.
     *
     * @param device the device's actor
     * @param stage what it is, for messages
     * @param work the work on the device's backend
     * @param <R> the result's type
     * @return the result, or the stage's failure
     */
    public static <R> CompletableFuture<R> run(ActorRef<Command> device, String stage, Function<Backend, R> work) {
        CompletableFuture<R> result = new CompletableFuture<>();
        device.tell(new Run<>(stage, work, result));
        return result;
    }

    @Override
    public void onStart() {
        backend = open.get();
        probe = backend.allocate(1);
    }

    @Override
    public void onMessage(Command message) {
        switch (message) {
            case Run<?> run -> runStage(run);
            case Heartbeat beat -> {
                backend.fill(probe, 0, 1, (float) beat.sequence());
                float[] back = new float[1];
                backend.download(probe, 0, back, 0, 1);
                if (back[0] != (float) beat.sequence()) {
                    throw new DeviceException(backend.device().name() + " answered a heartbeat with " + back[0]
                            + " instead of " + (float) beat.sequence());
                }
                beat.replyTo().tell(new DeviceHealth.Beat(beat.sequence()));
            }
        }
    }

    private <R> void runStage(Run<R> run) {
        R value;
        try {
            value = run.work().apply(backend);
        } catch (RuntimeException | Error failure) {
            run.result().completeExceptionally(failure);
            throw failure; // let it crash: the restart re-creates the device's context and queue
        }
        run.result().complete(value);
    }

    @Override
    public void onStop(ExitReason reason) {
        if (probe != null) {
            probe.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Override
    public String toString() {
        return "DeviceActor[" + ctx.self() + (backend == null ? "" : ", " + backend.device().name()) + "]";
    }
}
