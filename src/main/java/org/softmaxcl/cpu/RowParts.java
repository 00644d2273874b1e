package org.softmaxcl.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What the threads of one call share when every row of a batch is cut into {@code parts} ranges of
 * whole segments and the threads go through the rows together, each on its own part of every row
 * (long rows: a part of a row and of its output stays in its core's cache between the row's
 * passes, where the whole row and the next one would not).
 *
 * <p>Each part of each row is claimed once ({@link #claim}); a thread does its own part first
 * and then any part of the same row that no thread has claimed yet (a thread that starts late,
 * or never, leaves its parts to the others). A part's results are published by {@link #done};
 * {@link #await} returns once every part of a row is done. The arrays hold each row's partial
 * results, written by the thread that ran the part before {@code done} and read by every thread
 * after {@code await} (the volatile state orders them). Sizes are in elements: rows·parts,
 * rows·segments, rows·tail. Before the first row's pass 2, a first stage takes that row's max in
 * parts the same way ({@link #claimFirstMax}, {@link #awaitFirstMax}); every later row's max is
 * read during the row before.
 */
final class RowParts {
    private static final int FREE = 0;
    private static final int CLAIMED = 1;
    private static final int DONE = 2;
    /** Spins on a part's state before a wait starts yielding the core. */
    private static final int SPINS = 1 << 12;

    final int rows;
    final int parts;
    final int segments;
    final int tail;
    /** d − 1's sum over each segment of each row: rows·segments. */
    final double[] segmentSums;
    /** The ties with each row's max in each part: rows·parts. */
    final long[] ties;
    /** The largest value of the next row in each part's range (−∞ where none is read): rows·parts. */
    final float[] nextMax;
    /** z_t − m of each row's target, read by the thread that runs the target's part before it writes there. */
    final float[] zsT;
    /** The row's tail beyond its last whole vector: its exps and z − m, rows·tail each. */
    final float[] tailE;
    final float[] tailZ;
    /** The first row's largest raw logit over each part's range (the first stage, {@link #claimFirstMax}). */
    final float[] firstMax;

    private final AtomicIntegerArray state;
    /** The first stage's parts: the first row's max in parts, before any row's pass 2. */
    private final AtomicIntegerArray firstState;
    private final AtomicInteger joined = new AtomicInteger();
    private volatile boolean failed;

    /**
     * @param rows     the rows of the call (≥ 1)
     * @param parts    the parts of every row (≥ 2)
     * @param segments the segments of every row (≥ parts)
     * @param tail     the largest tail a row may have past its last whole vector
     */
    RowParts(int rows, int parts, int segments, int tail) {
        if (rows < 1 || parts < 2 || segments < parts || tail < 0) {
            throw new IllegalArgumentException("rows " + rows + ", parts " + parts + ", segments " + segments
                    + ", tail " + tail);
        }
        this.rows = rows;
        this.parts = parts;
        this.segments = segments;
        this.tail = tail;
        firstMax = new float[parts];
        firstState = new AtomicIntegerArray(parts);
        segmentSums = new double[rows * segments];
        ties = new long[rows * parts];
        nextMax = new float[rows * parts];
        zsT = new float[rows];
        tailE = new float[rows * tail];
        tailZ = new float[rows * tail];
        state = new AtomicIntegerArray(rows * parts);
    }

    /** The first segment of part q (q = parts: the number of segments). */
    int firstSegment(int q) {
        return (int) ((long) q * segments / parts);
    }

    /** The part this thread prefers: 0 for the first thread to join, then 1, 2, … (≥ parts: none). */
    int join() {
        return joined.getAndIncrement();
    }

    /** Claims part q of row i; false when a thread already has. */
    boolean claim(int i, int q) {
        return state.get(i * parts + q) == FREE && state.compareAndSet(i * parts + q, FREE, CLAIMED);
    }

    /** Whether every part of row i has been claimed. */
    boolean allClaimed(int i) {
        for (int q = 0; q < parts; q++) {
            if (state.get(i * parts + q) == FREE) {
                return false;
            }
        }
        return true;
    }

    /** Publishes part q of row i: its entries in the arrays are final. */
    void done(int i, int q) {
        state.set(i * parts + q, DONE);
    }

    /** Claims part q of the first stage (the first row's max over that part); false when a thread already has. */
    boolean claimFirstMax(int q) {
        return firstState.get(q) == FREE && firstState.compareAndSet(q, FREE, CLAIMED);
    }

    /** Publishes {@code firstMax[q]}. */
    void doneFirstMax(int q) {
        firstState.set(q, DONE);
    }

    /**
     * The first row's largest raw logit (Math.max's order: NaN when one is) once every part of
     * the first stage is done.
     *
     * @throws Abandoned when another thread failed meanwhile
     */
    float awaitFirstMax() {
        float m = Float.NEGATIVE_INFINITY;
        for (int q = 0; q < parts; q++) {
            spinUntilDone(firstState, q);
            m = Math.max(m, firstMax[q]);
        }
        return m;
    }

    /**
     * Thrown by {@link #await} in a thread that stops because another one failed: that thread's
     * own failure is the one to report, and this one carries nothing.
     */
    static final class Abandoned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abandoned() {
            super("another thread of this call failed", null, false, false);
        }
    }

    /**
     * Returns once every part of row i is done (at once for i &lt; 0).
     *
     * @throws Abandoned when another thread failed meanwhile
     */
    void await(int i) {
        if (i < 0) {
            return;
        }
        for (int q = 0; q < parts; q++) {
            spinUntilDone(state, i * parts + q);
        }
    }

    private void spinUntilDone(AtomicIntegerArray a, int idx) {
        for (int spin = 0; a.get(idx) != DONE; spin++) {
            if (failed) {
                throw new Abandoned();
            }
            if (spin >= SPINS) {
                Thread.yield();
            }
        }
    }

    /** Marks the call failed, so that threads waiting in {@link #await} stop. */
    void fail() {
        failed = true;
    }
}
