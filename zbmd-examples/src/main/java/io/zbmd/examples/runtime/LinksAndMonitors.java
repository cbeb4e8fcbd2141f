package io.zbmd.examples.runtime;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.Signal;
import io.zbmd.actor.SpawnOptions;
import java.io.PrintStream;
import java.util.concurrent.CompletableFuture;

/**
 * A crash, propagating and observed: a worker crashes on bad input; a helper linked to it
 * dies with it; a watcher monitoring it gets one DOWN with the reason; a keeper that traps
 * exits gets the exit as a message, survives, and starts a fresh worker (what a supervisor
 * automates).
 */
public final class LinksAndMonitors {

    /** Work for the worker; a negative number is bad input. */
    public record Work(int n) {}

    /** The worker reports work done to the keeper. */
    public record Done(int n) {}

    private static final String WATCHER_SAW_DOWN = "watcher saw DOWN";

    private LinksAndMonitors() {}

    static final class Keeper implements Actor<Object> {
        private final ActorContext<Object> ctx;
        private final PrintStream out;
        private final CompletableFuture<String> story;
        private ActorRef<Work> worker;
        private boolean helperDied;
        private boolean restartedWorkerWorked;
        private boolean watcherSawDown;

        Keeper(ActorContext<Object> ctx, PrintStream out, CompletableFuture<String> story) {
            this.ctx = ctx;
            this.out = out;
            this.story = story;
        }

        private ActorRef<Work> startWorker() {
            ActorRef<Object> keeper = ctx.self();
            ActorRef<Work> started = ctx.spawn(SpawnOptions.named("worker").linked(), c -> work -> {
                if (work.n() < 0) {
                    throw new IllegalArgumentException("negative work: " + work.n());
                }
                out.println("  worker did " + work.n());
                keeper.tell(new Done(work.n()));
            });
            out.println("  keeper started " + started.path());
            return started;
        }

        @Override
        public void onStart() {
            ctx.trapExits(true);
            worker = startWorker();
            ActorRef<Work> target = worker;
            ActorRef<String> helper = ctx.spawn("helper", c -> {
                c.link(target);
                return m -> {};
            });
            ActorRef<Object> keeper = ctx.self();
            ctx.<String>spawn("watcher", c -> new Actor<String>() {
                @Override
                public void onStart() {
                    c.monitor(target);
                }

                @Override
                public void onMessage(String message) {}

                @Override
                public void onSignal(Signal signal) {
                    if (signal instanceof Signal.Down down) {
                        out.println("  watcher got DOWN for " + down.actor().path() + ": " + down.reason());
                        keeper.tell(WATCHER_SAW_DOWN);
                    }
                }
            });
            ctx.monitor(helper);
            worker.tell(new Work(1));
            worker.tell(new Work(-1));
        }

        @Override
        public void onMessage(Object message) {
            if (message instanceof Done done && done.n() == 2) {
                restartedWorkerWorked = true;
            } else if (message == WATCHER_SAW_DOWN) {
                watcherSawDown = true;
            }
            finishIfDone();
        }

        private void finishIfDone() {
            if (helperDied && restartedWorkerWorked && watcherSawDown) {
                story.complete("propagated");
            }
        }

        @Override
        public void onSignal(Signal signal) {
            switch (signal) {
                case Signal.Exit exit when exit.from() == worker -> {
                    out.println("  keeper trapped EXIT from the worker: " + exit.reason());
                    worker = startWorker();
                    worker.tell(new Work(2));
                }
                case Signal.Down down -> {
                    out.println("  keeper: the linked helper died with the worker: " + down.reason());
                    if (!(down.reason() instanceof ExitReason.Crash)) {
                        story.complete("not propagated: " + down.reason());
                    }
                    helperDied = true;
                    finishIfDone();
                }
                default -> {}
            }
        }
    }

    /**
     * Runs the demo.
     *
     * @param out where to print
     * @return "propagated" once the crash reached the linked helper and a fresh worker did
     *     its work
     */
    public static String run(PrintStream out) {
        out.println("== links and monitors: a crash propagates along links and is observed by monitors");
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("links"))) {
            CompletableFuture<String> story = new CompletableFuture<>();
            system.spawn("keeper", ctx -> new Keeper(ctx, out, story));
            return story.join();
        }
    }

    /** @param args unused */
    public static void main(String[] args) {
        run(System.out);
    }
}
