package io.zbmd.examples.ml;

import io.zbmd.examples.ml.FashionMnistTraining.Model;
import io.zbmd.examples.ml.FashionMnistTraining.Options;
import io.zbmd.ml.data.DatasetNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code zbmd train mlp|cnn [options]}: parses the command line into
 * {@link FashionMnistTraining.Options} and runs the training.
 */
public final class TrainCommand {
    private TrainCommand() {}

    static final String USAGE = """
            usage: train mlp|cnn [--data DIR] [--epochs N] [--batch N] [--lr X] [--threads N] [--seed N]
                                 [--train-limit N] [--test-limit N]

              mlp | cnn          the 784-256-128-10 perceptron or the small CNN
              --data DIR         directory with Fashion-MNIST's four IDX files
                                 (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist)
              --epochs N         passes over the training set (default 15)
              --batch N          samples per step (default 128 for mlp, 64 for cnn)
              --lr X             Adam's initial learning rate, decayed along a cosine (default 0.001 for mlp,
                                 0.002 for cnn)
              --threads N        compute threads (default 2)
              --seed N           initialisation, shuffling and dropout seed (default 1)
              --train-limit N    train on the first N images only (default: all 60,000)
              --test-limit N     evaluate on the first N test images only (default: all 10,000)
            """;

    /**
     * @param args the model, then options
     * @param out progress
     * @param err errors and usage
     * @return the exit status: 0, or 2 for a bad command line or a missing dataset
     * @throws IOException if the dataset is present but cannot be read
     */
    public static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.print(USAGE);
            return 0;
        }
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("train: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        try {
            FashionMnistTraining.run(options, out);
            return 0;
        } catch (DatasetNotFoundException e) {
            err.println("train: " + e.getMessage());
            err.println("Install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist),"
                    + " or point --data at a directory with the four files.");
            return 2;
        }
    }

    /**
     * @param args the model, then options
     * @return the options
     * @throws IllegalArgumentException naming the bad argument
     */
    static Options parse(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("which model? mlp or cnn");
        }
        Model model = switch (args[0].toLowerCase(Locale.ROOT)) {
            case "mlp" -> Model.MLP;
            case "cnn" -> Model.CNN;
            default -> throw new IllegalArgumentException("unknown model '" + args[0] + "': use mlp or cnn");
        };
        Options d = Options.defaults(model);
        Path data = d.data();
        int epochs = d.epochs();
        int batch = d.batchSize();
        double lr = d.learningRate();
        int threads = d.threads();
        long seed = d.seed();
        int trainLimit = d.trainLimit();
        int testLimit = d.testLimit();
        for (int i = 1; i < args.length; i += 2) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            String value = args[i + 1];
            switch (name) {
                case "--data" -> data = Path.of(value);
                case "--epochs" -> epochs = positive(name, value);
                case "--batch" -> batch = positive(name, value);
                case "--lr" -> lr = positiveDouble(name, value);
                case "--threads" -> threads = positive(name, value);
                case "--seed" -> seed = parseLong(name, value);
                case "--train-limit" -> trainLimit = positive(name, value);
                case "--test-limit" -> testLimit = positive(name, value);
                default -> throw new IllegalArgumentException("unknown option '" + name + "'");
            }
        }
        return new Options(model, data, epochs, batch, lr, threads, seed, trainLimit, testLimit);
    }

    private static int positive(String name, String value) {
        long parsed = parseLong(name, value);
        if (parsed < 1 || parsed > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be a whole number from 1 to " + Integer.MAX_VALUE
                    + ", got " + value);
        }
        return (int) parsed;
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
        }
    }

    private static double positiveDouble(String name, String value) {
        double parsed;
        try {
            parsed = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got '" + value + "'");
        }
        if (!(parsed > 0) || Double.isInfinite(parsed)) {
            throw new IllegalArgumentException(name + " must be positive and finite, got " + value);
        }
        return parsed;
    }
}
