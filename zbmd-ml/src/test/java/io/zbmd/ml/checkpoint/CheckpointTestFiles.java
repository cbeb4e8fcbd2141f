package io.zbmd.ml.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;

/** Builds safetensors and checkpoint files byte by byte for tests. */
final class CheckpointTestFiles {
    private CheckpointTestFiles() {}

    /** Something that writes to a channel. */
    interface ChannelWrite {
        void to(WritableByteChannel out) throws IOException;
    }

    /** @return what {@code write} writes */
    static byte[] bytesOf(ChannelWrite write) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (WritableByteChannel out = Channels.newChannel(bytes)) {
            write.to(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @return the safetensors file the writer makes of these tensors and metadata */
    static byte[] safetensorsFile(Map<String, TensorData> tensors, Map<String, String> metadata) {
        return bytesOf(out -> SafetensorsWriter.write(out, tensors, metadata));
    }

    /** @return the checkpoint file of {@code checkpoint} */
    static byte[] checkpointFile(Checkpoint checkpoint) {
        return bytesOf(out -> CheckpointFile.write(checkpoint, out));
    }

    /**
     * @param headerJson the header exactly as given (no padding added)
     * @param data the data buffer
     * @return a file whose length prefix is the header's UTF-8 length
     */
    static byte[] rawFile(String headerJson, byte[] data) {
        return rawFile(headerJson.getBytes(StandardCharsets.UTF_8), data);
    }

    /** @return length prefix, header bytes, data */
    static byte[] rawFile(byte[] header, byte[] data) {
        return concat(lengthPrefix(header.length), header, data);
    }

    /** @return the 8-byte little-endian header length */
    static byte[] lengthPrefix(long headerBytes) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes).array();
    }

    /** @return a copy of {@code file} with another header length in its prefix */
    static byte[] withHeaderLength(byte[] file, long headerBytes) {
        byte[] copy = file.clone();
        System.arraycopy(lengthPrefix(headerBytes), 0, copy, 0, 8);
        return copy;
    }

    /** @return the header length a file's prefix declares */
    static long headerLength(byte[] file) {
        return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** @return the header JSON of a file, as text (its declared length, from byte 8) */
    static String headerJson(byte[] file) {
        return new String(file, 8, (int) headerLength(file), StandardCharsets.UTF_8);
    }

    /** @return the data buffer of a file (after the declared header) */
    static byte[] data(byte[] file) {
        int start = 8 + (int) headerLength(file);
        byte[] data = new byte[file.length - start];
        System.arraycopy(file, start, data, 0, data.length);
        return data;
    }

    /** @return float32 values, little-endian */
    static byte[] littleEndianFloats(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return buffer.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** @return random bytes */
    static byte[] randomBytes(SplittableRandom random, int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }

    /** A tensor of a random dtype and shape (scalars and empty ones included), random bytes. */
    static TensorData randomTensor(SplittableRandom random) {
        SafetensorsDType dtype = SafetensorsDType.values()[random.nextInt(SafetensorsDType.values().length)];
        int[] shape = new int[random.nextInt(4)];
        for (int axis = 0; axis < shape.length; axis++) {
            shape[axis] = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(5);
        }
        TensorSpec spec = new TensorSpec(dtype, shape);
        return TensorData.ofBytes(dtype, randomBytes(random, (int) spec.byteCount()), shape);
    }

    /** A checkpoint with a few random model and optimizer tensors and random strings. */
    static Checkpoint randomCheckpoint(SplittableRandom random) {
        Checkpoint.Builder builder = Checkpoint.builder(random.nextLong(1_000_000))
                .config(randomText(random))
                .rngState(randomText(random))
                .dataPosition(randomText(random));
        int modelTensors = 1 + random.nextInt(4);
        for (int i = 0; i < modelTensors; i++) {
            builder.modelTensor(i + "." + (random.nextBoolean() ? "weight" : "bias"), randomTensor(random));
        }
        int optimizerTensors = random.nextInt(3);
        for (int i = 0; i < optimizerTensors; i++) {
            builder.optimizerTensor(i + ".exp_avg", randomTensor(random));
        }
        return builder.build();
    }

    /** Short text with the characters JSON must escape and some beyond ASCII. */
    static String randomText(SplittableRandom random) {
        String alphabet = "ab9 {}[]\":,\\\n\t\u0001é€😀";
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(12);
        while (text.length() < length) {
            text.appendCodePoint(alphabet.codePoints().toArray()[random.nextInt((int) alphabet.codePoints().count())]);
        }
        return text.toString();
    }
}
