package org.softmaxcl.cpu;

/**
 * exp(x) for one float, built only from +, ×, fma and integer bit operations: the algorithm and
 * constants of the Vector API kernels' {@code VectorExp} (which takes its constants from here),
 * so a float gives the same bits as a lane of it, interpreted or compiled. Used where a row's
 * elements go one at a time: the vector kernels' row tails and {@link Float32Kernels}.
 *
 * <p>Range reduction x = n·ln2 + r with |r| ≤ ln2/2 (n = round(x·log2 e) by the 1.5·2^23 trick,
 * ln2 split in two parts, fma), then e^r by a degree-6 minimax polynomial (3.1e-9 relative), then
 * the scale 2^n added into the exponent bits of e^r (exact). Below 1 ulp of the correctly rounded
 * exp ({@code VectorExpTest}). Arguments below {@value #MIN_ARG} scale in two steps so that they
 * come out as the subnormals they are; below 2^−150 the result is 0; −∞ gives 0, the default NaN
 * gives NaN (a NaN with low payload bits may not: {@link #expAny} takes any argument).
 * Arguments must be ≤ 88.7 (softmax passes z − max ≤ 0): there is no upper clamp.
 */
final class FloatExp {
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693145751953125f;
    static final float LN2_LO = 1.42860682030941723212e-6f;
    /** 1.5·2^23: x·log2 e + MAGIC holds round(x·log2 e) in its low mantissa bits. */
    static final float MAGIC = 12582912f;
    /**
     * Below this the result may be subnormal (ln 2^−126 = −87.34, and e^r may be below 1 near it),
     * where adding n to the exponent bits is wrong: such arguments scale in two steps.
     */
    static final float MIN_ARG = -87f;
    /**
     * The smallest float whose exp rounds to +∞ (e^88.72283 is the largest finite one): from it
     * on, the scale by 2^n would leave the exponent's range, so {@link #expAny} gives +∞ there.
     */
    static final float OVERFLOW_ARG = 88.72284f;
    /** ln(2^−150): below this exp rounds to 0. */
    static final float ZERO_ARG = -103.972084f;
    static final float TWO_M126 = 0x1.0p-126f;
    /**
     * e^r ≈ 1 + r + r²·(C2 + C3·r + C4·r² + C5·r³ + C6·r⁴) on |r| ≤ ln2/2: the degree-4 polynomial
     * closest to (e^r − 1 − r)/r² in relative error of e^r (weighted minimax, fitted by Lawson's
     * iteration in float64, coefficients rounded to float): 3.1e-9 relative, against 5.3e-9 for the
     * degree-7 Taylor polynomial, with two multiply-adds fewer.
     */
    static final float C2 = 0.49999994f, C3 = 0.16666521f, C4 = 0.04166839f, C5 = 0.008368717f, C6 = 0.0013814599f;
    /** 127 + 126: the exponent bias of 2^(n+126) in the two-step scale. */
    static final int BIAS_253 = 127 + 126;

    /** Below this |u|, {@link #tanh} sums its odd series; from it on, 1 − 2/(e^(2|u|) + 1). */
    static final float TANH_SERIES = 0.5f;
    /** tanh(u) rounds to ±1 in float beyond this |u| (1 − tanh(10) = 4.1e-9, below half the float spacing under 1). */
    static final float TANH_ONE = 10f;
    /** The odd series of tanh after u: u³·(T3 + u²·(T5 + ...)), Taylor's coefficients to u^17. */
    static final float T3 = -1f / 3, T5 = 2f / 15, T7 = -17f / 315, T9 = 62f / 2835, T11 = -1382f / 155925,
            T13 = 21844f / 6081075, T15 = -929569f / 638512875, T17 = 6404582f / 10854718875f;

    private FloatExp() {
    }

    /**
     * tanh(u) for one float, bit-identical to a lane of {@code VectorExp.tanh} (the soft-cap's
     * z = c·tanh(x/(T·c))): {@link #tanhSeries} for |u| &lt; {@value #TANH_SERIES}, else
     * {@link #tanhLarge}. The default NaN gives NaN, ±∞ gives ±1.
     */
    static float tanh(float u) {
        return Math.abs(u) < TANH_SERIES ? tanhSeries(u) : tanhLarge(u);
    }

    /**
     * tanh(u) for |u| &lt; {@value #TANH_SERIES}: |u| + |u|³·(T3 + u²·(T5 + …)), the odd Taylor
     * series to u^17 (truncation below 5e-9 relative), times ±1 for u's sign, where the ±1 is
     * u·2^200 clamped to [−1, 1] (−0 for −0, so tanh(−0) = −0): the bits of a lane that puts the
     * sign bit back, in floating-point operations only, which C2 vectorizes in a loop of its own
     * (a sign moved as bits kept such a loop scalar: 1.5 against 0.2 ns per element).
     */
    static float tanhSeries(float u) {
        float a = Math.abs(u);
        float a2 = a * a;
        float p = Math.fma(a2, T17, T15);
        p = Math.fma(p, a2, T13);
        p = Math.fma(p, a2, T11);
        p = Math.fma(p, a2, T9);
        p = Math.fma(p, a2, T7);
        p = Math.fma(p, a2, T5);
        p = Math.fma(p, a2, T3);
        float sign = Math.max(-1f, Math.min(1f, u * 0x1p100f * 0x1p100f));
        return Math.fma(a * a2, p, a) * sign;
    }

    /**
     * tanh(u) for |u| ≥ {@value #TANH_SERIES} (and NaN): 1 − 2/(e^(2|u|) + 1) on {@link #exp}, |u|
     * clamped to {@value #TANH_ONE}, with u's sign.
     */
    static float tanhLarge(float u) {
        float t = 1f - 2f / (exp(Math.min(Math.abs(u), TANH_ONE) * 2f) + 1f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(t) | (Float.floatToRawIntBits(u) & Integer.MIN_VALUE));
    }

    /**
     * e^x for any x (log-softmax's backward takes e^y of whatever the caller passes): {@link #exp},
     * +∞ from {@value #OVERFLOW_ARG} on, where exp's result would be garbage, and NaN for any NaN
     * (exp's scale adds the low bits of a NaN's payload into the exponent: 0x7FC001FF came out as a
     * number). Bit-identical to a lane of {@code VectorExp.expAny}.
     */
    static float expAny(float x) {
        return x < OVERFLOW_ARG ? exp(x) : x + Float.POSITIVE_INFINITY;
    }

    /**
     * {@link #exp}(x) from p = {@link #reduced}(x) already computed (by {@link #reducedRun}): the
     * scale by 2^n, and below {@value #MIN_ARG} exp itself (its two-step scale; rare). The same
     * bits as exp(x) for x ≤ 88.7.
     */
    static float fromReduced(float p, float x) {
        return x < MIN_ARG ? exp(x) : scaled(p, x);
    }

    /** e^x, bit-identical to a lane of {@code VectorExp.exp}. */
    static float exp(float x) {
        if (x < ZERO_ARG) {
            return 0f;
        }
        float p = reduced(x);
        if (x < MIN_ARG) {
            float t = Math.fma(x, LOG2E, MAGIC);
            return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) + BIAS_253) << 23) * TWO_M126;
        }
        return scaled(p, x);
    }

    /** e^r of x's reduced argument r = x − n·ln2 (n = round(x·log2 e)): the polynomial in [0.7, 1.5). */
    static float reduced(float x) {
        float t = Math.fma(x, LOG2E, MAGIC);
        float n = t - MAGIC;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float r2 = r * r;
        float a0 = Math.fma(r, C3, C2);
        float a1 = Math.fma(r, C5, C4);
        float b = Math.fma(r2, C6, a1);
        float s = Math.fma(b, r2, a0);
        float q = Math.fma(s, r, 1f);
        return Math.fma(q, r, 1f);
    }

    /**
     * e^x from p = {@link #reduced}(x) for x in [{@value #MIN_ARG}, 88.7]: p·2^n, n added into p's
     * exponent bits (exact for normal results).
     */
    static float scaled(float p, float x) {
        float t = Math.fma(x, LOG2E, MAGIC);
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (Float.floatToRawIntBits(t) << 23));
    }

    /**
     * For i &lt; n, in place: zs[i] = zs[i]·invT − m (zs holds logits on entry) and p[i] =
     * {@link #reduced}(zs[i]). Floating-point operations on arrays indexed from 0 only, so that C2
     * compiles the loop into vector instructions without the Vector API; {@link #scaled} finishes
     * each element. Two things keep JDK 17 from vectorizing such a loop, each measured (a scalar
     * 2.0–2.7 ns per element against 0.22–0.44, `bench/RESULTS.md`): the scale by 2^n (float-to-int bit moves are not
     * vectorized), and arrays indexed with different offsets (a row at {@code xo + i} beside
     * scratch at {@code i}), which is why the caller copies the logits into zs first.
     */
    static void reducedRun(float[] zs, int n, float invT, float m, float[] p) {
        for (int i = 0; i < n; i++) {
            float z = zs[i] * invT - m;
            zs[i] = z;
            p[i] = reduced(z);
        }
    }
}
