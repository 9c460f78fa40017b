package cljwasi;

import java.util.List;

/** An import or export as data: module (imports only), name, kind and, for functions, types. */
public final class Signature {
  public final String module;
  public final String name;
  /** "function", "memory", "table", "global" or "tag". */
  public final String kind;
  /** Value type names ("i32", "i64", "f32", "f64", "v128", "funcref", "externref"...). */
  public final List<String> params;
  public final List<String> results;

  Signature(String module, String name, String kind, List<String> params, List<String> results) {
    this.module = module;
    this.name = name;
    this.kind = kind;
    this.params = params;
    this.results = results;
  }
}
