(ns clj-wasi.options-test
  "The options table (clj-wasi.impl.options): every option declared whole, and what is
  derived from it: the specs, the docstrings' option lists (and docs/API.md), the
  command line's flags, parser and usage text (and docs/USAGE.md's copy); each option
  validated once per call; a missing preopen directory reported once, the same way by
  the API and the command line; host function signatures checked in one place."
  (:require [clj-wasi.impl.options :as options]
            [clj-wasi.main :as main]
            [clj-wasi.specs]
            [clj-wasi.test-util :refer [thrown-data wasm with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.spec.alpha :as s]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.io StringWriter)))

(def ^:private hello (delay (wasm/module (wasm "hello"))))

(defn- spec-of [k] (keyword "clj-wasi.specs" (name k)))

(deftest every-option-is-declared-whole
  (is (= (count options/table) (count (set (map :key options/table)))) "each key once")
  (doseq [{:keys [key in spec expected doc cli]} options/table]
    (testing key
      (is (keyword? key))
      (is (#{:load :wasi} in))
      (is (or (s/spec? spec) (s/get-spec spec)))
      (is (= (s/form spec) (s/form (spec-of key))) "registered by clj-wasi.specs")
      (is (and (string? expected) (seq expected)))
      (is (and (string? doc) (seq doc)))
      (doseq [f cli]
        (is (str/starts-with? (:flag f) "--"))
        (is (string? (:help f))))))
  (is (= (options/keys-of :load) (set (map :key (filter #(= :load (:in %)) options/table)))))
  (is (= (options/keys-of :wasi) (set (map :key options/table))))
  (is (every? (options/keys-of :wasi) (options/keys-of :load)) "load-wasi takes load's options"))

(defn- option-rows
  "The option rows of a docstring: key -> its first line of description."
  [doc]
  (into {} (for [[_ k text] (re-seq #"(?m)^    (:[a-z0-9-]+) +(\S.*)$" doc)]
             [(keyword (subs k 1)) text])))

(deftest docstrings-list-the-options-of-their-function
  (let [load-rows (option-rows (:doc (meta #'wasm/load)))
        wasi-rows (option-rows (:doc (meta #'wasm/load-wasi)))
        run-doc (:doc (meta #'wasm/run))
        api-md (slurp "docs/API.md")]
    (is (= (options/keys-of :load) (set (keys load-rows))))
    (is (= (apply disj (options/keys-of :wasi) (options/keys-of :load)) (set (keys wasi-rows))))
    (doseq [{k :key doc :doc} options/table
            :let [first-line (get (merge load-rows wasi-rows) k)]]
      (is (str/starts-with? doc first-line) (str k ": the docstring row is the table's :doc"))
      (is (re-find (re-pattern (str "(?m)^" k " +" (java.util.regex.Pattern/quote first-line) "$")) api-md)
          (str k ": docs/API.md is generated from the current docstrings"))
      (is (re-find (re-pattern (str "(?<![a-z-])" k "(?![a-z-])")) run-doc) (str "run names " k)))
    (doseq [v [#'wasm/load #'wasm/load-wasi #'wasm/run]]
      (is (not (str/includes? (:doc (meta v)) "{{")) (str v " has no placeholder left")))))

(deftest usage-lists-every-flag-and-docs-copy-it
  (doseq [{:keys [flag arg help]} (options/cli-flags)]
    (is (str/includes? main/usage (str "  " flag (when arg (str " " arg)) " ")) flag)
    (is (str/includes? (str/replace main/usage #"\s+" " ") help) flag))
  (let [options-block (subs main/usage (+ (str/index-of main/usage "options:\n") 9))]
    (is (str/includes? (slurp "docs/USAGE.md") options-block) "docs/USAGE.md shows the usage text")))

;; ---- flags become values the option's spec accepts ---------------------------------

(def ^:private gen-digits (gen/fmap str (gen/large-integer* {:min 0 :max 999999999999999999})))

(def ^:private gen-flag-and-check
  "[argv valid?]: one flag with generated text, and whether the options it parses to
  are valid ones."
  (gen/one-of
   [(gen/fmap (fn [n] [["--timeout-ms" n] true]) gen-digits)
    (gen/fmap (fn [n] [["--max-output-bytes" n] true]) gen-digits)
    (gen/fmap (fn [n] [[(str "--max-memory-pages=" n)] (<= (parse-long n) 65536)]) gen-digits)
    (gen/fmap (fn [e] [["--engine" e] (contains? #{"auto" "compiler" "interpreter"} e)])
              (gen/one-of [(gen/elements ["auto" "compiler" "interpreter"]) gen/string-alphanumeric]))
    (gen/fmap (fn [p] [["--listen" (str "127.0.0.1:" p)] (<= p 65535)]) (gen/choose 0 99999))
    (gen/fmap (fn [[k v]] [["--env" (str k "=" v)] true])
              (gen/tuple (gen/not-empty gen/string-alphanumeric) gen/string-alphanumeric))
    (gen/fmap (fn [[flag guest]] [[flag (str "." (when guest (str "::/" guest)))] true])
              (gen/tuple (gen/elements ["--dir" "--dir-ro"]) (gen/one-of [(gen/return nil) (gen/not-empty gen/string-alphanumeric)])))
    (gen/return [["--no-cache"] true])
    (gen/return [["--trace"] true])]))

(defspec flag-text-becomes-a-value-the-spec-judges 200
  (prop/for-all [parts (gen/vector gen-flag-and-check 1 4)]
    (let [argv (vec (mapcat first parts))
          {:keys [opts module]} (main/parse-args (conj argv "m.wasm"))
          ;; a repeated flag adds to --listen's, --env's and --dir's values; of the
          ;; others the last one counts
          adds? #{"--listen" "--env" "--dir" "--dir-ro"}
          valid-by-flag (reduce (fn [m [[a] ok]]
                                  (let [flag (first (str/split a #"=" 2))]
                                    (assoc m flag (if (adds? flag) (and (get m flag true) ok) ok))))
                                {} parts)]
      (and (= "m.wasm" module)
           (= (every? true? (vals valid-by-flag)) (s/valid? :clj-wasi.specs/wasi-options opts))))))

;; ---- validation: once per call, one failure for a missing preopen -------------------

(deftest each-call-validates-its-options-once
  (let [calls (atom [])
        validate! options/validate!]
    (with-redefs [options/validate! (fn [opts in] (swap! calls conj in) (validate! opts in))]
      (wasm/run @hello {:args ["x"]})
      (is (= [:wasi] @calls) "run")
      (reset! calls [])
      (with-open [_ (wasm/load-wasi @hello {:stdout :discard})])
      (is (= [:wasi] @calls) "load-wasi")
      (reset! calls [])
      (with-open [_ (wasm/load (wasm "numbers"))])
      (is (= [:load] @calls) "load"))))

(def ^:private gen-preopens-with-a-missing-dir
  "[preopens missing-dir] in either shape: good preopens (\".\") around one whose host
  directory does not exist."
  (gen/let [name (gen/not-empty gen/string-alphanumeric)
            before (gen/choose 0 2)
            after (gen/choose 0 2)
            as-map? gen/boolean]
    (let [missing (str "target/no-such-dir-" name)
          entries (concat (for [i (range before)] [(str "/b" i) "."])
                          [["/missing" missing]]
                          (for [i (range after)] [(str "/a" i) "."]))]
      [(if as-map?
         (into (array-map) entries)
         (mapv (fn [[g h]] {:guest g :host h}) entries))
       missing])))

(defspec a-missing-preopen-directory-is-one-failure 40
  (prop/for-all [[preopens missing] gen-preopens-with-a-missing-dir]
    (let [thrown #(try (%) nil (catch clojure.lang.ExceptionInfo e (assoc (ex-data e) ::message (ex-message e))))
          d (thrown #(wasm/run @hello {:preopens preopens}))
          d2 (thrown #(wasm/load-wasi @hello {:preopens preopens}))]
      (and (= (dissoc d :problems) (dissoc d2 :problems))
           (= [:wasm/bad-option :preopens preopens missing] ((juxt :type :key :value :path) d))
           (= (str "option :preopens: no such directory: " missing " (for the guest's /missing)")
              (::message d))))))

(deftest the-command-line-reports-a-missing-directory-as-the-api-does
  (with-temp-dir [dir]
    (let [missing (str (io/file dir "gone"))
          api-msg (try (wasm/run @hello {:preopens [{:guest missing :host missing :read-only false}]})
                       (catch clojure.lang.ExceptionInfo e (ex-message e)))
          err (StringWriter.)
          code (binding [*err* err] (main/run-cli ["--dir" missing (wasm "hello")]))]
      (is (str/includes? api-msg "no such directory"))
      (is (= 2 code))
      (is (= (str "clj-wasi: " api-msg "\n") (str err)) "one line, the API's message"))))

;; ---- host function signatures: checked in one place ---------------------------------

(def ^:private other-imports {"log" (fn [_ _])})

(defspec declared-signatures-are-checked-against-the-import 60
  (prop/for-all [params (gen/vector (gen/elements [:i32 :i64 :f32 :f64]) 0 3)
                 results (gen/one-of [(gen/return nil) (gen/vector (gen/elements [:i32 :i64 :f32 :f64]) 0 2)])]
    (let [imports {"env" (assoc other-imports "add" (cond-> {:fn (fn [& xs] (long (count xs))) :params params}
                                                      results (assoc :results results)))
                   "math" {"scale" identity}}
          matches? (and (= [:i32 :i32] params) (contains? #{nil [:i32]} results))
          outcome (try (with-open [i (wasm/load (wasm "host_imports") {:imports imports})]
                         ((wasm/fn i "call_add") 2 3))
                       (catch clojure.lang.ExceptionInfo e (ex-data e)))]
      (if matches?
        (= 2 outcome)
        (and (= :wasm/import-mismatch (:type outcome))
             (= ["env" "add" [:i32 :i32] [:i32]] ((juxt :module :name :params :results) outcome))
             (= [params (or results [:i32])] ((juxt :provided-params :provided-results) outcome))
             (= 1 (count (:mismatched outcome))))))))
