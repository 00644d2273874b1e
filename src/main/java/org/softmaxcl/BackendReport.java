package org.softmaxcl;

/**
 * Which backend an {@link Engine} chose, on which device, and why.
 *
 * @param kind   the backend
 * @param device a human-readable device name (for the CPU: the kernel path and thread count)
 * @param reason why this backend was chosen (or why OpenCL was not)
 */
public record BackendReport(BackendKind kind, String device, String reason) {
    /** One line: {@code backend=opencl device='...' reason='...'}. */
    @Override
    public String toString() {
        return "backend=" + kind.name().toLowerCase(java.util.Locale.ROOT) + " device='" + device + "' reason='" + reason + "'";
    }
}
