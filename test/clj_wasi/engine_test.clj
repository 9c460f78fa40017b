(ns clj-wasi.engine-test
  "Engines and the on-disk compile cache."
  (:require [clj-wasi.test-util :refer [wasm thrown-data with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is testing]]))

(defn- entries [dir]
  (filter #(.endsWith (.getName ^java.io.File %) ".bin") (file-seq (io/file dir))))

(deftest compile-cache-stores-reuses-and-rebuilds
  (with-temp-dir [dir]
    (with-open [i (wasm/load (wasm/module (wasm "numbers")) {:cache-dir dir})]
      (is (= 5 ((wasm/fn i "add") 2 3))))
    (let [[entry & more] (entries dir)]
      (is (some? entry) "the first load stored the compiled classes")
      (is (empty? more))
      (let [stamp (.lastModified ^java.io.File entry)]
        (with-open [i (wasm/load (wasm/module (wasm "numbers")) {:cache-dir dir})]
          (is (= 9 ((wasm/fn i "add") 4 5))))
        (is (= stamp (.lastModified ^java.io.File entry)) "a hit does not rewrite the entry"))
      (testing "a corrupt entry is detected and rebuilt, never trusted"
        (spit entry "garbage, not classes")
        (with-open [i (wasm/load (wasm/module (wasm "numbers")) {:cache-dir dir})]
          (is (= 11 ((wasm/fn i "add") 5 6))))
        (is (> (.length ^java.io.File entry) 100) "rewritten with real content"))
      (testing "a truncated entry too"
        (let [bs (java.nio.file.Files/readAllBytes (.toPath ^java.io.File entry))]
          (java.nio.file.Files/write (.toPath ^java.io.File entry)
                                     (java.util.Arrays/copyOf bs (quot (alength bs) 2))
                                     (make-array java.nio.file.OpenOption 0)))
        (with-open [i (wasm/load (wasm/module (wasm "numbers")) {:cache-dir dir})]
          (is (= 13 ((wasm/fn i "add") 6 7))))))))

(deftest no-cache-writes-nothing
  (with-temp-dir [dir]
    (with-open [i (wasm/load (wasm/module (wasm "numbers")) {:cache-dir false})]
      (is (= 5 ((wasm/fn i "add") 2 3))))
    (is (empty? (entries dir)))))

(deftest every-engine-runs-a-wasi-command
  (doseq [engine [:auto :compiler :interpreter]]
    (is (= {:exit 0 :out "hello, world\n" :err ""}
           (wasm/run (wasm/module (wasm "hello")) {:engine engine}))
        (str engine))))

(deftest an-unwritable-cache-never-fails-a-run
  (with-temp-dir [dir]
    (let [blocker (io/file dir "not-a-dir")]
      (spit blocker "a file where the cache directory would go")
      (with-open [i (wasm/load (wasm/module (wasm "numbers")) {:cache-dir blocker :engine :auto})]
        (is (= 5 ((wasm/fn i "add") 2 3)))
        (is (not (instance? com.dylibso.chicory.runtime.InterpreterMachine
                            (.getMachine (.chicory ^cljwasi.ModuleInstance (.java ^clj_wasi.wasm.Instance i)))))
            "still compiled, not fallen back to the interpreter"))
      (is (= {:exit 0 :out "hello, world\n" :err ""}
             (wasm/run (wasm/module (wasm "hello")) {:cache-dir blocker}))))))
