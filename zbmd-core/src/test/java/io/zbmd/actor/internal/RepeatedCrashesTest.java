package io.zbmd.actor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The crash log's repeat counter: the same actor, type and message count up; anything else starts at 1. */
class RepeatedCrashesTest {
    @Test
    void countsCrashesOfOneActorTheSameWayAndNothingElse() {
        RepeatedCrashes crashes = new RepeatedCrashes();
        assertThat(crashes.count("/user/a", new IllegalStateException("shape [3] vs [4]"))).isEqualTo(1);
        assertThat(crashes.count("/user/a", new IllegalStateException("shape [3] vs [4]"))).isEqualTo(2);
        assertThat(crashes.count("/user/a", new IllegalStateException("shape [3] vs [4]"))).isEqualTo(3);
        assertThat(crashes.count("/user/a", new IllegalStateException("shape [5] vs [4]"))).isEqualTo(1);
        assertThat(crashes.count("/user/a", new IllegalArgumentException("shape [3] vs [4]"))).isEqualTo(1);
        assertThat(crashes.count("/user/b", new IllegalStateException("shape [3] vs [4]"))).isEqualTo(1);
        assertThat(crashes.count("/user/a", new IllegalStateException((String) null))).isEqualTo(1);
        assertThat(crashes.count("/user/a", new IllegalStateException((String) null))).isEqualTo(2);
    }

    @Test
    void forgetsEverythingPastItsCapacityInsteadOfGrowing() {
        RepeatedCrashes crashes = new RepeatedCrashes();
        crashes.count("/user/first", new IllegalStateException("x"));
        for (int i = 1; i < RepeatedCrashes.CAPACITY; i++) {
            crashes.count("/user/" + i, new IllegalStateException("x"));
        }
        assertThat(crashes.count("/user/first", new IllegalStateException("x"))).isEqualTo(1);
    }
}
