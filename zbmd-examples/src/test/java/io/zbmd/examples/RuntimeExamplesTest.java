package io.zbmd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.examples.runtime.HelloActor;
import io.zbmd.examples.runtime.LinksAndMonitors;
import io.zbmd.examples.runtime.PingPong;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The examples the Quick start runs do what they say. */
class RuntimeExamplesTest {
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    @Test
    void helloActorGetsItsEchoBack() {
        assertThat(HelloActor.run(out)).isEqualTo("Hello, Actor!");
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("echo actor received: Hello, Actor!");
    }

    @Test
    void pingPongPlaysTheWholeRally() {
        assertThat(PingPong.run(out, 10_000)).isEqualTo(10_000);
    }

    @Test
    void aCrashPropagatesAlongLinksAndIsSeenByMonitors() {
        assertThat(LinksAndMonitors.run(out)).isEqualTo("propagated");
        String story = printed.toString(StandardCharsets.UTF_8);
        assertThat(story).contains("keeper trapped EXIT from the worker")
                .contains("watcher got DOWN")
                .contains("worker did 2");
    }
}
