// common.cl - helpers shared by every softmax-cl kernel (OpenCL C 1.2).
//
// Each kernel file includes this one. Two work layouts, chosen by the WG_PER_ROW macro:
//   WG_PER_ROW = 0  (variant V0) one work-item per row: loops over the whole row, reductions are
//                   no-ops, no barriers. Best on CPU devices (PoCL) and for small K.
//   WG_PER_ROW = 1  (variant V1) one work-group of WGS work-items per row: each work-item takes
//                   the columns LID, LID + WGS, ...; reductions go through local memory in a fixed
//                   tree order (deterministic). Best on GPUs for medium and large K.
//   QUADS = 1       (variant V2, with WG_PER_ROW = 1) as V1, but each work-item takes quads of four
//                   adjacent columns, 4 LID .. 4 LID + 3, then 4 (LID + WGS) .., read and written as
//                   float4: a quarter of the load and store instructions, four times the bytes in
//                   flight per work-item. A row that does not start on 16 bytes (a row stride
//                   that is not a multiple of 4 floats) reads and writes its quads a float at a
//                   time instead, with the same columns per work-item, so the results are the
//                   same bits whatever the strides (in place or not). Kernels opt in through the
//                   QUAD_LOOP macros below; their other loops run as V1.
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
#define LOCAL_SCRATCH __local float red_f[WGS]; __local float red_g[WGS]; __local float red_h[WGS]; __local int red_i[WGS];
#else
#define ROW_ID ((int) get_global_id(0))
#define LID 0
#define LSZ 1
#define LOCAL_SCRATCH __local float *red_f = 0; __local float *red_g = 0; __local float *red_h = 0; __local int *red_i = 0;
#endif
#ifndef QUADS
#define QUADS 0
#endif
#ifndef RPG
#define RPG 1
#endif

// The rows of a work-item (V0) or work-group (V1, V2): one, ROW_ID; or, with RPG > 1 in V1 and V2,
// RPG consecutive rows from ROW_ID * RPG, walked in turn by the whole group (a group that keeps
// its row in registers loads the next row's while it reduces this one: see xent.cl). A kernel's
// body runs between ROWS_BEGIN(i) and ROWS_END, and leaves a row early with ROW_DONE. ROWS_FIRST
// and ROWS_LOOP split ROWS_BEGIN for a kernel that needs the first row before the loop: they
// define i##_0 (the first row) and i##_end (one past the last).
#if WG_PER_ROW && RPG > 1
#define ROWS_FIRST(i) const int i##_0 = ROW_ID * RPG; \
    const int i##_end = min(N, i##_0 + RPG);
#define ROWS_LOOP(i) for (int i = i##_0; i < i##_end; i++) {
#define ROW_DONE continue
#else
#define ROWS_FIRST(i) const int i##_0 = ROW_ID; \
    const int i##_end = min(N, i##_0 + 1);
#define ROWS_LOOP(i) const int i = i##_0; if (i >= N) { return; } {
#define ROW_DONE return
#endif
#define ROWS_BEGIN(i) ROWS_FIRST(i) ROWS_LOOP(i)
#define ROWS_END }

// Loop over the columns of the row that belong to this work-item. Every work-item of a group runs
// the same number of iterations (the column test is inside the body): PoCL 3.1's work-group
// vectoriser crashes on loops whose trip count differs between work-items.
#define COL_LOOP(j) for (int j##_base = 0; j##_base < K; j##_base += LSZ) { const int j = j##_base + LID; if (j < K)
#define COL_LOOP_END }

// A loop over this work-item's columns j of a row that reads src[j] as QVAL(j, src) and may set
// dst[j] through QSET(j, dst, v); QUAD_END closes a loop that only reads, QUAD_END_STORE(j, dst)
// one that set every column it visited. V2 reads and writes four columns at a time (quads past K
// are padded on reads and cut on writes); V0 and V1 read and write each column on its own.
#if QUADS
#define QUAD_LOOP(j, src) for (int j##_b = 0; j##_b < K; j##_b += 4 * LSZ) { \
        const int j##_q = j##_b + 4 * LID; \
        float j##_x[4]; \
        float j##_o[4]; \
        load_quad(src, j##_q, K, j##_x); \
        for (int j##_l = 0; j##_l < 4; j##_l++) { const int j = j##_q + j##_l; if (j < K)
#define QVAL(j, src) (j##_x[j##_l])
#define QSET(j, dst, v) (j##_o[j##_l] = (v))
#define QUAD_END } }
#define QUAD_END_STORE(j, dst) } store_quad(dst, j##_q, K, j##_o); }

// True when the quad at p can move as one float4 (16-byte aligned).
#define QUAD_ALIGNED(p) ((((size_t) (p)) & 15) == 0)

// The four floats of src from column q (a multiple of 4), 0 past K.
inline void load_quad(__global const float *src, int q, int K, float *v) {
    if (q + 4 <= K && QUAD_ALIGNED(src + q)) {
        float4 a = *((__global const float4 *) (src + q));
        v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w;
    } else {
        for (int l = 0; l < 4; l++) {
            v[l] = q + l < K ? src[q + l] : 0.0f;
        }
    }
}

// Stores the four floats v at column q of dst, none past K.
inline void store_quad(__global float *dst, int q, int K, const float *v) {
    if (q + 4 <= K && QUAD_ALIGNED(dst + q)) {
        *((__global float4 *) (dst + q)) = (float4) (v[0], v[1], v[2], v[3]);
    } else {
        for (int l = 0; l < 4 && q + l < K; l++) {
            dst[q + l] = v[l];
        }
    }
}
#else
#define QUAD_LOOP(j, src) COL_LOOP(j)
#define QVAL(j, src) ((src)[j])
#define QSET(j, dst, v) ((dst)[j] = (v))
#define QUAD_END }
#define QUAD_END_STORE(j, dst) }
#endif

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

// Sums of a and b over the work-group in one tree (the same order, so the same bits, as two
// group_sum calls, with half the barriers).
inline void group_sum2(float *a, float *b, __local float *bufa, __local float *bufb) {
#if WG_PER_ROW
    bufa[LID] = *a;
    bufb[LID] = *b;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WGS / 2; s > 0; s >>= 1) {
        if (LID < s) {
            bufa[LID] += bufa[LID + s];
            bufb[LID] += bufb[LID + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *a = bufa[0];
    *b = bufb[0];
    barrier(CLK_LOCAL_MEM_FENCE);
#endif
}

// The max of m and the OR of the flags over the work-group in one tree (no index: NaN never wins).
inline void group_max_or(float *m, int *flags, __local float *bf, __local int *bi) {
#if WG_PER_ROW
    bf[LID] = *m;
    bi[LID] = *flags;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WGS / 2; s > 0; s >>= 1) {
        if (LID < s) {
            float b = bf[LID + s];
            if (b > bf[LID]) {
                bf[LID] = b;
            }
            bi[LID] |= bi[LID + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *m = bf[0];
    *flags = bi[0];
    barrier(CLK_LOCAL_MEM_FENCE);
#endif
}

// One scaled logit z into a running (max m, sum of exp(z - m) below it, ties at it): the online
// softmax step. A new max rescales the sum (and the old ties, now below it) by exp(m_old - z);
// -inf logits before any finite one count as ties of -inf and vanish at the first finite one
// (exp(-inf) = 0). A NaN z lands in the sum, which is NaN from then on, as the row's results are.
inline void online_add(float *m, ksum *less, float *ties, float z) {
    if (z > *m) {
        float f = exp(*m - z);
        ksum_add(less, *ties);
        less->s *= f;
        less->c *= f;
        *ties = 1.0f;
        *m = z;
    } else if (z == *m) {
        *ties += 1.0f;
    } else {
        ksum_add(less, exp(z - *m));
    }
}

// Merges the work-items' (max, sum below it, ties at it, flags) over the work-group in a fixed
// tree order: the side with the smaller max moves its sum and ties below the larger one, scaled by
// exp(m_small - m_large). Maxima are never NaN (online_add only moves to a larger z).
inline void group_online(float *m, float *less, float *ties, int *flags, __local float *bm, __local float *bs,
                         __local float *bt, __local int *bi) {
#if WG_PER_ROW
    bm[LID] = *m;
    bs[LID] = *less;
    bt[LID] = *ties;
    bi[LID] = *flags;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WGS / 2; s > 0; s >>= 1) {
        if (LID < s) {
            float ma = bm[LID], mb = bm[LID + s];
            float sa = bs[LID], sb = bs[LID + s];
            float ta = bt[LID], tb = bt[LID + s];
            if (ma == mb) {
                bs[LID] = sa + sb;
                bt[LID] = ta + tb;
            } else if (ma > mb) {
                bs[LID] = sa + (sb + tb) * exp(mb - ma);
            } else {
                bm[LID] = mb;
                bs[LID] = (sa + ta) * exp(ma - mb) + sb;
                bt[LID] = tb;
            }
            bi[LID] |= bi[LID + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *m = bm[0];
    *less = bs[0];
    *ties = bt[0];
    *flags = bi[0];
    barrier(CLK_LOCAL_MEM_FENCE);
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
// gives; under the default policy the host refuses such rows anyway (an ignored one it keeps:
// its loss and gradient are 0, its statistics NaN). Raw logits that are all -inf have no usable
// max even where a soft-cap maps them to a finite -c.
inline float usable_max(float m, int flags) {
    return ((flags & FLAG_BAD) || !(flags & FLAG_ALIVE) || isinf(m)) ? NAN : m;
}

// A row kept in registers (V2 with ROW_CACHE > 0): each work-item holds its ROW_CACHE quads in a
// private array of 4 * ROW_CACHE floats, loaded once (loads issued together: a compile-time trip
// count) and indexed by constants after unrolling. CACHED_QUADS(j) .. } walks the quads (j_c the
// quad, j_q its first column), QUAD_LANES(j) .. } a quad's columns j below K (j_l the lane).
#define CACHED_QUADS(j) _Pragma("unroll") for (int j##_c = 0; j##_c < ROW_CACHE; j##_c++) { \
        const int j##_q = (j##_c * LSZ + LID) * 4;
#define QUAD_LANES(j) _Pragma("unroll") for (int j##_l = 0; j##_l < 4; j##_l++) { const int j = j##_q + j##_l; if (j < K)
#define LOAD_CACHED_ROW(row, v) _Pragma("unroll") for (int c_ = 0; c_ < ROW_CACHE; c_++) { \
        load_quad(row, (c_ * LSZ + LID) * 4, K, (v) + 4 * c_); \
    }

// The lean form of a cached row's forward (xent.cl and softmax.cl, LEAN): fewer instructions per
// element, for GPUs, where these kernels are instruction-bound.
// LEAN_MAX(v, it, m): each cached logit x becomes z = x * it in v; m = fmax(m, z) over them, with
// no per-element flags (lean_status reads the row's state from its max and sum instead).
#define LEAN_MAX(v, it, m) CACHED_QUADS(j) QUAD_LANES(j) { \
        (v)[4 * j_c + j_l] = (v)[4 * j_c + j_l] * (it); \
        m = fmax(m, (v)[4 * j_c + j_l]); \
    } } }
// LEAN_SUMS(v, m, less, ties, keep): with e = exp(z - m) for each cached z (written over z in v
// when keep is 1), less = this work-item's sum of the e of z < m, pairwise (in each quad, then
// over its quads: at most 32 terms, 5 levels), and ties += its count of z >= m. A NaN z has
// z >= m false, so it lands in less, which turns NaN.
#define LEAN_SUMS(v, m, less, ties, keep) { \
    float qs_[ROW_CACHE]; \
    CACHED_QUADS(j) { \
        float q_[4]; \
        _Pragma("unroll") for (int j_l = 0; j_l < 4; j_l++) { \
            const int j = j_q + j_l; \
            q_[j_l] = 0.0f; \
            if (j < K) { \
                const float z_ = (v)[4 * j_c + j_l]; \
                const float e_ = exp(z_ - (m)); \
                if (keep) { \
                    (v)[4 * j_c + j_l] = e_; \
                } \
                const int top_ = z_ >= (m); \
                q_[j_l] = top_ ? 0.0f : e_; \
                ties += top_ ? 1.0f : 0.0f; \
            } \
        } \
        qs_[j_c] = (q_[0] + q_[1]) + (q_[2] + q_[3]); \
    } } \
    _Pragma("unroll") for (int w_ = ROW_CACHE; w_ > 1; w_ = (w_ + 1) / 2) { \
        _Pragma("unroll") for (int a_ = 0; a_ < w_ / 2; a_++) { \
            qs_[a_] += qs_[a_ + (w_ + 1) / 2]; \
        } \
    } \
    less = qs_[0]; \
}

// The status per-element flags would give (logit_status), from the row's max m and d - 1 after
// LEAN_SUMS and the group's reductions: a NaN logit made d - 1 NaN, +inf made m = +inf, and a row
// of only -inf (raw or scaled) left m = -inf, which is bad when the row counts.
inline int lean_status(float m, float dm1, int counted) {
    return (isnan(dm1) || m == INFINITY || (counted && m == -INFINITY)) ? STATUS_BAD_LOGITS : 0;
}

// A row without a usable max computes with m and d - 1 NaN, so every result of it is NaN, as
// usable_max makes the other forms do.
#define LEAN_UNUSABLE(m, dm1) if (isnan(dm1) || isinf(m)) { \
        m = NAN; \
        dm1 = NAN; \
    }

// FIXED_K (optional): the row length as a compile-time constant, K; the kernel argument is then
// unused (kernels declare it as K_PARAM). The compiler resolves the column tests of whole quads and
// the cached loops' bounds (on an H200, V2 at K = 4096, about 9 of some 55 PTX instructions per
// element were column tests). The host sets it for V2 with the row cache on GPUs
// (KernelLayout.fixedKMacro). Same arithmetic, so the same bits. Last in this file: from here on K
// may be a macro, so no function after it may take a parameter named K.
#ifdef FIXED_K
#define K FIXED_K
#define K_PARAM k_unused
#else
#define K_PARAM K
#endif
