package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.memory.DeviceBuffer;

/**
 * The memory behind one or more tensors (a tensor and its views share one storage). Owned
 * by the {@link TensorScope} that allocated it, which releases it when it closes.
 */
final class Storage {
    /** Exchanged with another storage's by {@link Tensor#exchangeMemory} (double buffering). */
    DeviceBuffer buffer;
    final DType dtype;
    final Backend backend;
    TensorScope scope;

    Storage(DeviceBuffer buffer, DType dtype, Backend backend, TensorScope scope) {
        this.buffer = buffer;
        this.dtype = dtype;
        this.backend = backend;
        this.scope = scope;
    }
}
