package io.zbmd.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceFaultsTest {

    @Test
    void aViewWithFaultsFailsOnlyWhileArmedAndSharesTheBackendsMemory() {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(1 << 20))) {
            assertThat(cpu.faults()).isSameAs(DeviceFaults.NONE);
            DeviceFaults faults = DeviceFaults.seeded(7, 0.5, 0.5);
            Backend faulty = cpu.withFaults(faults);
            assertThat(faulty.memory()).isSameAs(cpu.memory());
            assertThat(faulty.faults()).isSameAs(faults);
            try (DeviceBuffer buffer = faulty.allocate(4)) {
                faulty.fill(buffer, 0, 4, 1f);
                faults.armed(true);
                assertThatThrownBy(() -> faulty.fill(buffer, 0, 4, 2f)).satisfiesAnyOf(
                        e -> assertThat(e).isInstanceOf(DeviceException.class)
                                .hasMessageContaining("injected device error in fill"),
                        e -> assertThat(e).isInstanceOf(DeviceOutOfMemoryException.class)
                                .hasMessageContaining("injected"));
                cpu.fill(buffer, 0, 4, 3f);
                faults.armed(false);
                float[] out = new float[4];
                faulty.download(buffer, 0, out, 0, 4);
                assertThat(out).as("the fault struck before the kernel; the backend itself injects nothing")
                        .containsOnly(3f);
            }
            assertThat(faults.injectedDeviceErrors() + faults.injectedOutOfMemory()).isEqualTo(1);
        }
    }

    @Test
    void theSameSeedInjectsTheSameFaults() {
        assertThat(draws(11)).isEqualTo(draws(11)).isNotEqualTo(draws(12));
        assertThatThrownBy(() -> DeviceFaults.NONE.armed(true)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> DeviceFaults.seeded(1, 1.5, 0)).hasMessageContaining("1.5");
    }

    @Test
    void aLostDeviceWorksForItsOperationsThenFailsEveryOne() {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(1 << 20));
                DeviceBuffer buffer = cpu.allocate(4)) {
            DeviceFaults lost = DeviceFaults.lostAfter(3);
            Backend dying = cpu.withFaults(lost);
            dying.fill(buffer, 0, 4, 1f); // disarmed: not counted
            lost.armed(true);
            for (int i = 0; i < 3; i++) {
                dying.fill(buffer, 0, 4, i);
            }
            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> dying.fill(buffer, 0, 4, 9f)).isInstanceOf(DeviceException.class)
                        .hasMessageContaining("device lost");
            }
            assertThat(lost.injectedDeviceErrors()).isEqualTo(5);
            assertThat(lost.injects()).isTrue();
        }
    }

    private static List<String> draws(long seed) {
        List<String> outcomes = new ArrayList<>();
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(1 << 20))) {
            DeviceFaults faults = DeviceFaults.seeded(seed, 0.2, 0.2).armed(true);
            Backend faulty = cpu.withFaults(faults);
            for (int i = 0; i < 40; i++) {
                try {
                    faulty.allocate(1).close();
                    outcomes.add("ok");
                } catch (DeviceException | DeviceOutOfMemoryException e) {
                    outcomes.add(e.getClass().getSimpleName());
                }
            }
        }
        return outcomes;
    }
}
