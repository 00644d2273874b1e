// xent_vec.cl - fused cross-entropy forward + backward, a work-item per row with the row in vector
// registers (variant V0v: for CPU devices such as PoCL, where barriers are expensive and explicit
// vectors map straight onto SIMD). Same results as xent.cl up to rounding; the host picks it by
// device (see KernelLayout).
//
// Build macros: the feature macros of xent_common.cl, VECW (vec.cl), and RPW: rows per work-item
// (default 1), walked one after another. With RPW > 1 (and neither soft-cap nor statistics) pass 1
// of every row but a work-item's first runs inside the previous row's pass 2: the next row streams
// in from memory while this row's exponentials compute, instead of in a pass of its own that waits
// on memory (the CPU kernels do the same, VectorKernels.pipelined). The max comes out with the same
// bits, and a row with a NaN or infinite scaled logit takes its own pass 1 (next_max in vec.cl).
//
// Per row, like the Java Vector API kernel:
//   pass 1  m = max z (fmax over vectors) and the row's flags (NaN / +inf seen, some value > -inf);
//   pass 2  e_j = exp(z_j - m), stored into the gradient row when it is written (one exp per
//           element), with the sums in Kahan-compensated lanes;
//   pass 3  the gradient from the stored e_j: one multiply (and one fma for smoothing or soft
//           targets); the target entry without cancellation. With a soft-cap the gradient needs
//           dz/dx, so e_j is recomputed from x there instead.
// Everything pass 3 needs from x is read before pass 2 writes, so g may alias x (in place).

#include "xent_common.cl"
#include "vec.cl"

#if GRAD && !SOFTCAP
#define STORE_E 1
#else
#define STORE_E 0
#endif

#if SOFTCAP
#define SCALEV(xv) (c * tanh((xv) * it * inv_c))
#else
#define SCALEV(xv) ((xv) * it)
#endif

#ifndef RPW
#define RPW 1
#endif
#define PIPE (RPW > 1 && !SOFTCAP && !STATS)

#if WEIGHTS
#define WEIGHTV(j) VLOAD(0, w + (j))
#else
#define WEIGHTV(j) VONE
#endif

__kernel void xent_vec(XENT_INPUT_PARAMS, XENT_OUTPUT_PARAMS, XENT_SCALAR_PARAMS) {
    const int i0 = (int) get_global_id(0) * RPW;
    const int i1 = min(N, i0 + RPW);
    const int kv = K - K % VECW;
    float next_m = 0.0f;    // the next row's max from this row's pass 2 (PIPE), when next_ok
    int next_ok = 0;
    for (int i = i0; i < i1; i++) {
        XENT_ROW_SETUP(i)
        __global float *gr = g + (size_t) i * ldg;

        // Pass 1: the max and the flags (or both from the previous row's pass 2).
        floatv vm = (floatv) (-INFINITY);
        intv vbad = (intv) 0;
        intv valive = (intv) 0;
#if STATS
        floatv vxm = (floatv) (-INFINITY);   // statistics follow the raw logits
#endif
        for (int j = 0; j < (next_ok ? 0 : kv); j += VECW) {
            floatv xv = VLOAD(0, xr + j);
            floatv zv = SCALEV(xv);
            vm = fmax(vm, zv);
#if STATS
            vxm = fmax(vxm, xv);
#endif
            vbad |= isnan(zv) | (xv == (floatv) INFINITY);
            valive |= xv != (floatv) (-INFINITY);
        }
        float m = lane_max(vm);
        int flags = (any(vbad) ? FLAG_BAD : 0) | (any(valive) ? FLAG_ALIVE : 0);
#if STATS
        float xm = lane_max(vxm);
#endif
        for (int j = next_ok ? K : kv; j < K; j++) {
            float xj = xr[j];
            float z = scaled(xj, it, c, inv_c);
            m = fmax(m, z);
#if STATS
            xm = fmax(xm, xj);
#endif
            flags |= logit_flags(xj, z);
        }
        if (next_ok) {
            m = next_m;
            flags = FLAG_ALIVE;
        }
        int status = logit_status(m, flags, counted);
        m = usable_max(m, flags);

        // What later passes need from x, read before pass 2 may overwrite it.
        const float zt = HARD_COUNTED ? scaled(xr[t], it, c, inv_c) : 0.0f;
#if STATS
        // The first column above every one before it (as the CPU kernels take it): xm's first
        // column, or column 0 when it holds a NaN, which nothing is above.
        int jm = 0;
        while (!isnan(xr[0]) && jm < K - 1 && !(xr[jm] == xm)) {
            jm++;
        }
        const float xmax = xr[jm];
#if SOFT
        float ymax = -INFINITY;
        int ty = 0;
        for (int j = 0; j < K; j++) {
            if (yr[j] > ymax) {
                ymax = yr[j];
                ty = j;
            }
        }
        const float z_tcol = scaled(xr[ty], it, c, inv_c);
#endif
#endif

        // Pass 2, and the next row's max and check (PIPE; the last row of a work-item reads itself).
        const int piped = PIPE && i + 1 < i1;
        __global const float *nxr = piped ? xr + ldx : xr;
        const float nit = piped ? ROW_INV_T(i + 1) : it;
        next_max nmx = next_max_zero();
        ksumv vless = ksumv_zero();
        floatv vties = VZERO;
        ksum less = ksum_zero();
        float ties = 0.0f;
#if NEED_SUM
        ksumv vsa = ksumv_zero();
        ksumv vta = ksumv_zero();
        ksum sum_a = ksum_zero();
        ksum total_a = ksum_zero();
#endif
#if STATS
        ksumv vse = ksumv_zero();
        ksum sum_e = ksum_zero();
#endif
#if SOFT
        intv vybad = (intv) 0;
        int ybad = 0;
#endif
        for (int j = 0; j < kv; j += VECW) {
#if PIPE
            next_max_vec(&nmx, VLOAD(0, nxr + j) * nit);
#endif
            floatv zs = SCALEV(VLOAD(0, xr + j)) - m;
            floatv e = exp(zs);
#if STORE_E
            if (counted) {
                VSTORE(e, 0, gr + j);
            }
#endif
            intv lt = isless(zs, VZERO);
            ksumv_add(&vless, select(VZERO, e, lt));
            vties += select(VONE, VZERO, lt);
#if SOFT
            floatv yv = VLOAD(0, yr + j);
            vybad |= isless(yv, VZERO) | isnan(yv) | isinf(yv);
            floatv a = WEIGHTV(j) * ((1.0f - eps) * yv + smooth);
            ksumv_add(&vta, a);
#elif SMOOTH
            floatv a = WEIGHTV(j);
#endif
#if NEED_SUM
            ksumv_add(&vsa, select(VZERO, a * -zs, isnotequal(a, VZERO)));
#endif
#if STATS
            ksumv_add(&vse, select(VZERO, e * -zs, isnotequal(e, VZERO)));
#endif
        }
#if PIPE
        next_max_lanes(&nmx);
#endif
        for (int j = kv; j < K; j++) {
#if PIPE
            next_max_one(&nmx, nxr[j] * nit);
#endif
            float zs = scaled(xr[j], it, c, inv_c) - m;
            float e = exp(zs);
#if STORE_E
            if (counted) {
                gr[j] = e;
            }
#endif
            if (zs < 0.0f) {
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
            ksum_add(&total_a, a);
#elif SMOOTH
            float a = WEIGHT(j);
#endif
#if NEED_SUM
            if (a != 0.0f) {
                ksum_add(&sum_a, a * -zs);
            }
#endif
#if STATS
            if (e != 0.0f) {
                ksum_add(&sum_e, e * -zs);
            }
#endif
        }
#if PIPE
        next_ok = piped && next_max_finite(nmx);
        next_m = nmx.m;
#endif
        const float dm1 = ksumv_total(vless, less) + ((lane_sum(vties) + ties) - 1.0f);
#if SOFT
        if (ybad || any(vybad)) {
            status |= STATUS_BAD_TARGET;
        }
#endif
#if NEED_SUM
        const float sa = ksumv_total(vsa, sum_a);
        const float ta = ksumv_total(vta, total_a);
#else
        const float sa = 0.0f;
        const float ta = 0.0f;
#endif
        const row_result rr = row_finish(m, dm1, sa, ta, zt, counted, eps, smooth, w_sum, HARD_COUNTED ? WEIGHT(t) : 0.0f);

#if STATS
        const float ent = ksumv_total(vse, sum_e) * rr.inv_d + rr.logd;
#if SOFT
        const int tcol = ty;
        const float p_t = exp((z_tcol - m) - rr.logd);
#else
        const int tcol = t;
        const float p_t = exp(-rr.nlp_t);
#endif
        write_rowout(rowout, N, i, rr, status, xmax, jm, p_t, ent, tcol, counted);
#else
        write_rowout(rowout, N, i, rr, status, 0.0f, 0, 0.0f, 0.0f, -1, counted);
#endif

#if GRAD
        if (!counted) {
            for (int j = 0; j < kv; j += VECW) {
                VSTORE(VZERO, 0, gr + j);
            }
            for (int j = kv; j < K; j++) {
                gr[j] = 0.0f;
            }
            continue;
        }
        const float r = ROW_GRAD_SCALE(i);
        const grad_coefs gc = grad_constants(rr, r, ce_scale, z_scale2);
#if STORE_E
        // Pass 3 from the stored e_j: dx_j = alpha e_j - beta a_j.
        const float alpha = gc.coef_p * rr.inv_d * it;
        const float beta = gc.coef_a * it;
        for (int j = 0; j < kv; j += VECW) {
            floatv e = VLOAD(0, gr + j);
#if SOFT
            floatv a = WEIGHTV(j) * ((1.0f - eps) * VLOAD(0, yr + j) + smooth);
            VSTORE(e * alpha - beta * a, 0, gr + j);
#elif SMOOTH
            VSTORE(e * alpha - (beta * smooth) * WEIGHTV(j), 0, gr + j);
#else
            VSTORE(e * alpha, 0, gr + j);
#endif
        }
        for (int j = kv; j < K; j++) {
            float e = gr[j];
#if SOFT
            float a = WEIGHT(j) * ((1.0f - eps) * yr[j] + smooth);
#else
            float a = smooth * WEIGHT(j);
#endif
            gr[j] = e * alpha - beta * a;
        }
#if !SOFT
        gr[t] = target_dz(rr, gc, smooth, w_sum, WEIGHT(t)) * it;
#endif
#else
        // Soft-cap: p and dz/dx from x again.
        for (int j = 0; j < kv; j += VECW) {
            floatv th = tanh(VLOAD(0, xr + j) * it * inv_c);
            floatv p = exp(c * th - m) * rr.inv_d;
            floatv dzdx = ((1.0f - th) * (1.0f + th)) * it;
#if SOFT
            floatv a = WEIGHTV(j) * ((1.0f - eps) * VLOAD(0, yr + j) + smooth);
#else
            floatv a = smooth * WEIGHTV(j);
#endif
            VSTORE((gc.coef_p * p - gc.coef_a * a) * dzdx, 0, gr + j);
        }
        for (int j = kv; j < K; j++) {
            float th = tanh(xr[j] * it * inv_c);
            float p = exp(c * th - m) * rr.inv_d;
#if SOFT
            float a = WEIGHT(j) * ((1.0f - eps) * yr[j] + smooth);
#else
            float a = smooth * WEIGHT(j);
#endif
            gr[j] = (gc.coef_p * p - gc.coef_a * a) * (((1.0f - th) * (1.0f + th)) * it);
        }
#if !SOFT
        {
            const float th_t = zt * inv_c;
            gr[t] = target_dz(rr, gc, smooth, w_sum, WEIGHT(t)) * (((1.0f - th_t) * (1.0f + th_t)) * it);
        }
#endif
#endif
#endif
    }
}
