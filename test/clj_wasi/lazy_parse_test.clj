(ns clj-wasi.lazy-parse-test
  "Large modules are parsed lazily (cljwasi.engine.parse.LazyParser): every function body is decoded
  and validated at its first use. Forced on for the small test modules with the
  clj-wasi.tier property, and compared with the eager parse of the same bytes."
  (:require [clj-wasi.test-util :refer [thrown-data wasm with-props]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Module)
           (com.dylibso.chicory.wasm Parser)
           (java.nio.file Files)))

(defn- lazy-module ^Module [name]
  (with-props {"clj-wasi.tier" "on"} (wasm/module (wasm name))))

(defn- eager-module ^Module [name]
  (with-props {"clj-wasi.tier" "off"} (wasm/module (wasm name))))

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
        (is (= expected (with-props {"clj-wasi.tier" "on"}
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
        (with-open [i (with-props {"clj-wasi.tier" "on"} (wasm/load m {:engine engine}))]
          (is (= 42 ((wasm/fn i "good"))))
          (dotimes [_ 2] ; the failure is kept, not retried
            (let [d (thrown-data #((wasm/fn i "bad")))]
              (is (= :wasm/malformed (:type d)) (str engine))
              (is (= 1 (:function d)))
              (is (= "bad" (:export d))))))))))
