package org.softmaxcl.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON object printer for the command line's machine-readable output: keys in insertion
 * order, values {@link String}, {@link Number}, {@link Boolean}, null, nested {@code Json}
 * objects and {@link List}s of those.
 *
 * <p>Doubles are printed with {@link Double#toString(double)} (the shortest text that parses back
 * to the same bits, so a caller can compare them exactly); NaN and ±infinity, which JSON cannot
 * hold, are printed as {@code null}.
 */
public final class Json {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    /** A new empty object. */
    public static Json object() {
        return new Json();
    }

    /** Sets {@code key} (replacing an earlier value) and returns this object. */
    public Json put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    /** The object on one line. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        write(s, this);
        return s.toString();
    }

    private static void write(StringBuilder s, Object v) {
        if (v == null) {
            s.append("null");
        } else if (v instanceof Json) {
            s.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : ((Json) v).fields.entrySet()) {
                if (!first) {
                    s.append(", ");
                }
                first = false;
                string(s, e.getKey());
                s.append(": ");
                write(s, e.getValue());
            }
            s.append('}');
        } else if (v instanceof List) {
            s.append('[');
            boolean first = true;
            for (Object o : (List<?>) v) {
                if (!first) {
                    s.append(", ");
                }
                first = false;
                write(s, o);
            }
            s.append(']');
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                s.append("null");
            } else if (v instanceof Float) {
                s.append(Float.toString((Float) v));
            } else {
                s.append(Double.toString(d));
            }
        } else if (v instanceof Number || v instanceof Boolean) {
            s.append(v);
        } else {
            string(s, v.toString());
        }
    }

    private static void string(StringBuilder s, String text) {
        s.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': s.append("\\\""); break;
                case '\\': s.append("\\\\"); break;
                case '\n': s.append("\\n"); break;
                case '\r': s.append("\\r"); break;
                case '\t': s.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
            }
        }
        s.append('"');
    }
}
