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

    @Test
    void refusesALayoutThatDoesNotParseByName() {
        Cli.Result r = Cli.run("tune", "--layouts", "v1:64,v9:2", "--dry-run");
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("--layouts").contains("v9:2");
        assertThat(r.out()).isEmpty();
    }

    @Test
    @Tag("opencl")
    void timesOnlyTheLayoutsAskedFor() {
        Cli.Result r = Cli.run("tune", "--layouts", "v1:16,v2:16", "--classes", "64,1000", "--elements", "4096", "--reps", "1",
                "--dry-run");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("v1:16").contains("v2:16").doesNotContain("v0:64").doesNotContain("v0v");
        assertThat(r.err().lines().filter(l -> l.contains(" K=")).count()).isEqualTo(4);
        assertThat(r.out()).containsPattern("entry   .*max=v[12]:16");
    }
}
