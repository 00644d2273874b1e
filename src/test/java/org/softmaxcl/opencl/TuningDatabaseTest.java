package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmaxcl.backend.CacheFolder;

/** The layout database: lookup order, the cut-over format, the tuner's derivation, the user file. */
class TuningDatabaseTest {
    @TempDir
    Path dir;
    private String saved;

    private static DeviceInfo device(String type, String vendor, String name) {
        return FakeDevices.of(type, vendor, name, 8, 1024);
    }

    @BeforeEach
    void privateCache() {
        saved = System.getProperty(CacheFolder.DIR_PROPERTY);
        System.setProperty(CacheFolder.DIR_PROPERTY, dir.toString());
        TuningDatabase.forget();
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(CacheFolder.DIR_PROPERTY);
        } else {
            System.setProperty(CacheFolder.DIR_PROPERTY, saved);
        }
        TuningDatabase.forget();
    }

    @Test
    void keysGoFromTheDeviceNameToTheDefault() {
        assertThat(TuningDatabase.keys(device("GPU", "NVIDIA Corporation", "NVIDIA H100 80GB HBM3")))
                .containsExactly("gpu/nvidia_corporation/nvidia_h100_80gb_hbm3", "gpu/nvidia_corporation", "gpu", "default");
    }

    @Test
    void theBuiltInEntriesPickAVectorRowKernelOnCpusAndAGroupPerRowOnGpus() {
        DeviceInfo cpu = device("CPU", "AuthenticAMD", "pthread-haswell");
        assertThat(KernelLayout.choose(cpu, 4, null).toString()).isEqualTo("v0:64");
        assertThat(KernelLayout.choose(cpu, 1000, null).vector()).isTrue();
        DeviceInfo gpu = device("GPU", "Some Vendor", "Some GPU");
        assertThat(KernelLayout.choose(gpu, 10, null).wgPerRow()).isFalse();
        assertThat(KernelLayout.choose(gpu, 32000, null).toString()).isEqualTo("v1:256");
        // V1 never has more work-items than columns.
        assertThat(KernelLayout.choose(gpu, 100, KernelLayout.parse("v1:256")).wgs()).isEqualTo(64);
        assertThat(TuningDatabase.lookup(gpu).source()).startsWith("built-in");
    }

    @Test
    void cutOversParseFormatAndRefuseNonsense() {
        List<TuningDatabase.CutOver> c = TuningDatabase.parse("32=v0:64, 4096=v0v:8:8, max=v1:128", "k");
        assertThat(TuningDatabase.format(c)).isEqualTo("32=v0:64, 4096=v0v:8:8, max=v1:128");
        TuningDatabase.Entry e = new TuningDatabase.Entry("test", "k", c);
        assertThat(e.layoutFor(32).toString()).isEqualTo("v0:64");
        assertThat(e.layoutFor(33).toString()).isEqualTo("v0v:8:8");
        assertThat(e.layoutFor(1 << 20).toString()).isEqualTo("v1:128");
        assertThatThrownBy(() -> TuningDatabase.parse("32=v0:64", "k")).hasMessageContaining("must end with max=layout");
        assertThatThrownBy(() -> TuningDatabase.parse("64=v0:64, 32=v1:64, max=v1:64", "k")).hasMessageContaining("increase");
        assertThatThrownBy(() -> TuningDatabase.parse("max=v9", "k")).hasMessageContaining("v9");
    }

    @Test
    void theTunerCutsWhereTheWinnerChanges() {
        List<Tuner.Measurement> m = List.of(
                new Tuner.Measurement(8, 1, "v0:64", 1.0, 0), new Tuner.Measurement(8, 1, "v1:64", 2.0, 0),
                new Tuner.Measurement(512, 1, "v0:64", 3.0, 0), new Tuner.Measurement(512, 1, "v1:64", 2.0, 0),
                new Tuner.Measurement(4096, 1, "v0:64", 5.0, 0), new Tuner.Measurement(4096, 1, "v1:64", 4.0, 0));
        assertThat(TuningDatabase.format(Tuner.cutOvers(new int[] {8, 512, 4096}, m))).isEqualTo("8=v0:64, max=v1:64");
    }

    @Test
    void aStoredEntryOverridesTheBuiltInOneForThatDeviceOnly() {
        DeviceInfo mine = device("GPU", "Acme", "Rocket 9000");
        DeviceInfo other = device("GPU", "Acme", "Rocket 1000");
        Path f = TuningDatabase.store(mine, TuningDatabase.parse("100=v0:128, max=v1:32", "k"));
        assertThat(f).isRegularFile().startsWith(dir);
        assertThat(KernelLayout.choose(mine, 50, null).toString()).isEqualTo("v0:128");
        assertThat(KernelLayout.choose(mine, 5000, null).toString()).isEqualTo("v1:32");
        assertThat(TuningDatabase.lookup(mine).key()).isEqualTo("gpu/acme/rocket_9000");
        assertThat(KernelLayout.choose(other, 5000, null).toString()).isEqualTo("v1:256");
    }

    @Test
    void anEntryWithRowsPerGroupWalksFewerWhereThereAreFewRows() {
        // 8 compute units x 4 groups: at least 32 groups, so N rows walk at most N / 32 rows per group.
        DeviceInfo mine = device("GPU", "Acme", "Rocket 9000");
        TuningDatabase.store(mine, TuningDatabase.parse("max=v2:256:4", "k"));
        assertThat(KernelLayout.choose(mine, 4096, 8192, null).toString()).isEqualTo("v2:256:4");
        assertThat(KernelLayout.choose(mine, 4096, 64, null).toString()).as("64 rows: 2 per group").isEqualTo("v2:256:2");
        assertThat(KernelLayout.choose(mine, 4096, 20, null).toString()).as("20 rows: one per group").isEqualTo("v2:256");
        assertThat(KernelLayout.choose(mine, 100, 8192, null).toString()).as("25 quads: the group shrinks, the rows stay")
                .isEqualTo("v2:16:4");
    }
}
