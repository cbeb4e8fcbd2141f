package io.zbmd.ml.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of zbmd that is running, as Maven stamped it into {@code zbmd-version.properties}
 * at build time; recorded in every checkpoint so that a file says who wrote it.
 */
public final class ZbmdVersion {
    /** What a build that did not filter the resource (an IDE's) reports. */
    static final String UNKNOWN = "unknown";

    private static final String CURRENT = load();

    private ZbmdVersion() {}

    /** @return e.g. "0.1.0-SNAPSHOT", or {@link #UNKNOWN} */
    public static String current() {
        return CURRENT;
    }

    private static String load() {
        try (InputStream in = ZbmdVersion.class.getResourceAsStream("zbmd-version.properties")) {
            if (in == null) {
                return UNKNOWN;
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", UNKNOWN).trim();
            return version.isEmpty() || version.startsWith("${") ? UNKNOWN : version;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read zbmd-version.properties from the zbmd-ml jar", e);
        }
    }
}
