(ns clj-wasi.fuzz-test
  "Differential fuzzing (issue 15): every module of the corpus test/fuzz/corpus (made by
  binaryen's wasm-opt --translate-to-fuzz, test/fuzz/build.sh) runs on each engine
  under test and on the reference, the :interpreter engine (Chicory's interpreter; the
  project's for SIMD modules), with the same cases; results, traps and their kinds,
  host calls, globals after each case, and the final memory and tables must agree.
  docs/TESTING.md, \"Differential fuzzing\", says how to run, extend and reproduce.

  Environment:
    CLJ_WASI_FUZZ_ENGINES  engines under test, comma-separated (default compiler,auto);
                           run with -Dclj-wasi.compiler=own to check the own compiler
    CLJ_WASI_FUZZ_FRESH=N  also N fresh modules from a random first seed (printed), when
                           wasm-opt and openssl are on the PATH
    CLJ_WASI_FUZZ_SEED=S   the first seed of the fresh modules (to reproduce a run)"
  (:require [clj-wasi.fuzz-harness :as fz]
            [clj-wasi.test-util :refer [sh]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (java.io File)))

(def corpus-dir "test/fuzz/corpus")

(def random-rounds
  "Passes over the exports with random arguments, after the one with default ones."
  8)

(def reference-timeout-ms
  "Per call on the reference: binaryen's hang limit keeps every case short, so a case that
  runs this long is skipped (with the rest of its module), and counted."
  2000)

(def engine-timeout-ms
  "Per call on an engine under test: generous, so that only a real hang fails."
  10000)

(def known-crashes
  "Failures of Chicory itself that the fuzzer finds, by `fz/crash-signature`, each
  {:what :module :export :args}; a case that ends in one on the reference is compared all
  the same (the engine must fail the same way), and counted. Each is reproduced by
  `known-crashes-still-happen`: when Chicory fixes one, that test fails and the entry
  goes. None today: the self tail call that crashed Chicory's interpreter
  (StackFrame.reset) runs in the project's interpreter (clj-wasi.interp-fixes-test)."
  {})

(def known-divergences
  "Divergences from the reference that are bugs of the reference itself (Chicory's
  interpreter, which the engines under test are compared with), by id: what it is, and a
  probe telling whether the reference hit it, (probe module cases) -> the index of the
  first case in which it did, or nil. An engine whose first divergence on a module comes
  at or after that case is counted under the id instead of failing (from there on the
  states differ, so the rest of the module says nothing). `known-divergences-still-happen`
  checks that each bug is still there."
  {})

;; None today: Chicory's interpreter stored i32.store8, i64.store8 and i64.store32 past
;; 2^32 - 1 at the wrapped address (:store-wrap); the project's interpreter traps
;; (clj-wasi.interp-fixes-test/stores-past-4-gib-trap-on-every-engine). A probe can be
;; built on fz/replay-watching.

(defn- first-case
  "The first case `divergences` name (memory and tables count as after the last)."
  [divergences]
  (reduce min Long/MAX_VALUE (map #(or (:case %) Long/MAX_VALUE) divergences)))

(defn- probes
  "Each known divergence's probe of module `m` run with `cases`, delayed (a probe replays
  the module: only a module that diverges pays for it, once)."
  [^Module m cases]
  (into {} (for [[id {:keys [probe]}] known-divergences] [id (delay (probe m cases))])))

(defn- explained-by
  "The id of the known divergence that explains `divergences`, by the module's `probes`,
  or nil."
  [probes divergences]
  (some (fn [[id hit]] (when (and @hit (<= @hit (first-case divergences))) id)) probes))

(defn- reference-crashed?
  "Whether the reference hit a known Chicory crash at or before the first case
  `divergences` name: the engine under test ran what the reference could not (the own
  compiler runs SIMD functions the interpreter crashes in), so from there the runs differ."
  [reference divergences]
  (let [upto (first-case divergences)]
    (some (fn [[i c]] (and (<= i upto) (known-crashes (get-in c [:failure :crash]))))
          (map-indexed vector (:cases reference)))))

(defn- engines-under-test []
  (let [spec (or (System/getenv "CLJ_WASI_FUZZ_ENGINES") "compiler,auto")]
    (mapv #(Engine/valueOf (str/upper-case (str/trim %))) (str/split spec #","))))

(defn- wasm-files [dir]
  (sort-by #(.getName ^File %)
           (filter #(str/ends-with? (.getName ^File %) ".wasm") (.listFiles (File. ^String dir)))))

(defn- crashes
  "The :crash signatures of the failures in run `r`."
  [r]
  (keep #(get-in % [:failure :crash]) (:cases r)))

(defn- show-args
  "A case's argument slots as hex, for a reproduction."
  [args]
  (str "[" (str/join " " (map #(str "0x" (Long/toHexString %)) args)) "]"))

(defn- engine-name [^Engine e] (str/lower-case (str e)))

(defn- short-class
  "A machine's class name without its package."
  [^String class-name]
  (when class-name (subs class-name (inc (.lastIndexOf class-name ".")))))

(defn- check-module
  "Runs module file `f` on the reference and every engine in `engines`; returns its
  part of the report: {:cases :compared :skipped :refused :machines :known
  :known-divergences :unknown-crashes :divergences}."
  [^File f engines]
  (let [^Module m (fz/parse-module f)
        name (.getName f)
        cases (fz/plan m (.hashCode name) random-rounds)
        reference (fz/run-module m Engine/INTERPRETER cases reference-timeout-ms)
        ran (subvec cases 0 (count (:cases reference)))
        timeout? (some #(= :timeout (get-in % [:failure :type])) (:cases reference))
        module-probes (probes m ran)
        where (fn [engine d]
                (merge {:module (.getPath f) :engine engine
                        :reproduce (when (:case d)
                                     (format "case %d: export %s args %s%s" (:case d) (:export d)
                                             (show-args (:args d))
                                             (if (pos? (:case d))
                                               (format " (after cases 0..%d, in order)" (dec (:case d)))
                                               "")))}
                       (dissoc d :args)))
        runs (for [engine engines]
               (let [got (fz/run-module m engine ran engine-timeout-ms)]
                 (if (= :compile (get-in got [:instantiate :type]))
                   ;; :compiler refuses a module with a function it cannot compile (a
                   ;; method over the JVM's size limit); :auto interprets that function
                   {:refused #{engine}}
                   (let [ds (fz/divergences ran reference got)
                         known (when (seq ds)
                                 (or (explained-by module-probes ds)
                                     (when (reference-crashed? reference ds) :reference-crash)))]
                     {:divergences (when-not known (map #(where engine %) ds))
                      :known-divergence known
                      :crashes (crashes got)
                      :machine [(engine-name engine)
                                (str (short-class (:machine got))
                                     (when (:switched got) " (compiled from the middle on)"))]}))))
        all-crashes (concat (crashes reference) (mapcat :crashes runs))]
    {:cases (count ran)
     :machines (frequencies (cons ["interpreter" (short-class (:machine reference))]
                                  (keep :machine runs)))
     :compared (* (count ran) (count (remove :refused runs)))
     :skipped (when timeout? :timeout)
     :refused (reduce into #{} (keep :refused runs))
     :known (frequencies (filter known-crashes all-crashes))
     :known-divergences (frequencies (keep :known-divergence runs))
     :unknown-crashes (distinct (map #(str (.getPath f) ": " %) (remove known-crashes all-crashes)))
     :divergences (vec (mapcat :divergences runs))}))

(defn- run-corpus
  "Checks every module of `files`; returns the summed report."
  [files engines]
  (reduce (fn [acc ^File f]
            (let [r (check-module f engines)]
              (-> acc
                  (update :modules inc)
                  (update :bytes + (.length f))
                  (update :cases + (:cases r))
                  (update :compared + (:compared r))
                  (update :skipped + (if (:skipped r) 1 0))
                  (update :refused #(merge-with + % (frequencies (map engine-name (:refused r)))))
                  (update :machines #(merge-with + % (:machines r)))
                  (update :known #(merge-with + % (:known r)))
                  (update :known-divergences #(merge-with + % (:known-divergences r)))
                  (update :unknown-crashes into (:unknown-crashes r))
                  (update :divergences into (:divergences r)))))
          {:modules 0 :bytes 0 :cases 0 :compared 0 :skipped 0 :refused {} :known {} :machines {}
           :known-divergences {}
           :unknown-crashes [] :divergences []}
          files))

(defn- brief
  "A divergence on one line, long values cut."
  [d]
  (let [cut #(let [t (pr-str %)] (if (> (count t) 240) (str (subs t 0 240) "...") t))]
    (format "%s on %s: %s differs%s: expected %s, got %s" (:module d) (engine-name (:engine d))
            (name (:what d)) (if (:reproduce d) (str " at " (:reproduce d)) "")
            (cut (:expected d)) (cut (:got d)))))

(defn- report!
  "Prints the summary of a run and asserts it is clean."
  [label {:keys [modules bytes cases compared skipped refused known known-divergences machines
                 divergences unknown-crashes]}
   engines millis]
  (println (format (str "  %s: %d modules (%d bytes), %d cases, %d engine x case comparisons"
                        " (%s vs interpreter) in %.1f s\n    modules skipped at a reference"
                        " timeout: %d; refused by an engine: %s\n    known Chicory crashes"
                        " hit: %s; known divergences (engine x module): %s"
                        "\n    machines (engine, machine: modules): %s")
                   label modules bytes cases compared (str/join "," (map engine-name engines))
                   (/ millis 1000.0) skipped (or (not-empty refused) "none")
                   (or (not-empty known) "none") (or (not-empty known-divergences) "none")
                   (str/join ", " (map (fn [[[e c] n]] (str e " " c ": " n)) (sort machines)))))
  (let [firsts (vals (reduce (fn [m d] (update m [(:module d) (engine-name (:engine d))] #(or % d)))
                             (sorted-map) divergences))]
    (is (zero? (count divergences))
        (str (count divergences) " divergences; the first of each module and engine:\n"
             (str/join "\n" (map brief (take 10 firsts))))))
  (is (zero? (count unknown-crashes))
      (str "engine crashes (a host error no fuzz import raises):\n"
           (str/join "\n" (take 10 unknown-crashes)))))

(deftest corpus-agrees-with-the-interpreter
  (let [files (wasm-files corpus-dir)
        engines (engines-under-test)
        t0 (System/currentTimeMillis)
        r (run-corpus files engines)]
    (is (>= (count files) 100) "the corpus is there (test/fuzz/build.sh)")
    (is (>= (:compared r) 1000) "thousands of cases")
    (report! "corpus" r engines (- (System/currentTimeMillis) t0))))

(defn- on-path? [cmd]
  (zero? (:exit (sh ["sh" "-c" (str "command -v " cmd)]))))

(deftest fresh-modules-agree-with-the-interpreter
  (let [n (some-> (System/getenv "CLJ_WASI_FUZZ_FRESH") parse-long)]
    (if (and n (pos? n) (on-path? "wasm-opt") (on-path? "openssl"))
      (let [seed (or (some-> (System/getenv "CLJ_WASI_FUZZ_SEED") parse-long)
                     (+ 1000000 (rand-int 1000000000)))
            dir (.toFile (java.nio.file.Files/createTempDirectory
                          "clj-wasi-fuzz" (make-array java.nio.file.attribute.FileAttribute 0)))
            _ (println (format "  fresh: %d modules from seed %d into %s (CLJ_WASI_FUZZ_SEED=%d reproduces)"
                               n seed dir seed))
            gen (sh ["test/fuzz/build.sh" "--first" (str seed) "--count" (str n)
                     "--out" (str dir) "--no-filter"])
            _ (is (zero? (:exit gen)) (:err gen))
            files (filter #(some-> (fz/parse-module %) fz/runnable?) (wasm-files (str dir)))
            engines (engines-under-test)
            t0 (System/currentTimeMillis)]
        (report! "fresh" (run-corpus files engines) engines (- (System/currentTimeMillis) t0)))
      (println "  fresh: none (CLJ_WASI_FUZZ_FRESH=N, with wasm-opt and openssl on the PATH, adds N)"))))

(deftest known-crashes-still-happen
  (doseq [[signature {:keys [what module export args]}] known-crashes]
    (testing what
      (let [^Module m (Module/parse (.toPath (File. ^String module)))
            case {:export export :params ["i32"] :results ["i32"] :args (long-array args)}]
        (doseq [engine [Engine/INTERPRETER Engine/AUTO]]
          (is (= [signature] (crashes (fz/run-module m engine [case] 5000)))
              (str module " on " engine ": if Chicory fixed this, drop it from known-crashes")))))))

(deftest harness-imports-behave-as-binaryens
  ;; test/wasm/src/fuzz_imports.wat says what each export does
  (let [m (Module/parse (.toPath (File. "test/wasm/fuzz_imports.wasm")))
        cases (fz/plan m 0 0)
        expected {"thrower" {:failure {:type :host-error :host-throw true}
                             :log [["log-i32" 1] ["throw"]]}
                  "trapper" {:failure {:type :trap :kind :unreachable} :log [["log-i32" 3]]}
                  "fine" {:result [5] :log [["log-i32" 4]]}
                  "catches" {:result [101]
                             :log [["call-export-catch" 1] ["log-i32" 1] ["throw"]
                                   ["call-export-catch" 3] ["log-i32" 4] ["call-export-catch" 0]]}
                  "catch_trap" {:failure {:type :trap :kind :unreachable}
                                :log [["call-export-catch" 2] ["log-i32" 3]]}
                  "calls" {:failure {:type :host-error :host-throw true}
                           :log [["call-export" 3] ["log-i32" 4] ["call-export" 1] ["log-i32" 1]
                                 ["throw"]]}}]
    (is (= (keys expected) (map :export cases)))
    (doseq [engine [Engine/INTERPRETER Engine/COMPILER Engine/AUTO]
            [c o] (map vector cases (:cases (fz/run-module m engine cases 5000)))]
      (is (= (expected (:export c)) (dissoc o :globals)) (str engine " " (:export c))))))

(deftest values-canonicalise-only-float-nans
  ;; NaN payloads of f32/f64 results are nondeterministic in the spec; nothing else is
  (let [v (fn [types & slots] (fz/values types (long-array slots)))]
    (is (= (v ["f32"] 0x7fc00000) (v ["f32"] 0xffc00001) (v ["f32"] 0x7f800001)))
    (is (= (v ["f64"] 0x7ff8000000000000) (v ["f64"] (unchecked-long 0xfff0000000000001))))
    (is (not= (v ["f32"] 0x7f800000) (v ["f32"] 0x7fc00000)) "infinity is no NaN")
    (is (not= (v ["i32"] 0x7fc00000) (v ["i32"] 0x7fc00001)))
    (is (not= (v ["v128"] 0x7ff8000000000000 0) (v ["v128"] 0x7ff8000000000001 0)))
    (is (= [5 -1 [1 2] 7] (v ["i32" "i32" "v128" "i64"] 5 0xffffffff 1 2 7)))))

(deftest divergences-name-every-difference
  ;; the comparison itself: a run agrees with a rerun, and each observable changed alone is
  ;; named, and only it
  (let [f (first (wasm-files corpus-dir))
        m (fz/parse-module f)
        cases (fz/plan m 7 1)
        run #(fz/run-module m Engine/INTERPRETER cases reference-timeout-ms)
        r (run)
        i (first (keep-indexed (fn [i o] (when (seq (:result o)) i)) (:cases r)))
        flip (fn [x] (if (= :nan x) 0 (bit-xor (if (vector? x) (first x) x) 1)))
        changed {:result #(update-in % [:cases i :result 0] flip)
                 :failure #(assoc-in % [:cases i :failure] {:type :trap :kind :unreachable})
                 :log #(update-in % [:cases i :log] conj ["log-i32" 0])
                 :globals #(update-in % [:cases i :globals] conj 0)
                 :memory #(update % :memory (fn [^bytes b]
                                              (doto (aclone b) (aset-byte 100 (unchecked-byte (inc (aget b 100)))))))
                 :tables #(update % :tables conj [])
                 :instantiate #(assoc % :instantiate {:type :trap :kind :unreachable})}]
    (is (some? i) (str f " has a case with a result"))
    (is (empty? (fz/divergences cases r (run))) "runs are deterministic")
    (doseq [[what change] changed]
      (is (= [what] (distinct (map :what (fz/divergences cases r (change r))))) (name what)))))

(def ^:private gen-range-part
  "An i32 (as an unsigned long) near where bounds checks go wrong: small, near one page,
  near 2^31 and 2^32."
  (gen/one-of [(gen/choose 0 70000)
               (gen/fmap #(+ 65536 %) (gen/choose -16 16))
               (gen/fmap #(+ 0x80000000 %) (gen/choose -70000 70000))
               (gen/fmap #(- 0x100000000 %) (gen/choose 1 70000))]))

(defspec bulk-memory-traps-exactly-past-the-end 60
  ;; the fuzzer's find: memory.copy/fill whose address + size passes 2^31 - 1 crashed in
  ;; Chicory (a NullPointerException); LinearMemory checks the range. Each engine
  ;; against a model: out of bounds iff a range passes 65536; otherwise the bytes move.
  (prop/for-all [op (gen/elements [:copy :fill])
                 dest gen-range-part
                 src gen-range-part
                 size gen-range-part]
    (let [page 65536
          init (byte-array (map unchecked-byte (range page)))
          in? (fn [a] (<= (+ a size) page))
          expected (if (and (in? dest) (or (= op :fill) (in? src)))
                     (let [b (aclone init)]
                       (if (= op :copy)
                         (System/arraycopy init src b dest size)
                         (java.util.Arrays/fill b (int dest) (int (+ dest size)) (unchecked-byte src)))
                       b)
                     :out-of-bounds-memory-access)]
      (every? (fn [engine]
                (with-open [i (wasm/load "test/wasm/bulk_bounds.wasm" {:engine engine})]
                  (wasm/write-bytes! i 0 init)
                  (let [got (try ((wasm/fn i (name op)) dest (bit-and src (if (= op :fill) 0xFF -1)) size)
                                 (wasm/read-bytes i 0 page)
                                 (catch clojure.lang.ExceptionInfo e (:kind (ex-data e))))]
                    (if (bytes? expected)
                      (and (bytes? got) (java.util.Arrays/equals ^bytes expected ^bytes got))
                      (= expected got)))))
              [:interpreter :compiler :auto]))))
