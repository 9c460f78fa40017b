(ns own-spec-runner
  "A private runner of the Wasm spec suite against the project's own compiler (and, for
  comparison, Chicory's interpreter), until the CI harness lands:

    wast2json X.wast -o DIR/X/X.json   (one directory per file)
    bin/clojure -M -i dev/own_spec_runner.clj -e '(own-spec-runner/main \"DIR\" :own)'

  Runs module, register, action, assert_return, assert_trap and assert_exhaustion
  commands; skips the others (they test the parser and validator) and every module or
  assertion that involves v128. Prints one line per file with its counts and the first
  failures."
  (:require [clojure.data.json :as json]
            [clojure.java.io :as io]
            [clojure.string :as str])
  (:import (cljwasi.engine.compiler CompiledMachine ModuleCompiler)
           (com.dylibso.chicory.runtime ByteArrayMemory ExportFunction GlobalInstance
                                        ImportFunction ImportGlobal ImportMemory ImportTable
                                        ImportValues Instance InterpreterMachine TableInstance)
           (com.dylibso.chicory.wasm Parser)
           (com.dylibso.chicory.wasm.types FunctionBody FunctionType MemoryLimits
                                           MutabilityType Table TableLimits ValType)))

(defn- spectest-imports []
  (let [f (fn [name params] (ImportFunction. "spectest" name (FunctionType/of (into-array ValType params) (into-array ValType []))
                                             (reify com.dylibso.chicory.runtime.WasmFunctionHandle
                                               (apply [_ _ _] nil))))
        g (fn [name type v] (ImportGlobal. "spectest" name (GlobalInstance. (long v) 0 type MutabilityType/Const)))]
    {:functions [(f "print" []) (f "print_i32" [ValType/I32]) (f "print_i64" [ValType/I64])
                 (f "print_f32" [ValType/F32]) (f "print_f64" [ValType/F64])
                 (f "print_i32_f32" [ValType/I32 ValType/F32]) (f "print_f64_f64" [ValType/F64 ValType/F64])]
     :globals [(g "global_i32" ValType/I32 666) (g "global_i64" ValType/I64 666)
               (g "global_f32" ValType/F32 (Float/floatToRawIntBits (float 666.6)))
               (g "global_f64" ValType/F64 (Double/doubleToRawLongBits 666.6))]
     :tables [(ImportTable. "spectest" "table" (TableInstance. (Table. ValType/FuncRef (TableLimits. 10 20)) -1))]
     :memories [(ImportMemory. "spectest" "memory" (ByteArrayMemory. (MemoryLimits. 1 2)))]}))

(defn- imports-for [registered]
  (let [st (spectest-imports)
        b (ImportValues/builder)]
    (doseq [x (:functions st)] (.addFunction b (into-array ImportFunction [x])))
    (doseq [x (:globals st)] (.addGlobal b (into-array ImportGlobal [x])))
    (doseq [x (:tables st)] (.addTable b (into-array ImportTable [x])))
    (doseq [x (:memories st)] (.addMemory b (into-array ImportMemory [x])))
    b))

(defn- add-registered! [^com.dylibso.chicory.runtime.ImportValues$Builder b registered ^com.dylibso.chicory.wasm.WasmModule m]
  (let [is (.importSection m)]
    (doseq [i (range (.importCount is))
            :let [imp (.getImport is i)
                  ^Instance inst (get registered (.module imp))]
            :when inst]
      (let [nm (.name imp)]
        (condp = (str (.importType imp))
          "FUNCTION" (.addFunction b (into-array ImportFunction [(ImportFunction/exportAsImport (.module imp) nm inst nm)]))
          "GLOBAL" (.addGlobal b (into-array ImportGlobal [(ImportGlobal. (.module imp) nm (.global (.exports inst) nm))]))
          "MEMORY" (.addMemory b (into-array ImportMemory [(ImportMemory. (.module imp) nm (.memory (.exports inst) nm))]))
          "TABLE" (.addTable b (into-array ImportTable [(ImportTable. (.module imp) nm (.table (.exports inst) nm))]))
          nil)))))

(def refusals (atom []))

(defn- machine-factory [engine m dir]
  (if (= engine :own)
    (let [n (+ (.count (.importSection m) com.dylibso.chicory.wasm.types.ExternalType/FUNCTION)
               (.functionCount (.functionSection m)))
          code (ModuleCompiler/compile m (set (map int (range n))) Integer/MAX_VALUE)]
      (when (seq (.refused code)) (swap! refusals into (map #(str % " (" (.getName (io/file (str dir))) ")") (vals (.refused code)))))
      (CompiledMachine/factory code (make-array FunctionBody 0)))
    (reify java.util.function.Function (apply [_ i] (InterpreterMachine. i)))))

(defn- instantiate [dir file registered engine]
  (let [m (Parser/parse (io/file dir file))
        b (imports-for registered)]
    (add-registered! b registered m)
    (-> (Instance/builder m) (.withImportValues (.build b))
        (.withMemoryFactory (reify java.util.function.Function (apply [_ l] (ByteArrayMemory. l))))
        (.withMachineFactory (machine-factory engine m dir)) (.build))))

(defn- parse-val [{:strs [type value]}]
  (case type
    ("i32" "f32") (if (str/starts-with? value "nan") value (unchecked-long (Long/parseLong value)))
    ("i64" "f64") (if (str/starts-with? value "nan") value (.longValue (BigInteger. ^String value)))
    ("externref" "funcref" "exnref") (if (= value "null") -1 (Long/parseLong value))
    (throw (ex-info "v128" {:skip true}))))

(defn- matches? [expected actual]
  (let [t (get expected "type") v (parse-val expected)]
    (case t
      "i32" (= (unchecked-int v) (unchecked-int actual))
      "f32" (let [bits (bit-and actual 0xFFFFFFFF)]
              (if (string? v)
                (Float/isNaN (Float/intBitsToFloat (unchecked-int bits)))
                (= (bit-and v 0xFFFFFFFF) bits)))
      "f64" (if (string? v) (Double/isNaN (Double/longBitsToDouble actual)) (= v actual))
      "i64" (= v actual)
      ("externref" "funcref") (= (unchecked-int v) (unchecked-int actual))
      false)))

(defn- invoke [instances current {:strs [type module field args]}]
  (let [^Instance inst (if module (get instances module) current)]
    (case type
      "invoke" (let [f (.export inst field)]
                 (vec (or (.apply ^ExportFunction f (long-array (map #(let [v (parse-val %)] (if (string? v) 0 v)) args))) [])))
      "get" [(.getValue (.global (.exports inst) field))])))

(defn run-file [dir engine]
  (let [name (.getName (io/file dir))
        spec (json/read-str (slurp (io/file dir (str name ".json"))))
        stats (atom {:pass 0 :fail 0 :skip 0})
        fails (atom [])
        st (atom {:current nil :named {} :registered {}})]
    (doseq [{:strs [type line filename name action expected text as] :as c} (get spec "commands")]
      (try
        (case type
          "module" (let [i (try (instantiate dir filename (:registered @st) engine)
                                (catch Throwable e
                                  (swap! fails conj [line "module" (str e)]) nil))]
                     (swap! st assoc :current i)
                     (when name (swap! st assoc-in [:named name] i)))
          "register" (let [i (if name (get-in @st [:named name]) (:current @st))]
                       (swap! st assoc-in [:registered as] i))
          "action" (do (invoke (:named @st) (:current @st) action) (swap! stats update :pass inc))
          "assert_return"
          (do (doseq [e expected] (parse-val e))
              (let [r (invoke (:named @st) (:current @st) action)]
                (if (and (= (count r) (count expected)) (every? true? (map matches? expected r)))
                  (swap! stats update :pass inc)
                  (do (swap! stats update :fail inc) (swap! fails conj [line (get action "field") r])))))
          ("assert_trap" "assert_exhaustion")
          (let [r (try (invoke (:named @st) (:current @st) action) :no-trap
                       (catch StackOverflowError _ "call stack exhausted")
                       (catch Throwable e (str (.getMessage e))))]
            (if (and (string? r) (or (= type "assert_exhaustion")
                                      (str/includes? (str/lower-case r) (str/lower-case (subs text 0 (min 12 (count text)))))
                                      (= (cljwasi.engine.ChicoryInternals/trapKind (Exception. ^String r))
                                         (cljwasi.engine.ChicoryInternals/trapKind (Exception. ^String text)))))
              (swap! stats update :pass inc)
              (do (swap! stats update :fail inc) (swap! fails conj [line (get action "field") text r]))))
          (swap! stats update :skip inc))
        (catch clojure.lang.ExceptionInfo e
          (if (:skip (ex-data e)) (swap! stats update :skip inc) (throw e)))
        (catch Throwable e
          (swap! stats update :fail inc)
          (swap! fails conj [line type (str e)]))))
    (assoc @stats :file name :fails (take 5 @fails))))

(defn main [root engine & [only]]
  (let [dirs (->> (.listFiles (io/file root)) (filter #(.isDirectory %)) (sort-by #(.getName %))
                  (remove #(re-find #"^(simd|relaxed|i8x16|i16x8|i32x4|array|struct|ref_cast|ref_test|br_on|i31|type-|gc|memory64|.*64$)" (.getName %)))
                  (filter #(or (nil? only) (contains? (set only) (.getName %)))))
        total (atom {:pass 0 :fail 0 :skip 0})]
    (doseq [d dirs
            :when (.exists (io/file d (str (.getName d) ".json")))]
      (let [r (try (run-file d engine) (catch Throwable e {:file (.getName d) :error (str e)}))]
        (swap! total #(merge-with + % (select-keys r [:pass :fail :skip])))
        (when (or (:error r) (pos? (:fail r 0)))
          (println (pr-str r)))))
    (println "TOTAL" @total)
    (doseq [[k v] (frequencies @refusals)] (println "refused" v k))))
