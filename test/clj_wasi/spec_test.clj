(ns clj-wasi.spec-test
  "The specs: clj-wasi.wasm's s/fdefs under clojure.spec.test.alpha/instrument (good
  calls pass, bad ones fail at the call), and the options check without it: every
  option key given a bad value, alone or among good ones, throws :wasm/bad-option
  naming that key."
  (:require [clj-wasi.impl.options :as options]
            [clj-wasi.specs]
            [clj-wasi.test-util :refer [thrown-data]]
            [clj-wasi.wasm :as wasm]
            [clojure.spec.alpha :as s]
            [clojure.spec.test.alpha :as stest]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop]))

(def ^:private hello (delay (wasm/module "test/wasm/hello.wasm")))

(def ^:private public-fns
  "Every public function of clj-wasi.wasm (but the deftype's constructor)."
  (->> (ns-publics 'clj-wasi.wasm) vals (filter (comp fn? deref)) (map symbol)
       (remove #(.startsWith (name %) "->")) sort))

(defmacro ^:private instrumented [& body]
  `(let [syms# (stest/instrument (stest/enumerate-namespace 'clj-wasi.wasm))]
     (try ~@body
          (finally (stest/unstrument syms#)))))

(defn- instrument-failure
  "The function named by an instrument failure `f` throws, or nil when it passes."
  [f]
  (try (f) nil
       (catch clojure.lang.ExceptionInfo e
         (when (= :instrument (::s/failure (ex-data e)))
           (let [sym (symbol (str (:clojure.spec.test.alpha/caller (ex-data e))))]
             (or (some-> (ex-data e) ::s/fn) sym))))))

(deftest every-public-function-has-an-fdef
  (is (seq public-fns))
  (doseq [sym public-fns]
    (is (s/get-spec sym) (str sym " has no s/fdef")))
  (is (= (set public-fns)
         (set (remove #(.startsWith (name %) "->")
                      (instrumented (stest/instrument (stest/enumerate-namespace 'clj-wasi.wasm))))))
      "instrument takes every one"))

(deftest good-calls-pass-under-instrument
  (instrumented
   (is (instance? cljwasi.Module (wasm/module "test/wasm/numbers.wasm")))
   (is (= {:exit 0 :out "hello, world\n" :err ""} (wasm/run @hello)))
   (is (= {:exit 0 :out "hello, world\n" :err ""} (wasm/run @hello {:clock 0 :random 1 :env {"A" "b"}})))
   (is (= "/d/x" (-> (wasm/run @hello {:files {"/d/x" "1"} :files-as :string}) :files keys first)))
   (is (some #{{:name "add" :kind :function :params [:i32 :i32] :results [:i32]}}
             (wasm/exports "test/wasm/numbers.wasm")))
   (is (every? #(= "wasi_snapshot_preview1" (:module %)) (wasm/imports @hello)))
   (with-open [i (wasm/load "test/wasm/numbers.wasm" {:engine :interpreter})]
     (is (= 5 ((wasm/fn i "add") 2 3)))
     (is (= 65536 (wasm/memory-size i)))
     (is (= 2 (wasm/write-string! i 100 "hi")))
     (is (= "hi" (wasm/read-string i 100 2)))
     (is (= 3 (wasm/write-bytes! i 200 (byte-array [1 2 3]))))
     (is (= [1 2 3] (vec (wasm/read-bytes i 200 3))))
     (is (= (wasm/exports "test/wasm/numbers.wasm") (wasm/exports i))
         "an instance's exports, like a module's")
     (is (= [] (wasm/listen-addresses i))))
   (with-open [i (wasm/load-wasi @hello {:stdout :capture :trace true :files {"/d/" {}}})]
     (is (= 0 ((wasm/fn i "_start"))))
     (is (= "hello, world\n" (wasm/captured i :stdout)))
     (is (nil? (wasm/captured i :stderr)))
     (is (seq (wasm/trace i)))
     (is (= {"/d/" {}} (wasm/files i) (wasm/files i :bytes) (wasm/files i nil))))
   (let [i (wasm/load-wasi @hello {:stdout :discard})]
     (is (nil? (wasm/close i))))))

(deftest bad-calls-fail-under-instrument
  (instrumented
   (with-open [i (wasm/load "test/wasm/numbers.wasm")]
     (doseq [[label f] [["module of a number" #(wasm/module 42)]
                        ["load with a bad engine" #(wasm/load @hello {:engine :jit})]
                        ["load with a WASI option" #(wasm/load @hello {:args ["x"]})]
                        ["load-wasi with an unknown option" #(wasm/load-wasi @hello {:bogus 1})]
                        ["load-wasi with bad :stdin" #(wasm/load-wasi @hello {:stdin 5})]
                        ["run with bad :files" #(wasm/run @hello {:files {"rel" "x"}})]
                        ["run with bad :files-as" #(wasm/run @hello {:files-as :utf8})]
                        ["run with options not a map" #(wasm/run @hello [:args ["x"]])]
                        ["run with too many args" #(wasm/run @hello {} {})]
                        ["exports of a keyword" #(wasm/exports :numbers)]
                        ["imports of nil" #(wasm/imports nil)]
                        ["fn with a numeric name" #(wasm/fn i 42)]
                        ["fn of a module" #(wasm/fn @hello "_start")]
                        ["memory-size of a string" #(wasm/memory-size "numbers.wasm")]
                        ["read-bytes at a negative offset" #(wasm/read-bytes i -1 4)]
                        ["read-bytes of a fractional length" #(wasm/read-bytes i 0 1.5)]
                        ["write-bytes! of a string" #(wasm/write-bytes! i 0 "abc")]
                        ["read-string without a length" #(wasm/read-string i 0)]
                        ["write-string! of bytes" #(wasm/write-string! i 0 (byte-array 1))]
                        ["captured :stdin" #(wasm/captured i :stdin)]
                        ["trace of a map" #(wasm/trace {})]
                        ["files as :text" #(wasm/files i :text)]
                        ["close of nil" #(wasm/close nil)]
                        ["listen-addresses of a module" #(wasm/listen-addresses @hello)]]]
       (is (instrument-failure f) label)))))

(deftest uninstrumented-bad-options-name-the-key
  ;; one known-bad value for every option key, on load-wasi (and load for its keys)
  (let [bad {:imports {"env" {"f" 42}} :engine :jit :cache-dir 42 :max-memory-pages 70000
             :timeout-ms 0 :args "a b" :argv0 :prog :env {"A" 1} :preopens {"/d" 42}
             :stdin 42 :stdout "out.txt" :stderr 42 :max-output-bytes -1 :clock "now"
             :random 1.5 :trace :yes :listen ["nohost"] :files {"/d/x" 42} :files-as :utf8}]
    (is (= (options/keys-of :wasi) (set (keys bad))) "every option has a case here")
    (doseq [[k v] bad]
      (let [d (thrown-data #(wasm/load-wasi @hello {k v}))]
        (is (= [:wasm/bad-option k v] ((juxt :type :key :value) d)) (str k))
        (is (string? (:expected d)) (str k)))
      (when ((options/keys-of :load) k)
        (is (= [:wasm/bad-option k] ((juxt :type :key) (thrown-data #(wasm/load "test/wasm/numbers.wasm" {k v}))))
            (str "load " k))))
    (doseq [k (remove (options/keys-of :load) (options/keys-of :wasi))]
      (is (= [:wasm/bad-option k] ((juxt :type :key) (thrown-data #(wasm/load "test/wasm/numbers.wasm" {k (bad k)}))))
          (str k " is not an option of load")))
    (is (= [:wasm/bad-option nil] ((juxt :type :key) (thrown-data #(wasm/run @hello [:args])))))))

(def ^:private good
  "A valid value for every option key (none of which does anything costly)."
  {:imports {} :engine :auto :cache-dir false :max-memory-pages 16 :timeout-ms 60000
   :args ["a"] :argv0 "prog" :env {"A" "b"} :preopens {} :stdin "in" :stdout :capture
   :stderr :discard :max-output-bytes 1000 :clock 0 :random 7 :trace false :listen []
   :files {"/d/x" "y"} :files-as :bytes})

(defn- gen-bad-value
  "Any value the spec of option `k` refuses."
  [k]
  (let [spec (keyword "clj-wasi.specs" (name k))]
    (gen/such-that #(not (s/valid? spec %)) gen/any-printable-equatable 100)))

(def ^:private gen-bad-options
  "[options-map bad-key]: good values for some keys and a bad one for `bad-key`, which
  is an option key or an unknown keyword."
  (gen/let [k (gen/one-of [(gen/elements (sort (options/keys-of :wasi)))
                           (gen/such-that (complement (options/keys-of :wasi)) gen/keyword)])
            v (if ((options/keys-of :wasi) k) (gen-bad-value k) gen/any-printable-equatable)
            others (gen/vector (gen/elements (sort (keys good))))]
    [(-> (select-keys good others) (dissoc k) (assoc k v)) k]))

(defspec bad-option-maps-name-the-bad-key 150
  (prop/for-all [[opts k] gen-bad-options]
    (let [d (thrown-data #(wasm/load-wasi @hello opts))]
      (and (= :wasm/bad-option (:type d))
           (= k (:key d))
           (= (get opts k) (:value d))
           (string? (:expected d))))))

(defspec good-option-maps-pass 50
  (prop/for-all [ks (gen/vector (gen/elements (sort (keys good))))]
    (let [opts (select-keys good ks)]
      (and (s/valid? :clj-wasi.specs/wasi-options opts)
           (= 0 (:exit (wasm/run @hello opts)))))))
