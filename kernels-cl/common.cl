// common.cl - helpers shared by every softmax-cl kernel (OpenCL C 1.2).
//
// Each kernel file includes this one. Two work layouts, chosen by the WG_PER_ROW macro:
//   WG_PER_ROW = 0  (variant V0) one work-item per row: loops over the whole row, reductions are
//                   no-ops, no barriers. Best on CPU devices (PoCL) and for small K.
//   WG_PER_ROW = 1  (variant V1) one work-group of WGS work-items per row: each work-item takes
//                   the columns LID, LID + WGS, ...; reductions go through local memory in a fixed
//                   tree order (deterministic). Best on GPUs for medium and large K.
// Tunable parameters are macros with defaults here; the host passes -D options per device.
//
// Sums of long rows use Kahan-compensated accumulation per work-item, so a row of 262144 terms
// keeps float32's digits; partial sums then combine in a tree.

#pragma OPENCL FP_CONTRACT OFF

#ifndef WG_PER_ROW
#define WG_PER_ROW 0
#endif
#ifndef WGS
#define WGS 128
#endif

#if WG_PER_ROW
// From the global id rather than the group id, so a launch with a global work offset (a pipelined
// chunk of rows, see ChunkedUpload) starts at the right row.
#define ROW_ID ((int) (get_global_id(0) / WGS))
#define LID ((int) get_local_id(0))
#define LSZ WGS
#define LOCAL_SCRATCH __local float red_f[WGS]; __local int red_i[WGS];
#else
#define ROW_ID ((int) get_global_id(0))
#define LID 0
#define LSZ 1
#define LOCAL_SCRATCH __local float *red_f = 0; __local int *red_i = 0;
#endif

// Loop over the columns of the row that belong to this work-item. Every work-item of a group runs
// the same number of iterations (the column test is inside the body): PoCL 3.1's work-group
// vectoriser crashes on loops whose trip count differs between work-items.
#define COL_LOOP(j) for (int j##_base = 0; j##_base < K; j##_base += LSZ) { const int j = j##_base + LID; if (j < K)
#define COL_LOOP_END }

// Kahan-compensated running sum: s holds the sum, c the lost low-order part (negated).
typedef struct { float s; float c; } ksum;

inline ksum ksum_zero(void) {
    ksum k; k.s = 0.0f; k.c = 0.0f; return k;
}

inline void ksum_add(ksum *k, float v) {
    float y = v - k->c;
    float t = k->s + y;
    // An infinite term (a -inf logit under a nonzero target weight) must leave an infinite sum,
    // not a NaN compensation.
    k->c = isinf(t) ? 0.0f : (t - k->s) - y;
    k->s = t;
}

inline float ksum_value(ksum k) {
    return k.s - k.c;
}

// Sum of v over the work-group (V1), in a fixed tree order; v itself in V0.
inline float group_sum(float v, __local float *buf) {
#if WG_PER_ROW
    buf[LID] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WGS / 2; s > 0; s >>= 1) {
        if (LID < s) {
            buf[LID] += buf[LID + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = buf[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
#else
    return v;
#endif
}

// Bitwise OR of small flags over the work-group.
inline int group_or(int v, __local int *buf) {
#if WG_PER_ROW
    buf[LID] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WGS / 2; s > 0; s >>= 1) {
        if (LID < s) {
            buf[LID] |= buf[LID + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    int r = buf[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
#else
    return v;
#endif
}

// (max, first index of the max) over the work-group; ties go to the smaller index, NaN never wins.
inline void group_maxarg(float *m, int *idx, __local float *bf, __local int *bi) {
#if WG_PER_ROW
    bf[LID] = *m;
    bi[LID] = *idx;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WGS / 2; s > 0; s >>= 1) {
        if (LID < s) {
            float a = bf[LID], b = bf[LID + s];
            int ia = bi[LID], ib = bi[LID + s];
            if (b > a || (b == a && ib < ia)) {
                bf[LID] = b;
                bi[LID] = ib;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *m = bf[0];
    *idx = bi[0];
    barrier(CLK_LOCAL_MEM_FENCE);
#endif
}

// Row status bits written by the kernels; the host refuses flagged rows before copying results.
#define STATUS_BAD_LOGITS 1
#define STATUS_BAD_TARGET 2

// Pass-1 flags of a row, OR-reduced over the work-group: FLAG_BAD when a NaN or +inf logit (or a
// NaN scaled logit) was seen, FLAG_ALIVE when some logit is above -inf.
#define FLAG_BAD 1
#define FLAG_ALIVE 2

inline int logit_flags(float x, float z) {
    return ((isnan(z) || x == INFINITY) ? FLAG_BAD : 0) | (x != -INFINITY ? FLAG_ALIVE : 0);
}

// Status of a row: NaN or +inf anywhere is bad (so is a scaled max that overflowed to +inf), and
// so, when the row counts, is a row of only -inf, raw or scaled (finite logits whose x * (1/T)
// overflows to -inf leave no class either). The host's Checks.refusedRow draws the same line.
inline int logit_status(float m, int flags, int counted) {
    return ((flags & FLAG_BAD) || m == INFINITY || (counted && (!(flags & FLAG_ALIVE) || m == -INFINITY)))
            ? STATUS_BAD_LOGITS : 0;
}

// A row without a usable max computes with m = NaN so every result of it is NaN, as PyTorch
// gives; under the default policy the host refuses such rows anyway.
inline float usable_max(float m, int flags) {
    return ((flags & FLAG_BAD) || isinf(m)) ? NAN : m;
}
