(ns clj-wasi.loop-entry-test
  "On-stack replacement: a function already running interpreted under :auto (background
  compile) continues in the compiled code at a back-edge of one of its loops
  (cljwasi.engine.interp.BackEdges, Interpreter.enterLoop, the compiler's loop entries
  o<index>). The switch is forced at the k-th back-edge of the instance
  (BackgroundCompile/enterAtBackEdge) and the results compared with the interpreter alone;
  the modules are built here, byte by byte (the compiler tests' module writer)."
  (:require [clj-wasi.compiler-test]
            [clj-wasi.test-util :refer [leb-s leb-u wasm with-props*]]
            [clj-wasi.wasm :as wasm]
            [clojure.test :refer [deftest is testing use-fixtures]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (cljwasi.engine.compiler BackgroundCompile)))

(use-fixtures :each
  (fn [t] (with-props* {BackgroundCompile/PROPERTY "on"} t)))

;; the compiler tests' module writer (one place for it)
(def ^:private module-bytes @#'clj-wasi.compiler-test/module-bytes)

(defn- with-entry-at*
  "Calls f with the interpreters entering compiled code at their k-th back-edge."
  [k f]
  (BackgroundCompile/enterAtBackEdge k)
  (try (f) (finally (BackgroundCompile/enterAtBackEdge 0))))

(defn- auto-factory ^BackgroundCompile [^Module m]
  (let [f (.machineFactory m Engine/AUTO nil)]
    (when (instance? BackgroundCompile f) f)))

(defn- entries-after-compile
  "How many loop entries Module `m`'s instances made, once its background compilation has
  finished (awaited, so that no test leaves compilations queued on the one compiler thread
  for the next: a later test's compilation would wait behind them); nil under :interpreter."
  [^Module m]
  (when-let [f (auto-factory m)]
    (.awaitCompiled m 60000)
    (.loopsEntered f)))

;; ---- the generated programs -----------------------------------------------------------

;; locals of run(n i32, seed i32, trap-at i32): 3 i 4 s(i32) 5 a(i64) 6 x(f32) 7 d(f64)
;; 8 v(v128) 9 r(funcref) 10 e(externref) 11 j(i32) 12 nan(f32) 13 nan2(f32) 14 t(i32)
(def ^:private run-locals [:i32 :i32 :i64 :f32 :f64 :v128 :funcref :externref :i32 :f32 :f32 :i32])

(defn- lget [l] (into [0x20] (leb-u l)))
(defn- lset [l] (into [0x21] (leb-u l)))
(defn- i32c [c] (into [0x41] (leb-s (long (unchecked-int c)))))
(defn- f32c [c] (let [b (Float/floatToRawIntBits (float c))] (into [0x43] (for [i (range 4)] (bit-and (bit-shift-right b (* 8 i)) 0xFF)))))
(defn- simd [op & imm] (concat [0xFD] (leb-u op) imm))

(def ^:private ops
  "Stack-neutral steps of the inner loop's body, over the locals."
  {:s-mul   (concat (lget 4) (lget 11) [0x6A] (i32c 0x9E3779B1) [0x6C] (lset 4))
   :s-rot   (concat (lget 4) (i32c 5) [0x77] (lget 3) [0x73] (lset 4))
   :a-mix   (concat (lget 5) (lget 4) [0xAD 0x85] [0x42] (leb-s 0x5851F42D4C957F2D) [0x7E] (lset 5))
   :x-step  (concat (lget 6) (f32c 1.5) [0x94] (lget 11) [0xB2 0x92] (lset 6))
   :d-step  (concat (lget 7) (lget 4) [0xB8 0xA0] (lset 7))
   :v-add   (concat (lget 8) (lget 4) (simd 0x11) (simd 0xAE) (lset 8))
   :r-flip  (concat (lget 11) (i32c 1) [0x71 0x04 0x40] [0xD2 0] (lset 9)
                    [0x05 0xD0 0x70] (lset 9) [0x0B])
   :e-null  (concat [0xD0 0x6F] (lset 10))
   :nan-swap (concat (lget 12) (lset 13) (lget 13) (lset 12))
   :call    (concat (lget 4) (lget 11) [0x10 0] (lset 4))
   ;; a loop with a value below it (cannot be entered): t counts down from 2
   :stacked (concat (lget 4) (i32c 2) (lset 14)
                    [0x03 0x7F] (lget 14) (i32c 1) [0x6B] (lset 14)
                    (lget 14) (lget 14) [0x0D 0] [0x0B] [0x6A] (lset 4))
   ;; s / (i != trap-at): traps with division by zero in round trap-at
   :trap    (concat (lget 4) (lget 3) (lget 2) [0x47 0x6E] (lset 4))})

(defn- run-code
  "run's body: rounds i < n of an outer loop, each an inner loop with an i32 parameter
  (the count j) of 1 + i mod 3 iterations doing `steps`; then the results."
  [steps]
  (concat
   (lget 1) [0xAD] (lset 5)                                        ; a = seed
   (lget 1) (i32c 0x7F800001) [0x72 0xBE] (lset 12)                ; nan: NaN bits from seed
   (lget 1) (lset 4)
   [0x02 0x40]                                                     ; block $done
   [0x03 0x40]                                                     ;  loop $outer
   (lget 3) (lget 0) [0x4F 0x0D 1]                                 ;   br_if $done (i >= n)
   (i32c 0)
   [0x03 0x02]                                                     ;   loop $inner (type 2: [i32]->[i32])
   (lset 11)
   (apply concat (map ops steps))
   (lget 11) (i32c 1) [0x6A] [0x22 11]                             ;    j+1, tee j
   (lget 11) (lget 3) (i32c 3) [0x70] (i32c 1) [0x6A] [0x49]       ;    j < 1 + i mod 3
   [0x0D 0]                                                        ;    br_if $inner (carries j)
   [0x0B 0x1A]                                                     ;   end, drop
   (lget 3) (i32c 1) [0x6A] (lset 3)
   [0x0C 0]                                                        ;   br $outer
   [0x0B 0x0B]
   (lget 4) (lget 5) (lget 6) [0xBC] (lget 7) [0xBD]
   (lget 8) (simd 0x1D 0) (lget 8) (simd 0x1D 1) [0x85]
   (lget 12) [0xBC] (lget 9) [0xD1] (lget 10) [0xD1] (lget 3)))

(defn- program
  "A module: function 0 mix(i32 i32)->i32, function 1 run (exported), function 2 only for
  its type [i32]->[i32] (type index 2: the inner loop's block type)."
  [steps]
  (module-bytes [{:params [:i32 :i32] :results [:i32]
                  :code (concat (lget 0) (i32c 7) [0x77] (lget 1) [0x73] (i32c 0x27D4EB2F) [0x6C])}
                 {:params [:i32 :i32 :i32]
                  :results [:i32 :i64 :i32 :i64 :i64 :i32 :i32 :i32 :i32]
                  :locals run-locals :export "run" :code (run-code steps)}
                 {:params [:i32] :results [:i32] :code (lget 0)}]
                nil {:table [0]}))

(defn- outcome
  "run's results (or the trap kind) on a fresh instance under `engine`."
  [bytes engine args]
  (let [m (wasm/module bytes)]
    (with-open [i (wasm/load m {:engine engine :cache-dir false})]
      [(try (vec ((wasm/fn i "run") (nth args 0) (nth args 1) (nth args 2)))
            (catch clojure.lang.ExceptionInfo e {:trap (:kind (ex-data e))}))
       (entries-after-compile m)])))

(def ^:private gen-steps
  (gen/vector (gen/elements (keys ops)) 1 8))

(defspec switching-at-any-back-edge-gives-the-interpreters-results 40
  (prop/for-all [steps gen-steps
                 n (gen/choose 0 6)
                 seed gen/large-integer
                 trap-at (gen/choose 0 8)
                 k (gen/choose 1 40)]
    (let [bytes (program steps)
          args [n (unchecked-int seed) trap-at]
          [reference _] (outcome bytes :interpreter args)
          [switched entered] (with-entry-at* k #(outcome bytes :auto args))]
      (and (= reference switched)
           (contains? #{0 1} entered)))))

(deftest a-loop-entry-happens-and-keeps-every-local
  ;; every kind of step, the switch at each of the first back-edges: the outer or inner loop
  ;; (entered) or the stacked one (not entered)
  (let [bytes (program (vec (keys ops)))
        args [5 -123456789 100]
        [reference _] (outcome bytes :interpreter args)
        runs (for [k (range 1 30)] (with-entry-at* k #(outcome bytes :auto args)))]
    (is (vector? reference) "no trap")
    (is (every? #(= reference (first %)) runs))
    (is (some #(= 1 (second %)) runs) "some switches entered compiled code")
    (is (some #(= 0 (second %)) runs) "a back-edge of the stacked loop enters nothing")))

(deftest a-running-main-loop-moves-to-compiled-code
  ;; loop_forever never returns: only a loop entry can move it to the compiled code; the
  ;; timeout stops it there too
  ;; (the compiler warmed up first: the timeout must not fire before the compilation the
  ;; 1000th back-edge waits for is done, on a loaded machine)
  (.close ^java.io.Closeable (wasm/load (wasm "traps") {:engine :compiler :cache-dir false}))
  (let [m (wasm/module (wasm "traps"))
        r (with-entry-at* 1000
            #(with-open [i (wasm/load m {:timeout-ms 5000 :cache-dir false})]
               (try ((wasm/fn i :loop_forever)) nil
                    (catch clojure.lang.ExceptionInfo e (:type (ex-data e))))))]
    (is (= :wasm/timeout r))
    (is (= 1 (.loopsEntered (auto-factory m))) "entered at the 1000th back-edge")))

(deftest an-interrupt-stops-a-loop-after-it-entered-compiled-code
  ;; (close does not stop a running guest on any engine; a thread interrupt does, as the
  ;; timeout does)
  (let [m (wasm/module (wasm "traps"))
        i (wasm/load m {:cache-dir false})
        f (auto-factory m)
        result (promise)
        t (Thread. #(deliver result (try ((wasm/fn i :loop_forever)) :returned
                                         (catch clojure.lang.ExceptionInfo e (:type (ex-data e))))))]
    (.start t)
    (loop [waited 0]
      (when (and (zero? (.loopsEntered f)) (< waited 60000))
        (Thread/sleep 20)
        (recur (+ waited 20))))
    (is (= 1 (.loopsEntered f)) "entered at the first back-edge after the code was published")
    (.interrupt t)
    (is (= :wasm/interrupted (deref result 10000 ::hung)))
    (.close ^java.io.Closeable i)))

(defspec an-exception-thrown-after-the-switch-reaches-the-callers-handler 20
  ;; loop_throw.wasm: spin's loop (entered at back-edge k) throws in iteration `at`; run
  ;; catches it (a legacy try, translated to try_table) and adds 2000
  (prop/for-all [n (gen/choose 0 30)
                 at (gen/choose 0 40)
                 k (gen/choose 1 30)]
    (let [run (fn [engine]
                (let [m (wasm/module (wasm "loop_throw"))]
                  (with-open [i (wasm/load m {:engine engine :cache-dir false})]
                    [((wasm/fn i "run") n at) (entries-after-compile m)])))
          [expected _] (run :interpreter)
          [switched entered] (with-entry-at* k #(run :auto))]
      (and (= expected (if (< at (max n 1)) (+ 2000 (* 3 at)) (+ 1000 (max n 1))))
           (= expected switched)
           (= entered (if (< k (min (max n 1) (inc at))) 1 0))))))
