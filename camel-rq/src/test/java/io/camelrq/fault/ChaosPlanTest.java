package io.camelrq.fault;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The chaos soak's fault schedule is a function of its seed, so that a failing run can be replayed. */
class ChaosPlanTest {

    @Test
    void theSameSeedGivesTheSameScheduleAndAnotherSeedAnotherOne() {
        List<ChaosSoakTest.Planned> a = ChaosSoakTest.plan(42, 600_000, true);
        assertThat(ChaosSoakTest.plan(42, 600_000, true)).isEqualTo(a);
        assertThat(ChaosSoakTest.plan(43, 600_000, true)).isNotEqualTo(a);
        // ten minutes at one fault every 2 to 6 s, after the warm-up
        assertThat(a).hasSizeBetween(90, 300);
        assertThat(a).extracting(ChaosSoakTest.Planned::kind).containsAll(List.of(ChaosSoakTest.FaultKind.values()));
        assertThat(a).allSatisfy(p -> assertThat(p.atMs()).isBetween(5000L, 600_000L));
        assertThat(a).isSortedAccordingTo(java.util.Comparator.comparingLong(ChaosSoakTest.Planned::atMs));
    }

    @Test
    void aLongerRunStartsWithTheScheduleOfAShorterOne() {
        List<ChaosSoakTest.Planned> minute = ChaosSoakTest.plan(7, 60_000, true);
        List<ChaosSoakTest.Planned> tenMinutes = ChaosSoakTest.plan(7, 600_000, true);
        assertThat(tenMinutes.subList(0, minute.size())).isEqualTo(minute);
    }

    @Test
    void againstAnExternalRedisOnlyJvmKillsAndProxyFaultsArePlanned() {
        assertThat(ChaosSoakTest.plan(42, 600_000, false)).isNotEmpty()
                .noneMatch(p -> p.kind().isRedis());
    }

    @Test
    void pausesOutlastTheLease() {
        assertThat(ChaosSoakTest.plan(42, 600_000, true)).filteredOn(p -> p.kind() == ChaosSoakTest.FaultKind.PAUSE)
                .isNotEmpty().allSatisfy(p -> assertThat(p.durationMs()).isGreaterThan(2000));
    }
}
