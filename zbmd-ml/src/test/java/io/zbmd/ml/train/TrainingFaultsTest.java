package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The command line's fault specification, in and out. */
class TrainingFaultsTest {

    @Test
    void parsesAnySubsetInAnyOrderAndPrintsItBack() {
        TrainingFaults faults = TrainingFaults.parse("oom=0.0005, crash=0.01,drop=0.001,device=0.001", 9);
        assertThat(faults).isEqualTo(new TrainingFaults(9, 0.01, 0.001, 0.001, 0.0005));
        assertThat(faults).hasToString("crash=0.01,drop=0.001,device=0.001,oom=0.0005");
        assertThat(TrainingFaults.parse("CRASH=0.5", 1).crashRate()).isEqualTo(0.5);
        assertThat(TrainingFaults.parse(" none ", 1)).isEqualTo(TrainingFaults.NONE);
        assertThat(TrainingFaults.parse("", 1).enabled()).isFalse();
        assertThat(TrainingFaults.parse("device=0.1", 1).onDevice()).isTrue();
        assertThat(TrainingFaults.parse("crash=0.1", 1).onDevice()).isFalse();
        TrainingFaults lost = TrainingFaults.parse("crash=0.01,lost=5000", 2);
        assertThat(lost.lostAfter()).isEqualTo(5000);
        assertThat(lost.onDevice()).isTrue();
        assertThat(lost).hasToString("crash=0.01,drop=0,device=0,oom=0,lost=5000");
        assertThat(TrainingFaults.parse("crash=0.01", 2).lostAfter()).isEqualTo(-1);
    }

    @Test
    void aLostDeviceIsACountAndNotMixedWithDeviceRates() {
        assertThatThrownBy(() -> TrainingFaults.parse("lost=-3", 1)).hasMessageContaining("'-3'");
        assertThatThrownBy(() -> TrainingFaults.parse("lost=0.5", 1)).hasMessageContaining("whole number");
        assertThatThrownBy(() -> TrainingFaults.parse("lost=10,oom=0.01", 1)).hasMessageContaining("cannot be combined");
    }

    @Test
    void badPartsAreNamed() {
        assertThatThrownBy(() -> TrainingFaults.parse("crash=0.1,flood=0.2", 1))
                .hasMessageContaining("'flood=0.2'").hasMessageContaining("crash=P, drop=P, device=P, oom=P");
        assertThatThrownBy(() -> TrainingFaults.parse("drop", 1)).hasMessageContaining("'drop'");
        assertThatThrownBy(() -> TrainingFaults.parse("drop=often", 1)).hasMessageContaining("'often' is not a number");
        assertThatThrownBy(() -> TrainingFaults.parse("oom=1.5", 1)).hasMessageContaining("oom=1.5")
                .hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> TrainingFaults.parse("crash=NaN", 1)).hasMessageContaining("crash=NaN");
    }
}
