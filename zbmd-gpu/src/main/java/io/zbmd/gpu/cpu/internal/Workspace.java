package io.zbmd.gpu.cpu.internal;

/**
 * One thread's packing buffers for one call, on the heap and reused from call to call (see
 * {@link BlockedGemm}'s pool of them), so that a training loop does not allocate megabytes
 * per matrix multiply. They grow to the largest block seen and never shrink.
 *
 * <p>Not thread-safe: one thread uses a workspace at a time.
 */
final class Workspace {
    float[] packedA = new float[0];
    float[] packedB = new float[0];
    float[] scratch = new float[0];
    final float[] tile;

    Workspace(int tileFloats) {
        this.tile = new float[tileFloats];
    }

    /**
     * Grows the buffers to hold the given blocks.
     *
     * @param packedAFloats a packed block of A
     * @param packedBFloats a packed panel of B
     * @param scratchFloats the longest run a packing copies
     */
    void ensure(int packedAFloats, int packedBFloats, int scratchFloats) {
        if (packedA.length < packedAFloats) {
            packedA = new float[packedAFloats];
        }
        if (packedB.length < packedBFloats) {
            packedB = new float[packedBFloats];
        }
        if (scratch.length < scratchFloats) {
            scratch = new float[scratchFloats];
        }
    }
}
