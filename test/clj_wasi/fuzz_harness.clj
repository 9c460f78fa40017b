(ns clj-wasi.fuzz-harness
  "Runs binaryen fuzz modules (`wasm-opt --translate-to-fuzz`) on one engine the way
  binaryen's own harness (scripts/fuzz_shell.js, and wasm-opt --fuzz-exec) does, and
  records everything a run can observe, so that two engines' runs can be compared
  (clj-wasi.fuzz-test; docs/TESTING.md, \"Differential fuzzing\").

  A run is a plan of cases, each an export and its arguments, made once per module
  (`plan`) and replayed on every engine. Before each case the module's
  `hangLimitInitializer` export (binaryen's loop and recursion budget) is called, as
  --fuzz-exec does, so no case runs long. What a case records: its results (typed;
  an f32/f64 NaN as :nan, the one nondeterminism the spec allows at a call boundary)
  or its failure (the WasmException's type and kind), the fuzzing-support host calls
  it made, and the module's globals after it. At the end: the memory's bytes and the
  tables."
  (:require [clojure.string :as str])
  (:import (cljwasi Engine Module ModuleInstance WasmException)
           (cljwasi.engine.compiler BackgroundCompile)
           (clojure.lang ExceptionInfo)
           (com.dylibso.chicory.runtime ExecutionListener ExportFunction GlobalInstance HostFunction
                                        ImportValues Instance TableInstance
                                        WasmFunctionHandle)
           (com.dylibso.chicory.wasm.types FunctionImport FunctionType ValType)
           (java.security MessageDigest)
           (java.util ArrayList HexFormat List SplittableRandom)))

(set! *warn-on-reflection* true)

;; ---- values ------------------------------------------------------------------------------

(def ^:private ref-null
  "Chicory's representation of a null reference (funcref/externref) in a long slot."
  -1)

(defn- slots
  "How many long slots a value of type `t` (a name: \"i32\", \"v128\"...) takes in
  Chicory's calling convention."
  ^long [t]
  (if (= "v128" t) 2 1))

(defn- ref-type? [t] (str/ends-with? (str t) "ref"))

(defn- value
  "The observable value of type `t` in slots `xs` from index `i`: i32 as int, f32/f64
  as their bits or :nan (NaN payloads of arithmetic results are nondeterministic in
  the spec), v128 as two longs, references as their index (null -1)."
  [t ^longs xs i]
  (let [x (aget xs i)]
    (case t
      "i32" (long (unchecked-int x))
      "i64" x
      "f32" (let [bits (unchecked-int x)]
              (if (Float/isNaN (Float/intBitsToFloat bits)) :nan (long bits)))
      "f64" (if (Double/isNaN (Double/longBitsToDouble x)) :nan x)
      "v128" [x (aget xs (inc i))]
      x)))

(defn values
  "The observable values of `types` (names) laid out in the long slots `xs`."
  [types ^longs xs]
  (loop [[t & more :as ts] types, i 0, out []]
    (if (empty? ts)
      out
      (recur more (+ i (slots t)) (conj out (value t xs i))))))

(defn type-name
  "A Chicory value type's name as clj-wasi spells it."
  [^ValType t]
  (Module/typeName t))

;; ---- the fuzzing-support imports ----------------------------------------------------------

(defn- host-throw
  "The exception binaryen's `throw` import raises (a JS exception in fuzz_shell.js)."
  [why]
  (ex-info (str "fuzzing-support: " why) {::host-throw true}))

(defn- caught-by-js?
  "Whether binaryen's harness would catch `t` as an exception rather than let it halt
  as a trap: a host exception, or a Wasm exception (throw) that reached the host,
  wherever an engine wrapped it."
  [^Throwable t]
  (some (fn [^Throwable c]
          (or (::host-throw (ex-data c))
              (instance? com.dylibso.chicory.runtime.WasmException c)))
        (take-while some? (iterate #(.getCause ^Throwable %) t))))

(defn- default-args
  "The arguments binaryen's harness passes: zero for numbers, null for references."
  ^longs [params]
  (long-array (mapcat (fn [t] (repeat (slots t) (if (ref-type? t) ref-null 0))) params)))

(defn- call-export-by-index
  "Calls the module's export number `idx` (in export order, every kind counted, as
  fuzz_shell.js's exportList) with default arguments; not a function, or no such
  export: a host exception, as the TypeError JS would raise."
  [^Instance inst export-list idx]
  (let [[name kind params] (nth export-list idx nil)]
    (when-not (= "function" kind)
      (throw (host-throw (str "call-export " idx ": not a function export"))))
    (.apply ^ExportFunction (.export inst ^String name) (default-args params))))

(defn- fuzzing-support-fn
  "The host function for import `name` of type `type`, recording into `log`; nil for
  an import binaryen's harness does not provide."
  [^String name ^FunctionType type ^List log export-list]
  (let [params (mapv type-name (.params type))
        record! (fn [args] (.add log (into [name] (values params args))))
        handle (case name
                 ("log-i32" "log-i64" "log-f32" "log-f64" "log-v128")
                 (fn [_ args] (record! args) nil)
                 "throw"
                 (fn [_ args] (record! args) (throw (host-throw "throw")))
                 "call-export"
                 (fn [inst ^longs args]
                   (record! args)
                   (call-export-by-index inst export-list (aget args 0))
                   nil)
                 "call-export-catch"
                 (fn [inst ^longs args]
                   (record! args)
                   (long-array
                    [(try (call-export-by-index inst export-list (aget args 0)) 0
                          (catch Throwable t
                            (if (caught-by-js? t) 1 (throw t))))]))
                 nil)]
    (when handle
      (HostFunction. "fuzzing-support" name (.params type) (.returns type)
                     (reify WasmFunctionHandle
                       (apply [_ inst args] (handle inst args)))))))

(defn- function-imports
  "[module name FunctionType] of each function import of `m`."
  [^Module m]
  (let [wm (.parsed m)
        is (.importSection wm)]
    (for [i (range (.importCount is))
          :let [imp (.getImport is i)]
          :when (instance? FunctionImport imp)]
      [(.module imp) (.name imp) (.getType (.typeSection wm) (.typeIndex ^FunctionImport imp))])))

(defn export-list
  "[name kind params results] of every export of `m`, in order."
  [^Module m]
  (mapv (fn [[name s]]
          [name (.kind ^cljwasi.Signature s) (vec (.params ^cljwasi.Signature s))
           (vec (.results ^cljwasi.Signature s))])
        (.exports m)))

(defn host-functions
  "The fuzzing-support host functions `m` imports, recording into `log`; nil when `m`
  imports anything the harness does not provide."
  [^Module m ^List log]
  (let [exports (export-list m)
        fns (for [[module name type] (function-imports m)]
              (when (= "fuzzing-support" module) (fuzzing-support-fn name type log exports)))]
    (when (every? some? fns) (vec fns))))

;; ---- the plan ------------------------------------------------------------------------------

(def hang-limit-export
  "The export binaryen's fuzz modules reset their hang budget with."
  "hangLimitInitializer")

(defn- random-value
  "Slots of a random value of type `t`: mostly edge values, some uniformly random."
  [t ^SplittableRandom rnd]
  (let [pick (fn [v] (nth v (.nextInt rnd (count v))))
        any? (zero? (.nextInt rnd 3))]
    (case t
      "i32" [(if any?
               (.nextInt rnd)
               (pick [0 1 -1 2 -2 7 8 16 31 32 255 256 65535 65536 (.nextInt rnd -1000 1000)
                      Integer/MIN_VALUE Integer/MAX_VALUE (dec Integer/MAX_VALUE)]))]
      "i64" [(if any?
               (.nextLong rnd)
               (pick [0 1 -1 2 63 64 4294967295 4294967296 (.nextInt rnd -1000 1000)
                      Long/MIN_VALUE Long/MAX_VALUE Integer/MIN_VALUE Integer/MAX_VALUE]))]
      "f32" [(bit-and 0xFFFFFFFF
                      (if any?
                        (.nextInt rnd)
                        (pick (mapv #(Float/floatToRawIntBits (float %))
                                    [0.0 -0.0 1.0 -1.0 0.5 -1.5 2147483648.0 -2147483904.0
                                     4294967296.0 Float/MIN_VALUE Float/MAX_VALUE
                                     Float/POSITIVE_INFINITY Float/NEGATIVE_INFINITY
                                     (* 1000 (.nextDouble rnd))
                                     (Float/intBitsToFloat 0x7fc00000)]))))]
      "f64" [(if any?
               (.nextLong rnd)
               (pick (into [0x7ff8000000000001 (unchecked-long 0xfff4000000000000)]
                           (map #(Double/doubleToRawLongBits %))
                           [0.0 -0.0 1.0 -1.0 0.5 -1.5 9.223372036854775807E18 -2.147483649E9
                            4.294967296E9 Double/MIN_VALUE Double/MAX_VALUE
                            Double/POSITIVE_INFINITY Double/NEGATIVE_INFINITY
                            (* 1e6 (- (.nextDouble rnd) 0.5)) ##NaN])))]
      "v128" [(.nextLong rnd) (.nextLong rnd)]
      [ref-null])))

(defn plan
  "The cases to run on `m`: every function export in order with default arguments (as
  binaryen's harness), then `rounds` more passes over the exports that take a number,
  with arguments from a generator seeded by `seed`. Each case: {:export :params
  :results :args (a long[] in Chicory's slots)}."
  [^Module m seed rounds]
  (let [fns (filterv #(and (= "function" (second %)) (not= hang-limit-export (first %)))
                     (export-list m))
        rnd (SplittableRandom. (long seed))
        case-of (fn [[name _ params results] args]
                  {:export name :params params :results results :args args})]
    (into (mapv #(case-of % (default-args (nth % 2))) fns)
          (for [_ (range rounds)
                f fns
                :let [params (nth f 2)]
                :when (some #{"i32" "i64" "f32" "f64" "v128"} params)]
            (case-of f (long-array (mapcat #(random-value % rnd) params)))))))

;; ---- running ------------------------------------------------------------------------------

(defn crash-signature
  "Where the innermost cause of `t` was thrown: \"its class at Class.method\"."
  [^Throwable t]
  (let [^Throwable root (last (take-while some? (iterate #(.getCause ^Throwable %) t)))
        ^StackTraceElement top (first (.getStackTrace root))]
    (str (.getName (class root)) (when top (str " at " (.getClassName top) "." (.getMethodName top))))))

(defn- failure
  "What a case's failure shows: the WasmException's type and kind, whether it was the
  harness's own host exception, and for any other host error (the engine itself
  failed: nothing else in a fuzz module throws) where it was thrown, as :crash."
  [^WasmException e]
  (let [host-throw? (caught-by-js? e)]
    (cond-> {:type (keyword (.type e))}
      (get (.data e) "kind") (assoc :kind (keyword (get (.data e) "kind")))
      host-throw? (assoc :host-throw true)
      (and (= "host-error" (.type e)) (not host-throw?)) (assoc :crash (crash-signature e)))))

(defn- globals
  "The value of every global of `inst`, typed as `value` shows them."
  [^Instance inst]
  (mapv (fn [i]
          (let [^GlobalInstance g (.global inst (int i))
                t (type-name (.getType g))]
            (value t (long-array [(.getValueLow g) (.getValueHigh g)]) 0)))
        (range (.globalCount inst))))

(defn- tables
  "The elements of every table of `inst` (function indices, null -1)."
  [^Instance inst]
  (mapv (fn [i]
          (let [^TableInstance t (.table inst (int i))]
            (mapv #(.ref t (int %)) (range (.size t)))))
        (range (.tableCount inst))))

(defn- memory-bytes ^bytes [^Instance inst]
  (when-let [mem (.memory inst)]
    (.readBytes mem 0 (* (.pages mem) com.dylibso.chicory.runtime.Memory/PAGE_SIZE))))

(defn digest
  "Hex SHA-256 of `bs` (nil for nil)."
  [^bytes bs]
  (when bs (.formatHex (HexFormat/of) (.digest (MessageDigest/getInstance "SHA-256") bs))))

(defn stops-run?
  "Whether a case's outcome ends the comparable part of a run: a timeout (the
  instance is closed) or stack exhaustion (its depth, and so the side effects before
  it, may differ between engines)."
  [outcome]
  (or (= :timeout (get-in outcome [:failure :type]))
      (= :stack-overflow (get-in outcome [:failure :kind]))))

(declare ^:private run-module*)

(defn- finish-background-compile
  "Lets `m`'s held background compilation under :auto run and waits for it (a minute at
  most): the calls after this one run compiled. Returns whether they do."
  [^Module m]
  (BackgroundCompile/release)
  (let [f (.machineFactory m Engine/AUTO nil)]
    (and (.awaitCompiled m 60000)
         (instance? BackgroundCompile f)
         (.isCompiled ^BackgroundCompile f))))

(defn run-module
  "Instantiates `m` on `engine` (a cljwasi.Engine) with the fuzzing-support imports and
  runs `cases` (from `plan`) until one `stops-run?`. Each call gets `timeout-ms`.
  Returns {:machine (class name of what ran) :switched (whether the calls switched to
  compiled code in the middle) :instantiate (nil, or a failure)
  :cases [{:result | :failure, :log, :globals}] :memory (bytes) :tables}, :memory and
  :tables only when no case stopped the run.

  On :auto background compiling is turned on (it is opt-in) and the module's background
  compilation (a first run of `m` on :auto) is held until half the cases have run: they
  run interpreted, the rest compiled, in one instance, so the switch itself is compared.
  (:auto's default, compile first, runs the code :compiler runs.)"
  [^Module m ^Engine engine cases timeout-ms]
  (if (= engine Engine/AUTO)
    (let [old (System/getProperty BackgroundCompile/PROPERTY)]
      (System/setProperty BackgroundCompile/PROPERTY "on")
      (BackgroundCompile/hold)
      (try (run-module* m engine cases timeout-ms (quot (count cases) 2))
           (finally (BackgroundCompile/release)
                    (if old
                      (System/setProperty BackgroundCompile/PROPERTY old)
                      (System/clearProperty BackgroundCompile/PROPERTY)))))
    (run-module* m engine cases timeout-ms nil)))

(defn- run-module*
  [^Module m ^Engine engine cases timeout-ms switch-at]
  (let [log (ArrayList.)
        switched (atom false)
        hosts (or (host-functions m log)
                  (throw (ex-info "the module imports what the fuzz harness does not provide"
                                  {:imports (mapv #(vec (take 2 %)) (function-imports m))})))
        b (doto (ModuleInstance/builder m) (.engine engine) (.timeoutMillis (long timeout-ms)))
        _ (doseq [h hosts] (.hostFunction b h))
        mi (try (.build b) (catch WasmException e e))]
    (if (instance? WasmException mi)
      {:instantiate (failure mi) :cases []}
      (with-open [^ModuleInstance mi mi]
        (let [inst (.chicory mi)
              reset (when (contains? (.exports m) hang-limit-export)
                      (.export mi hang-limit-export))
              run-case (fn [{:keys [^String export ^longs args results]}]
                         (.clear log)
                         (let [r (try
                                   (when reset (.call mi ^ExportFunction reset hang-limit-export (long-array 0)))
                                   {:result (values results (.call mi (.export mi export) export args))}
                                   (catch WasmException e {:failure (failure e)}))]
                           (assoc r :log (vec log)
                                  :globals (when-not (.isClosed mi) (globals inst)))))
              outcomes (loop [[c & more] cases, out []]
                         (if (nil? c)
                           out
                           (let [_ (when (= switch-at (count out))
                                     (reset! switched (finish-background-compile m)))
                                 o (run-case c)]
                             (if (stops-run? o) (conj out o) (recur more (conj out o))))))
              stopped? (some stops-run? outcomes)]
          (cond-> {:machine (.getName (class (.getMachine inst)))
                   :switched @switched
                   :instantiate nil
                   :cases outcomes}
            (not stopped?) (assoc :memory (memory-bytes inst) :tables (tables inst))))))))

;; ---- comparing ----------------------------------------------------------------------------

(defn- first-difference
  "The first offset where byte arrays `a` and `b` differ (or their shorter length)."
  [^bytes a ^bytes b]
  (let [n (java.util.Arrays/mismatch a b)]
    (when (>= n 0) n)))

(defn divergences
  "How run `got` differs from run `expected` over `cases`: a seq of
  {:case i :export :args :what :expected :got}, empty when they agree. Cases after one
  that stops the reference's run are not compared; a reference stopped by stack
  exhaustion needs the same from the other engine, at any depth."
  [cases expected got]
  (let [case-info (fn [i] (let [{:keys [export args]} (nth cases i)]
                            {:case i :export export :args (vec args)}))]
    (if (not= (:instantiate expected) (:instantiate got))
      [{:what :instantiate :expected (:instantiate expected) :got (:instantiate got)}]
      (concat
       (for [[i e g] (map vector (range) (:cases expected) (:cases got))
             k [:result :failure :log :globals]
             :when (and (not= :timeout (get-in e [:failure :type])) ; the reference's limit
                        (not= (k e) (k g))
                        ;; after stack exhaustion the side effects depend on the depth
                        (not (and (#{:log :globals} k) (stops-run? e) (stops-run? g))))]
         (merge (case-info i) {:what k :expected (k e) :got (k g)}))
       (when (not= (count (:cases expected)) (count (:cases got)))
         [{:what :case-count :expected (count (:cases expected)) :got (count (:cases got))}])
       (when (and (contains? expected :memory)
                  (not (java.util.Arrays/equals ^bytes (:memory expected) ^bytes (:memory got))))
         [{:what :memory :expected (digest (:memory expected)) :got (digest (:memory got))
           :first-difference (first-difference (:memory expected) (:memory got))}])
       (when (and (contains? expected :tables) (not= (:tables expected) (:tables got)))
         [{:what :tables :expected (:tables expected) :got (:tables got)}])))))

;; ---- probes for known bugs -----------------------------------------------------------------

(defn replay-watching
  "For the probes of `known-divergences` (fuzz-test). Replays `cases` on the reference's machine (the :interpreter engine's) with `listener`
  seeing every instruction before it runs, as `run-module` runs them (outcomes are not
  kept); the index of the first case after which `hit?` is true, or nil."
  [^Module m cases ^ExecutionListener listener hit?]
  (let [^Instance inst (-> (Instance/builder (.parsed m))
                           (.withImportValues (-> (ImportValues/builder)
                                                  (.withFunctions (host-functions m (ArrayList.)))
                                                  (.build)))
                           (.withMachineFactory (.machineFactory m Engine/INTERPRETER nil))
                           (.withTableFactory (.tableFactory m))
                           (.withUnsafeExecutionListener listener)
                           (.withStart false)
                           (.build))
        reset (when (contains? (.exports m) hang-limit-export) (.export inst hang-limit-export))]
    (loop [[{:keys [^String export ^longs args]} & more :as cs] cases, i 0]
      (when (seq cs)
        (try
          (when reset (.apply ^ExportFunction reset (long-array 0)))
          (.apply (.export inst export) args)
          (catch Throwable _ nil))
        (if (hit?) i (recur more (inc i)))))))

;; ---- the corpus ---------------------------------------------------------------------------

(defn parse-module
  "The module in file `f` when clj-wasi parses it, else nil (binaryen 108's reference
  types, for one, predate the final spec)."
  ^Module [^java.io.File f]
  (try (Module/parse (.toPath f)) (catch WasmException _ nil)))

(defn runnable?
  "Whether `m` imports only what the harness provides and instantiates on the
  interpreter."
  [^Module m]
  (boolean (and (host-functions m (ArrayList.))
                (nil? (:instantiate (run-module m Engine/INTERPRETER [] 0))))))

(defn -main
  "keep FROM TO: copies the .wasm files of directory FROM that are `runnable?` into TO
  (test/fuzz/build.sh)."
  [cmd from to]
  (when-not (= "keep" cmd)
    (throw (ex-info (str "unknown command " cmd) {:command cmd})))
  (let [files (sort (filter #(str/ends-with? (.getName ^java.io.File %) ".wasm")
                            (.listFiles (java.io.File. ^String from))))
        kept (filter #(some-> (parse-module %) runnable?) files)]
    (doseq [^java.io.File f kept]
      (java.nio.file.Files/copy (.toPath f) (.toPath (java.io.File. ^String to (.getName f)))
                                ^"[Ljava.nio.file.CopyOption;"
                                (into-array java.nio.file.CopyOption
                                            [java.nio.file.StandardCopyOption/REPLACE_EXISTING])))
    (println (format "kept %d of %d modules" (count kept) (count files)))
    (shutdown-agents)))
