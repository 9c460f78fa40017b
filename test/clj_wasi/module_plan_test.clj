(ns clj-wasi.module-plan-test
  "The module plan (cljwasi.engine.ModulePlan): lazy parsing and compiling only the hot
  functions follow one size measure, the code section's bytes, against
  clj-wasi.large.min-code-bytes; the SIMD and tail-calling functions and the route each
  engine takes are decided at parse."
  (:require [clj-wasi.test-util :refer [wasm with-props]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (cljwasi.engine ModulePlan ModulePlan$Route)
           (java.nio.file Files)))

(defn- leb
  "[value next-offset] of the unsigned LEB128 at offset i of bs."
  [^bytes bs i]
  (loop [i i shift 0 v 0]
    (let [b (bit-and (aget bs i) 0x7F) v (bit-or v (bit-shift-left b shift))]
      (if (bit-test (aget bs i) 7) (recur (inc i) (+ shift 7) v) [v (inc i)]))))

(defn- code-section-size
  "The size of the code section (id 10) of the module in bs, read here independently."
  [^bytes bs]
  (loop [i 8]
    (if (>= i (alength bs))
      0
      (let [id (aget bs i) [size at] (leb bs (inc i))]
        (if (= id 10) size (recur (+ at size)))))))

(def ^:private modules ["hello" "numbers" "tier_hot" "simd_kernels" "tail_calls"])

(defn- plan ^ModulePlan [name props]
  (.plan ^Module (with-props props (wasm/module (wasm name)))))

(defspec lazy-parsing-and-hot-compiling-follow-one-size-measure 40
  (prop/for-all [name (gen/elements modules)
                 frac (gen/double* {:min 0.0 :max 2.0 :NaN? false :infinite? false})]
    (let [size (code-section-size (Files/readAllBytes (.toPath (io/file (wasm name)))))
          threshold (long (* frac size))
          p (plan name {"clj-wasi.large" "auto" "clj-wasi.large.min-code-bytes" (str threshold)})
          large? (>= size threshold)]
      (and (= size (.codeBytes p))
           (= large? (.lazy p) (.large p))
           (= (if large? ModulePlan$Route/HOT_FUNCTIONS ModulePlan$Route/COMPILED)
              (.route p Engine/AUTO))
           ;; :compiler compiles a large module whole: what the user asked for
           (= ModulePlan$Route/COMPILED (.route p Engine/COMPILER))
           ;; patched bodies: Chicory's interpreter gets an instruction of them wrong; tail
           ;; calls: it loses its call stack after a call whose callee made one
           (= (if (or large? (.usesSimd p) (pos? (alength (.patchedBodies p)))
                      (seq (.tailCallFunctions p)))
                ModulePlan$Route/INTERPRETER
                  ModulePlan$Route/CHICORY_INTERPRETER)
              (.route p Engine/INTERPRETER))))))

(deftest the-size-switch-forces-the-decision
  (doseq [name modules]
    (let [on (plan name {"clj-wasi.large" "on"}) off (plan name {"clj-wasi.large" "off"})]
      (is (and (.lazy on) (.large on)) name)
      (is (= ModulePlan$Route/HOT_FUNCTIONS (.route on Engine/AUTO)) name)
      (is (not (or (.lazy off) (.large off))) name)
      (is (= (.codeBytes on) (.codeBytes off)) name))))

(deftest simd-and-tail-calling-functions-are-found-at-parse
  (let [tail (plan "tail_calls" {"clj-wasi.large" "off"})
        simd (plan "simd_kernels" {"clj-wasi.large" "off"})
        plain (plan "numbers" {"clj-wasi.large" "off"})]
    (is (seq (.tailCallFunctions tail)))
    (is (.mayMakeTailCalls tail))
    (is (= ModulePlan$Route/COMPILED (.route tail Engine/COMPILER)) "compiled: constant stack")
    (is (seq (.simdFunctions simd)))
    (is (= ModulePlan$Route/COMPILED (.route simd Engine/COMPILER)) "the compiler compiles SIMD")
    (is (= ModulePlan$Route/INTERPRETER (.route simd Engine/INTERPRETER)))
    (is (empty? (.simdFunctions plain)))
    (is (not (.mayMakeTailCalls plain)))
    (is (= ModulePlan$Route/COMPILED (.route plain Engine/COMPILER)))
    (is (zero? (alength (.patchedBodies plain))) "nothing to patch: no array per instance")
    (is (.mayMakeTailCalls (plan "numbers" {"clj-wasi.large" "on"}))
        "a lazily parsed module is not scanned, so its instances get the interrupt check")))
