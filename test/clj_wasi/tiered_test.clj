(ns clj-wasi.tiered-test
  "Tiered execution (engine :auto on large modules, see cljwasi.engine.tier.Tiering): modules
  start in the interpreter and hot functions switch to compiled code mid-run. Forced on
  for the small test/wasm/tier_hot.wasm with system properties; `sync` compiles on the
  thread that found a function hot, so the switch happens at a known point of the run."
  (:require [clj-wasi.test-util :refer [wasm with-props with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is testing]])
  (:import (cljwasi Engine Module)
           (cljwasi.engine.tier TierMachine$Factory Tiering)))

(def ^:private tier-props
  {"clj-wasi.tier" "on"
   "clj-wasi.tier.calls" "50"
   "clj-wasi.tier.samples" "100000000"
   "clj-wasi.tier.sync" "true"})

(defn- tiering ^Tiering [^Module m]
  (let [f (.machineFactory m Engine/AUTO nil)]
    (is (instance? TierMachine$Factory f) "engine :auto is tiered")
    (when (instance? TierMachine$Factory f) (.tiering ^TierMachine$Factory f))))

(defn- stats [^Module m] (into {} (.stats (tiering m))))

(defn- interpreted [& args]
  (wasm/run (wasm "tier_hot") {:engine :interpreter :args (vec args) :cache-dir false}))

(defn- outcome
  "{:exit :out} of a run, or {:trap message :out} when it traps."
  [f]
  (try (select-keys (f) [:exit :out])
       (catch clojure.lang.ExceptionInfo e
         {:trap (ex-message e) :out (:out (ex-data e))})))

(deftest hot-functions-compile-mid-run-with-the-interpreters-results
  (with-props tier-props
    (let [m (wasm/module (wasm "tier_hot"))
          r (wasm/run m {:args ["sum" "3000"] :cache-dir false})
          s (stats m)]
      (is (= (select-keys (interpreted "sum" "3000") [:exit :out]) (select-keys r [:exit :out])))
      (is (re-matches #"sum 3000 \d+ \d+\.\d+\n" (:out r)))
      (is (<= 3 (s "compiled-functions")) "mix, scale and hot got hot and were compiled")
      (is (pos? (s "layers")))
      (testing "a second instance of the module starts on the compiled code"
        (let [before (s "layer-compiles")
              r2 (wasm/run m {:args ["sum" "3000"] :cache-dir false})]
          (is (= (:out r) (:out r2)))
          (is (= before ((stats m) "layer-compiles")) "nothing new to compile"))))))

(deftest calls-switch-tiers-without-the-guest-noticing
  (testing "background compilation: the switch happens whenever the compiler is done"
    (with-props (assoc tier-props "clj-wasi.tier.sync" "false")
      (let [m (wasm/module (wasm "tier_hot"))
            expected (select-keys (interpreted "sum" "20000") [:exit :out])]
        (is (= expected (select-keys (wasm/run m {:args ["sum" "20000"] :cache-dir false})
                                     [:exit :out])))
        (is (.awaitIdle (tiering m) 20000))
        (is (<= 3 ((stats m) "compiled-functions")))
        (is (= expected (select-keys (wasm/run m {:args ["sum" "20000"] :cache-dir false})
                                     [:exit :out])))))))

(deftest functions-the-compiler-refuses-stay-interpreted
  (with-props tier-props
    (let [m (wasm/module (wasm "tier_hot"))
          r (wasm/run m {:args ["big" "120"] :cache-dir false})
          s (stats m)]
      (is (= (select-keys (interpreted "big" "120") [:exit :out]) (select-keys r [:exit :out])))
      (is (<= 1 (s "refused-functions")) "big() is too large for one JVM method")
      (is (<= 3 (s "compiled-functions")) "the others were compiled all the same")
      (is (false? (s "disabled"))))))

(deftest traps-and-proc-exit-behave-as-in-the-interpreter
  (with-props tier-props
    (testing "a trap in a function that runs compiled"
      (let [m (wasm/module (wasm "tier_hot"))
            expected (outcome #(interpreted "trap" "400"))
            got (outcome #(wasm/run m {:args ["trap" "400"] :cache-dir false}))]
        (is (string? (:trap expected)))
        (is (= expected got))
        (is (<= 2 ((stats m) "compiled-functions")) "hot() ran compiled when it trapped")))
    (testing "proc_exit from compiled code"
      (let [m (wasm/module (wasm "tier_hot"))
            expected (outcome #(interpreted "exit" "400"))]
        (is (= 7 (:exit expected)))
        (is (= expected (outcome #(wasm/run m {:args ["exit" "400"] :cache-dir false}))))))))

(defn- tier-entries [dir]
  (filter #(.endsWith (.getName ^java.io.File %) ".bin") (file-seq (io/file dir))))

(deftest the-compile-cache-keeps-layers-and-the-profile
  (with-props tier-props
    (with-temp-dir [dir]
      (let [run #(let [m (wasm/module (wasm "tier_hot"))
                       r (wasm/run m {:args ["sum" "2000"] :cache-dir dir})]
                   [(select-keys r [:exit :out]) (stats m)])
            expected (select-keys (interpreted "sum" "2000") [:exit :out])
            [r1 s1] (run)]
        (is (= expected r1))
        (is (pos? (s1 "layer-compiles")))
        (is (<= 2 (count (tier-entries dir))) "layers and the profile are stored")
        (testing "a second run loads the compiled layers instead of compiling"
          (let [[r2 s2] (run)]
            (is (= expected r2))
            (is (pos? (s2 "cache-loads")))
            (is (zero? (s2 "layer-compiles")))))
        (testing "corrupt entries are rebuilt, never trusted"
          (doseq [f (tier-entries dir)] (spit f "garbage, not classes"))
          (let [[r3 s3] (run)]
            (is (= expected r3))
            (is (zero? (s3 "cache-loads")))
            (is (pos? (s3 "layer-compiles"))))
          (let [[r4 s4] (run)]
            (is (= expected r4))
            (is (pos? (s4 "cache-loads")) "the rebuilt entries load again")))))))

(deftest small-modules-compile-eagerly-by-default
  (with-props {"clj-wasi.tier" "auto" "clj-wasi.tier.min-code-bytes" "4194304"}
    (let [m (wasm/module (wasm "tier_hot"))]
      (is (not (instance? TierMachine$Factory (.machineFactory m Engine/AUTO nil)))))))

(deftest simd-functions-stay-interpreted-the-rest-tiers
  (with-props (assoc tier-props "clj-wasi.tier.calls" "5")
    (let [args ["simd_kernels" "1000"]
          expected (wasm/run (wasm "simd_kernels_scalar") {:engine :compiler :args args :cache-dir false})
          m (wasm/module (wasm "simd_kernels"))]
      (is (= expected (wasm/run m {:args args :cache-dir false})))
      (let [s (stats m)]
        (is (pos? (s "compiled-functions")) "non-SIMD functions were compiled")
        (is (false? (s "disabled")))))))
