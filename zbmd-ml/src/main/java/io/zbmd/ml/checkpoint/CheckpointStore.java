package io.zbmd.ml.checkpoint;

import io.zbmd.ml.checkpoint.Recovery.Rejected;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of checkpoints, one file per step ({@code step-000000001234.safetensors}), written
 * so that a crash at any moment (kill -9, power loss) leaves the newest durable checkpoint
 * readable, and read so that a damaged newest one falls back to the one before.
 *
 * <p><b>Writing</b> ({@link #write}): the file is written under a temporary name in the same
 * directory ({@code step-….safetensors.tmp}), forced to disk ({@code fsync}), renamed atomically
 * over its final name, and then the directory itself is forced. On Linux a rename is only
 * durable once the directory's own entry list is synced (ext4, XFS and btrfs all need it), so
 * without that last step a power loss could bring back the old directory listing. Only then
 * are older checkpoints deleted, keeping the newest {@link #keepCount()}: until the new one is
 * durable, the previous one stays.
 *
 * <p><b>Reading</b> ({@link #latestValid()}): from the newest step down, each file is read and
 * fully verified (header, every checksum, the step in its name); a damaged or unreadable one is
 * logged, recorded in the {@link Recovery} and skipped.
 *
 * <p>Leftover temporary files of a crashed write are never read; {@link #open} deletes them.
 * Files with other names are ignored, never deleted. One store (one writer) per directory: a
 * second process writing the same steps would race this one's temporary files. {@link #write}
 * is synchronized; {@link #latestValid()} may run concurrently with it and sees either the old
 * or the new file of a step, never a partial one (a file that a concurrent write deletes as too
 * old while it is being read shows up as rejected, and an older one is tried).
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);

    /** Default for {@link #keepCount()}: the newest three. */
    public static final int KEEP_COUNT_DEFAULT = 3;
    private static final String SUFFIX = ".safetensors";
    private static final String TEMPORARY_SUFFIX = ".tmp";
    private static final Pattern CHECKPOINT_NAME = Pattern.compile("step-([0-9]{12,19})\\.safetensors");
    private static final Pattern TEMPORARY_NAME = Pattern.compile("step-[0-9]{12,19}\\.safetensors\\.tmp");

    private final Path directory;
    private final int keepCount;

    private CheckpointStore(Path directory, int keepCount) {
        this.directory = directory;
        this.keepCount = keepCount;
    }

    /**
     * Opens (creating it if needed) a checkpoint directory, and deletes the temporary files a
     * crashed write left there.
     *
     * @param directory the directory
     * @param keepCount how many checkpoints to keep, 1 or more (the newest ones)
     * @return the store
     * @throws IllegalArgumentException if {@code keepCount} is less than 1
     * @throws IOException if the directory cannot be created or listed, or is a file
     */
    public static CheckpointStore open(Path directory, int keepCount) throws IOException {
        Objects.requireNonNull(directory, "directory");
        if (keepCount < 1) {
            throw new IllegalArgumentException("keepCount must be 1 or more, was " + keepCount);
        }
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new IOException("checkpoint directory " + directory + " is a file; expected a directory (or nothing, "
                    + "to create one)");
        }
        Files.createDirectories(directory);
        CheckpointStore store = new CheckpointStore(directory, keepCount);
        store.deleteTemporaryFiles();
        return store;
    }

    /** @return the directory */
    public Path directory() {
        return directory;
    }

    /** @return how many checkpoints are kept */
    public int keepCount() {
        return keepCount;
    }

    /**
     * @param step a step, 0 or more
     * @return the file name of its checkpoint, {@code step-} and the step in at least 12 digits
     *     (so that names sort by step up to 10^12)
     */
    public static String fileName(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be 0 or more, was " + step);
        }
        return String.format(Locale.ROOT, "step-%012d%s", step, SUFFIX);
    }

    /**
     * Writes a checkpoint durably (see the class comment), replacing an existing one of the same
     * step atomically, then deletes the oldest ones beyond {@link #keepCount()} among those of
     * this step or earlier. Checkpoints of later steps (from a run that went further before it
     * was resumed from here) are left alone: they are never the only copy of something older.
     *
     * @param checkpoint what to write
     * @return the file it is in now
     * @throws IOException if it cannot be written, synced or renamed, naming the directory, the
     *     step and the cause; the checkpoints already there are then untouched, and no temporary
     *     file is left behind
     */
    public synchronized Path write(Checkpoint checkpoint) throws IOException {
        Objects.requireNonNull(checkpoint, "checkpoint");
        long step = checkpoint.step();
        Path target = directory.resolve(fileName(step));
        Path temporary = directory.resolve(fileName(step) + TEMPORARY_SUFFIX);
        long bytes;
        boolean created = false;
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                created = true;
                bytes = CheckpointFile.write(checkpoint, channel).fileBytes();
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            if (created) {
                deleteAfterFailure(temporary, e); // whatever stood there before was not ours to delete
            }
            if (e instanceof RuntimeException unchecked) {
                throw unchecked;
            }
            throw new IOException("checkpoint directory " + directory + ": cannot write the checkpoint of step " + step
                    + " (" + reason(e) + "); the checkpoints already there are untouched", e);
        }
        try {
            syncDirectory();
        } catch (IOException e) {
            throw new IOException("checkpoint directory " + directory + ": wrote " + target + " but cannot sync the "
                    + "directory (" + reason(e) + "), so the rename may not survive a power loss; older checkpoints"
                    + " were kept", e);
        }
        LOG.debug("wrote checkpoint {} ({} bytes)", target, bytes);
        deleteOlderThanKept(step);
        return target;
    }

    /**
     * Forces the directory's entries to disk, which makes a rename in it durable. POSIX systems
     * allow opening a directory for reading and fsync on it; Windows does not (and NTFS
     * journals renames itself), so there it is skipped.
     */
    private void syncDirectory() throws IOException {
        if (!directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void deleteAfterFailure(Path temporary, Exception failure) {
        try {
            Files.deleteIfExists(temporary);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    private void deleteOlderThanKept(long writtenStep) throws IOException {
        List<Path> upToWritten = new ArrayList<>();
        for (Path file : checkpoints().reversed()) {
            if (stepOf(file).orElseThrow() <= writtenStep) {
                upToWritten.add(file); // newest first
            }
        }
        for (Path old : upToWritten.subList(Math.min(keepCount, upToWritten.size()), upToWritten.size())) {
            try {
                Files.deleteIfExists(old);
                LOG.debug("deleted checkpoint {}: more than {} kept", old, keepCount);
            } catch (IOException e) {
                // The new checkpoint is durable; an old one left over costs only space.
                LOG.warn("cannot delete old checkpoint {}: {}", old, e.toString());
            }
        }
    }

    /**
     * @return the checkpoint files in the directory, oldest step first (names of the form
     *     {@code step-NNNNNNNNNNNN.safetensors}; anything else is not listed)
     * @throws IOException if the directory cannot be listed
     */
    public List<Path> checkpoints() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                if (stepOf(entry).isPresent() && Files.isRegularFile(entry)) {
                    files.add(entry);
                }
            }
        }
        files.sort(Comparator.comparingLong(file -> stepOf(file).orElseThrow()));
        return files;
    }

    /**
     * Finds the newest checkpoint that passes every check (see {@link CheckpointFile#read}, and
     * the step in its name must be the step in its metadata), logging and recording each newer
     * one that does not. Never throws for a damaged or unreadable checkpoint file.
     *
     * @return what was found; close it to free the checkpoint's memory
     * @throws IOException only if the directory cannot be listed
     */
    public Recovery latestValid() throws IOException {
        List<Rejected> rejected = new ArrayList<>();
        for (Path file : checkpoints().reversed()) {
            Arena arena = Arena.ofShared();
            try {
                Checkpoint checkpoint = CheckpointFile.read(file, arena);
                long named = stepOf(file).orElseThrow();
                if (checkpoint.step() != named) {
                    throw new CheckpointFormatException(file, SafetensorsHeader.LENGTH_PREFIX_BYTES, "metadata "
                            + CheckpointFile.STEP_KEY + " is " + checkpoint.step() + "; expected " + named
                            + ", the step in the file's name (was the file renamed?)", null);
                }
                if (!rejected.isEmpty()) {
                    LOG.warn("using checkpoint {} (step {}) after rejecting {} newer one(s)", file, named,
                            rejected.size());
                }
                return new Recovery(checkpoint, rejected, arena);
            } catch (IOException e) {
                arena.close();
                LOG.warn("checkpoint {} is unusable, trying the one before it: {}", file, e.getMessage());
                rejected.add(new Rejected(file, e));
            } catch (RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        }
        if (!rejected.isEmpty()) {
            LOG.warn("no valid checkpoint in {}: all {} rejected", directory, rejected.size());
        }
        return new Recovery(null, rejected, null);
    }

    private void deleteTemporaryFiles() throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                if (TEMPORARY_NAME.matcher(entry.getFileName().toString()).matches() && Files.isRegularFile(entry)) {
                    Files.deleteIfExists(entry);
                    LOG.info("deleted {}, left by a checkpoint write that did not finish", entry);
                }
            }
        }
    }

    /** @return the step of a checkpoint file name in canonical form, or empty for any other name */
    private static OptionalLong stepOf(Path file) {
        String name = file.getFileName().toString();
        Matcher matcher = CHECKPOINT_NAME.matcher(name);
        if (!matcher.matches()) {
            return OptionalLong.empty();
        }
        try {
            long step = Long.parseLong(matcher.group(1));
            return fileName(step).equals(name) ? OptionalLong.of(step) : OptionalLong.empty();
        } catch (NumberFormatException beyondLong) {
            return OptionalLong.empty();
        }
    }

    @Override
    public String toString() {
        return "CheckpointStore[" + directory + ", keep " + keepCount + "]";
    }

    /**
     * @return why a file operation failed, in words and without the exception's class name
     *     (file-system exceptions carry their meaning in the class: "permission denied" is an
     *     {@code AccessDeniedException} whose message is only the path)
     */
    public static String reason(Exception e) {
        return switch (e) {
            case AccessDeniedException denied -> "permission denied: " + denied.getFile();
            case NoSuchFileException missing -> "no such file or directory: " + missing.getFile();
            case FileAlreadyExistsException exists -> "already exists: " + exists.getFile();
            case FileSystemException other when other.getReason() != null ->
                    other.getReason() + ": " + other.getFile();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }
}
