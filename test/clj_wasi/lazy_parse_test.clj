(ns clj-wasi.lazy-parse-test
  "Large modules are parsed lazily (cljwasi.engine.parse.LazyParser): every function body is decoded
  and validated at its first use. Forced on for the small test modules with the
  clj-wasi.large property, and compared with the eager parse of the same bytes. Modules
  of any size are parsed lazily once an eager parse with the same compile cache has
  validated them (cljwasi.engine.cache.ModuleFacts): compared with the eager parse too."
  (:require [clj-wasi.test-util :refer [await-compiled thrown-data wasm with-props with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (cljwasi.engine.cache CompileCache)
           (cljwasi.engine.parse LazyParser)
           (com.dylibso.chicory.wasm Parser)
           (com.dylibso.chicory.wasm.types AnnotatedInstruction FunctionBody)
           (java.io File)
           (java.nio.file Files)))

(defn- lazy-module ^Module [name]
  (with-props {"clj-wasi.large" "on"} (wasm/module (wasm name))))

(defn- eager-module ^Module [name]
  (with-props {"clj-wasi.large" "off"} (wasm/module (wasm name))))

(defn- lazy? [^Module m] (.lazy (.plan m)))

(deftest the-switch-decides-the-parse
  (is (lazy? (lazy-module "hello")))
  (is (not (lazy? (eager-module "hello"))))
  (testing "by default only modules with at least 4 MiB of code are parsed lazily"
    (is (not (lazy? (wasm/module (wasm "tier_hot")))))))

(deftest lazy-and-eager-parses-describe-the-module-alike
  (doseq [name ["hello" "numbers" "host_imports" "simd_kernels" "tail_calls" "eh_legacy"]]
    (let [lazy (lazy-module name) eager (eager-module name)]
      (is (= (wasm/exports eager) (wasm/exports lazy)) name)
      (is (= (wasm/imports eager) (wasm/imports lazy)) name)
      (is (= (.digest (.parsed eager)) (.digest (.parsed lazy)))
          (str name ": the compile cache keys on the same digest"))))
  (is (= (.digest (Parser/parse (Files/readAllBytes (.toPath (io/file (wasm "hello"))))))
         (.digest (.parsed (lazy-module "hello"))))
      "the digest is Chicory's own"))

(defn- outcome [m opts]
  (try (select-keys (wasm/run m (assoc opts :cache-dir false)) [:exit :out :err])
       (catch clojure.lang.ExceptionInfo e
         (select-keys (ex-data e) [:type :kind :exit]))))

(deftest lazy-and-eager-parses-run-alike
  ;; f32/f64/v128 constants, SIMD locals, tables, traps and exits all go through the decoder
  (doseq [[name args opts] [["hello" []] ["echo_args" ["a" "é"]] ["tier_hot" ["sum" "300"]]
                            ["simd_kernels" ["simd_kernels" "200"]] ["exit_with" ["3"]]
                            ["grow_until_fail" ["abort"] {:max-memory-pages 64}]]]
    (let [opts (assoc opts :args args)
          expected (outcome (eager-module name) (assoc opts :engine :interpreter))]
      (doseq [engine [:interpreter :auto]]
        (is (= expected (with-props {"clj-wasi.large" "on"}
                          (outcome (lazy-module name) (assoc opts :engine engine))))
            (str name " " engine))))))

(defspec float-constants-decode-exactly 25
  ;; the decoder reads constants little-endian, as the module stores them: tier_hot's
  ;; `sum N` mixes f64 constants into its result (a big-endian read printed "inf")
  (prop/for-all [n (gen/choose 1 400)]
    (let [args ["sum" (str n)]]
      (= (outcome (eager-module "tier_hot") {:engine :interpreter :args args})
         (outcome (lazy-module "tier_hot") {:engine :interpreter :args args})))))

(deftest an-invalid-body-is-reported-at-its-first-call
  (testing "the eager parse refuses the module"
    (is (= :wasm/malformed (:type (thrown-data #(eager-module "invalid_body"))))))
  (testing "the lazy parse loads it, runs the valid function and names the invalid one"
    (let [m (lazy-module "invalid_body")]
      (doseq [engine [:interpreter :auto]]
        (with-open [i (with-props {"clj-wasi.large" "on"} (wasm/load m {:engine engine}))]
          (is (= 42 ((wasm/fn i "good"))))
          (dotimes [_ 2] ; the failure is kept, not retried
            (let [d (thrown-data #((wasm/fn i "bad")))]
              (is (= :wasm/malformed (:type d)) (str engine))
              (is (= 1 (:function d)))
              (is (= "bad" (:export d))))))))))

(defn- facts-entries [^File dir]
  (filter #(and (.isFile ^File %) (re-find #"/facts/" (str %))) (file-seq dir)))

;; ---- below the size: lazy once a run has validated the module ---------------------------

(def ^:private remembered-modules
  ["hello" "numbers" "host_imports" "simd_kernels" "simd_ops" "tail_calls" "eh_legacy"
   "tier_hot" "atomics" "reactor_api" "table_grow" "traps"])

(defn- parse-with-cache ^Module [name ^File dir]
  (Module/parse (.toPath (io/file (wasm name))) (CompileCache. (.toPath dir))))

(defn- plan-facts
  "What a plan decided about its module, to compare two parses of it."
  [^Module m]
  (let [p (.plan m)]
    {:simd (.simdFunctions p) :tail-calls (.tailCallFunctions p) :uses-simd (.usesSimd p)
     :interrupt-check (.mayMakeTailCalls p) :digest (.cacheKey p)
     :routes (mapv #(.route p %) (Engine/values))
     :exports (wasm/exports m) :imports (wasm/imports m)}))

(deftest a-validated-module-is-decoded-lazily-on-its-next-parse
  (with-temp-dir [dir]
    (doseq [name remembered-modules]
      (let [first-parse (parse-with-cache name dir)
            second-parse (parse-with-cache name dir)
            bodies (.functionBodyCount (.codeSection (.parsed second-parse)))]
        (testing name
          (is (not (.lazy (.plan first-parse))) "the first parse decodes and validates everything")
          (is (and (.lazy (.plan second-parse)) (.scanned (.plan second-parse))))
          (is (= bodies (LazyParser/decodedBodies (.parsed first-parse))))
          (is (= 0 (LazyParser/decodedBodies (.parsed second-parse))) "nothing decoded at parse")
          (is (= (mapv some? (.patchedBodies (.plan first-parse)))
                 (mapv some? (.patchedBodies (.plan second-parse))))
              "the interpreter gets the same bodies patched (each made at its first use)")
          (let [code (fn [^FunctionBody b]
                       (when b (mapv (fn [^AnnotatedInstruction i] [(.opcode i) (vec (.operands i))])
                                     (.instructions b))))]
            (is (= (mapv code (.patchedBodies (.plan first-parse)))
                   (mapv code (.patchedBodies (.plan second-parse))))
                "patched alike"))
          (is (= (plan-facts first-parse) (plan-facts second-parse))
              "the same routes, sets and description as the eager parse"))))))

(deftest without-a-cache-every-parse-is-eager
  (with-temp-dir [dir]
    (dotimes [_ 2]
      (is (not (.lazy (.plan (Module/parse (.toPath (io/file (wasm "hello")))))))))
    (dotimes [_ 2]
      (with-open [i (wasm/load-wasi (wasm "hello") {:cache-dir false :stdout :discard})]
        (is (not (.lazy (.plan (.module (.java i))))))))
    (is (empty? (.list dir)))))

(defn- cached-outcome
  "The outcome of running `name` with `opts` and the compile cache in `dir`, and how many
  bodies that run decoded."
  [name opts ^File dir]
  (try
    (with-open [i (wasm/load-wasi (wasm name) (assoc opts :cache-dir (str dir)
                                                     :stdout :capture :stderr :capture))]
      (let [exit (try ((wasm/fn i "_start")) (catch clojure.lang.ExceptionInfo e (select-keys (ex-data e) [:type :kind])))
            m (.module (.java i))]
        (let [outcome {:exit exit :out (wasm/captured i :stdout) :err (wasm/captured i :stderr)
                       :lazy (.lazy (.plan m))
                       :decoded (LazyParser/decodedBodies (.parsed m))}]
          ;; a miss under :auto compiles in the background: let it store the code for the
          ;; next run (and finish before the directory goes)
          (await-compiled m)
          outcome)))
    (catch clojure.lang.ExceptionInfo e (select-keys (ex-data e) [:type :kind]))))

(def ^:private gen-run
  (gen/elements [["hello" []] ["echo_args" ["a" "é"]] ["tier_hot" ["sum" "120"]]
                 ["simd_kernels" ["simd_kernels" "50"]] ["exit_with" ["3"]] ["tail_calls" []]
                 ["traps" ["unreachable"]] ["eh_legacy" []] ["sort_lines" []]]))

(defspec a-second-run-from-the-cache-runs-as-the-first 25
  (prop/for-all [[name args] gen-run
                 engine (gen/elements [:auto :interpreter :compiler])]
    (with-temp-dir [dir]
      (let [opts {:engine engine :args args :random 7 :clock 0}
            cold (cached-outcome name opts dir)
            warm (cached-outcome name opts dir)
            strip #(dissoc % :lazy :decoded)]
        (and (= (strip cold) (strip warm))
             (if (:lazy warm)
               (and (false? (:lazy cold))
                    ;; compiled code came from the cache: only what ran interpreted was decoded
                    (<= (:decoded warm) (:decoded cold)))
               ;; refused (:compiler and SIMD or tail calls): nothing ran either time
               (= (:type cold) (:type warm) :wasm/compile)))))))

(deftest an-invalid-small-module-is-refused-at-load-on-every-run
  (with-temp-dir [dir]
    (dotimes [run 2]
      (let [d (thrown-data #(wasm/load (wasm "invalid_body") {:cache-dir (str dir)}))]
        (is (= :wasm/malformed (:type d)) (str "run " run))))
    (is (nil? (seq (filter #(re-find #"facts" (str %)) (file-seq dir))))
        "no facts recorded for a module that did not validate")))

(deftest a-corrupt-facts-entry-means-an-eager-parse
  (with-temp-dir [dir]
    (parse-with-cache "numbers" dir)
    (let [entries (facts-entries dir)]
      (is (= 1 (count entries)))
      (doseq [^File f entries]
        (let [bs (Files/readAllBytes (.toPath f))]
          (aset-byte bs (dec (alength bs)) (unchecked-byte (inc (aget bs (dec (alength bs))))))
          (Files/write (.toPath f) bs (make-array java.nio.file.OpenOption 0))))
      (is (not (.lazy (.plan (parse-with-cache "numbers" dir)))) "corrupt: parsed eagerly again")
      (is (.lazy (.plan (parse-with-cache "numbers" dir))) "and the entry rewritten"))))

(deftest facts-are-only-used-for-the-very-bytes-they-were-recorded-for
  ;; an entry is found by a fingerprint (CRC-32C, length) and holds a copy of the module:
  ;; a recorded copy that differs from the module in one byte (the entry's own checksum
  ;; made right again, as for a fingerprint collision) is not used
  (with-temp-dir [dir]
    (let [bytes (Files/readAllBytes (.toPath (io/file (wasm "numbers"))))]
      (parse-with-cache "numbers" dir)
      (doseq [^File f (facts-entries dir)]
        (let [bs (Files/readAllBytes (.toPath f))
              ;; after the copy come 13 bytes of facts (numbers: a flag, three empty sets)
              i (- (alength bs) 13 5)
              tail (java.util.Arrays/copyOfRange bs (- (alength bs) 13 (alength bytes)) (- (alength bs) 13))]
          (is (java.util.Arrays/equals bytes tail) "the entry ends with the module's copy and the facts")
          (aset-byte bs i (unchecked-byte (inc (aget bs i))))
          (let [crc (java.util.zip.CRC32C.)]
            (.update crc bs 4 (- (alength bs) 4))
            (.putInt (java.nio.ByteBuffer/wrap bs) (unchecked-int (.getValue crc))))
          (Files/write (.toPath f) bs (make-array java.nio.file.OpenOption 0))))
      (is (not (.lazy (.plan (parse-with-cache "numbers" dir)))) "other bytes: parsed eagerly")
      (is (.lazy (.plan (parse-with-cache "numbers" dir))) "the entry rewritten for these"))))
