package io.zbmd.gpu.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {

    @Test
    void exceedingTheBudgetIsAClearErrorThatLeavesThePoolUsable() {
        try (MemoryPool pool = new MemoryPool("test", 1 << 20, false)) {
            DeviceBuffer held = pool.allocate(768 << 10);
            assertThatThrownBy(() -> pool.allocate(512 << 10))
                    .isInstanceOfSatisfying(DeviceOutOfMemoryException.class, e -> {
                        assertThat(e.requestedBytes()).isEqualTo(512 << 10);
                        assertThat(e.inUseBytes()).isEqualTo(768 << 10);
                        assertThat(e.budgetBytes()).isEqualTo(1 << 20);
                    })
                    .hasMessageContaining("'test'")
                    .hasMessageContaining("512.0 KiB")
                    .hasMessageContaining("768.0 KiB")
                    .hasMessageContaining("1.0 MiB budget");
            held.close();
            // The failed request reserved nothing; freeing the cache makes room for it now.
            pool.allocate(512 << 10).close();
            assertThat(pool.bytesInUse()).isZero();
        }
    }

    @Test
    void aLyingSizeFailsOnTheBudgetNotOnTheMachine() {
        try (MemoryPool pool = new MemoryPool("test", 1 << 20, false)) {
            assertThatThrownBy(() -> pool.allocateFloats(Integer.MAX_VALUE * 8L))
                    .isInstanceOf(DeviceOutOfMemoryException.class);
            assertThatThrownBy(() -> pool.allocate(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("0 bytes");
            assertThatThrownBy(() -> pool.allocateFloats(-3)).hasMessageContaining("-3");
        }
    }

    @Test
    void releasedMemoryGoesBackToZeroAndIsReused() {
        try (MemoryPool pool = new MemoryPool("test", 1 << 20, false)) {
            List<DeviceBuffer> buffers = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                buffers.add(pool.allocateFloats(i * 100));
            }
            assertThat(pool.liveBuffers()).isEqualTo(20);
            long reserved = pool.bytesReserved();
            buffers.forEach(DeviceBuffer::close);
            assertThat(pool.bytesInUse()).isZero();
            assertThat(pool.liveBuffers()).isZero();
            for (int i = 1; i <= 20; i++) {
                pool.allocateFloats(i * 100).close();
            }
            assertThat(pool.bytesReserved()).as("the same sizes come from the cache").isEqualTo(reserved);
            assertThat(pool.peakBytesInUse()).isPositive();
            pool.trimCache();
            assertThat(pool.bytesReserved()).isZero();
        }
    }

    @Test
    void aBufferIsExactlyItsSizeAndUnusableAfterRelease() {
        try (MemoryPool pool = new MemoryPool("test", 1 << 20, false)) {
            DeviceBuffer buffer = pool.allocateFloats(3);
            assertThat(buffer.bytes()).isEqualTo(12);
            assertThat(buffer.segment().address() % 64).as("aligned for vector loads").isZero();
            assertThatThrownBy(() -> buffer.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 3))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            buffer.close();
            buffer.close();
            assertThat(pool.bytesInUse()).isZero();
            assertThatThrownBy(buffer::segment).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already released");
        }
    }

    @Test
    void leakReportNamesWhereLiveBuffersCameFrom() {
        MemoryPool pool = new MemoryPool("test", 1 << 20, true);
        DeviceBuffer kept = pool.allocate(100);
        pool.allocate(200).close();
        List<String> report = pool.leakReport();
        assertThat(report).hasSize(1);
        assertThat(report.getFirst()).contains("100 bytes").contains(getClass().getName());
        kept.close();
        assertThat(pool.leakReport()).isEmpty();
        pool.close();
        assertThatThrownBy(() -> pool.allocate(1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void sizeClassesWasteAtMostAQuarter() {
        for (long bytes = 1; bytes < 1 << 24; bytes = bytes * 3 / 2 + 1) {
            long capacity = MemoryPool.sizeClass(bytes);
            assertThat(capacity).isGreaterThanOrEqualTo(bytes);
            assertThat(capacity % 64).isZero();
            if (bytes > 4096) {
                assertThat((double) capacity / bytes).as("%d bytes", bytes).isLessThanOrEqualTo(1.25);
            }
        }
    }
    /** A device whose memory is a count: what a GPU backend's allocator looks like to the pool. */
    private static final class CountingDevice implements BlockAllocator {
        private record Block(long bytes) implements MemoryBlock {}

        private final long capacity;
        private long reserved;
        private int frees;

        CountingDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public MemoryBlock reserve(long bytes) {
            if (reserved + bytes > capacity) {
                return null;
            }
            reserved += bytes;
            return new Block(bytes);
        }

        @Override
        public void free(MemoryBlock block) {
            reserved -= block.bytes();
            frees++;
        }
    }

    @Test
    void aDevicePoolBudgetsCachesAndFreesItsDevicesBlocks() {
        CountingDevice device = new CountingDevice(1 << 20);
        try (MemoryPool pool = new MemoryPool("device:0", 4 << 20, false, device)) {
            DeviceBuffer a = pool.allocateFloats(1000);
            assertThat(a.floats()).isEqualTo(1000);
            assertThat(a.block().bytes()).as("a size class").isGreaterThanOrEqualTo(4000);
            assertThatThrownBy(a::segment).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("device:0").hasMessageContaining("download");
            long reserved = device.reserved;
            a.close();
            assertThatThrownBy(a::block).isInstanceOf(IllegalStateException.class).hasMessageContaining("released");
            pool.allocateFloats(1000).close();
            assertThat(device.reserved).as("the released block was cached and reused").isEqualTo(reserved)
                    .isEqualTo(pool.bytesReserved());
            assertThatThrownBy(() -> pool.allocate(2 << 20)).as("the device refuses before the budget does")
                    .isInstanceOf(DeviceOutOfMemoryException.class).hasMessageContaining("device refused");
        }
        assertThat(device.reserved).as("closing the pool frees every block").isZero();
        assertThat(device.frees).isEqualTo(1);
    }
}
