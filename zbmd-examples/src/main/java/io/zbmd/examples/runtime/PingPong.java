package io.zbmd.examples.runtime;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import java.io.PrintStream;
import java.util.concurrent.CompletableFuture;

/** Two actors bat a ball back and forth; the pinger reports when the rally is over. */
public final class PingPong {

    /**
     * The ball.
     *
     * @param hits how many times it has been hit
     * @param from who hit it
     */
    public record Ball(int hits, ActorRef<Ball> from) {}

    static final class Pinger implements Actor<Ball> {
        private final ActorContext<Ball> ctx;
        private final ActorRef<Ball> ponger;
        private final int rally;
        private final CompletableFuture<Integer> done;

        Pinger(ActorContext<Ball> ctx, ActorRef<Ball> ponger, int rally, CompletableFuture<Integer> done) {
            this.ctx = ctx;
            this.ponger = ponger;
            this.rally = rally;
            this.done = done;
        }

        @Override
        public void onStart() {
            ponger.tell(new Ball(1, ctx.self()));
        }

        @Override
        public void onMessage(Ball ball) {
            if (ball.hits() >= rally) {
                done.complete(ball.hits());
                ctx.stopSelf();
            } else {
                ponger.tell(new Ball(ball.hits() + 1, ctx.self()));
            }
        }
    }

    private PingPong() {}

    /**
     * Runs a rally.
     *
     * @param out where to print
     * @param rally how many hits
     * @return the hits counted at the end
     */
    public static int run(PrintStream out, int rally) {
        out.println("== ping-pong: " + rally + " hits between two actors");
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("pingpong"))) {
            ActorRef<Ball> ponger = system.spawn("ponger", ctx -> ball -> ball.from().tell(new Ball(ball.hits() + 1, ctx.self())));
            CompletableFuture<Integer> done = new CompletableFuture<>();
            long start = System.nanoTime();
            system.<Ball>spawn("pinger", ctx -> new Pinger(ctx, ponger, rally, done));
            int hits = done.join();
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("  %,d hits in %.3f s: %,.0f messages/s, %.0f ns per round trip%n",
                    hits, seconds, hits / seconds, seconds * 1e9 / (hits / 2.0));
            return hits;
        }
    }

    /** @param args optional rally length */
    public static void main(String[] args) {
        run(System.out, args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000);
    }
}
