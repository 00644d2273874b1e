package org.softmaxcl.backend;

import org.softmaxcl.FloatMatrix;

/**
 * A checked backward call, all matrices N×K.
 *
 * <ul>
 *   <li>{@code log == false}: {@code y} holds s = softmax(z); {@code dx = s ⊙ (g − ⟨g, s⟩)}.</li>
 *   <li>{@code log == true}: {@code y} holds log-softmax(z); {@code dx = g − exp(y) · Σ_j g_j}.</li>
 * </ul>
 * {@code dx} may be the same view as {@code g} (in place); otherwise it overlaps neither input.
 */
public record BackwardTask(FloatMatrix y, FloatMatrix g, FloatMatrix dx, boolean log) {
    public int rows() {
        return y.rows();
    }

    public int cols() {
        return y.cols();
    }
}
