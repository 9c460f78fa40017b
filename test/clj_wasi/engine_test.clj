(ns clj-wasi.engine-test
  "Engines and the on-disk compile cache."
  (:require [clj-wasi.test-util :refer [await-compiled wasm thrown-data with-props with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop]))

(defn- entries [dir]
  (filter #(.endsWith (.getName ^java.io.File %) ".bin") (file-seq (io/file dir))))

(defn- load-add
  "Loads numbers.wasm (a fresh parse) with the compile cache in `dir`, calls add, and waits
  for the background compilation a cache miss starts (it stores the code)."
  [dir a b]
  (let [m (wasm/module (wasm "numbers"))]
    (with-open [i (wasm/load m {:cache-dir dir})]
      (let [sum ((wasm/fn i "add") a b)]
        (is (await-compiled m))
        sum))))

(deftest compile-cache-stores-reuses-and-rebuilds
  (with-temp-dir [dir]
    (is (= 5 (load-add dir 2 3)))
    (let [[entry & more] (entries dir)]
      (is (some? entry) "the first load stored the compiled classes")
      (is (empty? more))
      (let [stamp (.lastModified ^java.io.File entry)]
        (is (= 9 (load-add dir 4 5)))
        (is (= stamp (.lastModified ^java.io.File entry)) "a hit does not rewrite the entry"))
      (testing "a corrupt entry is detected and rebuilt, never trusted"
        (spit entry "garbage, not classes")
        (is (= 11 (load-add dir 5 6)))
        (is (> (.length ^java.io.File entry) 100) "rewritten with real content"))
      (testing "a truncated entry too"
        (let [bs (java.nio.file.Files/readAllBytes (.toPath ^java.io.File entry))]
          (java.nio.file.Files/write (.toPath ^java.io.File entry)
                                     (java.util.Arrays/copyOf bs (quot (alength bs) 2))
                                     (make-array java.nio.file.OpenOption 0)))
        (is (= 13 (load-add dir 6 7)))))))

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
  ;; with background compiling on (the harder case: the store comes late, from another thread)
  (with-props {cljwasi.engine.compiler.BackgroundCompile/PROPERTY "on"}
  (with-temp-dir [dir]
    (let [blocker (io/file dir "not-a-dir")]
      (spit blocker "a file where the cache directory would go")
      (let [m (wasm/module (wasm "numbers"))]
        (with-open [i (wasm/load m {:cache-dir blocker :engine :auto})]
          (is (= 5 ((wasm/fn i "add") 2 3))))
        ;; the factory the run used (made once per module and engine)
        (is (not (instance? cljwasi.engine.interp.Machines$ChicoryInterpreted
                            (.machineFactory ^cljwasi.Module m
                                             cljwasi.Engine/AUTO nil)))
            "still compiled, not fallen back to the interpreter")
        (is (await-compiled m))
        (is (.isCompiled ^cljwasi.engine.compiler.BackgroundCompile
                         (.machineFactory ^cljwasi.Module m cljwasi.Engine/AUTO nil))
            "compiled in the background although the code could not be stored"))
      (let [m (wasm/module (wasm "hello"))]
        (is (= {:exit 0 :out "hello, world\n" :err ""} (wasm/run m {:cache-dir blocker})))
        ;; before the directory goes: a late write must not find it gone and make it again
        (is (await-compiled m)))))))

(def ^:private tail-call-engines
  "The engines that run tail calls in constant stack: all of them."
  [:interpreter :auto :compiler])

(defspec tail-calls-run-in-constant-stack 30
  ;; deep enough that an ordinary call per step would exhaust any JVM stack
  (prop/for-all [n (gen/one-of [(gen/choose 0 10) (gen/choose 100000 300000)])]
    (let [expected (quot (* n (inc n)) 2)]
      (every? (fn [engine]
                (with-open [i (wasm/load (wasm "tail_calls") {:engine engine})]
                  (and (= expected ((wasm/fn i "sum_to") n) ((wasm/fn i "sum_to_indirect") n))
                       ;; through two functions taking turns
                       (= (if (even? n) 1 0) ((wasm/fn i "even") n))
                       (= (if (even? n) 0 1) ((wasm/fn i "odd") n)))))
              tail-call-engines))))

(deftest a-tail-call-leaves-the-try-it-is-written-in
  (doseq [engine tail-call-engines]
    (with-open [i (wasm/load (wasm "tail_calls_eh") {:engine engine})]
      (doseq [f ["escapes" "escapes_direct" "escapes_indirect"]]
        (is (= :uncaught-exception (:kind (thrown-data #((wasm/fn i f))))) (str engine " " f)))
      (is (= 1 ((wasm/fn i "caught"))) (str engine ": the same call, not a tail call")))))

(deftest the-compiler-engine-runs-tail-calls-only-in-constant-stack
  (with-open [i (wasm/load (wasm "tail_calls") {:engine :compiler :cache-dir false})]
    (is (= 1 ((wasm/fn i "even") 1000000)) "a million tail calls between two functions")))

;; ---- instances of a module share its loaded code (cljwasi.engine.compiler.LoadedCode) ----

(defn- compiled-caller
  "The generated class of the compiled function that called the host function running now."
  []
  (.walk (java.lang.StackWalker/getInstance java.lang.StackWalker$Option/RETAIN_CLASS_REFERENCE)
         (reify java.util.function.Function
           (apply [_ frames]
             (some (fn [^java.lang.StackWalker$StackFrame f]
                     (when (.startsWith (.getClassName f) "cljwasi.engine.compiler.gen.")
                       (.getDeclaringClass f)))
                   (iterator-seq (.iterator ^java.util.stream.Stream frames)))))))

(defn- call-add-class
  "Loads host_imports.wasm (a fresh parse) under :compiler with the compile cache in `dir`:
  the class of the compiled call_add, and call_add(a, b)."
  [dir a b]
  (let [seen (atom nil)]
    (with-open [i (wasm/load (wasm/module (wasm "host_imports"))
                             {:cache-dir dir :engine :compiler
                              :imports {"env" {"add" (fn [x y] (reset! seen (compiled-caller)) (+ x y))
                                               "log" (fn [_ _])}
                                        "math" {"scale" identity}}})]
      (let [sum ((wasm/fn i "call_add") a b)]
        [@seen sum]))))

(deftest instances-share-the-loaded-code-while-the-cache-entry-holds-it
  (with-temp-dir [dir]
      (let [[c1 r1] (call-add-class dir 1 2)
            [c2 r2] (call-add-class dir 3 4)]
        (is (= [3 7] [r1 r2]))
        (is (some? c1) "call_add ran compiled")
        (is (identical? c1 c2) "the second instance ran the classes the first one loaded")
        (testing "a rewritten cache entry is read again, not shadowed by what was loaded"
          (let [[entry] (entries dir)]
            (spit entry "garbage, not classes")
            (let [[c3 r3] (call-add-class dir 5 6)]
              (is (= 11 r3))
              (is (some? c3))
              (is (not (identical? c1 c3)) "compiled again after the entry went bad")
              (is (> (.length ^java.io.File entry) 100) "the entry was rebuilt")))))))

(defspec instances-sharing-code-share-no-state 10
  ;; numbers.wasm's inc bumps a mutable global, and its memory is written through the API:
  ;; each instance starts from its own initial state although they run the same classes
  (prop/for-all [calls (gen/vector (gen/choose 1 5) 1 4)]
    (with-temp-dir [dir]
      (every? true?
              (for [n calls]
                (with-open [i (wasm/load (wasm/module (wasm "numbers")) {:cache-dir dir :engine :compiler})]
                  (let [fresh? (= 0 (first (wasm/read-bytes i 0 1)))]
                    (wasm/write-bytes! i 0 (byte-array [7]))
                    (and fresh? (= (range 1 (inc n)) (repeatedly n (wasm/fn i "inc")))))))))))
