package io.zbmd.examples.runtime;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import java.io.PrintStream;
import java.time.Duration;

/**
 * The design book's example 1: an echo actor that remembers what it was told, and a
 * request/reply ({@code ask}) that reads it back.
 */
public final class HelloActor {

    /** What the echo actor understands: a sealed protocol of records. */
    public sealed interface EchoMessage {}

    /** @param text something to echo */
    public record Say(String text) implements EchoMessage {}

    /** @param replyTo where to send the last text */
    public record LastSaid(ActorRef<String> replyTo) implements EchoMessage {}

    /** Private state and one handler; the runtime never runs it concurrently with itself. */
    static final class Echo implements Actor<EchoMessage> {
        private final PrintStream out;
        private String last = "";

        Echo(PrintStream out) {
            this.out = out;
        }

        @Override
        public void onMessage(EchoMessage message) {
            switch (message) {
                case Say say -> {
                    out.println("  echo actor received: " + say.text());
                    last = say.text();
                }
                case LastSaid query -> query.replyTo().tell(last);
            }
        }
    }

    private HelloActor() {}

    /**
     * Runs the example.
     *
     * @param out where to print
     * @return the reply
     */
    public static String run(PrintStream out) {
        out.println("== hello actor: tell, then ask for a reply");
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("hello"))) {
            ActorRef<EchoMessage> echo = system.spawn("echo", ctx -> new Echo(out));
            echo.tell(new Say("Hello, Actor!"));
            String reply = echo.<String>ask(LastSaid::new, Duration.ofSeconds(1)).join();
            out.println("  reply: " + reply);
            return reply;
        }
    }

    /** @param args unused */
    public static void main(String[] args) {
        run(System.out);
    }
}
