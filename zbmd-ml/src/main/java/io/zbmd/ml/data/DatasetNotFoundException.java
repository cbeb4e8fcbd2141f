package io.zbmd.ml.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A dataset's directory or some of its files are not there. The message lists every missing
 * path and says how to get the data, so it can be shown to a user as is.
 *
 * <p>Immutable, so thread-safe.
 */
public final class DatasetNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient List<Path> missingPaths;

    /**
     * @param message the full message: what is missing and how to get it
     * @param missingPaths the directory or files that are missing, at least one
     * @throws IllegalArgumentException if {@code missingPaths} is empty
     * @throws NullPointerException if an argument or a path is null
     */
    public DatasetNotFoundException(String message, List<Path> missingPaths) {
        super(message);
        this.missingPaths = List.copyOf(missingPaths);
        if (this.missingPaths.isEmpty()) {
            throw new IllegalArgumentException("missingPaths must name at least one path");
        }
    }

    /** @return the directory or files that were looked for and not found */
    public List<Path> missingPaths() {
        return missingPaths;
    }
}
