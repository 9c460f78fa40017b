package cljwasi;

/** How a module's functions run. */
public enum Engine {
  /** Chicory's interpreter: starts at once, runs slowly. */
  INTERPRETER,
  /** Chicory's runtime compiler: Wasm to JVM bytecode for the whole module before running. */
  COMPILER,
  /** The compiler, with the interpreter for any function (or module) the compiler refuses. */
  AUTO
}
