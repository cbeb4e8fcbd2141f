package io.zbmd.bench.ml;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SupervisionOverheadReportTest {

    @Test
    void theMediansIntervalHasTheRanksOfTheBinomialTables() {
        // Ranks of the 95 % distribution-free interval of a median, as tabulated (for example
        // Conover, Practical Nonparametric Statistics, table A3): the k-th smallest and largest.
        assertThat(SupervisionOverheadReport.lowerRankOfMedianInterval(6)).isEqualTo(1);
        assertThat(SupervisionOverheadReport.lowerRankOfMedianInterval(10)).isEqualTo(2);
        assertThat(SupervisionOverheadReport.lowerRankOfMedianInterval(20)).isEqualTo(6);
        assertThat(SupervisionOverheadReport.lowerRankOfMedianInterval(30)).isEqualTo(10);
    }
}
