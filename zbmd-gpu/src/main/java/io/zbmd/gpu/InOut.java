package io.zbmd.gpu;

import io.zbmd.gpu.memory.DeviceBuffer;
import java.util.Objects;

/**
 * Where an optimizer kernel reads a state's old values and writes its new ones: the same
 * buffer and offset to update in place, or two regions that do not overlap to keep the old
 * values (double buffering: an interrupted update then leaves the old state whole).
 *
 * @param from the old values
 * @param fromOffset the first element read
 * @param to where the new values go
 * @param toOffset the first element written
 */
public record InOut(DeviceBuffer from, long fromOffset, DeviceBuffer to, long toOffset) {
    /** Checks the buffers. */
    public InOut {
        Objects.requireNonNull(from, "from must not be null");
        Objects.requireNonNull(to, "to must not be null");
    }

    /**
     * @param buffer the state
     * @param offset its first element
     * @return an update of that state in place
     */
    public static InOut inPlace(DeviceBuffer buffer, long offset) {
        return new InOut(buffer, offset, buffer, offset);
    }
}
