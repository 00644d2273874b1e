package org.softmaxcl.cli;

import java.io.PrintWriter;

/**
 * Progress lines on stderr for long runs: nothing during the first second, then at most one line
 * per second.
 */
final class Progress {
    private final PrintWriter err;
    private final long start = System.nanoTime();
    private long last = start;
    private boolean spoke;

    Progress(PrintWriter err) {
        this.err = err;
    }

    /** Reports {@code what} if the run is past its first second and nothing was said in the last second. */
    void update(String what) {
        long now = System.nanoTime();
        if (now - start >= 1_000_000_000L && (!spoke || now - last >= 1_000_000_000L)) {
            err.printf(java.util.Locale.ROOT, "[%.1f s] %s%n", (now - start) / 1e9, what);
            err.flush();
            last = now;
            spoke = true;
        }
    }

    /** Seconds since this object was made. */
    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
