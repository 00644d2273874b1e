// vec.cl - vector-width macros for the kernels that keep a row in vector registers (VECW = 4, 8 or
// 16 floats per operation; default 8, the width of AVX2 that PoCL's CPU device targets), their
// lane reductions and Kahan sums, and the next row's max of the kernels that walk several rows.

#ifndef VECW
#define VECW 8
#endif

#if VECW == 4
#define floatv float4
#define intv int4
#define VLOAD vload4
#define VSTORE vstore4
#elif VECW == 8
#define floatv float8
#define intv int8
#define VLOAD vload8
#define VSTORE vstore8
#elif VECW == 16
#define floatv float16
#define intv int16
#define VLOAD vload16
#define VSTORE vstore16
#else
#error "VECW must be 4, 8 or 16"
#endif

#define VZERO ((floatv) 0.0f)
#define VONE ((floatv) 1.0f)

// Sum and max of the lanes, in a fixed order.
inline float lane_sum(floatv v) {
#if VECW == 16
    float8 a8 = v.lo + v.hi;
#elif VECW == 8
    float8 a8 = v;
#endif
#if VECW >= 8
    float4 a4 = a8.lo + a8.hi;
#else
    float4 a4 = v;
#endif
    float2 a2 = a4.lo + a4.hi;
    return a2.x + a2.y;
}

inline float lane_max(floatv v) {
#if VECW == 16
    float8 a8 = fmax(v.lo, v.hi);
#elif VECW == 8
    float8 a8 = v;
#endif
#if VECW >= 8
    float4 a4 = fmax(a8.lo, a8.hi);
#else
    float4 a4 = v;
#endif
    float2 a2 = fmax(a4.lo, a4.hi);
    return fmax(a2.x, a2.y);
}

// Kahan-compensated running sum of vectors, lane by lane.
typedef struct { floatv s; floatv c; } ksumv;

inline ksumv ksumv_zero(void) {
    ksumv k; k.s = VZERO; k.c = VZERO; return k;
}

inline void ksumv_add(ksumv *k, floatv v) {
    floatv y = v - k->c;
    floatv t = k->s + y;
    k->c = select((t - k->s) - y, VZERO, isinf(t));
    k->s = t;
}

// The lanes' total, folded into a scalar Kahan sum with the scalar tail's.
inline float ksumv_total(ksumv k, ksum tail) {
    ksum r = tail;
    floatv v = select(k.s - k.c, k.s, isinf(k.s));
#if VECW == 16
    float l[16] = {v.s0, v.s1, v.s2, v.s3, v.s4, v.s5, v.s6, v.s7, v.s8, v.s9, v.sa, v.sb, v.sc, v.sd, v.se, v.sf};
#elif VECW == 8
    float l[8] = {v.s0, v.s1, v.s2, v.s3, v.s4, v.s5, v.s6, v.s7};
#else
    float l[4] = {v.s0, v.s1, v.s2, v.s3};
#endif
    for (int q = 0; q < VECW; q++) {
        ksum_add(&r, l[q]);
    }
    return ksum_value(r);
}

// The next row's max, gathered during this row's pass 2 by the kernels that walk several rows per
// work-item (RPW): fmax over the same vectors in the same order as their pass 1, then the same
// lane_max and scalar tail, so the same bits; and a sum of z * 0, which turns NaN once some z is
// NaN or infinite (such a row then runs its own pass 1, which sets its flags).
typedef struct { floatv vm; floatv vchk; float m; float chk; } next_max;

inline next_max next_max_zero(void) {
    next_max n; n.vm = (floatv) (-INFINITY); n.vchk = VZERO; n.m = -INFINITY; n.chk = 0.0f; return n;
}

inline void next_max_vec(next_max *n, floatv z) {
    n->vm = fmax(n->vm, z);
    n->vchk += z * 0.0f;
}

// After the vectors, before the scalar tail.
inline void next_max_lanes(next_max *n) {
    n->m = lane_max(n->vm);
    n->chk = lane_sum(n->vchk);
}

inline void next_max_one(next_max *n, float z) {
    n->m = fmax(n->m, z);
    n->chk += z * 0.0f;
}

// True when every z of the row was finite: n.m is then the row's max and its flags are FLAG_ALIVE.
inline int next_max_finite(next_max n) {
    return n.chk == 0.0f;
}
