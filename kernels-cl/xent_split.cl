// xent_split.cl - fused cross-entropy for few rows of huge K (variant V3): each row is split into
// SPLIT chunks, one work-group of WGS work-items per chunk, and two kernels run back to back (no
// spin locks: OpenCL gives no forward-progress guarantee across work-groups).
//
//   xent_split_partial  per (row, chunk): the chunk's max m_c and its flags, d_c - 1 relative to
//                       m_c, the weighted sums relative to m_c, the first argmax, and the values
//                       later groups may no longer read from x (z at the target, at the soft
//                       target's largest value) -> partials[(row * SPLIT + chunk) * PFIELDS + f]
//   xent_split_finish   per (row, chunk): merges the row's SPLIT partials with the online rule
//                       (M = max m_c; d = sum_c d_c e^(m_c - M); sums shift by (M - m_c)), finishes
//                       the row like xent.cl (chunk 0 writes the row outputs) and writes the
//                       gradient of its own chunk.
//
// Build macros: the feature macros of xent_common.cl, WGS (work-items per chunk, a power of two)
// and SPLIT (chunks per row). WG_PER_ROW is forced to 1 for the group reductions.

#ifndef SPLIT
#define SPLIT 8
#endif
#undef WG_PER_ROW
#define WG_PER_ROW 1
#include "xent_common.cl"

#define PFIELDS 12
#define P_M 0
#define P_DM1 1
#define P_SA 2
#define P_TA 3
#define P_SE 4
#define P_FLAGS 5
#define P_ARGMAX 6
#define P_ZT 7
#define P_YMAX 8
#define P_TY 9
#define P_ZTY 10
#define P_XMAX 11

// The columns of a chunk: [c0, c1).
#define CHUNK_BOUNDS \
    const int row = (int) get_group_id(0) / SPLIT; \
    const int chunk = (int) get_group_id(0) % SPLIT; \
    const int width = (K + SPLIT - 1) / SPLIT; \
    const int c0 = min(K, chunk * width); \
    const int c1 = min(K, c0 + width);

// a_j, the coefficient of -log p_j (its smoothing part for hard targets).
#if SOFT
#define A_OF(j) (WEIGHT(j) * ((1.0f - eps) * yr[j] + smooth))
#else
#define A_OF(j) WEIGHT(j)
#endif

// Every work-item runs the same number of iterations (see COL_LOOP in common.cl).
#define CHUNK_LOOP(j) for (int j##_base = c0; j##_base < c1; j##_base += LSZ) { const int j = j##_base + LID; if (j < c1)

// One soft target y_j of a chunk: flags a negative or non-finite one, and keeps the largest
// (first index on ties) for the statistics.
inline void scan_soft_target(float yj, int j, int *ybad, float *ymax, int *ty) {
    if (!(yj >= 0.0f) || isinf(yj)) {
        *ybad = 1;
    }
    if (yj > *ymax) {
        *ymax = yj;
        *ty = j;
    }
}

__kernel void xent_split_partial(XENT_INPUT_PARAMS,
                                 __global float *partials,
                                 const float inv_t, const float softcap, const float eps, const float smooth,
                                 const int ignore_index) {
    LOCAL_SCRATCH
    CHUNK_BOUNDS
    if (row >= N) {
        return;
    }
    XENT_ROW_SETUP(row)

    float m = -INFINITY;
    int jz = K;
    float xm = -INFINITY;   // statistics follow the raw logits
    int jm = K;
    int flags = 0;
    CHUNK_LOOP(j) {
        float xj = xr[j];
        float z = scaled(xj, it, c, inv_c);
        if (z > m) {
            m = z;
            jz = j;
        }
        if (xj > xm) {
            xm = xj;
            jm = j;
        }
        flags |= logit_flags(xj, z);
    } COL_LOOP_END
    group_maxarg(&m, &jz, red_f, red_i);
    group_maxarg(&xm, &jm, red_f, red_i);
    flags = group_or(flags, red_i);
    // An empty or all -inf chunk has m = -inf: it contributes nothing below.
    const float mc = (flags & FLAG_BAD) ? NAN : m;

    ksum less = ksum_zero();
    float ties = 0.0f;
    ksum sum_a = ksum_zero();
    ksum total_a = ksum_zero();
    ksum sum_e = ksum_zero();
#if SOFT
    int ybad = 0;
    float ymax = -INFINITY;
    int ty = K;
#endif
    if (mc > -INFINITY) {
        CHUNK_LOOP(j) {
            float z = scaled(xr[j], it, c, inv_c);
            float e = exp(z - mc);
            if (z < mc) {
                ksum_add(&less, e);
            } else {
                ties += 1.0f;
            }
#if SOFT
            scan_soft_target(yr[j], j, &ybad, &ymax, &ty);
#endif
            float a = A_OF(j);
            if (a != 0.0f) {
                ksum_add(&sum_a, a * (mc - z));
            }
            ksum_add(&total_a, a);
            if (e != 0.0f) {
                ksum_add(&sum_e, e * (mc - z));
            }
        } COL_LOOP_END
    } else {
        // An empty or all -inf chunk: no exponentials; a nonzero coefficient on a -inf logit makes
        // the loss infinite.
        CHUNK_LOOP(j) {
#if SOFT
            scan_soft_target(yr[j], j, &ybad, &ymax, &ty);
#endif
            float a = A_OF(j);
            ksum_add(&total_a, a);
            if (a != 0.0f) {
                ksum_add(&sum_a, INFINITY);
            }
        } COL_LOOP_END
    }
    const float dm1 = group_sum(ksum_value(less), red_f) + (group_sum(ties, red_f) - 1.0f);
    const float sa = group_sum(ksum_value(sum_a), red_f);
    const float ta = group_sum(ksum_value(total_a), red_f);
    const float se = group_sum(ksum_value(sum_e), red_f);
#if SOFT
    if (group_or(ybad, red_i)) {
        flags |= 4;   // a bad soft target, reported as STATUS_BAD_TARGET by the finishing kernel
    }
    group_maxarg(&ymax, &ty, red_f, red_i);
#endif
    if (LID == 0) {
        __global float *p = partials + ((size_t) row * SPLIT + chunk) * PFIELDS;
        p[P_M] = mc;
        p[P_DM1] = dm1;
        p[P_SA] = sa;
        p[P_TA] = ta;
        p[P_SE] = se;
        p[P_FLAGS] = as_float(flags);
        p[P_ARGMAX] = as_float(jm);
        p[P_XMAX] = xm;
        p[P_ZT] = (HARD_COUNTED && t >= c0 && t < c1) ? scaled(xr[t], it, c, inv_c) : 0.0f;
#if SOFT
        p[P_YMAX] = ymax;
        p[P_TY] = as_float(ty);
        p[P_ZTY] = ty < K ? scaled(xr[ty], it, c, inv_c) : 0.0f;
#else
        p[P_YMAX] = 0.0f;
        p[P_TY] = as_float(K);
        p[P_ZTY] = 0.0f;
#endif
    }
}

__kernel void xent_split_finish(XENT_INPUT_PARAMS, XENT_OUTPUT_PARAMS, __global const float *partials, XENT_SCALAR_PARAMS) {
    CHUNK_BOUNDS
    if (row >= N) {
        return;
    }
    XENT_ROW_SETUP(row)

    // Merge the row's partials in chunk order (every work-item does it: SPLIT is small).
    __global const float *p = partials + (size_t) row * SPLIT * PFIELDS;
    float mm = -INFINITY;
    int flags = 0;
    int cstar = 0;
    for (int q = 0; q < SPLIT; q++) {
        float mq = p[q * PFIELDS + P_M];
        int fq = as_int(p[q * PFIELDS + P_FLAGS]);
        flags |= fq;
        if (mq > mm) {
            mm = mq;
            cstar = q;
        }
    }
    int status = logit_status(mm, flags & (FLAG_BAD | FLAG_ALIVE), counted) | ((flags & 4) ? STATUS_BAD_TARGET : 0);
    const float m = usable_max(mm, flags & (FLAG_BAD | FLAG_ALIVE));
    ksum dsum = ksum_zero();
    ksum sa = ksum_zero();
    ksum ta = ksum_zero();
    ksum se = ksum_zero();
    float zt = 0.0f;
    float ymax = -INFINITY;
    int ty = K;
    float zty = 0.0f;
    for (int q = 0; q < SPLIT; q++) {
        __global const float *pq = p + q * PFIELDS;
        float mq = pq[P_M];
        float dq = pq[P_DM1];
        float shift = m - mq;                          // >= 0
        float scale = mq > -INFINITY ? exp(-shift) : 0.0f;
        if (q == cstar) {
            ksum_add(&dsum, dq);                      // the max's own 1 stays out: d - 1
        } else if (mq > -INFINITY) {
            ksum_add(&dsum, (1.0f + dq) * scale);
        }
        float taq = pq[P_TA];
        ksum_add(&ta, taq);
        if (mq > -INFINITY) {
            ksum_add(&sa, pq[P_SA] + (taq != 0.0f ? taq * shift : 0.0f));
            ksum_add(&se, scale * (pq[P_SE] + (1.0f + dq) * shift));
        } else if (pq[P_SA] != 0.0f) {
            ksum_add(&sa, pq[P_SA]);
        }
        if (HARD_COUNTED && t >= min(K, q * ((K + SPLIT - 1) / SPLIT))
                && t < min(K, (q + 1) * ((K + SPLIT - 1) / SPLIT))) {
            zt = pq[P_ZT];
        }
        if (pq[P_YMAX] > ymax) {
            ymax = pq[P_YMAX];
            ty = as_int(pq[P_TY]);
            zty = pq[P_ZTY];
        }
    }
    // The first chunk holding the largest raw logit gives the argmax.
    float xbest = -INFINITY;
    int jm = K;
    for (int q = 0; q < SPLIT; q++) {
        if (p[q * PFIELDS + P_XMAX] > xbest) {
            xbest = p[q * PFIELDS + P_XMAX];
            jm = as_int(p[q * PFIELDS + P_ARGMAX]);
        }
    }
    if (jm >= K) {
        jm = 0;
    }
    const float dm1 = ksum_value(dsum);
#if SOFT || SMOOTH
    const row_result rr = row_finish(m, dm1, ksum_value(sa), ksum_value(ta), zt, counted, eps, smooth, w_sum,
                                     HARD_COUNTED ? WEIGHT(t) : 0.0f);
#else
    const row_result rr = row_finish(m, dm1, 0.0f, 0.0f, zt, counted, eps, smooth, w_sum, HARD_COUNTED ? WEIGHT(t) : 0.0f);
#endif

    if (chunk == 0 && LID == 0) {
#if STATS
        const float ent = ksum_value(se) * rr.inv_d + rr.logd;
#if SOFT
        const int tcol = ty < K ? ty : 0;
        const float p_t = exp((zty - m) - rr.logd);
#else
        const int tcol = t;
        const float p_t = exp(-rr.nlp_t);
#endif
        // The CPU kernels' argmax, the first column above every one before it, is column 0 when
        // that holds a NaN, which nothing is above. Read here, by the work-item that writes
        // column 0's gradient below (in place, g is x).
        if (isnan(xr[0])) {
            jm = 0;
            xbest = xr[0];
        }
        write_rowout(rowout, N, row, rr, status, xbest, jm, p_t, ent, tcol, counted);
#else
        write_rowout(rowout, N, row, rr, status, 0.0f, 0, 0.0f, 0.0f, -1, counted);
#endif
    }

#if GRAD
    __global float *gr = g + (size_t) row * ldg;
    if (!counted) {
        CHUNK_LOOP(j) {
            gr[j] = 0.0f;
        } COL_LOOP_END
        return;
    }
    const float r = ROW_GRAD_SCALE(row);
    const grad_coefs gc = grad_constants(rr, r, ce_scale, z_scale2);
    CHUNK_LOOP(j) {
        gr[j] = grad_element(xr[j], j, it, c, inv_c, m, rr, gc, t, Y_AT(j), eps, smooth, w_sum, WEIGHT(j));
    } COL_LOOP_END
#endif
}
