(ns clj-wasi.interp-fixes-test
  "The instructions Chicory 1.7.5's interpreter gets wrong, which the project's interpreter
  runs itself (cljwasi.engine.interp.ReplacedInstructions): float NaN results, stores and
  table.fill past the end of the address space, self tail calls in functions with
  locals. Each test fails without the fix; where compiled code still has the bug (it calls
  Chicory's runtime for it), a test says so and fails once Chicory fixes it. Large
  modules (forced with clj-wasi.large) get the same fixes: their bodies are patched for the interpreter at first use."
  (:require [clj-wasi.test-util :refer [wasm with-props]]
            [clj-wasi.wasm :as wasm]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (cljwasi.engine ModulePlan$Route)))

;; ---- float NaNs -----------------------------------------------------------------------

(def ^:private f32-quiet 0x00400000)
(def ^:private f64-quiet 0x0008000000000000)

(defn- f32-nan? [bits] (Float/isNaN (Float/intBitsToFloat (unchecked-int bits))))
(defn- f64-nan? [bits] (Double/isNaN (Double/longBitsToDouble bits)))

(def ^:private gen-f32-bits
  "f32 bit patterns, half of them NaNs (signalling and quiet, either sign, any payload)."
  (gen/one-of
   [(gen/fmap #(bit-and % 0xFFFFFFFF) gen/large-integer)
    (gen/elements [0 0x80000000 0x3f800000 0xbf800000 0x7f800000 0xff800000 0x00000001])
    (gen/let [sign (gen/elements [0 0x80000000])
              quiet (gen/elements [0 f32-quiet])
              payload (gen/choose 1 0x3FFFFF)]
      (bit-or sign 0x7f800000 quiet payload))]))

(def ^:private gen-f64-bits
  (gen/one-of
   [gen/large-integer
    (gen/elements [0 Long/MIN_VALUE 0x3ff0000000000000 0x7ff0000000000000
                   (unchecked-long 0xfff0000000000000) 0x3ff8000000000000 1])
    (gen/let [sign (gen/elements [0 Long/MIN_VALUE])
              quiet (gen/elements [0 f64-quiet])
              payload (gen/large-integer* {:min 1 :max 0x7FFFFFFFFFFFF})]
      (bit-or sign 0x7ff0000000000000 quiet payload))]))

(defn- f32 [bits] (Float/intBitsToFloat (unchecked-int bits)))
(defn- f64 [bits] (Double/longBitsToDouble bits))

(defn- f32-expect
  "What the spec allows for f32 op `name` of operand bits `args`: a predicate on the result."
  [name args]
  (if (and (not= name "f32_abs") (some f32-nan? args))
    #(and (f32-nan? %) (not= 0 (bit-and % f32-quiet))) ; an arithmetic NaN
    (let [[a b] (map f32 args)
          r (case name
              "f32_min" (Math/min (float a) (float b))
              "f32_max" (Math/max (float a) (float b))
              "f32_abs" nil)]
      (if r
        #(= (bit-and (Float/floatToRawIntBits r) 0xFFFFFFFF) %)
        #(= (bit-and (first args) 0x7FFFFFFF) %)))))

(defn- f64-expect
  [name args]
  (if (and (not= name "f64_abs") (some f64-nan? args))
    #(and (f64-nan? %) (not= 0 (bit-and % f64-quiet)))
    (let [[a b] (map f64 args)
          r (case name
              "f64_min" (Math/min (double a) (double b))
              "f64_max" (Math/max (double a) (double b))
              "f64_floor" (Math/floor a)
              "f64_ceil" (Math/ceil a)
              "f64_trunc" (if (neg? a) (Math/ceil a) (Math/floor a))
              "f64_nearest" (Math/rint a)
              "f64_abs" nil)]
      (if r
        #(= (Double/doubleToRawLongBits r) %)
        #(= (bit-and (first args) Long/MAX_VALUE) %)))))

(def ^:private float-ops
  {"f32_min" 2 "f32_max" 2 "f32_abs" 1
   "f64_min" 2 "f64_max" 2 "f64_floor" 1 "f64_ceil" 1 "f64_trunc" 1 "f64_nearest" 1 "f64_abs" 1})

(def ^:private sizes
  "The size switch (clj-wasi.large): \"on\" makes every module large (parsed lazily)."
  ["off" "on"])

(defn- load-as
  "Loads `name` with the size switch (clj-wasi.large) at `size` (the plan is made at load)."
  [size name opts]
  (with-props {"clj-wasi.large" size} (wasm/load (wasm name) opts)))

(defspec the-interpreter-gives-the-specs-nan-results 300
  (prop/for-all [name (gen/elements (keys float-ops))
                 a32 (gen/vector gen-f32-bits 2)
                 a64 (gen/vector gen-f64-bits 2)
                 size (gen/elements sizes)]
    (let [f32? (.startsWith ^String name "f32")
          args (vec (take (float-ops name) (if f32? a32 a64)))]
      (with-open [i (load-as size "float_nan" {:engine :interpreter})]
        (let [got (apply (wasm/fn i name) args)
              got (if f32? (bit-and got 0xFFFFFFFF) got)]
          ((if f32? (f32-expect name args) (f64-expect name args)) got))))))

(deftest modules-with-those-instructions-run-in-the-projects-interpreter
  (let [plan (.plan ^Module (wasm/module (wasm "float_nan")))]
    (is (= ModulePlan$Route/INTERPRETER (.route plan Engine/INTERPRETER)))
    (is (pos? (alength (.patchedBodies plan))))))

(deftest the-own-compiler-gives-the-specs-nan-for-min
  (with-open [i (wasm/load (wasm "float_nan") {:engine :compiler})]
    (is (= 0x7fe00000 (bit-and ((wasm/fn i "f32_min") 0x7fa00000 0x3f800000) 0xFFFFFFFF))
        "the signalling NaN comes back quieted")))

;; ---- self tail calls ----------------------------------------------------------------------

(defspec self-tail-calls-with-locals-run-in-constant-stack 10
  (prop/for-all [n (gen/one-of [(gen/choose 0 10) (gen/choose 50000 100000)])
                 size (gen/elements sizes)]
    (every? (fn [engine]
              (with-open [i (load-as size "self_tail_call" {:engine engine})]
                (and (= 0 ((wasm/fn i "count_down") n))
                     (= 0 ((wasm/fn i "count_down_no_locals") n))
                     ;; every call starts with its declared locals zeroed
                     (= 0 ((wasm/fn i "stale_locals") n)))))
            [:interpreter :auto])))

;; ---- stores and table.fill past the end ---------------------------------------------------

(deftest stores-past-4-gib-trap-on-every-engine
  ;; test/wasm/src/store_wrap.wat: each store with offset 22 at -7 must trap (Chicory's
  ;; interpreter wrote at 15 instead, but for store16)
  (let [oob :out-of-bounds-memory-access]
    (doseq [size sizes
            engine [:interpreter :compiler :auto]
            export ["store8" "store16" "i64_store8" "i64_store32"]]
      (with-open [i (load-as size "store_wrap" {:engine engine})]
        (is (= oob (:kind (try ((wasm/fn i export) -7) nil
                               (catch clojure.lang.ExceptionInfo e (ex-data e)))))
            (str size " " engine " " export))
        (is (= 0 ((wasm/fn i "word") 12)) (str size " " engine " " export ": nothing written"))
        ((wasm/fn i export) 1)
        (is (not= 0 ((wasm/fn i "word") 20)) (str size " " engine " " export ": in range it stores"))))))

(defspec the-interpreter-traps-table-fill-exactly-past-the-end 100
  ;; test/wasm/src/bulk_bounds.wat: a table of 4; offset + size compared unsigned, in 64 bits
  (prop/for-all [offset (gen/one-of [(gen/choose 0 6) (gen/large-integer* {:min -8 :max 8})
                                     (gen/fmap #(unchecked-int (- 0x80000000 %)) (gen/choose 0 8))])
                 size (gen/one-of [(gen/choose 0 6)
                                   (gen/fmap #(unchecked-int (+ 0x7ffffff8 %)) (gen/choose 0 16))])
                 large (gen/elements sizes)]
    (with-open [i (load-as large "bulk_bounds" {:engine :interpreter})]
      (let [in? (<= (+ (bit-and offset 0xFFFFFFFF) (bit-and size 0xFFFFFFFF)) 4)
            got (try ((wasm/fn i "table_fill") offset size) :ok
                     (catch clojure.lang.ExceptionInfo e (:kind (ex-data e))))]
        (= got (if in? :ok :out-of-bounds-table-access))))))

(deftest chicory-compiler-table-fill-overflow-still-happens
  ;; compiled code calls Chicory's OpcodeImpl.TABLE_FILL, which adds offset and size in
  ;; int: a fill whose offset + size passes 2^31 - 1 does nothing instead of trapping. When
  ;; this fails, Chicory fixed it: drop this test and its row in docs/TESTING.md.
  (doseq [engine [:compiler :auto]]
    (with-open [i (wasm/load (wasm "bulk_bounds") {:engine engine})]
      (is (nil? ((wasm/fn i "table_fill") 1 0x7fffffff)) (str engine)))))

;; ---- the plan's SIMD scan -------------------------------------------------------------

(deftest a-v128-in-an-imported-function-type-makes-a-simd-module
  (let [plan (.plan ^Module (with-props {"clj-wasi.large" "off"} (wasm/module (wasm "simd_import"))))]
    (is (.usesSimd plan))
    (is (= ModulePlan$Route/COMPILED (.route plan Engine/COMPILER))
        ":compiler takes it: the project's compiler compiles SIMD")
    (is (= ModulePlan$Route/INTERPRETER (.route plan Engine/INTERPRETER)))))
