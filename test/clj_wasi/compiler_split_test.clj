(ns clj-wasi.compiler-split-test
  "Functions split into several JVM methods (FunctionCompiler#compileSplit, docs/COMPILER.md
  \"Split functions\"): with a split limit of 1 byte every function with anything to move
  is split as far as the plan goes, and must behave as the interpreter does: generated
  structured programs (branches out of nested blocks, br_table, loops, returns, block
  parameters and results, calls, traps, exceptions, memory), the spec suite, part of the
  fuzz corpus, real programs at a small limit; at the default limit, big functions
  (generated, SQLite's) compile with every method under it."
  (:require [clj-wasi.compiler-simd-test]
            [clj-wasi.compiler-test]
            [clj-wasi.fuzz-test]
            [clj-wasi.test-util :as tu :refer [with-props with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clj-wasi.wasm-spec :as spec]
            [clj-wasi.wasm-spec-test]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check :as tc]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Engine)
           (cljwasi.engine ChicoryInternals LinearMemory)
           (cljwasi.engine.cache CompileCache)
           (cljwasi.engine.compiler CodeCache CompiledCode CompiledMachine ModuleCompiler
                                    Signatures)
           (com.dylibso.chicory.runtime ImportValues Instance InterpreterMachine)
           (com.dylibso.chicory.wasm Parser)
           (com.dylibso.chicory.wasm.types FunctionBody)
           (java.io File)
           (java.util Random)
           (org.objectweb.asm ClassReader)))

(def ^:private split-prop "clj-wasi.compiler.split-bytes")

(defmacro ^:private with-split [bytes & body]
  `(with-props {split-prop (str ~bytes)} ~@body))

;; ---- method sizes, read from the class files -----------------------------------------

(defn- method-sizes
  "{method-name bytecode-bytes} of class file `b` (the Code attribute's code_length)."
  [^bytes b]
  (let [cr (ClassReader. b)
        buf (char-array (max 16 (.getMaxStringLength cr)))
        u2 #(.readUnsignedShort cr (int %))
        skip-members (fn [off f]
                       ;; off: at a members_count; f called with each member's name and
                       ;; its attributes' [name offset]; returns the offset after them
                       (loop [n (u2 off) off (+ off 2)]
                         (if (zero? n)
                           off
                           (let [mname (.readUTF8 cr (int (+ off 2)) buf)
                                 [end attrs] (loop [a (+ off 8) k (u2 (+ off 6)) acc []]
                                               (if (zero? k)
                                                 [a acc]
                                                 (recur (+ a 6 (.readInt cr (int (+ a 2)))) (dec k)
                                                        (conj acc [(.readUTF8 cr (int a) buf) (+ a 6)]))))]
                             (f mname attrs)
                             (recur (dec n) end)))))
        interfaces (u2 (+ (.header cr) 6))
        fields-at (+ (.header cr) 8 (* 2 interfaces))
        sizes (atom {})
        methods-at (skip-members fields-at (fn [_ _]))]
    (skip-members methods-at
                  (fn [mname attrs]
                    (doseq [[aname at] attrs :when (= aname "Code")]
                      (swap! sizes assoc mname (.readInt cr (int (+ at 4)))))))
    @sizes))

(defn- all-method-sizes
  "{\"class::method\" bytes} of every generated class of `code`."
  [^CompiledCode code]
  (into {} (for [[cls b] (.classes code)
                 [m n] (method-sizes b)]
             [(str cls "::" m) n])))

(defn- compile-all ^CompiledCode [m]
  (ModuleCompiler/compile m (java.util.TreeSet. ^java.util.Collection (map int (range 100000)))
                          Integer/MAX_VALUE))

;; ---- generated structured programs ---------------------------------------------------

(def ^:private leb-u tu/leb-u)
(def ^:private leb-s tu/leb-s)
(def ^:private vec-of tu/vec-of)
(def ^:private section tu/section)

;; Function 0, "main": (param i32 i32) (result i32), locals 2..5 i32 (free), 6..9 i32 (loop
;; counters, one per loop depth). Function 1, "f1": (param i32) (result i32), traps on 13.
;; Tag 0 carries one i32. One memory page; addresses are masked to 0..252.
;; Labels: the carried types of each enclosing label, innermost first: [] or [:i32], or
;; :closed for one that is never a target: a loop's (a branch to it would skip its counter)
;; and a block with a parameter's (Chicory's interpreter, which the project's extends, gets
;; a br_if with a value out of one wrong: in (func (param i32 i32) (result i32) i32.const 0
;; i32.const 29 block (param i32) (result i32) local.get 0 local.get 1 br_if 0 drop end
;; br_if 0 drop i32.const 7), f(5, 1) is 0 on V8 and compiled, 29 interpreted).

(def ^:private types
  ;; 0: main, 1: f1 and the [i32] -> [i32] block type, 2: the tag's
  [[[0x7F 0x7F] [0x7F]] [[0x7F] [0x7F]] [[0x7F] []]])

(def ^:private ^:dynamic *param-block-targets*
  "Whether branches may go to a block with a parameter (not when the interpreter judges)."
  false)

(declare expr stmts)

(defn- pick [^Random r xs] (nth xs (.nextInt r (count xs))))

(defn- stmt
  "Code that leaves the stack as it found it (or does not fall through)."
  [^Random r d labels loops]
  (let [choice (.nextInt r (if (pos? d) 13 4))
        lab-idx (fn [pred] (seq (keep-indexed (fn [i t] (when (pred t) i)) labels)))]
    (case choice
      0 (concat (expr r (dec d) labels loops) [0x21 (+ 2 (.nextInt r 4))]) ; local.set
      1 (concat [0x41] (leb-s (* 4 (.nextInt r 64))) (expr r (dec d) labels loops) [0x36 2 0]) ; i32.store
      2 (concat (expr r (dec d) labels loops) [0x10 1 0x1A]) ; call f1, drop
      3 [0x01] ; nop
      ;; br_if to a label: with its value when it carries one
      4 (let [i (pick r (lab-idx vector?))]
          (if (= [:i32] (nth labels i))
            (concat (expr r (dec d) labels loops) (expr r (dec d) labels loops) [0x0D] (leb-u i) [0x1A])
            (concat (expr r (dec d) labels loops) [0x0D] (leb-u i))))
      ;; br, unconditional: inside an if so that the rest is reached sometimes
      5 (let [i (pick r (lab-idx vector?))
              inner (cons [] labels)]
          (concat (expr r (dec d) labels loops) [0x04 0x40]
                  (when (= [:i32] (nth labels i)) (expr r (dec d) inner loops))
                  [0x0C] (leb-u (inc i)) [0x0B]))
      ;; br_table among the labels of one carried type
      6 (let [kind (pick r [[] [:i32]])
              idx (lab-idx #(= kind %))]
          (if-not idx
            [0x01]
            (let [targets (repeatedly (inc (.nextInt r 4)) #(pick r idx))]
              (concat (expr r (dec d) labels loops) [0x04 0x40]
                      (when (= kind [:i32]) (expr r (dec d) (cons [] labels) loops))
                      (expr r (dec d) (cons [] labels) loops)
                      [0x0E] (leb-u (dec (count targets)))
                      (mapcat #(leb-u (inc %)) targets) [0x0B]))))
      ;; return
      7 (concat (expr r (dec d) labels loops) [0x04 0x40] (expr r (dec d) (cons [] labels) loops)
                [0x0F 0x0B])
      ;; a block of statements
      8 (concat [0x02 0x40] (stmts r (dec d) (cons [] labels) loops) [0x0B])
      ;; a counted loop (its counter local 6 + depth), statements in it
      9 (if (>= loops 4)
          [0x01]
          (let [c (+ 6 loops)]
            (concat [0x41] (leb-s (inc (.nextInt r 4))) [0x21 c]
                    [0x03 0x40] (stmts r (dec d) (cons :closed labels) (inc loops))
                    [0x20 c 0x41 1 0x6B 0x22 c 0x0D 0]
                    [0x0B])))
      ;; if/else of statements
      10 (concat (expr r (dec d) labels loops) [0x04 0x40] (stmts r (dec d) (cons [] labels) loops)
                 [0x05] (stmts r (dec d) (cons [] labels) loops) [0x0B])
      ;; throw (caught by a try_table out here or by none: then the call fails)
      11 (concat (expr r (dec d) labels loops) [0x04 0x40] (expr r (dec d) (cons [] labels) loops)
                 [0x08 0 0x0B])
      ;; try_table: catch tag 0 to a label of [i32] (or catch_all to one of [])
      12 (let [i32s (lab-idx #(= [:i32] %))
               voids (lab-idx #(= [] %))
               clause (cond (and i32s (.nextBoolean r)) (concat [0 0] (leb-u (pick r i32s)))
                            voids (concat [2] (leb-u (pick r voids)))
                            :else nil)]
           (if-not clause
             [0x01]
             (concat [0x1F 0x40 1] clause (stmts r (dec d) (cons [] labels) loops) [0x0B]))))))

(defn- stmts [^Random r d labels loops]
  (apply concat (repeatedly (.nextInt r 4) #(stmt r d labels loops))))

(defn- expr
  "Code that pushes one i32."
  [^Random r d labels loops]
  (let [choice (.nextInt r (if (pos? d) 9 3))]
    (case choice
      0 (concat [0x41] (leb-s (- (.nextInt r 40) 10)))
      1 [0x20 (.nextInt r 10)]
      2 [0x20 (.nextInt r 2)]
      3 (concat (expr r (dec d) labels loops) (expr r (dec d) labels loops)
                [(pick r [0x6A 0x6B 0x6C 0x73 0x71])])
      4 (concat (expr r (dec d) labels loops) [0x10 1]) ; call f1 (may trap)
      ;; block (result i32): statements, then its value (or a branch out with one)
      5 (concat [0x02 0x7F] (stmts r (dec d) (cons [:i32] labels) loops)
                (expr r (dec d) (cons [:i32] labels) loops) [0x0B])
      ;; block [i32] -> [i32]: its parameter below its statements
      6 (let [inner (cons (if *param-block-targets* [:i32] :closed) labels)]
          (concat (expr r (dec d) labels loops) [0x02 1]
                  (stmts r (dec d) inner loops) (expr r (dec d) inner loops) [0x6A 0x0B]))
      7 (concat (expr r (dec d) labels loops) [0x04 0x7F]
                (stmts r (dec d) (cons [:i32] labels) loops) (expr r (dec d) (cons [:i32] labels) loops)
                [0x05] (expr r (dec d) (cons [:i32] labels) loops) [0x0B])
      8 (concat [0x41] (leb-s 252) (expr r (dec d) labels loops) [0x71 0x28 2 0])))) ; i32.load

(defn- program-bytes
  "A module of main (the generated body) and f1, from `seed`."
  [seed depth]
  (let [r (Random. seed)
        body (concat (stmts r depth [[:i32]] 0) (expr r depth [[:i32]] 0))
        f1 [0x20 0 0x41 0xFF 1 0x71 0x41 13 0x46 0x04 0x40 0x00 0x0B 0x20 0 0x41 3 0x6C 0x41 1 0x6A]
        code (fn [locals b] (let [x (concat (vec-of locals) b [0x0B])] (concat (leb-u (count x)) x)))]
    (byte-array
     (map unchecked-byte
          (concat [0 0x61 0x73 0x6D 1 0 0 0]
                  (section 1 (vec-of (for [[ps rs] types] (concat [0x60] (vec-of (map vector ps)) (vec-of (map vector rs))))))
                  (section 3 (vec-of [[0] [1]]))
                  (section 5 [1 0 1])
                  (section 13 (vec-of [[0 2]]))
                  (section 7 (vec-of [(concat (leb-u 4) (.getBytes "main") [0 0])
                                      (concat (leb-u 3) (.getBytes "mem") [2 0])]))
                  (section 10 (vec-of [(code [[8 0x7F]] body) (code [] f1)])))))))

(def ^:private linear-memory
  (reify java.util.function.Function (apply [_ limits] (LinearMemory. limits))))

(defn- run-outcomes
  "Calls main with each pair of `args` on `inst`: results or trap kinds, then the memory."
  [^Instance inst args]
  (conj (mapv (fn [[a b]]
                (try (vec (.apply (.export inst "main") (long-array [a b])))
                     (catch Throwable e {:trap (ChicoryInternals/trapKind e)})))
              args)
        (vec (.readBytes (.memory inst) 0 256))))

(defn- compiled-outcomes
  "[outcomes of `bytes` compiled with split limit `limit`, helper methods of main]"
  [^bytes bytes limit args]
  (let [m (Parser/parse bytes)
        code (with-split limit (compile-all m))
        inst (-> (Instance/builder m) (.withImportValues (ImportValues/empty))
                 (.withMemoryFactory linear-memory)
                 (.withMachineFactory (CompiledMachine/factory code (make-array FunctionBody 0)))
                 (.build))]
    (is (empty? (.refused code)))
    [(run-outcomes inst args) (count (filter #(str/includes? % "::f0$") (keys (all-method-sizes code))))]))

(defn- split-and-interpreted
  "[outcomes compiled with a split limit of 1 byte, outcomes interpreted, helper methods]"
  [^bytes bytes args]
  (let [m (Parser/parse bytes)
        [split helpers] (compiled-outcomes bytes 1 args)
        interp (-> (Instance/builder m) (.withImportValues (ImportValues/empty))
                   (.withMachineFactory (reify java.util.function.Function
                                          (apply [_ i] (InterpreterMachine. i))))
                   (.build))]
    [split (run-outcomes interp args) helpers]))

(deftest split-structured-programs-match-the-interpreter
  (let [helpers (atom [])
        result (tc/quick-check
                300
                (prop/for-all [seed gen/large-integer
                               depth (gen/choose 2 5)
                               args (gen/vector (gen/tuple (gen/choose -20 300) (gen/choose -20 300)) 1 4)]
                  (let [[split interp n] (split-and-interpreted (program-bytes seed depth) args)]
                    (swap! helpers conj n)
                    (= interp split))))]
    (is (:pass? result) (pr-str (select-keys result [:seed :fail :shrunk])))
    (is (> (count (filter pos? @helpers)) (/ (count @helpers) 2))
        "most programs' main function was split into helpers")))

(deftest split-structured-programs-match-the-one-method-compile
  ;; the same programs, branches to blocks with a parameter included: split at 1 byte
  ;; against the function compiled in one method
  (binding [*param-block-targets* true]
    (let [result (tc/quick-check
                  150
                  (prop/for-all [seed gen/large-integer
                                 depth (gen/choose 2 5)
                                 args (gen/vector (gen/tuple (gen/choose -20 300) (gen/choose -20 300)) 1 4)]
                    (let [b (program-bytes seed depth)]
                      (= (first (compiled-outcomes b 0 args)) (first (compiled-outcomes b 1 args))))))]
      (is (:pass? result) (pr-str (select-keys result [:seed :fail :shrunk]))))))

;; ---- the spec suite, part of the fuzz corpus, real programs ----------------------------

(deftest the-spec-suite-passes-with-every-function-split
  ;; :compiler, every function split as far as it goes; the known failures of :compiler
  (with-split 1
    (doseq [file (spec/files)]
      (let [ps (@#'clj-wasi.wasm-spec-test/problems (str file ".wast") :compiler
                (spec/run-file file :compiler (spec/module-cache file) (spec/commands file)))]
        (is (empty? ps) (str file ": " (str/join "\n" (take 5 ps))))))))

(deftest fuzz-corpus-agrees-with-the-interpreter-when-split
  ;; every third module of the corpus on :compiler, every function split
  (let [files (take-nth 3 (@#'clj-wasi.fuzz-test/wasm-files @#'clj-wasi.fuzz-test/corpus-dir))
        t0 (System/currentTimeMillis)
        r (with-split 1 (@#'clj-wasi.fuzz-test/run-corpus files [Engine/COMPILER]))]
    (is (>= (count files) 250))
    (is (>= (:compared r) 2000))
    (@#'clj-wasi.fuzz-test/report! "corpus, split" r [Engine/COMPILER]
     (- (System/currentTimeMillis) t0))))

(deftest real-programs-run-split-at-a-small-limit
  ;; compiled afresh with methods of about 500 bytes: lua's and sqlite's interpreters in
  ;; dozens of pieces each
  (with-split 500
    (let [lua (wasm/module "bench/real/wasm/lua.wasm")
          sqlite (wasm/module "bench/real/wasm/sqlite3.wasm")
          run (fn [m opts] (select-keys (wasm/run m (assoc opts :engine :compiler)) [:exit :out]))]
      (is (= {:exit 0 :out "120\tdlrow\t3\n"}
             (run lua {:args ["-e" "local f = 1 for i = 2, 5 do f = f * i end print(f, ('world'):reverse(), #{1,2,3})"]})))
      (is (= {:exit 0 :out "5050|3\n"}
             (run sqlite {:args ["-batch" ":memory:"]
                          :stdin "create table t(x); with recursive c(i) as (select 1 union all select i+1 from c where i < 100) insert into t select i from c; select sum(x), count(distinct x % 3) from t;\n"}))))))

;; ---- sizes ---------------------------------------------------------------------------

(def ^:private nested-big-body
  ;; 30 nested blocks, each with a loop-free run of 200 local updates: ~48 KB unsplit
  (let [run (apply concat (repeat 200 [0x20 0 0x41 3 0x6A 0x21 0]))]
    (concat (apply concat (repeat 30 (concat [0x02 0x40] run [0x20 0 0x45 0x0D 0])))
            (apply concat (repeat 30 (concat run [0x0B])))
            [0x20 0])))

(deftest big-functions-compile-with-every-method-under-the-limit
  (testing "a generated function of ~48 KB of bytecode"
    (let [bytes (@#'clj-wasi.compiler-test/module-bytes
                 [{:export "big" :params [:i32] :results [:i32] :code nested-big-body}] nil)
          m (Parser/parse bytes)
          unsplit (with-split 0 (compile-all m))
          split (compile-all m)
          sizes (all-method-sizes split)]
      (is (> (apply max (vals (all-method-sizes unsplit))) 40000) "it is big unsplit")
      (is (empty? (.refused split)))
      (is (> (count sizes) 5) "several helpers")
      (is (every? #(<= % 8000) (vals sizes)) (pr-str (filter #(> (val %) 8000) sizes)))
      (let [inst (-> (Instance/builder m) (.withImportValues (ImportValues/empty))
                     (.withMachineFactory (CompiledMachine/factory split (make-array FunctionBody 0)))
                     (.build))]
        (doseq [x [1 7 -5]]
          (is (= [(+ x (* 3 200 60))] (vec (.apply (.export inst "big") (long-array [x])))))))))
  (testing "SQLite's shell: sqlite3VdbeExec (over 64 KiB in one method) included"
    (let [m (Parser/parse (File. "bench/real/wasm/sqlite3.wasm"))
          split (compile-all m)
          sizes (all-method-sizes split)]
      (is (empty? (.refused split)))
      (is (every? #(<= % 8000) (vals sizes)) (pr-str (filter #(> (val %) 8000) sizes))))))

;; ---- v128 locals in split functions ----------------------------------------------------
;;
;; Unsplit, a v128 local is two long JVM slots (SimdCompiler); split, every local is in the
;; frame array, a v128 as its two halves, and v128 operands cross region boundaries through
;; the transfer area. The SIMD modules of compiler-simd-test, every function split, against
;; the interpreter.

(defn- split-simd-instance
  "`m` compiled with every function split at a 1-byte limit (all of them must compile)."
  [m]
  (let [instance (with-split 1 (@#'clj-wasi.compiler-simd-test/compiled-instance
                                m (range (.functionCount (.functionSection m)))))
        helpers (->> (all-method-sizes (with-split 1 (compile-all m))) keys
                     (filter #(re-find #"::[ft]\d+\$\d+$" %)))]
    (is (seq helpers) "functions were split into helpers")
    instance))

(deftest v128-in-split-functions-matches-the-interpreter
  (let [run-case @#'clj-wasi.compiler-simd-test/run-case
        interpreted @#'clj-wasi.compiler-simd-test/interpreted-instance
        nan-equal? @#'clj-wasi.compiler-simd-test/same-up-to-nan-payloads?
        check (fn [module-name gen-case n]
                (let [m (@#'clj-wasi.compiler-simd-test/parse module-name)
                      split (split-simd-instance m)
                      interp (interpreted m)
                      result (tc/quick-check
                              n (prop/for-all [{:keys [export args scratch]} gen-case]
                                  (let [want (run-case interp export args scratch)
                                        got (run-case split export args scratch)]
                                    (or (= want got) (nan-equal? (first export) want got)))))]
                  (is (:pass? result)
                      (str module-name ": " (pr-str (select-keys result [:seed :fail :shrunk]))))))]
    (testing "v128 across calls, locals, globals and branches (simd_calls)"
      (check "simd_calls" @#'clj-wasi.compiler-simd-test/gen-calls-case 300))
    (testing "every SIMD instruction (simd_ops)"
      (check "simd_ops" @#'clj-wasi.compiler-simd-test/gen-op-case 1000))))

;; ---- the compile cache -------------------------------------------------------------------

(deftest the-compile-cache-keeps-code-per-split-limit
  ;; the split limit changes the code, so it is part of CodeCache's key (whole modules and
  ;; hot batches alike): code stored at one limit is not loaded at another
  (with-temp-dir [dir]
    (let [bytes (@#'clj-wasi.compiler-test/module-bytes
                 [{:export "big" :params [:i32] :results [:i32] :code nested-big-body}] nil)
          m (Parser/parse bytes)
          sigs (Signatures. m)
          fs (java.util.TreeSet. [(int 0)])
          cache #(CodeCache. (.variant (CompileCache. (.toPath ^File dir)) "own") sigs "m"
                             Integer/MAX_VALUE)]
      (with-split 0
        (.store ^CodeCache (cache) fs (ModuleCompiler/compile m sigs fs Integer/MAX_VALUE #{}))
        (is (some? (.load ^CodeCache (cache) fs)) "loaded at the limit it was stored at"))
      (is (nil? (with-split 1 (.load ^CodeCache (cache) fs))))
      (is (nil? (.load ^CodeCache (cache) fs)) "nor at the default limit")
      (.store ^CodeCache (cache) fs (ModuleCompiler/compile m sigs fs Integer/MAX_VALUE #{}))
      (let [code (.load ^CodeCache (cache) fs)]
        (is (some? code))
        (is (every? #(<= % 8000) (vals (all-method-sizes code))) "the split code, not the other")))))
