package org.softmaxcl.backend;

import org.softmaxcl.FloatMatrix;
import org.softmaxcl.SoftmaxOptions;

/**
 * A checked softmax call: {@code out = softmax(in / T)} (or its log) row-wise, N×K.
 *
 * @param in   logits, N×K. Not modified unless {@code out} is the same view (in place)
 * @param out  result, N×K. Modified
 * @param log  true for log-softmax
 * @param opts temperature and non-finite policy
 */
public record SoftmaxTask(FloatMatrix in, FloatMatrix out, boolean log, SoftmaxOptions opts) {
    public int rows() {
        return in.rows();
    }

    public int cols() {
        return in.cols();
    }
}
