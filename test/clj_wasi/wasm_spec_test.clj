(ns clj-wasi.wasm-spec-test
  "The WebAssembly spec test suite (test/spec, docs/TESTING.md) on every engine: one test
  per converted file (spec-NAME, e.g. spec-i32), running each of its commands on
  :interpreter, :compiler and :auto. A command that fails is a failure naming
  file:line, the engine, the command and expected vs actual, unless
  test/spec/known_failures.edn lists it; a listed command that passes is a failure too.

  Focus: bin/clojure -M:test clj-wasi.wasm-spec-test/spec-i32; fewer engines:
  -J-Dclj-wasi.spec.engines=interpreter,auto (see docs/TESTING.md)."
  (:require [clj-wasi.wasm-spec :as spec]
            [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.set :as set]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]))

(def ^:private known-failures (edn/read-string (slurp "test/spec/known_failures.edn")))

(def ^:private skipped (edn/read-string (slurp "test/spec/skipped.edn")))

(def ^:private other-compiler
  "The compiler behind :compiler and :auto when it is not Chicory's (-Dclj-wasi.compiler)."
  (System/getProperty "clj-wasi.compiler"))

(defn- known-key
  "The key of `engine`'s known failures in known_failures.edn."
  [engine]
  (if (and other-compiler (not= engine :interpreter))
    (keyword (str (name engine) "+" other-compiler))
    engine))

(def ^:private engines
  (if-let [only (System/getProperty "clj-wasi.spec.engines")]
    (mapv keyword (str/split only #","))
    spec/engines))

(def ^:private max-reported
  "Problems reported per file and engine; the rest are counted (an engine bug can fail
  thousands of commands)."
  40)

(defn- problems
  "What is wrong with the `results` of file `wast` on `engine`: unexpected failures and
  listed failures that pass, as messages."
  [wast engine results]
  (let [entries (get-in known-failures [(known-key engine) wast])
        expected (set (mapcat :lines entries))
        failed (into (sorted-map) (keep (fn [{:keys [line outcome]}]
                                          (when (= :fail (spec/outcome-kind outcome))
                                            [line (second outcome)])))
                     results)
        where #(str wast ":" % " [" (name engine) "] ")]
    (concat
     (for [[line msg] failed :when (not (expected line))]
       (str (where line) msg))
     (for [{:keys [reason sometimes lines]} entries
           :when (not sometimes)
           line lines
           :when (not (contains? failed line))]
       (str (where line) "passes, but known_failures.edn lists it under "
            (known-key engine) " (" reason "): remove it")))))

(defn- check-file
  "Runs converted file `file` on every engine, parsing its modules once for all of them."
  [file]
  (let [wast (str file ".wast")
        cmds (spec/commands file)
        modules (spec/module-cache file)]
    (doseq [engine engines]
      (testing (str wast " on " engine)
        (let [ps (problems wast engine (spec/run-file file engine modules cmds))]
          (doseq [p (take max-reported ps)]
            (is false p))
          (when (> (count ps) max-reported)
            (is false (str wast " [" (name engine) "]: and " (- (count ps) max-reported)
                           " more problems")))
          (when (empty? ps) (is true)))))))

;; one test per converted file, so a failure names it (:line orders them as the files)
(doseq [[i name] (map-indexed vector (spec/files))]
  (let [v (intern *ns* (symbol (str "spec-" name)))]
    (alter-meta! v assoc :test #(check-file name) :line (+ 10000 i))
    (alter-var-root v (constantly (fn [] (clojure.test/test-var v))))))

(deftest lists-are-consistent
  (testing "every skipped file says why, and none of them was converted"
    (is (seq skipped))
    (doseq [[file reason] skipped]
      (is (and (string? reason) (not (str/blank? reason))) (str file ": no reason"))
      (is (not (.exists (io/file spec/suite-dir (str/replace file #"\.wast$" ""))))
          (str file " is in skipped.edn but was converted"))))
  (testing "every known failure names a converted file and says why"
    (doseq [[engine files] known-failures
            [wast entries] files
            {:keys [reason lines]} entries]
      (is (some #{(str/replace wast #"\.wast$" "")} (spec/files))
          (str engine " " wast ": no such converted file"))
      (is (not (str/blank? reason)) (str engine " " wast ": no reason"))
      (is (seq lines) (str engine " " wast ": no :lines"))))
  (testing "the converted files have commands, modules and assertions"
    (is (> (count (spec/files)) 100))
    (is (every? #(seq (spec/commands %)) (take 5 (spec/files))))))
