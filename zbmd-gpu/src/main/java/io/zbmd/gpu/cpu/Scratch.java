package io.zbmd.gpu.cpu;

/**
 * Per-thread heap arrays that kernels copy a small working set into (an image, a plane of
 * pooling) so that the inner loops index arrays, which the JIT compiles without per-element
 * bounds checks, instead of memory segments at computed offsets. They grow to the largest
 * size asked for and are reused, so a training step allocates nothing here.
 */
final class Scratch {
    private static final int FLOAT_SLOTS = 2;
    private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[FLOAT_SLOTS][0]);
    private static final ThreadLocal<int[][]> INTS = ThreadLocal.withInitial(() -> new int[1][0]);

    private Scratch() {}

    /** @return this thread's float array {@code slot} (0 or 1), at least {@code size} long; contents undefined */
    static float[] floats(int slot, int size) {
        float[][] arrays = FLOATS.get();
        if (arrays[slot].length < size) {
            arrays[slot] = new float[size];
        }
        return arrays[slot];
    }

    /** @return this thread's int array, at least {@code size} long; contents undefined */
    static int[] ints(int size) {
        int[][] arrays = INTS.get();
        if (arrays[0].length < size) {
            arrays[0] = new int[size];
        }
        return arrays[0];
    }
}
