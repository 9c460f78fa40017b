(ns clj-wasi.api-test
  "The API a Clojure user reaches for: export names as strings, keywords or symbols;
  errors that name what is wrong; typed memory, C strings and exported globals; strings
  passed through the guest's allocator; printing and datafy; snapshots; the state after
  a trap; :tee output; the command line's --invoke, --env NAME and .wat input."
  (:require [clj-wasi.impl.prep :as prep]
            [clj-wasi.main :as main]
            [clj-wasi.test-util :refer [sh wasm thrown-data]]
            [clj-wasi.wasm :as wasm]
            [clojure.datafy :refer [datafy]]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.io File)))

(def reactor (delay (wasm/module (wasm "reactor_api"))))
(def globals (delay (wasm/module (wasm "globals"))))

;; ---- export names ---------------------------------------------------------------

(deftest export-names-as-strings-keywords-or-symbols
  (with-open [i (wasm/load (wasm "numbers"))]
    (is (= 5 ((wasm/fn i "add") 2 3) ((wasm/fn i :add) 2 3) ((wasm/fn i 'add) 2 3)))
    (is (= :wasm/no-such-export (:type (thrown-data #(wasm/fn i :nope)))))
    (is (= {:type :wasm/bad-argument :value 42}
           (select-keys (thrown-data #(wasm/fn i 42)) [:type :value]))
        "a name of another type is a bad argument, not a ClassCastException")))

;; ---- errors that name what is wrong ---------------------------------------------

(defn- host-imports-with-add [f]
  {:imports {"env" {"add" f "log" (fn [_ _])} "math" {"scale" identity}}})

(deftest a-wrong-host-result-is-bad-result
  (with-open [i (wasm/load (wasm "host_imports") (host-imports-with-add (fn [_ _] nil)))]
    (let [d (thrown-data #((wasm/fn i "call_add") 1 2))]
      (is (= {:type :wasm/bad-result :function "env.add" :value nil :result-type :i32}
             (select-keys d [:type :function :value :result-type])))))
  (doseq [v ["str" 1000000000000 1.5 [1 2]]]
    (with-open [i (wasm/load (wasm "host_imports") (host-imports-with-add (fn [_ _] v)))]
      (let [e (try ((wasm/fn i "call_add") 1 2) nil (catch clojure.lang.ExceptionInfo e e))]
        (is (= :wasm/bad-result (:type (ex-data e))) (pr-str v))
        (is (= v (:value (ex-data e))))
        (is (str/includes? (ex-message e) "env.add") (ex-message e))
        (is (str/includes? (ex-message e) "i32 result") (ex-message e))))))

(defspec integers-outside-i32-are-bad-results 30
  (prop/for-all [v (gen/one-of [(gen/large-integer* {:min 4294967296})
                                (gen/large-integer* {:max -2147483649})])]
    (with-open [i (wasm/load (wasm "host_imports") (host-imports-with-add (fn [_ _] v)))]
      (= [:wasm/bad-result v] ((juxt :type :value) (thrown-data #((wasm/fn i "call_add") 1 2)))))))

(deftest a-missing-stdin-file-is-a-bad-option
  (is (= {:type :wasm/bad-option :key :stdin :path "/no/such/stdin-file"}
         (select-keys (thrown-data #(wasm/run (wasm "cat") {:stdin (File. "/no/such/stdin-file")}))
                      [:type :key :path]))))

(defspec non-wasm-bytes-are-named-as-such 50
  (prop/for-all [bs (gen/such-that #(not= [0 97 115 109] (take 4 %)) (gen/vector gen/byte 0 40))]
    (let [e (try (wasm/module (byte-array bs)) nil (catch clojure.lang.ExceptionInfo e e))]
      (and (= :wasm/malformed (:type (ex-data e)))
           (str/starts-with? (ex-message e) "module.wasm: not a WebAssembly module: magic header")))))

(deftest malformed-messages-lead-with-the-reason
  (let [msg (ex-message (try (wasm/module "deps.edn") (catch Exception e e)))]
    (is (str/starts-with? msg "deps.edn: not a WebAssembly module: magic header") msg)
    (is (not (str/includes? msg "section size mismatch"))))
  (is (str/includes? (ex-message (try (wasm/module (.getBytes "(module)")) (catch Exception e e)))
                     "wat2wasm")
      "text is recognised as such")
  (is (str/includes? (ex-message (try (wasm/module (byte-array [0 97 115 109 2 0 0 0])) (catch Exception e e)))
                     "version")))

(deftest missing-compiled-classes-say-to-run-prep
  (testing "a JVM whose classpath lacks the compiled Java core"
    (let [cp (->> (str/split (System/getProperty "java.class.path") #":")
                  (remove #(str/ends-with? (str/replace % #"/$" "") "target/classes"))
                  (str/join ":"))
          r (sh [(str (System/getProperty "java.home") "/bin/java") "-cp" cp "clojure.main" "-e"
                 "(try (require 'clj-wasi.wasm) (catch Throwable t (let [c (or (ex-cause t) t)] (prn (:type (ex-data c))) (println (ex-message c)))))"])]
      (is (str/starts-with? (:out r) ":wasm/not-compiled\n") (str r))
      (is (str/includes? (:out r) "run `clojure -X:deps prep`") (:out r))))
  (is (nil? (prep/check! "cljwasi.WasmException")))
  (let [e (try (prep/check! "cljwasi.NoSuchClass") nil (catch clojure.lang.ExceptionInfo e e))]
    (is (= {:type :wasm/not-compiled :class "cljwasi.NoSuchClass"} (ex-data e)))
    (is (str/includes? (ex-message e) "clojure -X:deps prep"))))

;; ---- the state after a trap -----------------------------------------------------

(deftest an-instance-after-a-trap-keeps-the-state-the-guest-left
  (with-open [i (wasm/load-wasi @reactor)]
    (let [snap (wasm/snapshot i)
          before (vec (wasm/read-bytes i 0 (wasm/memory-size i)))]
      (is (= 2 ((wasm/fn i :recurse) 1)) "1 KiB of stack per level: fine at depth 1")
      (is (= {:type :wasm/trap :kind :out-of-bounds-memory-access}
             (select-keys (thrown-data #((wasm/fn i :recurse) 1000000)) [:type :kind]))
          "the C stack (in linear memory) overran")
      (testing "the instance stays callable, its memory as the guest left it"
        (is (int? ((wasm/fn i :bump) 0)) "code that does not touch the stack still runs")
        (is (not= before (vec (wasm/read-bytes i 0 (wasm/memory-size i))))
            "the overrun wrote over the guest's data: nothing is rolled back"))
      (testing "and its globals as the trap left them: the stack pointer is still broken"
        (is (= :wasm/trap (:type (thrown-data #((wasm/fn i :recurse) 1))))))
      (testing "a snapshot taken before gives a clean instance back"
        (with-open [j (wasm/load-wasi snap)]
          (is (= 2 ((wasm/fn j :recurse) 1)))
          (is (= 5 ((wasm/fn j :bump) 5)) "the accumulator starts from the snapshot's 0")
          (is (= 29 ((wasm/fn j :prime) 9))))))))

;; ---- memory, C strings, globals -------------------------------------------------

(def ^:private gen-value
  (gen/one-of [(gen/tuple (gen/return :i32) (gen/fmap unchecked-int gen/large-integer))
               (gen/tuple (gen/return :i64) gen/large-integer)
               (gen/tuple (gen/return :f32) (gen/fmap float (gen/double* {:NaN? false :min -3.0e38 :max 3.0e38})))
               (gen/tuple (gen/return :f64) (gen/double* {:NaN? false}))]))

(def ^:private numbers-inst
  "One instance the memory properties share (a defspec's body is evaluated before its
  trials run, so a with-open there would close it too early)."
  (delay (wasm/load (wasm "numbers"))))

(defspec typed-values-round-trip-through-memory 200
  (prop/for-all [[ty v] gen-value
                 offset (gen/choose 0 (- 65536 8))]
    (let [i @numbers-inst]
      (wasm/write-value! i ty offset v)
      (let [back (wasm/read-value i ty offset)]
        (and (= (case ty (:i32 :i64) (long v) :f32 (float v) :f64 (double v)) back)
             (= (case ty (:i32 :i64) Long :f32 Float :f64 Double) (class back)))))))

(deftest typed-access-is-little-endian-and-bounds-checked
  (with-open [i (wasm/load (wasm "numbers"))]
    (wasm/write-value! i :i32 0 0x01020304)
    (is (= [4 3 2 1] (vec (wasm/read-bytes i 0 4))))
    (wasm/write-value! i :i32 0 4294967295)
    (is (= -1 (wasm/read-value i :i32 0)) "unsigned input wraps; reads are signed, as results")
    (is (= :wasm/out-of-bounds (:type (thrown-data #(wasm/read-value i :i64 65532)))))
    (is (= :wasm/out-of-bounds (:type (thrown-data #(wasm/write-value! i :f64 -1 1.0)))))
    (is (= :wasm/bad-argument (:type (thrown-data #(wasm/write-value! i :i32 0 (bit-shift-left 1 40))))))
    (is (= :wasm/bad-argument (:type (thrown-data #(wasm/read-value i :v128 0)))))))

(defspec c-strings-round-trip 100
  (prop/for-all [s (gen/fmap #(str/replace % "\u0000" "") gen/string)
                 offset (gen/choose 0 60000)]
    (let [i @numbers-inst
          n (wasm/write-cstring! i offset s)]
      (and (= (inc (count (.getBytes ^String s "UTF-8"))) n)
           (zero? (aget (wasm/read-bytes i (+ offset n -1) 1) 0))
           (= s (wasm/read-cstring i offset))))))

(deftest c-string-edges
  (with-open [i (wasm/load (wasm "numbers"))]
    (wasm/write-cstring! i 100 "abc")
    (is (= "abc\u0000" (wasm/read-string i 100 4)) "read-string returns every byte asked for")
    (is (= "abc" (wasm/read-cstring i 100)))
    (is (= :wasm/bad-argument (:type (thrown-data #(wasm/write-cstring! i 0 "a\u0000b")))))
    (wasm/write-bytes! i 65530 (byte-array 6 (byte 65)))
    (is (= :wasm/out-of-bounds (:type (thrown-data #(wasm/read-cstring i 65530))))
        "no NUL before the end of memory")))

(deftest exported-globals
  (with-open [i (wasm/load @globals)]
    (is (= [7 -1 (float 1.5) 2.25 42] (mapv #(wasm/global i %) [:g_i32 :g_i64 :g_f32 :g_f64 :k])))
    (wasm/set-global! i :g_i32 99)
    (is (= 99 (wasm/global i "g_i32") ((wasm/fn i :get_i32))) "the guest sees what was set")
    (wasm/set-global! i 'g_f32 0.25)
    (is (= (float 0.25) (wasm/global i :g_f32)))
    (is (= :wasm/bad-argument (:type (thrown-data #(wasm/set-global! i :k 1)))) "immutable")
    (is (= :wasm/bad-argument (:type (thrown-data #(wasm/set-global! i :g_i32 "x")))))
    (is (= :wasm/no-such-export (:type (thrown-data #(wasm/global i :get_i32)))) "a function is no global"))
  (with-open [i (wasm/load (wasm "numbers"))]
    ((wasm/fn i :inc))
    (is (= 1 (wasm/global i :counter)))))

(deftest exports-and-imports-describe-every-kind
  (is (= [{:name "g_i32" :kind :global :type :i32 :mutable true}
          {:name "k" :kind :global :type :i32 :mutable false}
          {:name "tbl" :kind :table :element :funcref :min 2 :max 10}
          {:name "mem" :kind :memory :min 1 :max 2 :shared false}]
         (filter (comp #{"g_i32" "k" "tbl" "mem"} :name) (wasm/exports @globals))))
  (let [[f mem tbl g k] (wasm/imports (wasm "import_kinds"))]
    (is (= {:module "env" :name "f" :kind :function :params [:i32] :results [:i64]} f))
    (is (= {:module "env" :name "mem" :kind :memory :min 1 :max 3 :shared false} mem))
    (is (= {:module "env" :name "tbl" :kind :table :element :funcref :min 4} (dissoc tbl :max)))
    (is (= {:module "env" :name "g" :kind :global :type :f64 :mutable true} g))
    (is (= {:module "env" :name "k" :kind :global :type :i32 :mutable false} k))))

;; ---- strings through the guest's allocator --------------------------------------

(defn- vowels [^String s] (count (filter #(str/index-of "aeiouAEIOU" %) s)))

(def ^:private reactor-inst (delay (wasm/load-wasi @reactor {:max-memory-pages 40})))

(defspec call-passes-strings-and-bytes-through-the-guest-allocator 100
  (prop/for-all [s gen/string
                 bs (gen/vector gen/byte 0 50)]
    (let [i @reactor-inst]
      (and (= (vowels s) (wasm/call i :count_vowels s))
           (= (reduce + (map #(bit-and % 0xff) bs)) (wasm/call i :sum_bytes (byte-array bs)))
           (= (count (.getBytes ^String (str/replace s "\u0000" "") "UTF-8"))
              (wasm/call i :c_strlen (wasm/cstr (str/replace s "\u0000" ""))))))))

(deftest call-frees-what-it-allocates
  (with-open [i (wasm/load-wasi @reactor {:max-memory-pages 40 :stdout :capture})]
    (let [big (apply str (repeat (* 1024 1024) \a))]
      ;; 100 MiB through a 2.5 MiB memory: only possible when each copy is freed
      (dotimes [_ 100] (is (= (* 1024 1024) (wasm/call i :count_vowels big)))))
    (is (= 3 (wasm/call i :greet "bob")))
    (is (= "hello, bob\n" (wasm/captured i :stdout))))
  (testing "a call that fails still frees, and reports its own failure"
    (with-open [i (wasm/load-wasi @reactor)]
      (let [p (wasm/call i :malloc 16)]
        (wasm/call i :free p)
        (is (= :wasm/arity (:type (thrown-data #(wasm/call i :count_vowels "abc" "extra")))))
        (is (= p (wasm/call i :malloc 16)) "the copies made for the failed call were freed"))))
  (with-open [i (wasm/load (wasm "numbers"))]
    (is (= 5 (wasm/call i :add 2 3)) "numbers need no allocator")
    (is (= :wasm/no-such-export (:type (thrown-data #(wasm/call i :add "x")))) "strings do")))

;; ---- printing and data ----------------------------------------------------------

(deftest values-print-with-names-and-are-not-readable
  (with-open [i (wasm/load @globals)]
    (is (= "#<wasm/module globals.wasm: 11 exports, 0 imports>" (pr-str @globals)))
    (is (= "#<wasm/instance globals.wasm>" (pr-str i)))
    (is (= "#<wasm/fn get_i32 [] -> [:i32]>" (pr-str (wasm/fn i :get_i32))))
    (is (str/starts-with? (pr-str (wasm/snapshot i)) "#<wasm/snapshot globals.wasm: 65536 bytes"))
    (doseq [x [@globals i (wasm/fn i :get_i32)]]
      (is (thrown? Exception (read-string (pr-str x))) "the reader refuses #<...>"))
    (is (= [true false false] ((juxt wasm/module? wasm/instance? wasm/snapshot?) @globals)))
    (is (= [false true false] ((juxt wasm/module? wasm/instance? wasm/snapshot?) i)))
    (is (= [false false true] ((juxt wasm/module? wasm/instance? wasm/snapshot?) (wasm/snapshot i))))
    (is (fn? (wasm/fn i :get_i32)))
    (is (= 7 (apply (wasm/fn i :get_i32) [])) "apply works on an export fn")
    (.close i)
    (is (= "#<wasm/instance globals.wasm closed>" (pr-str i)))))

(deftest datafy-gives-exports-imports-memory-and-globals
  (let [d (datafy @globals)]
    (is (= "globals.wasm" (:name d)))
    (is (= (wasm/exports @globals) (:exports d))))
  (with-open [i (wasm/load @globals)]
    (let [d (datafy i)]
      (is (= {:bytes 65536 :pages 1} (:memory d)))
      (is (= {"g_i32" 7 "g_i64" -1 "g_f32" (float 1.5) "g_f64" 2.25 "k" 42} (:globals d)))
      (is (false? (:closed d))))
    (is (= {:name "get_i32" :kind :function :params [] :results [:i32]} (datafy (wasm/fn i :get_i32))))))

;; ---- snapshots -------------------------------------------------------------------

(def ^:private gen-op
  (gen/one-of [(gen/tuple (gen/return :bump) (gen/choose -1000 1000))
               (gen/tuple (gen/return :prime) (gen/choose -1 2000))
               (gen/tuple (gen/return :count_vowels) gen/string-ascii)
               (gen/tuple (gen/return :greet) gen/string-alphanumeric)]))

(defn- apply-ops
  "The results of `ops` on a new instance from `src`, its output, and its final memory."
  [src ops]
  (with-open [i (wasm/load-wasi src {:stdout :capture})]
    (let [results (mapv (fn [[op arg]] (wasm/call i op arg)) ops)]
      {:results results
       :init-runs ((wasm/fn i :init_runs))
       :out (wasm/captured i :stdout)
       :memory (vec (wasm/read-bytes i 0 (wasm/memory-size i)))})))

(def ^:private warm
  (delay (with-open [i (wasm/load-wasi @reactor)] (wasm/snapshot i))))

(defspec a-snapshot-started-instance-behaves-like-a-fresh-one 40
  (prop/for-all [ops (gen/vector gen-op 0 12)]
    (let [fresh (apply-ops @reactor ops)
          snapped (apply-ops @warm ops)]
      (and (= 1 (:init-runs fresh) (:init-runs snapped))
           (= fresh snapped)))))

(deftest snapshots-carry-state-not-host-state
  (testing "the state at the time of the snapshot, not the initial one"
    (let [snap (with-open [i (wasm/load-wasi @reactor {:stdout :discard})]
                 (wasm/call i :bump 41)
                 (wasm/snapshot i))]
      (dotimes [_ 2]
        (with-open [j (wasm/load-wasi snap {:stdout :capture})]
          (is (= 42 (wasm/call j :bump 1)) "each instance starts from the snapshot, independently")
          (wasm/call j :greet "x")
          (is (= "hello, x\n" (wasm/captured j :stdout)) "stdio is the new instance's own")))))
  (testing "globals and tables"
    (let [snap (with-open [i (wasm/load @globals)]
                 (wasm/set-global! i :g_i64 123)
                 ((wasm/fn i :set_slot) 1)
                 ((wasm/fn i :grow_tbl))
                 (wasm/snapshot i))]
      (with-open [j (wasm/load snap)]
        (is (= 123 (wasm/global j :g_i64)))
        (is (= 7 ((wasm/fn j :call_slot))) "the table entry set before the snapshot")
        (is (= 4 ((wasm/fn j :grow_tbl))) "the table's size too"))))
  (testing "an instance without a snapshot starts from scratch"
    (with-open [j (wasm/load @globals)]
      (is (= :wasm/trap (:type (thrown-data #((wasm/fn j :call_slot))))))))
  (testing "a snapshot over the new instance's memory limit"
    (let [snap (with-open [i (wasm/load-wasi @reactor)] (wasm/snapshot i))]
      (is (= :wasm/limit (:type (thrown-data #(wasm/load-wasi snap {:max-memory-pages 1})))))))
  (testing "a guest holding an open file cannot be snapshotted"
    (with-open [i (wasm/load-wasi @reactor)]
      (let [ctx (.wasi ^cljwasi.ModuleInstance (.java ^clj_wasi.wasm.Instance i))]
        (.add (.fds ctx) (cljwasi.wasi.fs.StreamDescriptor/input (java.io.InputStream/nullInputStream) false false))
        (is (= {:type :wasm/unsupported :fds [3]}
               (select-keys (thrown-data #(wasm/snapshot i)) [:type :fds]))))))
  (testing "a snapshot stands in for its module"
    (is (= (wasm/exports @reactor) (wasm/exports @warm)))
    (is (= "reactor_api.wasm" (:name (datafy (wasm/module @warm)))))))

;; ---- run with :tee ----------------------------------------------------------------

(deftest tee-shows-output-live-and-returns-it
  (let [live (java.io.StringWriter.)
        r (binding [*out* live] (wasm/run (wasm "hello") {:stdout :tee}))]
    (is (= "hello, world\n" (:out r) (str live)))
    (is (= "" (:err r)) "stderr still captured by default")))

;; ---- the command line ---------------------------------------------------------------

(defn- cli-out [& args]
  (let [code (atom nil)
        out (with-out-str (binding [*err* (java.io.StringWriter.)]
                            (reset! code (main/run-cli args))))]
    [@code out]))

(deftest invoke-calls-an-export-with-typed-arguments
  (is (= [0 "5\n"] (cli-out "--invoke" "add" (wasm "numbers") "2" "3")))
  (is (= [0 "3.5\n2\n"] (cli-out "--invoke" "swap" (wasm "numbers") "2" "3.5")) "each result on a line")
  (is (= [0 "3\n"] (cli-out "--invoke" "id_f64" (wasm "numbers") "3")) "floats as wasmtime prints them")
  (is (= [0 "-1\n"] (cli-out "--invoke" "add" (wasm "numbers") "4294967295" "0")))
  (is (= [0 ""] (cli-out "--invoke" "nothing" (wasm "numbers"))))
  (is (= [0 "29\n"] (cli-out "--invoke" "prime" (wasm "reactor_api") "9")) "a reactor is initialized first")
  (is (= 2 (first (cli-out "--invoke" "add" (wasm "numbers") "2"))) "wrong count")
  (is (= 2 (first (cli-out "--invoke" "add" (wasm "numbers") "2" "x"))) "not a number")
  (is (= 1 (first (cli-out "--invoke" "nope" (wasm "numbers")))) "no such export"))

(deftest format-result-follows-rust
  (is (= ["3" "1.5" "100000000000000000000" "-0" "NaN" "inf" "-inf" "0.1" "0.1" "-7"]
         (map main/format-result [3.0 (float 1.5) 1e20 -0.0 Double/NaN Double/POSITIVE_INFINITY
                                  Double/NEGATIVE_INFINITY 0.1 (float 0.1) -7]))))

(deftest env-name-is-inherited-from-the-host
  (let [[k v] (first (filter (fn [[k v]] (and (re-matches #"[A-Z_]+" k) (seq v))) (System/getenv)))]
    (is (= {k v "A" "1"} (:env (:opts (main/parse-args ["--env" k "--env" "A=1" "m.wasm"]))))))
  (is (nil? (:env (:opts (main/parse-args ["--env" "CLJ_WASI_SURELY_UNSET_VARIABLE" "m.wasm"]))))
      "an unset variable stays unset"))

(defn- wat2wasm? []
  (try (zero? (.waitFor (.start (ProcessBuilder. ["wat2wasm" "--version"])))) (catch Exception _ false)))

(deftest wat-modules-are-accepted
  (if (wat2wasm?)
    (do (is (= [0 "42\n"] (cli-out "--invoke" "add" "test/wasm/src/numbers.wat" "40" "2")))
        (is (= (wasm/exports (wasm "numbers")) (wasm/exports "test/wasm/src/numbers.wat")))
        (let [bad (File/createTempFile "bad" ".wat")]
          (try
            (spit bad "(module (func (result i32)))")
            (is (= :wasm/malformed (:type (thrown-data #(wasm/module bad)))))
            (finally (.delete bad)))))
    (is (= :wasm/unsupported (:type (thrown-data #(wasm/module "test/wasm/src/numbers.wat"))))
        "without wat2wasm, .wat input says what it needs")))
