(ns clj-wasi.impl.prep
  "Fails early, with what to do, when clj-wasi's Java core is not compiled. A project
  that uses clj-wasi through :local/root gets the classes from `clojure -X:deps prep`;
  when they are missing (never prepped, or the library's target/ wiped), the first
  :import of a cljwasi class would otherwise fail with a bare ClassNotFoundException.
  Required before any namespace that imports cljwasi classes.")

(def ^:private message
  (str "clj-wasi's Java core is not compiled (class %s is not on the classpath): "
       "run `clojure -X:deps prep` in the project that depends on clj-wasi "
       "(or `bin/clojure -T:build compile-java` in a clj-wasi checkout), then restart the REPL"))

(defn check!
  "Throws ex-info :wasm/not-compiled unless class `class-name` can be loaded."
  [class-name]
  (try
    (Class/forName class-name false (clojure.lang.RT/baseLoader))
    nil
    (catch ClassNotFoundException _
      (throw (ex-info (format message class-name) {:type :wasm/not-compiled :class class-name})))))

(check! "cljwasi.WasmException")
