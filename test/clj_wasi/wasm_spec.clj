(ns clj-wasi.wasm-spec
  "Runs the WebAssembly spec test suite's commands (wast2json's json, converted by
  test/spec/build.sh) through clj-wasi's public Java API (cljwasi.Module,
  cljwasi.ModuleInstance) on one engine, and says for each command whether it passed.
  clj-wasi.wasm-spec-test holds the tests; `report` prints the counts per engine.

  Each module is parsed once per file and shared by the engines (a Module compiles
  once per engine). Imports come from the registered instances' exports
  (ModuleInstance.exportAs), the spectest module (test/spec/spectest.wasm) being
  registered first, as the reference interpreter does."
  (:require [clojure.data.json :as json]
            [clojure.java.io :as io]
            [clojure.string :as str])
  (:import (cljwasi Engine Module ModuleInstance Signature WasmException)
           (cljwasi.engine ChicoryInternals)
           (com.dylibso.chicory.wasm.types Value)
           (java.io File)
           (java.nio ByteBuffer ByteOrder)
           (java.util.zip GZIPInputStream)))

(def suite-dir "test/spec/suite")

(def engines
  "The engines every file runs on, as clj-wasi names them."
  [:interpreter :compiler :auto])

(def ^:private engine-enums
  {:interpreter Engine/INTERPRETER :compiler Engine/COMPILER :auto Engine/AUTO})

(def call-timeout-ms
  "A call that runs longer is an engine bug (every spec command is quick), not a hang."
  60000)

(defn files
  "The converted files' names (e.g. \"i32\"), sorted."
  []
  (->> (.listFiles (io/file suite-dir))
       (filter #(.isDirectory ^File %))
       (map #(.getName ^File %))
       sort))

(defn commands
  "The commands of converted file `name`, as wast2json wrote them (keys keywordized)."
  [name]
  (with-open [r (io/reader (GZIPInputStream. (io/input-stream (io/file suite-dir name (str name ".json.gz")))))]
    (:commands (json/read r :key-fn keyword))))

;; ---------------------------------------------------------------------------------------
;; values: wast2json writes every number as the unsigned decimal of its bits

(defn- bits ^long [^String s] (Long/parseUnsignedLong s))

(def ^:private lane-bytes {"i8" 1 "i16" 2 "i32" 4 "f32" 4 "i64" 8 "f64" 8})

(defn- v128-buffer
  "The 16 bytes of v128 `lanes` (strings of type `lane-type`), little-endian."
  ^ByteBuffer [lane-type lanes]
  (let [buf (.order (ByteBuffer/allocate 16) ByteOrder/LITTLE_ENDIAN)]
    (doseq [l lanes]
      (let [b (bits l)]
        (case (long (lane-bytes lane-type))
          1 (.put buf (unchecked-byte b))
          2 (.putShort buf (unchecked-short b))
          4 (.putInt buf (unchecked-int b))
          8 (.putLong buf b))))
    (.flip buf)))

(defn- ref-bits
  "The long Chicory passes for a reference: its index, or REF_NULL_VALUE."
  ^long [{:keys [value]}]
  (if (= value "null") Value/REF_NULL_VALUE (bits value)))

(defn- encode
  "The longs of argument `v` (two for a v128)."
  [{:keys [type value lane_type] :as v}]
  (case type
    "i32" [(long (unchecked-int (bits value)))]
    ("i64" "f32" "f64") [(bits value)]
    "v128" (let [b (v128-buffer lane_type value)] [(.getLong b 0) (.getLong b 8)])
    ("funcref" "externref") [(ref-bits v)]))

(defn- nan-matches?
  "Whether float bits `b` match NaN pattern `pattern` for a float of width 32 or 64."
  [pattern width ^long b]
  (let [[sign-mask quiet exp-mask] (if (= width 32)
                                     [0x7fffffff 0x7fc00000 0x7f800000]
                                     [0x7fffffffffffffff 0x7ff8000000000000 0x7ff0000000000000])
        mag (bit-and b sign-mask)]
    (case pattern
      "nan:canonical" (= mag quiet)
      "nan:arithmetic" (and (= (bit-and mag exp-mask) exp-mask)
                            (= (bit-and mag quiet) quiet)))))

(defn- scalar-matches? [type ^String expected ^long actual]
  (case type
    "i32" (= (unchecked-int (bits expected)) (unchecked-int actual))
    "i64" (= (bits expected) actual)
    "f32" (if (str/starts-with? expected "nan:")
            (nan-matches? expected 32 (bit-and actual 0xffffffff))
            (= (unchecked-int (bits expected)) (unchecked-int actual)))
    "f64" (if (str/starts-with? expected "nan:")
            (nan-matches? expected 64 actual)
            (= (bits expected) actual))))

(defn- lane-values
  "The lanes of v128 (low, high) as the longs of `lane-type` (floats as their bits)."
  [lane-type low high]
  (let [buf (.order (ByteBuffer/allocate 16) ByteOrder/LITTLE_ENDIAN)
        _ (.putLong buf low)
        _ (.putLong buf high)
        _ (.flip buf)
        n (quot 16 (long (lane-bytes lane-type)))]
    (vec (repeatedly n #(case (long (lane-bytes lane-type))
                          1 (bit-and (.get buf) 0xff)
                          2 (bit-and (.getShort buf) 0xffff)
                          4 (bit-and (.getInt buf) 0xffffffff)
                          8 (.getLong buf))))))

(defn- slots ^long [{:keys [type]}] (if (= type "v128") 2 1))

(defn- value-matches?
  "Whether the longs `actual` (one, or two for a v128) are expected value `e`."
  [{:keys [type value lane_type] :as e} actual]
  (case type
    ("i32" "i64" "f32" "f64") (scalar-matches? type value (first actual))
    "v128" (every? true? (map (fn [ev av]
                                (scalar-matches? (if (#{"i8" "i16"} lane_type) "i32" lane_type) ev av))
                              value (lane-values lane_type (first actual) (second actual))))
    ("funcref" "externref") (if (nil? value)
                              (not= Value/REF_NULL_VALUE (first actual)) ; (ref.func)/(ref.extern): any non-null
                              (= (ref-bits e) (first actual)))))

(defn- show-value
  "`v` (an argument or expected value) as the .wast writes it, e.g. (i32.const 4294967295)."
  [{:keys [type value lane_type]}]
  (case type
    "v128" (str "(v128.const " lane_type " " (str/join " " value) ")")
    ("funcref" "externref") (str "(ref." (if (= value "null") "null" (subs type 0 (- (count type) 3)))
                                 (when (and value (not= value "null")) (str " " value)) ")")
    (str "(" type ".const " value ")")))

(defn- show-actual
  "Results `longs` read as the types of `expected` (each scalar also in hex; floats as numbers)."
  [expected longs]
  (loop [es expected, ls (seq longs), out []]
    (if-let [e (first es)]
      (let [[mine rest-ls] (split-at (slots e) ls)
            v (first mine)]
        (recur (rest es) rest-ls
               (conj out (case (:type e)
                           "i32" (format "(i32.const %d 0x%08x)" (unchecked-int v) (bit-and v 0xffffffff))
                           "i64" (format "(i64.const %d 0x%016x)" v v)
                           "f32" (format "(f32.const %s 0x%08x)" (Float/intBitsToFloat (unchecked-int v)) (bit-and v 0xffffffff))
                           "f64" (format "(f64.const %s 0x%016x)" (Double/longBitsToDouble v) v)
                           "v128" (let [lt (:lane_type e)
                                        show (case lt
                                               "f32" #(str (Float/intBitsToFloat (unchecked-int %)))
                                               "f64" #(str (Double/longBitsToDouble %))
                                               str)]
                                    (str "(v128.const " lt " "
                                         (str/join " " (map show (lane-values lt (first mine) (second mine))))
                                         ")"))
                           (if (= v Value/REF_NULL_VALUE) "(ref.null)" (str "(ref " v ")"))))))
      (cond-> (str/join " " out)
        (seq ls) (str " and more results: " (vec ls))))))

;; ---------------------------------------------------------------------------------------
;; modules: parsed once per file, shared by the engines

(defn- parse-outcome
  "{:module m} or {:error e}: parsing `filename` of file `name`."
  [name filename]
  (try {:module (Module/parse (.toPath (io/file suite-dir name filename)))}
       (catch WasmException e {:error e})))

(def ^:private spectest
  (delay (Module/parse (.toPath (io/file "test/spec/spectest.wasm")))))

(defn- await-background-compile
  "On :auto, waits for `module`'s background compilation (a minute at most), so that the
  commands after instantiation run what :auto runs once compiled, every run alike (the
  instantiation itself, the start function included, ran interpreted)."
  [^Module module engine]
  (when (= engine :auto)
    (.awaitCompiled module 60000)))

(defn- instantiate
  "A ModuleInstance of `module` on `engine`, its imports taken from the `registered`
  instances (by import module name). An export a provider lacks is left out, so that
  the module fails to link as it must."
  ^ModuleInstance [^Module module engine registered]
  (let [b (-> (ModuleInstance/builder module)
              (.engine (engine-enums engine))
              (.timeoutMillis call-timeout-ms))]
    (doseq [^Signature s (.imports module)
            :let [^ModuleInstance provider (get registered (.module s))]
            :when (and provider (contains? (.exports (.module provider)) (.name s)))]
      (.importValue b (.exportAs provider (.name s) (.module s) (.name s))))
    (let [inst (.build b)]
      (await-background-compile module engine)
      inst)))

(defn- error-summary
  "What exception `e` is, for a message: its type (and kind), or its class and message."
  [^Throwable e]
  (if (instance? WasmException e)
    (let [^WasmException w e]
      (str ":wasm/" (.type w) (when-let [k (get (.data w) "kind")] (str " :" k)) " \"" (.getMessage w) "\""))
    (str "raw " (.getName (class e)) ": " (.getMessage e))))

(defn- wasm-error-type [^Throwable e]
  (when (instance? WasmException e) (.type ^WasmException e)))

(defn- expected-trap-kind
  "The :kind of :wasm/trap a spec trap message names (nil when clj-wasi has no kind for it)."
  [text]
  (let [k (ChicoryInternals/trapKind (RuntimeException. ^String text))]
    (when (not= k "trap") k)))

;; ---------------------------------------------------------------------------------------
;; commands. Each returns [outcome state']: outcome is :pass, :skipped (a text module),
;; [:blocked line] (its module failed at `line`), or [:fail message].

(defn- target
  "The instance an action addresses, or [:blocked line] when its module failed."
  [state module-name]
  (let [m (if module-name (get-in state [:named module-name]) (:current state))]
    (cond (nil? m) [:fail (str "no module " (or module-name "defined yet"))]
          (map? m) [:blocked (:failed-at m)]
          :else m)))

(defn- perform
  "Runs `action`; {:results longs} or {:error e} or an outcome (blocked, no module)."
  [state {:keys [type module field args]}]
  (let [t (target state module)]
    (if (vector? t)
      {:outcome t}
      (let [^ModuleInstance inst t]
        (try
          (case type
            "invoke" {:results (.call inst ^String field (long-array (mapcat encode args)))}
            "get" (let [g (.. inst chicory exports (global field))]
                    {:results (if (= "v128" (Module/typeName (.getType g)))
                                (long-array [(.getValueLow g) (.getValueHigh g)])
                                (long-array [(.getValue g)]))}))
          (catch Throwable e {:error e}))))))

(defn- show-action [{:keys [type field args]}]
  (case type
    "invoke" (str "(invoke \"" field "\"" (apply str (map #(str " " (show-value %)) args)) ")")
    "get" (str "(get \"" field "\")")))

(defn- assert-return [state {:keys [action expected]}]
  (let [{:keys [outcome results error]} (perform state action)
        want (str/join " " (map show-value expected))]
    (cond outcome outcome
          error [:fail (str (show-action action) ": expected " want ", threw " (error-summary error))]
          (and (= (count results) (reduce + (map slots expected)))
               (loop [es expected, rs (seq results)]
                 (if-let [e (first es)]
                   (let [[mine more] (split-at (slots e) rs)]
                     (and (value-matches? e mine) (recur (rest es) more)))
                   true)))
          :pass
          :else [:fail (str (show-action action) ": expected " (if (seq expected) want "no results")
                            ", got " (if (seq results) (show-actual expected results) "no results"))])))

(defn- assert-failure
  "An action that must fail with a :wasm/trap (of the kind `text` names, when known)."
  [state {:keys [action text]} want-kind]
  (let [{:keys [outcome results error]} (perform state action)
        kind (or want-kind (expected-trap-kind text))]
    (cond outcome outcome
          (nil? error) [:fail (str (show-action action) ": expected a trap \"" text "\", returned "
                                   (vec results))]
          (and (= "trap" (wasm-error-type error))
               (or (nil? kind) (= kind (get (.data ^WasmException error) "kind"))))
          :pass
          :else [:fail (str (show-action action) ": expected :wasm/trap"
                            (when kind (str " :" kind)) " (\"" text "\"), threw " (error-summary error))])))

(defn- load-module
  "Instantiates module command `cmd`: [outcome state']."
  [state modules engine {:keys [name filename line]}]
  (let [{:keys [module error]} (modules filename)
        inst (when module
               (try (instantiate module engine (:registered state))
                    (catch Throwable e e)))]
    (if (instance? ModuleInstance inst)
      [:pass (cond-> (assoc state :current inst)
               true (update :instances conj inst)
               name (assoc-in [:named name] inst))]
      (let [failed {:failed-at line}]
        [[:fail (str "(module " filename "): expected it to load, threw " (error-summary (or error inst)))]
         (cond-> (assoc state :current failed) name (assoc-in [:named name] failed))]))))

(defn- assert-load-failure
  "A module that must fail to parse or instantiate with an error of one of `types`."
  [state modules engine {:keys [filename module_type text]} types]
  (if (= module_type "text")
    :skipped
    (let [{:keys [module error]} (modules filename)
          error (or error
                    (try (.close (instantiate module engine (:registered state))) nil
                         (catch Throwable e e)))]
      (if (and error (contains? types (wasm-error-type error)))
        :pass
        [:fail (str "(module " filename "): expected " (str/join " or " (map #(str ":wasm/" %) (sort types)))
                    " (\"" text "\"), " (if error (str "threw " (error-summary error)) "it loaded"))]))))

(defn- run-command
  "[outcome state'] for command `cmd`."
  [state modules engine {:keys [type] :as cmd}]
  (case type
    "module" (load-module state modules engine cmd)
    "register" (let [t (target state (:name cmd))]
                 [(if (vector? t) t :pass)
                  (if (vector? t) state (assoc-in state [:registered (:as cmd)] t))])
    "action" (let [{:keys [outcome error]} (perform state (:action cmd))]
               [(cond outcome outcome
                      error [:fail (str (show-action (:action cmd)) ": threw " (error-summary error))]
                      :else :pass)
                state])
    "assert_return" [(assert-return state cmd) state]
    "assert_trap" [(assert-failure state cmd nil) state]
    "assert_exhaustion" [(assert-failure state cmd "stack-overflow") state]
    "assert_exception" [(assert-failure state cmd "uncaught-exception") state]
    ("assert_invalid" "assert_malformed")
    [(assert-load-failure state modules engine cmd #{"malformed"}) state]
    "assert_unlinkable"
    [(assert-load-failure state modules engine cmd #{"missing-imports" "import-mismatch"}) state]
    "assert_uninstantiable"
    [(assert-load-failure state modules engine cmd #{"trap"}) state]
    [[:fail (str "unknown command type " type)] state]))

(defn module-cache
  "A function of a module's file name to its parse outcome, parsing each once: give the
  same one to every engine's run of file `name`."
  [name]
  (memoize #(parse-outcome name %)))

(defn run-file
  "Runs every command of file `name` on `engine`: a vector of {:line :type :outcome}
  in order (outcome as `run-command` returns it). `modules` is the file's module-cache."
  ([name engine] (run-file name engine (module-cache name) (commands name)))
  ([name engine modules cmds]
   (let [spectest-inst (instantiate @spectest engine {})
         init {:registered {"spectest" spectest-inst} :named {} :instances [spectest-inst]}]
     (loop [cmds cmds, state init, out []]
       (if-let [cmd (first cmds)]
         (let [[outcome state'] (run-command state modules engine cmd)]
           (recur (rest cmds) state' (conj out {:line (:line cmd) :type (:type cmd) :outcome outcome})))
         (do (doseq [^ModuleInstance i (:instances state)] (.close i))
             out))))))

(defn outcome-kind
  "One of :pass :fail :blocked :skipped."
  [outcome]
  (cond (keyword? outcome) outcome
        :else (first outcome)))

(defn report
  "Runs every converted file on every engine and prints the counts per engine (the
  figures of docs/TESTING.md): commands, passed, failed, blocked by a failed module,
  skipped (text modules). bin/clojure -M:spec-report"
  []
  (let [tally (atom {})]
    (doseq [name (files)
            :let [modules (module-cache name), cmds (commands name)]
            engine engines]
      (doseq [{:keys [outcome]} (run-file name engine modules cmds)]
        (swap! tally update-in [engine (outcome-kind outcome)] (fnil inc 0)))
      (swap! tally update-in [engine :files] (fnil inc 0)))
    (doseq [engine engines
            :let [{:keys [files pass fail blocked skipped] :or {pass 0 fail 0 blocked 0 skipped 0}} (@tally engine)]]
      (println (format "%-12s %d files, %d commands: %d passed, %d failed, %d blocked, %d skipped"
                       (name engine) files (+ pass fail blocked skipped) pass fail blocked skipped)))
    @tally))

(defn -main [& _]
  (report)
  (shutdown-agents))
