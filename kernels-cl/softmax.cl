// softmax.cl - row-wise softmax / log-softmax forward and their backward (vector-Jacobian) passes.
//
// Build macros: LOG, ROW_TEMP (softmax_common.cl),
// WG_PER_ROW, WGS, QUADS and RPG (see common.cl; the backward pass runs V2 as V1), ONE_PASS (0/1:
// passes 1 and 2 of the forward pass as one, online; see online_add in common.cl), ROW_CACHE with
// LEAN (V2, one row per group: the forward keeps each work-item's ROW_CACHE quads in registers,
// read once, and runs the lean form of common.cl: z and then exp(z - m) in registers, fmax with no
// per-element flags, pairwise sums per work-item; opt-in, softmaxcl.opencl.softmaxCache=true;
// rounds differently from the other forms), FIXED_K (common.cl).
//
// softmax_fwd, per row of K logits x (NxK, row stride ldx), z = x*(1/T):
//   pass 1  m = max z (and a NaN flag)
//   pass 2  d - 1 = sum_{z<m} exp(z - m) + (ties - 1)        (kept apart from the max's own 1;
//           ONE_PASS: gathered in pass 1 with the max, online)
//   pass 3  out = exp(z - m) / d,   or  (z - m) - log1p(d - 1)
// softmax_bwd, per row: dx = y .* (g - <g, y>)  (LOG = 0, y = softmax)
//                       dx = g - exp(y) * sum g   (LOG = 1, y = log-softmax)
// Outputs may alias inputs element for element (in place): no restrict on them.

#include "common.cl"
#include "softmax_common.cl"

#ifndef ROW_CACHE
#define ROW_CACHE 0
#endif
#ifndef LEAN
#define LEAN 0
#endif
#define SOFTMAX_LEAN (WG_PER_ROW && QUADS && RPG == 1 && ROW_CACHE > 0 && LEAN)

__kernel void softmax_fwd(SOFTMAX_FWD_PARAMS) {
    LOCAL_SCRATCH
    ROWS_BEGIN(i)
    __global const float *xr = x + (size_t) i * ldx;
    __global float *orow = out + (size_t) i * ldo;
    const float it = ROW_INV_T(i);

#if SOFTMAX_LEAN
    // The row in registers (read before any write: out may alias x), its max, then d - 1.
    float v[4 * ROW_CACHE];
    LOAD_CACHED_ROW(xr, v)
    float m = -INFINITY;
    int flags = 0;
    LEAN_MAX(v, it, m)
    group_max_or(&m, &flags, red_f, red_i);
    float less_sum;
    float ties = 0.0f;
    LEAN_SUMS(v, m, less_sum, ties, !LOG)
    group_sum2(&less_sum, &ties, red_f, red_g);
    float dm1 = less_sum + (ties - 1.0f);
    if (LID == 0) {
        status[i] = lean_status(m, dm1, 1);
    }
    LEAN_UNUSABLE(m, dm1)
#if LOG
    const float logd = log1p(dm1);
#else
    const float inv_d = 1.0f / (1.0f + dm1);
#endif
    CACHED_QUADS(j) {
        float o[4];
        QUAD_LANES(j) {
#if LOG
            o[j_l] = (v[4 * j_c + j_l] - m) - logd;
#else
            o[j_l] = v[4 * j_c + j_l] * inv_d;
#endif
        } }
        store_quad(orow, j_q, K, o);
    } }
#else
    float m = -INFINITY;
    int flags = 0;
#if ONE_PASS
    ksum less = ksum_zero();
    float ties = 0.0f;
#endif
    QUAD_LOOP(j, xr) {
        float xj = QVAL(j, xr);
        float z = xj * it;
#if ONE_PASS
        online_add(&m, &less, &ties, z);
#else
        if (z > m) {
            m = z;
        }
#endif
        flags |= logit_flags(xj, z);
    } QUAD_END
#if ONE_PASS
    float less_sum = ksum_value(less);
    group_online(&m, &less_sum, &ties, &flags, red_f, red_g, red_h, red_i);
#else
    group_max_or(&m, &flags, red_f, red_i);
#endif
    if (LID == 0) {
        status[i] = logit_status(m, flags, 1);
    }
    m = usable_max(m, flags);

#if !ONE_PASS
    ksum less = ksum_zero();
    float ties = 0.0f;
    QUAD_LOOP(j, xr) {
        float z = QVAL(j, xr) * it;
        if (z < m) {
            ksum_add(&less, exp(z - m));
        } else {
            ties += 1.0f;
        }
    } QUAD_END
    float less_sum = ksum_value(less);
    group_sum2(&less_sum, &ties, red_f, red_g);
#endif
    float dm1 = less_sum + (ties - 1.0f);
#if LOG
    const float logd = log1p(dm1);
#else
    const float inv_d = 1.0f / (1.0f + dm1);
#endif
    QUAD_LOOP(j, xr) {
        float z = QVAL(j, xr) * it;
#if LOG
        QSET(j, orow, (z - m) - logd);
#else
        QSET(j, orow, exp(z - m) * inv_d);
#endif
    } QUAD_END_STORE(j, orow)
#endif
    ROWS_END
}

__kernel void softmax_bwd(SOFTMAX_BWD_PARAMS) {
    LOCAL_SCRATCH
    ROWS_BEGIN(i)
    __global const float *yr = y + (size_t) i * ldy;
    __global const float *gr = g + (size_t) i * ldg;
    __global float *dr = dx + (size_t) i * ldd;
    ksum acc = ksum_zero();
    COL_LOOP(j) {
#if LOG
        ksum_add(&acc, gr[j]);
#else
        ksum_add(&acc, gr[j] * yr[j]);
#endif
    } COL_LOOP_END
    const float s = group_sum(ksum_value(acc), red_f);
    COL_LOOP(j) {
#if LOG
        dr[j] = gr[j] - exp(yr[j]) * s;
#else
        dr[j] = yr[j] * (gr[j] - s);
#endif
    } COL_LOOP_END
    ROWS_END
}
