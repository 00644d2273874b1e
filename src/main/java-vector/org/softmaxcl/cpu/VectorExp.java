package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.FloatExp.BIAS_253;
import static org.softmaxcl.cpu.FloatExp.C2;
import static org.softmaxcl.cpu.FloatExp.C3;
import static org.softmaxcl.cpu.FloatExp.C4;
import static org.softmaxcl.cpu.FloatExp.C5;
import static org.softmaxcl.cpu.FloatExp.C6;
import static org.softmaxcl.cpu.FloatExp.LN2_HI;
import static org.softmaxcl.cpu.FloatExp.LN2_LO;
import static org.softmaxcl.cpu.FloatExp.LOG2E;
import static org.softmaxcl.cpu.FloatExp.MAGIC;
import static org.softmaxcl.cpu.FloatExp.T11;
import static org.softmaxcl.cpu.FloatExp.T13;
import static org.softmaxcl.cpu.FloatExp.T15;
import static org.softmaxcl.cpu.FloatExp.T17;
import static org.softmaxcl.cpu.FloatExp.T3;
import static org.softmaxcl.cpu.FloatExp.T5;
import static org.softmaxcl.cpu.FloatExp.T7;
import static org.softmaxcl.cpu.FloatExp.T9;
import static org.softmaxcl.cpu.FloatExp.TANH_ONE;
import static org.softmaxcl.cpu.FloatExp.TANH_SERIES;
import static org.softmaxcl.cpu.FloatExp.TWO_M126;
import static org.softmaxcl.cpu.FloatExp.ZERO_ARG;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp(x) for float lanes, built only from +, ×, fma and integer bit operations, so it gives the
 * same bits interpreted, C1- or C2-compiled (unlike {@code lanewise(EXP)}, whose intrinsic and
 * fallback round differently), and runs inline rather than through a stub call.
 *
 * <p>Range reduction x = n·ln2 + r with |r| ≤ ln2/2 (n = round(x·log2 e) by the 1.5·2^23 trick,
 * ln2 split in two parts, fma), then e^r by a degree-6 minimax polynomial (error 3.1e-9 relative,
 * see {@link #poly}), then the scale 2^n added into the exponent bits of e^r
 * with one integer add (exact, the same bits as multiplying by 2^n, one instruction fewer). Measured error below
 * 1 ulp. Arguments below {@value #MIN_ARG} (results near or below 2^−126, rare in practice) take
 * a slower path that scales in two steps so they come out as the subnormals they are; below
 * 2^−150 they are 0, −∞ gives 0 and the default NaN gives NaN ({@link #expAny}: any NaN).
 * Arguments must be ≤ 88.7 (softmax only ever passes z − max ≤ 0): Java's min and max cost
 * several instructions each on x86, so there is no upper clamp ({@link #expAny} has one).
 */
final class VectorExp {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /**
     * Below this the result may be subnormal, where adding n to the exponent bits is wrong: such
     * lanes take {@link #subnormal} ({@link FloatExp#MIN_ARG}; the constants are {@link FloatExp}'s).
     */
    static final float MIN_ARG = FloatExp.MIN_ARG;

    /**
     * The constant {@code v} in every lane, made where it is used. A static final vector is read
     * from its backing float[] in every iteration of a kernel's loop (its address loaded, then
     * the vector), because the loop's stores to a float[] might alias that array, so C2 cannot
     * take the read out of the loop; a broadcast is taken out, and with more constants than AVX2
     * has registers it is spilled to the stack, where no store of the loop reaches (one load,
     * no address). hsdis on the fused cross-entropy's pass 2: 12 instructions of 49 per vector
     * were such reads; paired in one JVM (1 thread, rows in cache) this gave +4–5 % at K = 1000
     * and 8000, the same bits.
     */
    private static FloatVector c(float v) {
        return FloatVector.broadcast(S, v);
    }

    private VectorExp() {
    }

    static {
        prime();
    }

    /**
     * Runs the kernels' kinds of vector operation (float↔int reinterpretations both ways, integer
     * shifts, and, xor, max, float arithmetic, loads and stores of both classes) 20 000 times
     * before any kernel does. The Vector API routes them through generic methods whose casts
     * C2 profiles; if C2 compiles a kernel while such a profile has seen one vector class only, it
     * speculates, another class then fails the speculation, and every later compile of the kernels
     * treats the cast as unknown: their vectors lose their exact class, operations and stores
     * become virtual calls, and every vector is boxed (LogCompilation). Measured in fresh JVMs
     * (2 threads): the fused cross-entropy REFUSE at 2048×32000 ran 4–5× slower in 4 of 7 (with
     * 150–215 young collections instead of 6–7), at 262144×10 three times slower in 4 of 4, and
     * softmax REFUSE at 262144×10 five times slower; primed, none of 14 runs was. It adds no
     * measurable time to an engine's first calls (about 0.7 s with or without, most of it the
     * Vector API's own start-up).
     */
    static void prime() {
        FloatVector f = FloatVector.broadcast(S, 1f);
        IntVector n = IntVector.zero(IntVector.SPECIES_PREFERRED);
        float[] fa = new float[S.length()];
        int[] ia = new int[S.length()];
        for (int i = 0; i < 20_000; i++) {
            n = n.add((IntVector) f.reinterpretAsInts());
            f = f.add((FloatVector) n.reinterpretAsFloats());
            n = n.lanewise(VectorOperators.ASHR, 1).and(7).lanewise(VectorOperators.XOR, 3).max(n).lanewise(VectorOperators.LSHL, 1);
            f = f.mul(f).sub(f).fma(f, f).div(f);
            f.intoArray(fa, 0);
            n.intoArray(ia, 0);
            f = f.add(FloatVector.fromArray(S, fa, 0));
            n = n.add(IntVector.fromArray(IntVector.SPECIES_PREFERRED, ia, 0));
        }
        SINK = f.lane(0) + n.lane(0);
    }

    private static volatile float SINK;

    /**
     * {@link #exp} for any argument (log-softmax's backward takes e^y of whatever the caller
     * passes): x + ∞ where x is not below {@link FloatExp#OVERFLOW_ARG}, so +∞ where the scale by
     * 2^n would leave the exponent's range, and NaN for any NaN ({@link FloatExp#expAny}).
     */
    static FloatVector expAny(FloatVector x) {
        return x.add(Float.POSITIVE_INFINITY).blend(exp(x), x.compare(VectorOperators.LT, FloatExp.OVERFLOW_ARG));
    }

    static FloatVector exp(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, MIN_ARG);
        FloatVector t = x.fma(LOG2E, MAGIC);
        FloatVector p = poly(x, t);
        FloatVector e = scale(p, t);
        if (!tiny.anyTrue()) {
            return e;   // NaN in gives NaN out
        }
        return e.blend(subnormal(x, t, p), tiny);
    }

    /**
     * {@link #exp} for arguments in [{@value #MIN_ARG}, 88.7] (normal results), the same bits,
     * without the test for smaller ones (a compare and a branch per vector, a fifth of the cost):
     * callers that cannot rule them out beforehand check {@link #tinyKey} afterwards.
     */
    static FloatVector expNormal(FloatVector x) {
        FloatVector t = x.fma(LOG2E, MAGIC);
        return scale(poly(x, t), t);
    }

    /**
     * A key whose signed-int lane maximum tells whether some x ≤ 0 lies below {@value #MIN_ARG}:
     * {@code tinyKey(x).reduceLanes(MAX) > TINY_KEY}. For x ≤ 0 the float bits with the sign bit
     * flipped grow with |x| (and NaN sorts above them), so the test is one xor and one max per
     * vector, with no mask registers.
     */
    static IntVector tinyKey(FloatVector x) {
        return ((IntVector) x.reinterpretAsInts()).lanewise(VectorOperators.XOR, Integer.MIN_VALUE);
    }

    /** The largest {@link #tinyKey} lane of arguments that {@link #expNormal} takes. */
    static final int TINY_KEY = Float.floatToRawIntBits(MIN_ARG) ^ Integer.MIN_VALUE;

    /**
     * e^r for the reduced argument of x (t = x·log2 e + 1.5·2^23 holds n): 1 + r·(1 + r·s(r)) with
     * s = (C2 + C3·r) + r²·(C4 + C5·r + C6·r²), the two halves independent (the loops that call it
     * are bound by the multiply-add units and by latency more than by anything else), and the last
     * two steps multiply-adds onto 1, as in Horner's form, which keeps the error within 1 ulp (one
     * addition of 1 to r + r²·s instead came to 1.005 ulp).
     */
    private static FloatVector poly(FloatVector x, FloatVector t) {
        FloatVector n = t.sub(MAGIC);
        FloatVector r = n.fma(c(-LN2_HI), x);
        r = n.fma(c(-LN2_LO), r);
        FloatVector r2 = r.mul(r);
        FloatVector a0 = r.fma(C3, C2);
        FloatVector a1 = r.fma(C5, C4);
        FloatVector b = r2.fma(c(C6), a1);
        FloatVector s = b.fma(r2, a0);
        FloatVector one = c(1f);
        FloatVector q = s.fma(r, one);
        return q.fma(r, one);
    }

    /**
     * p·2^n for normal results: t's bits are those of 1.5·2^23 + n; shifted left by 23 they are
     * n·2^23 (the rest falls off the top), and adding that to p's bits multiplies p (in [0.7, 1.5))
     * by 2^n exactly.
     */
    private static FloatVector scale(FloatVector p, FloatVector t) {
        IntVector n23 = ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, 23);
        return (FloatVector) ((IntVector) p.reinterpretAsInts()).add(n23).reinterpretAsFloats();
    }

    /** p·2^n for n < −126: (p·2^(n+126))·2^−126, one rounding, and 0 below 2^−150. */
    private static FloatVector subnormal(FloatVector x, FloatVector t, FloatVector p) {
        IntVector bits = ((IntVector) t.reinterpretAsInts()).add(BIAS_253).lanewise(VectorOperators.LSHL, 23);
        FloatVector e = p.mul((FloatVector) bits.reinterpretAsFloats()).mul(TWO_M126);
        return e.blend(0f, x.compare(VectorOperators.LT, ZERO_ARG));
    }

    /**
     * tanh(u) for float lanes (the soft-cap's z = c·tanh(x/(T·c))): for |u| < {@value FloatExp#TANH_SERIES}
     * the odd Taylor series to u^17 (truncation below 5e-9 relative there), else 1 − 2/(e^(2|u|) + 1)
     * on {@link #exp}, |u| clamped to {@value FloatExp#TANH_ONE}; the sign put back from u. The default NaN gives NaN,
     * ±∞ gives ±1. Within 2 ulp of the correctly rounded tanh ({@code VectorTanhTest}); its constants
     * and a scalar twin with the same bits are {@link FloatExp#tanh}'s.
     */
    static FloatVector tanh(FloatVector u) {
        FloatVector a = u.abs();
        FloatVector a2 = a.mul(a);
        FloatVector p = a2.fma(c(T17), c(T15));
        p = p.fma(a2, c(T13));
        p = p.fma(a2, c(T11));
        p = p.fma(a2, c(T9));
        p = p.fma(a2, c(T7));
        p = p.fma(a2, c(T5));
        p = p.fma(a2, c(T3));
        FloatVector series = a.mul(a2).fma(p, a);
        VectorMask<Float> small = a.compare(VectorOperators.LT, TANH_SERIES);
        FloatVector t = series;
        if (!small.allTrue()) {   // the exponential form only where some lane needs it
            FloatVector e2 = exp(a.min(TANH_ONE).mul(2f));
            t = c(1f).sub(c(2f).div(e2.add(1f))).blend(series, small);
        }
        IntVector sign = ((IntVector) u.reinterpretAsInts()).and(Integer.MIN_VALUE);
        return (FloatVector) ((IntVector) t.reinterpretAsInts()).or(sign).reinterpretAsFloats();
    }

    /** The same computation for one float (for row tails), bit-identical to a lane of {@link #exp}: {@link FloatExp#exp}. */
    static float exp(float x) {
        return FloatExp.exp(x);
    }
}
