package cljwasi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every failure of the Java core: a {@code type} (e.g. "malformed", "missing-imports",
 * "trap", "bad-argument", "timeout", "limit") plus data. The Clojure API turns it into an
 * ex-info whose data has {@code :type :wasm/<type>} and the data keys as keywords.
 */
public final class WasmException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String type;
  private final Map<String, Object> data;

  public WasmException(String type, String message, Map<String, Object> data, Throwable cause) {
    super(message, cause);
    this.type = type;
    this.data = Collections.unmodifiableMap(new LinkedHashMap<>(data));
  }

  public WasmException(String type, String message, Map<String, Object> data) {
    this(type, message, data, null);
  }

  public String type() {
    return type;
  }

  public Map<String, Object> data() {
    return data;
  }
}
