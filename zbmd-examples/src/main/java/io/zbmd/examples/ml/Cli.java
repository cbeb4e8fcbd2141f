package io.zbmd.examples.ml;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.zbmd.ml.checkpoint.ZbmdVersion;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.PrintWriter;
import picocli.CommandLine;

/** How the {@code train}, {@code eval} and {@code inspect} commands run their picocli command line. */
final class Cli {
    /** What to do when Fashion-MNIST is missing. */
    static final String DATASET_HINT = "Install Debian's dataset-fashion-mnist package (apt-get install"
            + " dataset-fashion-mnist), or point --data at a directory with the four files.";

    private Cli() {}

    /** {@code --version}: zbmd's version, as the build stamped it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"zbmd " + ZbmdVersion.current()};
        }
    }

    /**
     * Parses {@code args} into {@code command} and calls it: usage errors and help on the
     * given streams (status 2 for a bad command line, as picocli does), an exception the
     * command did not handle as one line on {@code err} with status 1.
     *
     * @param command a picocli {@code @Command}
     * @param args the command line after the command's name
     * @param out help and version text
     * @param err usage errors
     * @return the exit status
     */
    /** Writes an object's fields. */
    @FunctionalInterface
    interface JsonFields {
        void write(JsonGenerator json) throws IOException;
    }

    /**
     * @param fields writes the fields
     * @return one JSON object on one line (Jackson's streaming generator does the escaping)
     */
    static String jsonObject(JsonFields fields) {
        StringWriter text = new StringWriter();
        try (JsonGenerator json = new JsonFactory().createGenerator(text)) {
            json.writeStartObject();
            fields.write(json);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to a string", e);
        }
        return text.toString();
    }

    static int execute(Object command, String[] args, PrintStream out, PrintStream err) {
        CommandLine line = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Not a user error (those are answered by the commands, status 2): a bug to report.
            err.println(cmd.getCommandName() + ": internal error, please report it: " + e);
            return 1;
        });
        return line.execute(args);
    }
}
