// xent.cl - fused cross-entropy forward + backward: per row, the loss parts and (optionally) the
// gradient with respect to the logits, in one kernel.
//
// Build macros: the feature macros of xent_common.cl; WG_PER_ROW, WGS and QUADS choose the work
// layout (see common.cl): V0 a work-item per row (scalar loop), V1 a work-group per row, V2 the
// same in quads of floats. ONE_PASS (0/1) folds pass 2 into pass 1 where the options allow (no
// statistics, no smoothing, hard targets): the max and d - 1 online, each work-item rescaling its
// sum when its max rises, the work-group merging (max, sum, ties) triples. ROW_CACHE (0 = off)
// keeps the row in registers: V1 keeps each work-item's columns in ROW_CACHE private floats after
// pass 1 (opt-in, softmaxcl.opencl.rowCache=true; on an H100 no faster at K = 1000, slower at
// K = 4096); V2 loads each work-item's ROW_CACHE quads once, before pass 1, and keeps exp(z - m)
// from pass 2 for the gradient (on by default on GPUs: an H200, kernel alone, +12-17% at K = 1024-8192).
// The host sets it only when the row fits (KernelLayout.rowCache) and the device runs the cached
// kernel with the layout's work-group (XentLauncher.fitRowCache). RPG > 1 (V1, V2) walks RPG
// consecutive rows per work-group (common.cl's ROWS_BEGIN); V2 with its row in registers then loads
// the next row's quads while it reduces the current one. Same arithmetic per row, so the same bits.
//
// Per row i (z the scaled logits, a_j the target coefficients, A = sum a_j):
//   pass 1  m = max z
//   pass 2  d - 1 = sum_{z<m} exp(z - m) + (ties - 1);  S = sum a_j (m - z_j)  (smoothing / soft)
//           (ONE_PASS: d - 1 gathered in pass 1, online; no pass 2)
//   loss    hard:  (1-eps) w_t ((m - z_t) + log d) + (eps/K)(sum w_j (m - z_j) + W log d)
//           soft:  S + A log d
//   pass 3  dz_j = r (ceScale (A p_j - a_j) + zScale2 * lse * p_j),  dx_j = dz_j * dz/dx
//           with the target entry's p_t - 1 formed as expm1(-loss_t), never as a difference.
// Row outputs (rowout, FIELDS x N, struct of arrays): 0 ce, 1 lse, 2 status (int bits), and with
// STATS: 3 max logit, 4 argmax (int bits), 5 p of the target, 6 entropy, 7 hit (int bits).
// The target logit is read before any gradient write, so g may alias x (in place).

#include "xent_common.cl"

#ifndef ONE_PASS
#define ONE_PASS 0
#endif
#ifndef ROW_CACHE
#define ROW_CACHE 0
#endif
// V2 with the row in registers (ROW_CACHE quads per work-item).
#define QUAD_CACHE (WG_PER_ROW && QUADS && ROW_CACHE > 0)
// One pass over the row before the gradient's instead of two: the plain case only (the weighted
// sums of smoothing and soft targets, and the statistics, need the final max); never with the
// row in registers, whose second pass reads no memory.
#define XENT_ONE_PASS (ONE_PASS && !STATS && !NEED_SUM && !QUAD_CACHE)
// The cached row's logits become exp(z - m) in pass 2 and the gradient reads those (not with the
// soft-cap, whose dz/dx needs x).
#define XENT_KEEP_E (QUAD_CACHE && !SOFTCAP)
#ifndef LEAN
#define LEAN 0
#endif
// LEAN (0/1): fewer instructions per element for V2 with its row in registers, hard targets
// without smoothing, soft-cap or statistics (the common case, instruction-bound on GPUs):
//   pass 1  keeps z = x/T in the registers and takes only fmax(m, z): no per-element flags. The
//           row's status comes from its sums instead: a NaN z falls into d - 1 (its z >= m is
//           false), so d - 1 is NaN; +inf makes m = +inf; a row of only -inf leaves m = -inf.
//   pass 2  sums a work-item's terms pairwise (in each quad, then over its quads: at most 32
//           terms, 5 levels, no Kahan steps) before the group's tree, as PyTorch's GPU kernels
//           do with plain sums but in a fixed order; ties are counted apart, as in the other forms.
//   grad    dx_j = e_j * (coef_p / d / T) for every column, one multiply, then the work-item that
//           owns the target column rewrites that one entry from expm1 (target_dz), as the others do.
// Different rounding from the uncached kernels (the last bits of d and of dx), the same NaN rows
// and statuses; deterministic. On wherever V2 keeps its row in registers (KernelLayout.leanMacro).
#define XENT_LEAN (LEAN && XENT_KEEP_E && !NEED_SUM && !STATS)
// The row's loops: ROW_LOOP .. ROW_LOOP_END reads x_j as ROW_READ(j) in pass 1 and ROW_X(j) after
// it; GRAD_LOOP .. GRAD_LOOP_END(j) writes g_j through GRAD_SET(j, v).
#if WG_PER_ROW && ROW_CACHE > 0 && !QUADS
// A loop over this work-item's columns with a compile-time trip count, so the cache indices are
// constants after unrolling and the cache lives in registers.
#define ROW_LOOP(j) for (int j##_c = 0; j##_c < ROW_CACHE; j##_c++) { const int j = j##_c * LSZ + LID; if (j < K)
#define ROW_LOOP_END }
#define ROW_CACHE_DECL float xc_[ROW_CACHE];
#define ROW_READ(j) xr[j]
#define ROW_KEEP(j, v) xc_[j##_c] = (v)
#define ROW_X(j) xc_[j##_c]
#define GRAD_LOOP(j) ROW_LOOP(j)
#define GRAD_SET(j, v) (gr[j] = (v))
#define GRAD_LOOP_END(j) }
#elif QUAD_CACHE
// V2 with the row in registers: each work-item loads its ROW_CACHE quads once, all before pass 1
// (loads issued together: a compile-time trip count), and the later passes read registers. Pass 2
// replaces each cached logit by its exp(z - m) (XENT_KEEP_E), so the gradient's p_j = e_j / d
// takes no second exponential: the same expression on the same operands, so the same bits as
// the uncached V2. Quads past K hold 0 and are skipped, as in QUAD_LOOP.
#define ROW_LOOP(j) CACHED_QUADS(j) QUAD_LANES(j)
#define ROW_LOOP_END } }
#if RPG > 1
// Several rows per group: the row's quads were loaded while the group reduced the previous row
// (xn_, loaded before the row loop for its first row); this row takes them and loads the next
// row's, which stay in flight through this row's passes and barriers.
#define ROW_CACHE_DECL float xc_[4 * ROW_CACHE]; \
    _Pragma("unroll") for (int c_ = 0; c_ < 4 * ROW_CACHE; c_++) { \
        xc_[c_] = xn_[c_]; \
    } \
    if (i + 1 < i_end) { \
        LOAD_CACHED_ROW(xr + ldx, xn_) \
    }
#define ROW_PREFETCH_DECL float xn_[4 * ROW_CACHE]; \
    if (i_0 < i_end) { \
        LOAD_CACHED_ROW(x + (size_t) i_0 * ldx, xn_) \
    }
#else
#define ROW_CACHE_DECL float xc_[4 * ROW_CACHE]; LOAD_CACHED_ROW(xr, xc_)
#endif
#define ROW_READ(j) xc_[4 * j##_c + j##_l]
#define ROW_KEEP(j, v)
#define ROW_X(j) xc_[4 * j##_c + j##_l]
#define GRAD_LOOP(j) CACHED_QUADS(j) float j##_o[4]; QUAD_LANES(j)
#define GRAD_SET(j, v) (j##_o[j##_l] = (v))
#define GRAD_LOOP_END(j) } store_quad(gr, j##_q, K, j##_o); }
#else
#define ROW_LOOP(j) QUAD_LOOP(j, xr)
#define ROW_LOOP_END QUAD_END
#define ROW_CACHE_DECL
#define ROW_READ(j) QVAL(j, xr)
#define ROW_KEEP(j, v)
#define ROW_X(j) QVAL(j, xr)
#define GRAD_LOOP(j) QUAD_LOOP(j, xr)
#define GRAD_SET(j, v) QSET(j, gr, v)
#define GRAD_LOOP_END(j) QUAD_END_STORE(j, gr)
#endif

#ifndef ROW_PREFETCH_DECL
#define ROW_PREFETCH_DECL
#endif

__kernel void xent(XENT_INPUT_PARAMS, XENT_OUTPUT_PARAMS, XENT_SCALAR_PARAMS) {
    LOCAL_SCRATCH
    ROWS_FIRST(i)
    ROW_PREFETCH_DECL
    ROWS_LOOP(i)
    XENT_ROW_SETUP(i)
    ROW_CACHE_DECL

    // Pass 1: the max (ONE_PASS: with d - 1's sums, online).
    float m = -INFINITY;
    int flags = 0;
#if XENT_ONE_PASS
    ksum less = ksum_zero();
    float ties = 0.0f;
#endif
#if STATS
    float xm = -INFINITY;   // statistics follow the raw logits (a saturating soft-cap ties scaled ones)
    int jm = K;
#endif
#if XENT_LEAN
    LEAN_MAX(xc_, it, m)
    group_max_or(&m, &flags, red_f, red_i);
    const int jm = 0;
    // Read before any write of the gradient (g may alias x).
    const float zt = counted ? xr[t] * it : 0.0f;
    // Pass 2: exp(z - m) into the registers, d - 1 as pairwise sums of the terms below m plus ties.
    float less_sum;
    float ties = 0.0f;
    LEAN_SUMS(xc_, m, less_sum, ties, 1)
    group_sum2(&less_sum, &ties, red_f, red_g);
    float dm1 = less_sum + (ties - 1.0f);
    const int status = lean_status(m, dm1, counted);
    LEAN_UNUSABLE(m, dm1)
    const float xmax = 0.0f;
#else
    ROW_LOOP(j) {
        float xj = ROW_READ(j);
        ROW_KEEP(j, xj);
        float z = scaled(xj, it, c, inv_c);
#if XENT_ONE_PASS
        online_add(&m, &less, &ties, z);
#else
        if (z > m) {
            m = z;
        }
#endif
#if STATS
        if (xj > xm) {
            xm = xj;
            jm = j;
        }
#endif
        flags |= logit_flags(xj, z);
    } ROW_LOOP_END
#if XENT_ONE_PASS
    float less_sum = ksum_value(less);
    group_online(&m, &less_sum, &ties, &flags, red_f, red_g, red_h, red_i);
#else
    group_max_or(&m, &flags, red_f, red_i);
#endif
#if STATS
    group_maxarg(&xm, &jm, red_f, red_i);
    // The CPU kernels' and the reference's argmax: the first column above every one before it,
    // which the running max from -inf finds, but for a NaN in column 0, which nothing is above.
    if (jm >= K || isnan(xr[0])) {
        jm = 0;
    }
#else
    const int jm = 0;
#endif
    int status = logit_status(m, flags, counted);
    m = usable_max(m, flags);
    const float xmax = xr[jm];
    // Read before any write of the gradient (g may alias x).
    const float zt = HARD_COUNTED ? scaled(xr[t], it, c, inv_c) : 0.0f;

#if !XENT_ONE_PASS
    // Pass 2: d - 1 and the sums the loss and statistics need.
    ksum less = ksum_zero();
    float ties = 0.0f;
#if NEED_SUM
    ksum sum_a = ksum_zero();
    ksum total_a = ksum_zero();
#endif
#if STATS
    ksum sum_e = ksum_zero();
#endif
#if SOFT
    int ybad = 0;
#if STATS
    float ymax = -INFINITY;
    int ty = K;
#endif
#endif
    ROW_LOOP(j) {
        float z = scaled(ROW_X(j), it, c, inv_c);
        float e = exp(z - m);
#if XENT_KEEP_E
        ROW_X(j) = e;
#endif
        if (z < m) {
            ksum_add(&less, e);
        } else {
            ties += 1.0f;
        }
#if SOFT
        float yj = yr[j];
        if (!(yj >= 0.0f) || isinf(yj)) {
            ybad = 1;
        }
        float a = WEIGHT(j) * ((1.0f - eps) * yj + smooth);
#elif SMOOTH
        float a = WEIGHT(j);
#endif
#if NEED_SUM
        if (a != 0.0f) {
            ksum_add(&sum_a, a * (m - z));
            ksum_add(&total_a, a);
        }
#endif
#if STATS
        if (e != 0.0f) {
            ksum_add(&sum_e, e * (m - z));
        }
#if SOFT
        if (yj > ymax) {
            ymax = yj;
            ty = j;
        }
#endif
#endif
    } ROW_LOOP_END
    float less_sum = ksum_value(less);
    group_sum2(&less_sum, &ties, red_f, red_g);
#endif
    const float dm1 = less_sum + (ties - 1.0f);
#endif
#if NEED_SUM
    float sa = ksum_value(sum_a);
    float ta = ksum_value(total_a);
    group_sum2(&sa, &ta, red_f, red_g);
#endif
#if SOFT
    if (group_or(ybad, red_i)) {
        status |= STATUS_BAD_TARGET;
    }
#endif

#if NEED_SUM
    const row_result rr = row_finish(m, dm1, sa, ta, zt, counted, eps, smooth, w_sum, HARD_COUNTED ? WEIGHT(t) : 0.0f);
#else
    const row_result rr = row_finish(m, dm1, 0.0f, 0.0f, zt, counted, eps, smooth, w_sum, HARD_COUNTED ? WEIGHT(t) : 0.0f);
#endif
    const float logd = rr.logd;
    const float inv_d = rr.inv_d;
    const float nlp_t = rr.nlp_t;

#if STATS
    const float ent = group_sum(ksum_value(sum_e), red_f) * inv_d + logd;
#if SOFT
    group_maxarg(&ymax, &ty, red_f, red_i);
    if (ty >= K) {
        ty = 0;
    }
    const int tcol = ty;
    const float z_tcol = scaled(xr[tcol], it, c, inv_c);
    const float p_t = exp((z_tcol - m) - logd);
#else
    const int tcol = t;
    const float p_t = exp(-nlp_t);
#endif
#if WG_PER_ROW
    barrier(CLK_GLOBAL_MEM_FENCE);   // every read of x above happens before any write below
#endif
#endif

#if !STATS
    const float xmax_ = 0.0f, p_t = 0.0f, ent = 0.0f;
    const int tcol = -1;
#else
    const float xmax_ = xmax;
#endif
    if (LID == 0) {
        write_rowout(rowout, N, i, rr, status, xmax_, jm, p_t, ent, tcol, counted);
    }

#if GRAD
    __global float *gr = g + (size_t) i * ldg;
    if (!counted) {
        COL_LOOP(j) {
            gr[j] = 0.0f;
        } COL_LOOP_END
        ROW_DONE;
    }
    const float r = ROW_GRAD_SCALE(i);
    const grad_coefs gc = grad_constants(rr, r, ce_scale, z_scale2);
#if XENT_LEAN
    const float coef_e = (gc.coef_p * rr.inv_d) * it;
    GRAD_LOOP(j) {
        GRAD_SET(j, ROW_X(j) * coef_e);
    } GRAD_LOOP_END(j)
    // The target's entry, rewritten by the work-item whose quad holds it (after its own store).
    if (LID == (t >> 2) % LSZ) {
        gr[t] = target_dz(rr, gc, smooth, w_sum, WEIGHT(t)) * it;
    }
#else
    GRAD_LOOP(j) {
#if XENT_KEEP_E
        GRAD_SET(j, grad_from_p(ROW_X(j) * rr.inv_d, it, j, rr, gc, t, Y_AT(j), eps, smooth, w_sum, WEIGHT(j)));
#else
        GRAD_SET(j, grad_element(ROW_X(j), j, it, c, inv_c, m, rr, gc, t, Y_AT(j), eps, smooth, w_sum, WEIGHT(j)));
#endif
    } GRAD_LOOP_END(j)
#endif
#endif
    ROWS_END
}
