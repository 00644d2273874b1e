package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.RowPass.SEGMENT;
import static org.softmaxcl.cpu.RowPass.maxOf;
import static org.softmaxcl.cpu.RowPass.segment;
import static org.softmaxcl.cpu.RowPass.tailExp;
import static org.softmaxcl.cpu.VectorExp.S;

import org.softmaxcl.cpu.RowPass.Row;

/**
 * A batch of few, long rows run in parts over the threads ({@link RowParts}: each thread takes a
 * part of every row): how a thread claims parts, runs pass 2 over them ({@link #partPass2}),
 * hands the next row's maximum on, and gathers a row's sums in the whole row's order once every
 * part is done, so that the result has the bits of the row run whole. The rows' finish and
 * scaling are {@link VectorKernels#softmaxRowParts} and {@link VectorKernels#xentRowParts}.
 * Static and stateless; the team's state lives in {@link RowParts}.
 */
final class PartsPasses {
    private static final int L = S.length();

    private PartsPasses() {
    }

    /**
     * Row i's largest raw logit in a batch run in parts: the REFUSE check's when kept, else read
     * during row i − 1's pass 2 (in parts; waits for that row), or for the first row, in parts
     * of its own, this thread's first and then any left unclaimed (x at xo: the first row).
     */
    static float partsRowMax(RowParts team, int p, int i, float[] maxima, float[] x, int xo, int k) {
        if (maxima != null) {
            return maxima[i];
        }
        if (i == 0) {
            for (int c = 0; c < team.parts; c++) {
                int q = (p + c) % team.parts;
                if (team.claimFirstMax(q)) {
                    int lo = partStart(team, q);
                    team.firstMax[q] = maxOf(x, xo + lo, partEnd(team, q, k) - lo);
                    team.doneFirstMax(q);
                }
            }
            return team.awaitFirstMax();
        }
        team.await(i - 1);
        float xmax = Float.NEGATIVE_INFINITY;
        for (int q = 0; q < team.parts; q++) {
            xmax = Math.max(xmax, team.nextMax[(i - 1) * team.parts + q]);
        }
        return xmax;
    }

    /**
     * Claims part 0 of row i, whose largest logit is not finite, and every other part, and runs
     * the row whole with {@code whole} (which returns the next row's max); nothing when another
     * thread has part 0. Every thread sees the same max, and only ever tries part 0 of such a row.
     */
    static void runWhole(RowParts team, int i, java.util.function.DoubleSupplier whole) {
        if (!team.claim(i, 0)) {
            return;
        }
        for (int q = 1; q < team.parts; q++) {
            team.claim(i, q);
        }
        float nm = (float) whole.getAsDouble();
        for (int q = 0; q < team.parts; q++) {
            team.nextMax[i * team.parts + q] = q == 0 ? nm : Float.NEGATIVE_INFINITY;
            team.done(i, q);
        }
    }

    /** Row i's sums in the whole row's order (segments in order, then the tail) into a new Row, once every part is done. */
    static Row partsSums(RowParts team, int i, int ub, int k) {
        team.await(i);
        final Row r = new Row();
        double sum = 0;
        for (int seg = 0; seg < team.segments; seg++) {
            sum += team.segmentSums[i * team.segments + seg];
        }
        r.less = sum;
        for (int q = 0; q < team.parts; q++) {
            r.ties += team.ties[i * team.parts + q];
        }
        for (int j = ub; j < k; j++) {
            r.term(team.tailZ[i * team.tail + j - ub], team.tailE[i * team.tail + j - ub]);
        }
        return r;
    }

    /** The elements [lo, hi) of a row that part q covers. */
    static int partStart(RowParts team, int q) {
        return team.firstSegment(q) * SEGMENT;
    }

    static int partEnd(RowParts team, int q, int k) {
        return q + 1 < team.parts ? team.firstSegment(q + 1) * SEGMENT : k;
    }

    /** One row of a batch in parts, on the thread that prefers part p (scratch: {@code mine}, {@code tmp}). */
    interface PartsRow {
        void run(int i, int p, boolean[] mine, float[] tmp);
    }

    /**
     * This thread's way through a batch in parts: joins {@code team} (a thread beyond its parts
     * returns at once) and runs {@code row} on every row of which some part is left to claim.
     */
    static void inParts(RowParts team, PartsRow row) {
        final int p = team.join();
        if (p >= team.parts) {
            return;
        }
        final float[] tmp = new float[L];
        final boolean[] mine = new boolean[team.parts];
        for (int i = 0; i < team.rows; i++) {
            if (!team.allClaimed(i)) {
                row.run(i, p, mine, tmp);
            }
        }
    }

    /**
     * Pass 2 of row i on this thread's own part p, then on any part nobody has claimed; marks in
     * {@code mine} the parts it ran, and returns whether it ran any.
     */
    static boolean runParts(RowParts team, int p, int i, boolean[] mine, float[] x, int xo, float[] e, int eo,
                                    float[] nx, int nxo, int k, int ub, float invT, float m, int t, float[] tmp) {
        boolean any = false;
        for (int c = 0; c < team.parts; c++) {
            int q = (p + c) % team.parts;
            mine[q] = team.claim(i, q);
            if (mine[q]) {
                partPass2(i, q, team, x, xo, e, eo, nx, nxo, k, ub, invT, m, t, tmp);
                team.done(i, q);
                any = true;
            }
        }
        return any;
    }

    /**
     * Pass 2 over part q of row i (e into g unless null), its segments' sums, ties and the next
     * row's largest value in its range into {@code team}; the last part also takes the row's
     * tail. The target's z − m is read first when the target lies in this part (in place, the
     * part's pass overwrites it).
     */
    static void partPass2(int i, int q, RowParts team, float[] x, int xo, float[] g, int go,
                                  float[] nx, int nxo, int k, int ub, float invT, float m, int t, float[] tmp) {
        final boolean last = q + 1 == team.parts;
        final int seg0 = team.firstSegment(q);
        final int seg1 = team.firstSegment(q + 1);
        if (t >= partStart(team, q) && t < partEnd(team, q, k)) {
            team.zsT[i] = x[xo + t] * invT - m;
        }
        final float[] tail = last && ub < k ? tailExp(x, xo, k, invT, m) : null;
        final Row r = new Row();
        r.next(x, xo, nx, nxo);
        for (int seg = seg0; seg < seg1; seg++) {
            r.less = 0;
            segment(x, xo, g, go, seg * SEGMENT, Math.min(ub, (seg + 1) * SEGMENT), invT, m, r, tmp);
            team.segmentSums[i * team.segments + seg] = r.less;
        }
        team.ties[i * team.parts + q] = r.ties;
        if (last) {
            for (int j = ub; j < k; j++) {
                float zs = x[xo + j] * invT - m;
                float e = tail[j - (k - L)];
                if (g != null) {
                    g[go + j] = e;
                }
                team.tailE[i * team.tail + j - ub] = e;
                team.tailZ[i * team.tail + j - ub] = zs;
            }
        }
        team.nextMax[i * team.parts + q] = nx == null ? Float.NEGATIVE_INFINITY : last ? r.nextMax(ub, k) : r.nmax;
    }
}
