// xent_common.cl - what the cross-entropy kernels share (xent.cl: a work-item or a work-group per
// row; xent_vec.cl: a work-item per row in vector registers; xent_split.cl: a row split over
// work-groups): the feature macros, the parameter lists, the scaled logit, and the arithmetic that
// turns a row's sums into its loss, statistics and gradient, so the files differ only in how they
// walk a row.
//
// Feature macros (0/1, default 0): SOFT (soft targets y instead of class indices), WEIGHTS (class
// weights w), SMOOTH (label smoothing eps > 0), SOFTCAP (z = c*tanh(x/(T*c))), ROW_TEMP (one 1/T per
// row), ROW_SCALE (one gradient factor r_i per row), GRAD (write the gradient, default 1), STATS
// (per-row statistics); FIXED_K (common.cl).

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

// True when the row has a hard target that counts (so t indexes a column).
#if SOFT
#define HARD_COUNTED 0
#else
#define HARD_COUNTED (counted)
#endif

#if WEIGHTS
#define WEIGHT(j) w[j]
#else
#define WEIGHT(j) 1.0f
#endif

// The parameters of the cross-entropy kernels, in the order XentLauncher binds them: the inputs
// every kernel reads, the outputs of the kernels that write results (row_scale is the per-row
// gradient factor r_i), and the scalar options.
// K_PARAM: see FIXED_K in common.cl.
#define XENT_INPUT_PARAMS const int N, const int K_PARAM, \
                          __global const float *x, const int ldx, \
                          __global const int *targets, \
                          __global const float *y, const int ldy, \
                          __global const float *w, \
                          __global const float *row_inv_t
#define XENT_OUTPUT_PARAMS __global const float *row_scale, \
                           __global float *g, const int ldg, \
                           __global float *rowout
#define XENT_SCALAR_PARAMS const float inv_t, const float softcap, const float eps, const float smooth, \
                           const float w_sum, const int ignore_index, const float ce_scale, \
                           const float z_scale2, const float r_scalar

// r_i, the gradient factor of a row (sample weight times upstream scale), or the one scalar.
#if ROW_SCALE
#define ROW_GRAD_SCALE(row) (row_scale[row])
#else
#define ROW_GRAD_SCALE(row) (r_scalar)
#endif

// The per-row constants every cross-entropy kernel starts with: the row's logits xr (and soft
// targets yr), its 1/T (it), the soft-cap c and 1/c, the hard target t and whether the row counts.
// Expects the kernel arguments x, ldx, y, ldy, targets, row_inv_t, inv_t, softcap, ignore_index.
#if ROW_TEMP
#define ROW_INV_T(row) row_inv_t[row]
#else
#define ROW_INV_T(row) inv_t
#endif
#if SOFT
#define ROW_TARGET(row) \
    __global const float *yr = y + (size_t) (row) * ldy; \
    const int t = -1; \
    const int counted = 1;
#else
#define ROW_TARGET(row) \
    const int t = targets[row]; \
    const int counted = t != ignore_index;
#endif
#define XENT_ROW_SETUP(row) \
    __global const float *xr = x + (size_t) (row) * ldx; \
    const float it = ROW_INV_T(row); \
    const float c = softcap; \
    const float inv_c = SOFTCAP ? 1.0f / softcap : 0.0f; \
    ROW_TARGET(row)

// z from x: x/T, or c*tanh(x/(T*c)).
inline float scaled(float x, float it, float c, float inv_c) {
#if SOFTCAP
    return c * tanh(x * it * inv_c);
#else
    return x * it;
#endif
}

// A row's loss part and the constants of its gradient, from m = max z, d - 1, the weighted sums
// sa = sum a_j (m - z_j) and ta = sum a_j (soft targets), and the target's z_t (hard targets).
typedef struct {
    float ce;      // -sum_j a_j log p_j (0 when the row does not count)
    float lse;     // m + log d
    float logd;    // log d
    float inv_d;   // 1 / d
    float nlp_t;   // -log p_t (hard, counted)
    float h;       // (1 - eps) w_t (hard, counted)
    float big_a;   // A = sum_j a_j
} row_result;

inline row_result row_finish(float m, float dm1, float sa, float ta, float zt, int counted, float eps,
                             float smooth, float w_sum, float wt) {
    row_result r;
    r.logd = log1p(dm1);
    r.lse = m + r.logd;
    r.inv_d = 1.0f / (1.0f + dm1);
    r.ce = 0.0f;
    r.nlp_t = 0.0f;
    r.h = 0.0f;
#if SOFT
    r.ce = sa + ta * r.logd;
    r.big_a = ta;
#else
    if (counted) {
        r.nlp_t = (m - zt) + r.logd;
        r.h = (1.0f - eps) * wt;
        // A zero coefficient counts 0 even when p_t = 0 (a masked target): 0 * inf would be NaN.
        r.ce = r.h != 0.0f ? r.h * r.nlp_t : 0.0f;
#if SMOOTH
        r.ce += smooth * (sa + w_sum * r.logd);
#endif
    }
    r.big_a = smooth * w_sum + r.h;
#endif
    if (!counted) {
        r.ce = 0.0f;
    }
    return r;
}

// The gradient of one row: dz_j = coef_p p_j - coef_a a_j off the target, times dz/dx.
typedef struct {
    float coef_a;  // r * ceScale
    float coef_z;  // r * zScale * 2 zeta * lse
    float coef_p;  // coef_a * A + coef_z
} grad_coefs;

inline grad_coefs grad_constants(row_result rr, float r, float ce_scale, float z_scale2) {
    grad_coefs gc;
    gc.coef_a = r * ce_scale;
    gc.coef_z = r * z_scale2 * rr.lse;
    gc.coef_p = gc.coef_a * rr.big_a + gc.coef_z;
    return gc;
}

// The target's entry A p_t - a_t without cancellation: (eps/K)(W p_t - w_t) + (1-eps) w_t (p_t - 1)
// with p_t - 1 = expm1(-loss_t), plus the z-loss term; before the factor dz/dx.
inline float target_dz(row_result rr, grad_coefs gc, float smooth, float w_sum, float wt) {
    float p_t = exp(-rr.nlp_t);
    return gc.coef_a * (smooth * (w_sum * p_t - wt) + rr.h * expm1(-rr.nlp_t)) + gc.coef_z * p_t;
}

// dx_j of one element from its p_j = exp(z_j - m) / d and dz/dx: the part of grad_element after
// the exponential (kernels that kept exp(z_j - m) from pass 2 start here).
inline float grad_from_p(float p, float dzdx, int j, row_result rr, grad_coefs gc, int t, float yj, float eps,
                         float smooth, float w_sum, float wj) {
    float gz;
#if SOFT
    gz = gc.coef_p * p - gc.coef_a * (wj * ((1.0f - eps) * yj + smooth));
#else
    gz = j == t ? target_dz(rr, gc, smooth, w_sum, wj) : gc.coef_p * p - gc.coef_a * (smooth * wj);
#endif
    return gz * dzdx;
}

// dx_j of one element from x_j: dz_j = coef_p p_j - coef_a a_j (the target's entry without
// cancellation), times dz/dx. The same in every layout; expects the row's locals (it, c, inv_c, m,
// rr, gc, t, yr) and the kernel arguments (eps, smooth, w_sum, w).
inline float grad_element(float xj, int j, float it, float c, float inv_c, float m, row_result rr, grad_coefs gc,
                          int t, float yj, float eps, float smooth, float w_sum, float wj) {
#if SOFTCAP
    float th = tanh(xj * it * inv_c);
    float z = c * th;
    float dzdx = ((1.0f - th) * (1.0f + th)) * it;
#else
    float z = xj * it;
    float dzdx = it;
#endif
    return grad_from_p(exp(z - m) * rr.inv_d, dzdx, j, rr, gc, t, yj, eps, smooth, w_sum, wj);
}

#if SOFT
#define Y_AT(j) yr[j]
#else
#define Y_AT(j) 0.0f
#endif

// Writes the per-row outputs (struct of arrays, FIELDS x N): 0 ce, 1 lse, 2 status (int bits), and
// with STATS: 3 max logit, 4 argmax (int bits), 5 p of the target, 6 entropy, 7 hit (int bits).
inline void write_rowout(__global float *rowout, int N, int i, row_result rr, int status, float xmax, int jm,
                         float p_t, float ent, int tcol, int counted) {
    rowout[i] = rr.ce;
    rowout[N + i] = rr.lse;
    rowout[2 * N + i] = as_float(status);
#if STATS
    rowout[3 * N + i] = xmax;
    rowout[4 * N + i] = as_float(jm);
    rowout[5 * N + i] = counted ? p_t : NAN;
    rowout[6 * N + i] = ent;
    rowout[7 * N + i] = as_float(counted && jm == tcol ? 1 : 0);
#endif
}
