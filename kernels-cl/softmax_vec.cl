// softmax_vec.cl - row-wise softmax / log-softmax forward and backward with a work-item per row and
// the row in vector registers (variant V0v: CPU devices such as PoCL, where barriers are expensive
// and explicit vectors map straight onto SIMD). Same formulas as softmax.cl; the host picks the
// file by layout (see KernelLayout).
//
// Build macros: LOG, ROW_TEMP (softmax_common.cl), VECW (vec.cl), and RPW: rows per work-item
// (default 1), walked one after another; with RPW > 1 every row's pass 1 but a work-item's first
// runs inside the previous row's pass 2, as in xent_vec.cl (same bits).
//
// softmax_fwd_vec, per row, z = x*(1/T):
//   pass 1  m = max z (fmax over vectors) and the row's flags (NaN / +inf seen, some value > -inf)
//   pass 2  e = exp(z - m), stored into the output row (softmax: one exp per element), and
//           d - 1 = sum_{z<m} e + (ties - 1) in Kahan-compensated lanes
//   pass 3  out = e / d from the stored e,   or  (z - m) - log1p(d - 1)
// softmax_bwd_vec, per row: dx = y .* (g - <g, y>)  (LOG = 0)  or  dx = g - exp(y) * sum g  (LOG = 1)
// Outputs may alias inputs element for element (in place): pass 2 reads x_j before writing out_j,
// and pass 3 reads only what pass 2 wrote (softmax) or x_j itself (log-softmax).

#include "common.cl"
#include "softmax_common.cl"
#include "vec.cl"

#ifndef RPW
#define RPW 1
#endif
#define PIPE (RPW > 1)

__kernel void softmax_fwd_vec(SOFTMAX_FWD_PARAMS) {
    const int i0 = (int) get_global_id(0) * RPW;
    const int i1 = min(N, i0 + RPW);
    const int kv = K - K % VECW;
    float next_m = 0.0f;    // the next row's max from this row's pass 2 (PIPE), when next_ok
    int next_ok = 0;
    for (int i = i0; i < i1; i++) {
        __global const float *xr = x + (size_t) i * ldx;
        __global float *orow = out + (size_t) i * ldo;
        const float it = ROW_INV_T(i);

        // Pass 1 (or its results from the previous row's pass 2).
        floatv vm = (floatv) (-INFINITY);
        intv vbad = (intv) 0;
        intv valive = (intv) 0;
        for (int j = 0; j < (next_ok ? 0 : kv); j += VECW) {
            floatv xv = VLOAD(0, xr + j);
            floatv zv = xv * it;
            vm = fmax(vm, zv);
            vbad |= isnan(zv) | (xv == (floatv) INFINITY);
            valive |= xv != (floatv) (-INFINITY);
        }
        float m = lane_max(vm);
        int flags = (any(vbad) ? FLAG_BAD : 0) | (any(valive) ? FLAG_ALIVE : 0);
        for (int j = next_ok ? K : kv; j < K; j++) {
            float xj = xr[j];
            float z = xj * it;
            m = fmax(m, z);
            flags |= logit_flags(xj, z);
        }
        if (next_ok) {
            m = next_m;
            flags = FLAG_ALIVE;
        }
        status[i] = logit_status(m, flags, 1);
        m = usable_max(m, flags);

        // Pass 2, and the next row's max and check (PIPE; the last row of a work-item reads itself).
        const int piped = PIPE && i + 1 < i1;
        __global const float *nxr = piped ? xr + ldx : xr;
        const float nit = piped ? ROW_INV_T(i + 1) : it;
        next_max nmx = next_max_zero();
        ksumv vless = ksumv_zero();
        floatv vties = VZERO;
        ksum less = ksum_zero();
        float ties = 0.0f;
        for (int j = 0; j < kv; j += VECW) {
#if PIPE
            next_max_vec(&nmx, VLOAD(0, nxr + j) * nit);
#endif
            floatv zs = VLOAD(0, xr + j) * it - m;
            floatv e = exp(zs);
#if !LOG
            VSTORE(e, 0, orow + j);
#endif
            intv lt = isless(zs, VZERO);
            ksumv_add(&vless, select(VZERO, e, lt));
            vties += select(VONE, VZERO, lt);
        }
#if PIPE
        next_max_lanes(&nmx);
#endif
        for (int j = kv; j < K; j++) {
#if PIPE
            next_max_one(&nmx, nxr[j] * nit);
#endif
            float zs = xr[j] * it - m;
            float e = exp(zs);
#if !LOG
            orow[j] = e;
#endif
            if (zs < 0.0f) {
                ksum_add(&less, e);
            } else {
                ties += 1.0f;
            }
        }
#if PIPE
        next_ok = piped && next_max_finite(nmx);
        next_m = nmx.m;
#endif
        const float dm1 = ksumv_total(vless, less) + ((lane_sum(vties) + ties) - 1.0f);

        // Pass 3.
#if LOG
        const float logd = log1p(dm1);
        for (int j = 0; j < kv; j += VECW) {
            VSTORE((VLOAD(0, xr + j) * it - m) - logd, 0, orow + j);
        }
        for (int j = kv; j < K; j++) {
            orow[j] = (xr[j] * it - m) - logd;
        }
#else
        const float inv_d = 1.0f / (1.0f + dm1);
        for (int j = 0; j < kv; j += VECW) {
            VSTORE(VLOAD(0, orow + j) * inv_d, 0, orow + j);
        }
        for (int j = kv; j < K; j++) {
            orow[j] *= inv_d;
        }
#endif
    }
}

__kernel void softmax_bwd_vec(SOFTMAX_BWD_PARAMS) {
    const int i0 = (int) get_global_id(0) * RPW;
    const int i1 = min(N, i0 + RPW);
    for (int i = i0; i < i1; i++) {
        __global const float *yr = y + (size_t) i * ldy;
        __global const float *gr = g + (size_t) i * ldg;
        __global float *dr = dx + (size_t) i * ldd;
        const int kv = K - K % VECW;
        ksumv vacc = ksumv_zero();
        ksum acc = ksum_zero();
        for (int j = 0; j < kv; j += VECW) {
#if LOG
            ksumv_add(&vacc, VLOAD(0, gr + j));
#else
            ksumv_add(&vacc, VLOAD(0, gr + j) * VLOAD(0, yr + j));
#endif
        }
        for (int j = kv; j < K; j++) {
#if LOG
            ksum_add(&acc, gr[j]);
#else
            ksum_add(&acc, gr[j] * yr[j]);
#endif
        }
        const float s = ksumv_total(vacc, acc);
        for (int j = 0; j < kv; j += VECW) {
            floatv gv = VLOAD(0, gr + j);
            floatv yv = VLOAD(0, yr + j);
#if LOG
            VSTORE(gv - exp(yv) * s, 0, dr + j);
#else
            VSTORE(yv * (gv - s), 0, dr + j);
#endif
        }
        for (int j = kv; j < K; j++) {
#if LOG
            dr[j] = gr[j] - exp(yr[j]) * s;
#else
            dr[j] = yr[j] * (gr[j] - s);
#endif
        }
    }
}
