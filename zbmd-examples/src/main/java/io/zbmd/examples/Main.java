package io.zbmd.examples;

import io.zbmd.examples.book.CustomTrainingLoop;
import io.zbmd.examples.book.RegressionWithCustomLoss;
import io.zbmd.examples.book.SimpleTraining;
import io.zbmd.examples.book.TrainingUnderFaults;
import io.zbmd.examples.book.VectorAddition;
import io.zbmd.examples.ml.Demo;
import io.zbmd.examples.ml.EvalCommand;
import io.zbmd.examples.ml.GenerateCommand;
import io.zbmd.examples.ml.InspectCommand;
import io.zbmd.examples.ml.TrainCommand;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.examples.runtime.HelloActor;
import io.zbmd.examples.runtime.LinksAndMonitors;
import io.zbmd.examples.runtime.PingPong;
import io.zbmd.examples.supervision.FaultInjectionExample;
import io.zbmd.examples.supervision.SupervisedCounter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Runs the examples by name: {@code hello}, {@code pingpong}, {@code links}, {@code counter},
 * {@code faults}, or {@code all}; the book's training examples {@code simple-training [DIR]},
 * {@code custom-loop [DIR]} and {@code training-faults}; {@code regression [DIR]}, a regression
 * with a loss of its own; {@code vector-add [DEVICE]}, vector addition by a supervised device
 * actor; the commands {@code train}, {@code eval}, {@code generate} and {@code inspect}; and
 * {@code demo}, the training part of the README's first command: the supervised MLP under
 * injected faults ({@link Demo}).
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
            case "train" -> exit(TrainCommand.run(Arrays.copyOfRange(args, 1, args.length), out, System.err), out);
            case "eval" -> exit(EvalCommand.run(Arrays.copyOfRange(args, 1, args.length), out, System.err), out);
            case "inspect" -> exit(InspectCommand.run(Arrays.copyOfRange(args, 1, args.length), out, System.err),
                    out);
            case "generate" -> exit(GenerateCommand.run(Arrays.copyOfRange(args, 1, args.length), out, System.err),
                    out);
            case "simple-training" -> SimpleTraining.run(out, FashionMnist.DEFAULT_DIRECTORY, checkpoints(args, 1), 10,
                    0);
            case "custom-loop" -> CustomTrainingLoop.run(out, FashionMnist.DEFAULT_DIRECTORY, checkpoints(args, 1), 5,
                    0);
            case "training-faults" -> exit(TrainingUnderFaults.run(out, FashionMnist.DEFAULT_DIRECTORY, 3, 0) ? 0 : 1,
                    out);
            case "regression" -> RegressionWithCustomLoss.run(out, checkpoints(args, 1), 80);
            case "vector-add" -> VectorAddition.run(out, args.length > 1 ? args[1] : "best", 1_000_000);
            case "all" -> runtimeExamples(out);
            case "demo" -> exit(Demo.run(Arrays.copyOfRange(args, 1, args.length), out, System.err), out);
            default -> {
                System.err.println("unknown example '" + name
                        + "'; the examples are: hello, pingpong, links, counter, faults, all, simple-training,"
                        + " custom-loop, training-faults, regression, vector-add; and the commands train, eval,"
                        + " generate, inspect, demo");
                System.exit(2);
            }
        }
    }

    private static void runtimeExamples(PrintStream out) {
        HelloActor.run(out);
        PingPong.run(out, 1_000_000);
        LinksAndMonitors.run(out);
        SupervisedCounter.run(out);
        FaultInjectionExample.run(out, 8);
    }

    /** The checkpoint directory given after the example's name, or one in the temp directory. */
    private static Path checkpoints(String[] args, int index) throws IOException {
        return args.length > index ? Path.of(args[index]) : Files.createTempDirectory("zbmd-example-checkpoints");
    }

    private static void exit(int status, PrintStream out) {
        out.flush();
        if (status != 0) {
            System.exit(status);
        }
    }
}
