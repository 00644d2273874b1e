package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code tune}: bad K lists are usage errors; a dry run measures, prints the entry and stores nothing. */
class TuneCommandTest {
    @Test
    void refusesKValuesThatAreNotIncreasing() {
        Cli.Result r = Cli.run("tune", "--classes", "64,8", "--dry-run");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--classes").contains("[64, 8]");
        assertThat(r.out()).isEmpty();
    }

    @Test
    @Tag("opencl")
    void aDryRunPrintsTheDeviceAndTheEntryAndStoresNothing() {
        Cli.Result r = Cli.run("tune", "--classes", "8,256", "--elements", "2048", "--reps", "1", "--dry-run");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("device  ").contains("entry   ").contains("max=").contains("stored  nothing");
        assertThat(r.err()).contains("K=8").contains("K=256");
    }
}
