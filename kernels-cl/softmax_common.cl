// softmax_common.cl - what the softmax kernels (softmax.cl: V0, V1; softmax_vec.cl: V0v) share:
// their build macros and their parameter lists, so the host binds every variant alike.
//
// Build macros: LOG (0 softmax, 1 log-softmax), ROW_TEMP (1: one 1/T per row in row_inv_t).

#ifndef LOG
#define LOG 0
#endif
#ifndef ROW_TEMP
#define ROW_TEMP 0
#endif
#ifndef ONE_PASS
#define ONE_PASS 0
#endif

// K_PARAM is K unless FIXED_K makes K a constant (common.cl).
// softmax_fwd*: logits x (NxK, row stride ldx), 1/T per row or inv_t, output out (stride ldo),
// one status word per row (STATUS_BAD_LOGITS for a row the host refuses).
#define SOFTMAX_FWD_PARAMS const int N, const int K_PARAM, \
                           __global const float *x, const int ldx, \
                           __global const float *row_inv_t, \
                           __global float *out, const int ldo, \
                           __global int *status, \
                           const float inv_t

// softmax_bwd*: probabilities or log-probabilities y, upstream gradient g, result dx (own strides).
#define SOFTMAX_BWD_PARAMS const int N, const int K_PARAM, \
                           __global const float *y, const int ldy, \
                           __global const float *g, const int ldg, \
                           __global float *dx, const int ldd

// 1/T of row i.
#if ROW_TEMP
#define ROW_INV_T(i) (row_inv_t[i])
#else
#define ROW_INV_T(i) (inv_t)
#endif
