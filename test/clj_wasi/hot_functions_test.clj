(ns clj-wasi.hot-functions-test
  "Large modules under :auto (route HOT_FUNCTIONS, cljwasi.engine.compiler.BackgroundCompile
  in its hot-functions mode, HotBatches): they start in the interpreter, what gets hot (by
  calls, or by the sampler's samples for a function that loops) is compiled in the
  background in batches, never the whole module, and each batch is cached so that the next
  run starts with it. Forced on for small test modules with clj-wasi.large=on; the call
  threshold is lowered so that test runs get hot."
  (:require [clj-wasi.loop-entry-test]
            [clj-wasi.test-util :refer [wasm with-props with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (cljwasi.engine.compiler BackgroundCompile)
           (cljwasi.engine.parse LazyParser)))

(def ^:private hot-props
  {"clj-wasi.large" "on"
   "clj-wasi.compiler.hot-calls" "50"
   ;; calls only (deterministic), unless a test turns the sampler on
   "clj-wasi.compiler.hot-samples" "0"})

(defn- hot-factory ^BackgroundCompile [^Module m]
  (let [f (.machineFactory m Engine/AUTO nil)]
    (is (and (instance? BackgroundCompile f) (.hotFunctionsOnly ^BackgroundCompile f))
        "engine :auto compiles the hot functions of a large module")
    (when (instance? BackgroundCompile f) f)))

(defn- settled-stats
  "The counters of module `m`'s hot-functions compilation once no batch is left to compile."
  [^Module m]
  (let [f (hot-factory m)]
    (is (.awaitDone f 60000) "the batches were compiled")
    (into {} (.stats f))))

(defn- defined-functions [^Module m]
  (- (.functionCount (.plan m)) (.importedFunctions (.plan m))))

(defn- interpreted [& args]
  (select-keys (wasm/run (wasm "tier_hot") {:engine :interpreter :args (vec args) :cache-dir false})
               [:exit :out]))

(defn- outcome
  "{:exit :out} of a run, or {:trap kind :out} when it traps."
  [f]
  (try (select-keys (f) [:exit :out])
       (catch clojure.lang.ExceptionInfo e
         {:trap (:kind (ex-data e)) :out (:out (ex-data e))})))

(deftest hot-functions-compile-in-batches-with-the-interpreters-results
  (with-props hot-props
    (let [m (wasm/module (wasm "tier_hot"))
          run #(select-keys (wasm/run m {:args ["sum" "3000"] :cache-dir false}) [:exit :out])
          expected (interpreted "sum" "3000")
          r (run)
          s (settled-stats m)]
      (is (= expected r))
      (is (re-matches #"sum 3000 \d+ \d+\.\d+\n" (:out r)))
      (is (<= 3 (s "compiled-functions")) "mix, scale and hot got hot and were compiled")
      (is (< (s "compiled-functions") (defined-functions m)) "never the whole module")
      (is (pos? (s "batches")))
      (testing "the next instance runs the compiled batches"
        (is (= expected (run)))
        (is (= expected (run)))))))

(deftest functions-the-compiler-refuses-stay-interpreted
  ;; big() is too large for one JVM method: refused when functions are never split
  (with-props (assoc hot-props "clj-wasi.compiler.split-bytes" "0")
    (let [m (wasm/module (wasm "tier_hot"))
          r (select-keys (wasm/run m {:args ["big" "120"] :cache-dir false}) [:exit :out])
          s (settled-stats m)]
      (is (= (interpreted "big" "120") r))
      (is (<= 1 (s "refused-functions")) "big() is too large for one JVM method")
      (is (<= 3 (s "compiled-functions")) "the others were compiled all the same")
      (is (= r (select-keys (wasm/run m {:args ["big" "120"] :cache-dir false}) [:exit :out]))))))

(deftest a-hot-function-too-large-for-one-method-is-split
  ;; the default split limit: big() is compiled as several methods in its batch
  (with-props hot-props
    (let [m (wasm/module (wasm "tier_hot"))
          r (select-keys (wasm/run m {:args ["big" "120"] :cache-dir false}) [:exit :out])
          s (settled-stats m)]
      (is (= (interpreted "big" "120") r))
      (is (zero? (s "refused-functions")) "big() was split, not refused")
      (is (<= 4 (s "compiled-functions")) "big() and the other hot functions")
      (is (= r (select-keys (wasm/run m {:args ["big" "120"] :cache-dir false}) [:exit :out]))))))

(deftest traps-and-proc-exit-behave-as-in-the-interpreter
  (with-props hot-props
    (doseq [[mode code] [["trap" nil] ["exit" 7]]]
      (testing mode
        (let [m (wasm/module (wasm "tier_hot"))
              expected (outcome #(interpreted mode "400"))
              run #(outcome (fn [] (wasm/run m {:args [mode "400"] :cache-dir false})))]
          (if code
            (is (= code (:exit expected)))
            (is (= :integer-divide-by-zero (:trap expected))))
          (is (= expected (run)) "interpreted, then hot() compiled mid-run")
          (is (pos? ((settled-stats m) "compiled-functions")))
          (is (= expected (run)) "hot() compiled from the first call"))))))

(defn- cache-entries [dir]
  (filter #(.endsWith (.getName ^java.io.File %) ".bin") (file-seq (io/file dir))))

(deftest the-compile-cache-keeps-the-batches-for-the-next-run
  (with-props hot-props
    (with-temp-dir [dir]
      (let [run #(let [m (wasm/module (wasm "tier_hot"))
                       r (wasm/run m {:args ["sum" "2000"] :cache-dir (str dir)})]
                   [(select-keys r [:exit :out]) (settled-stats m)])
            expected (interpreted "sum" "2000")
            [r1 s1] (run)]
        (is (= expected r1))
        (is (pos? (s1 "compiled-batches")))
        (is (zero? (s1 "cache-loads")))
        (is (<= 2 (count (cache-entries dir))) "the batches and their list are stored")
        (testing "the next run (a new parse) loads them before its first call"
          (let [m (wasm/module (wasm "tier_hot"))]
            (wasm/run m {:args ["sum" "10"] :cache-dir (str dir)})
            (let [f (hot-factory m)]
              (is (= (s1 "compiled-functions") ((into {} (.stats f)) "compiled-functions"))
                  "everything the last run compiled, though 10 rounds make nothing hot"))))
        (testing "and compiles nothing the last run compiled"
          (let [[r2 s2] (run)]
            (is (= expected r2))
            (is (pos? (s2 "cache-loads")))
            (is (zero? (s2 "compiled-batches")))))
        (testing "corrupt entries are compiled again, never trusted"
          (doseq [f (cache-entries dir)] (spit f "garbage, not classes"))
          (let [[r3 s3] (run)]
            (is (= expected r3))
            (is (zero? (s3 "cache-loads")))
            (is (pos? (s3 "compiled-batches"))))
          (let [[r4 s4] (run)]
            (is (= expected r4))
            (is (pos? (s4 "cache-loads")) "the entries compiled again load")))))))

(deftest a-function-that-loops-gets-hot-by-samples
  ;; loop_forever is called once: only the sampler sees where the time goes. Timeouts stop
  ;; it interpreted and compiled alike
  (with-props (assoc hot-props "clj-wasi.compiler.hot-calls" "1000000"
                     "clj-wasi.compiler.hot-samples" "4")
    (let [m (wasm/module (wasm "traps"))
          timeout (fn []
                    (with-open [i (wasm/load m {:timeout-ms 200 :cache-dir false})]
                      (try ((wasm/fn i :loop_forever)) nil
                           (catch clojure.lang.ExceptionInfo e (:type (ex-data e))))))]
      (is (= :wasm/timeout (timeout)) "interpreted")
      (is (pos? ((settled-stats m) "compiled-functions")) "loop_forever got hot by samples")
      (is (= :wasm/timeout (timeout)) "compiled"))))

(deftest the-compiler-engine-compiles-a-large-module-whole
  ;; (tier_hot's big() does not fit a JVM method: :compiler refuses that module)
  (with-props hot-props
    (let [args ["simd_kernels" "300"]
          m (wasm/module (wasm "simd_kernels"))
          f (.machineFactory m Engine/COMPILER nil)]
      (is (.large (.plan m)))
      (is (not (instance? BackgroundCompile f)))
      (is (= (wasm/run (wasm "simd_kernels_scalar") {:engine :compiler :args args :cache-dir false})
             (wasm/run m {:engine :compiler :args args :cache-dir false}))))))

(deftest small-modules-compile-whole-by-default
  (with-props {"clj-wasi.large" "auto" "clj-wasi.large.min-code-bytes" "4194304"}
    (let [m (wasm/module (wasm "tier_hot"))
          f (.machineFactory m Engine/AUTO nil)]
      (is (not (and (instance? BackgroundCompile f) (.hotFunctionsOnly ^BackgroundCompile f)))))))

(deftest simd-functions-compile-in-batches-too
  (with-props (assoc hot-props "clj-wasi.compiler.hot-calls" "5")
    (let [args ["simd_kernels" "1000"]
          expected (wasm/run (wasm "simd_kernels_scalar") {:engine :compiler :args args :cache-dir false})
          m (wasm/module (wasm "simd_kernels"))]
      (is (= expected (wasm/run m {:args args :cache-dir false})))
      (let [s (settled-stats m)]
        (is (pos? (s "compiled-functions")))
        (is (zero? (s "refused-functions")) "the compiler compiles SIMD"))
      (is (= expected (wasm/run m {:args args :cache-dir false}))))))

;; ---- loop entries: a running loop moves to its hot batch's code -------------------------

(defn- loop-forever-thread
  "Starts loop_forever (traps.wasm, a main loop that never returns) of a new instance of `m`
  on a thread; returns [instance thread promise-of-how-it-ended]."
  [m]
  (let [i (wasm/load m {:cache-dir false})
        result (promise)
        t (Thread. #(deliver result (try ((wasm/fn i :loop_forever)) :returned
                                         (catch clojure.lang.ExceptionInfo e
                                           (:type (ex-data e))))))]
    (.start t)
    [i t result]))

(defn- await-loop-entry
  "Waits (a minute at most) until an instance of `f`'s module entered compiled code at a loop."
  [^BackgroundCompile f]
  (loop [waited 0]
    (when (and (zero? (.loopsEntered f)) (< waited 60000))
      (Thread/sleep 20)
      (recur (+ waited 20))))
  (.loopsEntered f))

(deftest a-running-main-loop-enters-its-hot-batch-at-a-back-edge
  ;; loop_forever is called once and never returns: it gets hot by its back-edges (or the
  ;; sampler's samples), and only its loop entry can move it to the batch's code
  (with-props (assoc hot-props "clj-wasi.compiler.hot-calls" "1000000"
                     "clj-wasi.compiler.hot-samples" "4")
    (let [m (wasm/module (wasm "traps"))
          [i ^Thread t result] (loop-forever-thread m)
          f (hot-factory m)]
      (is (= 1 (await-loop-entry f)) "the interpreted loop entered the compiled code")
      (is (pos? ((settled-stats m) "compiled-functions")))
      (.interrupt t)
      (is (= :wasm/interrupted (deref result 10000 ::hung)) "an interrupt stops it there")
      (.close ^java.io.Closeable i))))

(deftest a-main-loop-entered-at-a-back-edge-still-times-out
  ;; the switch forced at the 20000th back-edge (loop_forever is hot after 10000: the
  ;; interpreter waits there for its batch), then the timeout stops the compiled loop; the
  ;; compiler warmed up first, so that the timeout does not fire during the compilation
  (.close ^java.io.Closeable (wasm/load (wasm "traps") {:engine :compiler :cache-dir false}))
  (with-props (assoc hot-props "clj-wasi.compiler.hot-calls" "1000000")
    (let [m (wasm/module (wasm "traps"))]
      (BackgroundCompile/enterAtBackEdge 20000)
      (try
        (is (= :wasm/timeout
               (with-open [i (wasm/load m {:timeout-ms 5000 :cache-dir false})]
                 (try ((wasm/fn i :loop_forever)) nil
                      (catch clojure.lang.ExceptionInfo e (:type (ex-data e)))))))
        (finally (BackgroundCompile/enterAtBackEdge 0)))
      (is (= 1 (.loopsEntered (hot-factory m))) "entered at the 20000th back-edge"))))

(deftest cached-batches-keep-their-loop-entries
  (with-props (assoc hot-props "clj-wasi.compiler.hot-calls" "1000000")
    (with-temp-dir [dir]
      (let [load #(wasm/load % {:cache-dir (str dir)})
            m (wasm/module (wasm "traps"))
            i (load m)
            result (promise)
            t (Thread. #(deliver result (try ((wasm/fn i :loop_forever)) :returned
                                             (catch clojure.lang.ExceptionInfo e
                                               (:type (ex-data e))))))]
        (.start t)
        (is (= 1 (await-loop-entry (hot-factory m))))
        (.interrupt t)
        (is (= :wasm/interrupted (deref result 10000 ::hung)))
        (.close ^java.io.Closeable i)
        (settled-stats m)
        (testing "the next run (a new parse) loads the batch with the loop entry"
          (let [m2 (wasm/module (wasm "traps"))]
            (.close ^java.io.Closeable (load m2))
            (let [f (hot-factory m2)
                  code (.compiledCode f)]
              (is (pos? ((into {} (.stats f)) "cache-loads")))
              (is (some #(.hasLoopEntry code %) (range (defined-functions m2)))))))))))

;; the interpreter's bodies with back-edges (for loop entries) are made at first use: a
;; large module decodes only what runs
(deftest the-interpreter-decodes-only-the-bodies-it-runs
  (with-props hot-props
    (let [m (wasm/module (wasm "tier_hot"))]
      (is (.lazy (.plan m)))
      (is (= (interpreted "sum" "1") (select-keys (wasm/run m {:args ["sum" "1"] :cache-dir false})
                                                  [:exit :out])))
      (is (< 0 (LazyParser/decodedBodies (.parsed m)) (defined-functions m))))))

;; the loop-entry tests' generated programs (nested loops over locals of every type), here
;; as a large module: run is hot at its first call, and the interpreter waits at its k-th
;; back-edge for the batch (the delay is long: only that wait lets the batch compile, so it
;; sees run's loops as running)
(def ^:private program @#'clj-wasi.loop-entry-test/program)
(def ^:private loop-outcome @#'clj-wasi.loop-entry-test/outcome)
(def ^:private gen-steps @#'clj-wasi.loop-entry-test/gen-steps)

(defspec a-hot-batch-entered-at-any-back-edge-gives-the-interpreters-results 25
  (prop/for-all [steps gen-steps
                 n (gen/choose 0 6)
                 seed gen/large-integer
                 trap-at (gen/choose 0 8)
                 k (gen/choose 1 30)]
    (with-props (assoc hot-props "clj-wasi.compiler.hot-calls" "1"
                       BackgroundCompile/DELAY_PROPERTY "600000")
      (let [bytes (program steps)
            args [n (unchecked-int seed) trap-at]
            [reference _] (loop-outcome bytes :interpreter args)
            _ (BackgroundCompile/enterAtBackEdge k)
            [switched entered] (try (loop-outcome bytes :auto args)
                                    (finally (BackgroundCompile/enterAtBackEdge 0)))]
        (and (= reference switched)
             (contains? #{0 1} entered))))))

(deftest a-hot-batch-is-entered-from-a-running-loop
  (with-props (assoc hot-props "clj-wasi.compiler.hot-calls" "1"
                     BackgroundCompile/DELAY_PROPERTY "600000")
    (let [bytes (program [:s-mul :v-add :call])
          args [6 12345 100]
          [reference _] (loop-outcome bytes :interpreter args)]
      (doseq [k [1 2 5 9]]
        (BackgroundCompile/enterAtBackEdge k)
        (try
          (is (= [reference 1] (loop-outcome bytes :auto args)) (str "entered at back-edge " k))
          (finally (BackgroundCompile/enterAtBackEdge 0)))))))
