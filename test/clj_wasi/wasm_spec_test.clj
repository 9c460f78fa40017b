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
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop]))

(def ^:private known-failures (edn/read-string (slurp "test/spec/known_failures.edn")))

(def ^:private skipped (edn/read-string (slurp "test/spec/skipped.edn")))

(def ^:private other-compiler
  "The compiler behind :compiler and :auto: the project's own (known_failures.edn keys its
  entries :compiler+own and :auto+own)."
  "own")

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

;; The harness itself: a command whose expectation is made wrong must fail. Any assert_return
;; of a number (one bit of its expected value flipped), any assert_trap (expected to return
;; instead), in files of every number type.

(def ^:private mutation-files ["i32" "i64" "f32" "f64" "conversions" "int_exprs"])

(defn- mutable? [{:keys [type expected]}]
  (or (= type "assert_trap")
      (and (= type "assert_return") (= 1 (count expected))
           (#{"i32" "i64" "f32" "f64"} (:type (first expected)))
           (not (str/starts-with? (:value (first expected)) "nan:")))))

(defn- mutate
  "`cmd` with its expectation made wrong (bit `bit` of a number flipped)."
  [{:keys [type expected] :as cmd} bit]
  (if (= type "assert_trap")
    (-> cmd (assoc :type "assert_return" :expected []) (dissoc :text))
    (let [{t :type v :value} (first expected)
          width (if (#{"i32" "f32"} t) 32 64)]
      (assoc-in cmd [:expected 0 :value]
                (Long/toUnsignedString (bit-flip (Long/parseUnsignedLong v) (mod bit width)))))))

(defspec a-wrong-expectation-fails 40
  (prop/for-all [file (gen/elements mutation-files)
                 pick gen/nat
                 bit (gen/choose 0 63)]
    (let [cmds (vec (spec/commands file))
          candidates (filterv #(mutable? (cmds %)) (range (count cmds)))
          i (candidates (mod pick (count candidates)))
          run #(spec/run-file file :interpreter (spec/module-cache file) %)
          outcome-at (fn [results] (:outcome (nth results i)))]
      (and (= :pass (outcome-at (run cmds)))
           (let [o (outcome-at (run (assoc cmds i (mutate (cmds i) bit))))]
             (and (= :fail (spec/outcome-kind o))
                  (str/includes? (second o) "expected")))))))
