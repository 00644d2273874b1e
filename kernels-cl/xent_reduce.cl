// xent_reduce.cl - the loss of a device-resident cross-entropy call reduced on the device, so only
// four numbers come back instead of N per-row values. Two kernels, deterministic:
//   xent_reduce_blocks  work-group g walks the rows of block g (rows_per_block consecutive rows) in
//                       a fixed order, Kahan-compensated per work-item, then a tree; four partials
//                       per block. Many blocks keep the whole GPU busy (one work-group walking
//                       262144 rows took about as long as the cross-entropy kernel itself).
//   xent_reduce_finish  one work-group combines the blocks' partials in block order.
// The result depends on N and the block count only, never on scheduling.
//
//   result[0] = sum over counted rows of s_i * ce_i
//   result[1] = sum over counted rows of s_i * zeta * lse_i^2
//   result[2] = first row flagged for its logits (as int bits; N when none or when not refused)
//   result[3] = first row flagged for its soft targets (as int bits; N when none)
// rowout is xent.cl's per-row output (ce, lse, status, ...), s the sample weights (or 1).

#undef WG_PER_ROW
#define WG_PER_ROW 1
#include "common.cl"

inline int group_min(int v, __local int *buf) {
    buf[LID] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WGS / 2; s > 0; s >>= 1) {
        if (LID < s) {
            buf[LID] = min(buf[LID], buf[LID + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    int r = buf[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// Four partials per block: ce sum, z-loss sum, first bad-logits row, first bad-target row.
#define PARTS 4

// The work-group's four numbers (sums in a tree, first rows by min) into dst[0..3].
inline void write_parts(ksum ce, ksum zl, int bad_logits, int bad_target, __global float *dst,
                        __local float *red_f, __local int *red_i) {
    const float ce_sum = group_sum(ksum_value(ce), red_f);
    const float z_sum = group_sum(ksum_value(zl), red_f);
    bad_logits = group_min(bad_logits, red_i);
    bad_target = group_min(bad_target, red_i);
    if (LID == 0) {
        dst[0] = ce_sum;
        dst[1] = z_sum;
        dst[2] = as_float(bad_logits);
        dst[3] = as_float(bad_target);
    }
}

__kernel void xent_reduce_blocks(const int N, const int rows_per_block, __global const float *rowout,
                                 __global const int *targets, const int hard, const int ignore_index,
                                 __global const float *sample_w, const int has_sw, const float zeta,
                                 const int refuse_logits, __global float *partials) {
    LOCAL_SCRATCH
    const int g = (int) get_group_id(0);
    const int first = g * rows_per_block;
    const int end = min(N, first + rows_per_block);
    ksum ce = ksum_zero();
    ksum zl = ksum_zero();
    int bad_logits = N;
    int bad_target = N;
    for (int base = first; base < end; base += WGS) {
        const int i = base + LID;
        if (i < end) {
            const int status = as_int(rowout[2 * N + i]);
            if (refuse_logits && (status & STATUS_BAD_LOGITS) && i < bad_logits) {
                bad_logits = i;
            }
            if ((status & STATUS_BAD_TARGET) && i < bad_target) {
                bad_target = i;
            }
            if (!hard || targets[i] != ignore_index) {
                const float s = has_sw ? sample_w[i] : 1.0f;
                ksum_add(&ce, s * rowout[i]);
                if (zeta != 0.0f) {
                    const float lse = rowout[N + i];
                    ksum_add(&zl, s * (zeta * (lse * lse)));
                }
            }
        }
    }
    write_parts(ce, zl, bad_logits, bad_target, partials + PARTS * g, red_f, red_i);
}

__kernel void xent_reduce_finish(const int N, const int blocks, __global const float *partials,
                                 __global float *result) {
    LOCAL_SCRATCH
    ksum ce = ksum_zero();
    ksum zl = ksum_zero();
    int bad_logits = N;
    int bad_target = N;
    for (int base = 0; base < blocks; base += WGS) {
        const int b = base + LID;
        if (b < blocks) {
            ksum_add(&ce, partials[PARTS * b]);
            ksum_add(&zl, partials[PARTS * b + 1]);
            bad_logits = min(bad_logits, as_int(partials[PARTS * b + 2]));
            bad_target = min(bad_target, as_int(partials[PARTS * b + 3]));
        }
    }
    write_parts(ce, zl, bad_logits, bad_target, result, red_f, red_i);
}
