(ns clj-wasi.hostile-options-test
  "Hostile option values (ports in use, unresolvable hosts, a file where a directory
  is expected, missing directories, NULs in paths, huge and negative numbers, wrong
  types) given to `load-wasi`, `run` and the command line: only ex-infos whose :type
  README's error table documents come out (a :wasm/bad-option names its :key), and the
  command line prints one line and exits with its documented code."
  (:require [clj-wasi.main :as main]
            [clj-wasi.test-util :refer [java-cmd sh wasm]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing use-fixtures]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.io File OutputStream StringWriter)
           (java.net InetAddress ServerSocket)))

(def documented-types
  "Every :type in README's error table."
  (delay (let [readme (slurp "README.md")
               table (subs readme (str/index-of readme "| `:type` |"))]
           (set (map #(keyword "wasm" (second %)) (re-seq #"`:wasm/([a-z-]+)`" table))))))

(def ^:dynamic *taken-port* nil)
(def ^:dynamic ^File *a-file* nil)

(use-fixtures :once
  (fn [t]
    (let [f (File/createTempFile "clj-wasi-hostile" ".txt")]
      (try
        (with-open [taken (ServerSocket. 0 50 (InetAddress/getByName "127.0.0.1"))]
          (binding [*taken-port* (.getLocalPort taken) *a-file* f] (t)))
        (finally (.delete f))))))

(defn- throwing-stream []
  (proxy [OutputStream] []
    (write ([_] (throw (RuntimeException. "write")))
      ([_ _ _] (throw (IllegalStateException. "write"))))
    (flush [] (throw (java.io.UncheckedIOException. (java.io.IOException. "flush"))))))

(def gen-hostile-entry
  "One [key value] an options map may hold, most of them wrong; thunks are called at
  run time (they need the fixture's port and file)."
  (gen/one-of
   [(gen/elements
     [[:listen #(vector (str "127.0.0.1:" *taken-port*))]
      [:listen ["999.1.1.1:80"]] [:listen ["no-such-host.invalid:80"]] [:listen ["127.0.0.1:99999"]]
      [:listen ["127.0.0.1"]] [:listen [""]] [:listen "127.0.0.1:0"] [:listen [42]]
      [:listen ["8.8.8.8:80"]] [:listen ["[::1:0"]]
      [:preopens #(hash-map "/a" (str *a-file*))] [:preopens {"/a" "/no/such/dir"}]
      [:preopens {"/a" "x\u0000y"}] [:preopens {"" "."}] [:preopens [{:guest "/a"}]]
      [:preopens {"/a" 42}] [:preopens "."]
      [:cache-dir #(str *a-file*)] [:cache-dir #(str *a-file* "/no/such/dir")] [:cache-dir "a\u0000b"]
      [:cache-dir 42] [:cache-dir true]
      [:stdin #(io/file "/no/such/file")] [:stdin (io/file "test")] [:stdin (io/file "a\u0000")]
      [:stdin 42] [:stdin :bogus]
      [:stdout :bogus] [:stderr 42] [:stdout throwing-stream] [:stderr throwing-stream]
      [:engine :bogus] [:engine "auto"]
      [:env {"A" 1}] [:env {1 "a"}] [:env []] [:env {"A=B" "c"}]
      [:args [1 2]] [:args "a"] [:args [nil]] [:argv0 42]
      [:clock "now"] [:clock (fn [] (throw (RuntimeException. "clock")))] [:clock (fn [] "x")]
      [:random 1.5] [:random "x"]
      [:trace "x"] [:trace (fn [_] (throw (RuntimeException. "trace")))]
      [:files {"relative" "x"}] [:files {"/a" 42}] [:files {"/" "x"}]
      [:imports {"env" {"f" 42}}] [:bogus-key 1]])
    (gen/tuple (gen/elements [:timeout-ms :max-memory-pages :max-output-bytes :random :clock])
               (gen/one-of [gen/large-integer
                            (gen/elements [0 -1 Long/MAX_VALUE Long/MIN_VALUE 65536 65537
                                           (bigint 1e30) 1.5 ##NaN "100" nil])]))]))

(defn- realize [[k v]]
  [k (if (and (fn? v) (not (#{:clock :trace} k))) (v) v)])

(defn- outcome
  "Calls f; returns :ok, or the ex-info's data. Any other exception escapes."
  [f]
  (try (f) :ok
       (catch clojure.lang.ExceptionInfo e (ex-data e))))

(defn- documented? [o]
  (or (= :ok o)
      (and (contains? @documented-types (:type o))
           (or (not= :wasm/bad-option (:type o)) (keyword? (:key o))))))

(defspec hostile-options-give-documented-ex-infos 150
  (prop/for-all [entries (gen/vector gen-hostile-entry 1 3)]
    (let [opts (into {:engine :interpreter :stdout :discard :stderr :discard}
                     (map realize) entries)
          by-run (outcome #(wasm/run (wasm "exit_with") opts))
          by-load (outcome #(with-open [i (wasm/load-wasi (wasm "exit_with") opts)]
                              ((wasm/fn i "_start"))))]
      (and (documented? by-run) (documented? by-load)))))

;; ---- the command line -----------------------------------------------------------

(def gen-hostile-argv
  (gen/vector
   (gen/one-of
    [(gen/elements [[:listen-taken] ["--listen" "999.1.1.1:80"] ["--listen" "127.0.0.1:99999"]
                    ["--listen" "127.0.0.1"] ["--listen" "8.8.8.8:80"]
                    ["--dir" :a-file] ["--dir" "/no/such/dir"] ["--dir" "x\u0000y"] ["--dir-ro" ""]
                    ["--cache-dir" :a-file] ["--cache-dir" "a\u0000b"] ["--engine" "bogus"]
                    ["--env" "NOEQUALS"] ["--env" "=x"] ["--bogus"] ["--timeout-ms"]])
     (gen/fmap (fn [[flag n]] [flag (str n)])
               (gen/tuple (gen/elements ["--timeout-ms" "--max-memory-pages" "--max-output-bytes"])
                          (gen/one-of [gen/large-integer
                                       (gen/elements [0 -1 65536 65537 Long/MAX_VALUE "999999999999999999"
                                                      "99999999999999999999" "1.5" "x" ""])])))])
   1 3))

(defn- cli-argv [parts]
  (vec (concat (mapcat (fn [p]
                         (map #(case %
                                 :listen-taken nil
                                 :a-file (str *a-file*)
                                 %)
                              (if (= [:listen-taken] p) ["--listen" (str "127.0.0.1:" *taken-port*)] p)))
                       parts)
               [(wasm "exit_with") "3"])))

(defn- run-cli-capturing [argv]
  (let [err (StringWriter.)
        code (binding [*err* err] (main/run-cli argv))]
    {:exit code :err (str err)}))

(defn- one-line-with-documented-code? [{:keys [exit err]}]
  (or (and (= 3 exit) (= "" err))
      (and (#{1 2 124} exit)
           (str/starts-with? err "clj-wasi: ")
           (not (str/includes? err "internal error"))
           (not (str/includes? err "\tat "))
           ;; a usage error adds one hint line
           (<= (count (str/split-lines err)) 2))))

(defspec hostile-command-lines-print-one-line 100
  (prop/for-all [parts gen-hostile-argv]
    (one-line-with-documented-code? (run-cli-capturing (cli-argv parts)))))

(deftest hostile-command-lines-in-real-processes
  (doseq [[args code what] [[["--listen" (str "127.0.0.1:" *taken-port*)] 1 "Address already in use"]
                            [["--listen" "999.1.1.1:80"] 2 "cannot resolve the host"]
                            [["--listen" "127.0.0.1:99999"] 2 "port 0 to 65535"]
                            [["--dir" (str *a-file*)] 2 "no such directory"]
                            [["--max-memory-pages" "65537"] 2 ":max-memory-pages"]
                            [["--max-memory-pages" "0"] 1 "memory pages at start"]]]
    (testing (pr-str args)
      (let [r (sh (apply java-cmd "clojure.main" "-m" "clj-wasi.main"
                         (concat args [(wasm "exit_with") "3"])))]
        (is (= code (:exit r)) (:err r))
        (is (str/includes? (:err r) what) (:err r))
        (is (not (str/includes? (:err r) "\tat ")) "no stack trace")
        (is (<= (count (str/split-lines (:err r))) 2) (:err r))))))

(deftest readme-documents-the-types-the-code-throws
  (testing "every type the Java core or the Clojure API names is in README's table"
    (let [java-types (->> (file-seq (io/file "src/java"))
                          (filter #(str/ends-with? (str %) ".java"))
                          (mapcat #(re-seq #"new WasmException\(\s*\"([a-z-]+)\"" (slurp %)))
                          (map #(keyword "wasm" (second %))))
          clj-types (->> (file-seq (io/file "src/clj"))
                         (filter #(str/ends-with? (str %) ".clj"))
                         (mapcat #(re-seq #"(?:errors/fail|fail) :([a-z-]+)" (slurp %)))
                         (map #(keyword "wasm" (second %))))]
      (is (seq java-types))
      (is (= #{} (into #{} (remove @documented-types) (concat java-types clj-types))))))
  (testing "the namespace docstring lists the same types"
    (let [doc (:doc (meta (find-ns 'clj-wasi.wasm)))]
      (is (= @documented-types (set (map #(keyword "wasm" (second %)) (re-seq #":wasm/([a-z-]+)" doc))))))))
