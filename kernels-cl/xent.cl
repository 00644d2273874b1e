// xent.cl - fused cross-entropy forward + backward: per row, the loss parts and (optionally) the
// gradient with respect to the logits, in one kernel.
//
// Build macros (0/1, default 0): SOFT (soft targets y instead of class indices), WEIGHTS (class
// weights w), SMOOTH (label smoothing eps > 0), SOFTCAP (z = c*tanh(x/(T*c))), ROW_TEMP (one 1/T per
// row), ROW_SCALE (one gradient factor r_i per row), GRAD (write the gradient), STATS (per-row
// statistics); WG_PER_ROW and WGS choose the work layout (see common.cl).
//
// Per row i (z the scaled logits, a_j the target coefficients, A = sum a_j):
//   pass 1  m = max z, j* its first index
//   pass 2  d - 1 = sum_{z<m} exp(z - m) + (ties - 1);  S = sum a_j (m - z_j)  (smoothing / soft)
//   loss    hard:  (1-eps) w_t ((m - z_t) + log d) + (eps/K)(sum w_j (m - z_j) + W log d)
//           soft:  S + A log d
//   pass 3  dz_j = r (ceScale (A p_j - a_j) + zScale2 * lse * p_j),  dx_j = dz_j * dz/dx
//           with the target entry's p_t - 1 formed as expm1(-loss_t), never as a difference.
// Row outputs (rowout, FIELDS x N, struct of arrays): 0 ce, 1 lse, 2 status (int bits), and with
// STATS: 3 max logit, 4 argmax (int bits), 5 p of the target, 6 entropy, 7 hit (int bits).
// The target logit is read before any gradient write, so g may alias x (in place).

#include "common.cl"

#ifndef SOFT
#define SOFT 0
#endif
#ifndef WEIGHTS
#define WEIGHTS 0
#endif
#ifndef SMOOTH
#define SMOOTH 0
#endif
#ifndef SOFTCAP
#define SOFTCAP 0
#endif
#ifndef ROW_TEMP
#define ROW_TEMP 0
#endif
#ifndef ROW_SCALE
#define ROW_SCALE 0
#endif
#ifndef GRAD
#define GRAD 1
#endif
#ifndef STATS
#define STATS 0
#endif

#define NEED_SUM (SOFT || SMOOTH)

#if WEIGHTS
#define WEIGHT(j) w[j]
#else
#define WEIGHT(j) 1.0f
#endif

// z from x: x/T, or c*tanh(x/(T*c)).
inline float scaled(float x, float it, float c, float inv_c) {
#if SOFTCAP
    return c * tanh(x * it * inv_c);
#else
    return x * it;
#endif
}

__kernel void xent(const int N, const int K,
                   __global const float *x, const int ldx,
                   __global const int *targets,
                   __global const float *y, const int ldy,
                   __global const float *w,
                   __global const float *row_inv_t,
                   __global const float *row_scale,
                   __global float *g, const int ldg,
                   __global float *rowout,
                   const float inv_t, const float softcap, const float eps, const float smooth,
                   const float w_sum, const int ignore_index, const float ce_scale,
                   const float z_scale2, const float r_scalar) {
    LOCAL_SCRATCH
    const int i = ROW_ID;
    if (i >= N) {
        return;
    }
    __global const float *xr = x + (size_t) i * ldx;
#if ROW_TEMP
    const float it = row_inv_t[i];
#else
    const float it = inv_t;
#endif
    const float c = softcap;
    const float inv_c = SOFTCAP ? 1.0f / softcap : 0.0f;
#if SOFT
    __global const float *yr = y + (size_t) i * ldy;
    const int t = -1;
    const int counted = 1;
#else
    const int t = targets[i];
    const int counted = t != ignore_index;
#endif

    // Pass 1: the max and its first index.
    float m = -INFINITY;
    int jm = K;
    int flags = 0;
    COL_LOOP(j) {
        float xj = xr[j];
        float z = scaled(xj, it, c, inv_c);
        if (z > m) {
            m = z;
            jm = j;
        }
        flags |= logit_flags(xj, z);
    } COL_LOOP_END
    group_maxarg(&m, &jm, red_f, red_i);
    flags = group_or(flags, red_i);
    if (jm >= K) {
        jm = 0;
    }
    int status = logit_status(m, flags, counted);
    m = usable_max(m, flags);
    const float xmax = xr[jm];
    // Read before any write of the gradient (g may alias x).
    const float zt = counted && t >= 0 ? scaled(xr[t], it, c, inv_c) : 0.0f;

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
    COL_LOOP(j) {
        float z = scaled(xr[j], it, c, inv_c);
        float e = exp(z - m);
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
    } COL_LOOP_END
    const float dm1 = group_sum(ksum_value(less), red_f) + (group_sum(ties, red_f) - 1.0f);
    const float logd = log1p(dm1);
    const float lse = m + logd;
    const float inv_d = 1.0f / (1.0f + dm1);
#if NEED_SUM
    const float sa = group_sum(ksum_value(sum_a), red_f);
    const float ta = group_sum(ksum_value(total_a), red_f);
#endif
#if SOFT
    if (group_or(ybad, red_i)) {
        status |= STATUS_BAD_TARGET;
    }
#endif

    float ce = 0.0f;
    float nlp_t = 0.0f;
    float h = 0.0f;
    float big_a;
#if SOFT
    ce = sa + ta * logd;
    big_a = ta;
#else
    if (counted) {
        nlp_t = (m - zt) + logd;
        h = (1.0f - eps) * WEIGHT(t);
        ce = h * nlp_t;
#if SMOOTH
        ce += smooth * (sa + w_sum * logd);
#endif
    }
    big_a = smooth * w_sum + h;
#endif

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

    if (LID == 0) {
        rowout[i] = counted ? ce : 0.0f;
        rowout[N + i] = lse;
        rowout[2 * N + i] = as_float(status);
#if STATS
        rowout[3 * N + i] = xmax;
        rowout[4 * N + i] = as_float(jm);
        rowout[5 * N + i] = counted ? p_t : NAN;
        rowout[6 * N + i] = ent;
        rowout[7 * N + i] = as_float(counted && jm == tcol ? 1 : 0);
#endif
    }

#if GRAD
    __global float *gr = g + (size_t) i * ldg;
    if (!counted) {
        COL_LOOP(j) {
            gr[j] = 0.0f;
        } COL_LOOP_END
        return;
    }
#if ROW_SCALE
    const float r = row_scale[i];
#else
    const float r = r_scalar;
#endif
    const float coef_a = r * ce_scale;
    const float coef_z = r * z_scale2 * lse;
    const float coef_p = coef_a * big_a + coef_z;
    const float em1_t = expm1(-nlp_t);
    COL_LOOP(j) {
        float xj = xr[j];
#if SOFTCAP
        float th = tanh(xj * it * inv_c);
        float z = c * th;
        float dzdx = ((1.0f - th) * (1.0f + th)) * it;
#else
        float z = xj * it;
        float dzdx = it;
#endif
        float p = exp(z - m) * inv_d;
        float gz;
#if SOFT
        float a = WEIGHT(j) * ((1.0f - eps) * yr[j] + smooth);
        gz = coef_p * p - coef_a * a;
#else
        if (j == t) {
            gz = coef_a * (smooth * (w_sum * p - WEIGHT(j)) + h * em1_t) + coef_z * p;
        } else {
            gz = coef_p * p - coef_a * (smooth * WEIGHT(j));
        }
#endif
        gr[j] = gz * dzdx;
    } COL_LOOP_END
#endif
}
