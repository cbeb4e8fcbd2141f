package io.zbmd.examples;

import io.zbmd.examples.ml.TrainCommand;
import io.zbmd.examples.runtime.HelloActor;
import io.zbmd.examples.runtime.LinksAndMonitors;
import io.zbmd.examples.runtime.PingPong;
import io.zbmd.examples.supervision.FaultInjectionExample;
import io.zbmd.examples.supervision.SupervisedCounter;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Runs the examples by name: {@code hello}, {@code pingpong}, {@code links}, {@code counter},
 * {@code faults}, or {@code all}; and {@code train mlp|cnn}, Fashion-MNIST training.
 */
public final class Main {
    private Main() {}

    /**
     * @param args the example's name, then its arguments
     * @throws IOException if a dataset cannot be read
     */
    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        String name = args.length == 0 ? "all" : args[0];
        switch (name) {
            case "hello" -> HelloActor.run(out);
            case "pingpong" -> PingPong.run(out, args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000);
            case "links" -> LinksAndMonitors.run(out);
            case "counter" -> SupervisedCounter.run(out);
            case "faults" -> FaultInjectionExample.run(out, args.length > 1 ? Long.parseLong(args[1]) : 8);
            case "train" -> {
                int status = TrainCommand.run(Arrays.copyOfRange(args, 1, args.length), out, System.err);
                out.flush();
                if (status != 0) {
                    System.exit(status);
                }
            }
            case "all" -> {
                HelloActor.run(out);
                PingPong.run(out, 1_000_000);
                LinksAndMonitors.run(out);
                SupervisedCounter.run(out);
                FaultInjectionExample.run(out, 8);
            }
            default -> {
                System.err.println("unknown example '" + name
                        + "'; the examples are: hello, pingpong, links, counter, faults, all, and train mlp|cnn");
                System.exit(2);
            }
        }
    }
}
