(ns clj-wasi.background-compile-test
  "Compiling in the background (opt-in: -Dclj-wasi.compiler.background=on): under :auto a
  module whose compiled code is not in the compile cache starts interpreted at once and is compiled in the
  background (cljwasi.engine.compiler.BackgroundCompile); calls switch to the compiled code
  at the next call of each function, and the code is cached for the next run. The switch
  is made deterministic by holding the background compilation (with-compile-held) and
  letting it finish from a host call in the middle of the guest's loop
  (test/wasm/src/switch.wat)."
  (:require [clj-wasi.test-util :refer [await-compiled java-cmd sh wasm with-compile-held
                                        with-props* with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing use-fixtures]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine Module)
           (cljwasi.engine.compiler BackgroundCompile)))

(use-fixtures :each
  ;; background compiling is opt-in (-Dclj-wasi.compiler.background=on; off by default until
  ;; a running loop can enter compiled code): every test here turns it on
  (fn [t] (with-props* {BackgroundCompile/PROPERTY "on"} t)))

(defn- compiled-caller?
  "Whether the Java stack shows generated code of the own compiler (a compiled Wasm
  function called the host function that asks)."
  []
  (boolean (some #(str/starts-with? (.getClassName ^StackTraceElement %)
                                    "cljwasi.engine.compiler.gen.")
                 (.getStackTrace (Thread/currentThread)))))

(defn- auto-factory ^BackgroundCompile [^Module m]
  (let [f (.machineFactory m Engine/AUTO nil)]
    (when (instance? BackgroundCompile f) f)))

(defn- run-work
  "Calls switch.wasm's work(n, seed, trap-at) on a fresh instance of Module `m` under
  `engine`; when `switch-at` is a round, the held background compilation is released and
  awaited in the host call before that round. Returns {:result (or :trap kind) :total
  :memory (first 256 bytes) :probes [whether each mix call ran compiled]}."
  [^Module m engine cache-dir n seed trap-at switch-at]
  (let [probes (atom [])
        imports {"env" {"tick" (fn [i]
                                 (when (= i switch-at)
                                   (BackgroundCompile/release)
                                   (is (await-compiled m) "the compilation finished"))
                                 nil)
                        "probe" (fn [_] (swap! probes conj (compiled-caller?)) nil)}}]
    (with-open [i (wasm/load m {:engine engine :cache-dir cache-dir :imports imports})]
      (let [r (try {:result ((wasm/fn i :work) n seed trap-at)}
                   (catch clojure.lang.ExceptionInfo e {:trap (:kind (ex-data e))}))]
        (assoc r
               :total (wasm/global i :total)
               :memory (vec (wasm/read-bytes i 0 256))
               :probes @probes)))))

(deftest interpreted-then-compiled-within-one-call
  (with-compile-held
    (let [m (wasm/module (wasm "switch"))
          r (run-work m :auto false 6 17 100 3)]
      (is (= [false false false true true true] (:probes r))
          "rounds 0-2 interpreted; from round 3 on mix runs compiled (directly or through mix2)")
      (is (some? (auto-factory m)) "a compile-cache miss under :auto compiles in the background")
      (is (.isCompiled (auto-factory m)))
      (testing "an instance made after the switch runs compiled from its first call"
        (is (every? true? (:probes (run-work m :auto false 4 17 100 nil))))))))

(defn- without-probes [r] (dissoc r :probes))

(defspec results-are-the-same-wherever-the-switch-comes 25
  (prop/for-all [n (gen/choose 0 24)
                 seed gen/large-integer
                 trap-at (gen/choose 0 30)
                 switch-at (gen/one-of [(gen/choose 0 26) (gen/return nil)])]
    (let [seed (unchecked-int seed)
          reference (run-work (wasm/module (wasm "switch")) :interpreter false n seed trap-at nil)
          compiled (run-work (wasm/module (wasm "switch")) :compiler false n seed trap-at nil)
          switched (with-compile-held
                     (run-work (wasm/module (wasm "switch")) :auto false n seed trap-at switch-at))
          ;; one mix call per round, up to the trapping one
          rounds (min n (inc trap-at))]
      (and (= (without-probes reference) (without-probes compiled) (without-probes switched))
           (= (repeat rounds false) (:probes reference))
           (= (repeat rounds true) (:probes compiled))
           (= (map #(boolean (and switch-at (>= % switch-at))) (range rounds))
              (:probes switched))))))

(deftest the-next-run-starts-compiled-from-the-cache
  (with-temp-dir [dir]
    (let [m (wasm/module (wasm "switch"))]
      (with-compile-held
        (is (every? false? (:probes (run-work m :auto (str dir) 3 1 100 nil)))
            "a cold run starts interpreted"))
      (is (await-compiled m))
      (is (.isCompiled (auto-factory m))))
    (is (seq (filter #(str/ends-with? (.getName ^java.io.File %) ".bin")
                     (file-seq (io/file dir "chicory-1.7.5-v3" "own"))))
        "the background compilation stored the code")
    (let [m (wasm/module (wasm "switch"))]
      (with-compile-held
        (is (every? true? (:probes (run-work m :auto (str dir) 3 1 100 nil)))
            "the next run (a new parse) starts compiled: no compilation to hold"))
      (is (nil? (auto-factory m))))))

(deftest compiler-and-background-off-compile-before-the-first-call
  (with-compile-held
    (is (every? true? (:probes (run-work (wasm/module (wasm "switch")) :compiler false 3 1 100 nil))))
    (try
      (System/setProperty BackgroundCompile/PROPERTY "off")
      (is (every? true? (:probes (run-work (wasm/module (wasm "switch")) :auto false 3 1 100 nil))))
      (finally (System/clearProperty BackgroundCompile/PROPERTY)))))

(deftest timeouts-stop-the-guest-before-and-after-the-switch
  (with-compile-held
    (let [m (wasm/module (wasm "traps"))
          timeout (fn []
                    (with-open [i (wasm/load m {:timeout-ms 100 :cache-dir false})]
                      (try ((wasm/fn i :loop_forever)) nil
                           (catch clojure.lang.ExceptionInfo e (:type (ex-data e))))))]
      (is (= :wasm/timeout (timeout)) "interpreted")
      (is (not (.isCompiled (auto-factory m))))
      (BackgroundCompile/release)
      (is (await-compiled m))
      (is (.isCompiled (auto-factory m)))
      (is (= :wasm/timeout (timeout)) "compiled"))))

(deftest a-process-never-waits-for-the-compilation
  ;; with the compilation held for good, the command line must still end at once with the
  ;; guest's exit (a wait would hang this test), and store no compiled code
  (with-temp-dir [dir]
    (let [t0 (System/nanoTime)
          r (sh (java-cmd (str "-D" BackgroundCompile/PROPERTY "=hold") "cljwasi.cli.Main"
                          "--cache-dir" (str dir) (wasm "hello")))]
      (is (= {:exit 0 :out "hello, world\n" :err ""} r))
      (is (< (/ (- (System/nanoTime) t0) 1e9) 30))
      (is (empty? (filter #(str/ends-with? (.getName ^java.io.File %) ".bin")
                          (file-seq (io/file dir "chicory-1.7.5-v3" "own"))))))))

(defn- await-first-batch
  "Waits (a minute at most) until `f` has published a first batch; returns it."
  [^BackgroundCompile f]
  (loop [waited 0]
    (let [b (.firstBatch f)]
      (if (or (seq b) (> waited 60000)) b (do (Thread/sleep 20) (recur (+ waited 20)))))))

(deftest hot-functions-are-compiled-first
  ;; tier_hot.wasm (60 functions): `sum N` calls hot() N times and mix() 8N times. The
  ;; first step (a batch of what the interpreter found hot, with direct callees) is let run
  ;; alone, then the whole module; every run prints what the interpreter prints.
  (let [m (wasm/module (wasm "tier_hot"))
        run (fn [engine & args]
              (try (wasm/run m {:engine engine :args (vec args) :cache-dir false})
                   (catch clojure.lang.ExceptionInfo e (select-keys (ex-data e) [:type :kind :out]))))
        expected (into {} (for [mode ["sum" "trap" "exit"]]
                            [mode (run :interpreter mode "1500")]))]
    (is (= 7 (:exit (expected "exit"))))
    (is (= :integer-divide-by-zero (:kind (expected "trap"))))
    (with-compile-held
      (is (= (expected "sum") (run :auto "sum" "1500")) "interpreted, counting calls")
      (let [f (auto-factory m)
            defined (- (.functionCount (.plan m)) (.importedFunctions (.plan m)))]
        (BackgroundCompile/allow 1)
        (let [batch (await-first-batch f)]
          (is (<= 2 (count batch) 10) (str "hot() and mix(), a few more at most: " batch))
          (is (< (count batch) defined))
          (is (= (count batch) (.compiledCount (.compiledCode f))) "only the batch is compiled yet")
          (doseq [mode ["sum" "trap" "exit"]]
            (is (= (expected mode) (run :auto mode "1500")) (str mode ", on the batch")))
          (BackgroundCompile/release)
          (is (await-compiled m))
          (is (< (count batch) (.compiledCount (.compiledCode f))) "then the whole module")
          (doseq [mode ["sum" "trap" "exit"]]
            (is (= (expected mode) (run :auto mode "1500")) (str mode ", on the whole module"))))))))
