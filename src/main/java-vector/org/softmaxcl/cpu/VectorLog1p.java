package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.VectorExp.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * log1p(u) for float lanes with u ≥ 0 (the d − 1 of a softmax row), from +, ×, ÷, fma and integer
 * bit operations only, so the bits do not depend on the JIT tier (see {@link VectorExp}).
 *
 * <p>w = 1 + u rounded, with the rounding's loss c = (u − (w − 1)) / w put back at the end;
 * w = 2^e · f with f in [√½, √2); log f = 2·atanh(s), s = (f − 1)/(f + 1), |s| ≤ 0.1716, by its
 * odd series to s^11 (truncation below 1e-9 relative), summed in fdlibm's order so the leading r
 * stays exact. u below 2^−24 gives u itself.
 */
final class VectorLog1p {
    private static final IntVector V_MANT = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 0x007FFFFF);
    private static final IntVector V_ONE_BITS = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 0x3F800000);
    private static final IntVector V_127 = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 127);
    private static final IntVector V_SQRT2_BITS = IntVector.broadcast(IntVector.SPECIES_PREFERRED, Float.floatToRawIntBits(1.41421356f));
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    private static final FloatVector V_ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector V_LN2_HI = FloatVector.broadcast(S, LN2_HI);
    private static final FloatVector V_TWO = FloatVector.broadcast(S, 2f);
    private static final FloatVector C3 = FloatVector.broadcast(S, 2f / 3);
    private static final FloatVector C5 = FloatVector.broadcast(S, 2f / 5);
    private static final FloatVector C7 = FloatVector.broadcast(S, 2f / 7);
    private static final FloatVector C9 = FloatVector.broadcast(S, 2f / 9);
    private static final FloatVector C11 = FloatVector.broadcast(S, 2f / 11);

    private VectorLog1p() {
    }

    static FloatVector log1p(FloatVector u) {
        FloatVector w = u.add(V_ONE);
        FloatVector c = u.sub(w.sub(V_ONE)).div(w);
        IntVector bits = (IntVector) w.reinterpretAsInts();
        IntVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(V_127);
        IntVector fb = bits.and(V_MANT).or(V_ONE_BITS);
        // f > √2 (positive floats order as their bits): −1 there, else 0; then f/2 and e + 1 there,
        // exactly, in integer lanes (no mask registers, no int-to-float conversion instruction).
        IntVector big = V_SQRT2_BITS.sub(fb).lanewise(VectorOperators.ASHR, 31);
        FloatVector f = (FloatVector) fb.add(big.lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
        FloatVector ef = LaneTile.toFloat(e.sub(big));
        FloatVector r = f.sub(V_ONE);
        FloatVector s = r.div(r.add(V_TWO));
        FloatVector s2 = s.mul(s);
        FloatVector p = s2.fma(C11, C9);
        p = p.fma(s2, C7);
        p = p.fma(s2, C5);
        p = p.fma(s2, C3);
        // fdlibm's form: log(1+r) = r − (r²/2 − s·(r²/2 + R)), R = s²·p, which keeps the leading r exact.
        FloatVector hfsq = r.mul(r).mul(0.5f);
        FloatVector logf = r.sub(hfsq.sub(s.mul(hfsq.add(s2.mul(p)))));
        return ef.fma(V_LN2_HI, logf.add(c).add(ef.mul(LN2_LO)));
    }
}
