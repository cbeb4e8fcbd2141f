package io.zbmd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The benchmarks jar's entry point: JMH's own command line ({@code -l} lists the
 * benchmarks, a regular expression selects some, {@code -h} shows the options), followed by
 * a Markdown table of the run with zbmd's ratio to its peers. Two options of its own come
 * before JMH's:
 * <ul>
 *   <li>{@value #BUSY} runs every benchmark beside a competing busy process (one spinning
 *       thread in another JVM), as on a shared machine;
 *   <li>{@value #TABLE} {@code FILE} also writes the table to that file.
 * </ul>
 */
public final class BenchMain {
    static final String BUSY = "--beside-busy-process";
    static final String TABLE = "--table";

    private BenchMain() {}

    /**
     * @param args this class's options, then JMH arguments
     * @throws Exception if JMH fails, or a benchmark fails under JMH's {@code -foe true}
     */
    public static void main(String[] args) throws Exception {
        List<String> jmhArgs = new ArrayList<>(List.of(args));
        boolean busy = jmhArgs.remove(BUSY);
        Path tableFile = null;
        int table = jmhArgs.indexOf(TABLE);
        if (table >= 0) {
            if (table + 1 >= jmhArgs.size()) {
                System.err.println(TABLE + " needs a file name, as in: " + TABLE + " target/benchmarks.md");
                System.exit(2);
            }
            tableFile = Path.of(jmhArgs.remove(table + 1));
            jmhArgs.remove(table);
        }
        CommandLineOptions options = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(jmhArgs.toArray(String[]::new));
            return;
        }
        Process load = busy ? BusyLoop.start() : null;
        Collection<RunResult> results;
        try {
            results = new Runner(options).run();
        } finally {
            if (load != null) {
                load.destroyForcibly();
            }
        }
        String markdown = (busy ? "Beside a competing busy process (one spinning thread in another JVM).\n\n" : "")
                + ResultTable.markdown(results) + System.lineSeparator();
        System.out.println();
        System.out.print(markdown);
        if (tableFile != null) {
            if (tableFile.getParent() != null) {
                Files.createDirectories(tableFile.getParent());
            }
            Files.writeString(tableFile, markdown);
        }
    }
}
