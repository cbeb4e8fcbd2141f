package io.zbmd.ml.train;

import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.Column;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.Tensors;

/** A batch's columns as tensors in the current scope: float32 or int32, with the column's shape. */
final class BatchTensors {
    private BatchTensors() {}

    static Tensor inputs(Batch batch) {
        return of(batch.inputs());
    }

    static Tensor targets(Batch batch) {
        return of(batch.targets());
    }

    static Tensor of(Column column) {
        return switch (column) {
            case Column.Floats floats -> Tensors.of(floats.values(), floats.shape());
            case Column.Ints ints -> Tensors.ofInts(ints.values(), ints.shape());
        };
    }
}
